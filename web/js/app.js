// The point's page: lobby with a camera preview, then the briefing room.
//
// The signalling and the peer connection live in protocol.js; this file owns the screen.
// Point names are user input: they only ever reach the page through textContent.

import { t, hasKey, translateDom, bindLangButton, onLangChange, formatDateTime } from './i18n.js';
import { ApiError, Connection, fetchSession, signallingUrl } from './protocol.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./protocol.js').Role} Role */
/** @typedef {import('./protocol.js').SessionInfo} SessionInfo */
/** @typedef {import('./protocol.js').Welcome} Welcome */
/** @typedef {import('./protocol.js').RemoteTrack} RemoteTrack */
/** @typedef {import('./protocol.js').ConnectionState} ConnectionState */

/**
 * The tile of one remote point: its video (muted, the sound plays through its own audio
 * element so a stalled picture never silences a speaker) and its label.
 * @typedef {object} Tile
 * @property {HTMLElement} root
 * @property {HTMLVideoElement} video
 * @property {HTMLAudioElement} audio
 * @property {HTMLElement} badge
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
  title: find('[data-role=title]', HTMLElement),
  me: find('[data-role=me]', HTMLElement),
  start: find('[data-role=start]', HTMLElement),
  connection: find('[data-role=connection]', HTMLElement),
  lang: find('[data-action=lang]', HTMLButtonElement),
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
  stage: find('[data-role=stage]', HTMLElement),
  stagePlaceholder: find('[data-role=stage-placeholder]', HTMLElement),
  grid: find('[data-role=grid]', HTMLElement),
  gridEmpty: find('[data-role=grid-empty]', HTMLElement),
  selfTile: find('[data-role=self-tile]', HTMLElement),
  selfSlot: find('[data-role=self-slot]', HTMLElement),
  side: find('.room__side', HTMLElement),
  roster: find('[data-role=roster]', HTMLElement),
  rosterCount: find('[data-role=roster-count]', HTMLElement),
  toggleMic: find('[data-action=toggle-mic]', HTMLButtonElement),
  toggleCamera: find('[data-action=toggle-camera]', HTMLButtonElement),
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
  /** @type {{key: MessageKey, params?: Record<string, string | number>, kind: 'page' | 'media' | 'signal'} | null} */
  error: null,
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
  /** @type {RemoteTrack[]} */
  remoteTracks: [],
  /** @type {Map<string, Tile>} */
  tiles: new Map(),
  /** @type {MessageKey} */
  endedKey: /** @type {MessageKey} */ ('ended.left'),
};

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
  get tracks() {
    return state.conn?.tracks ?? [];
  },
  get roster() {
    return [...state.roster].map(([name, p]) => ({ name, role: p.role, online: p.online }));
  },
};

main();

async function main() {
  translateDom();
  bindLangButton(ui.lang);
  onLangChange(renderAll);
  wireControls();
  renderControls();

  state.token = tokenFromPath(location.pathname);
  if (!state.token) {
    showView('none');
    setError('error.invalidLink', 'page');
    return;
  }

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
    applyTrackSwitches();
  });
  ui.toggleCamera.addEventListener('click', () => {
    state.cameraOn = !state.cameraOn;
    applyTrackSwitches();
  });
  ui.leave.addEventListener('click', leave);
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
  state.remoteTracks = [];
  showView('room');
  placeSelf();
  layout();
  renderRoster();

  const conn = new Connection({
    token: state.token,
    stream,
    url: signallingUrl(location),
    handlers: {
      state: onConnectionState,
      welcome: onWelcome,
      presence: onPresence,
      tracks: onTracks,
      error: onServerError,
    },
  });
  state.conn = conn;
  conn.start();
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
  stopMedia();
  state.remoteTracks = [];
  reconcileTiles();
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
  renderControls();
}

function stopMedia() {
  state.acquireSeq += 1;
  for (const track of state.stream?.getTracks() ?? []) track.stop();
  state.stream = null;
  ui.self.srcObject = null;
  updateJoin();
}

function showSelf() {
  if (ui.self.srcObject !== state.stream) ui.self.srcObject = state.stream;
  play(ui.self);
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
    end('ended.stopped', state.fatalCode === 'replaced');
  }
}

