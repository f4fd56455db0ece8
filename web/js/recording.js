// Recording of a briefing, as the client sees it: the `recording` part of the live state
// (docs/protocol.md, "State"), the recordings listed by `GET …/recordings` (docs/http.md), and
// the small rules the pages share: how an offset reads, which words a status takes, which
// chapter a floor grant has, when the list is asked again. No DOM, no catalogue: the pages put
// the words in, so Node's test runner checks everything here.

/** @typedef {import('./i18n.js').MessageKey} MessageKey */

/** @typedef {'recording' | 'finished' | 'interrupted'} RecordingStatus */
/** @typedef {'stopped' | 'disk_full' | 'briefing_ended' | 'server_restart'} EndReason */
/** @typedef {'none' | 'pending' | 'ready' | 'failed'} ArchiveStatus */
/** @typedef {'point' | 'screen' | 'stage' | 'archive'} FileKind */
/** @typedef {'open' | 'closed' | 'recovered' | 'empty'} FileStatus */

/**
 * The copy of the whole session made from the files once the recording ended.
 * @typedef {object} Archive
 * @property {ArchiveStatus} status
 * @property {number | null} file the id of its file among `files`
 * @property {string | null} error why it could not be made
 */

/**
 * A floor grant's place in the recording.
 * @typedef {object} Chapter
 * @property {number} grant_id the floor grant (`id` of `GET …/minutes/speeches`)
 * @property {string} title the point's name
 * @property {number} offset_ms from the recording's start
 */

/**
 * One file written during a recording.
 * @typedef {object} RecordingFile
 * @property {number} id
 * @property {FileKind} kind
 * @property {string | null} point the point it is of (`point`, `screen`)
 * @property {string} started_at RFC 3339
 * @property {number} offset_ms from the recording's start
 * @property {number | null} duration_ms
 * @property {number | null} bytes
 * @property {FileStatus} status
 * @property {boolean} has_video
 * @property {string} url signed and short-lived: for `<video src>` and `<a download>`
 */

/**
 * @typedef {object} Recording
 * @property {number} id
 * @property {string} started_at RFC 3339
 * @property {string | null} ended_at
 * @property {RecordingStatus} status
 * @property {EndReason | null} end_reason
 * @property {Archive} archive
 * @property {Chapter[]} chapters
 * @property {RecordingFile[]} files
 */

/** How often the list is asked again while a recording runs or its copy is being made. */
export const POLL_MS = 10_000;

const STATUSES = new Set(['recording', 'finished', 'interrupted']);
const END_REASONS = new Set(['stopped', 'disk_full', 'write_failed', 'server_stopped', 'briefing_ended', 'server_restart']);
const ARCHIVE_STATUSES = new Set(['none', 'pending', 'ready', 'failed']);
const KINDS = new Set(['point', 'screen', 'stage', 'archive']);
const FILE_STATUSES = new Set(['open', 'closed', 'recovered', 'empty']);

/**
 * The `recording` part of a state or a delta: when the recording started, null when none runs
 * (also for anything that is not a readable RFC 3339 time).
 * @param {unknown} value
 * @returns {string | null}
 */
export function recordingSince(value) {
  return typeof value === 'string' && Number.isFinite(Date.parse(value)) ? value : null;
}

/**
 * An offset into a recording as a player shows it: `m:ss` under an hour, `h:mm:ss` from one.
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function formatOffset(ms) {
  const { h, m, s } = clock(ms);
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/**
 * An offset into a recording as `hh:mm:ss`, always with hours (beside the times of day).
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function formatOffsetLong(ms) {
  const { h, m, s } = clock(ms);
  return `${pad(h)}:${pad(m)}:${pad(s)}`;
}

/**
 * How long a recording has run at `now`: milliseconds, never negative (the computer's clock may
 * be a little behind the server's); null without a readable start.
 * @param {string | null} since RFC 3339
 * @param {number} now milliseconds since the epoch
 * @returns {number | null}
 */
export function elapsedMs(since, now) {
  if (since === null) return null;
  const start = Date.parse(since);
  return Number.isFinite(start) ? Math.max(0, now - start) : null;
}

/**
 * The catalogue key of a recording's status.
 * @param {RecordingStatus} status
 * @returns {MessageKey}
 */
export function statusKey(status) {
  return /** @type {MessageKey} */ (`dossier.recordings.status.${status}`);
}

/**
 * The catalogue key of why a recording ended, or null when nothing needs saying (it runs, or
 * the host stopped it).
 * @param {EndReason | null} reason
 * @returns {MessageKey | null}
 */
export function endReasonKey(reason) {
  if (reason === null || reason === 'stopped') return null;
  return /** @type {MessageKey} */ (`dossier.recordings.end.${reason}`);
}

