// Screenshots of the briefing room for docs/screenshots/: a host and six bridge points with
// Chromium's fake cameras, the briefing being recorded, two points asking to speak and one
// holding the floor, then sharing its screen; at the end the dossier's "Ghi hình" tab with the
// archive copy of that recording.
//
//   node tests/e2e/screenshots.mjs [output dir]     (scripts/screenshots runs it)
//
// Needs the server binary (GIAOBAN_BIN, or target/release/giaoban) and Chromium, as the e2e tests.

import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { HostApi, REPO_ROOT, seconds, waitFor } from './lib/harness.js';
import { HOST, POINTS, openRoom } from './lib/room.js';

const out = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'docs', 'screenshots'));
mkdirSync(out, { recursive: true });

const SIZES = /** @type {const} */ ([[1366, 768], [1920, 1080]]);
/** The point whose screen is shown. */
const VIEWER = POINTS[0];
const SPEAKER = POINTS[2];

/** Headless Chromium shares a fake screen without asking. */
const SCREEN_ARGS = ['--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'];

const room = await openRoom({ name: 'screenshots', launch: { args: SCREEN_ARGS } });
try {
  const host = room.browsers.of(HOST).page;
  const viewer = room.browsers.of(VIEWER).page;
  const api = new HostApi(room.server, room.briefing);

  // Two points ask to speak, one with a topic; the host gives the floor to a third.
  for (const [point, topic] of [[POINTS[3], 'Tiến độ số hóa hồ sơ một cửa'], [POINTS[5], '']]) {
    const page = room.browsers.of(point).page;
    if (topic) await page.fill('[data-role=hand-topic]', topic);
    await page.click('[data-action=raise-hand]');
  }
  await api.waitState((s) => s.hands.length === 2, { timeout: seconds(10), message: 'two hands raised' });
  await api.ok('POST', '/floor', { point: SPEAKER, seconds: 300 });
  await api.ok('POST', '/recording/start');

  for (const page of [host, viewer]) {
    await waitFor(() => page.evaluate((speaker) => {
      const video = document.querySelector(`[data-role=stage] video[data-point="${speaker}"]`);
      return video instanceof HTMLVideoElement && video.videoWidth > 0;
    }, SPEAKER), { timeout: seconds(30), message: `the speaker's picture on the stage` });
  }
  // The own connection quality is read every 2 s.
  await waitFor(() => host.evaluate(() => document.querySelector('[data-role=my-quality]')?.getAttribute('data-level') !== 'unknown'), {
    timeout: seconds(15),
    message: 'the host\'s own connection quality measured',
  });

  for (const [width, height] of SIZES) {
    for (const [who, page] of /** @type {const} */ ([['host', host], ['point', viewer]])) {
      await page.setViewportSize({ width, height });
      await settle(page);
      const file = path.join(out, `room-${who}-${width}.png`);
      await page.screenshot({ path: file });
      console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
    }
  }

  // The hall's projector: the point's screen, full HD, in the projector view.
  await viewer.setViewportSize({ width: 1920, height: 1080 });
  await viewer.keyboard.press('f');
  await viewer.waitForFunction(() => document.body.classList.contains('projector'));
  await settle(viewer);
  const file = path.join(out, 'projector.png');
  await viewer.screenshot({ path: file });
  console.log(`wrote ${path.relative(REPO_ROOT, file)}`);

  // The speaker shares its screen: the presentation fills the stage, the speaker small beside.
  await viewer.keyboard.press('Escape');
  await room.browsers.of(SPEAKER).page.click('[data-action=present]');
  for (const page of [host, viewer]) {
    await waitFor(() => page.evaluate(() => {
      const video = document.querySelector('[data-role=presentation-holder] video[data-role=presentation]');
      return video instanceof HTMLVideoElement && video.videoWidth >= 1280;
    }), { timeout: seconds(30), message: 'the presentation on the stage' });
  }
  await host.setViewportSize({ width: 1366, height: 768 });
  await settle(host);
  const presenting = path.join(out, 'room-presentation-1366.png');
  await host.screenshot({ path: presenting });
  console.log(`wrote ${path.relative(REPO_ROOT, presenting)}`);
  await viewer.keyboard.press('f');
  await viewer.waitForFunction(() => document.body.classList.contains('projector'));
  await settle(viewer);
  const projected = path.join(out, 'projector-presentation.png');
  await viewer.screenshot({ path: projected });
  console.log(`wrote ${path.relative(REPO_ROOT, projected)}`);

  // The recording: stopped, its archive copy made, shown in the host's dossier.
  await api.ok('POST', '/recording/stop');
  /** @type {any} */
  let recording = null;
  await waitFor(async () => {
    [recording] = (await api.ok('GET', '/recordings')).recordings;
    return recording.archive.status !== 'pending' && recording.archive.status !== 'none';
  }, { timeout: seconds(120), message: () => `the archive copy: ${JSON.stringify(recording?.archive)}` });
  const kinds = recording.files.map((/** @type {any} */ f) => f.kind);
  if (!kinds.includes('screen')) throw new Error(`the shared screen was not recorded: ${kinds}`);
  const dossier = await host.context().newPage();
  await dossier.setViewportSize({ width: 1366, height: 768 });
  await dossier.goto(`${room.server.baseUrl}/d/${encodeURIComponent(api.token)}`);
  await dossier.getByTestId('tab-recordings').click();
  const video = dossier.locator('video[data-testid=recording-video]');
  await waitFor(() => video.isVisible(), { timeout: seconds(15), message: 'the archive copy in the dossier' });
  await dossier.locator('button[data-testid=recording-chapter]').first().click();
  await waitFor(() => video.evaluate((/** @type {HTMLVideoElement} */ v) => v.readyState >= 2 && v.currentTime > 0.5), { timeout: seconds(15), message: 'the archive playing' });
  await video.evaluate((/** @type {HTMLVideoElement} */ v) => v.pause());
  const recordings = path.join(out, 'dossier-recordings.png');
  await dossier.screenshot({ path: recordings });
  console.log(`wrote ${path.relative(REPO_ROOT, recordings)}`);
  await dossier.close();
} finally {
  await room.close();
}

/**
 * Waits for the layout to follow a new window size and for every visible picture to play.
 * @param {import('playwright-core').Page} page
 */
async function settle(page) {
  await page.waitForTimeout(600);
  await waitFor(() => page.evaluate(() => [...document.querySelectorAll('[data-tile]:not([hidden]) video, [data-role=self]')]
    .every((v) => v instanceof HTMLVideoElement && v.videoWidth > 0)), { timeout: seconds(15), interval: 250, message: 'every visible picture playing' })
    .catch(() => {});
}
