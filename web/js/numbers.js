// How numbers are shown wherever giaoban prints a figure: one rule per indicator, chosen by its
// unit of measure, so that a column never mixes "84,475" and "91,25". Values are rounded for
// reading only; what units typed is kept and sent back as typed.
//
// The rule, by the measure's words (case and diacritics ignored):
// - a rate (`%`, "tỷ lệ", "phần trăm"): 1 decimal;
// - money in billions ("tỷ đồng"): 2 decimals; in millions or thousands ("triệu đồng",
//   "nghìn đồng"): 1 decimal; in đồng or another currency: none;
// - a physical quantity (km, m, ha, tấn, kWh, GB, Mbps, …): 1 decimal;
// - anything else is a count (người, thủ tục, hồ sơ, văn bản, trạm, đài, …): none; the
//   province's mean of a count gets 1 decimal for the whole indicator.
// Every value of an indicator shows exactly that many decimals. A percentage of plan always
// shows one. Numbers follow the page's language: Vietnamese `1.130,5`, English `1,130.5`.
//
// Pure: the locale is a parameter (the pages pass their language's), so unit tests run in Node.

/** Vietnamese: `.` groups thousands, `,` marks the decimals. */
export const VI = 'vi-VN';

/** Measures that are a rate. */
const RATE = /^(%|phan tram|percent)$|^ty le\b|%$/;
/** Money in billions. */
const BILLIONS = /^(ty|ti)( dong| vnd)?$|^billion/;
/** Money in millions or thousands. */
const MILLIONS = /^(trieu|nghin|ngan)( dong| vnd)?$|^(million|thousand)/;
/** Money in units. */
const CURRENCY = /^(dong|vnd|usd|d)$/;
/** Physical quantities, measured rather than counted. */
const QUANTITY = /^(km|m|m2|m3|cm|ha|tan|kg|kwh|mwh|kb|mb|gb|tb|kbps|mbps|gbps|gio|phut|lit)\b/;

/**
 * The decimals every value of an indicator measured in `measure` shows.
 * @param {string | null | undefined} measure e.g. `%`, `tỷ đồng`, `người`
 * @param {'sum' | 'mean' | null} [aggregate] how the province's figure is made
 * @returns {number}
 */
export function decimalsFor(measure, aggregate = null) {
  const m = folded(measure ?? '');
  if (RATE.test(m)) return 1;
  if (BILLIONS.test(m)) return 2;
  if (MILLIONS.test(m)) return 1;
  if (CURRENCY.test(m)) return 0;
  if (QUANTITY.test(m)) return 1;
  return aggregate === 'mean' ? 1 : 0;
}

/**
 * A value of an indicator for reading, `—` when absent.
 * @param {number | null | undefined} value
 * @param {string | null | undefined} measure
 * @param {{aggregate?: 'sum' | 'mean' | null, locale?: string}} [options]
 * @returns {string}
 */
export function formatMeasured(value, measure, { aggregate = null, locale = VI } = {}) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const digits = decimalsFor(measure, aggregate);
  return format(value, locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A percentage given in percent (94.2 for 94,2 %), one decimal, `—` when absent.
 * @param {number | null | undefined} percent
 * @param {string} [locale]
 * @returns {string}
 */
export function formatPercentValue(percent, locale = VI) {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '—';
  return format(percent / 100, locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/**
 * A fraction (0.942) as a percentage with one decimal, `—` when absent.
 * @param {number | null | undefined} fraction
 * @param {string} [locale]
 * @returns {string}
 */
export function formatFraction(fraction, locale = VI) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return formatPercentValue(fraction * 100, locale);
}

/** Bytes in a megabyte, as every file size of the pages counts them. */
const MEGABYTE = 1024 * 1024;

/**
 * A file size in megabytes with one decimal (`12,3` in Vietnamese), `—` when unknown.
 * @param {number | null | undefined} bytes
 * @param {string} [locale]
 * @returns {string}
 */
export function formatMegabytes(bytes, locale = VI) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  return format(bytes / MEGABYTE, locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/**
 * @param {number} value
 * @param {string} locale
 * @param {Intl.NumberFormatOptions} options
 */
function format(value, locale, options) {
  // Rounding may leave a negative zero ("-0,0"): a figure of nothing has no sign.
  const text = new Intl.NumberFormat(locale, options).format(value);
  return /^-[0.,\s%]*$/.test(text.replace(/\u00a0/g, ' ')) ? text.slice(1) : text;
}

/**
 * A measure as the rule reads it: trimmed, lower case, without diacritics or the stroke of đ,
 * spaces collapsed.
 * @param {string} text
 */
function folded(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/đ/g, 'd').replace(/\s+/g, ' ').trim();
}
