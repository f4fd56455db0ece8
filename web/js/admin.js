// The organiser's page: create a briefing, hand out its invitation links, revoke a link.
//
// The admin cookie (HttpOnly) was set by /admin/login; same-origin fetches carry it.
// Names and titles are user input: they only ever reach the page through textContent.

import { t, translateDom, bindLangButton, onLangChange, formatDateTime } from './i18n.js';
import { ApiError, requestJson } from './api.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {{point: string, role: 'host' | 'point', url: string, revoked?: boolean}} Link */
/** @typedef {{id: string, title: string, scheduled_start?: string | null, links: Link[]}} Briefing */
/** @typedef {{id: string, title: string, links: Link[]}} Created */

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
  host: find('#briefing-host', HTMLInputElement),
  points: find('#briefing-points', HTMLTextAreaElement),
  create: find('[data-action=create]', HTMLButtonElement),
  result: find('[data-role=result]', HTMLElement),
  resultLinks: find('[data-role=result-links]', HTMLElement),
  refresh: find('[data-action=refresh]', HTMLButtonElement),
  listStatus: find('[data-role=list-status]', HTMLElement),
  briefings: find('[data-role=briefings]', HTMLElement),
};

/** @typedef {{key: MessageKey, params?: Record<string, string | number>}} Message */

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
};

main();

function main() {
  translateDom();
  bindLangButton(ui.lang);
  onLangChange(renderAll);
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void create();
  });
  ui.refresh.addEventListener('click', () => void loadList());
  renderAll();
  void loadList();
}

// --- actions ---------------------------------------------------------------------------

async function create() {
  if (state.creating) return;
  const title = ui.title.value.trim();
  const host = ui.host.value.trim();
  const points = ui.points.value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

  for (const field of [ui.title, ui.host, ui.points]) field.removeAttribute('aria-invalid');
  if (!title) return invalid(ui.title, { key: 'admin.validate.title' });
  if (!host) return invalid(ui.host, { key: 'admin.validate.host' });
  if (points.length === 0) return invalid(ui.points, { key: 'admin.validate.points' });
  const seen = new Set([host]);
  for (const name of points) {
    if (seen.has(name)) return invalid(ui.points, { key: 'admin.validate.duplicate', params: { name } });
    seen.add(name);
  }

  /** @type {{title: string, host: string, points: string[], scheduled_start?: string}} */
  const body = { title, host, points };
  const start = rfc3339FromLocalInput(ui.start.value);
  if (start) body.scheduled_start = start;

  state.creating = true;
  renderCreateButton();
  clearMessages();
  try {
    const answer = await requestJson('POST', '/api/admin/briefings', { body });
    state.created = { id: String(answer.id), title, links: Array.isArray(answer.links) ? answer.links : [] };
    state.notice = { key: 'admin.created', params: { title } };
    ui.form.reset();
    renderResult();
    renderMessages();
    ui.result.scrollIntoView({ block: 'nearest' });
    void loadList();
  } catch (err) {
    showApiError(err);
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
}

function renderMessages() {
  const error = state.error;
  ui.error.hidden = error === null;
  ui.error.textContent = error ? t(error.key, error.params) : '';
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
    if (!link.revoked) copyWrap.append(copyButton);
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

/** @param {unknown} err */
function showApiError(err) {
  if (!(err instanceof ApiError)) {
    console.warn('giaoban:', err);
    state.error = { key: 'admin.error.network' };
  } else {
    const code = err.code;
    if (err.status === 0) state.error = { key: 'admin.error.network', code };
    else if (err.status === 401) state.error = { key: 'admin.error.unauthorized', code };
    else if (err.status === 403) state.error = { key: 'admin.error.forbidden', code };
    else if (err.status === 404) state.error = { key: 'admin.error.notFound', code };
    else if (err.status === 413) state.error = { key: 'admin.error.tooLarge', code };
    else if (err.status === 400 || err.status === 422) {
      state.error = { key: 'admin.error.invalid', params: { detail: err.message || code }, code };
    } else state.error = { key: 'admin.error.server', params: { status: err.status }, code };
  }
  state.notice = null;
  renderMessages();
}

/**
 * A `datetime-local` value (local wall time) as RFC 3339 with this browser's UTC offset.
 * @param {string} value e.g. `2026-12-01T08:00`
 * @returns {string | null}
 */
function rfc3339FromLocalInput(value) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const withSeconds = /T\d\d:\d\d$/.test(value) ? `${value}:00` : value;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${withSeconds}${sign}${hours}:${minutes}`;
}
