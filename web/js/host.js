// The host's panel: floor mode, lock, floor and the queue of requests to speak, roll-call,
// trial run and attendance, all through the host API (docs/http.md, "Host API"). The per-tile
// actions of the host's grid call the same methods. Point names, topics, substitutes and
// reasons are user input: they only ever reach the page through textContent.

import { t, formatTime, locale } from './i18n.js';
import { formatFraction } from './numbers.js';
import { ApiError } from './api.js';
import { limits } from './limits.js';
import { problemText } from './problem.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./protocol.js').BriefingState} BriefingState */
/** @typedef {import('./protocol.js').FloorMode} FloorMode */
/** @typedef {import('./protocol.js').RollCallEntry} RollCallEntry */
/** @typedef {import('./host-api.js').HostApi} HostApi */
/** @typedef {import('./host-api.js').TrialPoint} TrialPoint */
/** @typedef {import('./host-api.js').AttendanceRow} AttendanceRow */
/** @typedef {import('./host-api.js').RecordedAnswer} RecordedAnswer */


/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{new (): T, prototype: T}} type
 * @returns {T}
 */
function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`page element missing: ${selector}`);
  return el;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {string} action data-action
 * @param {string} className
 * @returns {HTMLButtonElement}
 */
function button(action, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.dataset.action = action;
  return b;
}

/**
 * Sets a button's visible text and its accessible name.
 * @param {HTMLButtonElement} b
 * @param {string} text
 * @param {string} [label] when the text alone does not say which point it acts on
 */
function label(b, text, label) {
  if (b.textContent !== text) b.textContent = text;
  if (label) {
    b.setAttribute('aria-label', label);
    b.title = label;
  }
}

/**
 * Puts `child` at `index` among the children of `parent` only when it is not there already,
 * so a focused input inside it keeps its focus.
 * @param {Element} parent
 * @param {Element} child
 * @param {number} index
 */
function place(parent, child, index) {
  const at = parent.children[index] ?? null;
  if (at !== child) parent.insertBefore(child, at);
}

/**
 * The floor length typed by the host: null when empty (no limit), NaN when invalid.
 * @param {string} value
 */
export function parseSeconds(value) {
  const text = value.trim();
  if (text === '') return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= limits.floor_seconds ? n : NaN;
}

/**
 * hh:mm:ss of a number of seconds.
 * @param {number} seconds
 */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** @param {number | null | undefined} ms */
export function formatRtt(ms) {
  return typeof ms === 'number' ? t('quality.rtt', { ms: Math.round(ms) }) : '—';
}

/** @param {number | null | undefined} fraction */
export function formatLoss(fraction) {
  return formatFraction(fraction, locale());
}

/**
 * The text of a roll-call answer.
 * @param {{status: string, substitute?: string | null, reason?: string | null} | null | undefined} answer
 */
export function answerText(answer) {
  if (!answer) return t('rollCall.status.none');
  if (answer.status === 'present') return t('rollCall.status.present');
  if (answer.status === 'substitute') return t('rollCall.status.substitute', { name: answer.substitute ?? '' });
  if (answer.status === 'absent') {
    return answer.reason ? t('rollCall.status.absentReason', { reason: answer.reason }) : t('rollCall.status.absent');
  }
  if (answer.status === 'no_answer') return t('rollCall.status.noAnswer');
  return answer.status;
}

/**
 * What to show when starting or stopping the recording failed: the client's words for the
 * refusals about recording (`recording.problem.*`) until the catalogue of error codes carries
 * them (`api.*`, which wins), the usual sentence for anything else.
 * @param {unknown} err
 * @returns {string}
 */
export function recordingErrorText(err) {
  return problemText(err);
}

/**
 * @typedef {object} HandRow
 * @property {HTMLLIElement} li
 * @property {HTMLElement} topic
 * @property {HTMLElement} time
 * @property {HTMLInputElement} seconds
 * @property {HTMLButtonElement} grant
 * @property {HTMLButtonElement} lower
 */

/**
 * @typedef {object} RollCallRow
 * @property {HTMLTableRowElement} tr
 * @property {HTMLElement} status
 * @property {HTMLButtonElement} present
 * @property {HTMLInputElement} substitute
 * @property {HTMLButtonElement} recordSubstitute
 * @property {HTMLInputElement} reason
 * @property {HTMLButtonElement} absent
 */

