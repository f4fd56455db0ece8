// Signalling and media connection of one point, as described in docs/protocol.md.
//
// No DOM here: the page reacts to the callbacks of a Connection and owns the screen. One
// Connection lives from "join" to "leave" and survives network loss: when media stops while
// the WebSocket stays up it asks the server for an ICE restart and keeps its peer connection;
// when that fails or the socket is gone it reconnects with a fresh WebSocket and a fresh
// RTCPeerConnection that publish the same local stream.

import { ApiError, requestJson } from './api.js';
import { applyLimits, limits } from './limits.js';
import { withOpusDtx } from './sdp.js';
import { applyStateDelta, optionalBool } from './state.js';
import { recordingSince } from './recording.js';

export const PROTOCOL_VERSION = 3;

/**
 * Error codes after which reconnecting cannot help (docs/protocol.md, "Errors" and "Messages to
 * points"): the host removed this point, or the briefing is locked against new joins.
 */
export const FATAL_CODES = new Set([
  'invalid_token',
  'revoked_token',
  'replaced',
  'unsupported_version',
  'removed',
  'locked',
]);


/**
 * Simulcast layers of the published camera (docs/protocol.md, "Simulcast"): `l` at half
 * resolution for thumbnails, `h` at full resolution for the stage.
 * @type {RTCRtpEncodingParameters[]}
 */
const SIMULCAST_ENCODINGS = [
  { rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 800_000 },
];

/** Reconnection delays grow 1 s, 2 s, 4 s … up to this. */
const MAX_BACKOFF_MS = 10_000;
/** How long the peer connection may stay `disconnected` before ICE is restarted. */
const DISCONNECT_GRACE_MS = 2_000;
/**
 * How long an ICE restart may take to bring media back before the connection counts as lost
 * and is opened anew. Under the server's 15 s limit for a silent ICE session.
 */
const ICE_RESTART_TIMEOUT_MS = 8_000;
/**
 * The server answers an ICE restart with an offer at once; none within this time means the
 * socket is dead too (the network changed under it), and the connection is opened anew.
 */
const ICE_RESTART_OFFER_MS = 3_000;
/** How long a new connection may take from opening the socket to `welcome`. */
const WELCOME_TIMEOUT_MS = 10_000;
/** How long ICE and DTLS may take after `welcome` before the attempt counts as lost. */
const MEDIA_TIMEOUT_MS = 20_000;

export { ApiError };

/** @typedef {'host' | 'point'} Role */
/** @typedef {'audio' | 'video'} TrackKind */
/** @typedef {{id: string, title: string, scheduled_start: string}} BriefingInfo */
/** @typedef {{name: string, role: Role}} PointInfo */
/** @typedef {{briefing: BriefingInfo, point: PointInfo}} SessionInfo */
/** @typedef {{urls: string[], username: string, credential: string}} IceServer */
/**
 * @typedef {{briefing: BriefingInfo, point: PointInfo, ice_servers?: IceServer[], limits?: import('./limits.js').Limits}} Welcome
 *   `ice_servers`: TURN servers with credentials for this connection (none when absent);
 *   `limits`: what the server accepts
 */
/** @typedef {'stage' | 'presentation' | 'page' | 'audio'} SlotRole */
/** A receive slot, negotiated once: see docs/protocol.md, "Receive slots". */
/** @typedef {{mid: string, kind: TrackKind, role: SlotRole}} SlotInfo */
/** @typedef {SlotInfo & {track: MediaStreamTrack}} SlotTrack */
/**
 * From RTP timestamp `since_ts` on, the slot `mid` carries `point` (null: nothing).
 * `paused`: the slot is for `point` but the link cannot carry it now.
 * @typedef {{mid: string, point: string | null, since_ts: number | null, paused: boolean}} SlotFeed
 */

/** @typedef {'open' | 'directed' | 'presentation'} FloorMode */
/**
 * The point holding the floor; `remaining_ms` is the time left when the state was sent, null
 * without a limit.
 * @typedef {{point: string, remaining_ms: number | null}} Floor
 */
