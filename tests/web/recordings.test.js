// Recording as the client sees it (web/js/recording.js): the live state's `recording`, offsets,
// words for statuses and refusals, floor grants to chapters, and when the list is asked again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError } from '../../web/js/api.js';
import { recordingErrorText } from '../../web/js/host.js';
import { translate } from '../../web/js/i18n.js';
import vi from '../../web/js/lang/vi.js';
import en from '../../web/js/lang/en.js';
import { formatMegabytes } from '../../web/js/numbers.js';
import { normalizeBriefingState } from '../../web/js/protocol.js';
import {
  archiveFile,
  chaptersByGrant,
  elapsedMs,
  endReasonKey,
  formatOffset,
  formatOffsetLong,
  listSignature,
  normalizeRecordings,
  recordingSince,
  shouldPoll,
  statusKey,
} from '../../web/js/recording.js';
import { applyStateDelta } from '../../web/js/state.js';

/**
 * A recording as the server lists it.
 * @param {number} id
 * @param {Partial<import('../../web/js/recording.js').Recording>} [parts]
 * @returns {import('../../web/js/recording.js').Recording}
 */
function recording(id, parts = {}) {
  return {
    id,
    started_at: '2026-12-06T01:00:00Z',
    ended_at: '2026-12-06T02:00:00Z',
    status: 'finished',
    end_reason: 'stopped',
    archive: { status: 'ready', file: id * 10, error: null },
    chapters: [],
    files: [
      {
        id: id * 10,
        kind: 'archive',
        point: null,
        started_at: '2026-12-06T01:00:00Z',
        offset_ms: 0,
        duration_ms: 3_600_000,
        bytes: 1_000_000,
        status: 'closed',
        has_video: true,
        url: `/media/${id}?sig=a`,
      },
    ],
    ...parts,
  };
}

describe('offsets', () => {
  it('read as a player shows them, hours only from an hour', () => {
    assert.equal(formatOffset(0), '0:00');
    assert.equal(formatOffset(754_000), '12:34');
    assert.equal(formatOffset(754_999), '12:34', 'a started second is not rounded up');
    assert.equal(formatOffset(3_723_000), '1:02:03');
    assert.equal(formatOffset(-5), '0:00');
    assert.equal(formatOffset(null), '0:00');
    assert.equal(formatOffset(Number.NaN), '0:00');
  });

  it('read with hours always beside the times of day', () => {
    assert.equal(formatOffsetLong(754_000), '00:12:34');
    assert.equal(formatOffsetLong(36_000_000 + 61_000), '10:01:01');
  });

  it('count the time recorded from the start, never below zero', () => {
    const start = '2026-12-06T01:00:00Z';
    assert.equal(elapsedMs(start, Date.parse(start) + 65_000), 65_000);
    assert.equal(elapsedMs(start, Date.parse(start) - 2_000), 0, 'a clock a little behind the server');
    assert.equal(elapsedMs(null, 0), null);
    assert.equal(elapsedMs('not a time', 0), null);
  });
});

describe('the live state', () => {
  const base = normalizeBriefingState({ mode: 'directed', points: [], stage: [] });

  it('reads `recording` from a snapshot, null when absent or unreadable', () => {
    assert.equal(base?.recording, null, 'a server without recording');
    assert.equal(normalizeBriefingState({ mode: 'open', recording: '2026-12-06T01:00:00Z' })?.recording, '2026-12-06T01:00:00Z');
    assert.equal(normalizeBriefingState({ mode: 'open', recording: 'soon' })?.recording, null);
    assert.equal(recordingSince(42), null);
  });

  it('sets and clears it from a delta, keeps it when the delta leaves it out', () => {
    assert.ok(base);
    const on = applyStateDelta(base, { recording: '2026-12-06T01:00:00Z' }).state;
    assert.equal(on.recording, '2026-12-06T01:00:00Z');
    assert.equal(applyStateDelta(on, { locked: true }).state.recording, '2026-12-06T01:00:00Z');
    assert.equal(applyStateDelta(on, { recording: null }).state.recording, null);
  });
});

describe('words', () => {
  it('name every status in Vietnamese as the dossier shows it, and in English', () => {
    assert.equal(translate('vi', statusKey('recording')), 'Đang ghi');
    assert.equal(translate('vi', statusKey('finished')), 'Đã xong');
    assert.equal(translate('vi', statusKey('interrupted')), 'Bị gián đoạn (máy chủ dừng giữa chừng)');
    assert.equal(translate('en', statusKey('finished')), 'Finished');
  });

  it('exist in both catalogues for every value the server may send', () => {
    /** @type {string[]} */
    const keys = [
      ...['recording', 'finished', 'interrupted'].map((s) => statusKey(/** @type {any} */ (s))),
      ...['disk_full', 'write_failed', 'server_stopped', 'briefing_ended', 'server_restart'].map((r) => String(endReasonKey(/** @type {any} */ (r)))),
      ...['point', 'screen', 'stage', 'archive'].map((k) => `dossier.recordings.kind.${k}`),
      ...['open', 'closed', 'recovered', 'empty'].map((s) => `dossier.recordings.file.${s}`),
      ...['recording_already', 'recording_not_running', 'disk_low', 'recording_unavailable'].map((c) => `api.${c}`),
      'notice.recording_stopped_disk_full',
    ];
    for (const key of keys) {
      assert.ok(typeof (/** @type {any} */ (vi))[key] === 'string', `vi: ${key}`);
      assert.ok(typeof (/** @type {any} */ (en))[key] === 'string', `en: ${key}`);
    }
  });

  it('say nothing about a recording the host stopped or one still running', () => {
    assert.equal(endReasonKey('stopped'), null);
    assert.equal(endReasonKey(null), null);
    assert.equal(endReasonKey('disk_full'), 'dossier.recordings.end.disk_full');
  });

  it('give the host the client\'s sentence for a refusal about recording', () => {
    const err = new ApiError(507, 'disk_low', 'free space is below the floor', undefined, { free_mb: 120, min_mb: 2048 });
    const text = recordingErrorText(err);
    assert.match(text, /^Không đủ dung lượng đĩa để ghi hình: còn 120 MB, cần ít nhất 2[. ]?048 MB\.$/);
    // Any other failure reads as everywhere else, never the server's English sentence.
    assert.equal(recordingErrorText(new ApiError(0, 'network', 'offline')), translate('vi', 'problem.network'));
    assert.ok(!recordingErrorText(new ApiError(500, 'no_such_code', 'ENGLISH')).includes('ENGLISH'));
  });

  it('show sizes in megabytes with the language\'s decimal mark', () => {
    assert.equal(formatMegabytes(1_258_291), '1,2');
    assert.equal(formatMegabytes(1_258_291, 'en-GB'), '1.2');
    assert.equal(formatMegabytes(2_147_483_648), '2.048,0');
    assert.equal(formatMegabytes(null), '—');
  });
});

