// Screen sharing as the briefing's presentation (docs/protocol.md, "Presentation"): the host,
// or the point holding the floor, shares a screen or a window; every other page shows it on
// the stage, large, with the speaker small beside it. The server allows one presenter at a
// time and ends a presentation with the presenter's floor; this module follows its state.

/** @typedef {import('./protocol.js').BriefingState} BriefingState */
/** @typedef {import('./protocol.js').Connection} Connection */

/** How long a presentation may wait for the server's state to name its presenter. */
const CONFIRM_MS = 4000;

/** What getDisplayMedia asks for: full resolution, few frames; text must stay sharp. */
const DISPLAY_CONSTRAINTS = {
  video: { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { ideal: 5, max: 15 } },
  audio: false,
};

export class Presenter {
  /** @type {MediaStreamTrack | null} */
  #track = null;
  #startedAt = 0;
  /** @type {BriefingState | null} */
  #briefing = null;

  /**
   * @param {object} options
   * @param {() => Connection | null} options.connection
   * @param {() => string | null} options.me this point's name
   * @param {() => boolean} options.isHost
   * @param {(key: 'present.refused' | 'present.ended' | 'present.unavailable') => void} options.notify
   * @param {() => void} options.render called when the button's state changes
   */
  constructor({ connection, me, isHost, notify, render }) {
    this.connection = connection;
    this.me = me;
    this.isHost = isHost;
    this.notify = notify;
    this.render = render;
  }

  /** Whether this page shares its screen now. */
  get presenting() {
    return this.#track !== null;
  }

  /** Whether this point may start presenting now: the host, or the floor holder. */
  mayPresent() {
    const me = this.me();
    if (!me || !this.#briefing) return false;
    if (this.isHost()) return true;
    return this.#briefing.floor?.point === me;
  }

  /** The presenter the server names, if any. */
  get presenter() {
    return this.#briefing?.presentation ?? null;
  }

  async toggle() {
    if (this.#track) this.stop();
    else await this.start();
  }

  async start() {
    const conn = this.connection();
    if (!conn || this.#track || !this.mayPresent()) return;
    if (!navigator.mediaDevices?.getDisplayMedia) {
      this.notify('present.unavailable');
      return;
    }
    /** @type {MediaStream} */
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia(DISPLAY_CONSTRAINTS);
    } catch {
      // The person cancelled the browser's picker: nothing to say.
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    // The browser's own "stop sharing" bar ends the track.
    track.addEventListener('ended', () => {
      if (this.#track === track) this.stop();
    });
    this.#track = track;
    this.#startedAt = performance.now();
    await conn.present(track);
    this.render();
  }

  /** Stops sharing and tells the server. */
  stop() {
    const track = this.#track;
    if (!track) return;
    this.#track = null;
    track.stop();
    void this.connection()?.present(null);
    this.render();
  }

  /** The track shared now, for the presenter's own preview. */
  get track() {
    return this.#track;
  }

  /**
   * Follows the briefing's state: a presentation the server does not name (refused, stopped by
   * the host, ended with the floor) stops here too.
   * @param {BriefingState} briefing
   */
  onState(briefing) {
    const before = this.#briefing?.presentation ?? null;
    this.#briefing = briefing;
    const me = this.me();
    if (!this.#track || !me) return;
    if (briefing.presentation === me) return;
    const confirmed = before === me;
    if (confirmed || performance.now() - this.#startedAt > CONFIRM_MS) {
      this.stop();
      this.notify(confirmed ? 'present.ended' : 'present.refused');
    }
  }

  /** The server refused the request (another point presents, or no floor). */
  onRefused() {
    if (!this.#track || this.#briefing?.presentation === this.me()) return;
    this.stop();
    this.notify('present.refused');
  }
}
