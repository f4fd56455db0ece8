// The organiser's page: create a briefing, hand out its invitation links, revoke a link, keep
// the units ("đơn vị") a briefing can invite, and read the units' participation statistics.
//
// The admin cookie (HttpOnly) was set by /admin/login; same-origin fetches carry it.
// Names and titles are user input: they only ever reach the page through textContent.

import { t, translateDom, bindLangButton, onLangChange, formatDateTime, formatNumber, locale } from './i18n.js';
import { formatFraction } from './numbers.js';
import { ApiError, requestBlob, requestJson, readApiError } from './api.js';
import { messageText, problemMessage, problemPath } from './problem.js';
import { dateField, parseDayTime } from './date-field.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {{point: string, role: 'host' | 'point', url: string, revoked?: boolean, unit_code?: string}} Link */
/** @typedef {{code: string, name: string, parent_code: string | null, emails: string[]}} Unit */
/** @typedef {{inserted: number, updated: number, unchanged: number}} ImportReport */
/** @typedef {{id: string, title: string, scheduled_start?: string | null, links: Link[]}} Briefing */
/** @typedef {{id: string, title: string, links: Link[]}} Created */
/** @typedef {import('./dossier-api.js').UnitStatistics} UnitStatistics */

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
  error: find('[data-role=error]', HTMLElement),
  notice: find('[data-role=notice]', HTMLElement),
  lang: find('[data-action=lang]', HTMLButtonElement),
  form: find('[data-role=create-form]', HTMLFormElement),
  title: find('#briefing-title', HTMLInputElement),
  start: find('#briefing-start', HTMLInputElement),
  reportDeadline: find('#briefing-report-deadline', HTMLInputElement),
  series: find('#briefing-series', HTMLInputElement),
  host: find('#briefing-host', HTMLInputElement),
  hostUnit: find('[data-role=host-unit]', HTMLSelectElement),
  points: find('#briefing-points', HTMLTextAreaElement),
  pickerStatus: find('[data-role=unit-picker-status]', HTMLElement),
  pickerTools: find('[data-role=unit-picker-tools]', HTMLElement),
  pickAll: find('[data-action=units-all]', HTMLButtonElement),
  pickNone: find('[data-action=units-none]', HTMLButtonElement),
  unitCheckboxes: find('[data-role=unit-checkboxes]', HTMLElement),
  create: find('[data-action=create]', HTMLButtonElement),
  result: find('[data-role=result]', HTMLElement),
  resultLinks: find('[data-role=result-links]', HTMLElement),
  refresh: find('[data-action=refresh]', HTMLButtonElement),
  listStatus: find('[data-role=list-status]', HTMLElement),
  briefings: find('[data-role=briefings]', HTMLElement),
  unitsError: find('[data-role=units-error]', HTMLElement),
  unitsNotice: find('[data-role=units-notice]', HTMLElement),
  unitsForm: find('[data-role=units-form]', HTMLFormElement),
  unitsFile: find('#units-file', HTMLInputElement),
  unitsCsv: find('#units-csv', HTMLTextAreaElement),
  unitsImport: find('[data-action=units-import]', HTMLButtonElement),
  unitsRefresh: find('[data-action=units-refresh]', HTMLButtonElement),
  unitsStatus: find('[data-role=units-status]', HTMLElement),
  unitsTree: find('[data-role=units-tree]', HTMLElement),
  statsLoad: find('[data-action=statistics-load]', HTMLButtonElement),
  statsCsv: find('[data-action=statistics-csv]', HTMLButtonElement),
  statsError: find('[data-role=statistics-error]', HTMLElement),
  statsStatus: find('[data-role=statistics-status]', HTMLElement),
  stats: find('[data-role=statistics]', HTMLTableElement),
};

/** @typedef {import('./problem.js').Message} Message */

