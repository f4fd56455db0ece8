// Signalling and media connection of one point, as described in docs/protocol.md.
//
// No DOM here: the page reacts to the callbacks of a Connection and owns the screen. One
// Connection lives from "join" to "leave" and survives network loss by reconnecting with a
// fresh WebSocket and a fresh RTCPeerConnection that publish the same local stream.

import { ApiError, requestJson } from './api.js';

export const PROTOCOL_VERSION = 1;

/** Error codes after which reconnecting cannot help (docs/protocol.md, "Errors"). */
export const FATAL_CODES = new Set(['invalid_token', 'revoked_token', 'replaced', 'unsupported_version']);

/** Reconnection delays grow 1 s, 2 s, 4 s … up to this. */
const MAX_BACKOFF_MS = 10_000;
/** How long the peer connection may stay `disconnected` before the connection counts as lost. */
const DISCONNECT_GRACE_MS = 3_000;
/** How long a new connection may take from opening the socket to `welcome`. */
const WELCOME_TIMEOUT_MS = 10_000;
/** How long ICE and DTLS may take after `welcome` before the attempt counts as lost. */
const MEDIA_TIMEOUT_MS = 20_000;

export { ApiError };

/** @typedef {'host' | 'point'} Role */
/** @typedef {'audio' | 'video'} TrackKind */
/** @typedef {{id: string, title: string, scheduled_start: string}} BriefingInfo */
/** @typedef {{name: string, role: Role}} PointInfo */
/** @typedef {{name: string, role: Role, online: boolean}} PresenceInfo */
/** @typedef {{briefing: BriefingInfo, point: PointInfo}} SessionInfo */
/** @typedef {{briefing: BriefingInfo, point: PointInfo, points: PresenceInfo[]}} Welcome */
/** @typedef {{mid: string, point: string, kind: TrackKind}} TrackInfo */
/** @typedef {TrackInfo & {track: MediaStreamTrack}} RemoteTrack */

/**
 * `idle` before start, `connecting` until media flows, `connected`, `reconnecting` after a
 * loss, `closed` after leave(), `failed` after a fatal server error.
 * @typedef {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed'} ConnectionState
 */

/**
 * @typedef {object} ConnectionHandlers
 * @property {(state: ConnectionState) => void} [state] the connection state changed
 * @property {(welcome: Welcome) => void} [welcome] the server accepted this (re)connection
 * @property {(point: string, online: boolean) => void} [presence] another point came or went
 * @property {(tracks: RemoteTrack[]) => void} [tracks] the full set of received tracks changed
 * @property {(code: string, message: string, fatal: boolean) => void} [error] the server sent an error
 */

/**
 * Reads the briefing and the point that `token` invites.
 * @param {string} token
 * @returns {Promise<SessionInfo>}
 * @throws {ApiError} status 401 or 403 when the link is invalid or revoked
 */
export async function fetchSession(token) {
  return /** @type {SessionInfo} */ (await requestJson('GET', '/api/session', { token }));
}

/**
 * The signalling URL on the page's own origin.
 * @param {{protocol: string, host: string}} loc
 */
export function signallingUrl(loc) {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws';
}

export class Connection {
  /** @type {RTCPeerConnection | null} */
  #pc = null;
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {ConnectionState} */
  #state = 'idle';
  /** Bumped whenever a socket and peer connection are dropped; stale callbacks compare it. */
  #epoch = 0;
  /** Failed attempts since media last flowed; sets the backoff. */
  #attempt = 0;
  /** Every SDP operation runs on this chain, one at a time. */
  #chain = Promise.resolve();
  /** @type {{resolve: (sdp: string) => void, reject: (err: Error) => void} | null} */
  #pendingAnswer = null;
  /** @type {Map<string, TrackInfo>} media id -> what the server says it carries */
  #trackInfo = new Map();
  /** @type {RemoteTrack[]} */
  #tracks = [];
  /** @type {Partial<Record<TrackKind, RTCRtpSender>>} */
  #senders = {};
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #lossTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #setupTimer;

  /**
   * @param {object} options
   * @param {string} options.token the invitation token
   * @param {MediaStream} options.stream the local camera and microphone
   * @param {string} options.url the signalling WebSocket URL
   * @param {ConnectionHandlers} [options.handlers]
   */
  constructor({ token, stream, url, handlers = {} }) {
    this.token = token;
    this.stream = stream;
    this.url = url;
    this.handlers = handlers;
  }