/**
 * Whether the list should be asked again in POLL_MS: while it is shown and a recording runs or
 * its copy is being made.
 * @param {Recording[]} recordings
 * @param {boolean} shown
 * @returns {boolean}
 */
export function shouldPoll(recordings, shown) {
  return shown && recordings.some((r) => r.status === 'recording' || r.archive.status === 'pending');
}

/**
 * Where in the recordings a floor grant is.
 * @typedef {{recording: number, offset_ms: number, title: string, ready: boolean}} GrantChapter
 */

/**
 * Each floor grant's chapter. A grant found in more than one recording is taken from one whose
 * copy of the session is ready, else from the first listed (the newest).
 * @param {Recording[]} recordings newest first
 * @returns {Map<number, GrantChapter>}
 */
export function chaptersByGrant(recordings) {
  /** @type {Map<number, GrantChapter>} */
  const out = new Map();
  for (const r of recordings) {
    const ready = r.archive.status === 'ready' && archiveFile(r) !== null;
    for (const c of r.chapters) {
      const known = out.get(c.grant_id);
      if (known && (known.ready || !ready)) continue;
      out.set(c.grant_id, { recording: r.id, offset_ms: c.offset_ms, title: c.title, ready });
    }
  }
  return out;
}

/**
 * The file holding the copy of the whole session, when it is ready.
 * @param {Recording} recording
 * @returns {RecordingFile | null}
 */
export function archiveFile(recording) {
  if (recording.archive.status !== 'ready') return null;
  const id = recording.archive.file;
  return recording.files.find((f) => f.id === id) ?? recording.files.find((f) => f.kind === 'archive') ?? null;
}

/**
 * The list without its signed addresses, to tell whether anything shown has changed (each
 * answer signs the addresses anew).
 * @param {Recording[]} recordings
 * @returns {string}
 */
export function listSignature(recordings) {
  return JSON.stringify(recordings.map((r) => ({ ...r, files: r.files.map((f) => ({ ...f, url: '' })) })));
}

/**
 * Checks the answer of `GET …/recordings`: entries that are not recordings are dropped, parts an
 * older or newer server may leave out are filled in.
 * @param {unknown} answer
 * @returns {Recording[]}
 */
export function normalizeRecordings(answer) {
  /** @type {any} */
  const a = answer;
  const list = Array.isArray(a?.recordings) ? a.recordings : [];
  return list.map(normalizeRecording).filter((r) => r !== null);
}

/**
 * One recording, or null when `raw` is not one.
 * @param {unknown} raw
 * @returns {Recording | null}
 */
export function normalizeRecording(raw) {
  /** @type {any} */
  const r = raw;
  if (!r || typeof r !== 'object' || !isId(r.id) || typeof r.started_at !== 'string') return null;
  const archive = r.archive && typeof r.archive === 'object' ? r.archive : {};
  return {
    id: r.id,
    started_at: r.started_at,
    ended_at: str(r.ended_at),
    status: STATUSES.has(r.status) ? r.status : r.ended_at ? 'finished' : 'recording',
    end_reason: END_REASONS.has(r.end_reason) ? r.end_reason : null,
    archive: {
      status: ARCHIVE_STATUSES.has(archive.status) ? archive.status : 'none',
      file: isId(archive.file) ? archive.file : null,
      error: str(archive.error),
    },
    chapters: (Array.isArray(r.chapters) ? r.chapters : [])
      .filter((/** @type {any} */ c) => c && isId(c.grant_id) && num(c.offset_ms) !== null)
      .map((/** @type {any} */ c) => ({ grant_id: c.grant_id, title: str(c.title) ?? '', offset_ms: Math.max(0, c.offset_ms) })),
    files: (Array.isArray(r.files) ? r.files : [])
      .filter((/** @type {any} */ f) => f && isId(f.id) && KINDS.has(f.kind) && typeof f.url === 'string')
      .map((/** @type {any} */ f) => ({
        id: f.id,
        kind: f.kind,
        point: str(f.point),
        started_at: str(f.started_at) ?? r.started_at,
        offset_ms: Math.max(0, num(f.offset_ms) ?? 0),
        duration_ms: num(f.duration_ms),
        bytes: num(f.bytes),
        status: FILE_STATUSES.has(f.status) ? f.status : 'closed',
        has_video: f.has_video !== false,
        url: f.url,
      })),
  };
}

/** @param {unknown} v */
function str(v) {
  return typeof v === 'string' ? v : null;
}

/** @param {unknown} v @returns {number | null} */
function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** @param {unknown} v @returns {v is number} */
function isId(v) {
  return typeof v === 'number' && Number.isInteger(v);
}

/** @param {number} n */
function pad(n) {
  return String(n).padStart(2, '0');
}

/** @param {number | null | undefined} ms */
function clock(ms) {
  const total = typeof ms === 'number' && Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}