const state = {
  /** @type {(Message & {code?: string}) | null} */
  error: null,
  /** @type {Message | null} */
  notice: null,
  /** @type {Created | null} */
  created: null,
  /** @type {Briefing[] | null} null until the first load */
  briefings: null,
  loading: false,
  creating: false,
  /** @type {Unit[] | null} in tree order (parents first); null until the first load */
  units: null,
  unitsLoading: false,
  importing: false,
  /** @type {(Message & {code?: string}) | null} */
  unitsError: null,
  /** @type {Message | null} */
  unitsNotice: null,
  /** Codes of the units ticked as points of the briefing being created. */
  picked: new Set(/** @type {string[]} */ ([])),
  /** Code of the unit chosen as host, '' for a host given by name. */
  hostUnit: '',
  /** @type {UnitStatistics[] | null} null until the first load */
  stats: null,
  statsLoading: false,
  /** @type {(Message & {code?: string}) | null} */
  statsError: null,
};

/** Most ticked units shown before the list scrolls: a province has hundreds of communes. */
const PICKER_MAX_HEIGHT = '20rem';

main();

function main() {
  translateDom();
  bindLangButton(ui.lang);
  dateField(ui.start, { withTime: true });
  dateField(ui.reportDeadline, { withTime: true });
  onLangChange(renderAll);
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void create();
  });
  ui.refresh.addEventListener('click', () => void loadList());
  ui.hostUnit.addEventListener('change', () => {
    state.hostUnit = ui.hostUnit.value;
    state.picked.delete(state.hostUnit);
    renderUnitPicker();
  });
  ui.pickAll.addEventListener('click', () => {
    for (const unit of state.units ?? []) if (unit.code !== state.hostUnit) state.picked.add(unit.code);
    renderUnitPicker();
  });
  ui.pickNone.addEventListener('click', () => {
    state.picked.clear();
    renderUnitPicker();
  });
  // Set through the CSSOM: the page's style sheet has no rule for this list, and the
  // Content-Security-Policy forbids inline style attributes, not style properties.
  ui.unitCheckboxes.style.maxHeight = PICKER_MAX_HEIGHT;
  ui.unitCheckboxes.style.overflowY = 'auto';
  ui.unitsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void importUnits();
  });
  ui.unitsRefresh.addEventListener('click', () => void loadUnits());
  ui.statsLoad.addEventListener('click', () => void loadStatistics());
  ui.statsCsv.addEventListener('click', () => void downloadStatistics());
  renderAll();
  void loadList();
  void loadUnits();
  void loadStatistics();
}

// --- actions ---------------------------------------------------------------------------

async function create() {
  if (state.creating) return;
  const title = ui.title.value.trim();
  const hostUnit = unitByCode(state.hostUnit);
  const host = hostUnit ? hostUnit.name : ui.host.value.trim();
  const points = ui.points.value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // In tree order, as listed on the page.
  const units = (state.units ?? []).filter((u) => state.picked.has(u.code) && u.code !== hostUnit?.code);

  for (const field of [ui.title, ui.host, ui.points, ui.start, ui.reportDeadline, ui.series]) field.removeAttribute('aria-invalid');
  if (!title) return invalid(ui.title, { key: 'admin.validate.title' });
  if (!host) return invalid(ui.host, { key: 'admin.validate.host' });
  if (points.length === 0 && units.length === 0) return invalid(ui.points, { key: 'admin.validate.points' });
  const seen = new Set([host]);
  for (const name of [...points, ...units.map((u) => u.name)]) {
    if (seen.has(name)) return invalid(ui.points, { key: 'admin.validate.duplicate', params: { name } });
    seen.add(name);
  }

  /** @type {{title: string, host?: string, host_unit?: string, points: string[], units?: string[], scheduled_start?: string, report_deadline?: string, series?: string}} */
  const body = { title, points };
  if (hostUnit) body.host_unit = hostUnit.code;
  else body.host = host;
  if (units.length > 0) body.units = units.map((u) => u.code);
  // Sent as typed, day first: the server reads it in Vietnam time and names the field it cannot.
  const start = typedDayTime(ui.start);
  if (start) body.scheduled_start = start;
  const reportDeadline = typedDayTime(ui.reportDeadline);
  if (reportDeadline) body.report_deadline = reportDeadline;
  const series = ui.series.value.trim();
  if (series) body.series = series;

  state.creating = true;
  renderCreateButton();
  clearMessages();
  try {
    const answer = await requestJson('POST', '/api/admin/briefings', { body });
    state.created = { id: String(answer.id), title, links: Array.isArray(answer.links) ? answer.links : [] };
    state.notice = { key: 'admin.created', params: { title } };
    ui.form.reset();
    state.picked.clear();
    state.hostUnit = '';
    renderUnitPicker();
    renderResult();
    renderMessages();
    ui.result.scrollIntoView({ block: 'nearest' });
    void loadList();
  } catch (err) {
    showApiError(err);
    markCreateField(err);
  } finally {
    state.creating = false;
    renderCreateButton();
  }
}

