// The audit log page ("Nhật ký thao tác"): GET /api/admin/audit with the filters of the form
// (briefing, actor, days), as a table or downloaded as CSV.
// Names, titles and details are user input: they only ever reach the page through textContent.

import { t, hasKey, translateDom, bindLangButton, onLangChange, formatDateTime } from './i18n.js';
import { requestBlob, requestJson } from './api.js';
import { dateField, isoFromDay } from './date-field.js';
import { problemText } from './problem.js';
import { loadSession } from './admin-session.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/**
 * @typedef {{id: number, at: string, actor_kind: 'admin' | 'host' | 'system', actor_name: string | null,
 *   briefing_id: string | null, action: string, details: unknown}} Entry
 */

/**
 * @template {Element} T
 * @param {string} selector
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function find(selector, type) {
  const el = document.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`page element missing: ${selector}`);
  return el;
}

const ui = {
  lang: find('[data-action=lang]', HTMLButtonElement),
  form: find('[data-role=audit-filter]', HTMLFormElement),
  briefing: find('[data-role=audit-briefing]', HTMLSelectElement),
  actor: find('#audit-actor', HTMLInputElement),
  from: find('#audit-from', HTMLInputElement),
  to: find('#audit-to', HTMLInputElement),
  csv: find('[data-action=audit-csv]', HTMLButtonElement),
  error: find('[data-role=audit-error]', HTMLElement),
  status: find('[data-role=audit-status]', HTMLElement),
  table: find('[data-role=audit]', HTMLTableElement),
};

const state = {
  /** @type {Entry[] | null} */
  entries: null,
  loading: false,
  /** @type {unknown} the failed request, shown by problem.js */
  error: null,
  /** @type {Map<string, string>} briefing id -> title */
  titles: new Map(),
};

translateDom();
bindLangButton(ui.lang);
dateField(ui.from);
dateField(ui.to);
onLangChange(render);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
ui.csv.addEventListener('click', () => void download());
void start();

async function start() {
  await loadSession();
  try {
    const briefings = /** @type {{id: string, title: string}[]} */ (await requestJson('GET', '/api/admin/briefings'));
    for (const b of briefings) state.titles.set(b.id, b.title);
  } catch {
    // The filter then offers no briefings; the log itself still loads.
  }
  await load();
}

/** The query string of the filters. */
function query() {
  const params = new URLSearchParams();
  if (ui.briefing.value) params.set('briefing', ui.briefing.value);
  if (ui.actor.value.trim()) params.set('actor', ui.actor.value.trim());
  // Typed day first; sent as the API's YYYY-MM-DD, or as typed for the server to refuse.
  for (const [name, input] of /** @type {const} */ ([['from', ui.from], ['to', ui.to]])) {
    const text = input.value.trim();
    if (text) params.set(name, isoFromDay(text) ?? text);
  }
  return params;
}

async function load() {
  state.loading = true;
  render();
  try {
    const answer = /** @type {{entries: Entry[]}} */ (await requestJson('GET', `/api/admin/audit?${query()}`));
    state.entries = answer.entries;
    state.error = null;
  } catch (err) {
    state.error = err;
  } finally {
    state.loading = false;
  }
  render();
}

async function download() {
  ui.csv.disabled = true;
  try {
    const params = query();
    params.set('format', 'csv');
    const blob = await requestBlob(`/api/admin/audit?${params}`, { accept: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'nhat-ky-thao-tac.csv';
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    state.error = err;
    render();
  } finally {
    ui.csv.disabled = false;
  }
}

/**
 * The label of an action code, or the code itself when the catalogue has none.
 * @param {string} action
 */
function actionLabel(action) {
  const key = `audit.action.${action}`;
  return hasKey(key) ? t(key) : action;
}

/**
 * Details in a line: `key: value` pairs of the route's parameters and body.
 * @param {unknown} details
 */
function detailsText(details) {
  if (details === null || typeof details !== 'object') return details === undefined ? '' : String(details);
  const parts = [];
  for (const [key, value] of Object.entries(details)) {
    if (key === 'params' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== 'id') parts.push(`${k}: ${v}`);
    } else if (key === 'body' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    } else {
      parts.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return parts.join(' · ');
}

function renderBriefings() {
  const chosen = ui.briefing.value;
  const all = document.createElement('option');
  all.value = '';
  all.textContent = t('audit.filter.briefingAll');
  const options = [all];
  for (const [id, title] of state.titles) {
    const option = document.createElement('option');
    option.value = id;
    option.textContent = `${title} (${id})`;
    options.push(option);
  }
  ui.briefing.replaceChildren(...options);
  ui.briefing.value = chosen;
}

function render() {
  renderBriefings();
  ui.error.hidden = state.error === null;
  ui.error.textContent = state.error === null ? '' : t('audit.error', { message: problemText(state.error) });
  const entries = state.entries;
  if (state.loading && entries === null) ui.status.textContent = t('audit.loading');
  else if (entries === null) ui.status.textContent = '';
  else if (entries.length === 0) ui.status.textContent = t('audit.empty');
  else ui.status.textContent = t('audit.count', { count: entries.length });
  ui.table.hidden = !entries || entries.length === 0;

  const body = ui.table.tBodies[0];
  body.replaceChildren();
  for (const entry of entries ?? []) {
    const row = body.insertRow();
    row.dataset.action = entry.action;
    row.insertCell().textContent = formatDateTime(entry.at);
    const kindKey = /** @type {MessageKey} */ (`audit.kind.${entry.actor_kind}`);
    row.insertCell().textContent = hasKey(kindKey) ? t(kindKey) : entry.actor_kind;
    row.insertCell().textContent = entry.actor_name ?? (entry.actor_kind === 'admin' ? t('audit.byCode') : '');
    const briefing = entry.briefing_id ?? '';
    row.insertCell().textContent = state.titles.get(briefing) ?? briefing;
    row.insertCell().textContent = actionLabel(entry.action);
    const details = row.insertCell();
    details.className = 'audit-table__details';
    details.textContent = detailsText(entry.details);
  }
}
