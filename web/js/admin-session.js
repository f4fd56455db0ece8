// The admin session in the top bar of the admin pages: who is logged in, and logging out.
// GET /api/admin/me says who; POST /api/admin/logout ends the session on the server.

import { t, onLangChange } from './i18n.js';
import { requestJson } from './api.js';

/**
 * @typedef {{name: string | null, logged_in_at: string, last_seen_at: string, current: boolean}} OpenSession
 * @typedef {{name: string | null, by_code: boolean, expires_at: string, accounts: number, sessions: OpenSession[]}} Me
 */

/** @type {Me | null} */
let me = null;

/**
 * Shows who is logged in in `[data-role=who]`, binds `[data-action=logout]`, and returns this
 * session; on a session that ended, goes to the login page.
 * @returns {Promise<Me | null>}
 */
export async function loadSession() {
  const logout = document.querySelector('[data-action=logout]');
  if (logout instanceof HTMLButtonElement && !logout.dataset.bound) {
    logout.dataset.bound = '1';
    logout.addEventListener('click', () => void logOut());
  }
  onLangChange(renderWho);
  try {
    me = /** @type {Me} */ (await requestJson('GET', '/api/admin/me'));
  } catch (err) {
    if (/** @type {{status?: number}} */ (err).status === 401) window.location.assign('/admin/login');
    return null;
  }
  renderWho();
  return me;
}

async function logOut() {
  try {
    await requestJson('POST', '/api/admin/logout');
  } finally {
    window.location.assign('/admin/login');
  }
}

function renderWho() {
  const who = document.querySelector('[data-role=who]');
  if (!(who instanceof HTMLElement) || me === null) return;
  who.textContent = me.name === null ? t('session.byCode') : t('session.who', { name: me.name });
  who.hidden = false;
}