/**
 * @param {HTMLInputElement | HTMLTextAreaElement} field
 * @param {Message} message
 */
function invalid(field, message) {
  field.setAttribute('aria-invalid', 'true');
  state.error = message;
  state.notice = null;
  renderMessages();
  field.focus();
}

async function loadList() {
  if (state.loading) return;
  state.loading = true;
  renderList();
  try {
    const list = await requestJson('GET', '/api/admin/briefings');
    state.briefings = Array.isArray(list) ? list : [];
  } catch (err) {
    showApiError(err);
  } finally {
    state.loading = false;
    renderList();
  }
}

async function loadUnits() {
  if (state.unitsLoading) return;
  state.unitsLoading = true;
  renderUnits();
  try {
    const list = await requestJson('GET', '/api/admin/units');
    state.units = Array.isArray(list) ? list : [];
    const codes = new Set(state.units.map((u) => u.code));
    for (const code of [...state.picked]) if (!codes.has(code)) state.picked.delete(code);
    if (!codes.has(state.hostUnit)) state.hostUnit = '';
  } catch (err) {
    state.unitsError = apiErrorMessage(err);
    state.unitsNotice = null;
  } finally {
    state.unitsLoading = false;
    renderUnits();
    renderUnitPicker();
  }
}

/** Sends the chosen file, or else the pasted text, to the import endpoint. */
async function importUnits() {
  if (state.importing) return;
  const file = ui.unitsFile.files?.[0] ?? null;
  const text = ui.unitsCsv.value;
  ui.unitsCsv.removeAttribute('aria-invalid');
  if (!file && text.trim() === '') {
    state.unitsError = { key: 'admin.units.validate.empty' };
    state.unitsNotice = null;
    renderUnitsMessages();
    ui.unitsCsv.setAttribute('aria-invalid', 'true');
    ui.unitsFile.focus();
    return;
  }

  state.importing = true;
  state.unitsError = null;
  state.unitsNotice = null;
  renderUnitsMessages();
  renderImportButton();
  try {
    /** @type {ImportReport} */
    const report = await postCsv('/api/admin/units/import', file ?? text);
    state.unitsNotice = {
      key: 'admin.units.imported',
      params: {
        inserted: formatNumber(report.inserted),
        updated: formatNumber(report.updated),
        unchanged: formatNumber(report.unchanged),
      },
    };
    ui.unitsForm.reset();
    void loadUnits();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 400 || err.status === 422)) {
      // The problem names the line and the field of the file.
      state.unitsError = { key: 'admin.units.import.invalid', problem: err, code: err.code };
    } else if (err instanceof ApiError && err.status === 413) {
      state.unitsError = { key: 'admin.units.import.tooLarge', code: err.code };
    } else {
      state.unitsError = apiErrorMessage(err);
    }
  } finally {
    state.importing = false;
    renderUnitsMessages();
    renderImportButton();
  }
}

/**
 * POSTs a CSV body and returns the parsed JSON answer.
 * @param {string} path same-origin path
 * @param {Blob | string} body a file as chosen (sent byte for byte) or text (sent as UTF-8)
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
async function postCsv(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'text/csv; charset=utf-8' },
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!response.ok) throw await readApiError(response);
  try {
    return await response.json();
  } catch {
    throw new ApiError(response.status, 'bad_response', 'the answer is not JSON');
  }
}

/**
 * @param {Briefing} briefing
 * @param {Link} link
 * @param {HTMLButtonElement} button
 */
async function revoke(briefing, link, button) {
  button.disabled = true;
  clearMessages();
  try {
    await requestJson('POST', `/api/admin/briefings/${encodeURIComponent(briefing.id)}/revoke`, {
      body: { point: link.point },
    });
    link.revoked = true;
    state.notice = { key: 'admin.revoke.done', params: { point: link.point } };
    renderMessages();
    renderList();
    void loadList();
  } catch (err) {
    button.disabled = false;
    showApiError(err);
  }
}

