// The admin page's accounts card and session bar: who is logged in, the admin accounts
// (disable, enable, add), and, for a session opened with a one-time link on a server without
// accounts, the call to create the first one.

import { t, onLangChange, formatDateTime } from './i18n.js';
import { requestJson } from './api.js';
import { problemText } from './problem.js';
import { loadSession } from './admin-session.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./admin-session.js').Me} Me */
/** @typedef {{id: number, name: string, created_at: string, disabled: boolean}} Account */

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
  setup: find('[data-role=accounts-setup]', HTMLElement),
  error: find('[data-role=accounts-error]', HTMLElement),
  notice: find('[data-role=accounts-notice]', HTMLElement),
  table: find('[data-role=accounts]', HTMLTableElement),
  sessions: find('[data-role=sessions]', HTMLElement),
  form: find('[data-role=account-form]', HTMLFormElement),
  name: find('#account-name', HTMLInputElement),
  password: find('#account-password', HTMLInputElement),
  again: find('#account-again', HTMLInputElement),
  create: find('[data-action=account-create]', HTMLButtonElement),
};

/** @typedef {{key: MessageKey, params?: Record<string, string | number>}} Message */

const state = {
  /** @type {Me | null} */
  me: null,
  /** @type {Account[]} */
  accounts: [],
  /** @type {Message | null} */
  error: null,
  /** @type {Message | null} */
  notice: null,
};

onLangChange(render);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void create();
});
void load();

async function load() {
  state.me = await loadSession();
  try {
    state.accounts = /** @type {Account[]} */ (await requestJson('GET', '/api/admin/accounts'));
  } catch (err) {
    state.error = failure(err);
  }
  render();
}

async function create() {
  const name = ui.name.value.trim();
  if (ui.password.value !== ui.again.value) {
    state.error = { key: 'accounts.create.mismatch' };
    state.notice = null;
    render();
    return;
  }
  ui.create.disabled = true;
  try {
    await requestJson('POST', '/api/admin/accounts', { body: { name, password: ui.password.value } });
    ui.form.reset();
    state.error = null;
    state.notice = { key: 'accounts.created', params: { name } };
    await load();
  } catch (err) {
    state.error = failure(err);
    state.notice = null;
  } finally {
    ui.create.disabled = false;
  }
  render();
}

/**
 * @param {Account} account
 */
async function toggle(account) {
  try {
    await requestJson('POST', `/api/admin/accounts/${encodeURIComponent(account.name)}/disabled`, {
      body: { disabled: !account.disabled },
    });
    state.error = null;
    await load();
  } catch (err) {
    state.error = failure(err);
    render();
  }
}

/**
 * @param {unknown} err
 * @returns {Message}
 */
function failure(err) {
  return { key: 'accounts.error', params: { message: problemText(err) } };
}

function render() {
  const me = state.me;
  ui.setup.hidden = !(me?.by_code && me.accounts === 0);
  ui.error.hidden = state.error === null;
  ui.error.textContent = state.error ? t(state.error.key, state.error.params) : '';
  ui.notice.hidden = state.notice === null;
  ui.notice.textContent = state.notice ? t(state.notice.key, state.notice.params) : '';

  const body = ui.table.tBodies[0];
  body.replaceChildren();
  if (state.accounts.length === 0) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.className = 'muted';
    cell.textContent = t('accounts.none');
  }
  for (const account of state.accounts) {
    const row = body.insertRow();
    row.dataset.account = account.name;
    row.insertCell().textContent = account.name;
    row.insertCell().textContent = formatDateTime(account.created_at);
    row.insertCell().textContent = t(account.disabled ? 'accounts.disabled' : 'accounts.active');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = account.disabled ? 'btn btn--secondary btn--small' : 'btn btn--danger-outline btn--small';
    button.textContent = t(account.disabled ? 'accounts.enable' : 'accounts.disable');
    button.addEventListener('click', () => void toggle(account));
    row.insertCell().append(button);
  }

  ui.sessions.replaceChildren(
    ...(me?.sessions ?? []).map((session) => {
      const item = document.createElement('li');
      const name = session.name ?? t('accounts.sessions.byCode');
      item.textContent =
        t('accounts.sessions.item', {
          name,
          since: formatDateTime(session.logged_in_at),
          seen: formatDateTime(session.last_seen_at),
        }) + (session.current ? t('accounts.sessions.you') : '');
      return item;
    }),
  );
}