/** @typedef {{point: string, topic: string | null, raised_at: string}} Hand */
/** @typedef {'present' | 'substitute' | 'absent' | 'no_answer'} RollCallStatus */
/**
 * @typedef {{point: string, status: RollCallStatus, substitute?: string | null, reason?: string | null}} RollCallEntry
 */
/** @typedef {{active: boolean, started_at: string | null, answers: RollCallEntry[]}} RollCall */
/**
 * A point's entry in the state. `mic` (its microphone is on), `camera` (its camera is on) and
 * `muted_by_host` (the host switched its microphone off) are null when the server does not say.
 * @typedef {{name: string, role: Role, online: boolean, may_speak: boolean, mic: boolean | null, camera: boolean | null, muted_by_host: boolean | null}} StatePoint
 */
/**
 * The state of `briefing_state` and of `GET /api/briefings/{id}/state` (docs/protocol.md,
 * "Directing the briefing").
 * @typedef {object} BriefingState
 * @property {FloorMode} mode
 * @property {Floor | null} floor
 * @property {string | null} spotlight
 * @property {string[]} stage the points every screen shows large, host first
 * @property {Hand[]} hands requests to speak, oldest first
 * @property {boolean} locked
 * @property {RollCall | null} roll_call
 * @property {StatePoint[]} points every invited point
 * @property {string | null} presentation the point presenting its screen, if any
 * @property {boolean} comments_to_all points may write comments to everybody
 * @property {string | null} recording when the recording running now started (RFC 3339), null
 *   when the briefing is not being recorded
 */
/**
 * A written comment: see docs/protocol.md, "Written comments".
 * @typedef {{id: number, point: string, text: string, to_all: boolean, at: string, pinned: boolean, answer: string | null, concern: number | null}} Comment
 */
/**
 * Connection quality of one point, sent to the host every 2 seconds.
 * @typedef {{point: string, rtt_ms: number | null, loss: number | null, kbps_in: number | null, kbps_out: number | null}} QualityReport
 */

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
 * @property {(slots: SlotTrack[]) => void} [slots] the receive slots opened (once per connection),
 *   or closed (an empty list)
 * @property {(feeds: SlotFeed[]) => void} [feeds] which points some slots carry from now on
 * @property {(code: string, message: string, fatal: boolean) => void} [error] the server sent an error
 * @property {(state: BriefingState) => void} [briefingState] the briefing's state changed
 * @property {(points: QualityReport[]) => void} [quality] connection quality (host only)
 * @property {() => void} [unmuteRequest] the host asks this point to switch its microphone on
 * @property {(comments: Comment[]) => void} [comments] written comments, new or changed
 * @property {(kbps: number) => void} [suggestAudioOnly] the link to this point is too weak for
 *   video: the server suggests audio only
 * @property {(code: string) => void} [notice] the server tells something that needs no answer,
 *   e.g. `recording_stopped_disk_full`
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

const MODES = new Set(['open', 'directed', 'presentation']);
const ROLL_CALL_STATUSES = new Set(['present', 'substitute', 'absent', 'no_answer']);

/**
 * Checks a state from the server and fills in what an older or newer server may leave out, so
 * the page can rely on the shape.
 * @param {unknown} raw
 * @returns {BriefingState | null} null when `raw` is not a state at all
 */