/** @param {Welcome} welcome */
function onWelcome(welcome) {
  state.session = { briefing: welcome.briefing, point: welcome.point };
  state.roster.clear();
  for (const p of welcome.points) state.roster.set(p.name, { role: p.role, online: p.online });
  // The server lists this point online once the socket is accepted; make sure it shows so.
  const me = state.roster.get(welcome.point.name);
  if (me) me.online = true;
  renderHeader();
  renderRoster();
  reconcileTiles();
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

/** @param {RemoteTrack[]} tracks */
function onTracks(tracks) {
  state.remoteTracks = tracks;
  reconcileTiles();
}

/**
 * @param {string} code
 * @param {string} _message the server's English sentence; the page shows its own words
 * @param {boolean} fatal
 */
function onServerError(code, _message, fatal) {
  const key = 'signal.' + code;
  if (hasKey(key)) setError(key, 'signal');
  else setError('signal.unknown', 'signal', { code });
  if (fatal) state.fatalCode = code;
}

// --- tiles and layout ------------------------------------------------------------------

/** One tile per remote point that is online and has tracks; placement follows roles. */
function reconcileTiles() {
  /** @type {Map<string, {audio: MediaStreamTrack | null, video: MediaStreamTrack | null}>} */
  const byPoint = new Map();
  const myName = state.session?.point.name;
  for (const remote of state.remoteTracks) {
    if (remote.point === myName) continue;
    if (state.roster.get(remote.point)?.online === false) continue;
    const media = byPoint.get(remote.point) ?? { audio: null, video: null };
    media[remote.kind] = remote.track;
    byPoint.set(remote.point, media);
  }

  for (const [name, tile] of state.tiles) {
    if (!byPoint.has(name)) {
      tile.video.srcObject = null;
      tile.audio.srcObject = null;
      tile.root.remove();
      state.tiles.delete(name);
    }
  }
  for (const [name, media] of byPoint) {
    let tile = state.tiles.get(name);
    if (!tile) {
      tile = createTile(name);
      state.tiles.set(name, tile);
    }
    setTrack(tile.video, media.video);
    setTrack(tile.audio, media.audio);
    tile.root.classList.toggle('tile--no-video', media.video === null);
  }
  layout();
}

/**
 * @param {string} name
 * @returns {Tile}
 */
function createTile(name) {
  const root = document.createElement('figure');
  root.className = 'tile';

  const frame = document.createElement('div');
  frame.className = 'tile__video';
  const video = document.createElement('video');
  video.dataset.point = name;
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true;
  video.setAttribute('playsinline', '');
  video.setAttribute('muted', '');
  frame.append(video);

  const audio = document.createElement('audio');
  audio.dataset.point = name;
  audio.autoplay = true;

  const caption = document.createElement('figcaption');
  caption.className = 'tile__label';
  const label = document.createElement('span');
  label.className = 'tile__name';
  label.textContent = name;
  const badge = document.createElement('span');
  badge.className = 'badge badge--host';
  caption.append(label, badge);

  root.append(frame, audio, caption);
  return { root, video, audio, badge };
}

/**
 * @param {HTMLMediaElement} el
 * @param {MediaStreamTrack | null} track
 */
function setTrack(el, track) {
  const current = el.srcObject instanceof MediaStream ? el.srcObject.getTracks()[0] ?? null : null;
  if (current === track) return;
  el.srcObject = track ? new MediaStream([track]) : null;
  if (track) play(el);
}

/**
 * Host viewer: own picture on the stage, every point in the grid. Point viewer: the host on
 * the stage, the other points in the grid, own picture at the side.
 */
function layout() {
  const viewerIsHost = state.session?.point.role === 'host';
  const order = [...state.roster.keys()];
  const rank = (/** @type {string} */ name) => {
    const i = order.indexOf(name);
    return i === -1 ? order.length : i;
  };
  const names = [...state.tiles.keys()].sort((a, b) => rank(a) - rank(b));

  /** @type {string | null} */
  let featured = null;
  if (!viewerIsHost) featured = names.find((n) => state.roster.get(n)?.role === 'host') ?? null;

  for (const name of names) {
    const tile = /** @type {Tile} */ (state.tiles.get(name));
    const isHost = state.roster.get(name)?.role === 'host';
    tile.badge.textContent = isHost ? t('badge.host') : '';
    tile.badge.hidden = !isHost;
    tile.root.classList.toggle('tile--featured', name === featured);
  }

  // Stage.
  if (viewerIsHost) {
    moveInto(ui.stage, ui.selfTile, 0);
    ui.selfTile.classList.add('tile--featured');
  } else {
    moveInto(ui.side, ui.selfTile, 0);
    ui.selfTile.classList.remove('tile--featured');
    const featuredTile = featured ? state.tiles.get(featured) : undefined;
    for (const child of [...ui.stage.querySelectorAll(':scope > .tile')]) {
      if (!featuredTile || child !== featuredTile.root) ui.grid.append(child);
    }
    if (featuredTile) moveInto(ui.stage, featuredTile.root, 0);
  }
  ui.stagePlaceholder.hidden = viewerIsHost || featured !== null;

  // Grid, in the server's order of points.
  let index = 0;
  for (const name of names) {
    if (name === featured) continue;
    const tile = /** @type {Tile} */ (state.tiles.get(name));
    moveInto(ui.grid, tile.root, index);
    index += 1;
  }
  ui.gridEmpty.hidden = index > 0;
  ui.room.classList.toggle('room--host', viewerIsHost);
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

// --- rendering -------------------------------------------------------------------------

function renderAll() {
  renderHeader();
  renderError();
  renderDevices();
  renderControls();
  renderConnection();
  renderRoster();
  layout();
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

function renderRoster() {
  const myName = state.session?.point.name;
  let online = 0;
  const items = [];
  for (const [name, entry] of state.roster) {
    if (entry.online) online += 1;
    const li = document.createElement('li');
    li.className = 'roster__item';
    li.dataset.name = name;
    li.dataset.online = String(entry.online);

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
    if (entry.role === 'host') meta.append(badge(t('badge.host'), 'badge--host'));
    if (name === myName) meta.append(badge(t('badge.you'), 'badge--you'));
    li.append(dot, label, meta);
    items.push(li);
  }
  ui.roster.replaceChildren(...items);
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
 * @param {'page' | 'media' | 'signal'} kind
 * @param {Record<string, string | number>} [params]
 */
function setError(key, kind, params) {
  state.error = { key, kind, params };
  renderError();
}

function clearError() {
  state.error = null;
  renderError();
}

function renderError() {
  const error = state.error;
  ui.error.hidden = error === null;
  ui.error.textContent = error ? t(error.key, error.params) : '';
  if (error) ui.error.dataset.kind = error.kind;
  else delete ui.error.dataset.kind;
}

/** @param {Role} role */
function roleName(role) {
  return role === 'host' ? t('role.host') : t('role.point');
}
