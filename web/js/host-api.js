// The host API of docs/http.md ("Host API"): directing a briefing over HTTP with the bearer
// token of the host's link. No DOM. Every call that changes the briefing answers with the new
// state, already checked by normalizeBriefingState.

import { requestBlob, requestJson } from './api.js';
import { normalizeBriefingState } from './protocol.js';
import { normalizeRecording } from './recording.js';

/** @typedef {import('./protocol.js').BriefingState} BriefingState */
/** @typedef {import('./protocol.js').FloorMode} FloorMode */
/** @typedef {import('./protocol.js').RollCallStatus} RollCallStatus */
/** @typedef {import('./recording.js').Recording} Recording */

/**
 * One point's result of a trial run, measured over the last 3 seconds.
 * @typedef {object} TrialPoint
 * @property {string} point
 * @property {boolean} online
 * @property {boolean} audio_up
 * @property {boolean} video_up
 * @property {boolean} audio_down
 * @property {boolean} video_down
 * @property {number | null} rtt_ms
 * @property {number | null} loss
 */

/** @typedef {{joined_at: string, left_at: string | null}} AttendanceSession */

/**
 * One point's attendance record.
 * @typedef {object} AttendanceRow
 * @property {string} point
 * @property {'host' | 'point'} role
 * @property {AttendanceSession[]} sessions
 * @property {string | null} first_joined_at
 * @property {string | null} last_left_at
 * @property {number} present_seconds
 * @property {{status: RollCallStatus, substitute?: string | null, reason?: string | null} | null} roll_call
 * @property {number | null} avg_rtt_ms
 * @property {number | null} avg_loss
 */

/**
 * A roll-call answer recorded by the secretariat.
 * @typedef {{status: 'present'} | {status: 'substitute', substitute: string} | {status: 'absent', reason?: string}} RecordedAnswer
 */

export class HostApi {
  /**
   * @param {string} token the host link's token
   * @param {string} briefingId
   */
  constructor(token, briefingId) {
    this.token = token;
    this.base = `/api/briefings/${encodeURIComponent(briefingId)}`;
    this.briefingId = briefingId;
  }

  /**
   * @param {string} method
   * @param {string} path below the briefing
   * @param {unknown} [body]
   * @returns {Promise<BriefingState | null>} the new state (null if the answer carries none)
   */
  async #change(method, path, body) {
    const answer = await requestJson(method, this.base + path, { token: this.token, body });
    return normalizeBriefingState(answer);
  }

  /** @returns {Promise<BriefingState | null>} */
  state() {
    return this.#change('GET', '/state');
  }

  /** @param {FloorMode} mode */
  setMode(mode) {
    return this.#change('POST', '/mode', { mode });
  }

  /**
   * @param {string} point
   * @param {number | null} [seconds] 1..=3600; null or undefined for no limit
   */
  grantFloor(point, seconds) {
    return this.#change('POST', '/floor', seconds ? { point, seconds } : { point });
  }

  revokeFloor() {
    return this.#change('DELETE', '/floor');
  }

  /** @param {string | null} point null clears the spotlight */
  spotlight(point) {
    return this.#change('POST', '/spotlight', { point });
  }

  /** @param {string} point */
  lowerHand(point) {
    return this.#change('POST', '/hands/lower', { point });
  }

  /** @param {string} point */
  askUnmute(point) {
    return this.#change('POST', '/ask-unmute', { point });
  }

  /**
   * Mutes a point's microphone at the server (its audio is no longer forwarded), or lifts it.
   * @param {string} point
   * @param {boolean} muted
   */
  mute(point, muted) {
    return this.#change('POST', '/mute', { point, muted });
  }

  /** Stops whoever presents a screen. */
  stopPresentation() {
    return this.#change('DELETE', '/presentation');
  }

  /** @param {boolean} allowed whether points may write comments to everybody */
  setCommentsToAll(allowed) {
    return this.#change('POST', '/comments-to-all', { allowed });
  }

  /**
   * @param {number} id
   * @param {string} answer
   */
  answerComment(id, answer) {
    return requestJson('POST', `${this.base}/comments/${id}/answer`, { token: this.token, body: { answer } });
  }

  /**
   * @param {number} id
   * @param {boolean} pinned
   */
  pinComment(id, pinned) {
    return requestJson('POST', `${this.base}/comments/${id}/pin`, { token: this.token, body: { pinned } });
  }

  /**
   * Files a comment as a concern or proposal of the dossier.
   * @param {number} id
   * @param {'concern' | 'proposal'} kind
   */
  commentToConcern(id, kind) {
    return requestJson('POST', `${this.base}/comments/${id}/concern`, { token: this.token, body: { kind } });
  }

  /**
   * Starts recording the briefing.
   * @returns {Promise<Recording | null>} the recording started (null if the answer is not one)
   * @throws {import('./api.js').ApiError} 409 `recording_already`, 507 `disk_low`, 503 `recording_unavailable`, …
   */
  async startRecording() {
    return normalizeRecording(await requestJson('POST', `${this.base}/recording/start`, { token: this.token }));
  }

  /**
   * Stops the recording that runs.
   * @returns {Promise<Recording | null>} the recording as it ended
   * @throws {import('./api.js').ApiError} 409 `recording_not_running`, …
   */
  async stopRecording() {
    return normalizeRecording(await requestJson('POST', `${this.base}/recording/stop`, { token: this.token }));
  }

  startRollCall() {
    return this.#change('POST', '/roll-call');
  }

  endRollCall() {
    return this.#change('DELETE', '/roll-call');
  }

  /**
   * @param {string} point
   * @param {RecordedAnswer} answer
   */
  recordAnswer(point, answer) {
    return this.#change('POST', '/roll-call/answers', { point, ...answer });
  }

  /** @param {boolean} locked */
  setLocked(locked) {
    return this.#change('POST', '/lock', { locked });
  }

  /** @param {string} point */
  remove(point) {
    return this.#change('POST', '/remove', { point });
  }

  /** @returns {Promise<TrialPoint[]>} */
  async trial() {
    const answer = await requestJson('POST', this.base + '/trial', { token: this.token });
    return Array.isArray(answer?.points) ? answer.points.filter((/** @type {any} */ p) => p && typeof p.point === 'string') : [];
  }

  /** @returns {Promise<AttendanceRow[]>} */
  async attendance() {
    const answer = await requestJson('GET', this.base + '/attendance', { token: this.token });
    return Array.isArray(answer) ? answer.filter((/** @type {any} */ r) => r && typeof r.point === 'string') : [];
  }

  /** @returns {Promise<Blob>} the attendance as CSV (UTF-8 with BOM) */
  attendanceCsv() {
    return requestBlob(this.base + '/attendance?format=csv', { token: this.token, accept: 'text/csv' });
  }

  /** The file name of the CSV download. */
  get csvFileName() {
    return `diem-danh-${this.briefingId}.csv`;
  }
}