/**
 * @typedef {object} HostPanelOptions
 * @property {HostApi} api
 * @property {(state: BriefingState) => void} onState a call answered with the new state
 * @property {(err: unknown) => void} onError a call failed
 * @property {() => void} onSuccess a call succeeded (clears an earlier API error)
 * @property {(key: MessageKey, params?: Record<string, string | number>) => void} notify a short success message
 */

export class HostPanel {
  /** @param {HostPanelOptions} options */
  constructor(options) {
    this.api = options.api;
    this.options = options;
    /** @type {BriefingState | null} */
    this.state = null;
    /** @type {Map<string, HandRow>} */
    this.handRows = new Map();
    /** @type {Map<string, RollCallRow>} */
    this.rollCallRows = new Map();
    /** @type {TrialPoint[] | null} */
    this.trial = null;
    /** @type {AttendanceRow[] | null} */
    this.attendance = null;
    /** Buttons with a request in flight; render() leaves them disabled. */
    /** @type {Set<HTMLButtonElement>} */
    this.busy = new Set();
    this.modePending = false;
    /** @type {unknown} the last failure to start or stop the recording, shown under its button */
    this.recordingError = null;

    const root = find(document, '[data-role=host-panel]', HTMLElement);
    this.ui = {
      root,
      mode: find(root, '[data-role=mode-select]', HTMLSelectElement),
      modeHint: find(root, '[data-role=mode-hint]', HTMLElement),
      lock: find(root, '[data-action=lock]', HTMLButtonElement),
      lockHint: find(root, '[data-role=lock-hint]', HTMLElement),
      recording: find(root, '[data-action=recording]', HTMLButtonElement),
      recordingHint: find(root, '[data-role=recording-hint]', HTMLElement),
      recordingError: find(root, '[data-role=recording-error]', HTMLElement),
      floorCurrent: find(root, '[data-role=floor-current]', HTMLElement),
      revokeFloor: find(root, '[data-action=revoke-floor]', HTMLButtonElement),
      floorSeconds: find(root, '[data-role=floor-seconds]', HTMLInputElement),
      hands: find(root, '[data-role=hands]', HTMLElement),
      handsCount: find(root, '[data-role=hands-count]', HTMLElement),
      handsEmpty: find(root, '[data-role=hands-empty]', HTMLElement),
      rollCallStart: find(root, '[data-action=roll-call-start]', HTMLButtonElement),
      rollCallEnd: find(root, '[data-action=roll-call-end]', HTMLButtonElement),
      rollCallSummary: find(root, '[data-role=roll-call-summary]', HTMLElement),
      rollCallTable: find(root, '[data-role=roll-call-table]', HTMLTableElement),
      trial: find(root, '[data-action=trial]', HTMLButtonElement),
      trialStatus: find(root, '[data-role=trial-status]', HTMLElement),
      trialTable: find(root, '[data-role=trial-report]', HTMLTableElement),
      attendanceLoad: find(root, '[data-action=attendance-load]', HTMLButtonElement),
      attendanceCsv: find(root, '[data-action=attendance-csv]', HTMLButtonElement),
      attendanceTable: find(root, '[data-role=attendance]', HTMLTableElement),
      dialog: find(document, '[data-role=confirm-dialog]', HTMLElement),
      dialogMessage: find(document, '[data-role=confirm-message]', HTMLElement),
      dialogConfirm: find(document, '[data-role=confirm-button]', HTMLButtonElement),
    };
    this.#wire();
  }

  /** @param {boolean} visible */
  show(visible) {
    this.ui.root.hidden = !visible;
  }

  /** The default floor length typed in the panel: null for no limit, NaN when invalid. */
  defaultSeconds() {
    return parseSeconds(this.ui.floorSeconds.value);
  }

