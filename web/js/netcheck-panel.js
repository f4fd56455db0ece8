// The network check's dialog ("Kiểm tra mạng"): opens from the room's toolbar, measures the
// live peer connection for a few seconds (netcheck.js) with a progress bar, then shows the
// verdict, what to ask the network administrator, and the figures behind them. "Chạy lại"
// measures again. Any point can run it, the host included, during the trial run or anytime.

import { t, formatNumber, locale } from './i18n.js';
import { formatFraction } from './numbers.js';
import { MEASURE_MS, THRESHOLDS, runNetCheck } from './netcheck.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./netcheck.js').NetCheckResult} NetCheckResult */
/** @typedef {import('./netcheck.js').TransportStatus} TransportStatus */
/** @typedef {import('./netcheck.js').Advice} Advice */

/** @type {Record<TransportStatus, MessageKey>} */
const STATUS_KEYS = {
  works: 'netcheck.status.works',
  failed: 'netcheck.status.failed',
  'not-needed': 'netcheck.status.notNeeded',
  'not-configured': 'netcheck.status.notConfigured',
  'not-tried': 'netcheck.status.notTried',
};

/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`page element missing: ${selector}`);
  return el;
}

export class NetCheckPanel {
  /**
   * @param {object} options
   * @param {HTMLElement} options.dialog the `[data-role=netcheck]` dialog
   * @param {() => RTCPeerConnection | null} options.peerConnection the live connection, if any
   */
  constructor({ dialog, peerConnection }) {
    this.dialog = dialog;
    this.peerConnection = peerConnection;
    this.ui = {
      help: find(dialog, '[data-role=netcheck-help]', HTMLElement),
      progress: find(dialog, '[data-role=netcheck-progress]', HTMLElement),
      bar: find(dialog, '[data-role=netcheck-bar]', HTMLProgressElement),
      status: find(dialog, '[data-role=netcheck-status]', HTMLElement),
      result: find(dialog, '[data-role=netcheck-result]', HTMLElement),
      verdict: find(dialog, '[data-role=netcheck-verdict]', HTMLElement),
      advice: find(dialog, '[data-role=netcheck-advice]', HTMLElement),
      details: find(dialog, '[data-role=netcheck-details]', HTMLElement),
      error: find(dialog, '[data-role=netcheck-error]', HTMLElement),
      rerun: find(dialog, '[data-action=netcheck-rerun]', HTMLButtonElement),
      close: find(dialog, '[data-action=netcheck-close]', HTMLButtonElement),
    };
    /** @type {NetCheckResult | null} */
    this.result = null;
    /** @type {{key: MessageKey, params?: Record<string, string | number>} | null} */
    this.error = null;
    /** @type {number | null} 0..1 while measuring, null otherwise */
    this.progress = null;
    /** Bumped per run, so a run that outlives a newer one does not show its result. */
    this.seq = 0;
    this.ui.rerun.addEventListener('click', () => void this.run());
    this.ui.close.addEventListener('click', () => this.close());
    // Escape closes a modal dialog without the button: stop measuring then too.
    dialog.addEventListener('close', () => this.stop());
    this.render();
  }

  /** Opens the dialog and starts a measurement. */
  open() {
    const d = this.dialog;
    if (d instanceof HTMLDialogElement && typeof d.showModal === 'function') {
      if (!d.open) d.showModal();
    } else {
      d.setAttribute('open', '');
    }
    void this.run();
  }

  close() {
    const d = this.dialog;
    if (d instanceof HTMLDialogElement && typeof d.close === 'function') d.close();
    else d.removeAttribute('open');
    this.stop();
  }

  /** Drops a measurement under way: its result is not shown. */
  stop() {
    if (this.progress === null) return;
    this.seq += 1;
    this.progress = null;
    this.render();
  }

  /** Measures the live connection and shows the result. */
  async run() {
    const seq = ++this.seq;
    this.result = null;
    this.error = null;
    const pc = this.peerConnection();
    if (!pc || pc.connectionState === 'closed') {
      this.progress = null;
      this.error = { key: 'netcheck.noConnection' };
      this.render();
      return;
    }
    this.progress = 0;
    this.render();
    try {
      const result = await runNetCheck(pc, {
        onProgress: (fraction) => {
          if (seq !== this.seq) return;
          this.progress = fraction;
          this.renderProgress();
        },
      });
      if (seq !== this.seq) return;
      this.result = result;
    } catch (err) {
      if (seq !== this.seq) return;
      this.error = { key: 'netcheck.error', params: { message: err instanceof Error ? err.message : String(err) } };
    }
    this.progress = null;
    this.render();
  }

