// What the parts of the dossier page share: the page context, building elements, messages
// for failed requests, downloads, and reading and formatting numbers.
//
// Everything typed by people (names, titles, report text) reaches the page through
// textContent or attribute values only.

import { t, formatNumber, formatDateTime, locale } from '../i18n.js';
import { formatMeasured, formatPercentValue } from '../numbers.js';
import { ApiError } from '../dossier-api.js';
import { problemText } from '../problem.js';

/** @typedef {import('../i18n.js').MessageKey} MessageKey */
/** @typedef {import('../dossier-api.js').DossierApi} DossierApi */
/** @typedef {import('../dossier-api.js').DossierSession} DossierSession */
/** @typedef {import('../dossier-api.js').AgendaItem} AgendaItem */
/** @typedef {{code: string, name: string}} UnitChoice */

/**
 * What every part of the page gets.
 * @typedef {object} Context
 * @property {DossierApi} api
 * @property {DossierSession} session
 * @property {boolean} isHost
 * @property {(key: MessageKey, params?: Record<string, string | number>) => void} notify a short
 *   confirmation
 * @property {(fresh?: boolean) => Promise<AgendaItem[]>} agenda the agenda, loaded once and shared
 *   (`fresh`: loaded again)
 * @property {(items: AgendaItem[]) => void} setAgenda after the host saved it
 * @property {() => Promise<UnitChoice[]>} units the units a task may be given to (host)
 * @property {(fresh?: boolean) => Promise<import('../recording.js').Recording[]>} recordings the
 *   briefing's recordings, loaded once and shared (`fresh`: loaded again)
 * @property {(recording: number, offsetMs: number) => void} openRecording shows the recordings'
 *   tab and plays one recording's session copy from an offset
 */

/**
 * One part of the page: it loads when its tab is shown and re-renders on a language switch.
 * @typedef {object} Part
 * @property {() => Promise<void>} load
 * @property {() => void} render
 */

/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} testid
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
export function byTestId(root, testid, type) {
  const found = root.querySelector(`[data-testid="${testid}"]`);
  if (!(found instanceof type)) throw new Error(`page element missing: [data-testid=${testid}]`);
  return found;
}

/**
 * @typedef {object} ElementOptions
 * @property {string} [className]
 * @property {string} [text]
 * @property {string} [testid]
 * @property {Record<string, string>} [data] data-* attributes (camelCase keys)
 * @property {Record<string, string>} [attrs] other attributes
 */

/**
 * Creates an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {ElementOptions} [options]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.testid) node.dataset.testid = options.testid;
  for (const [key, value] of Object.entries(options.data ?? {})) node.dataset[key] = value;
  for (const [key, value] of Object.entries(options.attrs ?? {})) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/**
 * A `type=button` button.
 * @param {string} text
 * @param {{className?: string, testid?: string, label?: string}} [options] `label`: aria-label
 * @param {() => void} [onClick]
 * @returns {HTMLButtonElement}
 */
export function button(text, options = {}, onClick) {
  const b = el('button', { className: options.className ?? 'btn btn--secondary btn--small', text, testid: options.testid });
  b.type = 'button';
  if (options.label) b.setAttribute('aria-label', options.label);
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

/**
 * A labelled field: `<div class=field><label/>control</div>`.
 * @param {string} label
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} control
 * @returns {HTMLDivElement}
 */
export function field(label, control) {
  if (!control.id) control.id = uniqueId('f');
  const l = el('label', { text: label });
  l.htmlFor = control.id;
  return el('div', { className: 'field' }, [l, control]);
}

let idCounter = 0;
/** @param {string} prefix @returns {string} an id unique on the page */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Runs `action` with `b` disabled (and marked busy) meanwhile; a second click while it runs
 * does nothing.
 * @param {HTMLButtonElement} b
 * @param {() => Promise<void>} action
 */
export async function busy(b, action) {
  if (b.getAttribute('aria-busy') === 'true') return;
  b.disabled = true;
  b.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    b.disabled = false;
    b.removeAttribute('aria-busy');
  }
}

/**
 * The sentence to show for a failed request, in the page's language (see problem.js).
 * @param {unknown} err
 * @returns {string}
 */
export function errorText(err) {
  return problemText(err);
}

/**
 * An alert box of one part of the page (`role=alert`), with the server's code in `data-code`.
 */