  #wire() {
    const ui = this.ui;
    ui.mode.addEventListener('change', () => void this.#setMode(/** @type {FloorMode} */ (ui.mode.value)));
    ui.lock.addEventListener('click', () => {
      const locked = !(this.state?.locked ?? false);
      void this.#run(ui.lock, () => this.api.setLocked(locked), locked ? 'host.done.locked' : 'host.done.unlocked');
    });
    ui.revokeFloor.addEventListener('click', () => void this.#run(ui.revokeFloor, () => this.api.revokeFloor()));
    ui.recording.addEventListener('click', () => void this.#toggleRecording());
    ui.floorSeconds.addEventListener('input', () => {
      ui.floorSeconds.setAttribute('aria-invalid', String(Number.isNaN(this.defaultSeconds())));
    });
    ui.rollCallStart.addEventListener('click', () => void this.#run(ui.rollCallStart, () => this.api.startRollCall()));
    ui.rollCallEnd.addEventListener('click', () => void this.#run(ui.rollCallEnd, () => this.api.endRollCall()));
    ui.trial.addEventListener('click', () => void this.#runTrial());
    ui.attendanceLoad.addEventListener('click', () => void this.#loadAttendance());
    ui.attendanceCsv.addEventListener('click', () => void this.#downloadCsv());
  }

  // --- actions, also used by the tiles ---------------------------------------------------

  /**
   * Spotlights `point`, or clears the spotlight when it is already on it (or with null).
   * @param {string | null} point
   * @param {HTMLButtonElement} [from]
   */
  toggleSpotlight(point, from) {
    const target = point !== null && this.state?.spotlight === point ? null : point;
    return this.#run(from, () => this.api.spotlight(target));
  }

  /**
   * Gives `point` the floor for `seconds` (the panel's default when undefined).
   * @param {string} point
   * @param {HTMLButtonElement} [from]
   * @param {number | null} [seconds]
   */
  grant(point, from, seconds) {
    const limit = seconds === undefined ? this.defaultSeconds() : seconds;
    if (limit !== null && Number.isNaN(limit)) {
      const params = { value: this.ui.floorSeconds.value.trim(), max: limits.floor_seconds };
      this.options.onError(new ApiError(422, 'invalid_duration', 'the floor length is out of range', undefined, params));
      return Promise.resolve();
    }
    return this.#run(from, () => this.api.grantFloor(point, limit), 'host.done.granted', { point });
  }

  /**
   * @param {string} point
   * @param {HTMLButtonElement} [from]
   */
  askUnmute(point, from) {
    return this.#run(from, () => this.api.askUnmute(point), 'host.done.askedUnmute', { point });
  }

  /**
   * Mutes `point` at the server (its audio is no longer forwarded), or lifts the mute.
   * @param {string} point
   * @param {boolean} muted
   * @param {HTMLButtonElement} [from]
   */
  mute(point, muted, from) {
    return this.#run(from, () => this.api.mute(point, muted), muted ? 'host.done.muted' : 'host.done.unmuted', { point });
  }

  /**
   * Stops whoever presents a screen.
   * @param {HTMLButtonElement} [from]
   */
  stopPresentation(from) {
    return this.#run(from, () => this.api.stopPresentation());
  }

  /**
   * Lets points write comments to everybody, or only to the host.
   * @param {boolean} allowed
   */
  setCommentsToAll(allowed) {
    return this.#run(undefined, () => this.api.setCommentsToAll(allowed));
  }

  /**
   * Removes `point` for good, after the host confirms.
   * @param {string} point
   * @param {HTMLButtonElement} [from]
   */
  async remove(point, from) {
    const ok = await this.confirm(t('host.remove.confirm', { point }), t('host.remove.confirmButton'), 'confirm-remove');
    if (!ok) return;
    await this.#run(from, () => this.api.remove(point), 'host.done.removed', { point });
  }

  /**
   * Asks a yes/no question in a modal dialog.
   * @param {string} message
   * @param {string} confirmLabel the text of the button that goes ahead
   * @param {string} [action] the `data-action` of that button, naming what it confirms
   * @returns {Promise<boolean>}
   */
  confirm(message, confirmLabel, action = 'confirm') {
    const dialog = this.ui.dialog;
    if (!(dialog instanceof HTMLDialogElement) || typeof dialog.showModal !== 'function') {
      return Promise.resolve(window.confirm(message));
    }
    this.ui.dialogMessage.textContent = message;
    this.ui.dialogConfirm.textContent = confirmLabel;
    this.ui.dialogConfirm.dataset.action = action;
    return new Promise((resolve) => {
      const done = () => {
        dialog.removeEventListener('close', done);
        resolve(dialog.returnValue === 'confirm');
      };
      dialog.returnValue = '';
      dialog.addEventListener('close', done);
      dialog.showModal();
    });
  }

  /**
   * Runs one host API call: the button is disabled meanwhile, the new state is applied, and
   * errors go to the page's error line.
   * @param {HTMLButtonElement | undefined} from
   * @param {() => Promise<BriefingState | null>} call
   * @param {MessageKey} [doneKey] a notice to show when it succeeded
   * @param {Record<string, string | number>} [params]
   */
  async #run(from, call, doneKey, params) {
    if (from) {
      if (this.busy.has(from)) return;
      this.busy.add(from);
      from.disabled = true;
      from.setAttribute('aria-busy', 'true');
    }
    try {
      const next = await call();
      this.options.onSuccess();
      if (next) this.options.onState(next);
      if (doneKey) this.options.notify(doneKey, params);
    } catch (err) {
      this.options.onError(err);
    } finally {
      if (from) {
        this.busy.delete(from);
        from.disabled = false;
        from.removeAttribute('aria-busy');
      }
      this.render(this.state);
    }
  }

  /** @param {FloorMode} mode */
  async #setMode(mode) {
    if (this.state?.mode === mode) return;
    this.modePending = true;
    this.ui.mode.disabled = true;
    try {
      const next = await this.api.setMode(mode);
      this.options.onSuccess();
      if (next) this.options.onState(next);
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.modePending = false;
      this.ui.mode.disabled = false;
      this.render(this.state);
    }
  }

  /**
   * Starts the recording, or stops it after the host confirms. The live state says whether one
   * runs; the answer is applied at once, the server's delta follows.
   */
  async #toggleRecording() {
    const b = this.ui.recording;
    const state = this.state;
    if (this.busy.has(b) || !state) return;
    const running = state.recording !== null;
    if (running && !(await this.confirm(t('host.recording.stopConfirm'), t('host.recording.stop'), 'confirm-recording-stop'))) return;
    this.busy.add(b);
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    this.recordingError = null;
    this.#renderRecording();
    try {
      const recording = running ? await this.api.stopRecording() : await this.api.startRecording();
      this.options.onSuccess();
      if (recording && this.state) {
        this.options.onState({ ...this.state, recording: recording.status === 'recording' ? recording.started_at : null });
      }
      this.options.notify(running ? 'host.done.recordingStopped' : 'host.done.recordingStarted');
    } catch (err) {
      this.recordingError = err;
      // Already running, or not any more: the state this panel holds is behind; read it anew.
      if (err instanceof ApiError && (err.code === 'recording_already' || err.code === 'recording_not_running')) {
        try {
          const next = await this.api.state();
          if (next) this.options.onState(next);
        } catch {
          // The socket's next state will say it.
        }
      }
    } finally {
      this.busy.delete(b);
      b.removeAttribute('aria-busy');
      this.render(this.state);
    }
  }

  async #runTrial() {
    const b = this.ui.trial;
    if (this.busy.has(b)) return;
    this.busy.add(b);
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    this.ui.trialStatus.textContent = t('host.trial.running');
    try {
      this.trial = await this.api.trial();
      this.options.onSuccess();
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.busy.delete(b);
      b.disabled = false;
      b.removeAttribute('aria-busy');
      this.renderTrial();
    }
  }

  async #loadAttendance() {
    const b = this.ui.attendanceLoad;
    if (this.busy.has(b)) return;
    this.busy.add(b);
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    try {
      this.attendance = await this.api.attendance();
      this.options.onSuccess();
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.busy.delete(b);
      b.disabled = false;
      b.removeAttribute('aria-busy');
      this.renderAttendance();
    }
  }

  async #downloadCsv() {
    const b = this.ui.attendanceCsv;
    if (this.busy.has(b)) return;
    this.busy.add(b);
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    try {
      const blob = await this.api.attendanceCsv();
      this.options.onSuccess();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = this.api.csvFileName;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.busy.delete(b);
      b.disabled = false;
      b.removeAttribute('aria-busy');
    }
  }

  // --- rendering -------------------------------------------------------------------------

  /** Re-renders everything, e.g. after a language switch. */
  renderAll() {
    this.render(this.state);
    this.renderTrial();
    this.renderAttendance();
  }

  /** @param {BriefingState | null} state */
  render(state) {
    this.state = state;
    if (!state) return;
    const ui = this.ui;

    if (!this.modePending && ui.mode.value !== state.mode) ui.mode.value = state.mode;
    ui.mode.dataset.mode = state.mode;
    ui.modeHint.textContent = t(/** @type {MessageKey} */ (`mode.${state.mode}.hint`));

    ui.lock.setAttribute('aria-pressed', String(state.locked));
    label(ui.lock, state.locked ? t('host.lock.off') : t('host.lock.on'));
    ui.lockHint.textContent = state.locked ? t('host.lock.lockedHint') : '';

    ui.floorCurrent.textContent = state.floor
      ? t('host.floor.current', { point: state.floor.point })
      : t('host.floor.none');
    ui.revokeFloor.disabled = state.floor === null || this.busy.has(ui.revokeFloor);

    this.#renderRecording();
    this.#renderHands(state);
    this.#renderRollCall(state);
  }

  /** The recording's button (start, or stop while one runs), its hint and its last failure. */
  #renderRecording() {
    const ui = this.ui;
    const since = this.state?.recording ?? null;
    const on = since !== null;
    ui.recording.dataset.recording = String(on);
    ui.recording.className = `btn btn--small ${on ? 'btn--danger-outline' : 'btn--record'}`;
    label(ui.recording, on ? t('host.recording.stop') : t('host.recording.start'));
    ui.recording.disabled = !this.state || this.busy.has(ui.recording);
    ui.recordingHint.textContent = on ? t('host.recording.since', { time: formatTime(since) }) : t('host.recording.off');
    const err = this.recordingError;
    ui.recordingError.hidden = err === null;
    ui.recordingError.textContent = err === null ? '' : recordingErrorText(err);
    if (err instanceof ApiError) ui.recordingError.dataset.code = err.code;
    else delete ui.recordingError.dataset.code;
  }

