// Labelling a receive slot's frames from their RTP timestamps (web/js/slots.js).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SlotTimeline, atOrAfter } from '../../web/js/slots.js';

describe('atOrAfter', () => {
  it('orders timestamps across the 32-bit wrap', () => {
    assert.equal(atOrAfter(100, 100), true);
    assert.equal(atOrAfter(101, 100), true);
    assert.equal(atOrAfter(99, 100), false);
    assert.equal(atOrAfter(5, 0xffff_fff0), true, 'just after the wrap');
    assert.equal(atOrAfter(0xffff_fff0, 5), false, 'just before the wrap');
  });
});

describe('SlotTimeline', () => {
  it('labels each frame with the point of the feed it falls in, not the latest one', () => {
    const slot = new SlotTimeline();
    slot.push(1000, 'UBND phường Vinh Phú');
    slot.push(91_000, 'UBND xã Nghi Lộc');
    assert.equal(slot.pointAt(1000), 'UBND phường Vinh Phú');
    // A frame of the first point still on its way when the feed of the second arrived.
    assert.equal(slot.pointAt(88_030), 'UBND phường Vinh Phú');
    assert.equal(slot.pointAt(91_000), 'UBND xã Nghi Lộc');
    assert.equal(slot.latest(), 'UBND xã Nghi Lộc');
    assert.equal(slot.pointAt(500), undefined, 'older than every feed');
  });

  it('an emptied slot ends its point at the given timestamp', () => {
    const slot = new SlotTimeline();
    slot.push(0xffff_ff00, 'Sở Khoa học và Công nghệ');
    slot.push(0x0000_0100, null);
    assert.equal(slot.pointAt(0xffff_ffff), 'Sở Khoa học và Công nghệ');
    assert.equal(slot.pointAt(0x0000_0050), 'Sở Khoa học và Công nghệ', 'across the wrap');
    assert.equal(slot.pointAt(0x0000_0100), null);
    assert.equal(slot.latest(), null);
  });

  it('keeps a bounded history', () => {
    const slot = new SlotTimeline();
    for (let i = 0; i < 100; i++) slot.push(i * 3000, `p${i}`);
    assert.equal(slot.pointAt(99 * 3000), 'p99');
    assert.equal(slot.pointAt(92 * 3000), 'p92');
    assert.equal(slot.pointAt(91 * 3000 + 10), undefined, 'forgotten');
  });
});