/**
 * @param {HTMLInputElement} input the field holding the URL
 * @param {HTMLButtonElement} button
 */
async function copy(input, button) {
  let done = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      done = true;
    }
  } catch {
    // Permission refused: try the selection below.
  }
  if (!done) {
    input.focus();
    input.select();
    try {
      done = document.execCommand('copy');
    } catch {
      done = false;
    }
  }
  if (!done) {
    state.error = { key: 'admin.copy.failed' };
    renderMessages();
    return;
  }
  button.textContent = t('admin.copied');
  button.dataset.copied = 'true';
  setTimeout(() => {
    button.textContent = t('admin.copy');
    delete button.dataset.copied;
  }, 2000);
}

// --- rendering -------------------------------------------------------------------------

function renderAll() {
  renderMessages();
  renderCreateButton();
  renderResult();
  renderList();
  renderUnitPicker();
  renderUnits();
  renderImportButton();
  renderStatistics();
}

function renderMessages() {
  const error = state.error;
  ui.error.hidden = error === null;
  ui.error.textContent = error ? messageText(error) : '';
  if (error?.code) ui.error.dataset.code = error.code;
  else delete ui.error.dataset.code;
  const notice = state.notice;
  ui.notice.hidden = notice === null;
  ui.notice.textContent = notice ? t(notice.key, notice.params) : '';
}

function clearMessages() {
  state.error = null;
  state.notice = null;
  renderMessages();
}

function renderCreateButton() {
  ui.create.disabled = state.creating;
  ui.create.textContent = state.creating ? t('admin.create.busy') : t('admin.create.submit');
}

function renderResult() {
  const created = state.created;
  ui.result.hidden = created === null;
  if (!created) return;
  ui.result.dataset.briefingId = created.id;
  ui.resultLinks.replaceChildren(linksTable(created.links, null));
}

function renderList() {
  const list = state.briefings;
  if (list === null) {
    ui.listStatus.textContent = state.loading ? t('admin.list.loading') : '';
    ui.listStatus.hidden = !state.loading;
    ui.briefings.replaceChildren();
    return;
  }
  ui.listStatus.hidden = list.length > 0;
  ui.listStatus.textContent = list.length === 0 ? t('admin.list.empty') : '';
  ui.briefings.replaceChildren(...list.map(briefingCard));
}

/** @param {Briefing} briefing */
function briefingCard(briefing) {
  const article = document.createElement('article');
  article.className = 'briefing';
  article.dataset.briefingId = briefing.id;

  const head = document.createElement('header');
  head.className = 'briefing__head';
  const title = document.createElement('h3');
  title.textContent = briefing.title;
  const when = document.createElement('p');
  when.className = 'muted';
  const time = formatDateTime(briefing.scheduled_start);
  when.textContent = time ? t('admin.start', { time }) : t('admin.start.none');
  head.append(title, when);

  article.append(head, linksTable(briefing.links ?? [], briefing));
  return article;
}

/**
 * The links of one briefing: point, role, URL with a copy button, and (for a listed
 * briefing) the status with a revoke button.
 * @param {Link[]} links
 * @param {Briefing | null} briefing null for the result of a creation (nothing to revoke yet)
 */
