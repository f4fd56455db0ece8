// The admin login page: a name and a password, sent to POST /api/admin/login, which sets the
// session cookie (HttpOnly); then on to /admin.

import { t, translateDom, bindLangButton, onLangChange } from './i18n.js';
import { ApiError, requestJson } from './api.js';
import { problemText } from './problem.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */

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
  form: find('[data-role=login-form]', HTMLFormElement),
  name: find('#login-name', HTMLInputElement),
  password: find('#login-password', HTMLInputElement),
  submit: find('[data-action=login]', HTMLButtonElement),
  error: find('[data-role=error]', HTMLElement),
  lang: find('[data-action=lang]', HTMLButtonElement),
};

/** @type {{key: MessageKey, params?: Record<string, string | number>, code?: string} | null} */
let error = null;
let busy = false;

translateDom();
bindLangButton(ui.lang);
onLangChange(render);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void login();
});
render();

async function login() {
  if (busy) return;
  const name = ui.name.value.trim();
  const password = ui.password.value;
  if (name === '' || password === '') {
    error = { key: 'login.error.missing' };
    render();
    return;
  }
  busy = true;
  error = null;
  render();
  try {
    await requestJson('POST', '/api/admin/login', { body: { name, password } });
    window.location.assign('/admin');
    return;
  } catch (err) {
    error = messageOf(err);
    ui.password.value = '';
    ui.password.focus();
  } finally {
    busy = false;
  }
  render();
}

/**
 * @param {unknown} err
 * @returns {{key: MessageKey, params?: Record<string, string | number>, code?: string}}
 */
function messageOf(err) {
  if (!(err instanceof ApiError)) return { key: 'login.error.other', params: { message: problemText(err) } };
  if (err.code === 'invalid_login') return { key: 'login.error.invalid', code: err.code };
  if (err.code === 'too_many_logins') {
    const minutes = err.params.minutes ?? 15;
    return { key: 'login.error.throttled', params: { minutes }, code: err.code };
  }
  return { key: 'login.error.other', params: { message: problemText(err) }, code: err.code };
}

function render() {
  ui.error.hidden = error === null;
  ui.error.textContent = error ? t(error.key, error.params) : '';
  if (error?.code) ui.error.dataset.code = error.code;
  else delete ui.error.dataset.code;
  ui.submit.disabled = busy;
  ui.submit.textContent = t(busy ? 'login.busy' : 'login.submit');
  ui.name.setAttribute('aria-invalid', String(error?.code === 'invalid_login'));
  ui.password.setAttribute('aria-invalid', String(error?.code === 'invalid_login'));
}