  /** The current peer connection, if any (tests read its stats). */
  get pc() {
    return this.#pc;
  }

  /** The current signalling socket, if any. */
  get ws() {
    return this.#ws;
  }

  get state() {
    return this.#state;
  }

  /** The tracks received now, after the last applied server offer. */
  get tracks() {
    return this.#tracks;
  }

  start() {
    if (this.#state !== 'idle') return;
    this.#open();
  }

  /** Leaves the briefing for good: closes the socket and the peer connection. */
  leave() {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#teardown(1000);
    this.#setState('closed');
  }

  /**
   * Publishes `stream` from now on (another camera or microphone was chosen). The running
   * peer connection swaps its tracks without renegotiating; later reconnections offer it.
   * @param {MediaStream} stream
   */
  async replaceStream(stream) {
    this.stream = stream;
    const pc = this.#pc;
    if (!pc || pc.connectionState === 'closed') return;
    for (const kind of /** @type {TrackKind[]} */ (['audio', 'video'])) {
      const sender = this.#senders[kind];
      const track = stream.getTracks().find((t) => t.kind === kind) ?? null;
      if (sender && sender.track !== track) await sender.replaceTrack(track);
    }
  }

  // --- one attempt: socket, handshake, publish -------------------------------------------

  #open() {
    const epoch = ++this.#epoch;
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    this.#chain = Promise.resolve();

    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn('giaoban: cannot open the signalling socket', err);
      this.#lost();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (epoch !== this.#epoch) return;
      this.#send({ type: 'hello', version: PROTOCOL_VERSION, token: this.token });
    };
    ws.onmessage = (event) => {
      if (epoch === this.#epoch) this.#onMessage(epoch, event.data);
    };
    ws.onclose = () => {
      if (epoch === this.#epoch) this.#lost();
    };
    // An error event is always followed by close, which does the work.
    ws.onerror = () => {};

    this.#setupTimer = setTimeout(() => {
      if (epoch === this.#epoch) this.#lost();
    }, WELCOME_TIMEOUT_MS);
  }

  /**
   * @param {number} epoch
   * @param {unknown} data
   */
  #onMessage(epoch, data) {
    if (typeof data !== 'string') return;
    /** @type {any} */
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('giaoban: ignoring a signalling message that is not JSON');
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;