function linksTable(links, briefing) {
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  const table = document.createElement('table');
  table.className = 'links';

  const headRow = document.createElement('tr');
  /** @type {MessageKey[]} */
  const columns = ['admin.col.point', 'admin.col.role', 'admin.col.link'];
  if (briefing) columns.push('admin.col.status');
  for (const key of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = t(key);
    headRow.append(th);
  }
  const thead = document.createElement('thead');
  thead.append(headRow);

  const tbody = document.createElement('tbody');
  for (const link of links) {
    const row = document.createElement('tr');
    row.dataset.point = link.point;
    row.dataset.role = link.role;
    if (link.revoked) row.dataset.revoked = 'true';

    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = link.point;
    if (link.unit_code) {
      row.dataset.unitCode = link.unit_code;
      const code = document.createElement('span');
      code.className = 'muted';
      code.textContent = ` (${link.unit_code})`;
      name.append(code);
    }

    const role = document.createElement('td');
    role.textContent = link.role === 'host' ? t('role.host') : t('role.point');

    const urlCell = document.createElement('td');
    urlCell.className = 'links__url';
    const input = document.createElement('input');
    input.type = 'text';
    input.readOnly = true;
    input.value = link.url;
    input.dataset.role = 'link-url';
    input.setAttribute('aria-label', t('admin.link.label', { point: link.point }));
    input.addEventListener('focus', () => input.select());
    const copyButton = document.createElement('button');
    copyButton.type = 'button';
    copyButton.className = 'btn btn--secondary btn--small';
    copyButton.dataset.action = 'copy';
    copyButton.textContent = t('admin.copy');
    copyButton.setAttribute('aria-label', t('admin.copy.label', { point: link.point }));
    copyButton.addEventListener('click', () => void copy(input, copyButton));
    const copyWrap = document.createElement('div');
    copyWrap.className = 'links__copy';
    copyWrap.append(input);
    if (!link.revoked) {
      copyWrap.append(copyButton);
      // The same token opens the briefing's dossier: agenda, reports, tasks, minutes.
      const dossier = document.createElement('a');
      dossier.className = 'btn btn--secondary btn--small';
      dossier.dataset.role = 'dossier-link';
      dossier.href = link.url.replace('/j/', '/d/');
      dossier.target = '_blank';
      dossier.rel = 'noopener';
      dossier.textContent = t('admin.dossier');
      dossier.setAttribute('aria-label', t('admin.dossier.label', { point: link.point }));
      copyWrap.append(dossier);
    }
    urlCell.append(copyWrap);

    row.append(name, role, urlCell);

    if (briefing) {
      const status = document.createElement('td');
      status.className = 'links__status';
      const text = document.createElement('span');
      text.className = link.revoked ? 'status status--revoked' : 'status status--active';
      text.textContent = link.revoked ? t('admin.status.revoked') : t('admin.status.active');
      status.append(text);
      if (!link.revoked) {
        const revokeButton = document.createElement('button');
        revokeButton.type = 'button';
        revokeButton.className = 'btn btn--danger-outline btn--small';
        revokeButton.dataset.action = 'revoke';
        revokeButton.textContent = t('admin.revoke');
        revokeButton.setAttribute('aria-label', t('admin.revoke.label', { point: link.point }));
        revokeButton.addEventListener('click', () => void revoke(briefing, link, revokeButton));
        status.append(revokeButton);
      }
      row.append(status);
    }
    tbody.append(row);
  }

  table.append(thead, tbody);
  wrap.append(table);
  return wrap;
}

// --- units ---------------------------------------------------------------------------

/** @param {string} code @returns {Unit | undefined} */
function unitByCode(code) {
  if (!code) return undefined;
  return state.units?.find((u) => u.code === code);
}

/**
 * The depth of every unit in the tree: 0 for a root. `units` is in tree order, so a parent's
 * depth is known before its children's.
 * @param {Unit[]} units
 * @returns {Map<string, number>}
 */
function depths(units) {
  /** @type {Map<string, number>} */
  const depth = new Map();
  for (const unit of units) {
    const parent = unit.parent_code === null ? undefined : depth.get(unit.parent_code);
    depth.set(unit.code, parent === undefined ? 0 : parent + 1);
  }
  return depth;
}

/**
 * Nested lists that follow the unit tree, one item per unit made by `item`.
 * @param {Unit[]} units in tree order
 * @param {(unit: Unit) => HTMLLIElement} item
 * @returns {HTMLUListElement}
 */
function unitTree(units, item) {
  const root = document.createElement('ul');
  /** @type {Map<string, HTMLLIElement>} */
  const items = new Map();
  /** @type {Map<string, HTMLUListElement>} */
  const childLists = new Map();
  for (const unit of units) {
    const li = item(unit);
    li.dataset.code = unit.code;
    items.set(unit.code, li);
    const parent = unit.parent_code === null ? undefined : items.get(unit.parent_code);
    if (!parent || unit.parent_code === null) {
      root.append(li);
      continue;
    }
    let list = childLists.get(unit.parent_code);
    if (!list) {
      list = document.createElement('ul');
      childLists.set(unit.parent_code, list);
      parent.append(list);
    }
    list.append(li);
  }
  return root;
}

