// Recording a briefing in real browsers (docs/http.md, "Recordings"): the host starts and stops
// recording through the API, every page shows that it runs, the floor moves once meanwhile; the
// per-point files and the archive copy are then read back with ffprobe and decoded with ffmpeg.
// A point then presents its (fake) screen while recording: the screen has a file of its own at
// the screen's size, and the stage's file switches to it and back.
// A second run kills the server with SIGKILL mid-recording: the files on disk already play to
// within 2 s of the kill, and after a restart the recording is listed as interrupted and its
// files download for the host and for nobody of another briefing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import {
  HostApi,
  Server,
  createBriefing,
  forgeToken,
  seconds,
  tokenOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { PointBrowsers } from './lib/pages.js';

const run = promisify(execFile);

const TITLE = 'Giao ban chuyển đổi số tháng 12';
const HOST = 'Sở Khoa học và Công nghệ';
const HUNG_NGUYEN = 'UBND xã Hưng Nguyên';
const NAM_DAN = 'UBND xã Nam Đàn';
const POINTS = [HUNG_NGUYEN, NAM_DAN];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'giaoban-e2e-recording-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * ffprobe's JSON of a file: streams, format, chapters.
 *
 * @param {string} file
 * @returns {Promise<any>}
 */
async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-show_chapters', '-of', 'json', file]);
  return JSON.parse(stdout);
}

/**
 * Decodes the whole file; returns what ffmpeg said at level error (nothing when it decodes).
 * Frames keep the file's own time base (`-enc_time_base -1`): by default ffmpeg retimes them to
 * a frame rate it guesses, and then complains of its own rounding when the stage switches
 * between a 15 and a 30 frames-a-second layer.
 *
 * @param {string} file
 * @returns {Promise<string>}
 */
async function decodeErrors(file) {
  const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-enc_time_base', '-1', '-f', 'null', '-']);
  return stderr.trim();
}

/**
 * The time of the last packet of a file's streams, in seconds.
 *
 * @param {string} file
 * @returns {Promise<number>}
 */
async function lastPacketSeconds(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { maxBuffer: 64 * 1024 * 1024 });
  const times = stdout.split('\n').map(Number).filter((t) => Number.isFinite(t));
  return Math.max(...times);
}

/**
 * Downloads a file of the list into the scratch directory.
 *
 * @param {Server} server
 * @param {any} file an entry of `files`
 * @param {string} name
 * @returns {Promise<string>} its path
 */
