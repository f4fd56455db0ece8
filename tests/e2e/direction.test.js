// Directing a briefing in real browsers (docs/protocol.md, "Directing the briefing"; docs/http.md,
// "Host API"): in directed mode the SFU forwards only the host's audio and the floor holder's;
// a point raises its hand from its page, the host grants and revokes the floor, opens the
// floor to everyone, reads the attendance, spotlights a point, removes one and locks the
// briefing. Stage and thumbnails get the high and the low simulcast layer.
//
// Whether a point is heard is measured, not read from the UI: inbound audio `packetsReceived`
// per remote point over a fixed window on every page.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  HostApi,
  REPO_ROOT,
  Server,
  allOf,
  audioGrowth,
  audioSent,
  createBriefing,
  parseCsv,
  seconds,
  tokenOf,
  unmappedAudioGrowth,
  videoOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { PointBrowsers } from './lib/pages.js';

const TITLE = 'Giao ban chuyển đổi số tháng 11';
const HOST = 'Sở Thông tin và Truyền thông';
const CUA_LO = 'UBND thị xã Cửa Lò';
const NGHI_LOC = 'UBND huyện Nghi Lộc';
const VINH = 'UBND thành phố Vinh';
/** Invited, never joins. */
const DIEN_CHAU = 'UBND huyện Diễn Châu';
const JOINED = [HOST, CUA_LO, NGHI_LOC, VINH];

/** The header of the attendance CSV, as docs/openapi.json documents it. */
const CSV_HEADER = [
  'Điểm cầu',
  'Vai trò',
  'Số lần vào',
  'Vào lần đầu',
  'Rời lần cuối',
  'Thời gian có mặt (phút)',
  'Điểm danh',
  'Người dự thay',
  'Lý do vắng',
  'RTT trung bình (ms)',
  'Tỷ lệ mất gói (%)',
];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Observation window for "is this point heard here". */
const WINDOW_MS = 2000;
/** Packets in a window that show audio flows: Opus sends 50 a second. */
const HEARD_MIN = 10;
/** Packets in a window still allowed from a point that is not heard (in flight at a switch). */
const SLACK = 2;

/** @param {string} me @returns {string[]} the joined points but `me` */
const othersThan = (me) => JOINED.filter((p) => p !== me);

const startedAt = Date.now();
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let briefing;
/** @type {HostApi} */
let api;
/** @type {PointBrowsers} */
let browsers;
let joined = false;

/** @param {string} point @returns {string} its invitation token */
const tokenOfPoint = (point) => tokenOf(briefing.link(point).url);

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `direction-${name}`, server, clients: () => browsers.all() }, async () => {
    try {
      return await fn();
    } catch (err) {
      const now = await api.call('GET', '/state').then((r) => `${r.status} ${r.text.slice(0, 1500)}`, (e) => `(not readable: ${e.message})`);
      if (err instanceof Error) err.message += `\n  GET /state now: ${now}`;
      throw err;
    }
  });
}

/** @param {any} state @returns {string[]} names of the online points, sorted */
const onlineIn = (state) => state.points.filter((/** @type {any} */ p) => p.online).map((/** @type {any} */ p) => p.name).sort();

/** @param {any} state @param {string} name */
const pointIn = (state, name) => state.points.find((/** @type {any} */ p) => p.name === name);

/**
 * Asserts the shape of a briefing state (docs/protocol.md, "State").
 *
 * @param {any} s
 * @param {string} what
 */
function assertStateShape(s, what) {
  const text = JSON.stringify(s);
  assert.ok(s && typeof s === 'object', `${what}: not an object: ${text}`);
  assert.ok(['directed', 'open', 'presentation'].includes(s.mode), `${what}: mode: ${text}`);
  assert.ok(s.floor === null || (typeof s.floor.point === 'string' && (s.floor.remaining_ms === null || Number.isInteger(s.floor.remaining_ms))), `${what}: floor: ${text}`);
  assert.ok(s.spotlight === null || typeof s.spotlight === 'string', `${what}: spotlight: ${text}`);
  assert.ok(Array.isArray(s.stage) && s.stage.every((/** @type {unknown} */ n) => typeof n === 'string'), `${what}: stage: ${text}`);
  assert.ok(Array.isArray(s.hands) && s.hands.every((/** @type {any} */ h) => typeof h.point === 'string' && RFC3339.test(h.raised_at)), `${what}: hands: ${text}`);
  assert.equal(typeof s.locked, 'boolean', `${what}: locked: ${text}`);
  assert.ok(s.roll_call === null || typeof s.roll_call === 'object', `${what}: roll_call: ${text}`);
  assert.ok(Array.isArray(s.points), `${what}: points: ${text}`);
  for (const p of s.points) {
    assert.ok(typeof p.name === 'string' && ['host', 'point'].includes(p.role) && typeof p.online === 'boolean' && typeof p.may_speak === 'boolean',
      `${what}: points[] must be {name, role, online, may_speak}: ${JSON.stringify(p)}`);
  }
}

