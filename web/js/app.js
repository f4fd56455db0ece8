// The point's page: lobby with a camera preview, then the briefing room.
//
// The signalling and the peer connection live in protocol.js; this file owns the screen.
// The host's panel lives in host.js. Point names and topics are user input: they only ever
// reach the page through textContent.
//
// Directing (docs/protocol.md, "Directing the briefing") is optional: until a briefing state
// arrives, the page behaves as with a server that does not direct (the host on the stage, no
// floor controls) and sends none of the directing messages.

import { t, hasKey, translateDom, bindLangButton, onLangChange, formatDateTime, formatNumber } from './i18n.js';
import { ApiError, Connection, fetchSession, signallingUrl } from './protocol.js';
import { HostApi } from './host-api.js';
import { HostPanel, answerText, formatLoss, formatRtt } from './host.js';
import { NetCheckPanel } from './netcheck-panel.js';
import { SlotTimeline } from './slots.js';
import { Presenter } from './present.js';
import { CommentsPanel } from './comments.js';
import { GridFitter, gridSizeChoices, pageSizeFor } from './layout.js';
import { Projector } from './projector.js';
import { QualityMeter } from './quality-meter.js';
import { MicLevel, SpeakerChoice } from './lobby-audio.js';
import { renderMediaState } from './media-state.js';
import { RosterSearch, wireSidePanel } from './side-panel.js';
import { messageText, problemMessage } from './problem.js';
import { RecordingIndicator } from './recording-indicator.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./protocol.js').Role} Role */
/** @typedef {import('./protocol.js').SessionInfo} SessionInfo */
/** @typedef {import('./protocol.js').Welcome} Welcome */
/** @typedef {import('./protocol.js').SlotTrack} SlotTrack */
/** @typedef {import('./protocol.js').SlotFeed} SlotFeed */
/** @typedef {import('./protocol.js').ConnectionState} ConnectionState */
/** @typedef {import('./protocol.js').BriefingState} BriefingState */
/** @typedef {import('./protocol.js').QualityReport} QualityReport */

/** Grid tiles per page: the host's 5 × 5, a bridge point's 3 × 2. The server gives as many
 * page slots (docs/protocol.md, "Receive slots"). */
const HOST_PAGE_SIZE = 25;
const POINT_PAGE_SIZE = 6;
const MAX_PAGE_SIZE = 49;
/** An emptied slot's picture is taken down after this, unless a new point's frames came. */
const SLOT_EMPTY_MS = 300;
/** The `view` message waits this long for the display to settle. */
const VIEW_DEBOUNCE_MS = 200;
/** How often the audio level of the received points is read. */
const SPEAKING_INTERVAL_MS = 300;
/** Audio level (0..1, RFC 6464 via the SFU) above which a point counts as speaking. */
const SPEAKING_THRESHOLD = 0.05;
/** An audio level older than this no longer counts (the point stopped being forwarded). */
const SPEAKING_FRESH_MS = 1000;
/** How long a success notice or a non-fatal error stays. */
const NOTICE_MS = 5000;
const TRANSIENT_ERROR_MS = 15_000;
/** How long a raise/lower/answer waits for the state that confirms it before the button frees. */
const PENDING_MS = 5000;
/**
 * Error codes about a directing message; the socket stays open after them. `rate_limited`:
 * clicks came faster than the server takes them; the refused one is dropped, nothing else.
 */
const ACTION_ERROR_CODES = new Set(['not_allowed', 'rate_limited']);

/**
 * The tile of one remote point: the picture of the receive slot that carries it now (if
 * any), its label, its markers (floor, spotlight, hand) and, for the host, its actions and
 * connection quality. Sound plays through the audio slots, apart from any tile.
 * @typedef {object} Tile
 * @property {string} name
 * @property {HTMLElement} root
 * @property {HTMLElement} frame where a slot's video goes
 * @property {HTMLElement} paused says the picture is paused for lack of bandwidth
 * @property {HTMLElement} badge
 * @property {HTMLElement} media the microphone and camera state (media-state.js)
 * @property {HTMLElement} markers
 * @property {HTMLElement} quality
 * @property {HTMLElement} actions
 * @property {HTMLButtonElement} spotlight
 * @property {HTMLButtonElement} grant
 * @property {HTMLButtonElement} askUnmute
 * @property {HTMLButtonElement} mute
 * @property {HTMLButtonElement} remove
 */

/**
 * A receive slot's media element. A video slot's element moves to the tile of the point whose
 * frame it shows, read from each frame's RTP timestamp.
 * @typedef {object} SlotMedia
 * @property {string} mid
 * @property {import('./protocol.js').SlotRole} role
 * @property {HTMLVideoElement | HTMLAudioElement} el
 * @property {SlotTimeline} timeline
 * @property {string | null} shown the point whose frames the element shows now
 * @property {number | null} lastTs RTP timestamp of the last frame shown
 * @property {ReturnType<typeof setTimeout> | undefined} emptyTimer
 */

/**
 * @template {Element} T
 * @param {string} selector
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function find(selector, type) {
  const el = document.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`page element missing: ${selector}`);
  return el;
}

const ui = {
  error: find('[data-role=error]', HTMLElement),
  notice: find('[data-role=notice]', HTMLElement),
  title: find('[data-role=title]', HTMLElement),
  me: find('[data-role=me]', HTMLElement),
  start: find('[data-role=start]', HTMLElement),
  connection: find('[data-role=connection]', HTMLElement),
  lang: find('[data-action=lang]', HTMLButtonElement),
  dossierLink: find('[data-role=dossier-link]', HTMLAnchorElement),
  loading: find('[data-role=loading]', HTMLElement),
  lobby: find('[data-role=lobby]', HTMLElement),
  preview: find('[data-role=preview]', HTMLElement),
  acquiring: find('[data-role=acquiring]', HTMLElement),
  self: find('[data-role=self]', HTMLVideoElement),
  cameraSelect: find('[data-role=camera-select]', HTMLSelectElement),
  micSelect: find('[data-role=mic-select]', HTMLSelectElement),
  retryMedia: find('[data-action=retry-media]', HTMLButtonElement),
  join: find('[data-action=join]', HTMLButtonElement),
  room: find('[data-role=room]', HTMLElement),
  briefingBar: find('[data-role=briefing-bar]', HTMLElement),
  mode: find('[data-role=mode]', HTMLElement),
  floor: find('[data-role=floor]', HTMLElement),
  countdown: find('[data-role=countdown]', HTMLElement),
  handsWaiting: find('[data-role=hands-waiting]', HTMLElement),
  locked: find('[data-role=locked]', HTMLElement),
  speakNotice: find('[data-role=speak-notice]', HTMLElement),
  micOffNotice: find('[data-role=floor-mic-off]', HTMLElement),
  unmuteRequest: find('[data-role=unmute-request]', HTMLElement),
  unmute: find('[data-action=unmute]', HTMLButtonElement),
  dismissUnmute: find('[data-action=dismiss-unmute]', HTMLButtonElement),
  rollCall: find('[data-role=roll-call]', HTMLElement),
  rollCallText: find('[data-role=roll-call-text]', HTMLElement),
  rollCallPresent: find('[data-action=roll-call-present]', HTMLButtonElement),
  stage: find('[data-role=stage]', HTMLElement),
  stagePlaceholder: find('[data-role=stage-placeholder]', HTMLElement),
  grid: find('[data-role=grid]', HTMLElement),
  gridEmpty: find('[data-role=grid-empty]', HTMLElement),
  pager: find('[data-role=pager]', HTMLElement),
  page: find('[data-role=page]', HTMLElement),
  pagePrev: find('[data-action=page-prev]', HTMLButtonElement),
  pageNext: find('[data-action=page-next]', HTMLButtonElement),
  selfTile: find('[data-role=self-tile]', HTMLElement),
  selfSlot: find('[data-role=self-slot]', HTMLElement),
  selfHolder: find('[data-role=self-holder]', HTMLElement),
  gridBox: find('[data-role=grid-box]', HTMLElement),
  gridSize: find('[data-role=grid-size]', HTMLSelectElement),
  gridSizeField: find('[data-role=grid-size-field]', HTMLElement),
  mutedByHost: find('[data-role=muted-by-host]', HTMLElement),
  present: find('[data-action=present]', HTMLButtonElement),
  presentationHolder: find('[data-role=presentation-holder]', HTMLElement),
  commentToAllField: find('[data-role=comment-to-all-field]', HTMLElement),
  commentToAll: find('[data-role=comment-to-all]', HTMLInputElement),
  floorTimer: find('[data-role=floor-timer]', HTMLElement),
  roster: find('[data-role=roster]', HTMLElement),
  rosterCount: find('[data-role=roster-count]', HTMLElement),
  toggleMic: find('[data-action=toggle-mic]', HTMLButtonElement),
  toggleCamera: find('[data-action=toggle-camera]', HTMLButtonElement),
  toggleAudioOnly: find('[data-action=toggle-audio-only]', HTMLButtonElement),
  audioOnlySuggest: find('[data-role=audio-only-suggest]', HTMLElement),
  audioOnlyText: find('[data-role=audio-only-text]', HTMLElement),
  acceptAudioOnly: find('[data-action=accept-audio-only]', HTMLButtonElement),
  dismissAudioOnly: find('[data-action=dismiss-audio-only]', HTMLButtonElement),
  handControl: find('[data-role=hand-control]', HTMLFormElement),
  handTopic: find('[data-role=hand-topic]', HTMLInputElement),
  raiseHand: find('[data-action=raise-hand]', HTMLButtonElement),
  handStatus: find('[data-role=hand-status]', HTMLElement),
  netcheck: find('[data-action=netcheck]', HTMLButtonElement),
  netcheckDialog: find('[data-role=netcheck]', HTMLElement),
  leave: find('[data-action=leave]', HTMLButtonElement),
  ended: find('[data-role=ended]', HTMLElement),
  endedMessage: find('[data-role=ended-message]', HTMLElement),
  rejoin: find('[data-action=rejoin]', HTMLButtonElement),
};

/** @typedef {'loading' | 'lobby' | 'room' | 'ended' | 'none'} View */