    switch (msg.type) {
      case 'welcome':
        this.#onWelcome(epoch, /** @type {Welcome} */ (msg));
        break;
      case 'answer':
        if (this.#pendingAnswer && typeof msg.sdp === 'string') {
          this.#pendingAnswer.resolve(msg.sdp);
          this.#pendingAnswer = null;
        } else {
          console.warn('giaoban: ignoring an unexpected answer');
        }
        break;
      case 'offer':
        if (typeof msg.sdp === 'string') {
          const tracks = Array.isArray(msg.tracks) ? /** @type {TrackInfo[]} */ (msg.tracks) : null;
          this.#enqueue(epoch, () => this.#applyServerOffer(msg.sdp, tracks));
        }
        break;
      case 'presence':
        if (typeof msg.point === 'string') this.handlers.presence?.(msg.point, msg.online === true);
        break;
      case 'error': {
        const code = typeof msg.code === 'string' ? msg.code : 'internal';
        const fatal = FATAL_CODES.has(code);
        this.handlers.error?.(code, typeof msg.message === 'string' ? msg.message : '', fatal);
        if (fatal) {
          this.#teardown(1000);
          this.#setState('failed');
        }
        // Other errors are followed by the server closing the socket; onclose reconnects.
        break;
      }
      default:
        // A newer server may send more; version 1 clients ignore what they do not know.
        break;
    }
  }

  /**
   * @param {number} epoch
   * @param {Welcome} welcome
   */
  #onWelcome(epoch, welcome) {
    clearTimeout(this.#setupTimer);
    this.#setupTimer = setTimeout(() => {
      if (epoch === this.#epoch) this.#lost();
    }, MEDIA_TIMEOUT_MS);

    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.#pc = pc;
    this.#senders = {};
    this.#trackInfo = new Map();
    pc.onconnectionstatechange = () => {
      if (epoch === this.#epoch) this.#onPeerState(pc.connectionState);
    };
    this.handlers.welcome?.(welcome);
    this.#enqueue(epoch, () => this.#publish(pc));
  }

  /**
   * Offers the local camera and microphone, send-only, and waits for the server's answer.
   * Server offers queue behind this on the chain, so the two never cross.
   * @param {RTCPeerConnection} pc
   */
  async #publish(pc) {
    for (const kind of /** @type {TrackKind[]} */ (['audio', 'video'])) {
      const track = this.stream.getTracks().find((t) => t.kind === kind);
      const init = { direction: /** @type {const} */ ('sendonly'), streams: [this.stream] };
      const transceiver = pc.addTransceiver(track ?? kind, init);
      this.#senders[kind] = transceiver.sender;
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answerSdp = new Promise((resolve, reject) => {
      this.#pendingAnswer = { resolve, reject };
    });
    this.#send({ type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp ?? '' });
    await pc.setRemoteDescription({ type: 'answer', sdp: await answerSdp });
  }

  /**
   * Applies a server offer that adds or stops received m-lines, answers it, and reports the
   * resulting set of tracks.
   * @param {string} sdp
   * @param {TrackInfo[] | null} tracks the full list after this offer; null keeps the last one
   */
  async #applyServerOffer(sdp, tracks) {
    const pc = this.#pc;
    if (!pc) return;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.#send({ type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' });
    if (tracks) this.#trackInfo = new Map(tracks.map((info) => [info.mid, info]));
    this.#reportTracks();
  }

  #reportTracks() {
    /** @type {RemoteTrack[]} */
    const list = [];
    const pc = this.#pc;
    if (pc) {
      for (const transceiver of pc.getTransceivers()) {
        const mid = transceiver.mid;
        if (mid === null) continue;
        const info = this.#trackInfo.get(mid);
        if (!info) continue;
        if (transceiver.currentDirection === 'stopped' || transceiver.direction === 'stopped') continue;
        list.push({ mid, point: info.point, kind: info.kind, track: transceiver.receiver.track });
      }
    }
    this.#tracks = list;
    this.handlers.tracks?.(list);
  }

  /** @param {RTCPeerConnectionState} state */
  #onPeerState(state) {
    switch (state) {
      case 'connected':
        clearTimeout(this.#setupTimer);
        clearTimeout(this.#lossTimer);
        this.#lossTimer = undefined;
        this.#attempt = 0;
        this.#setState('connected');
        break;
      case 'disconnected':
        // ICE often recovers from a short gap by itself; give it a moment.
        if (this.#lossTimer === undefined) {
          const epoch = this.#epoch;
          this.#lossTimer = setTimeout(() => {
            this.#lossTimer = undefined;
            if (epoch === this.#epoch) this.#lost();
          }, DISCONNECT_GRACE_MS);
        }
        break;
      case 'failed':
        // Terminal for this peer connection: the server never restarts ICE.
        this.#lost();
        break;
      default:
        break;
    }
  }

  // --- loss and reconnection -------------------------------------------------------------

  /** The current attempt is gone: drop it and try again after the backoff delay. */
  #lost() {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#teardown(4000);
    const delay = Math.min(1000 * 2 ** this.#attempt, MAX_BACKOFF_MS);
    this.#attempt += 1;
    this.#setState('reconnecting');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
  }

  /**
   * Closes the socket and the peer connection and forgets the received tracks. Any callback
   * still in flight for them is ignored (its epoch is stale).
   * @param {number} closeCode 1000 when leaving, 4000 (application range) when reconnecting
   */
  #teardown(closeCode) {
    this.#epoch += 1;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#lossTimer);
    clearTimeout(this.#setupTimer);
    this.#retryTimer = this.#lossTimer = this.#setupTimer = undefined;
    if (this.#pendingAnswer) {
      this.#pendingAnswer.reject(new Error('connection closed'));
      this.#pendingAnswer = null;
    }
    const ws = this.#ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        ws.close(closeCode);
      }
    }
    this.#ws = null;
    const pc = this.#pc;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.close();
    }
    this.#pc = null;
    this.#senders = {};
    this.#trackInfo = new Map();
    if (this.#tracks.length > 0) {
      this.#tracks = [];
      this.handlers.tracks?.([]);
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  /**
   * Runs `step` after every earlier SDP step of the same attempt. A failure drops the attempt.
   * @param {number} epoch
   * @param {() => Promise<void>} step
   */
  #enqueue(epoch, step) {
    this.#chain = this.#chain
      .then(() => (epoch === this.#epoch ? step() : undefined))
      .catch((err) => {
        if (epoch !== this.#epoch) return;
        console.warn('giaoban: negotiation failed', err);
        this.#lost();
      });
  }

  /** @param {object} msg */
  #send(msg) {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.handlers.state?.(state);
  }
}
