// Receive slots in real browsers (docs/protocol.md, "Receiving: slots"): each point's camera is
// a picture of its own colour, so a test can tell whose picture a tile shows.
//
// - Three points join and see each other; three more join: all six see all others and the
//   first pages' transceivers did not change (the slots were negotiated once).
// - The host, with a page of two thumbnails, pages through the five points: every visible
//   tile shows decoding video of the colour of the name under it.
// - A floor grant moves the granted point onto everyone's stage: the stage slot switches, the
//   picture keeps decoding (no long freeze, no storm of keyframe requests).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Server, allOf, createBriefing, openLink, seconds, tokenOf, waitFor, withDiagnostics } from './lib/harness.js';

const TITLE = 'Giao ban chuyển đổi số tháng 12';
const HOST = 'Sở Khoa học và Công nghệ';
const POINTS = ['UBND phường Vinh Phú', 'UBND xã Nghi Lộc', 'UBND phường Cửa Lò', 'UBND xã Diễn Châu', 'UBND phường Hoàng Mai'];
const EVERYONE = [HOST, ...POINTS];
/** The host's grid shows two thumbnails per page: five points take three pages. */
const HOST_PAGE = 2;

/** Each point's camera colour (RGB); far apart so that video coding cannot confuse them. */
const COLOURS = /** @type {Record<string, [number, number, number]>} */ ({
  [HOST]: [235, 235, 235],
  [POINTS[0]]: [220, 30, 30],
  [POINTS[1]]: [30, 190, 50],
  [POINTS[2]]: [30, 60, 230],
  [POINTS[3]]: [235, 215, 30],
  [POINTS[4]]: [200, 40, 200],
});

/**
 * A Y4M file of a few frames of one colour (BT.601, full range), for Chromium's fake camera.
 * @param {string} file
 * @param {[number, number, number]} rgb
 */
function writeY4m(file, [r, g, b]) {
  const w = 320;
  const h = 180;
  const clamp = (/** @type {number} */ v) => Math.max(0, Math.min(255, Math.round(v)));
  const y = clamp(0.299 * r + 0.587 * g + 0.114 * b);
  const u = clamp(-0.1687 * r - 0.3313 * g + 0.5 * b + 128);
  const v = clamp(0.5 * r - 0.4187 * g - 0.0813 * b + 128);
  const frame = Buffer.concat([
    Buffer.from('FRAME\n'),
    Buffer.alloc(w * h, y),
    Buffer.alloc((w / 2) * (h / 2), u),
    Buffer.alloc((w / 2) * (h / 2), v),
  ]);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F15:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 10 }, () => frame)]));
}

/**
 * Runs in the page: for every visible tile with a playing video, the tile's name and the
 * average colour of its picture.
 * @returns {{name: string, rgb: number[] | null, inStage: boolean}[]}
 */
function tilePictures() {
  const canvas = document.createElement('canvas');
  canvas.width = 8;
  canvas.height = 8;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  return Array.from(document.querySelectorAll('[data-tile]'))
    .filter((tile) => !(/** @type {HTMLElement} */ (tile).hidden))
    .map((tile) => {
      const name = /** @type {HTMLElement} */ (tile).dataset.tile ?? '';
      const video = tile.querySelector('video');
      const inStage = Boolean(tile.closest('[data-role=stage]'));
      if (!video || video.videoWidth === 0) return { name, rgb: null, inStage };
      ctx.drawImage(video, 0, 0, 8, 8);
      const data = ctx.getImageData(0, 0, 8, 8).data;
      const rgb = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) rgb[c] += data[i + c] / 64;
      return { name, rgb, inStage };
    });
}

/**
 * The point whose colour is nearest to `rgb`.
 * @param {number[]} rgb
 */
