// Dates typed day first, as they are written in Vietnam: `31/12/2026`, or `31/12/2026 08:00`
// for a date and time, in Vietnam time. A browser's own date input follows the browser's
// language (mm/dd/yyyy in an English one), so these are text inputs: the page checks the form
// as people type and the server reads what was typed (D/M/YYYY, docs/http.md) and names the
// field it cannot read.

/**
 * Makes `input` a date field (with a time of day when `withTime`): text, numeric keyboard,
 * `dd/mm/yyyy[ hh:mm]` placeholder, marked invalid when what was typed is no such date, and
 * written out in full (`1/2/2026` → `01/02/2026`) once it is one.
 * @param {HTMLInputElement} input
 * @param {{withTime?: boolean}} [options]
 */
export function dateField(input, { withTime = false } = {}) {
  input.type = 'text';
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.placeholder = withTime ? 'dd/mm/yyyy hh:mm' : 'dd/mm/yyyy';
  input.maxLength = withTime ? 19 : 10;
  input.dataset.dateField = withTime ? 'date-time' : 'date';
  const parse = withTime ? parseDayTime : parseDay;
  input.addEventListener('blur', () => {
    const text = input.value.trim();
    const parsed = parse(text);
    if (parsed) input.value = parsed;
    if (text === '' || parsed) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  });
}

/**
 * A date typed as `D/M/YYYY` (or `D-M-YYYY`, `D.M.YYYY`), written `dd/mm/yyyy`; null when it is
 * no date of the calendar.
 * @param {string} text
 * @returns {string | null}
 */
export function parseDay(text) {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (!m) return null;
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${pad(day)}/${pad(month)}/${year}`;
}

/**
 * A date and time typed as `D/M/YYYY H:MM`, written `dd/mm/yyyy hh:mm`; null when it is none.
 * @param {string} text
 * @returns {string | null}
 */
export function parseDayTime(text) {
  const m = /^(\S+)\s+(\d{1,2})[:hg](\d{2})$/.exec(text.trim());
  if (!m) return null;
  const day = parseDay(m[1]);
  const [hour, minute] = [Number(m[2]), Number(m[3])];
  if (!day || hour > 23 || minute > 59) return null;
  return `${day} ${pad(hour)}:${pad(minute)}`;
}

/**
 * A date typed day first as `YYYY-MM-DD`, for an API that takes ISO dates; null when it is none.
 * @param {string} text
 * @returns {string | null}
 */
export function isoFromDay(text) {
  const day = parseDay(text);
  return day ? `${day.slice(6)}-${day.slice(3, 5)}-${day.slice(0, 2)}` : null;
}

/**
 * A date `YYYY-MM-DD` as `dd/mm/yyyy`.
 * @param {string} iso
 */
export function dayFromIso(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** @param {number} n */
function pad(n) {
  return String(n).padStart(2, '0');
}