  /** @param {BriefingState} state */
  #renderHands(state) {
    const ui = this.ui;
    const wanted = new Set(state.hands.map((h) => h.point));
    for (const [name, row] of this.handRows) {
      if (!wanted.has(name)) {
        row.li.remove();
        this.handRows.delete(name);
      }
    }
    state.hands.forEach((hand, i) => {
      let row = this.handRows.get(hand.point);
      if (!row) {
        row = this.#handRow(hand.point);
        this.handRows.set(hand.point, row);
      }
      row.topic.textContent = hand.topic ?? '';
      row.topic.hidden = !hand.topic;
      const at = formatTime(hand.raised_at);
      row.time.textContent = at ? t('host.hands.raisedAt', { time: at }) : '';
      label(row.grant, t('host.grant'), t('host.grant.label', { point: hand.point }));
      label(row.lower, t('host.hands.lower'), t('host.hands.lower.label', { point: hand.point }));
      row.seconds.setAttribute('aria-label', t('host.hands.seconds.label', { point: hand.point }));
      row.seconds.placeholder = ui.floorSeconds.value.trim() || t('host.floor.noLimit');
      row.li.querySelector('.hands__pos')?.replaceChildren(String(i + 1));
      place(ui.hands, row.li, i);
    });
    ui.handsEmpty.hidden = state.hands.length > 0;
    ui.handsCount.textContent = state.hands.length > 0 ? `(${state.hands.length})` : '';
  }

  /**
   * @param {string} name
   * @returns {HandRow}
   */
  #handRow(name) {
    const li = /** @type {HTMLLIElement} */ (el('li', 'hands__item'));
    li.dataset.point = name;
    const pos = el('span', 'hands__pos');
    pos.setAttribute('aria-hidden', 'true');
    const main = el('div', 'hands__main');
    const who = el('span', 'hands__name', name);
    const topic = el('span', 'hands__topic');
    const time = el('span', 'hands__time muted');
    main.append(who, topic, time);

    const actions = el('div', 'hands__actions');
    const seconds = document.createElement('input');
    seconds.type = 'number';
    seconds.min = '1';
    seconds.max = String(limits.floor_seconds);
    seconds.step = '1';
    seconds.inputMode = 'numeric';
    seconds.className = 'input-seconds';
    seconds.dataset.role = 'grant-seconds';
    const grant = button('grant', 'btn btn--primary btn--small');
    const lower = button('lower', 'btn btn--secondary btn--small');
    grant.addEventListener('click', () => {
      const own = parseSeconds(seconds.value);
      seconds.setAttribute('aria-invalid', String(Number.isNaN(own)));
      void this.grant(name, grant, own === null ? undefined : own);
    });
    lower.addEventListener('click', () => void this.#run(lower, () => this.api.lowerHand(name)));
    actions.append(seconds, grant, lower);
    li.append(pos, main, actions);
    return { li, topic, time, seconds, grant, lower };
  }

  /** @param {BriefingState} state */
  #renderRollCall(state) {
    const ui = this.ui;
    const rc = state.roll_call;
    const active = rc?.active === true;
    ui.rollCallStart.disabled = active || this.busy.has(ui.rollCallStart);
    ui.rollCallEnd.disabled = !active || this.busy.has(ui.rollCallEnd);
    ui.rollCallTable.hidden = rc === null;
    ui.rollCallTable.dataset.active = String(active);

    if (!rc) {
      ui.rollCallSummary.textContent = t('host.rollCall.never');
      return;
    }
    /** @type {Map<string, RollCallEntry>} */
    const answers = new Map(rc.answers.map((a) => [a.point, a]));
    const counts = { present: 0, substitute: 0, absent: 0, no_answer: 0 };
    for (const a of rc.answers) counts[a.status] += 1;
    // The host is present by chairing: it is not asked.
    const asked = state.points.filter((p) => p.role !== 'host');
    const total = asked.length;
    ui.rollCallSummary.textContent = active
      ? t('host.rollCall.progress', { answered: rc.answers.length, total })
      : t('host.rollCall.result', { ...counts, noAnswer: counts.no_answer, total });

    const body = ui.rollCallTable.tBodies[0];
    const names = new Set(asked.map((p) => p.name));
    for (const [name, row] of this.rollCallRows) {
      if (!names.has(name)) {
        row.tr.remove();
        this.rollCallRows.delete(name);
      }
    }
    asked.forEach((p, i) => {
      let row = this.rollCallRows.get(p.name);
      if (!row) {
        row = this.#rollCallRow(p.name);
        this.rollCallRows.set(p.name, row);
      }
      const answer = answers.get(p.name);
      row.tr.dataset.status = answer?.status ?? 'none';
      row.tr.dataset.online = String(p.online);
      row.status.textContent = answerText(answer);
      label(row.present, t('rollCall.status.present'), t('host.rollCall.present.label', { point: p.name }));
      label(row.recordSubstitute, t('host.rollCall.substitute'), t('host.rollCall.substitute.label', { point: p.name }));
      label(row.absent, t('host.rollCall.absent'), t('host.rollCall.absent.label', { point: p.name }));
      row.substitute.placeholder = t('host.rollCall.substitute.placeholder');
      row.substitute.setAttribute('aria-label', t('host.rollCall.substitute.input', { point: p.name }));
      row.reason.placeholder = t('host.rollCall.reason.placeholder');
      row.reason.setAttribute('aria-label', t('host.rollCall.reason.input', { point: p.name }));
      for (const b of [row.present, row.recordSubstitute, row.absent]) b.disabled = !active || this.busy.has(b);
      place(body, row.tr, i);
    });
  }

  /**
   * @param {string} name
   * @returns {RollCallRow}
   */
  #rollCallRow(name) {
    const tr = document.createElement('tr');
    tr.dataset.point = name;
    const th = el('th', '', name);
    th.setAttribute('scope', 'row');
    const status = el('td', 'host-table__status');
    status.dataset.role = 'rc-status';
    const record = el('td', 'host-table__record');

    const present = button('rc-present', 'btn btn--primary btn--small');
    present.addEventListener('click', () => void this.#record(name, present, { status: 'present' }));

    const substitute = document.createElement('input');
    substitute.type = 'text';
    substitute.maxLength = limits.substitute_chars;
    substitute.dataset.role = 'rc-substitute';
    const recordSubstitute = button('rc-substitute', 'btn btn--secondary btn--small');
    recordSubstitute.addEventListener('click', () => {
      const who = substitute.value.normalize('NFC').trim();
      substitute.setAttribute('aria-invalid', String(who === ''));
      if (who === '') {
        substitute.focus();
        return;
      }
      void this.#record(name, recordSubstitute, { status: 'substitute', substitute: who });
    });

    const reason = document.createElement('input');
    reason.type = 'text';
    reason.maxLength = limits.reason_chars;
    reason.dataset.role = 'rc-reason';
    const absent = button('rc-absent', 'btn btn--danger-outline btn--small');
    absent.addEventListener('click', () => {
      const why = reason.value.normalize('NFC').trim();
      void this.#record(name, absent, why ? { status: 'absent', reason: why } : { status: 'absent' });
    });

    const subGroup = el('span', 'host-table__group');
    subGroup.append(substitute, recordSubstitute);
    const absentGroup = el('span', 'host-table__group');
    absentGroup.append(reason, absent);
    record.append(present, subGroup, absentGroup);
    tr.append(th, status, record);
    return { tr, status, present, substitute, recordSubstitute, reason, absent };
  }

  /**
   * @param {string} point
   * @param {HTMLButtonElement} from
   * @param {RecordedAnswer} answer
   */
  #record(point, from, answer) {
    return this.#run(from, () => this.api.recordAnswer(point, answer));
  }

  renderTrial() {
    const ui = this.ui;
    const rows = this.trial;
    ui.trialTable.hidden = rows === null;
    if (rows === null) {
      if (!this.busy.has(ui.trial)) ui.trialStatus.textContent = '';
      return;
    }
    const ok = rows.filter((r) => r.online && r.audio_up && r.video_up && r.audio_down && r.video_down).length;
    if (!this.busy.has(ui.trial)) ui.trialStatus.textContent = t('host.trial.summary', { ok, total: rows.length });
    const yes = (/** @type {boolean} */ v) => {
      const td = el('td', `check check--${v ? 'ok' : 'bad'}`, v ? t('host.trial.yes') : t('host.trial.no'));
      td.dataset.ok = String(v);
      return td;
    };
    ui.trialTable.tBodies[0].replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.point = r.point;
        const allOk = r.online && r.audio_up && r.video_up && r.audio_down && r.video_down;
        tr.dataset.ok = String(Boolean(allOk));
        const th = el('th', '', r.point);
        th.setAttribute('scope', 'row');
        tr.append(
          th,
          yes(r.online === true),
          yes(r.audio_up === true),
          yes(r.video_up === true),
          yes(r.audio_down === true),
          yes(r.video_down === true),
          el('td', 'num', formatRtt(r.rtt_ms)),
          el('td', 'num', formatLoss(r.loss)),
        );
        return tr;
      }),
    );
  }

  renderAttendance() {
    const ui = this.ui;
    const rows = this.attendance;
    ui.attendanceTable.hidden = rows === null;
    if (rows === null) return;
    ui.attendanceTable.tBodies[0].replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.point = r.point;
        const th = el('th', '', r.point);
        th.setAttribute('scope', 'row');
        if (r.role === 'host') {
          th.append(' ');
          th.append(el('span', 'badge badge--host', t('badge.host')));
        }
        const sessions = Array.isArray(r.sessions) ? r.sessions.length : 0;
        tr.append(
          th,
          el('td', 'num', formatTime(r.first_joined_at) || '—'),
          el('td', 'num', formatTime(r.last_left_at) || '—'),
          el('td', 'num', formatDuration(typeof r.present_seconds === 'number' ? r.present_seconds : 0)),
          el('td', 'num', String(sessions)),
          el('td', '', answerText(r.roll_call)),
          el('td', 'num', formatRtt(r.avg_rtt_ms)),
          el('td', 'num', formatLoss(r.avg_loss)),
        );
        return tr;
      }),
    );
  }
}
