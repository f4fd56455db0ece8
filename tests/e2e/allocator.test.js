// The stream allocator in real browsers (docs/protocol.md, "Receiving: slots"): a bridge point
// whose downlink is short gets audio and the stage, and its thumbnails are paused, each tile
// saying so ("Tạm dừng hình vì băng thông thấp"); when the link is wide again they come back.
//
// The viewing point's Chromium runs in a network namespace (lib/netns.js) and the server's
// traffic to it is shaped with tbf on the machine's end of the pair; the host and three
// publishing points run on the machine itself and reach the server on the pair's address too.
// The bandwidth estimate is the server's own (transport-wide congestion control feedback from
// the viewer's Chromium); nothing is told to the server about the link.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CHROMIUM_BIN, Server, createBriefing, seconds, waitFor, withDiagnostics } from './lib/harness.js';
import { Netns, run } from './lib/netns.js';
import { PointBrowsers } from './lib/pages.js';

const TITLE = 'Giao ban tiến độ giải ngân vốn đầu tư công';
const HOST = 'Sở Kế hoạch và Đầu tư';
const PUBLISHERS = ['UBND phường Trường Vinh', 'UBND xã Nam Đàn', 'UBND xã Quỳnh Lưu'];
const VIEWER = 'UBND xã Tương Dương';
/** The viewer's downlink while it is short: audio and the stage at the low layer fit, a thumbnail does not. */
const SHORT_LINK = '350kbit';

/** @type {Netns} */
let netns;

/**
 * Runs in the page: the names of the tiles that say their picture is paused.
 * @returns {string[]}
 */
function pausedTiles() {
  return Array.from(document.querySelectorAll('[data-tile]'))
    .filter((tile) => {
      const label = /** @type {HTMLElement | null} */ (tile.querySelector('[data-role=paused]'));
      return label !== null && !label.hidden && (label.textContent ?? '').trim() !== '';
    })
    .map((tile) => /** @type {HTMLElement} */ (tile).dataset.tile ?? '');
}

/**
 * Video frames `client` decoded of each of `points`.
 * @param {import('./lib/harness.js').Client} client
 * @param {string[]} points
 * @returns {Promise<Record<string, number>>}
 */
async function framesOf(client, points) {
  const sample = await client.sample();
  return Object.fromEntries(points.map((p) => [p, sample.points[p]?.video?.framesDecoded ?? 0]));
}

/**
 * The points of `points` whose decoded frames grew by at least `min` from `before` to `after`.
 * @param {Record<string, number>} before
 * @param {Record<string, number>} after
 * @param {string[]} points
 * @param {number} min
 */
function moving(before, after, points, min) {
  return points.filter((p) => (after[p] ?? 0) - (before[p] ?? 0) >= min);
}

describe('the stream allocator on a short link', { timeout: seconds(300) }, () => {
  before(async () => {
    netns = await Netns.create('allo');
  });

  after(async () => {
    await netns?.dispose();
  });

  it('pauses a point\'s thumbnails, keeping its stage moving, and brings them back when the link widens', async () => {
    const server = await Server.start({ name: 'allocator', host: netns.hostIp });
    // The camera needs a secure context; plain HTTP on a non-loopback address is not one.
    const args = [`--unsafely-treat-insecure-origin-as-secure=${server.baseUrl}`];
    /** @type {PointBrowsers | undefined} */
    let here;
    /** @type {PointBrowsers | undefined} */
    let there;
    try {
      const briefing = await createBriefing({
        dataDir: server.dataDir,
        title: TITLE,
        host: HOST,
        points: [...PUBLISHERS, VIEWER],
        baseUrl: server.baseUrl,
      });
      here = new PointBrowsers(briefing, { args });
      there = new PointBrowsers(briefing, { executablePath: await netns.chromiumWrapper(CHROMIUM_BIN), args });
      const a = here;
      const b = there;
      await withDiagnostics({ name: 'allocator', server, clients: () => [...a.all(), ...b.all()] }, async () => {
        for (const point of [HOST, ...PUBLISHERS]) await a.openAndJoin(point);
        const viewer = await b.openAndJoin(VIEWER);
        // Directed mode: the viewer hears the host; it sees the host on its stage and the
        // three points as thumbnails.
        await viewer.waitForMediaFrom([HOST, ...PUBLISHERS], { timeout: seconds(40), audio: [HOST] });
        // On the wide link nothing stays paused (a busy machine may make a start look lossy).
        /** @type {string[]} */
        let early = [];
        await waitFor(async () => (early = await viewer.page.evaluate(pausedTiles)).length === 0, {
          timeout: seconds(30),
          message: () => `${VIEWER}: nothing paused on a wide link; paused: ${JSON.stringify(early)}`,
        });

        await run('tc', ['qdisc', 'add', 'dev', netns.hostIf, 'root', 'tbf', 'rate', SHORT_LINK, 'burst', '16kbit', 'latency', '300ms']);
        try {
          /** @type {string[]} */
          let paused = [];
          await waitFor(async () => {
            paused = await viewer.page.evaluate(pausedTiles);
            return paused.length >= 2;
          }, { timeout: seconds(45), interval: 500, message: () => `${VIEWER}: thumbnails paused on a ${SHORT_LINK}/s link; paused: ${JSON.stringify(paused)}` });
          assert.ok(paused.every((p) => PUBLISHERS.includes(p)), `only thumbnails are paused, not the stage: ${JSON.stringify(paused)}`);
          // The stage keeps moving while the thumbnails are paused (the best of three windows
          // of 4 s: the allocator tries a thumbnail again after a calm spell, which may hold
          // the stage up for a moment).
          let best = 0;
          for (let i = 0; i < 3 && best < 8; i++) {
            const f0 = await framesOf(viewer, [HOST]);
            await new Promise((resolve) => setTimeout(resolve, 4000));
            const f1 = await framesOf(viewer, [HOST]);
            best = Math.max(best, f1[HOST] - f0[HOST]);
          }
          assert.ok(best >= 8, `${VIEWER}'s stage decoded at most ${best} frames of ${HOST} in 4 s on the short link`);
          console.log(`allocator.test.js: on a ${SHORT_LINK}/s link ${paused.length} of ${PUBLISHERS.length} thumbnails paused; the stage decoded ${best} frames in 4 s`);
        } finally {
          await run('tc', ['qdisc', 'del', 'dev', netns.hostIf, 'root']).catch(() => {});
        }

        // The link is wide again: the estimate grows and every thumbnail moves again.
        const widened = Date.now();
        /** @type {string[]} */
        let still = [];
        /** @type {string[]} */
        let stopped = [];
        await waitFor(async () => {
          still = await viewer.page.evaluate(pausedTiles);
          const before = await framesOf(viewer, PUBLISHERS);
          await new Promise((resolve) => setTimeout(resolve, 1500));
          const after = await framesOf(viewer, PUBLISHERS);
          const going = moving(before, after, PUBLISHERS, 3);
          stopped = PUBLISHERS.filter((p) => !going.includes(p));
          return still.length === 0 && stopped.length === 0;
        }, { timeout: seconds(60), interval: 0, message: () => `${VIEWER}: thumbnails back after the link widened; still paused ${JSON.stringify(still)}, not moving ${JSON.stringify(stopped)}` });
        console.log(`allocator.test.js: every thumbnail moving again ${((Date.now() - widened) / 1000).toFixed(1)} s after the link widened`);
        server.assertRunning();
      });
    } finally {
      await here?.closeAll();
      await there?.closeAll();
      await server.dispose();
    }
  });
});