  /** Shows everything again, in the current language. */
  render() {
    const ui = this.ui;
    ui.help.textContent = t('netcheck.help', {
      seconds: Math.round(MEASURE_MS / 1000),
      rtt: THRESHOLDS.rttMs,
      up: THRESHOLDS.upKbps,
      down: formatNumber(THRESHOLDS.downKbps / 1000),
      downLoss: percent(THRESHOLDS.downLoss),
      loss: percent(THRESHOLDS.audioLoss),
    });
    this.renderProgress();
    ui.error.hidden = this.error === null;
    ui.error.textContent = this.error ? t(this.error.key, this.error.params) : '';
    const r = this.result;
    ui.result.hidden = r === null;
    this.dialog.dataset.state = this.progress !== null ? 'measuring' : r ? (r.ok ? 'ok' : 'not-ok') : 'idle';
    if (!r) {
      ui.advice.replaceChildren();
      ui.details.replaceChildren();
      return;
    }
    ui.verdict.textContent = r.ok ? t('netcheck.ok') : t('netcheck.notOk');
    ui.verdict.dataset.ok = String(r.ok);
    ui.advice.replaceChildren(...r.advice.map((a) => {
      const li = document.createElement('li');
      li.dataset.code = a.code;
      li.textContent = adviceText(a);
      return li;
    }));
    /** @type {[MessageKey, string, string][]} label, value, data-row */
    const rows = [
      ['netcheck.row.udp', t(STATUS_KEYS[r.transports.udp]), 'udp'],
      ['netcheck.row.tcp', t(STATUS_KEYS[r.transports.tcp]), 'tcp'],
      ['netcheck.row.relay', t(STATUS_KEYS[r.transports.relay]), 'relay'],
      ['netcheck.row.route', routeText(r), 'route'],
      ['netcheck.row.rtt', ms(r.rttMs), 'rtt'],
      ['netcheck.row.up', kbps(r.upKbps), 'up'],
      ['netcheck.row.down', kbps(r.downKbps), 'down'],
      ['netcheck.row.loss', r.audioLoss === null ? '—' : percent(r.audioLoss), 'loss'],
      ['netcheck.row.jitter', ms(r.jitterMs), 'jitter'],
    ];
    ui.details.replaceChildren(...rows.map(([key, value, row]) => {
      const tr = document.createElement('tr');
      tr.dataset.row = row;
      if (row in r.transports) tr.dataset.status = r.transports[/** @type {'udp' | 'tcp' | 'relay'} */ (row)];
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = t(key);
      const td = document.createElement('td');
      td.className = 'num';
      td.textContent = value;
      tr.append(th, td);
      return tr;
    }));
  }

  renderProgress() {
    const ui = this.ui;
    const p = this.progress;
    ui.progress.hidden = p === null;
    ui.rerun.disabled = p !== null;
    ui.rerun.setAttribute('aria-busy', String(p !== null));
    if (p === null) return;
    ui.bar.value = Math.round(p * 100);
    ui.status.textContent = t('netcheck.progress', { seconds: Math.ceil(((1 - p) * MEASURE_MS) / 1000) });
  }
}

/** @param {Advice} a */
function adviceText(a) {
  switch (a.code) {
    case 'noRoute':
      return t('netcheck.advice.noRoute', { port: a.port, address: a.address });
    case 'openUdp':
      return t('netcheck.advice.openUdp', { port: a.port, address: a.address });
    case 'tcp':
      return t('netcheck.advice.tcp');
    case 'relay':
      return t('netcheck.advice.relay');
    case 'highRtt':
      return t('netcheck.advice.highRtt', { ms: a.ms });
    case 'lowBandwidth':
      return t('netcheck.advice.lowBandwidth');
    case 'highLoss':
      return t('netcheck.advice.highLoss', { loss: percent(a.loss) });
  }
}

/** @param {NetCheckResult} r */
function routeText(r) {
  const route = r.route;
  if (!route) return t('netcheck.route.none');
  const where = { address: route.remote.address, port: route.remote.port };
  if (route.kind === 'relay') {
    return t('netcheck.route.relay', { ...where, protocol: (route.relayProtocol ?? '?').toUpperCase() });
  }
  return t(route.kind === 'udp' ? 'netcheck.route.udp' : 'netcheck.route.tcp', where);
}

/** @param {number | null} value */
function ms(value) {
  return value === null ? '—' : t('netcheck.ms', { ms: formatNumber(Math.round(value)) });
}

/** @param {number | null} value kbit/s, shown in Mbit/s from 1000 on */
function kbps(value) {
  if (value === null) return '—';
  if (value >= 1000) return t('netcheck.mbps', { mbps: formatNumber(value / 1000, { maximumFractionDigits: 1 }) });
  return t('netcheck.kbps', { kbps: formatNumber(Math.round(value)) });
}

/** @param {number} fraction */
function percent(fraction) {
  return formatFraction(fraction, locale());
}