const state = {
  token: '',
  /** @type {SessionInfo | null} */
  session: null,
  /** @type {View} */
  view: /** @type {View} */ ('loading'),
  /** @type {(import('./problem.js').Message & {kind: ErrorKind}) | null} */
  error: null,
  /** @type {ReturnType<typeof setTimeout> | undefined} clears a transient error */
  errorTimer: undefined,
  /** @type {{key: MessageKey, params?: Record<string, string | number>} | null} a short confirmation */
  notice: null,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  noticeTimer: undefined,
  /** @type {MediaStream | null} */
  stream: null,
  /** Bumped per getUserMedia call so a slow, superseded call does not win. */
  acquireSeq: 0,
  /** @type {MediaDeviceInfo[]} */
  devices: [],
  micOn: true,
  cameraOn: true,
  /** @type {Connection | null} the running connection, or the last one once it ended */
  conn: null,
  /** @type {ConnectionState} */
  connState: /** @type {ConnectionState} */ ('idle'),
  /** @type {string | null} the last fatal server error code */
  fatalCode: null,
  /** @type {Map<string, {role: Role, online: boolean}>} every invited point, in the server's order */
  roster: new Map(),
  /** @type {Map<string, SlotMedia>} the receive slots of the connection, by media id */
  slots: new Map(),
  /** @type {Map<string, string>} slots paused because the link is short: media id -> point */
  pausedSlots: new Map(),
  /** @type {Map<string, Tile>} */
  tiles: new Map(),
  /** @type {MessageKey} */
  endedKey: /** @type {MessageKey} */ ('ended.left'),

  /** @type {BriefingState | null} the last briefing state; null until one arrives */
  briefing: null,
  /** Whether the current connection's first state arrived (directing messages wait for it). */
  directing: false,
  /** @type {number | null} performance.now() when the floor's time runs out; null without limit */
  floorDeadline: null,
  /** @type {ReturnType<typeof setInterval> | undefined} */
  countdownTimer: undefined,
  /** The grid page shown, from 0. */
  page: 0,
  /** @type {number | null} thumbnails per page the host chose; null: as many as fit */
  gridChoice: null,
  /** @type {string[]} names of the points whose grid tiles are visible now */
  thumbnails: [],
  /** @type {string | null} the thumbnails last sent in `view` on this connection (JSON) */
  lastView: null,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  viewTimer: undefined,
  /** @type {ReturnType<typeof setInterval> | undefined} */
  speakingTimer: undefined,
  /** @type {Set<string>} points speaking now */
  speaking: new Set(),
  /** @type {Map<string, QualityReport>} the last quality report per point (host only) */
  quality: new Map(),
  unmuteRequested: false,
  /** This point receives and sends audio only (a weak link). */
  audioOnly: false,
  /** The server's estimate of the link when it suggested audio only; null when it has not. */
  audioOnlySuggestedKbps: /** @type {number | null} */ (null),
  /** @type {ReturnType<typeof setTimeout> | undefined} a raise/lower sent, not yet in a state */
  handPending: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} a roll-call answer sent, not yet in a state */
  answerPending: undefined,
  /** @type {HostPanel | null} */
  host: null,
  /** @type {NetCheckPanel | null} created on first use */
  netcheck: null,
};

/** @typedef {'page' | 'media' | 'signal' | 'api' | 'action'} ErrorKind */

/** The room's parts that keep to themselves (layout.js, projector.js, quality-meter.js, …). */
const room = {
  grid: new GridFitter(ui.gridBox, ui.grid, () => layout()),
  projector: new Projector({
    button: find('[data-action=projector]', HTMLButtonElement),
    caption: find('[data-role=stage-caption]', HTMLElement),
    speaker: find('[data-role=stage-speaker]', HTMLElement),
    countdown: find('[data-role=stage-countdown]', HTMLElement),
    allowed: () => state.view === 'room',
  }),
  quality: new QualityMeter({
    root: find('[data-role=my-quality]', HTMLElement),
    text: find('[data-role=my-quality-text]', HTMLElement),
    peerConnection: () => state.conn?.pc ?? null,
  }),
  micLevel: new MicLevel(find('[data-role=mic-level]', HTMLElement)),
  speakers: new SpeakerChoice(find('[data-role=speaker-field]', HTMLElement), find('[data-role=speaker-select]', HTMLSelectElement)),
  recording: new RecordingIndicator({
    badges: [
      { root: find('[data-role=recording]', HTMLElement), time: find('[data-role=recording-time]', HTMLElement) },
      { root: find('[data-role=stage-recording]', HTMLElement), time: find('[data-role=stage-recording-time]', HTMLElement) },
    ],
    announce: find('[data-role=recording-announce]', HTMLElement),
  }),
  rosterSearch: new RosterSearch(
    find('[data-role=roster-search]', HTMLInputElement),
    find('[data-role=roster]', HTMLElement),
    find('[data-role=roster-none]', HTMLElement),
  ),
};

/** Screen sharing: see present.js. */
const presenter = new Presenter({
  connection: () => state.conn,
  me: () => state.session?.point.name ?? null,
  isHost: viewerIsHost,
  notify: (key) => showNotice(key),
  render: () => {
    renderPresent();
    renderPresenterPreview();
  },
});

/** Written comments: see comments.js. */
const comments = new CommentsPanel({
  list: find('[data-role=comments]', HTMLElement),
  input: find('[data-role=comment-input]', HTMLTextAreaElement),
  send: find('[data-action=send-comment]', HTMLButtonElement),
  toAll: ui.commentToAll,
  filter: find('[data-role=comment-filter]', HTMLElement),
  connection: () => state.conn,
  hostApi: () => state.host?.api ?? null,
  onError: showApiError,
  notify: (key) => showNotice(key),
});

// Test and support handle: `window.giaoban.pc.getStats()` from the e2e tests.
/** @type {any} */ (window).giaoban = {
  get pc() {
    return state.conn?.pc ?? null;
  },
  get ws() {
    return state.conn?.ws ?? null;
  },
  get state() {
    return state.conn?.state ?? 'idle';
  },
  /** Every receive slot and the point it carries now: `[{mid, kind, role, point}]`. */
  get tracks() {
    return [...state.slots.values()].map((s) => ({
      mid: s.mid,
      kind: s.el instanceof HTMLVideoElement ? 'video' : 'audio',
      role: s.role,
      point: s.el instanceof HTMLVideoElement ? s.shown : s.timeline.latest(),
    }));
  },
  get roster() {
    return [...state.roster].map(([name, p]) => ({ name, role: p.role, online: p.online }));
  },
  /** The last briefing state (docs/protocol.md, "State"), null until one arrives. */
  get briefingState() {
    return state.briefing;
  },
  /** The points whose grid tiles are visible now (what `view` reports). */
  get thumbnails() {
    return [...state.thumbnails];
  },
  /** The points marked as speaking now. */
  get speaking() {
    return [...state.speaking];
  },
  /** Whether this page shares its screen now. */
  get presenting() {
    return presenter.presenting;
  },
};

main();

async function main() {
  translateDom();
  bindLangButton(ui.lang);
  wireSidePanel(document);
  onLangChange(renderAll);
  wireControls();
  renderControls();

  state.token = tokenFromPath(location.pathname);
  if (!state.token) {
    showView('none');
    setError('error.invalidLink', 'page');
    return;
  }
  // The dossier (agenda, documents, reports) of the same link, in a tab of its own.
  ui.dossierLink.href = `/d/${encodeURIComponent(state.token)}`;
  ui.dossierLink.hidden = false;

  try {
    state.session = await fetchSession(state.token);
  } catch (err) {
    showView('none');
    const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
    setError(refused ? 'error.invalidLink' : 'error.sessionUnavailable', 'page');
    return;
  }

  renderHeader();
  enterLobby();
}

/**
 * The invitation token: the last segment of `/j/<token>`.
 * @param {string} pathname
 */
function tokenFromPath(pathname) {
  const segments = pathname.split('/').filter((s) => s !== '');
  return segments.length >= 2 ? segments[segments.length - 1] : '';
}

