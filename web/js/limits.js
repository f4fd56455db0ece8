// What the server accepts from this client, as it said in `welcome` (docs/protocol.md): the
// client keeps no copy of the server's limits. Until the first welcome every limit is 0, and
// nothing that uses them is shown before it.

/**
 * @typedef {object} Limits
 * @property {number} topic_chars characters of a request-to-speak topic
 * @property {number} view_points points a `view` may list
 * @property {number} floor_seconds longest floor grant, in seconds
 * @property {number} substitute_chars characters of a roll-call substitute's name
 * @property {number} reason_chars characters of a roll-call absence reason
 * @property {number} comment_chars characters of a written comment
 */

/** @type {Limits} */
export const limits = {
  topic_chars: 0,
  view_points: 0,
  floor_seconds: 0,
  substitute_chars: 0,
  reason_chars: 0,
  comment_chars: 0,
};

/**
 * Takes the limits of a `welcome`; values that are not non-negative integers are ignored.
 * @param {unknown} given
 */
export function applyLimits(given) {
  if (!given || typeof given !== 'object') return;
  const g = /** @type {Record<string, unknown>} */ (given);
  for (const key of /** @type {(keyof Limits)[]} */ (Object.keys(limits))) {
    const value = g[key];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) limits[key] = value;
  }
}
