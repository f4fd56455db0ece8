// The briefing's state as the server sends it: a whole snapshot when this client (re)joins
// (`briefing_state`), then numbered changes (`state_delta`, docs/protocol.md "State").
// Plain functions without the browser, so that Node's test runner can check them.

import { recordingSince } from './recording.js';

/**
 * A point's entry in the state. `mic`, `camera` and `muted_by_host` are null when the server
 * does not send them (a server without them, or an entry that leaves them out).
 * @typedef {{name: string, role: 'host' | 'point', online: boolean, may_speak: boolean, mic: boolean | null, camera: boolean | null, muted_by_host: boolean | null}} DeltaPoint
 */

/**
 * A boolean the server may leave out: null (unknown) unless it is a boolean.
 * @param {unknown} value
 * @returns {boolean | null}
 */
export function optionalBool(value) {
  return typeof value === 'boolean' ? value : null;
}

/**
 * Applies one `state_delta`'s `delta` to `state` (already normalised), returning the new state
 * and the points whose presence changed. Parts the delta leaves out are kept; `null` in
 * `floor` and `spotlight` clears them; `points` and roll-call answers are replaced by name.
 * Applying a delta that the state already holds changes nothing.
 * @template {{floor: any, spotlight: string | null, mode: string, stage: string[], hands: any[], locked: boolean, roll_call: any, points: DeltaPoint[], presentation?: string | null, comments_to_all?: boolean, recording?: string | null}} S
 * @param {S} state
 * @param {any} delta
 * @returns {{state: S, presence: {name: string, online: boolean}[]}}
 */
export function applyStateDelta(state, delta) {
  /** @type {S} */
  const next = { ...state };
  /** @type {{name: string, online: boolean}[]} */
  const presence = [];
  if (!delta || typeof delta !== 'object') return { state: next, presence };
  const has = (/** @type {string} */ key) => Object.prototype.hasOwnProperty.call(delta, key);
  if (typeof delta.mode === 'string') next.mode = delta.mode;
  if (has('floor')) {
    next.floor = delta.floor && typeof delta.floor.point === 'string'
      ? { point: delta.floor.point, remaining_ms: typeof delta.floor.remaining_ms === 'number' ? delta.floor.remaining_ms : null }
      : null;
  }
  if (has('spotlight')) next.spotlight = typeof delta.spotlight === 'string' ? delta.spotlight : null;
  if (Array.isArray(delta.stage)) next.stage = delta.stage.filter((/** @type {unknown} */ n) => typeof n === 'string');
  if (Array.isArray(delta.hands)) {
    next.hands = delta.hands
      .filter((/** @type {any} */ h) => h && typeof h.point === 'string')
      .map((/** @type {any} */ h) => ({
        point: h.point,
        topic: typeof h.topic === 'string' ? h.topic : null,
        raised_at: typeof h.raised_at === 'string' ? h.raised_at : '',
      }));
  }
  if (typeof delta.locked === 'boolean') next.locked = delta.locked;
  if ('presentation' in delta) next.presentation = typeof delta.presentation === 'string' ? delta.presentation : null;
  if (typeof delta.comments_to_all === 'boolean') next.comments_to_all = delta.comments_to_all;
  if (has('recording')) next.recording = recordingSince(delta.recording);
  const call = delta.roll_call;
  if (call && typeof call === 'object') {
    const answers = call.restarted || !state.roll_call ? [] : [...state.roll_call.answers];
    for (const a of Array.isArray(call.answers) ? call.answers : []) {
      if (!a || typeof a.point !== 'string' || typeof a.status !== 'string') continue;
      const entry = {
        point: a.point,
        status: a.status,
        substitute: typeof a.substitute === 'string' ? a.substitute : null,
        reason: typeof a.reason === 'string' ? a.reason : null,
      };
      const i = answers.findIndex((x) => x.point === a.point);
      if (i >= 0) answers[i] = entry;
      else answers.push(entry);
    }
    next.roll_call = {
      active: call.active === true,
      started_at: typeof call.started_at === 'string' ? call.started_at : null,
      answers,
    };
  }
  const points = [...state.points];
  if (Array.isArray(delta.points)) {
    for (const p of delta.points) {
      if (!p || typeof p.name !== 'string') continue;
      /** @type {DeltaPoint} */
      const entry = {
        name: p.name,
        role: p.role === 'host' ? 'host' : 'point',
        online: p.online === true,
        may_speak: p.may_speak === true,
        mic: optionalBool(p.mic),
        camera: optionalBool(p.camera),
        muted_by_host: optionalBool(p.muted_by_host),
      };
      const i = points.findIndex((x) => x.name === p.name);
      const before = i >= 0 ? points[i].online : false;
      if (i >= 0) points[i] = entry;
      else points.push(entry);
      if (before !== entry.online) presence.push({ name: entry.name, online: entry.online });
    }
  }
  for (const [key, online] of /** @type {const} */ ([['online', true], ['offline', false]])) {
    for (const name of Array.isArray(delta[key]) ? delta[key] : []) {
      const i = points.findIndex((x) => x.name === name);
      if (i < 0 || points[i].online === online) continue;
      points[i] = { ...points[i], online };
      presence.push({ name, online });
    }
  }
  next.points = points;
  return { state: next, presence };
}