function wireControls() {
  ui.join.addEventListener('click', join);
  ui.retryMedia.addEventListener('click', () => void acquireMedia('both'));
  ui.cameraSelect.addEventListener('change', () => void acquireMedia('video'));
  ui.micSelect.addEventListener('change', () => void acquireMedia('audio'));
  ui.toggleMic.addEventListener('click', () => {
    state.micOn = !state.micOn;
    if (state.micOn) state.unmuteRequested = false;
    applyTrackSwitches();
    renderBriefing();
  });
  ui.toggleCamera.addEventListener('click', () => {
    state.cameraOn = !state.cameraOn;
    applyTrackSwitches();
  });
  ui.toggleAudioOnly.addEventListener('click', () => setAudioOnly(!state.audioOnly));
  ui.acceptAudioOnly.addEventListener('click', () => setAudioOnly(true));
  ui.dismissAudioOnly.addEventListener('click', () => {
    state.audioOnlySuggestedKbps = null;
    renderBriefing();
  });
  ui.leave.addEventListener('click', leave);
  ui.netcheck.addEventListener('click', () => {
    state.netcheck ??= new NetCheckPanel({ dialog: ui.netcheckDialog, peerConnection: () => state.conn?.pc ?? null });
    state.netcheck.open();
  });
  ui.raiseHand.addEventListener('click', toggleHand);
  ui.handControl.addEventListener('submit', (event) => {
    event.preventDefault();
    raiseHand();
  });
  ui.rollCallPresent.addEventListener('click', answerRollCall);
  ui.unmute.addEventListener('click', () => {
    state.micOn = true;
    state.unmuteRequested = false;
    applyTrackSwitches();
    renderBriefing();
  });
  ui.dismissUnmute.addEventListener('click', () => {
    state.unmuteRequested = false;
    renderBriefing();
  });
  ui.present.addEventListener('click', () => {
    const other = presenter.presenter;
    if (!presenter.presenting && viewerIsHost() && other !== null && other !== state.session?.point.name) {
      void state.host?.stopPresentation(ui.present);
    } else {
      void presenter.toggle();
    }
  });
  ui.commentToAll.addEventListener('change', () => {
    if (viewerIsHost()) void state.host?.setCommentsToAll(ui.commentToAll.checked);
  });
  ui.pagePrev.addEventListener('click', () => turnPage(-1));
  ui.gridSize.addEventListener('change', () => {
    state.gridChoice = Number(ui.gridSize.value) || null;
    layout();
  });
  ui.pageNext.addEventListener('click', () => turnPage(1));
  ui.rejoin.addEventListener('click', () => {
    clearError();
    enterLobby();
  });
  navigator.mediaDevices?.addEventListener('devicechange', () => void listDevices());
  // Closing the tab tells the server at once, so the others see this point go offline.
  window.addEventListener('pagehide', () => {
    if (joined()) leave();
  });
}

// --- views -----------------------------------------------------------------------------

/** @param {View} view */
function showView(view) {
  state.view = view;
  ui.loading.hidden = view !== 'loading';
  ui.lobby.hidden = view !== 'lobby';
  ui.room.hidden = view !== 'room';
  ui.ended.hidden = view !== 'ended';
  document.body.dataset.view = view;
}

function enterLobby() {
  if (!('RTCPeerConnection' in window)) {
    showView('none');
    setError('error.webrtc', 'page');
    return;
  }
  state.micOn = true;
  state.cameraOn = true;
  state.connState = 'idle';
  renderConnection();
  placeSelf();
  showView('lobby');
  renderControls();
  updateJoin();
  void acquireMedia('both');
}

function join() {
  const stream = state.stream;
  if (!stream || !state.session || joined()) return;
  clearError();
  state.fatalCode = null;
  state.roster.clear();
  closeSlots();
  resetBriefing();
  if (state.session.point.role === 'host' && !state.host) {
    state.host = new HostPanel({
      api: new HostApi(state.token, state.session.briefing.id),
      onState: (next) => applyBriefingState(next, false),
      onError: showApiError,
      onSuccess: () => {
        if (state.error?.kind === 'api') clearError();
      },
      notify: showNotice,
    });
  }
  showView('room');
  room.micLevel.detach();
  renderGridSizes();
  placeSelf();
  layout();
  renderRoster();

  const conn = new Connection({
    token: state.token,
    stream,
    url: signallingUrl(location),
    page: pageSize(),
    handlers: {
      state: onConnectionState,
      welcome: onWelcome,
      presence: onPresence,
      slots: onSlots,
      feeds: onFeeds,
      error: onServerError,
      briefingState: (next) => applyBriefingState(next, true),
      quality: onQuality,
      unmuteRequest: onUnmuteRequest,
      suggestAudioOnly: onSuggestAudioOnly,
      notice: onServerNotice,
      comments: (list) => comments.onComments(list),
    },
  });
  state.conn = conn;
  comments.reset();
  // Sent with the welcome of this and every later connection.
  conn.sendDevices(state.micOn, state.cameraOn);
  conn.start();
  renderBriefing();
  state.speakingTimer = setInterval(pollSpeaking, SPEAKING_INTERVAL_MS);
  room.quality.start();
}

/** Forgets everything about directing: a new join starts as with a server that does not direct. */
function resetBriefing() {
  state.briefing = null;
  room.recording.reset();
  state.directing = false;
  state.floorDeadline = null;
  state.page = 0;
  state.thumbnails = [];
  state.lastView = null;
  state.speaking.clear();
  state.quality.clear();
  state.unmuteRequested = false;
  clearTimeout(state.handPending);
  clearTimeout(state.answerPending);
  state.handPending = state.answerPending = undefined;
  clearTimeout(state.viewTimer);
  state.viewTimer = undefined;
  clearInterval(state.countdownTimer);
  state.countdownTimer = undefined;
  clearInterval(state.speakingTimer);
  state.speakingTimer = undefined;
}

/** Whether a connection is running (not yet left or failed). */
function joined() {
  const s = state.conn?.state;
  return s !== undefined && s !== 'closed' && s !== 'failed';
}

function leave() {
  state.conn?.leave();
  end('ended.left', true);
}

/**
 * Shows the end screen and releases the camera and microphone.
 * @param {MessageKey} key
 * @param {boolean} canRejoin
 */
function end(key, canRejoin) {
  room.projector.set(false);
  room.recording.reset();
  room.quality.stop();
  stopMedia();
  state.netcheck?.close();
  closeSlots();
  clearInterval(state.speakingTimer);
  state.speakingTimer = undefined;
  clearInterval(state.countdownTimer);
  state.countdownTimer = undefined;
  clearTimeout(state.viewTimer);
  state.viewTimer = undefined;
  state.directing = false;
  reconcileTiles();
  renderBriefing();
  state.endedKey = key;
  ui.endedMessage.textContent = t(key);
  ui.rejoin.hidden = !canRejoin;
  showView('ended');
}

// --- local media -----------------------------------------------------------------------

/**
 * Opens the chosen camera and/or microphone. Tracks of the other kind are kept.
 * @param {'both' | 'audio' | 'video'} which
 * @returns {Promise<void>}
 */
async function acquireMedia(which) {
  if (state.view !== 'lobby' && state.view !== 'room') return;
  if (!navigator.mediaDevices?.getUserMedia) {
    setError('error.media.insecure', 'media');
    ui.retryMedia.hidden = true;
    updateJoin();
    return;
  }
  const seq = ++state.acquireSeq;
  const wantAudio = which !== 'video';
  const wantVideo = which !== 'audio';

  // A camera often cannot be opened twice: release the track being replaced first.
  const kept = [];
  for (const track of state.stream?.getTracks() ?? []) {
    if ((track.kind === 'audio' && wantAudio) || (track.kind === 'video' && wantVideo)) track.stop();
    else kept.push(track);
  }
  ui.acquiring.hidden = state.view !== 'lobby';
  ui.join.disabled = true;

  let fresh;
  try {
    fresh = await getUserMedia(wantAudio, wantVideo);
  } catch (err) {
    if (seq !== state.acquireSeq) return;
    ui.acquiring.hidden = true;
    state.stream = kept.length > 0 ? new MediaStream(kept) : null;
    showSelf();
    showMediaError(err);
    if (joined() && state.conn && state.stream) {
      state.conn.replaceStream(state.stream).catch((e) => console.warn('giaoban: cannot switch device', e));
    }
    void listDevices();
    updateJoin();
    return;
  }
  if (seq !== state.acquireSeq || (state.view !== 'lobby' && state.view !== 'room')) {
    for (const track of fresh.getTracks()) track.stop();
    return;
  }

  ui.acquiring.hidden = true;
  const stream = new MediaStream([...kept, ...fresh.getTracks()]);
  state.stream = stream;
  applyTrackSwitches();
  showSelf();
  if (state.error?.kind === 'media') clearError();
  ui.retryMedia.hidden = true;
  updateJoin();
  await listDevices();
  if (joined() && state.conn) {
    state.conn.replaceStream(stream).catch((err) => console.warn('giaoban: cannot switch device', err));
  }
}

/**
 * getUserMedia with the chosen devices; falls back to the default device when a chosen one
 * is gone (unplugged since the list was filled).
 * @param {boolean} audio
 * @param {boolean} video
 */
async function getUserMedia(audio, video) {
  const micId = ui.micSelect.value;
  const camId = ui.cameraSelect.value;
  /** @param {boolean} exact */
  const constraints = (exact) => ({
    audio: audio ? (exact && micId ? { deviceId: { exact: micId } } : true) : false,
    video: video
      ? { width: 640, height: 360, ...(exact && camId ? { deviceId: { exact: camId } } : {}) }
      : false,
  });
  try {
    return await navigator.mediaDevices.getUserMedia(constraints(true));
  } catch (err) {
    const gone = err instanceof DOMException && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError');
    if (gone && (micId || camId)) return navigator.mediaDevices.getUserMedia(constraints(false));
    throw err;
  }
}

/** @param {unknown} err */
function showMediaError(err) {
  const name = err instanceof Error ? err.name : String(err);
  /** @type {MessageKey} */
  let key = 'error.media.other';
  if (name === 'NotAllowedError' || name === 'SecurityError') key = 'error.media.denied';
  else if (name === 'NotFoundError' || name === 'OverconstrainedError') key = 'error.media.notFound';
  else if (name === 'NotReadableError' || name === 'AbortError') key = 'error.media.busy';
  setError(key, 'media', { name });
  ui.retryMedia.hidden = false;
}

/** Applies the microphone and camera switches to the local tracks and the controls. */
function applyTrackSwitches() {
  for (const track of state.stream?.getTracks() ?? []) {
    track.enabled = track.kind === 'audio' ? state.micOn : state.cameraOn;
  }
  state.conn?.sendDevices(state.micOn, state.cameraOn);
  renderControls();
}

function stopMedia() {
  room.micLevel.detach();
  state.acquireSeq += 1;
  for (const track of state.stream?.getTracks() ?? []) track.stop();
  state.stream = null;
  ui.self.srcObject = null;
  updateJoin();
}