export function normalizeBriefingState(raw) {
  if (!raw || typeof raw !== 'object') return null;
  /** @type {any} */
  const s = raw;
  if (!Array.isArray(s.stage) && !Array.isArray(s.points) && typeof s.mode !== 'string') return null;
  const str = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : null);
  const num = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const list = (/** @type {unknown} */ v) => (Array.isArray(v) ? v : []);

  /** @type {Floor | null} */
  let floor = null;
  if (s.floor && typeof s.floor.point === 'string') {
    floor = { point: s.floor.point, remaining_ms: num(s.floor.remaining_ms) };
  }
  /** @type {RollCall | null} */
  let rollCall = null;
  if (s.roll_call && typeof s.roll_call === 'object') {
    rollCall = {
      active: s.roll_call.active === true,
      started_at: str(s.roll_call.started_at),
      answers: list(s.roll_call.answers)
        .filter((a) => a && typeof a.point === 'string' && ROLL_CALL_STATUSES.has(a.status))
        .map((a) => ({ point: a.point, status: a.status, substitute: str(a.substitute), reason: str(a.reason) })),
    };
  }
  return {
    mode: MODES.has(s.mode) ? s.mode : 'directed',
    floor,
    spotlight: str(s.spotlight),
    stage: list(s.stage).filter((n) => typeof n === 'string'),
    hands: list(s.hands)
      .filter((h) => h && typeof h.point === 'string')
      .map((h) => ({ point: h.point, topic: str(h.topic), raised_at: str(h.raised_at) ?? '' })),
    locked: s.locked === true,
    presentation: str(s.presentation),
    comments_to_all: s.comments_to_all === true,
    recording: recordingSince(s.recording),
    roll_call: rollCall,
    points: list(s.points)
      .filter((p) => p && typeof p.name === 'string')
      .map((p) => ({
        name: p.name,
        role: p.role === 'host' ? 'host' : 'point',
        online: p.online === true,
        may_speak: p.may_speak !== false,
        mic: optionalBool(p.mic),
        camera: optionalBool(p.camera),
        muted_by_host: optionalBool(p.muted_by_host),
      })),
  };
}

/**
 * Checks the comments of a `comments` message; entries without an id, point or text are left
 * out.
 * @param {unknown[]} raw
 * @returns {Comment[]}
 */
export function normalizeComments(raw) {
  const str = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : null);
  const int = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  return raw
    .filter((c) => c && typeof c === 'object')
    .map((/** @type {any} */ c) => ({
      id: int(c.id) ?? -1,
      point: str(c.point) ?? '',
      text: str(c.text) ?? '',
      to_all: c.to_all === true,
      at: str(c.at) ?? '',
      pinned: c.pinned === true,
      answer: str(c.answer),
      concern: int(c.concern),
    }))
    .filter((c) => c.id >= 0 && c.point !== '' && c.text !== '');
}

/**
 * Cuts a topic to what the server accepts: trimmed, NFC, at most `limits.topic_chars` characters
 * (Unicode scalar values, as the server counts them).
 * @param {string} topic
 */