function colourOwner(rgb) {
  let best = '';
  let bestDistance = Infinity;
  for (const [name, c] of Object.entries(COLOURS)) {
    const d = (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Every visible tile of `client` that shows a picture shows its own point's colour.
 * @param {import('./lib/harness.js').Client} client
 * @returns {Promise<{shown: string[], wrong: string[]}>}
 */
async function checkLabels(client) {
  const pictures = await client.page.evaluate(tilePictures);
  const shown = [];
  const wrong = [];
  for (const p of pictures) {
    if (!p.rgb) continue;
    shown.push(p.name);
    const owner = colourOwner(p.rgb);
    if (owner !== p.name) wrong.push(`${p.name} shows ${owner}'s picture (${p.rgb.map(Math.round).join(',')})`);
  }
  return { shown, wrong };
}

/**
 * @param {import('./lib/harness.js').Client} client
 * @returns {Promise<number>} transceivers of the page's peer connection
 */
function transceivers(client) {
  return client.page.evaluate(() => /** @type {any} */ (window).giaoban.pc.getTransceivers().length);
}

/**
 * Inbound video statistics of the stage slots of a page, summed.
 * @param {import('./lib/harness.js').Client} client
 */
function stageStats(client) {
  return client.page.evaluate(async () => {
    const g = /** @type {any} */ (window).giaoban;
    const mids = new Set(g.tracks.filter((/** @type {any} */ t) => t.role === 'stage').map((/** @type {any} */ t) => t.mid));
    const sum = { framesDecoded: 0, freezeCount: 0, totalFreezesDuration: 0, pliCount: 0, nackCount: 0, detail: /** @type {any[]} */ ([]) };
    (await g.pc.getStats()).forEach((/** @type {any} */ s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video' || !mids.has(s.mid)) return;
      for (const k of ['framesDecoded', 'freezeCount', 'totalFreezesDuration', 'pliCount', 'nackCount']) sum[/** @type {'framesDecoded'} */ (k)] += s[k] ?? 0;
      const point = g.tracks.find((/** @type {any} */ t) => t.mid === s.mid)?.point ?? null;
      sum.detail.push({ mid: s.mid, point, frames: s.framesDecoded, freezes: s.freezeCount, frozen: s.totalFreezesDuration, width: s.frameWidth, pli: s.pliCount, nack: s.nackCount });
    });
    return sum;
  });
}

const startedAt = Date.now();
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let briefing;
/** @type {Map<string, import('./lib/harness.js').Client>} */
const clients = new Map();
let videoDir = '';

/** @param {string} point */
function client(point) {
  const c = clients.get(point);
  if (!c) throw new Error(`no browser for ${point}`);
  return c;
}

/**
 * Opens a point's link (the host's with a page of HOST_PAGE thumbnails) with its coloured
 * camera, and joins.
 * @param {string} point
 */
async function join(point) {
  const link = briefing.link(point);
  const url = point === HOST ? `${link.url}?page=${HOST_PAGE}` : link.url;
  const file = path.join(videoDir, `${EVERYONE.indexOf(point)}.y4m`);
  const c = await openLink({ ...link, url }, { args: [`--use-file-for-fake-video-capture=${file}`] });
  clients.set(point, c);
  await c.join({ title: TITLE, point });
}

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `slots-${name}`, server, clients: () => clients.values() }, fn);
}

/** Every point sees every other point's picture, each under its own name. */
async function everyPointSeesEveryOther(/** @type {string[]} */ present) {
  for (const me of present.filter((p) => p !== HOST)) {
    const others = present.filter((p) => p !== me);
    /** @type {{shown: string[], wrong: string[]}} */
    let last = { shown: [], wrong: [] };
    await waitFor(async () => {
      last = await checkLabels(client(me));
      return others.every((o) => last.shown.includes(o)) && last.wrong.length === 0;
    }, { timeout: seconds(30), message: () => `${me} sees ${JSON.stringify(others)} each under its own name; shown ${JSON.stringify(last.shown)}, wrong ${JSON.stringify(last.wrong)}` });
  }
}

