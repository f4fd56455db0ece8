// This page's own connection quality in the controls bar (`[data-role=my-quality]`): good,
// weak or poor and why, read from the peer connection's statistics every 2 seconds. The
// arithmetic is in quality.js.

import { t, locale } from './i18n.js';
import { formatFraction } from './numbers.js';
import { classifyQuality, linkFigures } from './quality.js';

/** @typedef {import('./quality.js').Quality} Quality */

/** How often the statistics are read. */
const INTERVAL_MS = 2000;

export class QualityMeter {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root `[data-role=my-quality]`, whose `data-level` is set
   * @param {HTMLElement} options.text where the words go
   * @param {() => RTCPeerConnection | null} options.peerConnection the current one, if any
   */
  constructor({ root, text, peerConnection }) {
    this.root = root;
    this.text = text;
    this.peerConnection = peerConnection;
    /** @type {Quality | null} */
    this.quality = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    this.reading = false;
    this.render();
  }

  start() {
    this.stop();
    this.quality = null;
    this.root.hidden = false;
    this.render();
    this.timer = setInterval(() => void this.read(), INTERVAL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.root.hidden = true;
  }

  async read() {
    const pc = this.peerConnection();
    if (!pc || this.reading || pc.connectionState !== 'connected') return;
    this.reading = true;
    try {
      const report = await pc.getStats();
      this.quality = classifyQuality(linkFigures(report.values()));
    } catch {
      // A closed connection: the next one is read next time.
    } finally {
      this.reading = false;
    }
    this.render();
  }

  render() {
    const q = this.quality;
    const level = q?.level ?? 'unknown';
    this.root.dataset.level = level;
    const word = t(/** @type {import('./i18n.js').MessageKey} */ (`myQuality.${level}`));
    let text = t('myQuality.label', { level: word });
    const reason = q ? reasonText(q) : '';
    if (reason) text += ` — ${reason}`;
    this.text.textContent = text;
    const rtt = q?.figures.rttMs;
    const loss = q?.figures.loss;
    this.root.title = q
      ? t('myQuality.details', {
        rtt: typeof rtt === 'number' ? `${Math.round(rtt)} ms` : '—',
        loss: typeof loss === 'number' ? percent(loss) : '—',
      })
      : '';
  }
}

/** @param {Quality} q */
function reasonText(q) {
  switch (q.reason) {
    case 'rtt':
      return t('myQuality.reason.rtt', { ms: Math.round(q.figures.rttMs ?? 0) });
    case 'loss':
      return t('myQuality.reason.loss', { loss: percent(q.figures.loss ?? 0) });
    case 'bandwidth':
      return t('myQuality.reason.bandwidth');
    case 'cpu':
      return t('myQuality.reason.cpu');
    default:
      return '';
  }
}

/** @param {number} fraction */
function percent(fraction) {
  return formatFraction(fraction, locale());
}