export function clampTopic(topic) {
  const chars = Array.from(topic.normalize('NFC').trim());
  return chars.slice(0, limits.topic_chars).join('').trim();
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
  /** @type {Map<string, SlotInfo>} media id -> the receive slot it is */
  #slotInfo = new Map();
  /** @type {SlotTrack[]} */
  #slots = [];
  /** @type {Partial<Record<TrackKind | 'screen', RTCRtpSender>>} */
  #senders = {};
  /** The shared screen, while presenting: kept across reconnections. */
  /** @type {MediaStreamTrack | null} */
  #screen = null;
  /** The microphone and camera state last reported, sent again on each welcome. */
  /** @type {{mic: boolean, camera: boolean} | null} */
  #devices = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #lossTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #setupTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #restartTimer;
  /** Audio only: see `setAudioOnly`. */
  #audioOnly = false;
  /**
   * What of this point's media the server says anybody receives (`publish`); null until it
   * says, and then everything is sent.
   * @type {{video: boolean, layers: string[], audio: boolean} | null}
   */
  #wanted = null;
  /** Offers received on any connection: tells whether the server answered an ICE restart. */
  #offersReceived = 0;
  /** The briefing's state as last received, and the number of the last delta it holds. */
  /** @type {BriefingState | null} */
  #briefing = null;
  #briefingSeq = 0;

  /**
   * @param {object} options
   * @param {string} options.token the invitation token
   * @param {MediaStream} options.stream the local camera and microphone
   * @param {string} options.url the signalling WebSocket URL
   * @param {number} [options.page] thumbnails the grid shows at once: the page slots to ask for
   * @param {ConnectionHandlers} [options.handlers]
   */
  constructor({ token, stream, url, page, handlers = {} }) {
    this.token = token;
    this.page = page;
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

  /** The receive slots of this connection, once the server's first offer is applied. */
  get slots() {
    return this.#slots;
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

  /**
   * Presents `track` (a shared screen from getDisplayMedia) to the briefing, or stops with
   * null. The server refuses a point without the floor, or while another point presents: its
   * error arrives through the `error` handler, and the caller stops the capture.
   * @param {MediaStreamTrack | null} track
   */
  async present(track) {
    this.#screen = track;
    if (track) track.contentHint = 'detail';
    await this.#sendScreen(track);
    return this.#send({ type: 'present', on: track !== null });
  }

  /** @param {MediaStreamTrack | null} track */
  async #sendScreen(track) {
    const sender = this.#senders.screen;
    if (!sender) return;
    await sender.replaceTrack(track);
    if (!track) return;
    // Text must stay sharp: full resolution, few frames, up to 2.5 Mbit/s.
    const params = sender.getParameters();
    if (params.encodings?.length) {
      params.encodings[0].maxBitrate = 2_500_000;
      params.encodings[0].maxFramerate = 15;
      params.encodings[0].scaleResolutionDownBy = 1;
      params.degradationPreference = 'maintain-resolution';
      await sender.setParameters(params).catch((err) => console.warn('giaoban: screen parameters not applied', err));
    }
  }

  /** Whether this connection presents a screen now (as far as the client knows). */
  get presenting() {
    return this.#screen !== null;
  }

  /**
   * Tells everybody whether this point's microphone and camera are on; sent again after each
   * reconnection.
   * @param {boolean} mic
   * @param {boolean} camera
   */
  sendDevices(mic, camera) {
    this.#devices = { mic, camera };
    return this.#send({ type: 'devices', mic, camera });
  }

  /**
   * Sends a written comment to the host (or to everybody with `toAll`, when the host allows).
   * @param {string} text at most `limits.comment_chars` characters
   * @param {boolean} [toAll]
   */
  sendComment(text, toAll = false) {
    const clean = Array.from(text.normalize('NFC').trim()).slice(0, limits.comment_chars || 2000).join('');
    if (!clean) return false;
    return this.#send({ type: 'comment', text: clean, to_all: toAll });
  }

  // --- directing the briefing (docs/protocol.md, "Messages from a point") ----------------
  // Each returns whether the message went out (false while no socket is open). Servers
  // without the directing protocol close the socket on these: send them only after this
  // connection received a briefing state.

  /**
   * Asks for the floor; raising again keeps the place and updates the topic.
   * @param {string} [topic] at most `limits.topic_chars` characters; longer is cut
   */
  sendRaiseHand(topic = '') {
    const text = clampTopic(topic);
    return this.#send(text ? { type: 'raise_hand', topic: text } : { type: 'raise_hand' });
  }

  /**
   * Audio only (a weak link): the server sends this point no video, and this point stops
   * sending its own; kept across reconnections.
   * @param {boolean} on
   */
  setAudioOnly(on) {
    this.#audioOnly = on;
    this.#send({ type: 'audio_only', on });
    void this.#applyVideoSending();
  }

  /**
   * Sends only what is received: no video in audio-only mode; else the simulcast layers the
   * server says anybody receives, and audio only when somebody may hear it. Commune uplinks
   * are thin, and an encoder that does not run costs no CPU either.
   */
  async #applyVideoSending() {
    const wanted = this.#wanted;
    /** @type {[TrackKind, (encoding: RTCRtpEncodingParameters) => boolean][]} */
    const rules = [
      ['video', (e) => !this.#audioOnly && (!wanted || (wanted.video && (wanted.layers.length === 0 || !e.rid || wanted.layers.includes(e.rid))))],
      ['audio', () => !wanted || wanted.audio],
    ];
    for (const [kind, active] of rules) {
      const sender = this.#senders[kind];
      if (!sender) continue;
      const params = sender.getParameters();
      if (!params.encodings?.length) continue;
      let changed = false;
      for (const encoding of params.encodings) {
        const on = active(encoding);
        if (encoding.active !== on) {
          encoding.active = on;
          changed = true;
        }
      }
      if (!changed) continue;
      try {
        await sender.setParameters(params);
      } catch (err) {
        console.warn(`giaoban: cannot switch the ${kind} sending`, err);
      }
    }
  }

  /** Withdraws the request to speak. */
  sendLowerHand() {
    return this.#send({ type: 'lower_hand' });
  }

  /** Answers "present" to the active roll-call. */
  sendRollCallAnswer() {
    return this.#send({ type: 'roll_call_answer' });
  }

  /**
   * The points whose thumbnails the page displays now; the server forwards their low layer.
   * @param {string[]} thumbnails
   */
  sendView(thumbnails) {
    return this.#send({ type: 'view', thumbnails: thumbnails.slice(0, limits.view_points) });
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
        this.#offersReceived += 1;
        if (typeof msg.sdp === 'string') {
          const slots = Array.isArray(msg.slots) ? normalizeSlots(msg.slots) : [];
          this.#enqueue(epoch, () => this.#applyServerOffer(msg.sdp, slots));
        }
        break;
      case 'publish':
        this.#wanted = {
          video: msg.video !== false,
          layers: Array.isArray(msg.layers) ? msg.layers.filter((/** @type {unknown} */ r) => typeof r === 'string') : [],
          audio: msg.audio !== false,
        };
        // After the publish offer's answer, like every sender change.
        this.#enqueue(epoch, () => this.#applyVideoSending());
        break;
      case 'slots':
        if (Array.isArray(msg.feeds)) {
          const feeds = normalizeFeeds(msg.feeds);
          // After the offer that opens the slots: feeds wait on the same chain.
          this.#enqueue(epoch, async () => this.handlers.feeds?.(feeds));
        }
        break;
      case 'briefing_state': {
        const briefing = normalizeBriefingState(msg.state);
        if (briefing) {
          this.#briefing = briefing;
          this.#briefingSeq = typeof msg.seq === 'number' ? msg.seq : 0;
          this.handlers.briefingState?.(briefing);
        }
        break;
      }
      case 'state_delta': {
        // A delta numbered at or below the snapshot's is already in it.
        if (!this.#briefing || typeof msg.seq !== 'number' || msg.seq <= this.#briefingSeq) break;
        const { state, presence } = applyStateDelta(this.#briefing, msg.delta);
        this.#briefing = state;
        this.#briefingSeq = msg.seq;
        for (const p of presence) this.handlers.presence?.(p.name, p.online);
        this.handlers.briefingState?.(state);
        break;
      }
      case 'quality':
        if (Array.isArray(msg.points)) this.handlers.quality?.(normalizeQuality(msg.points));
        break;
      case 'unmute_request':
        this.handlers.unmuteRequest?.();
        break;
      case 'comments':
        if (Array.isArray(msg.comments)) this.handlers.comments?.(normalizeComments(msg.comments));
        break;
      case 'notice':
        if (typeof msg.code === 'string') this.handlers.notice?.(msg.code);
        break;
      case 'suggest_audio_only':
        if (typeof msg.kbps === 'number') this.handlers.suggestAudioOnly?.(msg.kbps);
        break;
      case 'error': {
        const code = typeof msg.code === 'string' ? msg.code : 'internal';
        const fatal = FATAL_CODES.has(code);
        this.handlers.error?.(code, typeof msg.message === 'string' ? msg.message : '', fatal);
        if (fatal) {
          this.#teardown(1000);
          this.#setState('failed');
        }
        // Errors about a directing message (not_allowed, bad_message, rate_limited) leave the
        // socket open; other errors are followed by the server closing it, and onclose
        // reconnects with backoff: after slow_consumer with a fresh state, after
        // too_many_connections once the server has room again.
        break;
      }
      default:
        // A newer server may send more; clients ignore what they do not know.
        break;
    }
  }

  /**
   * @param {number} epoch
   * @param {Welcome} welcome
   */
  #onWelcome(epoch, welcome) {
    applyLimits(welcome.limits);
    clearTimeout(this.#setupTimer);
    this.#setupTimer = setTimeout(() => {
      if (epoch === this.#epoch) this.#lost();
    }, MEDIA_TIMEOUT_MS);

    const iceServers = Array.isArray(welcome.ice_servers) ? welcome.ice_servers : [];
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers });
    this.#pc = pc;
    this.#senders = {};
    this.#slotInfo = new Map();
    this.#wanted = null;
    pc.onconnectionstatechange = () => {
      if (epoch === this.#epoch) this.#onPeerState(pc.connectionState);
    };
    this.handlers.welcome?.(welcome);
    if (this.#devices) this.#send({ type: 'devices', ...this.#devices });
    this.#enqueue(epoch, () => this.#publish(pc));
  }

  /**
   * Offers the local camera and microphone, send-only, and waits for the server's answer.
   * Server offers queue behind this on the chain, so the two never cross.
   * @param {RTCPeerConnection} pc
   */
  async #publish(pc) {
    let simulcast = false;
    for (const kind of /** @type {TrackKind[]} */ (['audio', 'video'])) {
      const track = this.stream.getTracks().find((t) => t.kind === kind);
      const init = { direction: /** @type {const} */ ('sendonly'), streams: [this.stream] };
      /** @type {RTCRtpTransceiver | null} */
      let transceiver = null;
      if (kind === 'video' && track) {
        try {
          transceiver = pc.addTransceiver(track, { ...init, sendEncodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e })) });
          simulcast = true;
        } catch (err) {
          console.warn('giaoban: simulcast is not available, publishing one layer', err);
        }
      }
      transceiver ??= pc.addTransceiver(track ?? kind, init);
      this.#senders[kind] = transceiver.sender;
    }
    // A third m-line for a shared screen: it sends nothing until `present` gives it a track,
    // so presenting needs no renegotiation.
    const screen = pc.addTransceiver('video', { direction: 'sendonly' });
    this.#senders.screen = screen.sender;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answerSdp = new Promise((resolve, reject) => {
      this.#pendingAnswer = { resolve, reject };
    });
    /** @type {Record<string, unknown>} */
    const publish = { type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp ?? '' };
    if (typeof this.page === 'number') publish.page = this.page;
    if (screen.mid) publish.presentation = screen.mid;
    this.#send(publish);
    // Silent points send almost no audio (Opus DTX).
    await pc.setRemoteDescription({ type: 'answer', sdp: withOpusDtx(await answerSdp) });
    if (this.#screen) await this.#sendScreen(this.#screen);
    if (simulcast) await this.#fitSingleLayer();
    if (this.#audioOnly) {
      this.#send({ type: 'audio_only', on: true });
      await this.#applyVideoSending();
    }
  }

  /**
   * A server that does not accept simulcast leaves the sender with its first encoding only,
   * the half-resolution thumbnail layer: publish that one at full resolution instead.
   */
  async #fitSingleLayer() {
    const sender = this.#senders.video;
    if (!sender) return;
    const params = sender.getParameters();
    const encodings = params.encodings ?? [];
    if (encodings.length !== 1) return;
    const [only] = encodings;
    if ((only.scaleResolutionDownBy ?? 1) === 1 && only.maxBitrate === undefined) return;
    only.scaleResolutionDownBy = 1;
    delete only.maxBitrate;
    try {
      await sender.setParameters(params);
    } catch (err) {
      console.warn('giaoban: cannot restore the single video layer', err);
    }
  }

  /**
   * Applies a server offer and answers it. The first one opens the receive slots (`slots`);
   * later ones (ICE restarts) list none and change no m-line.
   * @param {string} sdp
   * @param {SlotInfo[]} slots
   */
  async #applyServerOffer(sdp, slots) {
    const pc = this.#pc;
    if (!pc) return;
    // The server's offers keep asking for Opus DTX, or the microphone would stop using it.
    await pc.setRemoteDescription({ type: 'offer', sdp: withOpusDtx(sdp) });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.#send({ type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' });
    if (slots.length === 0) return;
    this.#slotInfo = new Map(slots.map((info) => [info.mid, info]));
    /** @type {SlotTrack[]} */
    const list = [];
    for (const transceiver of pc.getTransceivers()) {
      const info = transceiver.mid === null ? undefined : this.#slotInfo.get(transceiver.mid);
      if (info) list.push({ ...info, track: transceiver.receiver.track });
    }
    this.#slots = list;
    this.handlers.slots?.(list);
  }

  /** @param {RTCPeerConnectionState} state */
  #onPeerState(state) {
    switch (state) {
      case 'connected':
        clearTimeout(this.#setupTimer);
        clearTimeout(this.#lossTimer);
        clearTimeout(this.#restartTimer);
        this.#lossTimer = undefined;
        this.#restartTimer = undefined;
        this.#attempt = 0;
        this.#setState('connected');
        break;
      case 'disconnected':
        // ICE often recovers from a short gap by itself; give it a moment, then restart it.
        if (this.#lossTimer === undefined) {
          const epoch = this.#epoch;
          this.#lossTimer = setTimeout(() => {
            this.#lossTimer = undefined;
            if (epoch === this.#epoch) this.#restartIce();
          }, DISCONNECT_GRACE_MS);
        }
        break;
      case 'failed':
        this.#restartIce();
        break;
      default:
        break;
    }
  }

  // --- loss and reconnection -------------------------------------------------------------

  /**
   * Media stopped: while the signalling socket is up, ask the server for an ICE restart (its
   * offer brings new credentials and the browser checks again from the network it is on now),
   * keeping the peer connection, the received tracks and the attendance session. If that does
   * not bring media back in time, or the socket is gone, open a new connection.
   */
  #restartIce() {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#restartTimer !== undefined) return;
    this.#setState('reconnecting');
    if (!this.#send({ type: 'ice_restart' })) {
      this.#lost();
      return;
    }
    const epoch = this.#epoch;
    const offers = this.#offersReceived;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (epoch === this.#epoch && this.#pc?.connectionState !== 'connected') this.#lost();
    }, ICE_RESTART_TIMEOUT_MS);
    setTimeout(() => {
      if (epoch === this.#epoch && this.#restartTimer !== undefined && this.#offersReceived === offers) {
        this.#lost();
      }
    }, ICE_RESTART_OFFER_MS);
  }

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
    clearTimeout(this.#restartTimer);
    this.#retryTimer = this.#lossTimer = this.#setupTimer = this.#restartTimer = undefined;
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
    this.#slotInfo = new Map();
    if (this.#slots.length > 0) {
      this.#slots = [];
      this.handlers.slots?.([]);
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

  /**
   * @param {object} msg
   * @returns {boolean} whether the message went out
   */
  #send(msg) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.handlers.state?.(state);
  }
}

