// The recordings of the briefing ("Ghi hình"): for each, the session copy in a player with the
// turns at the floor as chapters, and the file of every source to download. The list is asked
// again every POLL_MS while a recording runs or its copy is being made, and only while the
// section is shown. Each answer signs the files' addresses anew for a short while: a player
// whose address ran out takes the newest one, a download asks for fresh ones first.

import { t, formatDay, formatTime, locale } from '../i18n.js';
import { formatMegabytes } from '../numbers.js';
import {
  POLL_MS,
  archiveFile,
  endReasonKey,
  formatOffset,
  listSignature,
  shouldPoll,
  statusKey,
} from '../recording.js';
import { Alert, busy, button, byTestId, el } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../i18n.js').MessageKey} MessageKey */
/** @typedef {import('../recording.js').Recording} Recording */
/** @typedef {import('../recording.js').RecordingFile} RecordingFile */

/**
 * For how long after an answer its signed addresses are used as they are; a download asked for
 * later fetches the list again first. (The server's addresses last longer than this.)
 */
const URL_FRESH_MS = 60_000;

/**
 * The elements of one recording, kept while it is listed so that its player keeps playing
 * when the list is drawn again.
 * @typedef {object} Entry
 * @property {HTMLLIElement} li
 * @property {HTMLHeadingElement} heading
 * @property {HTMLElement} head
 * @property {HTMLElement} archiveTitle
 * @property {HTMLElement} archive the session copy's player, or why there is none
 * @property {HTMLElement} rest chapters and files
 * @property {HTMLVideoElement | null} video the session copy's player
 * @property {number | null} videoFile the file it plays
 * @property {string} videoUrl the address it was given
 * @property {string} latestUrl the newest address of that file
 */