/**
 * Asserts an HTTP error answer: the status, the `{"error": {"code", "message"}}` body and,
 * when given, the code.
 *
 * @param {import('./lib/harness.js').Answer} res
 * @param {number} status
 * @param {string | RegExp | null} code
 * @param {string} what
 */
function assertApiError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(typeof res.body?.error?.code, 'string', `${what}: error body should be {"error": {"code", "message"}}, got ${res.text.slice(0, 300)}`);
  assert.equal(typeof res.body?.error?.message, 'string', `${what}: error body should carry a message, got ${res.text.slice(0, 300)}`);
  if (typeof code === 'string') assert.equal(res.body.error.code, code, `${what}: error code (body ${res.text.slice(0, 300)})`);
  else if (code) assert.match(res.body.error.code, code, `${what}: error code (body ${res.text.slice(0, 300)})`);
}

// ---------------------------------------------------------------------------------------------
// Who hears whom

/**
 * Samples the pages, waits the window, samples again.
 *
 * @param {string[]} pages
 * @returns {Promise<Map<string, { before: any, after: any }>>}
 */
async function observeAudio(pages) {
  const first = await allOf(pages.map((p) => browsers.of(p).sample()));
  await sleep(WINDOW_MS);
  const second = await allOf(pages.map((p) => browsers.of(p).sample()));
  return new Map(pages.map((p, i) => [p, { before: first[i], after: second[i] }]));
}

/**
 * @typedef {{ heard?: string[], silent?: string[], sends?: boolean }} AudioExpectation
 *   at one page: the points it must hear, the points it must not, and whether its own
 *   microphone must be sending (so that silence elsewhere is the server's doing)
 */

/**
 * @param {Map<string, { before: any, after: any }>} observed
 * @param {Record<string, AudioExpectation>} expected
 * @returns {string[]} one line per unmet expectation
 */
function audioProblems(observed, expected) {
  const problems = [];
  for (const [page, want] of Object.entries(expected)) {
    const o = /** @type {{ before: any, after: any }} */ (observed.get(page));
    if (!o.after.hasPc) {
      problems.push(`${page}: window.giaoban.pc is not set`);
      continue;
    }
    for (const point of want.heard ?? []) {
      const n = audioGrowth(o.before, o.after, point);
      if (n < HEARD_MIN) problems.push(`${page} should hear ${point}: +${n} audio packets in ${WINDOW_MS} ms (want ≥ ${HEARD_MIN})`);
    }
    for (const point of want.silent ?? []) {
      const n = audioGrowth(o.before, o.after, point);
      if (n > SLACK) problems.push(`${page} should not hear ${point}: +${n} audio packets in ${WINDOW_MS} ms (allowed ≤ ${SLACK})`);
    }
    if ((want.silent ?? []).length > 0) {
      const n = unmappedAudioGrowth(o.before, o.after);
      if (n > SLACK) {
        problems.push(`${page}: +${n} audio packets on inbound streams not mapped to a point through window.giaoban.tracks, so who is heard cannot be told (${JSON.stringify(o.after.unmapped)})`);
      }
    }
    if (want.sends) {
      const n = audioSent(o.before, o.after);
      if (n < HEARD_MIN) problems.push(`${page} should send audio from its microphone (+${n} packets sent in ${WINDOW_MS} ms); otherwise silence at the others proves nothing about the server`);
    }
  }
  return problems;
}

/**
 * Waits until every page hears whom it should and nobody else, over one window; then checks a
 * second window, so that a lucky moment does not pass for the steady state.
 *
 * @param {Record<string, AudioExpectation>} expected
 * @param {{ what: string, timeout?: number }} opts
 */
async function expectAudio(expected, { what, timeout = seconds(20) }) {
  const pages = Object.keys(expected);
  /** @type {string[]} */
  let problems = ['no window observed'];
  await waitFor(async () => {
    problems = audioProblems(await observeAudio(pages), expected);
    return problems.length === 0;
  }, { timeout, interval: 0, message: () => `${what}:\n  - ${problems.join('\n  - ')}` });
  const again = audioProblems(await observeAudio(pages), expected);
  assert.deepEqual(again, [], `${what}: held for one window, not for the next:\n  - ${again.join('\n  - ')}`);
}

/**
 * Directed mode: every page hears the host and the floor holder (but not itself), nobody else.
 *
 * @param {string | null} holder
 * @param {string[]} [pages] the open pages
 * @returns {Record<string, AudioExpectation>}
 */
function directed(holder, pages = JOINED) {
  const speakers = holder ? [HOST, holder] : [HOST];
  return Object.fromEntries(pages.map((page) => [page, {
    heard: speakers.filter((p) => p !== page && pages.includes(p)),
    silent: pages.filter((p) => p !== page && !speakers.includes(p)),
    sends: page !== HOST,
  }]));
}

/** Open mode: every page hears every other. @returns {Record<string, AudioExpectation>} */
function openMode() {
  return Object.fromEntries(JOINED.map((page) => [page, { heard: othersThan(page) }]));
}

// ---------------------------------------------------------------------------------------------
// The page

/**
 * Waits until `point`'s video is (or is no longer) inside `[data-role=stage]` on each page.
 *
 * @param {string[]} pages
 * @param {string} point
 * @param {boolean} present
 * @param {string} why
 */
