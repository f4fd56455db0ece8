// The live page's "● Đang ghi hình" badge: red, with the time recorded so far, in the top bar
// and over the stage in the projector view (which hides the top bar), shown while the state's
// `recording` is set (docs/protocol.md, "State"). Screen readers hear a sentence when the
// recording starts or stops, from a status region that stays in the page; the ticking time is
// a `timer` and is not announced.

import { t, formatTime } from './i18n.js';
import { elapsedMs, formatOffset } from './recording.js';

/** How often the time recorded is redrawn. */
const TICK_MS = 1000;

/**
 * @typedef {object} BadgeParts
 * @property {HTMLElement} root the badge, hidden while nothing is recorded
 * @property {HTMLElement} time its time recorded
 */

export class RecordingIndicator {
  /**
   * @param {object} options
   * @param {BadgeParts[]} options.badges the top bar's and the stage's
   * @param {HTMLElement} options.announce a `role=status` region, never hidden
   * @param {() => number} [options.now] milliseconds since the epoch
   */
  constructor({ badges, announce, now = Date.now }) {
    this.badges = badges;
    this.announce = announce;
    this.now = now;
    /** @type {string | null} */
    this.since = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    /** Whether a state was seen, so that joining a briefing not recorded says nothing. */
    this.told = false;
    /** @type {import('./i18n.js').MessageKey | null} the last sentence said */
    this.said = null;
  }

  /**
   * Follows the state: `since` is when the recording started, null when none runs.
   * @param {string | null} since
   */
  set(since) {
    const was = this.since;
    if (was === since && this.told) return;
    this.since = since;
    if ((was === null) !== (since === null)) {
      if (since !== null || this.told) this.said = since !== null ? 'recording.announce.on' : 'recording.announce.off';
    }
    this.told = true;
    clearInterval(this.timer);
    this.timer = since === null ? undefined : setInterval(() => this.#tick(), TICK_MS);
    this.render();
  }

  /** Takes the badge down and forgets, as when the point leaves the room. */
  reset() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.since = null;
    this.told = false;
    this.said = null;
    this.render();
  }

  /** Redraws everything, e.g. after a language switch. */
  render() {
    const since = this.since;
    for (const { root, time } of this.badges) {
      root.hidden = since === null;
      root.dataset.since = since ?? '';
      const label = root.querySelector('[data-role=recording-label]');
      if (label) label.textContent = t('recording.badge');
      time.setAttribute('aria-label', t('recording.badge.elapsed'));
      root.title = since === null ? '' : t('recording.badge.title', { time: formatTime(since) });
    }
    const sentence = this.said === null ? '' : t(this.said);
    if (this.announce.textContent !== sentence) this.announce.textContent = sentence;
    this.#tick();
  }

  #tick() {
    const elapsed = elapsedMs(this.since, this.now());
    const text = elapsed === null ? '' : formatOffset(elapsed);
    for (const { time } of this.badges) {
      if (time.textContent !== text) time.textContent = text;
    }
  }
}