function showSelf() {
  if (ui.self.srcObject !== state.stream) ui.self.srcObject = state.stream;
  play(ui.self);
  if (state.view === 'lobby') room.micLevel.attach(state.stream);
}

function updateJoin() {
  const usable = (state.stream?.getTracks().length ?? 0) > 0 && state.error?.kind !== 'media';
  ui.join.disabled = !usable || joined();
}

async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  try {
    state.devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    state.devices = [];
  }
  renderDevices();
}

function renderDevices() {
  const current = (/** @type {'audio' | 'video'} */ kind) =>
    state.stream?.getTracks().find((tr) => tr.kind === kind)?.getSettings().deviceId ?? '';
  fillSelect(ui.cameraSelect, 'videoinput', current('video'), 'device.camera');
  fillSelect(ui.micSelect, 'audioinput', current('audio'), 'device.microphone');
  room.speakers.render(state.devices);
}

/**
 * @param {HTMLSelectElement} select
 * @param {MediaDeviceKind} kind
 * @param {string} selectedId
 * @param {MessageKey} fallbackKey label for devices the browser does not name yet
 */
function fillSelect(select, kind, selectedId, fallbackKey) {
  const devices = state.devices.filter((d) => d.kind === kind && d.deviceId !== '');
  const previous = selectedId || select.value;
  const options = devices.map((device, i) => {
    const option = document.createElement('option');
    option.value = device.deviceId;
    option.textContent = device.label || t(fallbackKey, { n: i + 1 });
    option.selected = device.deviceId === previous;
    return option;
  });
  if (options.length === 0) {
    const option = document.createElement('option');
    option.value = '';
    option.textContent = t('device.none');
    options.push(option);
  }
  select.replaceChildren(...options);
  select.disabled = devices.length === 0;
}

// --- connection events -----------------------------------------------------------------

/** @param {ConnectionState} connState */
function onConnectionState(connState) {
  state.connState = connState;
  renderConnection();
  if (connState === 'connected' && state.error?.kind === 'signal') clearError();
  if (connState === 'failed') {
    if (state.fatalCode === 'removed') end('ended.removed', false);
    else if (state.fatalCode === 'locked') end('ended.locked', true);
    else end('ended.stopped', state.fatalCode === 'replaced');
  }
}

/** @param {Welcome} welcome */
function onWelcome(welcome) {
  state.session = { briefing: welcome.briefing, point: welcome.point };
  // The roster comes with the whole state, right after the welcome.
  state.roster.clear();
  state.roster.set(welcome.point.name, { role: welcome.point.role, online: true });
  // A new connection: directing messages wait for its first state.
  state.directing = false;
  state.lastView = null;
  renderHeader();
  renderRoster();
  reconcileTiles();
  renderBriefing();
  // The server sends the whole state right after the welcome; directing waits for it.
}

/**
 * @param {string} name
 * @param {boolean} online
 */
function onPresence(name, online) {
  const entry = state.roster.get(name);
  if (entry) entry.online = online;
  else state.roster.set(name, { role: 'point', online });
  renderRoster();
  // Offline: the tile goes at once, before the server's offer stops its tracks.
  reconcileTiles();
}

// --- receive slots ---------------------------------------------------------------------

/** Where slot media waits while it shows no tile's point: rendered (so frames keep being
 * presented and labelled) but out of sight. */
const slotHolder = (() => {
  const holder = document.createElement('div');
  holder.className = 'slot-holder';
  holder.setAttribute('aria-hidden', 'true');
  document.body.append(holder);
  return holder;
})();

/**
 * The connection opened its receive slots (or closed them: an empty list).
 * @param {SlotTrack[]} slots
 */
function onSlots(slots) {
  closeSlots();
  for (const slot of slots) {
    const el = document.createElement(slot.kind);
    el.autoplay = true;
    el.dataset.slot = slot.mid;
    if (el instanceof HTMLVideoElement) {
      el.muted = true;
      el.playsInline = true;
      el.setAttribute('playsinline', '');
      el.setAttribute('muted', '');
      el.className = 'tile__media';
      if (slot.role === 'presentation') el.dataset.role = 'presentation';
    }
    el.srcObject = new MediaStream([slot.track]);
    slotHolder.append(el);
    room.speakers.applyTo(el);
    /** @type {SlotMedia} */
    const media = { mid: slot.mid, role: slot.role, el, timeline: new SlotTimeline(), shown: null, lastTs: null, emptyTimer: undefined };
    state.slots.set(slot.mid, media);
    play(el);
    if (el instanceof HTMLVideoElement) watchFrames(media, el);
  }
}

/** Marks the tiles whose thumbnail is paused for lack of bandwidth. */
function renderPaused() {
  const paused = new Set(state.pausedSlots.values());
  for (const [name, tile] of state.tiles) {
    tile.paused.hidden = !paused.has(name);
    tile.paused.textContent = t('tile.paused');
  }
}

/** Takes every slot's element down. */
function closeSlots() {
  state.pausedSlots.clear();
  for (const media of state.slots.values()) {
    clearTimeout(media.emptyTimer);
    media.el.srcObject = null;
    media.el.remove();
  }
  state.slots.clear();
  for (const tile of state.tiles.values()) tile.root.classList.add('tile--no-video');
}

/**
 * Which points some slots carry from now on.
 * @param {SlotFeed[]} feeds
 */
function onFeeds(feeds) {
  for (const feed of feeds) {
    const media = state.slots.get(feed.mid);
    if (!media) continue;
    clearTimeout(media.emptyTimer);
    if (feed.paused && feed.point !== null) {
      // The link cannot carry this thumbnail now: its tile says so, without a picture.
      media.timeline.push(feed.since_ts, null);
      state.pausedSlots.set(feed.mid, feed.point);
      if (media.el instanceof HTMLVideoElement) placeSlot(media, null);
      renderPaused();
      continue;
    }
    if (state.pausedSlots.delete(feed.mid)) renderPaused();
    media.timeline.push(feed.since_ts, feed.point);
    if (!(media.el instanceof HTMLVideoElement)) continue;
    if (typeof media.el.requestVideoFrameCallback !== 'function') {
      // No per-frame timestamps in this browser: follow the messages.
      placeSlot(media, feed.point);
    } else if (media.lastTs !== null) {
      // The frames may have come before the message.
      const point = media.timeline.pointAt(media.lastTs);
      if (point !== undefined) placeSlot(media, point);
    }
    if (feed.point === null) {
      // No frame comes after an emptied slot's last one: take the picture down.
      media.emptyTimer = setTimeout(() => {
        if (media.timeline.latest() === null) placeSlot(media, null);
      }, SLOT_EMPTY_MS);
    }
  }
}

/**
 * Labels each frame a video slot presents from its RTP timestamp, and moves the element to
 * the tile of the point it shows.
 * @param {SlotMedia} media
 * @param {HTMLVideoElement} el
 */
function watchFrames(media, el) {
  if (typeof el.requestVideoFrameCallback !== 'function') return;
  /** @type {VideoFrameRequestCallback} */
  const onFrame = (_now, meta) => {
    if (state.slots.get(media.mid) !== media) return;
    if (typeof meta.rtpTimestamp === 'number') {
      media.lastTs = meta.rtpTimestamp;
      const point = media.timeline.pointAt(meta.rtpTimestamp);
      if (point !== undefined && point !== media.shown) placeSlot(media, point);
    }
    el.requestVideoFrameCallback(onFrame);
  };
  el.requestVideoFrameCallback(onFrame);
}

/** A stage slot's picture wins over a thumbnail's of the same point. */
const SLOT_RANK = { stage: 0, presentation: 1, page: 2, audio: 3 };

/**
 * Shows a video slot's element in the tile of `point` (null: nowhere).
 * @param {SlotMedia} media
 * @param {string | null} point
 */
function placeSlot(media, point) {
  media.shown = point;
  if (point === null) delete media.el.dataset.point;
  else media.el.dataset.point = point;
  if (media.role === 'presentation') {
    placePresentation(media.el, point);
    return;
  }
  /** @type {HTMLElement} */
  let target = slotHolder;
  const tile = point === null ? undefined : state.tiles.get(point);
  if (tile) {
    const occupant = tile.frame.querySelector(':scope > video');
    const rival = occupant ? [...state.slots.values()].find((m) => m.el === occupant) : undefined;
    if (!rival || rival === media || rival.shown !== point || SLOT_RANK[media.role] < SLOT_RANK[rival.role]) {
      if (rival && rival !== media) slotHolder.append(rival.el);
      target = tile.frame;
    }
  }
  if (media.el.parentElement !== target) {
    target.append(media.el);
    play(media.el);
  }
  if (tile) tile.root.classList.toggle('tile--no-video', !tile.frame.querySelector(':scope > video'));
  for (const t of state.tiles.values()) {
    if (t !== tile) t.root.classList.toggle('tile--no-video', !t.frame.querySelector(':scope > video'));
  }
}

/**
 * Shows the presentation slot's picture large on the stage (the speakers small beside it),
 * or takes it down (null).
 * @param {HTMLMediaElement} el
 * @param {string | null} point
 */
function placePresentation(el, point) {
  const target = point === null ? slotHolder : ui.presentationHolder;
  if (el.parentElement !== target) {
    target.append(el);
    play(el);
  }
  renderPresenterPreview();
}

/**
 * The stage in presentation mode while a presentation shows: another point's screen from
 * the slot, or this page's own screen as a preview.
 */
