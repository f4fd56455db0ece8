// One rounding rule per indicator, chosen by its measure (web/js/numbers.js), in the Vietnamese
// number format: `.` groups thousands, `,` marks the decimals.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decimalsFor, formatFraction, formatMeasured, formatPercentValue } from '../../web/js/numbers.js';

describe('decimalsFor', () => {
  it('gives rates one decimal, however the measure is written', () => {
    for (const measure of ['%', ' % ', 'Tỷ lệ', 'tỷ lệ (%)', 'phần trăm', 'Phần Trăm']) {
      assert.equal(decimalsFor(measure), 1, measure);
    }
  });

  it('gives money in billions two decimals, in millions or thousands one, in đồng none', () => {
    assert.deepEqual(['tỷ đồng', 'Tỷ đồng', 'tỉ đồng', 'tỷ'].map((m) => decimalsFor(m)), [2, 2, 2, 2]);
    assert.deepEqual(['triệu đồng', 'Triệu', 'nghìn đồng', 'ngàn đồng'].map((m) => decimalsFor(m)), [1, 1, 1, 1]);
    assert.deepEqual(['đồng', 'VNĐ', 'USD'].map((m) => decimalsFor(m)), [0, 0, 0]);
  });

  it('gives measured quantities one decimal and counts none', () => {
    assert.deepEqual(['km', 'Km cáp quang', 'ha', 'tấn', 'GB', 'Mbps'].map((m) => decimalsFor(m)), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(['người', 'thủ tục', 'hồ sơ', 'văn bản', 'trạm', 'đài', 'xã', '', null, undefined].map((m) => decimalsFor(m)), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gives the mean of a count one decimal for the whole indicator, and leaves other rules alone', () => {
    assert.equal(decimalsFor('đài', 'mean'), 1);
    assert.equal(decimalsFor('đài', 'sum'), 0);
    assert.equal(decimalsFor('%', 'mean'), 1);
    assert.equal(decimalsFor('tỷ đồng', 'mean'), 2);
  });
});

describe('formatMeasured', () => {
  it('shows every value of an indicator with the same decimals: a mean rate and a unit rate agree', () => {
    // The dashboard once showed "84,475" beside "91,25".
    assert.equal(formatMeasured(84.475, '%', { aggregate: 'mean' }), '84,5');
    assert.equal(formatMeasured(91.25, '%'), '91,3');
    assert.equal(formatMeasured(81, '%'), '81,0');
  });

  it('groups thousands with a dot and marks decimals with a comma', () => {
    assert.equal(formatMeasured(1130, 'tỷ đồng'), '1.130,00');
    assert.equal(formatMeasured(1130.456, 'tỷ đồng'), '1.130,46');
    assert.equal(formatMeasured(1234567, 'người'), '1.234.567');
    assert.equal(formatMeasured(1130.5, 'triệu đồng'), '1.130,5');
    assert.equal(formatMeasured(21.4, 'trạm'), '21');
  });

  it('rounds halves away from zero', () => {
    assert.equal(formatMeasured(0.05, '%'), '0,1');
    assert.equal(formatMeasured(2.5, 'người'), '3');
    assert.equal(formatMeasured(1.005, 'tỷ đồng'), '1,01');
  });

  it('follows the locale it is given', () => {
    assert.equal(formatMeasured(1130.5, 'triệu đồng', { locale: 'en-GB' }), '1,130.5');
  });

  it('shows a dash for what is missing and no sign on a rounded zero', () => {
    for (const missing of [null, undefined, Number.NaN, Infinity]) assert.equal(formatMeasured(missing, '%'), '—');
    assert.equal(formatMeasured(-0.01, '%'), '0,0');
    assert.equal(formatMeasured(-12.5, 'tỷ đồng'), '-12,50');
  });
});

describe('percentages', () => {
  it('show a percentage of plan with one decimal', () => {
    assert.equal(formatPercentValue(33.7), '33,7%');
    assert.equal(formatPercentValue(100), '100,0%');
    assert.equal(formatPercentValue(1234.5), '1.234,5%');
    assert.equal(formatPercentValue(null), '—');
  });

  it('show a fraction (attendance, loss) as a percentage with one decimal', () => {
    assert.equal(formatFraction(0.9), '90,0%');
    assert.equal(formatFraction(0.0123), '1,2%');
    assert.equal(formatFraction(undefined), '—');
    assert.equal(formatFraction(-0.0001), '0,0%');
  });
});
