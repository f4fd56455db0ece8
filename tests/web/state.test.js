// Applying the server's `state_delta` messages (web/js/state.js) to a `briefing_state`.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { normalizeBriefingState } from '../../web/js/protocol.js';
import { applyStateDelta } from '../../web/js/state.js';

/** @param {string[]} online */
function state(online) {
  return {
    mode: 'directed',
    floor: null,
    spotlight: null,
    stage: ['Sở'],
    hands: [],
    locked: false,
    roll_call: null,
    points: ['Sở', 'Vinh', 'Cửa Lò'].map((name) => ({
      name,
      role: /** @type {'host' | 'point'} */ (name === 'Sở' ? 'host' : 'point'),
      online: online.includes(name),
      may_speak: name === 'Sở',
      mic: null,
      camera: null,
      muted_by_host: null,
    })),
  };
}

describe('applyStateDelta', () => {
  it('marks points online and offline by name', () => {
    const before = state(['Sở', 'Cửa Lò']);
    const { state: after, presence } = applyStateDelta(before, { online: ['Vinh', 'Nobody'], offline: ['Cửa Lò'] });
    assert.deepEqual(after.points.map((p) => p.online), [true, true, false]);
    assert.deepEqual(presence, [{ name: 'Vinh', online: true }, { name: 'Cửa Lò', online: false }]);
    assert.equal(applyStateDelta(after, { online: ['Vinh'] }).presence.length, 0, 'no change, no presence');
  });

  it('changes only what the delta names and reports presence', () => {
    const before = state(['Sở']);
    const { state: after, presence } = applyStateDelta(before, {
      points: [{ name: 'Vinh', role: 'point', online: true, may_speak: false }],
      locked: true,
    });
    assert.deepEqual(presence, [{ name: 'Vinh', online: true }]);
    assert.equal(after.locked, true);
    assert.equal(after.points[1].online, true);
    assert.equal(after.points.length, 3);
    assert.equal(before.points[1].online, false, 'the old state is not changed');
    assert.equal(after.mode, 'directed');
  });

  it('null clears the floor and the spotlight; a missing field keeps them', () => {
    const withFloor = applyStateDelta(state(['Sở', 'Vinh']), {
      floor: { point: 'Vinh', remaining_ms: 120000 },
      spotlight: 'Vinh',
    }).state;
    assert.deepEqual(withFloor.floor, { point: 'Vinh', remaining_ms: 120000 });
    assert.equal(applyStateDelta(withFloor, { locked: true }).state.floor?.point, 'Vinh');
    const cleared = applyStateDelta(withFloor, { floor: null, spotlight: null }).state;
    assert.equal(cleared.floor, null);
    assert.equal(cleared.spotlight, null);
  });

  it('adds roll-call answers by point and forgets them on a restart', () => {
    let s = state(['Sở', 'Vinh', 'Cửa Lò']);
    s = applyStateDelta(s, { roll_call: { active: true, started_at: 't1', restarted: true, answers: [{ point: 'Vinh', status: 'present' }] } }).state;
    s = applyStateDelta(s, { roll_call: { active: true, started_at: 't1', answers: [{ point: 'Cửa Lò', status: 'absent' }] } }).state;
    assert.deepEqual(s.roll_call?.answers.map((a) => a.point), ['Vinh', 'Cửa Lò']);
    const again = applyStateDelta(s, { roll_call: { active: true, started_at: 't1', answers: [{ point: 'Vinh', status: 'present' }] } }).state;
    assert.equal(again.roll_call?.answers.length, 2, 'applying an answer twice changes nothing');
    const restarted = applyStateDelta(s, { roll_call: { active: true, started_at: 't2', restarted: true } }).state;
    assert.deepEqual(restarted.roll_call?.answers, []);
  });

  it('ignores malformed parts', () => {
    const before = state(['Sở']);
    const { state: after, presence } = applyStateDelta(before, { points: [null, { online: true }], hands: [{}], stage: [1, 'Sở'] });
    assert.deepEqual(presence, []);
    assert.deepEqual(after.hands, []);
    assert.deepEqual(after.stage, ['Sở']);
    assert.deepEqual(applyStateDelta(before, null).state, before);
  });

  it('reads the microphone and camera state of changed points; a missing field is unknown', () => {
    const before = state(['Sở', 'Vinh']);
    const { state: after } = applyStateDelta(before, {
      points: [
        { name: 'Vinh', role: 'point', online: true, may_speak: false, mic: false, camera: true, muted_by_host: true },
        { name: 'Cửa Lò', role: 'point', online: true, may_speak: false, mic: 'yes' },
      ],
    });
    const vinh = after.points.find((p) => p.name === 'Vinh');
    assert.deepEqual([vinh?.mic, vinh?.camera, vinh?.muted_by_host], [false, true, true]);
    const cuaLo = after.points.find((p) => p.name === 'Cửa Lò');
    assert.deepEqual([cuaLo?.mic, cuaLo?.camera, cuaLo?.muted_by_host], [null, null, null], 'not a boolean: unknown');
  });
});

describe('normalizeBriefingState', () => {
  it('keeps mic, camera and muted_by_host when the server sends them, null otherwise', () => {
    const s = normalizeBriefingState({
      mode: 'directed',
      stage: ['Sở'],
      points: [
        { name: 'Sở', role: 'host', online: true, may_speak: true, mic: true, camera: false, muted_by_host: false },
        { name: 'Vinh', role: 'point', online: true, may_speak: false },
      ],
    });
    assert.ok(s);
    assert.deepEqual(s.points.map((p) => [p.name, p.mic, p.camera, p.muted_by_host]), [
      ['Sở', true, false, false],
      ['Vinh', null, null, null],
    ]);
  });
});