/**
 * @param {any[]} points
 * @returns {QualityReport[]}
 */
function normalizeQuality(points) {
  const num = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return points
    .filter((p) => p && typeof p.point === 'string')
    .map((p) => ({ point: p.point, rtt_ms: num(p.rtt_ms), loss: num(p.loss), kbps_in: num(p.kbps_in), kbps_out: num(p.kbps_out) }));
}

const SLOT_ROLES = new Set(['stage', 'presentation', 'page', 'audio']);

/**
 * @param {any[]} slots
 * @returns {SlotInfo[]}
 */
function normalizeSlots(slots) {
  return slots
    .filter((s) => s && typeof s.mid === 'string' && (s.kind === 'audio' || s.kind === 'video') && SLOT_ROLES.has(s.role))
    .map((s) => ({ mid: s.mid, kind: s.kind, role: s.role }));
}

/**
 * @param {any[]} feeds
 * @returns {SlotFeed[]}
 */
function normalizeFeeds(feeds) {
  return feeds
    .filter((f) => f && typeof f.mid === 'string')
    .map((f) => ({
      mid: f.mid,
      point: typeof f.point === 'string' ? f.point : null,
      since_ts: typeof f.since_ts === 'number' && Number.isInteger(f.since_ts) ? f.since_ts : null,
      paused: f.paused === true,
    }));
}