function renderPresenterPreview() {
  let preview = /** @type {HTMLVideoElement | null} */ (ui.presentationHolder.querySelector('video[data-role=presentation-preview]'));
  const own = presenter.track;
  if (own) {
    if (!preview) {
      preview = document.createElement('video');
      preview.dataset.role = 'presentation-preview';
      preview.muted = true;
      preview.autoplay = true;
      preview.playsInline = true;
      preview.className = 'tile__media';
      ui.presentationHolder.append(preview);
    }
    if (!(preview.srcObject instanceof MediaStream) || preview.srcObject.getVideoTracks()[0] !== own) {
      preview.srcObject = new MediaStream([own]);
      play(preview);
    }
  } else if (preview) {
    preview.srcObject = null;
    preview.remove();
  }
  const showing = Boolean(ui.presentationHolder.querySelector('video[data-role=presentation], video[data-role=presentation-preview]'));
  ui.presentationHolder.hidden = !showing;
  ui.stage.classList.toggle('stage--presenting', showing);
}

/**
 * The share button: the host and the floor holder may present; while another point presents,
 * the host's button stops it.
 */
function renderPresent() {
  const inRoom = state.view === 'room' && state.directing;
  const presenting = presenter.presenting;
  const other = presenter.presenter !== null && presenter.presenter !== state.session?.point.name ? presenter.presenter : null;
  const hostStops = viewerIsHost() && other !== null;
  ui.present.hidden = !inRoom || !(presenting || hostStops || presenter.mayPresent());
  ui.present.setAttribute('aria-pressed', String(presenting));
  const label = ui.present.querySelector('[data-role=label]') ?? ui.present;
  label.textContent = presenting ? t('present.stop') : hostStops ? t('present.stopOther', { point: other }) : t('present.start');
}

/** Puts every video slot where its point's tile is now (tiles come and go). */
function placeSlots() {
  for (const media of state.slots.values()) {
    if (media.el instanceof HTMLVideoElement && media.shown !== null) placeSlot(media, media.shown);
  }
}

/** The host's choice of thumbnails per page, within the page slots asked for at join. */
function renderGridSizes() {
  const host = viewerIsHost() && state.view === 'room';
  ui.gridSizeField.hidden = !host;
  if (!host) return;
  const choices = gridSizeChoices(pageSize());
  const chosen = state.gridChoice ?? choices[choices.length - 1];
  ui.gridSize.replaceChildren(...choices.map((n) => {
    const option = new Option(t('grid.sizeOption', { n }), String(n));
    option.selected = n === chosen;
    return option;
  }));
}

/**
 * Thumbnails per grid page for this point: `?page=N` in the link (1 to 49, e.g. a hall's
 * screen that shows 3 × 3), else 25 for the host and 6 for a bridge point. Read at join: the
 * server gives as many page slots for the whole connection.
 */
function pageSize() {
  const asked = Number(new URLSearchParams(location.search).get('page'));
  if (Number.isInteger(asked) && asked >= 1 && asked <= MAX_PAGE_SIZE) return asked;
  return viewerIsHost() ? HOST_PAGE_SIZE : POINT_PAGE_SIZE;
}

/**
 * @param {string} code
 * @param {string} _message the server's English sentence; the page shows its own words
 * @param {boolean} fatal
 */
function onServerError(code, _message, fatal) {
  const key = 'signal.' + code;
  const kind = ACTION_ERROR_CODES.has(code) ? 'action' : 'signal';
  if (hasKey(key)) setError(key, kind, undefined, code);
  else setError('signal.unknown', kind, { code }, code);
  if (fatal) state.fatalCode = code;
  if (code === 'not_allowed') presenter.onRefused();
  if (kind === 'action') {
    // The raise, lower or answer was refused: free its button at once.
    clearTimeout(state.handPending);
    clearTimeout(state.answerPending);
    state.handPending = state.answerPending = undefined;
    renderBriefing();
  }
}

// --- directing: state, floor, hands, roll-call ------------------------------------------

/**
 * Applies a briefing state, from the socket or from a host API answer.
 * @param {BriefingState} next
 * @param {boolean} fromSocket whether it came over the socket (then it also carries presence)
 */
function applyBriefingState(next, fromSocket) {
  if (fromSocket && !state.directing) {
    state.directing = true;
    state.lastView = null;
  }
  const myName = state.session?.point.name;
  state.briefing = next;
  room.recording.set(next.recording ?? null);
  presenter.onState(next);
  comments.setToAllAllowed(next.comments_to_all === true);
  if (viewerIsHost()) ui.commentToAll.checked = next.comments_to_all === true;
  state.floorDeadline =
    next.floor && next.floor.remaining_ms !== null ? performance.now() + next.floor.remaining_ms : null;

  // The state names every invited point; presence in it is as fresh as presence messages.
  for (const p of next.points) {
    const entry = state.roster.get(p.name);
    const online = p.name === myName ? true : p.online;
    if (entry) {
      entry.role = p.role;
      if (fromSocket) entry.online = online;
    } else {
      state.roster.set(p.name, { role: p.role, online });
    }
  }

  // A raise, lower or answer is confirmed (or overtaken) by the next state from the socket.
  if (fromSocket) {
    clearTimeout(state.handPending);
    clearTimeout(state.answerPending);
    state.handPending = state.answerPending = undefined;
  }

  renderRoster();
  reconcileTiles();
  renderBriefing();
  scheduleView();
}

/**
 * Whether this point's hand is up in `briefing`.
 * @param {BriefingState | null} [briefing]
 */
function handUp(briefing = state.briefing) {
  const me = state.session?.point.name;
  return Boolean(briefing && me && briefing.hands.some((h) => h.point === me));
}

/**
 * This point's answer to the current roll-call, if any.
 * @param {BriefingState | null} [briefing]
 */
function myAnswer(briefing = state.briefing) {
  const me = state.session?.point.name;
  return briefing?.roll_call?.answers.find((a) => a.point === me) ?? null;
}

function viewerIsHost() {
  return state.session?.point.role === 'host';
}

/** The raise-hand button: raise, or lower when the hand is up. */
function toggleHand() {
  if (handUp()) lowerHand();
  else raiseHand();
}

/** Raises the hand, or updates the topic when it is up already. */
function raiseHand() {
  const conn = state.conn;
  if (!conn || !state.directing || viewerIsHost() || state.handPending !== undefined) return;
  if (conn.sendRaiseHand(ui.handTopic.value)) markPending('handPending');
}

function lowerHand() {
  const conn = state.conn;
  if (!conn || !state.directing || state.handPending !== undefined) return;
  if (conn.sendLowerHand()) markPending('handPending');
}

function answerRollCall() {
  const conn = state.conn;
  if (!conn || !state.directing || state.answerPending !== undefined) return;
  if (conn.sendRollCallAnswer()) markPending('answerPending');
}

/**
 * Disables a control until the state confirms the message, or a while has passed.
 * @param {'handPending' | 'answerPending'} which
 */
function markPending(which) {
  clearTimeout(state[which]);
  state[which] = setTimeout(() => {
    state[which] = undefined;
    renderBriefing();
  }, PENDING_MS);
  renderBriefing();
}

/**
 * Audio only on a weak link: no video is sent to or from this point.
 * @param {boolean} on
 */
function setAudioOnly(on) {
  state.audioOnly = on;
  state.audioOnlySuggestedKbps = null;
  state.conn?.setAudioOnly(on);
  renderControls();
  renderBriefing();
}

/** @param {number} kbps */
function onSuggestAudioOnly(kbps) {
  if (state.audioOnly) return;
  state.audioOnlySuggestedKbps = kbps;
  renderBriefing();
}

/**
 * Something the server tells this point that needs no answer (`notice`): shown in the page's
 * alert line when the client has words for its code, otherwise only logged.
 * @param {string} code
 */
function onServerNotice(code) {
  const key = `notice.${code}`;
  if (!hasKey(key)) {
    console.warn('giaoban: notice without words', code);
    return;
  }
  setError(key, 'action', undefined, code);
}

function onUnmuteRequest() {
  state.unmuteRequested = true;
  renderBriefing();
}

/** @param {QualityReport[]} points */
function onQuality(points) {
  state.quality = new Map(points.map((p) => [p.point, p]));
  for (const tile of state.tiles.values()) renderQuality(tile);
}

// --- tiles and layout ------------------------------------------------------------------

/** One tile per remote point that is online; placement follows the stage. */
function reconcileTiles() {
  const myName = state.session?.point.name;
  /** @type {Set<string>} */
  const online = new Set();
  for (const [name, entry] of state.roster) {
    if (name !== myName && entry.online) online.add(name);
  }
  for (const [name, tile] of state.tiles) {
    if (!online.has(name)) {
      // A slot's element inside keeps playing in the holder.
      for (const el of tile.frame.querySelectorAll(':scope > video')) slotHolder.append(el);
      tile.root.remove();
      state.tiles.delete(name);
      state.speaking.delete(name);
    }
  }
  for (const name of online) {
    if (!state.tiles.has(name)) state.tiles.set(name, createTile(name));
  }
  placeSlots();
  renderPaused();
  layout();
}