export class Alert {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    /** @type {unknown} */
    this.error = null;
    /** @type {{key: MessageKey, params?: Record<string, string | number>} | null} */
    this.message = null;
  }

  /** @param {unknown} err a failed request */
  show(err) {
    this.error = err;
    this.message = null;
    this.render();
  }

  /**
   * @param {MessageKey} key
   * @param {Record<string, string | number>} [params]
   */
  say(key, params) {
    this.error = null;
    this.message = { key, params };
    this.render();
  }

  clear() {
    this.error = null;
    this.message = null;
    this.render();
  }

  render() {
    const { error, message } = this;
    this.box.hidden = error === null && message === null;
    if (error !== null) this.box.textContent = errorText(error);
    else if (message !== null) this.box.textContent = t(message.key, message.params);
    else this.box.textContent = '';
    if (error instanceof ApiError) this.box.dataset.code = error.code;
    else delete this.box.dataset.code;
  }
}

/**
 * Hands a blob to the browser as a download.
 * @param {Blob} blob
 * @param {string} name
 */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { attrs: { href: url, download: name } });
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Reads a number as people type it: `1130,5`, `1130.5`, `1 130,5`. Null for anything else
 * (the server decides; this only feeds the live percentage).
 * @param {string} text
 * @returns {number | null}
 */
export function parseNumber(text) {
  const compact = text.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(compact)) return null;
  const value = Number(compact);
  return Number.isFinite(value) ? value : null;
}

/**
 * A number as it is typed back into a field: no grouping, the language's decimal mark.
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function numberForInput(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  return formatNumber(value, { useGrouping: false, maximumFractionDigits: 10 });
}

/**
 * A value of an indicator for reading, rounded by its measure's rule (web/js/numbers.js):
 * grouped, the language's decimal mark, `—` when absent.
 * @param {number | null | undefined} value
 * @param {string | null | undefined} measure
 * @param {'sum' | 'mean' | null} [aggregate] how the province's figure of the indicator is made
 * @returns {string}
 */
export function formatValue(value, measure, aggregate = null) {
  return formatMeasured(value, measure, { aggregate, locale: locale() });
}

/**
 * A percentage of plan (the server's, already rounded to one decimal) with one decimal, `—`
 * when absent.
 * @param {number | null | undefined} percent e.g. 94.2
 * @returns {string}
 */
export function formatPercent(percent) {
  return formatPercentValue(percent, locale());
}

/**
 * value / plan × 100 rounded to one decimal, as the server computes it; null without a plan.
 * @param {number | null} value
 * @param {number | null} plan
 * @returns {number | null}
 */
export function percentOfPlan(value, plan) {
  if (value === null || plan === null || !(plan > 0)) return null;
  return Math.round((value / plan) * 1000) / 10;
}

/**
 * A file size in KiB or MiB.
 * @param {number} bytes
 * @returns {string}
 */
export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return t('dossier.size.bytes', { n: formatNumber(bytes) });
  if (bytes < 1024 * 1024) return t('dossier.size.kib', { n: formatNumber(bytes / 1024, { maximumFractionDigits: 0 }) });
  return t('dossier.size.mib', { n: formatNumber(bytes / (1024 * 1024), { maximumFractionDigits: 1 }) });
}

/**
 * A date `YYYY-MM-DD` as `dd/mm/yyyy` (the same in both languages of the page).
 * @param {string | null | undefined} date
 * @returns {string}
 */
export function formatDate(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (date ?? '');
}

/** @param {string | null | undefined} iso @returns {string} */
export function formatWhen(iso) {
  return formatDateTime(iso);
}

/**
 * Today's date in Vietnam (UTC+7, no daylight saving), `YYYY-MM-DD`, plus `days`.
 * @param {number} [days]
 * @returns {string}
 */
export function vietnamDate(days = 0) {
  return new Date(Date.now() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Fills a `<select>` with "none" and the agenda items; keeps the choice when it still exists.
 * @param {HTMLSelectElement} select
 * @param {AgendaItem[]} items
 */
export function fillAgendaSelect(select, items) {
  const before = select.value;
  const none = el('option', { text: t('dossier.agenda.none') });
  none.value = '';
  const options = items.map((item, i) => {
    const option = el('option', { text: `${i + 1}. ${item.title}` });
    option.value = String(item.id);
    return option;
  });
  select.replaceChildren(none, ...options);
  select.value = options.some((o) => o.value === before) ? before : '';
}

/**
 * The title of an agenda item by id, or '' when none or unknown.
 * @param {AgendaItem[]} items
 * @param {number | null} id
 * @returns {string}
 */
export function agendaTitle(items, id) {
  if (id === null) return '';
  const index = items.findIndex((item) => item.id === id);
  return index < 0 ? '' : `${index + 1}. ${items[index].title}`;
}

/**
 * An alert box of its own for a form inside a list item, so its error shows where the person
 * is looking; `alert.box` goes into the form.
 * @param {string} testid
 * @returns {Alert}
 */
export function inlineAlert(testid) {
  const box = el('div', { className: 'alert alert--inline', testid, attrs: { role: 'alert' } });
  box.hidden = true;
  return new Alert(box);
}
