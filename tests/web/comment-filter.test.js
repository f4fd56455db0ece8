// Which written comments the host's list shows (web/js/comment-filter.js).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { commentCounts, evictable, filterComments, isOpen } from '../../web/js/comment-filter.js';

/**
 * @param {number} id
 * @param {Partial<import('../../web/js/protocol.js').Comment>} [over]
 * @returns {import('../../web/js/protocol.js').Comment}
 */
function comment(id, over = {}) {
  return { id, point: `P${id}`, text: `ý kiến ${id}`, to_all: false, at: '2026-12-06T08:00:00Z', pinned: false, answer: null, concern: null, ...over };
}

const COMMENTS = [
  comment(1),
  comment(2, { answer: 'Đã ghi nhận' }),
  comment(3, { pinned: true }),
  comment(4, { concern: 7 }),
  comment(5, { pinned: true, answer: 'Sở sẽ trả lời bằng văn bản' }),
  comment(6, { answer: '   ' }),
];

describe('the comment filter', () => {
  it('shows everything, pinned first, then in the order written', () => {
    assert.deepEqual(filterComments(COMMENTS, 'all').map((c) => c.id), [3, 5, 1, 2, 4, 6]);
  });

  it('shows as waiting those neither answered nor filed in the dossier', () => {
    assert.deepEqual(filterComments(COMMENTS, 'open').map((c) => c.id), [3, 1, 6]);
    assert.equal(isOpen(comment(9, { answer: '' })), true, 'an empty answer is no answer');
    assert.equal(isOpen(comment(9, { concern: 1 })), false, 'a filed comment is dealt with');
  });

  it('shows the pinned ones', () => {
    assert.deepEqual(filterComments(COMMENTS, 'pinned').map((c) => c.id), [3, 5]);
  });

  it('counts what each choice shows', () => {
    assert.deepEqual(commentCounts(COMMENTS), { all: 6, open: 3, pinned: 2 });
    assert.deepEqual(commentCounts([]), { all: 0, open: 0, pinned: 0 });
  });
});

describe('forgetting comments past the limit', () => {
  it('forgets handled, unpinned comments first, oldest first, then the oldest of the rest', () => {
    assert.deepEqual(evictable(COMMENTS, 0), []);
    // Handled and not pinned: 2 (answered), 4 (filed). Then the rest by age: 1, 3, 5, 6.
    assert.deepEqual(evictable(COMMENTS, 1), [2]);
    assert.deepEqual(evictable(COMMENTS, 3), [2, 4, 1]);
    assert.deepEqual(evictable(COMMENTS, 10), [2, 4, 1, 3, 5, 6]);
  });
});