/** Small icons (constant markup, no user text). */
const ICONS = {
  hand: 'M23 5.5V20c0 2.2-1.8 4-4 4h-7.3c-1.08 0-2.1-.43-2.85-1.19L1 14.83s1.26-1.23 1.3-1.25c.22-.19.49-.29.79-.29.22 0 .42.06.6.16.04.01 4.31 2.46 4.31 2.46V4c0-.83.67-1.5 1.5-1.5S11 3.17 11 4v7h1V1.5c0-.83.67-1.5 1.5-1.5S15 .67 15 1.5V11h1V2.5c0-.83.67-1.5 1.5-1.5s1.5.67 1.5 1.5V11h1V5.5c0-.83.67-1.5 1.5-1.5s1.5.67 1.5 1.5z',
  spotlight: 'M12 17.27 18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z',
  grant: 'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z',
  askUnmute:
    'M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05c1.48-.73 2.5-2.25 2.5-4.02zM14 3.23v2.06c2.89.86 5 3.54 5 6.71s-2.11 5.85-5 6.71v2.06c4.01-.91 7-4.49 7-8.77s-2.99-7.86-7-8.77z',
  mute: 'M19 11h-1.7c0 .74-.16 1.43-.43 2.05l1.23 1.23c.56-.98.9-2.09.9-3.28zm-4.02.17c0-.06.02-.11.02-.17V5c0-1.66-1.34-3-3-3S9 3.34 9 5v.18l5.98 5.99zM4.27 3 3 4.27l6.01 6.01V11c0 1.66 1.33 3 2.99 3 .22 0 .44-.03.65-.08l1.66 1.66c-.71.33-1.5.52-2.31.52-2.76 0-5.3-2.1-5.3-5.1H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c.91-.13 1.77-.45 2.54-.9L19.73 21 21 19.73 4.27 3z',
  remove: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
};

/**
 * @param {string} action data-action
 * @param {string} path an SVG path of ICONS
 * @returns {HTMLButtonElement}
 */
function iconButton(action, path) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'tile__action';
  b.dataset.action = action;
  const text = document.createElement('span');
  text.className = 'tile__action-label';
  b.append(icon(path), text);
  return b;
}

/**
 * @param {string} path an SVG path of ICONS
 * @returns {SVGSVGElement}
 */
function icon(path) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const shape = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

/** The hand marker of a point asking to speak: an icon and the words. */
function handBadge() {
  const mark = badge(t('marker.hand'), 'badge--hand');
  mark.dataset.role = 'hand-marker';
  mark.prepend(icon(ICONS.hand));
  return mark;
}

/**
 * @param {string} name
 * @returns {Tile}
 */
function createTile(name) {
  const root = document.createElement('figure');
  root.className = 'tile';
  root.dataset.tile = name;

  const frame = document.createElement('div');
  frame.className = 'tile__video';
  // Until a slot brings this point's picture.
  root.classList.add('tile--no-video');
  const paused = document.createElement('span');
  paused.className = 'tile__paused';
  paused.dataset.role = 'paused';
  paused.hidden = true;

  const caption = document.createElement('figcaption');
  caption.className = 'tile__label';
  const label = document.createElement('span');
  label.className = 'tile__name';
  label.textContent = name;
  const badge = document.createElement('span');
  badge.className = 'badge badge--host';
  const media = document.createElement('span');
  media.className = 'media-state';
  media.dataset.role = 'media-state';
  caption.append(label, badge, media);

  // Top left: the host's quality badge, then the floor, spotlight and hand markers.
  const top = document.createElement('div');
  top.className = 'tile__top';
  const quality = document.createElement('span');
  quality.className = 'tile__quality';
  quality.dataset.role = 'quality';
  quality.hidden = true;
  const markers = document.createElement('div');
  markers.className = 'tile__markers';
  top.append(quality, markers);

  const actions = document.createElement('div');
  actions.className = 'tile__actions';
  actions.setAttribute('role', 'group');
  actions.hidden = true;
  const spotlight = iconButton('spotlight', ICONS.spotlight);
  const grant = iconButton('grant', ICONS.grant);
  const askUnmute = iconButton('ask-unmute', ICONS.askUnmute);
  const mute = iconButton('mute', ICONS.mute);
  const remove = iconButton('remove', ICONS.remove);
  remove.classList.add('tile__action--danger');
  spotlight.addEventListener('click', () => void state.host?.toggleSpotlight(name, spotlight));
  grant.addEventListener('click', () => void state.host?.grant(name, grant));
  askUnmute.addEventListener('click', () => void state.host?.askUnmute(name, askUnmute));
  mute.addEventListener('click', () => void state.host?.mute(name, true, mute));
  remove.addEventListener('click', () => void state.host?.remove(name, remove));
  actions.append(spotlight, grant, mute, askUnmute, remove);

  root.append(frame, paused, top, actions, caption);
  /** @type {Tile} */
  const tile = { name, root, frame, paused, badge, media, markers, quality, actions, spotlight, grant, askUnmute, mute, remove };
  renderTileMeta(tile);
  return tile;
}

/**
 * The points shown large. With a briefing state: its `stage` (host first, then the spotlit
 * point or the floor holder). Without: the host; for the host itself, its own picture.
 * @returns {string[]}
 */
function stageNames() {
  if (state.briefing) return [...new Set(state.briefing.stage)];
  if (viewerIsHost()) return state.session ? [state.session.point.name] : [];
  for (const [name, entry] of state.roster) {
    if (entry.role === 'host' && state.tiles.has(name)) return [name];
  }
  return [];
}

/**
 * Stage: the points of stageNames(), this point's own picture among them when it is one.
 * Grid: every other tile, in the server's order of points, pageSize() per page. Own picture
 * at the side when it is not on the stage.
 */
function layout() {
  const myName = state.session?.point.name;
  const order = [...state.roster.keys()];
  const rank = (/** @type {string} */ name) => {
    const i = order.indexOf(name);
    return i === -1 ? order.length : i;
  };
  const names = [...state.tiles.keys()].sort((a, b) => rank(a) - rank(b));

  // Stage.
  const onStage = stageNames();
  /** @type {HTMLElement[]} */
  const stageEls = [];
  for (const name of onStage) {
    if (name === myName) stageEls.push(ui.selfTile);
    else {
      const tile = state.tiles.get(name);
      if (tile) stageEls.push(tile.root);
    }
  }
  // Own camera: a small preview over the stage's corner, never beside a speaker on it. Only the
  // host with nobody else on the stage sees itself there, as the others see it.
  const selfIndex = stageEls.indexOf(ui.selfTile);
  if (selfIndex >= 0 && stageEls.length > 1) stageEls.splice(selfIndex, 1);
  for (const child of [...ui.stage.querySelectorAll(':scope > .tile')]) {
    if (stageEls.includes(/** @type {HTMLElement} */ (child))) continue;
    if (child === ui.selfTile) moveInto(ui.selfHolder, ui.selfTile, 0);
    else ui.grid.append(child);
  }
  if (!stageEls.includes(ui.selfTile)) moveInto(ui.selfHolder, ui.selfTile, 0);
  stageEls.forEach((el, i) => moveInto(ui.stage, el, i));
  ui.selfTile.classList.toggle('tile--featured', stageEls.includes(ui.selfTile));
  for (const [name, tile] of state.tiles) tile.root.classList.toggle('tile--featured', stageEls.includes(tile.root));
  ui.stage.dataset.count = String(stageEls.length);
  ui.stagePlaceholder.hidden = stageEls.length > 0;

  // Grid, in the server's order of points, one page at a time.
  const stageSet = new Set(onStage);
  const gridNames = names.filter((n) => !stageSet.has(n));
  const slots = pageSize();
  const perPage = pageSizeFor({ chosen: state.gridChoice ?? slots, slots, capacity: room.grid.capacity(slots) });
  const pages = Math.max(1, Math.ceil(gridNames.length / perPage));
  state.page = Math.min(Math.max(0, state.page), pages - 1);
  const first = state.page * perPage;
  /** @type {string[]} */
  const visible = [];
  gridNames.forEach((name, i) => {
    const tile = /** @type {Tile} */ (state.tiles.get(name));
    moveInto(ui.grid, tile.root, i);
    const shown = i >= first && i < first + perPage;
    tile.root.hidden = !shown;
    if (shown) visible.push(name);
  });
  for (const name of onStage) {
    const tile = state.tiles.get(name);
    if (tile) tile.root.hidden = false;
  }
  ui.gridEmpty.hidden = gridNames.length > 0;
  ui.pager.hidden = pages <= 1;
  ui.page.textContent = `${state.page + 1}/${pages}`;
  ui.page.setAttribute('aria-label', t('pager.page', { page: state.page + 1, pages }));
  ui.pagePrev.disabled = state.page === 0;
  ui.pageNext.disabled = state.page >= pages - 1;
  ui.room.classList.toggle('room--host', viewerIsHost());
  room.grid.arrange(visible.length);

  for (const tile of state.tiles.values()) renderTileMeta(tile);

  if (visible.length !== state.thumbnails.length || visible.some((n, i) => n !== state.thumbnails[i])) {
    state.thumbnails = visible;
  }
  scheduleView();
}

/** @param {number} delta */
function turnPage(delta) {
  state.page += delta;
  layout();
}

/** Tells the server, once the display has settled, which thumbnails this page shows. */
function scheduleView() {
  if (!state.directing) return;
  clearTimeout(state.viewTimer);
  state.viewTimer = setTimeout(sendView, VIEW_DEBOUNCE_MS);
}

function sendView() {
  state.viewTimer = undefined;
  const conn = state.conn;
  if (!conn || !state.directing || !joined()) return;
  const key = JSON.stringify(state.thumbnails);
  if (key === state.lastView) return;
  if (conn.sendView(state.thumbnails)) state.lastView = key;
}

/**
 * Puts `child` at `index` among the children of `parent`, touching the DOM only when needed
 * (moving a playing video is safe but not free).
 * @param {HTMLElement} parent
 * @param {HTMLElement} child
 * @param {number} index
 */
function moveInto(parent, child, index) {
  const at = parent.children[index] ?? null;
  if (at === child) return;
  parent.insertBefore(child, at);
  for (const media of child.querySelectorAll('video, audio')) play(/** @type {HTMLMediaElement} */ (media));
}

/** The self view lives in the lobby preview, or in the room's self tile. */
function placeSelf() {
  const slot = state.view === 'room' ? ui.selfSlot : ui.preview;
  if (ui.self.parentElement !== slot) {
    slot.prepend(ui.self);
    play(ui.self);
  }
}