describe('chaptersByGrant', () => {
  it('maps each floor grant to its recording and offset', () => {
    const list = [
      recording(2, { chapters: [{ grant_id: 7, title: 'UBND xã Hưng Nguyên', offset_ms: 754_000 }] }),
      recording(1, { chapters: [{ grant_id: 3, title: 'Sở TT&TT', offset_ms: 0 }] }),
    ];
    const map = chaptersByGrant(list);
    assert.deepEqual(map.get(7), { recording: 2, offset_ms: 754_000, title: 'UBND xã Hưng Nguyên', ready: true });
    assert.equal(map.get(3)?.recording, 1);
    assert.equal(map.get(99), undefined);
  });

  it('prefers a recording whose session copy is ready, else the newest', () => {
    const chapter = [{ grant_id: 5, title: 'Vinh', offset_ms: 1000 }];
    const pending = recording(3, { archive: { status: 'pending', file: null, error: null }, chapters: chapter });
    const ready = recording(2, { chapters: [{ grant_id: 5, title: 'Vinh', offset_ms: 9000 }] });
    assert.equal(chaptersByGrant([pending, ready]).get(5)?.recording, 2);
    const older = recording(1, { archive: { status: 'failed', file: null, error: 'x' }, chapters: chapter });
    assert.equal(chaptersByGrant([pending, older]).get(5)?.recording, 3);
  });
});

describe('shouldPoll', () => {
  it('asks again only while shown and something is under way', () => {
    const done = recording(1);
    const running = recording(2, { status: 'recording', ended_at: null, archive: { status: 'none', file: null, error: null } });
    const building = recording(3, { archive: { status: 'pending', file: null, error: null } });
    assert.equal(shouldPoll([done], true), false);
    assert.equal(shouldPoll([done, running], true), true);
    assert.equal(shouldPoll([building], true), true);
    assert.equal(shouldPoll([building], false), false, 'not while the section is not shown');
    assert.equal(shouldPoll([], true), false);
  });
});

describe('the list', () => {
  it('drops what is not a recording and fills in what a server leaves out', () => {
    const list = normalizeRecordings({
      recordings: [
        null,
        { id: 'x', started_at: '2026-12-06T01:00:00Z' },
        {
          id: 4,
          started_at: '2026-12-06T01:00:00Z',
          ended_at: null,
          status: 'paused',
          chapters: [{ grant_id: 1, title: 'A', offset_ms: 5 }, { grant_id: 'b', offset_ms: 1 }],
          files: [
            { id: 1, kind: 'point', point: 'A', offset_ms: 10, url: '/f/1', has_video: false, status: 'recovered' },
            { id: 2, kind: 'thumbnail', url: '/f/2' },
            { id: 3, kind: 'screen', point: 'A' },
          ],
        },
      ],
    });
    assert.equal(list.length, 1);
    const [r] = list;
    assert.equal(r.status, 'recording', 'an unknown status of an open recording');
    assert.deepEqual(r.archive, { status: 'none', file: null, error: null });
    assert.equal(r.end_reason, null);
    assert.deepEqual(r.chapters, [{ grant_id: 1, title: 'A', offset_ms: 5 }]);
    assert.deepEqual(r.files.map((f) => [f.id, f.kind, f.status, f.has_video, f.duration_ms, f.bytes]), [[1, 'point', 'recovered', false, null, null]]);
    assert.deepEqual(normalizeRecordings(null), []);
    assert.deepEqual(normalizeRecordings({ recordings: 'none' }), []);
  });

  it('finds the session copy by its file id, only when ready', () => {
    assert.equal(archiveFile(recording(1))?.id, 10);
    assert.equal(archiveFile(recording(1, { archive: { status: 'pending', file: 10, error: null } })), null);
  });

  it('tells a change from new signed addresses alone', () => {
    const a = recording(1);
    const resigned = recording(1, { files: a.files.map((f) => ({ ...f, url: `${f.url}b` })) });
    assert.equal(listSignature([a]), listSignature([resigned]));
    const built = recording(1, { archive: { status: 'failed', file: null, error: 'ffmpeg' } });
    assert.notEqual(listSignature([a]), listSignature([built]));
  });
});