/** The host-unit choice and the unit checkboxes of the create form. */
function renderUnitPicker() {
  const units = state.units ?? [];
  const depth = depths(units);

  const none = document.createElement('option');
  none.value = '';
  none.textContent = t('admin.field.hostUnit.none');
  const options = units.map((unit) => {
    const option = document.createElement('option');
    option.value = unit.code;
    // Options hold text only: the tree shows as leading no-break spaces.
    option.textContent = `${'\u00a0\u00a0\u00a0'.repeat(depth.get(unit.code) ?? 0)}${unit.name} (${unit.code})`;
    return option;
  });
  ui.hostUnit.replaceChildren(none, ...options);
  ui.hostUnit.value = state.hostUnit;
  ui.hostUnit.disabled = units.length === 0;
  ui.host.disabled = state.hostUnit !== '';
  ui.host.required = state.hostUnit === '';
  ui.points.required = state.picked.size === 0;

  ui.pickerTools.hidden = units.length === 0;
  if (state.units === null) {
    ui.pickerStatus.textContent = state.unitsLoading ? t('admin.units.loading') : '';
  } else if (units.length === 0) {
    ui.pickerStatus.textContent = t('admin.units.pickerEmpty');
  } else {
    ui.pickerStatus.textContent = t('admin.units.picked', {
      count: formatNumber(state.picked.size),
      total: formatNumber(units.length),
    });
  }

  if (units.length === 0) {
    ui.unitCheckboxes.replaceChildren();
    return;
  }
  ui.unitCheckboxes.replaceChildren(
    unitTree(units, (unit) => {
      const li = document.createElement('li');
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = unit.code;
      box.dataset.role = 'unit-checkbox';
      const isHost = unit.code === state.hostUnit;
      box.checked = isHost || state.picked.has(unit.code);
      box.disabled = isHost;
      box.addEventListener('change', () => {
        if (box.checked) state.picked.add(unit.code);
        else state.picked.delete(unit.code);
        ui.points.required = state.picked.size === 0;
        ui.pickerStatus.textContent = t('admin.units.picked', {
          count: formatNumber(state.picked.size),
          total: formatNumber(units.length),
        });
      });
      const code = document.createElement('span');
      code.className = 'muted';
      code.textContent = isHost ? ` (${unit.code}) ${t('admin.units.isHost')}` : ` (${unit.code})`;
      label.append(box, ` ${unit.name}`, code);
      li.append(label);
      return li;
    }),
  );
}

/** The units section: its messages, status and the tree with codes and mailboxes. */
function renderUnits() {
  renderUnitsMessages();
  const units = state.units;
  if (units === null) {
    ui.unitsStatus.hidden = !state.unitsLoading;
    ui.unitsStatus.textContent = state.unitsLoading ? t('admin.units.loading') : '';
    ui.unitsTree.replaceChildren();
    return;
  }
  ui.unitsStatus.hidden = false;
  ui.unitsStatus.textContent =
    units.length === 0 ? t('admin.units.empty') : t('admin.units.count', { count: formatNumber(units.length) });
  if (units.length === 0) {
    ui.unitsTree.replaceChildren();
    return;
  }
  ui.unitsTree.replaceChildren(
    unitTree(units, (unit) => {
      const li = document.createElement('li');
      const name = document.createElement('strong');
      name.textContent = unit.name;
      const code = document.createElement('code');
      code.textContent = unit.code;
      const mail = document.createElement('div');
      mail.className = 'muted';
      mail.dataset.role = 'unit-emails';
      mail.textContent =
        unit.emails.length > 0 ? t('admin.units.emails', { emails: unit.emails.join(', ') }) : t('admin.units.noEmail');
      li.append(name, ' ', code, mail);
      return li;
    }),
  );
}

function renderUnitsMessages() {
  const error = state.unitsError;
  ui.unitsError.hidden = error === null;
  ui.unitsError.textContent = error ? messageText(error) : '';
  if (error?.code) ui.unitsError.dataset.code = error.code;
  else delete ui.unitsError.dataset.code;
  const notice = state.unitsNotice;
  ui.unitsNotice.hidden = notice === null;
  ui.unitsNotice.textContent = notice ? t(notice.key, notice.params) : '';
}