/** @param {HTMLMediaElement} el */
function play(el) {
  if (!el.srcObject) return;
  // Autoplay may be refused until the person interacts; the join click normally allows it.
  el.play().catch(() => {});
}

// --- speaking indicator ----------------------------------------------------------------

/**
 * Marks the tiles of the points heard now, from the audio level the SFU relays in each
 * packet (RFC 6464), as the receivers report it.
 */
function pollSpeaking() {
  const pc = state.conn?.pc;
  /** @type {Set<string>} */
  const speaking = new Set();
  if (pc) {
    /** @type {Map<string, string>} media id -> the point its audio slot carries */
    const byMid = new Map();
    for (const media of state.slots.values()) {
      const point = media.timeline.latest();
      if (media.el instanceof HTMLAudioElement && point !== null) byMid.set(media.mid, point);
    }
    for (const transceiver of pc.getTransceivers()) {
      const receiver = transceiver.receiver;
      const point = transceiver.mid === null ? undefined : byMid.get(transceiver.mid);
      if (!point || typeof receiver.getSynchronizationSources !== 'function') continue;
      let sources;
      try {
        sources = receiver.getSynchronizationSources();
      } catch {
        continue;
      }
      for (const source of sources) {
        if ((source.audioLevel ?? 0) > SPEAKING_THRESHOLD && isFresh(source.timestamp)) speaking.add(point);
      }
    }
  }
  const changed = speaking.size !== state.speaking.size || [...speaking].some((n) => !state.speaking.has(n));
  state.speaking = speaking;
  if (!changed) return;
  for (const [name, tile] of state.tiles) tile.root.dataset.speaking = String(speaking.has(name));
  for (const li of ui.roster.children) {
    if (li instanceof HTMLElement) li.dataset.speaking = String(speaking.has(li.dataset.name ?? ''));
  }
}

/**
 * Whether a synchronization source's timestamp is recent. Browsers give it either on the
 * wall clock (ms since 1970) or on the page's performance clock.
 * @param {number} timestamp
 */
function isFresh(timestamp) {
  const now = timestamp > 1e12 ? Date.now() : performance.now();
  return now - timestamp < SPEAKING_FRESH_MS;
}

// --- rendering -------------------------------------------------------------------------

function renderAll() {
  renderHeader();
  renderError();
  renderNotice();
  renderDevices();
  renderControls();
  renderConnection();
  renderRoster();
  renderPaused();
  layout();
  renderBriefing();
  state.host?.renderAll();
  state.netcheck?.render();
  room.projector.render();
  room.recording.render();
  room.quality.render();
  comments.rerender();
  renderGridSizes();
  if (state.view === 'ended') ui.endedMessage.textContent = t(state.endedKey);
}

function renderHeader() {
  const session = state.session;
  if (!session) {
    document.title = t('page.point');
    return;
  }
  ui.title.textContent = session.briefing.title;
  ui.me.textContent = t('session.me', { name: session.point.name, role: roleName(session.point.role) });
  const when = formatDateTime(session.briefing.scheduled_start);
  ui.start.textContent = when ? t('session.start', { time: when }) : '';
  document.title = `${session.briefing.title} — ${t('page.point')}`;
}

function renderConnection() {
  const s = state.connState;
  ui.connection.hidden = s === 'idle';
  ui.connection.dataset.state = s;
  ui.connection.textContent = t(/** @type {MessageKey} */ (`connection.${s}`));
  ui.room.dataset.connection = s;
}

function renderControls() {
  const mic = state.micOn ? t('control.mic.mute') : t('control.mic.unmute');
  setToggle(ui.toggleMic, !state.micOn, mic);
  const cam = state.cameraOn ? t('control.camera.off') : t('control.camera.on');
  setToggle(ui.toggleCamera, !state.cameraOn, cam);
  const audioOnly = state.audioOnly ? t('control.audioOnly.off') : t('control.audioOnly.on');
  setToggle(ui.toggleAudioOnly, state.audioOnly, audioOnly);
  ui.room.dataset.audioOnly = state.audioOnly ? 'on' : 'off';
  ui.selfTile.dataset.camera = state.cameraOn ? 'on' : 'off';
  ui.preview.dataset.camera = state.cameraOn ? 'on' : 'off';
  ui.selfTile.dataset.cameraOffText = t('room.cameraOff');
}

/**
 * @param {HTMLButtonElement} button
 * @param {boolean} pressed true while the microphone or camera is off
 * @param {string} label what pressing it does now
 */
function setToggle(button, pressed, label) {
  button.setAttribute('aria-pressed', String(pressed));
  button.setAttribute('aria-label', label);
  button.title = label;
  const text = button.querySelector('[data-role=label]');
  if (text) text.textContent = label;
}

/**
 * The briefing bar (mode, floor, countdown), the notices and prompts for this point, the
 * raise-hand control and the host panel. All hidden until a briefing state arrives.
 */
function renderBriefing() {
  const b = state.briefing;
  const inRoom = state.view === 'room';
  const me = state.session?.point.name ?? '';
  const isHost = viewerIsHost();
  renderPresent();
  if (isHost) {
    // The host's box allows comments to everybody.
    ui.commentToAllField.hidden = !inRoom || !b;
    const text = ui.commentToAllField.querySelector('span');
    if (text) text.textContent = t('comments.allowToAll');
  }
  ui.briefingBar.hidden = !b;
  ui.room.dataset.directing = String(Boolean(b));

  if (b) {
    ui.mode.dataset.mode = b.mode;
    ui.mode.textContent = t('mode.label', { mode: t(/** @type {MessageKey} */ (`mode.${b.mode}`)) });
    const holder = b.floor?.point ?? null;
    ui.floor.dataset.holder = holder ?? '';
    if (holder === null) ui.floor.textContent = t('floor.none');
    else if (holder === me) ui.floor.textContent = t('floor.you');
    else ui.floor.textContent = t('floor.holder', { point: holder });
    ui.locked.hidden = !b.locked;
    ui.handsWaiting.textContent = b.hands.length > 0 ? t('floor.handsWaiting', { n: b.hands.length }) : '';
  }
  renderCountdown();

  // This point's audio is not forwarded to the others.
  const mine = b?.points.find((p) => p.name === me);
  ui.speakNotice.hidden = !b || !mine || mine.may_speak !== false;
  // The host switched this point's microphone off.
  ui.mutedByHost.hidden = !inRoom || mine?.muted_by_host !== true;
  // It holds the floor but its microphone is off here.
  ui.micOffNotice.hidden = !b || b.floor?.point !== me || state.micOn || !inRoom;

  ui.unmuteRequest.hidden = !state.unmuteRequested || !inRoom;
  const suggested = state.audioOnlySuggestedKbps;
  ui.audioOnlySuggest.hidden = suggested === null || state.audioOnly || !inRoom;
  if (suggested !== null) ui.audioOnlyText.textContent = t('audioOnly.suggest', { kbps: suggested });

  // Roll-call.
  const rc = b?.roll_call ?? null;
  const answer = myAnswer();
  // Every bridge point answers; the host is present by chairing and is not asked. A point
  // that does not answer is recorded as connected without an answer (absent if it never was).
  const showRollCall = Boolean(rc?.active) && inRoom && !viewerIsHost();
  ui.rollCall.hidden = !showRollCall;
  ui.rollCall.dataset.answered = String(answer !== null);
  ui.rollCallPresent.hidden = answer !== null;
  ui.rollCallPresent.disabled = state.answerPending !== undefined || !state.directing;
  ui.rollCallText.textContent = answer
    ? t('rollCall.answered', { status: answerText(answer) })
    : t('rollCall.prompt');

  // Raise hand (points only).
  const up = handUp();
  ui.handControl.hidden = !b || isHost;
  ui.raiseHand.setAttribute('aria-pressed', String(up));
  const handLabel = up ? t('hand.lower') : t('hand.raise');
  ui.raiseHand.setAttribute('aria-label', handLabel);
  ui.raiseHand.title = handLabel;
  const text = ui.raiseHand.querySelector('[data-role=label]');
  if (text) text.textContent = handLabel;
  ui.raiseHand.disabled = state.handPending !== undefined || !state.directing;
  ui.handTopic.setAttribute('aria-label', t('hand.topic.label'));
  const place = b ? b.hands.findIndex((h) => h.point === me) : -1;
  ui.handStatus.textContent = place >= 0 ? t('hand.position', { n: place + 1, total: b?.hands.length ?? 0 }) : '';

  // Host panel.
  if (state.host) {
    state.host.show(Boolean(b) && isHost && inRoom);
    state.host.render(b);
  }
}

/** mm:ss of the floor's remaining time, counted down locally from the state's receipt. */
function renderCountdown() {
  const deadline = state.floorDeadline;
  if (deadline === null || !state.briefing?.floor || state.view !== 'room') {
    ui.countdown.hidden = true;
    ui.countdown.textContent = '';
    delete ui.countdown.dataset.low;
    clearInterval(state.countdownTimer);
    state.countdownTimer = undefined;
    mirrorCountdown();
    return;
  }
  const ms = Math.max(0, deadline - performance.now());
  ui.countdown.textContent = formatCountdown(ms);
  ui.countdown.hidden = false;
  ui.countdown.dataset.low = String(ms <= 30_000);
  if (ms > 0 && state.countdownTimer === undefined) state.countdownTimer = setInterval(renderCountdown, 250);
  if (ms === 0) {
    clearInterval(state.countdownTimer);
    state.countdownTimer = undefined;
  }
  mirrorCountdown();
}