async function download(server, file, name) {
  const res = await server.request('GET', file.url);
  assert.equal(res.status, 200, `GET ${file.url}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.equal(res.headers.get('content-type'), 'video/webm');
  const out = path.join(scratch, name);
  writeFileSync(out, res.bytes);
  return out;
}

/** @param {HostApi} api @returns {Promise<any[]>} the briefing's recordings */
async function listed(api) {
  return (await api.ok('GET', '/recordings')).recordings;
}

describe('recording a briefing', { timeout: seconds(300) }, () => {
  /** @type {Server} */
  let server;
  /** @type {import('./lib/harness.js').Briefing} */
  let briefing;
  /** @type {import('./lib/harness.js').Briefing} */
  let other;
  /** @type {HostApi} */
  let api;
  /** @type {PointBrowsers} */
  let browsers;

  before(async () => {
    server = await Server.start({ name: 'recording' });
    briefing = await createBriefing({ dataDir: server.dataDir, title: TITLE, host: HOST, points: POINTS, baseUrl: server.baseUrl });
    other = await createBriefing({ dataDir: server.dataDir, title: 'Giao ban khác', host: 'Sở Tài chính', points: ['UBND xã Đô Lương'], baseUrl: server.baseUrl });
    api = new HostApi(server, briefing);
    browsers = new PointBrowsers(briefing);
    for (const point of [HOST, ...POINTS]) await browsers.openAndJoin(point);
  });

  after(async () => {
    await browsers?.closeAll();
    await server?.dispose();
  });

  /**
   * @template T
   * @param {string} name
   * @param {() => Promise<T>} fn
   */
  const diagnosed = (name, fn) => withDiagnostics({ name: `recording-${name}`, server, clients: () => browsers.all() }, fn);

  it('records every point and makes an archive copy that follows the floor, with a chapter', () => diagnosed('archive', async () => {
    // Let media flow before recording.
    await sleep(3000);
    const pointToken = tokenOf(briefing.link(HUNG_NGUYEN).url);
    const refused = await api.call('POST', '/recording/start', undefined, { token: pointToken });
    assert.equal(refused.status, 403, `a point may not start recording: ${refused.status} ${refused.text}`);
    const stopIdle = await api.call('POST', '/recording/stop');
    assert.equal(stopIdle.status, 409);
    assert.equal(stopIdle.body?.error?.code, 'recording_not_running');

    const started = await api.ok('POST', '/recording/start');
    assert.equal(started.status, 'recording');
    const twice = await api.call('POST', '/recording/start');
    assert.equal(twice.status, 409, `start twice: ${twice.text}`);
    assert.equal(twice.body?.error?.code, 'recording_already');

    // Every page says that it records.
    for (const point of [HOST, ...POINTS]) {
      const badge = browsers.of(point).page.locator('[data-role=recording]');
      await waitFor(() => badge.isVisible(), { timeout: seconds(5), message: `${point} shows the recording badge` });
      assert.match(await badge.innerText(), /Đang ghi hình/, `${point}'s badge`);
    }
    const state = await api.state();
    assert.equal(typeof state.recording, 'string', `the state says since when: ${JSON.stringify(state.recording)}`);

    await sleep(6000);
    const grantedAt = Date.now();
    await api.ok('POST', '/floor', { point: HUNG_NGUYEN });
    await sleep(4000);
    // In the projector view the badge sits over the stage, clear of the chair's small
    // picture and of the speaker's caption.
    for (const point of [HOST, NAM_DAN]) {
      const page = browsers.of(point).page;
      await page.click('[data-action=projector]');
      await page.waitForFunction(() => document.body.classList.contains('projector'), null, { timeout: seconds(5) });
      const clash = await page.evaluate(() => {
        const box = (/** @type {Element} */ e) => e.getBoundingClientRect();
        const badge = document.querySelector('[data-role=stage-recording]');
        const stage = document.querySelector('[data-role=stage]');
        if (!badge || !stage || box(badge).width === 0) return 'the stage shows no recording badge';
        const b = box(badge);
        const s = box(stage);
        const others = [...document.querySelectorAll('[data-role=stage] > .tile, [data-role=stage-caption]')]
          .filter((e) => { const r = box(e); return r.width > 0 && r.width * r.height < 0.5 * s.width * s.height; });
        const hit = others.find((e) => { const r = box(e); return r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom; });
        return hit ? `the badge overlaps ${hit.className}` : null;
      });
      assert.equal(clash, null, `${point}'s projector view`);
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.body.classList.contains('projector'), null, { timeout: seconds(5) });
    }
    // A point that leaves mid-recording: what it sent is kept in a closed file.
    await browsers.close(NAM_DAN);
    await sleep(5000);
    const stopped = await api.ok('POST', '/recording/stop');
    assert.equal(stopped.status, 'finished');
    assert.equal(stopped.end_reason, 'stopped');
    const startedMs = Date.parse(stopped.started_at);

    for (const point of [HOST, HUNG_NGUYEN]) {
      const badge = browsers.of(point).page.locator('[data-role=recording]');
      await waitFor(async () => !(await badge.isVisible()), { timeout: seconds(5), message: `${point} no longer shows the badge` });
    }

    // The archive copy is made after the stop.
    /** @type {any} */
    let recording = null;
    await waitFor(async () => {
      [recording] = await listed(api);
      return recording.archive.status === 'ready' || recording.archive.status === 'failed';
    }, { timeout: seconds(90), message: () => `the archive copy is made: ${JSON.stringify(recording?.archive)}` });
    assert.equal(recording.archive.status, 'ready', `archive: ${JSON.stringify(recording.archive)}`);
    const chapter = recording.chapters.find((/** @type {any} */ c) => c.title === HUNG_NGUYEN);
    assert.ok(chapter, `a chapter for the floor grant: ${JSON.stringify(recording.chapters)}`);
    assert.ok(Math.abs(chapter.offset_ms - (grantedAt - startedMs)) < 2000, `chapter at ${chapter.offset_ms} ms, granted at ${grantedAt - startedMs} ms`);

    const archiveFile = recording.files.find((/** @type {any} */ f) => f.kind === 'archive');
    const archive = await download(server, archiveFile, 'archive.webm');
    const info = await probe(archive);
    const codecs = info.streams.map((/** @type {any} */ s) => s.codec_name).sort();
    assert.deepEqual(codecs, ['opus', 'vp8'], `archive streams: ${JSON.stringify(info.streams.map((/** @type {any} */ s) => s.codec_name))}`);
    assert.ok(Number(info.format.duration) >= 12, `archive duration ${info.format.duration} s`);
    const titles = info.chapters.map((/** @type {any} */ c) => c.tags?.title);
    assert.ok(titles.includes(HUNG_NGUYEN), `archive chapters: ${JSON.stringify(titles)}`);
    const inFile = info.chapters.find((/** @type {any} */ c) => c.tags?.title === HUNG_NGUYEN);
    assert.ok(Math.abs(Number(inFile.start_time) * 1000 - chapter.offset_ms) < 1500, `chapter in the file at ${inFile.start_time} s`);
    assert.equal(await decodeErrors(archive), '', 'the archive decodes without error');

    // One file (or more) per point, each playing audio and video.
    for (const point of [HOST, ...POINTS]) {
      const files = recording.files.filter((/** @type {any} */ f) => f.kind === 'point' && f.point === point);
      assert.ok(files.length >= 1, `${point} has files: ${JSON.stringify(recording.files)}`);
      assert.ok(files.every((/** @type {any} */ f) => f.status === 'closed'), `${point}'s files are closed: ${JSON.stringify(files)}`);
      const longest = files.reduce((/** @type {any} */ a, /** @type {any} */ b) => ((b.duration_ms ?? 0) > (a.duration_ms ?? 0) ? b : a));
      const file = await download(server, longest, `${point}.webm`);
      const streams = (await probe(file)).streams.map((/** @type {any} */ s) => s.codec_name).sort();
      assert.ok(streams.includes('vp8'), `${point}'s file has video: ${streams}`);
      if (point !== NAM_DAN) assert.ok(streams.includes('opus'), `${point}'s file has audio: ${streams}`);
      assert.equal(await decodeErrors(file), '', `${point}'s file decodes`);
    }
    const total = recording.files
      .filter((/** @type {any} */ f) => f.kind === 'point' && f.point === HOST)
      .reduce((/** @type {number} */ n, /** @type {any} */ f) => n + (f.duration_ms ?? 0), 0);
    assert.ok(total >= 12000, `the host's files hold ${total} ms`);

    // Byte ranges, for seeking in the browser.
    const ranged = await server.request('GET', archiveFile.url, { headers: { range: 'bytes=0-99' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.bytes.length, 100);
    const attachment = await server.request('GET', `${archiveFile.url}?download=1`);
    assert.match(attachment.headers.get('content-disposition') ?? '', /^attachment; filename=/);

    // Only those invited see the list; a changed address opens nothing.
    const otherHost = new HostApi(server, other);
    const foreign = await server.request('GET', `/api/briefings/${encodeURIComponent(briefing.id)}/recordings`, { token: otherHost.token });
    assert.equal(foreign.status, 403, `another briefing's host: ${foreign.status}`);
    const anonymous = await server.request('GET', `/api/briefings/${encodeURIComponent(briefing.id)}/recordings`);
    assert.equal(anonymous.status, 401);
    const ticket = archiveFile.url.split('/').pop();
    const forged = await server.request('GET', `/api/recording-files/${forgeToken(ticket)}`);
    assert.equal(forged.status, 404, `a forged address: ${forged.status}`);
    const traversal = await server.request('GET', '/api/recording-files/..%2F..%2Fgiaoban.db');
    assert.equal(traversal.status, 404);
    // A point of the briefing sees the list.
    const pointList = await server.request('GET', `/api/briefings/${encodeURIComponent(briefing.id)}/recordings`, { token: pointToken });
    assert.equal(pointList.status, 200);

    // The minutes say when the briefing was recorded.
    const minutes = await api.ok('GET', '/minutes');
    assert.equal(minutes.recordings.length, 1, `minutes: ${JSON.stringify(minutes.recordings)}`);

    // The dossier's tab plays the archive copy.
    const dossier = await browsers.of(HOST).page.context().newPage();
    await dossier.goto(`${server.baseUrl}/d/${encodeURIComponent(api.token)}`);
    await dossier.getByTestId('tab-recordings').click();
    const video = dossier.locator('video[data-testid=recording-video]');
    await waitFor(() => video.isVisible(), { timeout: seconds(10), message: 'the dossier shows the archive video' });
    await dossier.locator('button[data-testid=recording-chapter]').first().click();
    await waitFor(
      () => video.evaluate((/** @type {HTMLVideoElement} */ v) => v.readyState >= 2 && v.currentTime > 0),
      { timeout: seconds(10), message: 'the chapter button plays the archive from its chapter' },
    );
    await dossier.close();
  }));

  it('records a shared screen in a file of its own, and the stage follows it while it is shown', () => diagnosed('screen', async () => {
    // The point holds the floor since the test before; a floor holder may present.
    if ((await api.state()).floor?.point !== HUNG_NGUYEN) await api.ok('POST', '/floor', { point: HUNG_NGUYEN });
    await api.ok('POST', '/recording/start');
    await sleep(3000);
    const presenter = browsers.of(HUNG_NGUYEN).page;
    await presenter.click('[data-action=present]', { timeout: seconds(10) });
    await api.waitState((s) => s.presentation === HUNG_NGUYEN, { message: `${HUNG_NGUYEN} presents` });
    await sleep(seconds(6));
    await presenter.click('[data-action=present]', { timeout: seconds(10) });
    await api.waitState((s) => s.presentation === null, { message: `${HUNG_NGUYEN} stops presenting` });
    await sleep(3000);
    const stopped = await api.ok('POST', '/recording/stop');
    assert.equal(stopped.status, 'finished');

    /** @type {any} */
    let recording = null;
    await waitFor(async () => {
      [recording] = await listed(api);
      return recording.id === stopped.id && (recording.archive.status === 'ready' || recording.archive.status === 'failed');
    }, { timeout: seconds(90), message: () => `the archive copy is made: ${JSON.stringify(recording?.archive)}` });
    assert.equal(recording.archive.status, 'ready', `archive: ${JSON.stringify(recording.archive)}`);

    // The screen: a file of the presenter's own, at the screen's size, that decodes.
    const screens = recording.files.filter((/** @type {any} */ f) => f.kind === 'screen');
    assert.ok(screens.length >= 1 && screens.every((/** @type {any} */ f) => f.point === HUNG_NGUYEN && f.status === 'closed'), `screen files: ${JSON.stringify(screens)}`);
    const screenFile = await download(server, screens[0], 'screen.webm');
    const screenVideo = (await probe(screenFile)).streams.find((/** @type {any} */ st) => st.codec_name === 'vp8');
    assert.ok(screenVideo && screenVideo.width >= 1280, `the screen file's video: ${JSON.stringify(screenVideo)}`);
    assert.ok((screens[0].duration_ms ?? 0) >= 4000, `the screen file holds ${screens[0].duration_ms} ms`);
    assert.equal(await decodeErrors(screenFile), '', 'the screen file decodes');

    // The stage's file shows the camera before and after, the screen in between.
    const stageFile = recording.files.find((/** @type {any} */ f) => f.kind === 'stage');
    assert.ok(stageFile, `a stage file: ${JSON.stringify(recording.files)}`);
    const stage = await download(server, stageFile, 'stage-with-screen.webm');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=width', '-of', 'csv=p=0', stage], { maxBuffer: 16 * 1024 * 1024 });
    const widths = stdout.split('\n').map(Number).filter((w) => w > 0);
    const wide = widths.filter((w) => w >= 1280).length;
    const narrow = widths.length - wide;
    console.log(`recording.test.js: the stage file has ${wide} frames of the screen and ${narrow} of cameras`);
    assert.ok(wide >= 5 && narrow >= 5, `the stage follows the presentation: ${wide} screen frames, ${narrow} camera frames`);
    assert.equal(await decodeErrors(stage), '', 'the stage file decodes');
  }));

  it('keeps what was recorded when the server is killed, and lists it as interrupted', () => diagnosed('kill', async () => {
    await api.ok('POST', '/recording/start');
    await sleep(8000);
    const killedAt = Date.now();
    await server.kill();
    const [recordingsDir] = readdirSync(path.join(server.dataDir, 'recordings'))
      .map((d) => path.join(server.dataDir, 'recordings', d))
      .filter((d) => statSync(d).isDirectory())
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    const hostFiles = readdirSync(recordingsDir).filter((f) => f.startsWith('point-'));
    assert.ok(hostFiles.length >= 2, `files on disk after the kill: ${hostFiles}`);
    // As the crash left them: each plays up to within 2 s of the kill.
    const startedMs = Number(path.basename(recordingsDir).split('-').pop());
    let best = 0;
    for (const name of hostFiles) {
      const file = path.join(recordingsDir, name);
      assert.equal(await decodeErrors(file), '', `${name} decodes as the crash left it`);
      best = Math.max(best, await lastPacketSeconds(file));
    }
    const recorded = (killedAt - startedMs) / 1000;
    console.log(`kill -9: the files as the crash left them reach ${best.toFixed(2)} s of the ${recorded.toFixed(2)} s recorded`);
    assert.ok(best >= recorded - 2.5, `the files reach ${best.toFixed(2)} s of ${recorded.toFixed(2)} s recorded`);

    await server.launch();
    /** @type {any} */
    let recording = null;
    await waitFor(async () => {
      [recording] = await listed(api);
      return recording.archive.status === 'ready' || recording.archive.status === 'failed';
    }, { timeout: seconds(90), message: () => `the interrupted recording's archive: ${JSON.stringify(recording)}` });
    assert.equal(recording.status, 'interrupted');
    assert.equal(recording.end_reason, 'server_restart');
    const recovered = recording.files.filter((/** @type {any} */ f) => f.kind === 'point');
    assert.ok(recovered.length >= 2 && recovered.every((/** @type {any} */ f) => f.status === 'recovered'), `files: ${JSON.stringify(recovered)}`);
    const file = await download(server, recovered[0], 'recovered.webm');
    const info = await probe(file);
    assert.ok(Number(info.format.duration) > 4, `a recovered file has a duration: ${info.format.duration}`);
    assert.equal(await decodeErrors(file), '');
    const otherHost = new HostApi(server, other);
    const foreign = await server.request('GET', `/api/briefings/${encodeURIComponent(briefing.id)}/recordings`, { token: otherHost.token });
    assert.equal(foreign.status, 403);
    const state = await api.state();
    assert.equal(state.recording, null, 'after the restart nothing records');
  }));
});

