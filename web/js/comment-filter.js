// Which written comments the host's list shows: all of them, those still waiting for the host
// (neither answered nor filed in the dossier), or the pinned ones. Pure, for tests/web.

/** @typedef {import('./protocol.js').Comment} Comment */
/** @typedef {'all' | 'open' | 'pinned'} CommentFilter */

/** @type {CommentFilter[]} */
export const COMMENT_FILTERS = ['all', 'open', 'pinned'];

/**
 * Whether the host still has to deal with a comment: no answer, not filed as a concern.
 * @param {Comment} c
 */
export function isOpen(c) {
  return (c.answer === null || c.answer.trim() === '') && c.concern === null;
}

/**
 * @param {Comment} c
 * @param {CommentFilter} filter
 */
function matches(c, filter) {
  switch (filter) {
    case 'open':
      return isOpen(c);
    case 'pinned':
      return c.pinned;
    default:
      return true;
  }
}

/**
 * The comments `filter` shows, pinned first, then in the order they were written.
 * @param {Iterable<Comment>} comments
 * @param {CommentFilter} filter
 * @returns {Comment[]}
 */
export function filterComments(comments, filter) {
  return [...comments].filter((c) => matches(c, filter)).sort((a, b) => Number(b.pinned) - Number(a.pinned) || a.id - b.id);
}

/**
 * Which `count` comments to forget when the list holds too many: the oldest of those already
 * dealt with and not pinned first, then the oldest of the rest.
 * @param {Iterable<Comment>} comments
 * @param {number} count
 * @returns {number[]} their ids
 */
export function evictable(comments, count) {
  if (count <= 0) return [];
  const all = [...comments].sort((a, b) => a.id - b.id);
  const done = all.filter((c) => !c.pinned && !isOpen(c));
  const rest = all.filter((c) => c.pinned || isOpen(c));
  return [...done, ...rest].slice(0, count).map((c) => c.id);
}

/**
 * How many comments each filter shows.
 * @param {Iterable<Comment>} comments
 * @returns {Record<CommentFilter, number>}
 */
export function commentCounts(comments) {
  const counts = { all: 0, open: 0, pinned: 0 };
  for (const c of comments) {
    for (const f of COMMENT_FILTERS) if (matches(c, f)) counts[f] += 1;
  }
  return counts;
}