async function waitStage(pages, point, present, why) {
  await allOf(pages.map((page) => waitFor(async () => ((await browsers.of(page).videoCount(point, '[data-role=stage]')) > 0) === present, {
    timeout: seconds(10),
    message: `${page}: ${videoOf(point)} ${present ? 'inside' : 'gone from'} [data-role=stage] ${why}`,
  })));
}

/**
 * Raises the hand from the page: types the topic if the page has a topic field, clicks the
 * button.
 *
 * @param {string} point
 * @param {string} topic
 * @returns {Promise<string | null>} the topic typed, or null if the page has no topic field
 */
async function raiseHandOnPage(point, topic) {
  const page = browsers.of(point).page;
  const field = page.locator('[data-role=hand-topic]').first();
  let typed = null;
  if ((await field.count()) > 0 && (await field.isVisible())) {
    await field.fill(topic, { timeout: seconds(5) });
    typed = topic;
  }
  try {
    await page.click('[data-action=raise-hand]', { timeout: seconds(10) });
  } catch (err) {
    throw new Error(`${point}: could not click [data-action=raise-hand]: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
  }
  return typed;
}

/**
 * Waits for a non-empty `[data-role=error]` on the page.
 *
 * @param {import('./lib/harness.js').Client} client
 * @param {string} what
 * @returns {Promise<string[]>} the error texts
 */
async function waitPageError(client, what) {
  return waitFor(async () => {
    const errors = await client.errors();
    return errors.length > 0 ? errors : null;
  }, { timeout: seconds(15), message: () => `${client.label}: a non-empty [data-role=error] ${what}; signalling: ${JSON.stringify(client.signals.slice(-10))}` });
}

/**
 * Waits until the page completed the handshake and its media connection is up.
 *
 * @param {import('./lib/harness.js').Client} client
 * @param {string} what
 */
async function waitConnected(client, what) {
  /** @type {string} */
  let state = '';
  await waitFor(async () => client.received('welcome') && (state = await client.connectionState()) === 'connected', {
    timeout: seconds(30),
    message: () => `${client.label}: welcome and window.giaoban.state "connected" ${what} (state ${JSON.stringify(state)}; signalling ${JSON.stringify(client.signals.slice(-10))})`,
  });
}

// ---------------------------------------------------------------------------------------------

describe('directing a briefing: floor, hands, modes, attendance, simulcast, removal and lock', { timeout: seconds(720) }, () => {
  before(async () => {
    server = await Server.start({ name: 'direction' });
    briefing = await createBriefing({
      dataDir: server.dataDir,
      title: TITLE,
      host: HOST,
      points: [CUA_LO, NGHI_LOC, VINH, DIEN_CHAU],
      baseUrl: server.baseUrl,
    });
    // The points' pages disobey the server's `publish` and keep sending their microphone: who
    // is heard must be decided by the server, not by the clients' good behaviour.
    browsers = new PointBrowsers(briefing, { alwaysSendAudio: true });
    api = new HostApi(server, briefing);
  });

  after(async () => {
    await browsers?.closeAll();
    await server?.dispose();
    console.log(`direction.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  it('GET /api/openapi.json serves docs/openapi.json', async () => {
    const res = await server.get('/api/openapi.json');
    assert.equal(res.status, 200, `GET /api/openapi.json: ${res.status} ${res.text.slice(0, 200)}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/, 'content type of /api/openapi.json');
    const file = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8'));
    assert.deepEqual(res.body, file, 'GET /api/openapi.json is docs/openapi.json');
  });

  it('four points join a briefing in directed mode: nobody holds the floor, the host is heard', async () => {
    await diagnosed('join', async () => {
      await allOf(JOINED.map((point) => browsers.openAndJoin(point)));

      const state = await api.waitState((s) => JSON.stringify(onlineIn(s)) === JSON.stringify([...JOINED].sort()), {
        timeout: seconds(20),
        message: `GET /state lists exactly ${JOINED.join(', ')} online`,
      });
      assertStateShape(state, 'GET /state');
      assert.equal(state.mode, 'directed', 'the default floor mode');
      assert.equal(state.floor, null, 'nobody holds the floor yet');
      assert.equal(state.spotlight, null, 'nobody is spotlit yet');
      assert.deepEqual(state.stage, [HOST], 'the stage shows the host alone');
      assert.deepEqual(state.hands, [], 'no hands raised yet');
      assert.equal(state.locked, false, 'a new briefing is not locked');
      assert.deepEqual(state.points.map((/** @type {any} */ p) => p.name).sort(), [...JOINED, DIEN_CHAU].sort(), 'state.points lists every invited point');
      assert.equal(pointIn(state, HOST).role, 'host');
      assert.equal(pointIn(state, DIEN_CHAU).online, false, `${DIEN_CHAU} never joined`);
      for (const p of state.points) {
        assert.equal(p.may_speak, p.name === HOST, `${p.name}: may_speak in directed mode without a floor holder`);
      }

      // Everyone is seen; only the host is heard.
      await allOf(JOINED.map((p) => browsers.of(p).waitForMediaFrom(othersThan(p), { timeout: seconds(60), audio: p === HOST ? [] : [HOST] })));
    });
    joined = true;
  });

  it('in directed mode without a floor the SFU forwards the host\'s audio only', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('directed', async () => {
      await expectAudio(directed(null), { what: 'directed mode, nobody holding the floor' });
    });
  });

  it('a hand raised from the page is queued once and keeps its place when raised again', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('hands', async () => {
      const typed = await raiseHandOnPage(NGHI_LOC, 'Hạ tầng mạng cấp xã');
      let state = await api.waitState((s) => s.hands.some((/** @type {any} */ h) => h.point === NGHI_LOC), {
        timeout: seconds(10),
        message: `${NGHI_LOC}'s hand in GET /state after it clicked [data-action=raise-hand]`,
      });
      if (typed !== null) assert.equal(state.hands[0].topic, typed, 'the topic typed on the page, diacritics intact');

      await raiseHandOnPage(VINH, 'Kinh phí CNTT');
      await api.waitState((s) => s.hands.some((/** @type {any} */ h) => h.point === VINH), {
        timeout: seconds(10),
        message: `${VINH}'s hand in GET /state after it clicked [data-action=raise-hand]`,
      });

      // Again from the first page; through its signalling connection, since the button now
      // lowers the hand.
      const again = 'Hạ tầng mạng cấp xã (bổ sung)';
      await browsers.of(NGHI_LOC).page.evaluate((topic) => {
        /** @type {any} */ (window).giaoban.ws.send(JSON.stringify({ type: 'raise_hand', topic }));
      }, again);
      state = await api.waitState((s) => s.hands.find((/** @type {any} */ h) => h.point === NGHI_LOC)?.topic === again, {
        timeout: seconds(10),
        message: `the second raise_hand of ${NGHI_LOC} updates its topic to ${JSON.stringify(again)}`,
      });
      assert.deepEqual(state.hands.map((/** @type {any} */ h) => h.point), [NGHI_LOC, VINH], 'one entry per point; raising again keeps the first place');
      const refused = browsers.of(NGHI_LOC).signals.filter((s) => s.dir === 'in' && s.type === 'error');
      assert.deepEqual(refused, [], `${NGHI_LOC}: signalling errors after raising the hand twice`);
    });
  });

  it('the floor granted through the API makes the point heard and puts it on every stage', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('grant', async () => {
      const watch = await browsers.of(CUA_LO).watchAudioFrom(NGHI_LOC, { timeout: seconds(20) });
      const sent = Date.now();
      const res = await api.call('POST', '/floor', { point: NGHI_LOC, seconds: 120 });
      const answered = Date.now();
      assert.equal(res.status, 200, `POST /floor: ${res.status} ${res.text.slice(0, 300)}`);
      assertStateShape(res.body, 'the answer to POST /floor');
      assert.equal(res.body.floor?.point, NGHI_LOC, 'the answer to POST /floor names the holder');
      const remaining = res.body.floor.remaining_ms;
      assert.ok(Number.isInteger(remaining) && remaining > 100_000 && remaining <= 120_000, `floor.remaining_ms right after a 120 s grant: ${remaining}`);

      const arrived = await watch.arrived();
      assert.ok(arrived.at !== null, `${CUA_LO}: no audio from ${NGHI_LOC} within ${seconds(20) / 1000} s of the grant (baseline ${watch.baseline} packets)`);
      console.log(`floor grant → audio at others: ${arrived.at - sent} ms (the API answered in ${answered - sent} ms)`);

      await waitStage([HOST, CUA_LO, VINH], NGHI_LOC, true, 'once it holds the floor');
      const seen = await browsers.of(CUA_LO).briefingState();
      assert.equal(seen?.floor?.point, NGHI_LOC, `${CUA_LO}: window.giaoban.briefingState.floor after the grant: ${JSON.stringify(seen)}`);

      const state = await api.state();
      assert.deepEqual(state.hands.map((/** @type {any} */ h) => h.point), [VINH], 'the grant lowers the holder\'s hand only');
      assert.deepEqual(state.stage, [HOST, NGHI_LOC], 'stage: the host, then the floor holder');
      assert.equal(pointIn(state, NGHI_LOC).may_speak, true, `${NGHI_LOC} may speak`);
      assert.equal(pointIn(state, VINH).may_speak, false, `${VINH} may not speak`);

      await expectAudio(directed(NGHI_LOC), { what: `directed mode, ${NGHI_LOC} holding the floor` });

      const lowered = await api.ok('POST', '/hands/lower', { point: VINH });
      assert.deepEqual(lowered.hands, [], 'the host lowered the last hand');
    });
  });

  it('revoking the floor silences the point again and takes it off the stage', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('revoke', async () => {
      const state = await api.ok('DELETE', '/floor');
      assert.equal(state.floor, null, 'DELETE /floor: nobody holds the floor');
      assert.deepEqual(state.stage, [HOST], 'the stage shows the host alone again');
      assert.equal(pointIn(state, NGHI_LOC).may_speak, false, `${NGHI_LOC} may no longer speak`);

      await expectAudio(directed(null), { what: 'directed mode after the floor was revoked' });
      await waitStage([HOST, CUA_LO, VINH], NGHI_LOC, false, 'once the floor was revoked');
    });
  });

  it('in open mode every point is heard', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('open', async () => {
      const state = await api.setMode('open');
      assert.equal(state.mode, 'open', 'POST /mode answers the new state');
      for (const point of JOINED) assert.equal(pointIn(state, point).may_speak, true, `${point} may speak in open mode`);

      await expectAudio(openMode(), { what: 'open mode' });
    });
  });

  it('attendance: CSV for a spreadsheet and JSON, one session per joined point', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('attendance', async () => {
      const csv = await api.call('GET', '/attendance?format=csv');
      assert.equal(csv.status, 200, `GET /attendance?format=csv: ${csv.status} ${csv.text.slice(0, 300)}`);
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv\s*;\s*charset=utf-8$/i, 'content type of the CSV');
      assert.match(csv.headers.get('content-disposition') ?? '', /^attachment\b/i, 'the CSV comes as an attachment');
      assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with the UTF-8 byte order mark (for Excel)');

      const records = parseCsv(csv.text);
      assert.deepEqual(records[0], CSV_HEADER, `the CSV header line (got ${JSON.stringify(csv.text.split(/\r?\n/)[0])})`);
      const firstJoined = CSV_HEADER.indexOf('Vào lần đầu');
      for (const point of JOINED) {
        assert.ok(csv.text.includes(point), `the CSV names ${point}, diacritics intact`);
        const rows = records.slice(1).filter((r) => r[0] === point);
        assert.equal(rows.length, 1, `one CSV row for ${point}; rows: ${JSON.stringify(records.slice(1))}`);
        assert.equal(rows[0].length, CSV_HEADER.length, `the CSV row of ${point} has every column: ${JSON.stringify(rows[0])}`);
        assert.match(rows[0][firstJoined], RFC3339, `the CSV row of ${point}: first join time: ${JSON.stringify(rows[0])}`);
      }

      const rows = await api.ok('GET', '/attendance');
      assert.ok(Array.isArray(rows), `GET /attendance answers an array: ${JSON.stringify(rows).slice(0, 300)}`);
      const present = rows.filter((/** @type {any} */ r) => Array.isArray(r.sessions) && r.sessions.length >= 1);
      assert.deepEqual(present.map((/** @type {any} */ r) => r.point).sort(), [...JOINED].sort(), 'the points with at least one session');
      for (const row of present) {
        assert.match(row.first_joined_at, RFC3339, `${row.point}: first_joined_at`);
        assert.match(row.sessions[0].joined_at, RFC3339, `${row.point}: sessions[0].joined_at`);
        assert.equal(row.sessions.at(-1).left_at, null, `${row.point} is online: its last session has not ended`);
        assert.ok(Number.isInteger(row.present_seconds) && row.present_seconds >= 0, `${row.point}: present_seconds ${row.present_seconds}`);
      }
      const absent = rows.find((/** @type {any} */ r) => r.point === DIEN_CHAU);
      if (absent) {
        assert.deepEqual(absent.sessions, [], `${DIEN_CHAU} never joined`);
        assert.equal(absent.first_joined_at, null, `${DIEN_CHAU} never joined`);
      }
    });
  });

  it('roll-call: points answer from their page, the host is not asked, a connected point that did not answer is not absent', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('roll-call', async () => {
      const host = browsers.of(HOST).page;
      await host.locator('[data-action=roll-call-start]').click();
      await api.waitState((s) => s.roll_call?.active === true, { timeout: seconds(10), message: 'a roll-call in progress after the host clicked "Bắt đầu điểm danh"' });

      // Cửa Lò answers from its page; the host's page asks nothing of the host.
      const prompt = browsers.of(CUA_LO).page.locator('[data-role=roll-call]');
      await prompt.waitFor({ state: 'visible', timeout: seconds(10) });
      await browsers.of(CUA_LO).page.locator('[data-action=roll-call-present]').click();
      assert.equal(await host.locator('[data-role=roll-call]').isVisible(), false, 'the host is not asked to answer the roll-call');
      const rows = host.locator('[data-role=roll-call-table] tbody tr');
      /** @type {(string | undefined)[]} */
      let listed = [];
      await waitFor(async () => {
        listed = await rows.evaluateAll((trs) => trs.map((tr) => /** @type {HTMLElement} */ (tr).dataset.point));
        return JSON.stringify(listed) === JSON.stringify([CUA_LO, NGHI_LOC, VINH, DIEN_CHAU]);
      }, { message: () => `the host's roll-call table lists the bridge points, not the host: ${JSON.stringify(listed)}` });

      // The host records Vinh's substitute in its table; Nghi Lộc, connected, does not answer.
      const vinh = host.locator(`[data-role=roll-call-table] tr[data-point="${VINH}"]`);
      await vinh.locator('[data-role=rc-substitute]').fill('Phó Chủ tịch Trần Văn Bình');
      await vinh.locator('[data-action=rc-substitute]').click();
      await api.waitState((s) => s.roll_call?.answers.length === 2, { timeout: seconds(10), message: `answers of ${CUA_LO} and ${VINH}` });
      await host.locator('[data-action=roll-call-end]').click();
      const state = await api.waitState((s) => s.roll_call?.active === false, { timeout: seconds(10), message: 'the roll-call ended' });
      assert.deepEqual(state.roll_call.answers, [
        { point: CUA_LO, status: 'present' },
        { point: NGHI_LOC, status: 'no_answer' },
        { point: VINH, status: 'substitute', substitute: 'Phó Chủ tịch Trần Văn Bình' },
        { point: DIEN_CHAU, status: 'absent' },
      ]);
      const status = (/** @type {string} */ point) => host.locator(`[data-role=roll-call-table] tr[data-point="${point}"] [data-role=rc-status]`);
      await host.waitForFunction(() => document.querySelector('[data-role=roll-call-table]')?.getAttribute('data-active') === 'false');
      assert.equal(await status(NGHI_LOC).textContent(), 'Có kết nối, không trả lời');
      assert.equal(await status(DIEN_CHAU).textContent(), 'Vắng mặt');
      assert.match(await host.locator('[data-role=roll-call-summary]').textContent() ?? '',
        /1 có mặt, 1 dự thay, 1 có kết nối nhưng không trả lời, 1 vắng mặt \(tổng 4 điểm cầu/);

      const attendance = await api.ok('GET', '/attendance');
      assert.deepEqual(attendance.map((/** @type {any} */ r) => [r.point, r.attendance.status]), [
        [HOST, 'host'],
        [CUA_LO, 'present'],
        [NGHI_LOC, 'no_answer'],
        [VINH, 'substitute'],
        [DIEN_CHAU, 'absent'],
      ], 'attendance: the connections confirmed by the roll-call');
    });
  });

  it('the host API refuses other tokens and bad input; concurrent grants leave one holder', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('api', async () => {
      const before = await api.setMode('directed');
      assert.equal(before.floor, null, 'nobody holds the floor before these checks');

      // Who may direct.
      const other = await createBriefing({
        dataDir: server.dataDir,
        title: 'Giao ban cải cách hành chính quý IV',
        host: 'Sở Nội vụ',
        points: ['UBND huyện Quỳnh Lưu'],
        baseUrl: server.baseUrl,
      });
      const otherApi = new HostApi(server, other);
      const presentation = { mode: 'presentation' };
      assertApiError(await api.call('POST', '/mode', presentation, { token: tokenOfPoint(CUA_LO) }), 403, null, "POST /mode with a point's token");
      assertApiError(await api.call('POST', '/floor', { point: CUA_LO }, { token: tokenOfPoint(CUA_LO) }), 403, null, "POST /floor with a point's token (granting itself the floor)");
      assertApiError(await api.call('POST', '/mode', presentation, { token: null }), 401, null, 'POST /mode without a token');
      assertApiError(await api.call('POST', '/mode', presentation, { token: otherApi.token }), 403, null, "POST /mode with another briefing's host token");
      assertApiError(await otherApi.call('POST', '/mode', presentation, { token: api.token }), 403, null, "POST /mode of another briefing with this host's token");
      const readable = await api.call('GET', '/state', undefined, { token: tokenOfPoint(VINH) });
      assert.equal(readable.status, 200, `any invited point may read GET /state: ${readable.status} ${readable.text.slice(0, 300)}`);
      assert.equal(readable.body.mode, 'directed', 'refused calls left the mode as it was');

      // What may be granted.
      assertApiError(await api.call('POST', '/floor', { point: 'UBND huyện Kỳ Sơn', seconds: 60 }), 404, 'unknown_point', 'POST /floor to a point not invited');
      assertApiError(await api.call('POST', '/floor', { point: DIEN_CHAU, seconds: 60 }), 409, 'not_connected', 'POST /floor to a point invited but not connected');
      const nghiLoc = JSON.stringify(NGHI_LOC);
      for (const [what, body] of [
        ['seconds 0', `{"point": ${nghiLoc}, "seconds": 0}`],
        ['seconds -5', `{"point": ${nghiLoc}, "seconds": -5}`],
        ['seconds 1e9', `{"point": ${nghiLoc}, "seconds": 1e9}`],
        ['seconds 1000000000', `{"point": ${nghiLoc}, "seconds": 1000000000}`],
        ['seconds "abc"', `{"point": ${nghiLoc}, "seconds": "abc"}`],
      ]) {
        // A value of the wrong type does not parse (bad_body); a number out of range is invalid.
        assertApiError(await api.call('POST', '/floor', body), 422, /^(invalid|bad_body)/, `POST /floor with ${what}`);
      }
      assertApiError(await api.call('POST', '/mode', { mode: 'party' }), 422, 'bad_body', 'POST /mode {"mode": "party"}');
      const unchanged = await api.state();
      assert.equal(unchanged.mode, 'directed', 'refused calls left the mode as it was');
      assert.equal(unchanged.floor, null, 'refused calls granted no floor');

      // Two grants at once: both succeed (one after the other) or one is refused cleanly.
      const grants = await Promise.all([CUA_LO, VINH].map((point) => api.call('POST', '/floor', { point, seconds: 60 })));
      grants.forEach((res, i) => {
        const point = [CUA_LO, VINH][i];
        if (res.status !== 200) assertApiError(res, res.status, null, `concurrent POST /floor to ${point}`);
        assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `concurrent POST /floor to ${point}: ${res.status} ${res.text.slice(0, 300)}`);
      });
      assert.ok(grants.some((r) => r.status === 200), `at least one of two concurrent grants succeeds: ${grants.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join(' | ')}`);
      const after = await api.state();
      assert.ok([CUA_LO, VINH].includes(after.floor?.point), `after concurrent grants the floor is with one of them: ${JSON.stringify(after.floor)}`);
      const speakers = after.points.filter((/** @type {any} */ p) => p.role === 'point' && p.may_speak).map((/** @type {any} */ p) => p.name);
      assert.deepEqual(speakers, [after.floor.point], 'exactly one bridge point may speak: the floor holder');
      assert.deepEqual(after.stage, [HOST, after.floor.point], 'the stage shows the one holder');

      const revoked = await api.ok('DELETE', '/floor');
      assert.equal(revoked.floor, null, 'the floor revoked after the concurrency check');
    });
  });

  it('simulcast: the stage gets the high layer, a thumbnail the low one and its publisher stops the high one; a spotlit thumbnail moves up', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('simulcast', async () => {
      // Three Chromiums encode; the fourth point leaves (and is the point that tries to come
      // back into a locked briefing below).
      await browsers.close(NGHI_LOC);
      const state = await api.waitState((s) => pointIn(s, NGHI_LOC)?.online === false, {
        timeout: seconds(10),
        message: `${NGHI_LOC} offline after it closed its browser`,
      });
      assert.deepEqual(state.stage, [HOST], 'the stage shows the host alone');

      const viewer = browsers.of(VINH);
      await waitFor(async () => (await viewer.videoCount(HOST, '[data-role=stage]')) > 0 && (await viewer.videoCount(CUA_LO, '[data-role=grid]')) > 0, {
        timeout: seconds(10),
        message: `${VINH}: ${videoOf(HOST)} in [data-role=stage] and ${videoOf(CUA_LO)} in [data-role=grid]`,
      });

      /** @type {Record<string, any>} the last samples of the viewer and the two publishers */
      const last = {};
      /** @param {string} point @returns {number} frameWidth of `point`'s video at the viewer */
      const widthAt = (point) => last[VINH]?.points[point]?.video?.frameWidth ?? 0;
      /** @param {string} point @returns {number} frameWidth of the `h` layer `point` sends */
      const highSent = (point) => Math.max(0, ...(last[point]?.outbound?.video ?? [])
        .filter((/** @type {any} */ l) => l.rid === 'h').map((/** @type {any} */ l) => l.frameWidth));
      /** @param {string} point */
      const sending = (point) => {
        const kbps = last[point]?.transport?.availableOutgoingBitrate;
        return `${point} sends ${JSON.stringify(last[point]?.outbound?.video)}, send-side estimate ${kbps == null ? '?' : Math.round(kbps / 1000)} kbit/s`;
      };
      /**
       * Polls the viewer and the publishers until `ok`. The SFU can forward `h` only while the
       * publisher sends it, and Chrome sends it only once its bandwidth estimate allows.
       *
       * @param {() => boolean} ok
       * @param {string} what
       */
      const waitLayers = (ok, what) => waitFor(async () => {
        const samples = await allOf([VINH, HOST, CUA_LO].map((p) => browsers.of(p).sample()));
        [VINH, HOST, CUA_LO].forEach((p, i) => { last[p] = samples[i]; });
        return ok();
      }, {
        timeout: seconds(20),
        interval: 500,
        message: () => `${VINH}: ${what}; inbound frameWidth at ${VINH}: ${HOST} ${widthAt(HOST)}, ${CUA_LO} ${widthAt(CUA_LO)}` +
          `\n  ${sending(HOST)}\n  ${sending(CUA_LO)}`,
      });

      /** @param {string} point @returns {boolean | null} whether `point`'s `h` encoding is on */
      const highActive = (point) => (last[point]?.outbound?.video ?? []).find((/** @type {any} */ l) => l.rid === 'h')?.active ?? null;
      await waitLayers(() => widthAt(HOST) >= 600 && widthAt(CUA_LO) > 0 && widthAt(CUA_LO) <= 400 && highActive(CUA_LO) === false,
        `the host (stage) at ≥ 600 px wide, and ${CUA_LO} (a thumbnail everywhere) at ≤ 400 px, its h layer off (nobody receives it)`);
      console.log(`frameWidth at ${VINH}: stage ${widthAt(HOST)}, thumbnail ${widthAt(CUA_LO)} (${CUA_LO} h layer active: ${highActive(CUA_LO)})`);

      const s0 = await viewer.sample();
      await sleep(3000);
      const s1 = await viewer.sample();
      const kbps = (/** @type {string} */ p) => {
        const v0 = s0.points[p]?.video;
        const v1 = s1.points[p]?.video;
        return v0 && v1 && v0.mid === v1.mid ? Math.round(((v1.bytesReceived - v0.bytesReceived) * 8) / 3 / 1000) : NaN;
      };
      console.log(`stage kbit/s vs thumbnail kbit/s at ${VINH}: ${kbps(HOST)} vs ${kbps(CUA_LO)} ` +
        `(frameWidth ${s1.points[HOST]?.video?.frameWidth} vs ${s1.points[CUA_LO]?.video?.frameWidth})`);

      const spotlit = await api.ok('POST', '/spotlight', { point: CUA_LO });
      assert.equal(spotlit.spotlight, CUA_LO, 'POST /spotlight answers the new state');
      assert.deepEqual(spotlit.stage, [HOST, CUA_LO], 'stage: the host, then the spotlit point');
      await waitStage([VINH], CUA_LO, true, 'once it is spotlit');
      await waitLayers(() => widthAt(CUA_LO) >= 600 && highSent(CUA_LO) >= 600, `${CUA_LO}, spotlit, sends h again and arrives at ≥ 600 px wide`);
      console.log(`spotlit ${CUA_LO} at ${VINH}: frameWidth ${widthAt(CUA_LO)}`);

      const cleared = await api.ok('POST', '/spotlight', { point: null });
      assert.equal(cleared.spotlight, null, 'the spotlight cleared');
      assert.deepEqual(cleared.stage, [HOST], 'the stage shows the host alone again');
    });
  });

  it('a removed point is disconnected and refused; a locked briefing refuses newcomers, not points that were in, nor the host', async () => {
    assert.ok(joined, 'not run: the points never all joined (see the first test)');
    await diagnosed('remove-lock', async () => {
      // Remove.
      const removed = await api.ok('POST', '/remove', { point: VINH });
      assert.equal(pointIn(removed, VINH)?.online ?? false, false, `${VINH} offline once removed`);
      const gone = browsers.of(VINH);
      await waitPageError(gone, 'once the host removed this point');
      assert.ok(gone.received('error', 'removed'), `${VINH}: an error message with code "removed"; signalling: ${JSON.stringify(gone.signals.slice(-10))}`);
      assertApiError(await server.get('/api/session', { token: tokenOfPoint(VINH) }), 401, null, 'GET /api/session with the link of a removed point');
      await waitFor(async () => (await browsers.of(HOST).videoCount(VINH)) === 0, {
        timeout: seconds(10),
        message: `${HOST}: ${videoOf(VINH)} gone once ${VINH} was removed`,
      });
      await browsers.close(VINH);

      // Lock: a point that never joined is refused...
      const locked = await api.ok('POST', '/lock', { locked: true });
      assert.equal(locked.locked, true, 'POST /lock {"locked": true}');
      const refused = await browsers.openAndJoin(DIEN_CHAU);
      await waitPageError(refused, 'joining a locked briefing');
      assert.ok(refused.received('error', 'locked'), `${DIEN_CHAU}: an error message with code "locked"; signalling: ${JSON.stringify(refused.signals.slice(-10))}`);
      assert.ok(!refused.received('welcome'), `${DIEN_CHAU}: no welcome while the briefing is locked`);
      let state = await api.state();
      assert.equal(pointIn(state, DIEN_CHAU).online, false, `${DIEN_CHAU} stays offline while the briefing is locked`);
      assert.equal(pointIn(state, CUA_LO).online, true, `${CUA_LO}, online when the briefing was locked, stays`);
      await browsers.close(DIEN_CHAU);

      // ...but a point that was in comes back after its connection dropped.
      const returning = await browsers.openAndJoin(NGHI_LOC);
      await waitConnected(returning, 'coming back to the locked briefing it had joined before');
      await api.waitState((s) => pointIn(s, NGHI_LOC)?.online === true, { timeout: seconds(10), message: `${NGHI_LOC} back in the locked briefing` });
      await browsers.close(NGHI_LOC);

      // The host always gets in.
      await browsers.close(HOST);
      await api.waitState((s) => pointIn(s, HOST)?.online === false, { timeout: seconds(10), message: `${HOST} offline after it closed its browser` });
      const host = await browsers.openAndJoin(HOST);
      await waitConnected(host, 'joining the locked briefing as its host');
      await host.waitForMediaFrom([CUA_LO], { timeout: seconds(30), audio: [] });
      state = await api.waitState((s) => pointIn(s, HOST)?.online === true, { timeout: seconds(10), message: `${HOST} online again in the locked briefing` });
      assert.equal(state.locked, true, 'still locked');

      // Unlocked, the newcomer gets in.
      const unlocked = await api.ok('POST', '/lock', { locked: false });
      assert.equal(unlocked.locked, false, 'POST /lock {"locked": false}');
      const newcomer = await browsers.openAndJoin(DIEN_CHAU);
      await waitConnected(newcomer, 'joining once the briefing is unlocked');
      await api.waitState((s) => pointIn(s, DIEN_CHAU)?.online === true, { timeout: seconds(10), message: `${DIEN_CHAU} online once the briefing is unlocked` });
    });
  });
});