describe('recording on a disk that fills up', { timeout: seconds(120) }, () => {
  /** @type {Server} */
  let server;
  /** @type {import('./lib/harness.js').Briefing} */
  let briefing;
  /** @type {PointBrowsers} */
  let browsers;
  /** the file that fills the disk */
  let filler = '';

  /** @param {string} dir @returns {number} MB (10^6 bytes) free for the server there */
  const freeMb = (dir) => {
    const s = statfsSync(dir);
    return Math.floor((s.bavail * s.bsize) / 1e6);
  };

  before(async () => {
    // The floor sits 300 MB under what is free now; a 600 MB file then crosses it.
    const probeDir = mkdtempSync(path.join(os.tmpdir(), 'giaoban-e2e-free-'));
    const floor = freeMb(probeDir) - 300;
    rmSync(probeDir, { recursive: true });
    server = await Server.start({ name: 'recording-disk', args: ['--recording-min-free-mb', String(floor)] });
    briefing = await createBriefing({ dataDir: server.dataDir, title: TITLE, host: HOST, points: [NAM_DAN], baseUrl: server.baseUrl });
    browsers = new PointBrowsers(briefing);
    await browsers.openAndJoin(HOST);
    filler = path.join(server.dataDir, 'filler.bin');
  });

  after(async () => {
    if (filler) rmSync(filler, { force: true });
    await browsers?.closeAll();
    await server?.dispose();
  });

  it('stops cleanly, tells the host, keeps what was recorded and refuses to start again', () => withDiagnostics({ name: 'recording-disk', server, clients: () => browsers.all() }, async () => {
    const api = new HostApi(server, briefing);
    await sleep(2000);
    await api.ok('POST', '/recording/start');
    await sleep(4000);
    await run('fallocate', ['-l', '600M', filler]);
    await api.waitState((s) => s.recording === null, { timeout: seconds(20), message: 'the recording stops when the disk fills up' });
    const notice = browsers.of(HOST).page.locator('[data-role=error][data-code=recording_stopped_disk_full]');
    await waitFor(() => notice.isVisible(), { timeout: seconds(5), message: 'the host is told why' });
    const [recording] = await listed(api);
    assert.equal(recording.status, 'finished');
    assert.equal(recording.end_reason, 'disk_full');
    const host = recording.files.find((/** @type {any} */ f) => f.kind === 'point' && f.point === HOST);
    assert.ok(host && host.status === 'closed' && host.duration_ms >= 3000, `what was recorded is kept: ${JSON.stringify(host)}`);
    const refused = await api.call('POST', '/recording/start');
    assert.equal(refused.status, 507, `start on a full disk: ${refused.status} ${refused.text}`);
    assert.equal(refused.body?.error?.code, 'disk_low');
    assert.equal(typeof refused.body?.error?.params?.free_mb, 'number', refused.text);
  }));
});
