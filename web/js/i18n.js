// Translation of UI strings. Vietnamese is the default; the choice is kept in localStorage.
//
// Static markup names its strings with attributes, which translateDom() fills in:
//   data-i18n="key"             -> textContent
//   data-i18n-aria-label="key"  -> aria-label
//   data-i18n-title="key"       -> title
//   data-i18n-placeholder="key" -> placeholder
// Dynamic parts of a page re-render themselves from onLangChange().

import vi from './lang/vi.js';
import en from './lang/en.js';

/** @typedef {keyof typeof vi} MessageKey */
/** @typedef {'vi' | 'en'} Lang */

/** @type {Record<Lang, Record<MessageKey, string>>} */
const CATALOGUES = { vi, en };
const STORAGE_KEY = 'giaoban.lang';

/** @type {Lang} */
let current = storedLang() ?? 'vi';

/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/**
 * The string for `key` in the current language, with `{name}` parameters filled in.
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  return translate(current, key, params);
}

/**
 * The string for `key` in `language`, with `{name}` parameters filled in.
 * @param {Lang} language
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function translate(language, key, params) {
  const text = CATALOGUES[language][key] ?? vi[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/**
 * Whether `key` names a string of the catalogue (for keys built from server codes).
 * @param {string} key
 * @returns {key is MessageKey}
 */
export function hasKey(key) {
  return Object.prototype.hasOwnProperty.call(vi, key);
}

/** @returns {Lang} */
export function lang() {
  return current;
}

/** The BCP 47 locale used to format dates in the current language. */
export function locale() {
  return current === 'vi' ? 'vi-VN' : 'en-GB';
}

/**
 * Times are shown in Vietnam time, whatever the computer's clock is set to: a briefing is
 * scheduled, minuted and mailed in Vietnam time, and every point must read the same hour.
 */
const TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** @type {Intl.DateTimeFormatOptions} */
const DATE_TIME = { weekday: 'long', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE };

/**
 * An RFC 3339 timestamp in Vietnam time and the current language, or '' if absent or
 * unreadable.
 * @param {string | null | undefined} iso
 */
export function formatDateTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), DATE_TIME).format(date);
}

/** @type {Intl.DateTimeFormatOptions} */
const DAY = { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: TIME_ZONE };

/**
 * The day of an RFC 3339 timestamp (dd/mm/yyyy) in Vietnam time, or '' if absent or unreadable.
 * @param {string | null | undefined} iso
 */
export function formatDay(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), DAY).format(date);
}

/** @type {Intl.DateTimeFormatOptions} */
const TIME = { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: TIME_ZONE };

/**
 * The time of day of an RFC 3339 timestamp (hh:mm:ss) in Vietnam time, or '' if absent or
 * unreadable.
 * @param {string | null | undefined} iso
 */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), TIME).format(date);
}

/**
 * A number in the current language (decimal comma in Vietnamese).
 * @param {number} value
 * @param {Intl.NumberFormatOptions} [options]
 */
export function formatNumber(value, options) {
  return new Intl.NumberFormat(locale(), options).format(value);
}

/**
 * Switches the language, remembers it and re-renders everything that listens.
 * @param {Lang} next
 */
export function setLang(next) {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Storage can be disabled (private mode, policy); the switch still works for this page.
  }
  translateDom();
  for (const fn of listeners) fn(next);
}

export function toggleLang() {
  setLang(current === 'vi' ? 'en' : 'vi');
}

/**
 * Calls `fn` after every language switch.
 * @param {(lang: Lang) => void} fn
 */
export function onLangChange(fn) {
  listeners.add(fn);
}

/**
 * Fills every element under `root` that names a catalogue string, and the page language.
 * @param {ParentNode} [root]
 */
export function translateDom(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const key = el.getAttribute('data-i18n');
    if (key && hasKey(key)) el.textContent = t(key);
  }
  for (const [attr, target] of [
    ['data-i18n-aria-label', 'aria-label'],
    ['data-i18n-title', 'title'],
    ['data-i18n-placeholder', 'placeholder'],
  ]) {
    for (const el of root.querySelectorAll(`[${attr}]`)) {
      const key = el.getAttribute(attr);
      if (key && hasKey(key)) el.setAttribute(target, t(key));
    }
  }
}

/**
 * Wires a `[data-action=lang]` button: shows the other language and switches on click.
 * @param {HTMLElement | null} button
 */
export function bindLangButton(button) {
  if (!button) return;
  button.setAttribute('data-i18n', 'lang.switch');
  button.setAttribute('data-i18n-aria-label', 'lang.switch.label');
  button.setAttribute('data-i18n-title', 'lang.switch.label');
  const sync = () => button.setAttribute('lang', current === 'vi' ? 'en' : 'vi');
  sync();
  onLangChange(sync);
  button.addEventListener('click', toggleLang);
}

/** @returns {Lang | null} */
function storedLang() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'vi' || value === 'en' ? value : null;
  } catch {
    return null;
  }
}
