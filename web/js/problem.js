// What to show for a refused request: the client's own words for the server's stable error code
// (docs/http.md, "Errors"), with the field it concerns first and the parameters filled in:
// `not_a_number` about `indicators.2.value` with `{"value": "abc"}` reads
// `Chỉ tiêu 2, giá trị: “abc” không phải là số.` The server's English sentence is never shown.

import { ApiError } from './api.js';
import { hasKey, lang, translate } from './i18n.js';

/** @typedef {import('./i18n.js').Lang} Lang */
/** @typedef {import('./i18n.js').MessageKey} MessageKey */

/**
 * Parameters that are the server's own words or lists (not what somebody typed): not quoted.
 * The same list as `UNQUOTED` in crates/model/src/problem.rs.
 */
const UNQUOTED = new Set(['detail', 'choices', 'accepted', 'chain', 'expected']);

/**
 * The sentence for a failed request in `language` (the page's by default).
 * @param {unknown} err an ApiError, or anything a request threw
 * @param {Lang} [language]
 * @returns {string}
 */
export function problemText(err, language = lang()) {
  if (!(err instanceof ApiError) || err.status === 0 || err.code === 'network') {
    if (!(err instanceof ApiError)) console.warn('giaoban:', err);
    return translate(language, 'problem.network');
  }
  const key = `api.${err.code}`;
  if (!hasKey(key)) {
    // A proxy's error page, or a code newer than this page: say what status came back.
    return translate(language, 'problem.server', { status: err.status });
  }
  const params = Object.fromEntries(
    Object.entries(err.params).map(([name, value]) => [name, shownParam(name, value, language)]),
  );
  const sentence = translate(language, key, params);
  const field = err.field ? fieldText(err.field, language) : '';
  return sentenceCase(field ? `${field}: ${sentence}` : sentence);
}

/**
 * A message of a page: a catalogue string, whose `{detail}` is the sentence for `problem` when
 * the message is about a failed request. Kept as data so that it reads anew in another language.
 * @typedef {object} Message
 * @property {MessageKey} key
 * @property {Record<string, string | number>} [params]
 * @property {unknown} [problem] the failed request's error
 * @property {string} [code] the server's code, for `data-code`
 */

/**
 * A failed request as a message: its sentence alone.
 * @param {unknown} err
 * @returns {Message}
 */
export function problemMessage(err) {
  return { key: 'problem.detail', problem: err, code: err instanceof ApiError ? err.code : undefined };
}

/**
 * The text of a message in the page's language.
 * @param {Message} message
 * @returns {string}
 */
export function messageText(message) {
  if (message.problem === undefined) return translate(lang(), message.key, message.params);
  return translate(lang(), message.key, { ...message.params, detail: problemText(message.problem) });
}

/**
 * The words for a field path: `indicators.2.value` → `chỉ tiêu 2, giá trị`.
 * @param {string} path
 * @param {Lang} [language]
 * @returns {string}
 */
export function fieldText(path, language = lang()) {
  let out = '';
  for (const step of path.split('.')) {
    if (/^\d+$/.test(step)) {
      out += ` ${step}`;
      continue;
    }
    const key = `field.${step}`;
    const words = hasKey(key) ? translate(language, key) : step;
    out += out === '' ? words : `, ${words}`;
  }
  return out;
}

/**
 * The steps of a field path, for marking the input it names: `indicators.2.value` →
 * `['indicators', 2, 'value']` (positions are numbers, 1-based).
 * @param {unknown} err
 * @returns {(string | number)[]}
 */
export function problemPath(err) {
  if (!(err instanceof ApiError) || !err.field) return [];
  return err.field.split('.').map((step) => (/^\d+$/.test(step) ? Number(step) : step));
}

/**
 * A parameter as the sentence shows it: a date `YYYY-MM-DD` as dd/mm/yyyy, typed text quoted.
 * @param {string} name
 * @param {string | number} value
 * @param {Lang} language
 * @returns {string}
 */
function shownParam(name, value, language) {
  if (typeof value === 'number') return String(value);
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const text = day ? `${day[3]}/${day[2]}/${day[1]}` : value;
  if (UNQUOTED.has(name)) return text;
  return language === 'vi' ? `“${text}”` : `"${text}"`;
}

/**
 * The sentence with a capital first letter and a full stop.
 * @param {string} text
 */
function sentenceCase(text) {
  const first = text.charAt(0).toLocaleUpperCase();
  const body = first + text.slice(1);
  return /[.!?…]$/.test(body) ? body : `${body}.`;
}