/** @implements {Part} */
export class RecordingsPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the recordings section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.root = root;
    this.ui = {
      empty: byTestId(root, 'recordings-empty', HTMLElement),
      list: byTestId(root, 'recording-list', HTMLOListElement),
      refresh: byTestId(root, 'recordings-refresh', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'recordings-error', HTMLElement));
    /** @type {Recording[]} */
    this.recordings = [];
    this.loaded = false;
    /** The list as last drawn, without its addresses. */
    this.signature = '';
    /** When the addresses of `recordings` were signed (about). */
    this.fetchedAt = 0;
    /** @type {Map<number, Entry>} by recording id */
    this.entries = new Map();
    /** @type {{recording: number, offsetMs: number} | null} a seek asked for before the list came */
    this.pendingSeek = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.pollTimer = undefined;
    /** @type {Promise<void> | null} */
    this.inFlight = null;
    this.ui.refresh.addEventListener('click', () => void busy(this.ui.refresh, () => this.load()));
    document.addEventListener('visibilitychange', () => {
      if (this.loaded && this.pollTimer === undefined && this.#shown() && shouldPoll(this.recordings, true)) void this.load();
    });
  }

  /** Loads the list (one request at a time) and keeps asking while something is under way. */
  load() {
    this.inFlight ??= this.#load().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async #load() {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    try {
      const list = await this.ctx.recordings(true);
      this.alert.clear();
      this.fetchedAt = Date.now();
      const signature = listSignature(list);
      const changed = !this.loaded || signature !== this.signature;
      this.recordings = list;
      this.signature = signature;
      this.loaded = true;
      if (changed) this.render();
      else this.#refreshUrls();
    } catch (err) {
      this.alert.show(err);
    }
    this.#applySeek();
    if (shouldPoll(this.recordings, this.#shown())) {
      this.pollTimer = setTimeout(() => {
        this.pollTimer = undefined;
        if (this.#shown()) void this.load();
      }, POLL_MS);
    }
  }

  /** Whether the section is on screen: its tab shown, the browser's tab in front. */
  #shown() {
    const panel = this.root.closest('[data-panel]');
    return !document.hidden && !this.root.hidden && !(panel instanceof HTMLElement && panel.hidden);
  }

  /**
   * Plays a recording's session copy from `offsetMs` (once the list is there).
   * @param {number} recording
   * @param {number} offsetMs
   */
  seek(recording, offsetMs) {
    this.pendingSeek = { recording, offsetMs };
    this.#applySeek();
  }

  #applySeek() {
    const want = this.pendingSeek;
    if (!want || !this.loaded) return;
    this.pendingSeek = null;
    const entry = this.entries.get(want.recording);
    if (!entry) return;
    if (!entry.video) {
      // No copy to play yet: show the recording and say why.
      entry.heading.focus();
      entry.li.scrollIntoView({ block: 'start' });
      return;
    }
    entry.video.focus({ preventScroll: true });
    entry.video.scrollIntoView({ block: 'center' });
    playFrom(entry.video, want.offsetMs);
  }

  render() {
    this.alert.render();
    this.ui.empty.hidden = !this.loaded || this.recordings.length > 0;
    const listed = new Set(this.recordings.map((r) => r.id));
    for (const [id, entry] of this.entries) {
      if (listed.has(id)) continue;
      entry.li.remove();
      this.entries.delete(id);
    }
    this.recordings.forEach((r, i) => {
      const entry = this.#entry(r);
      this.#fill(entry, r, this.recordings.length - i);
      // Moved only when out of place, so that a playing video stays where it is.
      const at = this.ui.list.children[i] ?? null;
      if (at !== entry.li) this.ui.list.insertBefore(entry.li, at);
    });
  }

  /**
   * @param {Recording} r
   * @returns {Entry}
   */
  #entry(r) {
    const known = this.entries.get(r.id);
    if (known) return known;
    const heading = el('h3', { className: 'recording__title', testid: 'recording-title' });
    heading.tabIndex = -1;
    const head = el('div', { className: 'item__head' });
    const archiveTitle = el('h4', { className: 'recording__sub' });
    const archive = el('div', { className: 'recording__archive', testid: 'recording-archive' });
    const rest = el('div', { className: 'recording__rest' });
    const li = el('li', { className: 'item recording', testid: 'recording', data: { recordingId: String(r.id) } }, [
      heading,
      head,
      archiveTitle,
      archive,
      rest,
    ]);
    /** @type {Entry} */
    const entry = { li, heading, head, archiveTitle, archive, rest, video: null, videoFile: null, videoUrl: '', latestUrl: '' };
    this.entries.set(r.id, entry);
    return entry;
  }

  /**
   * Draws one recording into its elements; its player is kept while it plays the same file.
   * @param {Entry} entry
   * @param {Recording} r
   * @param {number} n its number, the oldest first
   */
  #fill(entry, r, n) {
    entry.li.dataset.status = r.status;
    entry.li.dataset.archive = r.archive.status;
    const when = t('dossier.recordings.when', {
      date: formatDay(r.started_at),
      from: formatTime(r.started_at),
      to: r.ended_at ? formatTime(r.ended_at) : t('dossier.recordings.ongoing'),
    });
    entry.heading.textContent = t('dossier.recordings.item', { n });
    const status = el('span', { className: 'recording__status', testid: 'recording-status', text: t(statusKey(r.status)), data: { status: r.status } });
    const reason = endReasonKey(r.end_reason);
    entry.head.replaceChildren(
      el('span', { className: 'muted', testid: 'recording-when', text: when }),
      status,
      ...(reason ? [el('span', { className: 'muted', testid: 'recording-end-reason', text: t(reason), data: { reason: r.end_reason ?? '' } })] : []),
    );
    this.#fillArchive(entry, r, when);
    entry.rest.replaceChildren(...this.#chapters(entry, r), ...this.#files(r));
  }

  /**
   * @param {Entry} entry
   * @param {Recording} r
   * @param {string} when
   */
  #fillArchive(entry, r, when) {
    const file = archiveFile(r);
    entry.archiveTitle.textContent = t('dossier.recordings.archive');
    if (!file) {
      entry.video?.pause();
      entry.video = null;
      entry.videoFile = null;
      /** @type {Record<string, MessageKey>} */
      const keys = { pending: 'dossier.recordings.archive.pending', none: 'dossier.recordings.archive.none' };
      let text = t(keys[r.archive.status] ?? 'dossier.recordings.archive.none');
      if (r.archive.status === 'failed') {
        text = r.archive.error
          ? t('dossier.recordings.archive.failed', { error: r.archive.error })
          : t('dossier.recordings.archive.failedPlain');
      }
      const note = el('p', {
        className: r.archive.status === 'failed' ? 'alert alert--inline' : 'muted',
        testid: `recording-archive-${r.archive.status}`,
        text,
      });
      entry.archive.replaceChildren(note);
      return;
    }
    entry.latestUrl = file.url;
    if (!entry.video || entry.videoFile !== file.id) {
      entry.video?.pause();
      const video = el('video', { className: 'recording__video', testid: 'recording-video', data: { fileId: String(file.id) } });
      video.controls = true;
      video.preload = 'metadata';
      video.playsInline = true;
      video.src = file.url;
      video.addEventListener('error', () => void this.#recover(r.id, video));
      entry.video = video;
      entry.videoFile = file.id;
      entry.videoUrl = file.url;
      entry.archive.replaceChildren(video);
    }
    entry.video.setAttribute('aria-label', t('dossier.recordings.archive.label', { when }));
  }

  /**
   * A player whose address ran out (or failed otherwise) takes the newest address of its file,
   * asking for the list again when the newest is the one that failed; once per address.
   * @param {number} id the recording
   * @param {HTMLVideoElement} video
   */
  async #recover(id, video) {
    let entry = this.entries.get(id);
    if (!entry || entry.video !== video) return;
    const failed = entry.videoUrl;
    const at = video.currentTime;
    const playing = !video.paused;
    if (entry.latestUrl === failed) await this.load();
    entry = this.entries.get(id);
    if (!entry || entry.video !== video || entry.latestUrl === failed) return;
    entry.videoUrl = entry.latestUrl;
    video.src = entry.latestUrl;
    if (at > 0 || playing) playFrom(video, at * 1000, playing);
  }

  /** Puts the newest addresses into the links and players without drawing anything anew. */
  #refreshUrls() {
    /** @type {Map<number, string>} */
    const urls = new Map();
    for (const r of this.recordings) {
      for (const f of r.files) urls.set(f.id, f.url);
      const entry = this.entries.get(r.id);
      const file = archiveFile(r);
      if (entry && file && entry.videoFile === file.id) entry.latestUrl = file.url;
    }
    for (const a of this.ui.list.querySelectorAll('a[data-file-id]')) {
      if (!(a instanceof HTMLAnchorElement)) continue;
      const url = urls.get(Number(a.dataset.fileId));
      if (url) a.href = url;
    }
  }

  /**
   * The turns at the floor as buttons that play the session copy from there.
   * @param {Entry} entry
   * @param {Recording} r
   * @returns {HTMLElement[]}
   */
  #chapters(entry, r) {
    if (r.chapters.length === 0) return [];
    const items = r.chapters.map((c) => {
      const time = formatOffset(c.offset_ms);
      const b = button(
        t('dossier.recordings.chapter', { time, title: c.title }),
        { className: 'btn btn--secondary btn--small chapter', testid: 'recording-chapter', label: t('dossier.recordings.chapter.label', { time, title: c.title }) },
        () => {
          if (entry.video) playFrom(entry.video, c.offset_ms);
        },
      );
      b.dataset.grant = String(c.grant_id);
      b.dataset.offsetMs = String(c.offset_ms);
      b.disabled = entry.video === null;
      return el('li', {}, [b]);
    });
    return [
      el('h4', { className: 'recording__sub', text: t('dossier.recordings.chapters') }),
      el('ol', { className: 'chapters', testid: 'recording-chapters' }, items),
    ];
  }

  /**
   * Every source's file with its download.
   * @param {Recording} r
   * @returns {HTMLElement[]}
   */
  #files(r) {
    if (r.files.length === 0) return [];
    const cols = /** @type {MessageKey[]} */ ([
      'dossier.recordings.col.point',
      'dossier.recordings.col.kind',
      'dossier.recordings.col.start',
      'dossier.recordings.col.duration',
      'dossier.recordings.col.size',
      'dossier.recordings.col.status',
    ]);
    const head = el('tr', {}, [
      ...cols.map((key, i) => el('th', { className: i >= 2 && i <= 4 ? 'num' : '', text: t(key), attrs: { scope: 'col' } })),
      el('th', { attrs: { scope: 'col' } }, [el('span', { className: 'sr-only', text: t('dossier.recordings.download') })]),
    ]);
    const rows = r.files.map((f) => {
      const kind = kindText(f);
      const point = f.point ?? '—';
      const start = formatOffset(f.offset_ms);
      const actions = el('td', { className: 'data-table__actions' });
      if (f.status === 'closed' || f.status === 'recovered') {
        const a = el('a', {
          className: 'btn btn--secondary btn--small',
          testid: 'recording-file-download',
          text: t('dossier.recordings.download'),
          data: { fileId: String(f.id) },
          attrs: { href: f.url, download: '', 'aria-label': t('dossier.recordings.download.label', { kind, point, time: start }) },
        });
        a.addEventListener('click', (event) => {
          if (Date.now() - this.fetchedAt < URL_FRESH_MS) return;
          // The address may have run out: fetch fresh ones, then download with the new link.
          event.preventDefault();
          void this.load().then(() => {
            const fresh = this.ui.list.querySelector(`a[data-file-id="${f.id}"]`);
            if (fresh instanceof HTMLAnchorElement && Date.now() - this.fetchedAt < URL_FRESH_MS) fresh.click();
          });
        });
        actions.append(a);
      }
      return el('tr', { testid: 'recording-file', data: { fileId: String(f.id), kind: f.kind, status: f.status } }, [
        el('th', { text: point, attrs: { scope: 'row' } }),
        el('td', { text: kind }),
        el('td', { className: 'num', text: start }),
        el('td', { className: 'num', text: f.duration_ms === null ? '—' : formatOffset(f.duration_ms) }),
        el('td', { className: 'num', text: f.bytes === null ? '—' : t('dossier.size.mib', { n: formatMegabytes(f.bytes, locale()) }) }),
        el('td', { text: t(/** @type {MessageKey} */ (`dossier.recordings.file.${f.status}`)) }),
        actions,
      ]);
    });
    return [
      el('h4', { className: 'recording__sub', text: t('dossier.recordings.files') }),
      el('div', { className: 'table-wrap' }, [
        el('table', { className: 'data-table recording-files', testid: 'recording-files' }, [el('thead', {}, [head]), el('tbody', {}, rows)]),
      ]),
    ];
  }
}

/**
 * What a file holds, in words.
 * @param {RecordingFile} f
 */
function kindText(f) {
  const kind = t(/** @type {MessageKey} */ (`dossier.recordings.kind.${f.kind}`));
  return f.has_video ? kind : t('dossier.recordings.audioOnly', { kind });
}

/**
 * Moves a player to `offsetMs` (once it knows the file's length) and plays.
 * @param {HTMLVideoElement} video
 * @param {number} offsetMs
 * @param {boolean} [play]
 */
function playFrom(video, offsetMs, play = true) {
  const go = () => {
    video.currentTime = offsetMs / 1000;
    if (play) {
      video.play().catch(() => {
        // Refused without a click on the page (a policy): the player shows its play button.
      });
    }
  };
  if (video.readyState >= HTMLMediaElement.HAVE_METADATA) go();
  else video.addEventListener('loadedmetadata', go, { once: true });
}
