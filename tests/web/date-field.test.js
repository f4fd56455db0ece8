// Dates typed day first (web/js/date-field.js).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { dayFromIso, isoFromDay, parseDay, parseDayTime } from '../../web/js/date-field.js';

describe('parseDay', () => {
  it('reads day, month, year and writes them in full', () => {
    assert.equal(parseDay('1/2/2026'), '01/02/2026');
    assert.equal(parseDay(' 31/12/2026 '), '31/12/2026');
    assert.equal(parseDay('29.2.2028'), '29/02/2028');
  });

  it('refuses what is no day of the calendar, and month first', () => {
    for (const text of ['12/31/2026', '29/02/2027', '31/4/2026', '2026-12-31', '31/12', '', 'mai']) {
      assert.equal(parseDay(text), null, text);
    }
  });
});

describe('parseDayTime', () => {
  it('reads a date and a time of day as written in Vietnam', () => {
    assert.equal(parseDayTime('1/12/2026 8:00'), '01/12/2026 08:00');
    assert.equal(parseDayTime('01/12/2026 08h30'), '01/12/2026 08:30');
  });

  it('refuses a missing or impossible time', () => {
    for (const text of ['01/12/2026', '01/12/2026 24:00', '01/12/2026 8:60', '12/31/2026 08:00']) {
      assert.equal(parseDayTime(text), null, text);
    }
  });
});

it('dayFromIso writes a stored date day first, isoFromDay the other way', () => {
  assert.equal(dayFromIso('2026-12-31'), '31/12/2026');
  assert.equal(isoFromDay('1/2/2026'), '2026-02-01');
  assert.equal(isoFromDay('2/31/2026'), null);
});