/** The floor's countdown also in the host's panel, and over the stage in the projector view. */
function mirrorCountdown() {
  const running = !ui.countdown.hidden;
  ui.floorTimer.hidden = !running;
  ui.floorTimer.textContent = ui.countdown.textContent;
  ui.floorTimer.dataset.low = ui.countdown.dataset.low ?? 'false';
  const b = state.briefing;
  const holder = b?.floor?.point ?? null;
  // A shared screen fills the stage while it shows: the caption names whose it is.
  const presenter = b?.presentation ?? null;
  const shown = presenter ?? holder ?? b?.spotlight ?? stageNames()[0] ?? null;
  room.projector.update({
    point: shown,
    presenting: presenter !== null,
    chair: presenter === null && holder === null && shown !== null && state.roster.get(shown)?.role === 'host',
    // The floor's time left belongs beside the floor holder's name, not another presenter's.
    countdown: running && (presenter === null || presenter === holder) ? ui.countdown.textContent : null,
    low: ui.countdown.dataset.low === 'true',
  });
}

/**
 * @param {number} ms
 * @returns {string} mm:ss, rounded up to the second
 */
function formatCountdown(ms) {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
}

/**
 * The markers of a tile (floor, spotlight, hand, host), its speaking state, and for the host
 * its actions and quality badge.
 * @param {Tile} tile
 */
function renderTileMeta(tile) {
  const name = tile.name;
  const b = state.briefing;
  const isHost = state.roster.get(name)?.role === 'host';
  tile.badge.textContent = isHost ? t('badge.host') : '';
  tile.badge.hidden = !isHost;

  const floor = b?.floor?.point === name;
  const spotlit = b?.spotlight === name;
  const hand = Boolean(b?.hands.some((h) => h.point === name));
  const entry = b?.points.find((p) => p.name === name);
  const maySpeak = entry?.may_speak;
  renderMediaState(tile.media, entry);
  tile.root.dataset.floor = String(floor);
  tile.root.dataset.spotlight = String(spotlit);
  tile.root.dataset.hand = String(hand);
  if (maySpeak === undefined) delete tile.root.dataset.maySpeak;
  else tile.root.dataset.maySpeak = String(maySpeak);
  tile.root.dataset.speaking = String(state.speaking.has(name));
  /** @type {HTMLElement[]} */
  const markers = [];
  if (floor) markers.push(badge(t('marker.floor'), 'badge--floor'));
  if (spotlit) markers.push(badge(t('marker.spotlight'), 'badge--spotlight'));
  if (hand) markers.push(handBadge());
  tile.markers.replaceChildren(...markers);

  const hostView = viewerIsHost() && b !== null && state.host !== null;
  tile.actions.hidden = !hostView;
  if (hostView) {
    tile.actions.setAttribute('aria-label', t('tile.actions', { point: name }));
    const host = isHost;
    setAction(tile.spotlight, spotlit ? t('tile.spotlight.off', { point: name }) : t('tile.spotlight.on', { point: name }),
      spotlit ? t('tile.spotlight.off.short') : t('tile.spotlight.on.short'));
    tile.spotlight.setAttribute('aria-pressed', String(spotlit));
    setAction(tile.grant, t('tile.grant', { point: name }), t('tile.grant.short'));
    tile.grant.hidden = host;
    setAction(tile.askUnmute, t('tile.askUnmute', { point: name }), t('tile.askUnmute.short'));
    setAction(tile.mute, t('mute.actionLabel', { point: name }), t('mute.action'));
    const entry = b?.points.find((p) => p.name === name);
    tile.mute.hidden = host || entry?.muted_by_host === true;
    setAction(tile.remove, t('tile.remove', { point: name }), t('tile.remove.short'));
    tile.remove.hidden = host;
  }
  renderQuality(tile);
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} label what it does, to whom
 * @param {string} text the words shown next to its icon
 */
function setAction(button, label, text) {
  button.setAttribute('aria-label', label);
  button.title = label;
  const words = button.querySelector('.tile__action-label');
  if (words && words.textContent !== text) words.textContent = text;
}

/**
 * The host's badge of a point's connection: RTT, loss, bitrate received from it.
 * @param {Tile} tile
 */
function renderQuality(tile) {
  const q = viewerIsHost() ? state.quality.get(tile.name) : undefined;
  if (!q) {
    tile.quality.hidden = true;
    tile.quality.textContent = '';
    delete tile.quality.dataset.level;
    return;
  }
  const level = qualityLevel(q);
  const kbps = q.kbps_in === null ? '—' : t('quality.kbps', { kbps: formatNumber(Math.round(q.kbps_in)) });
  tile.quality.textContent = `${formatRtt(q.rtt_ms)} · ${formatLoss(q.loss)} · ${kbps}`;
  tile.quality.dataset.level = level;
  tile.quality.title = t(/** @type {MessageKey} */ (`quality.${level}`));
  tile.quality.setAttribute('aria-label', `${t(/** @type {MessageKey} */ (`quality.${level}`))}: ${tile.quality.textContent}`);
  tile.quality.hidden = false;
}

/**
 * @param {QualityReport} q
 * @returns {'good' | 'fair' | 'poor'}
 */
function qualityLevel(q) {
  const rtt = q.rtt_ms ?? 0;
  const loss = q.loss ?? 0;
  if (rtt >= 400 || loss >= 0.05) return 'poor';
  if (rtt >= 150 || loss >= 0.02) return 'fair';
  return 'good';
}

function renderRoster() {
  const myName = state.session?.point.name;
  const b = state.briefing;
  let online = 0;
  const items = [];
  for (const [name, entry] of state.roster) {
    if (entry.online) online += 1;
    const li = document.createElement('li');
    li.className = 'roster__item';
    li.dataset.name = name;
    li.dataset.online = String(entry.online);
    const hand = Boolean(b?.hands.some((h) => h.point === name));
    const floor = b?.floor?.point === name;
    const spotlit = b?.spotlight === name;
    li.dataset.hand = String(hand);
    li.dataset.floor = String(floor);
    li.dataset.spotlight = String(spotlit);
    li.dataset.speaking = String(state.speaking.has(name));
    const point = b?.points.find((p) => p.name === name);
    const maySpeak = point?.may_speak;
    if (maySpeak !== undefined) li.dataset.maySpeak = String(maySpeak);

    const dot = document.createElement('span');
    dot.className = 'roster__dot';
    dot.setAttribute('aria-hidden', 'true');
    const label = document.createElement('span');
    label.className = 'roster__name';
    label.textContent = name;
    const meta = document.createElement('span');
    meta.className = 'roster__meta';
    const status = document.createElement('span');
    status.className = 'roster__status';
    status.textContent = entry.online ? t('roster.online') : t('roster.offline');
    meta.append(status);
    if (entry.online) {
      const media = document.createElement('span');
      media.className = 'media-state';
      media.dataset.role = 'media-state';
      renderMediaState(media, point);
      meta.append(media);
    }
    if (entry.role === 'host') meta.append(badge(t('badge.host'), 'badge--host'));
    if (name === myName) meta.append(badge(t('badge.you'), 'badge--you'));
    if (floor) meta.append(badge(t('marker.floor'), 'badge--floor'));
    if (spotlit) meta.append(badge(t('marker.spotlight'), 'badge--spotlight'));
    if (hand) {
      const topic = b?.hands.find((h) => h.point === name)?.topic;
      const mark = handBadge();
      if (topic) mark.title = topic;
      meta.append(mark);
    }
    li.append(dot, label, meta);
    items.push(li);
  }
  ui.roster.replaceChildren(...items);
  room.rosterSearch.apply();
  ui.rosterCount.textContent = state.roster.size > 0 ? t('roster.count', { online, total: state.roster.size }) : '';
}

/**
 * @param {string} text
 * @param {string} modifier
 */
function badge(text, modifier) {
  const span = document.createElement('span');
  span.className = `badge ${modifier}`;
  span.textContent = text;
  return span;
}

/**
 * @param {MessageKey} key
 * @param {ErrorKind} kind
 * @param {Record<string, string | number>} [params]
 * @param {string} [code] the server's error code
 * @param {unknown} [problem] a failed request, whose sentence is the message's `{detail}`
 */
function setError(key, kind, params, code, problem) {
  state.error = { key, kind, params, code, problem };
  clearTimeout(state.errorTimer);
  state.errorTimer = undefined;
  if (kind === 'api' || kind === 'action') {
    const current = state.error;
    state.errorTimer = setTimeout(() => {
      if (state.error === current) clearError();
    }, TRANSIENT_ERROR_MS);
  }
  renderError();
}

function clearError() {
  clearTimeout(state.errorTimer);
  state.errorTimer = undefined;
  state.error = null;
  renderError();
}

function renderError() {
  const error = state.error;
  ui.error.hidden = error === null;
  ui.error.textContent = error ? messageText(error) : '';
  if (error) ui.error.dataset.kind = error.kind;
  else delete ui.error.dataset.kind;
  if (error?.code) ui.error.dataset.code = error.code;
  else delete ui.error.dataset.code;
}

/**
 * Shows a failed host API call in the page's words for its error code (see problem.js).
 * @param {unknown} err
 */
function showApiError(err) {
  const { key, code, problem } = problemMessage(err);
  setError(key, 'api', undefined, code, problem);
}

/**
 * A short confirmation that goes away by itself.
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [params]
 */
function showNotice(key, params) {
  state.notice = { key, params };
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => {
    state.notice = null;
    renderNotice();
  }, NOTICE_MS);
  renderNotice();
}

function renderNotice() {
  const notice = state.notice;
  ui.notice.hidden = notice === null;
  ui.notice.textContent = notice ? t(notice.key, notice.params) : '';
}

/** @param {Role} role */
function roleName(role) {
  return role === 'host' ? t('role.host') : t('role.point');
}