describe('receive slots', { timeout: seconds(420) }, () => {
  before(async () => {
    videoDir = mkdtempSync(path.join(tmpdir(), 'giaoban-slots-'));
    EVERYONE.forEach((p, i) => writeY4m(path.join(videoDir, `${i}.y4m`), COLOURS[p]));
    server = await Server.start({ name: 'slots' });
    briefing = await createBriefing({ dataDir: server.dataDir, title: TITLE, host: HOST, points: POINTS, baseUrl: server.baseUrl });
    const opened = await server.request('POST', `/api/briefings/${briefing.id}/mode`, {
      token: tokenOf(briefing.link(HOST).url),
      body: { mode: 'open' },
    });
    assert.equal(opened.status, 200);
  });

  after(async () => {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    await server?.dispose();
    if (videoDir) rmSync(videoDir, { recursive: true, force: true });
    console.log(`slots.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  /** @type {Map<string, number>} */
  const firstCounts = new Map();

  it('three points join, then three more: everyone sees everyone and no slot was renegotiated', async () => {
    await diagnosed('join', async () => {
      const first = [HOST, POINTS[0], POINTS[1]];
      await allOf(first.map(join));
      await everyPointSeesEveryOther(first);
      for (const p of first) firstCounts.set(p, await transceivers(client(p)));
      // Three sending (microphone, camera, screen), and the slots: 2 stage + 1 presentation +
      // page + 4 audio.
      assert.equal(firstCounts.get(HOST), 3 + 2 + 1 + HOST_PAGE + 4);
      assert.equal(firstCounts.get(POINTS[0]), 3 + 2 + 1 + 6 + 4);

      await allOf(POINTS.slice(2).map(join));
      await everyPointSeesEveryOther(EVERYONE);
      for (const p of first) {
        assert.equal(await transceivers(client(p)), firstCounts.get(p), `${p}: transceivers changed when others joined`);
      }
      const offers = await client(POINTS[0]).page.evaluate(() => /** @type {any} */ (window).giaoban.tracks.length);
      assert.equal(offers, 2 + 1 + 6 + 4, 'one slot list, opened once');
      // Every page asks its microphone for Opus DTX, in the last negotiation too.
      for (const p of EVERYONE) {
        const remote = await client(p).page.evaluate(() => /** @type {any} */ (window).giaoban.pc.currentRemoteDescription?.sdp ?? '');
        assert.match(remote, /a=fmtp:\d+ [^\r\n]*usedtx=1/, `${p}: the remote description asks for DTX`);
      }
    });
  });

  it('the host pages through five points two at a time, each tile under its own picture', async () => {
    await diagnosed('paging', async () => {
      const host = client(HOST);
      const pages = Math.ceil(POINTS.length / HOST_PAGE);
      /** @type {Set<string>} */
      const seen = new Set();
      for (let page = 0; page < pages; page++) {
        if (page > 0) await host.page.click('[data-action=page-next]');
        const expected = await host.page.evaluate(() => /** @type {any} */ (window).giaoban.thumbnails);
        assert.ok(expected.length > 0 && expected.length <= HOST_PAGE, `page ${page + 1} shows ${JSON.stringify(expected)}`);
        /** @type {{shown: string[], wrong: string[]}} */
        let last = { shown: [], wrong: [] };
        await waitFor(async () => {
          last = await checkLabels(host);
          return expected.every((/** @type {string} */ p) => last.shown.includes(p)) && last.wrong.length === 0;
        }, { timeout: seconds(15), message: () => `host page ${page + 1}: ${JSON.stringify(expected)} each under its own picture; shown ${JSON.stringify(last.shown)}, wrong ${JSON.stringify(last.wrong)}` });
        // And it stays right while the slots move on the next pages' turns.
        for (let i = 0; i < 3; i++) {
          const again = await checkLabels(host);
          assert.deepEqual(again.wrong, [], `host page ${page + 1}: a name over another point's picture`);
        }
        for (const p of expected) seen.add(p);
      }
      assert.deepEqual([...seen].sort(), [...POINTS].sort(), 'every point was shown on some page');
    });
  });

  it('a floor grant switches the stage slot without a long freeze or a keyframe storm', async () => {
    await diagnosed('floor', async () => {
      const viewer = client(POINTS[0]);
      const granted = POINTS[3];
      const before = await stageStats(viewer);
      const start = Date.now();
      const res = await server.request('POST', `/api/briefings/${briefing.id}/floor`, {
        token: tokenOf(briefing.link(HOST).url),
        body: { point: granted },
      });
      assert.equal(res.status, 200, `the grant was refused: ${res.status}`);
      await waitFor(async () => {
        const pictures = await viewer.page.evaluate(tilePictures);
        return pictures.some((p) => p.name === granted && p.inStage && p.rgb && colourOwner(p.rgb) === granted);
      }, { timeout: seconds(10), interval: 50, message: `${POINTS[0]}: ${granted}'s picture on the stage` });
      const switchedMs = Date.now() - start;
      console.log(`slots.test.js: the granted point's picture reached the stage in ${switchedMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const afterStats = await stageStats(viewer);
      assert.ok(afterStats.framesDecoded > before.framesDecoded + 20, `stage frames decoded ${before.framesDecoded} → ${afterStats.framesDecoded}`);
      // The slot that took the granted point: its picture never stood still for a second.
      const slot = afterStats.detail.find((d) => d.point === granted);
      assert.ok(slot, `no stage slot carries ${granted}: ${JSON.stringify(afterStats.detail)}`);
      const frozen = slot.frozen - (before.detail.find((d) => d.mid === slot.mid)?.frozen ?? 0);
      assert.ok(frozen < 1, `${granted}'s stage picture froze for ${frozen} s: ${JSON.stringify(before.detail)} → ${JSON.stringify(afterStats.detail)}`);
      assert.ok(afterStats.pliCount - before.pliCount <= 10, `${afterStats.pliCount - before.pliCount} keyframe requests`);
      assert.ok(afterStats.nackCount - before.nackCount <= 50, `${afterStats.nackCount - before.nackCount} NACKs`);
      const { wrong } = await checkLabels(viewer);
      assert.deepEqual(wrong, []);
    });
  });

  it('in directed mode a point without the right to speak sends no audio at all', async () => {
    await diagnosed('publish', async () => {
      const res = await server.request('POST', `/api/briefings/${briefing.id}/mode`, {
        token: tokenOf(briefing.link(HOST).url),
        body: { mode: 'directed' },
      });
      assert.equal(res.status, 200);
      const silent = client(POINTS[1]);
      const sent = async () => (await silent.sample()).outbound?.audio?.packetsSent ?? 0;
      let growth = -1;
      await waitFor(async () => {
        const a = await sent();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        growth = (await sent()) - a;
        return growth <= 2;
      }, { timeout: seconds(15), interval: 0, message: () => `${POINTS[1]} still sends audio: +${growth} packets in 1.5 s` });
      // The floor holder does send.
      const holder = client(POINTS[3]);
      const h0 = (await holder.sample()).outbound?.audio?.packetsSent ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const h1 = (await holder.sample()).outbound?.audio?.packetsSent ?? 0;
      assert.ok(h1 - h0 > 30, `the floor holder sends audio: +${h1 - h0} packets in 1.5 s`);
    });
  });
});
