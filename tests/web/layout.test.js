// The grid's arithmetic (web/js/layout.js): how many thumbnails fit and how they are arranged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { arrangeGrid, gridCapacity, gridSizeChoices, pageSizeFor } from '../../web/js/layout.js';

describe('arrangeGrid', () => {
  it('puts six tiles in the arrangement that makes them largest', () => {
    // A wide strip: one row of six is too low, two rows of three or four fit better.
    const a = arrangeGrid({ width: 1000, height: 240, gap: 8 }, 6);
    assert.equal(a.rows, 2);
    assert.ok(a.columns === 3 || a.columns === 4, `columns ${a.columns}`);
    assert.equal(a.tileWidth, Math.floor(((240 - 8) / 2) * (16 / 9)));
  });

  it('never makes tiles wider than the area', () => {
    const a = arrangeGrid({ width: 300, height: 900, gap: 8 }, 1);
    assert.deepEqual(a, { columns: 1, rows: 1, tileWidth: 300 });
  });
});

describe('gridCapacity', () => {
  it('fits fewer tiles on a small screen than asked for', () => {
    const small = { width: 990, height: 230, gap: 8 };
    const n = gridCapacity(small, 25);
    assert.ok(n < 25 && n >= 6, `capacity ${n}`);
    assert.ok(arrangeGrid(small, n).tileWidth >= 150);
    assert.ok(arrangeGrid(small, n + 1).tileWidth < 150, 'one more would be too small');
  });

  it('fits all that is asked for on a large screen', () => {
    assert.equal(gridCapacity({ width: 1500, height: 700, gap: 8 }, 25), 25);
  });

  it('shows at least one tile', () => {
    assert.equal(gridCapacity({ width: 40, height: 20, gap: 8 }, 25), 1);
  });
});

describe('page sizes', () => {
  it('offers only the sizes within the page slots asked for at join', () => {
    assert.deepEqual(gridSizeChoices(25), [4, 9, 16, 25]);
    assert.deepEqual(gridSizeChoices(12), [4, 9]);
    assert.deepEqual(gridSizeChoices(2), [2]);
  });

  it('never exceeds the slots, the choice or the space', () => {
    assert.equal(pageSizeFor({ chosen: 25, slots: 6, capacity: 16 }), 6);
    assert.equal(pageSizeFor({ chosen: 9, slots: 25, capacity: 16 }), 9);
    assert.equal(pageSizeFor({ chosen: 25, slots: 25, capacity: 12 }), 12);
  });
});
