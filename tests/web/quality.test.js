// This page's connection quality from its statistics (web/js/quality.js).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { classifyQuality, linkFigures } from '../../web/js/quality.js';

/** A report of a healthy link: 40 ms, no loss, video not limited. */
function healthy() {
  return [
    { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1' },
    { id: 'CP1', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.04 },
    { id: 'CP2', type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 0.9 },
    { id: 'RA', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.05, fractionLost: 0 },
    { id: 'RV', type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.05, fractionLost: 0.001 },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', active: true, qualityLimitationReason: 'none' },
  ];
}

describe('linkFigures', () => {
  it('takes the round-trip time of the selected candidate pair, the worst loss and the limitation', () => {
    const report = healthy();
    report[4].fractionLost = 0.03;
    report[5].qualityLimitationReason = 'bandwidth';
    assert.deepEqual(linkFigures(report), { rttMs: 40, loss: 0.03, limitation: 'bandwidth' });
  });

  it('falls back on the round-trip time reported by the server without a selected pair', () => {
    const report = healthy().filter((s) => s.type !== 'transport' && s.type !== 'candidate-pair');
    assert.equal(linkFigures(report).rttMs, 50);
  });

  it('knows nothing from an empty report', () => {
    assert.deepEqual(linkFigures([]), { rttMs: null, loss: null, limitation: null });
    assert.equal(classifyQuality(linkFigures([])).level, 'unknown');
  });

  it('ignores a paused video layer', () => {
    const report = [{ id: 'OV', type: 'outbound-rtp', kind: 'video', active: false, qualityLimitationReason: 'bandwidth' }];
    assert.equal(linkFigures(report).limitation, null);
  });
});

describe('classifyQuality', () => {
  it('is good on a healthy link', () => {
    assert.deepEqual(classifyQuality(linkFigures(healthy())), {
      level: 'good',
      reason: null,
      figures: { rttMs: 40, loss: 0.001, limitation: null },
    });
  });

  it('is weak on a slow round trip and poor on a very slow one', () => {
    assert.deepEqual(pick(classifyQuality({ rttMs: 250, loss: 0, limitation: null })), ['weak', 'rtt']);
    assert.deepEqual(pick(classifyQuality({ rttMs: 450, loss: 0, limitation: null })), ['poor', 'rtt']);
  });

  it('is weak from 2 % loss and poor from 8 %', () => {
    assert.deepEqual(pick(classifyQuality({ rttMs: 30, loss: 0.019, limitation: null })), ['good', null]);
    assert.deepEqual(pick(classifyQuality({ rttMs: 30, loss: 0.02, limitation: null })), ['weak', 'loss']);
    assert.deepEqual(pick(classifyQuality({ rttMs: 30, loss: 0.1, limitation: null })), ['poor', 'loss']);
  });

  it('is weak when the browser limits the outgoing video', () => {
    assert.deepEqual(pick(classifyQuality({ rttMs: 30, loss: 0, limitation: 'bandwidth' })), ['weak', 'bandwidth']);
    assert.deepEqual(pick(classifyQuality({ rttMs: null, loss: null, limitation: 'cpu' })), ['weak', 'cpu']);
  });

  it('names the worst finding: poor before weak, loss before round-trip time', () => {
    assert.deepEqual(pick(classifyQuality({ rttMs: 450, loss: 0.03, limitation: 'bandwidth' })), ['poor', 'rtt']);
    assert.deepEqual(pick(classifyQuality({ rttMs: 250, loss: 0.03, limitation: 'bandwidth' })), ['weak', 'loss']);
  });
});

/** @param {{level: string, reason: string | null}} q */
function pick(q) {
  return [q.level, q.reason];
}