function renderImportButton() {
  ui.unitsImport.disabled = state.importing;
  ui.unitsImport.textContent = state.importing ? t('admin.units.import.busy') : t('admin.units.import');
}

// --- participation statistics --------------------------------------------------------

async function loadStatistics() {
  if (state.statsLoading) return;
  state.statsLoading = true;
  ui.statsLoad.disabled = true;
  renderStatistics();
  try {
    const list = await requestJson('GET', '/api/admin/statistics');
    state.stats = Array.isArray(list) ? list : [];
    state.statsError = null;
  } catch (err) {
    state.statsError = apiErrorMessage(err);
  } finally {
    state.statsLoading = false;
    ui.statsLoad.disabled = false;
    renderStatistics();
  }
}

/** Fetches the CSV with the admin cookie and hands it to the browser as a download. */
async function downloadStatistics() {
  if (ui.statsCsv.disabled) return;
  ui.statsCsv.disabled = true;
  try {
    const blob = await requestBlob('/api/admin/statistics?format=csv', { accept: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'thong-ke-tham-gia.csv';
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    state.statsError = null;
  } catch (err) {
    state.statsError = apiErrorMessage(err);
  } finally {
    ui.statsCsv.disabled = false;
    renderStatistics();
  }
}

function renderStatistics() {
  const error = state.statsError;
  ui.statsError.hidden = error === null;
  ui.statsError.textContent = error ? messageText(error) : '';
  if (error?.code) ui.statsError.dataset.code = error.code;
  else delete ui.statsError.dataset.code;

  const list = state.stats;
  if (list === null) {
    ui.statsStatus.textContent = state.statsLoading ? t('admin.stats.loading') : '';
    ui.stats.hidden = true;
    return;
  }
  ui.statsStatus.textContent =
    list.length === 0 ? t('admin.stats.empty') : t('admin.stats.count', { count: formatNumber(list.length) });
  ui.stats.hidden = list.length === 0;
  /** @param {number | null | undefined} n */
  const count = (n) => (typeof n === 'number' ? formatNumber(n) : '—');
  ui.stats.tBodies[0].replaceChildren(
    ...list.map((s) => {
      const row = document.createElement('tr');
      row.dataset.unitCode = s.unit_code;
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = s.unit;
      const code = document.createElement('span');
      code.className = 'muted';
      code.textContent = ` (${s.unit_code})`;
      name.append(code);
      row.append(name);
      const rate = formatFraction(s.attendance_rate, locale());
      for (const [key, text] of /** @type {[string, string][]} */ ([
        ['invited', count(s.briefings_invited)],
        ['attended', count(s.briefings_attended)],
        ['rate', rate],
        ['reports-due', count(s.reports_due)],
        ['reports-on-time', count(s.reports_on_time)],
        ['tasks-owned', count(s.tasks_owned)],
        ['tasks-done', count(s.tasks_done)],
        ['tasks-on-time', count(s.tasks_done_on_time)],
        ['concerns', count(s.concerns_raised)],
        ['proposals', count(s.proposals_raised)],
      ])) {
        const cell = document.createElement('td');
        cell.className = 'num';
        cell.dataset.col = key;
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}

/** @param {unknown} err */
function showApiError(err) {
  state.error = apiErrorMessage(err);
  state.notice = null;
  renderMessages();
}

/**
 * The message to show for a failed request (see problem.js).
 * @param {unknown} err
 * @returns {Message}
 */
function apiErrorMessage(err) {
  return problemMessage(err);
}

/**
 * What was typed in a date field, written in full when it is a date and time.
 * @param {HTMLInputElement} input
 * @returns {string}
 */
function typedDayTime(input) {
  const text = input.value.trim();
  return parseDayTime(text) ?? text;
}

/**
 * Marks the input of the create form that a refused request names by its field path.
 * @param {unknown} err
 */
function markCreateField(err) {
  const [field] = problemPath(err);
  /** @type {Record<string, HTMLInputElement | HTMLTextAreaElement>} */
  const inputs = {
    title: ui.title,
    host: ui.host,
    points: ui.points,
    scheduled_start: ui.start,
    report_deadline: ui.reportDeadline,
    series: ui.series,
  };
  const input = typeof field === 'string' ? inputs[field] : undefined;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}
