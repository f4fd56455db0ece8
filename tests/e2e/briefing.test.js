// A whole briefing in real browsers: a host and three bridge points join through their
// invitation links, the host opens the floor to everyone (open mode), they see and hear each other, survive garbage on the media port, and a point
// that leaves disappears everywhere and is seen again when it comes back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  HostApi,
  Server,
  allOf,
  createBriefing,
  garbageDatagrams,
  tokenOf,
  seconds,
  sendDatagrams,
  videoOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { PointBrowsers } from './lib/pages.js';

const TITLE = 'Giao ban CNTT 6 tháng đầu năm';
const HOST = 'Sở Thông tin và Truyền thông';
const CUA_LO = 'UBND thị xã Cửa Lò';
const NGHI_LOC = 'UBND huyện Nghi Lộc';
const VINH = 'UBND thành phố Vinh';
const EVERYONE = [HOST, CUA_LO, NGHI_LOC, VINH];
const DROPPED = 'giaoban_media_datagrams_dropped_total';

/** @param {string} me @returns {string[]} everyone but `me` */
const othersThan = (me) => EVERYONE.filter((p) => p !== me);

const startedAt = Date.now();
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let briefing;
/** @type {PointBrowsers} */
let browsers;
let everyoneJoined = false;

/** @param {string} point @returns {Promise<void>} waits for media from every other open point */
async function waitForEveryoneAt(point) {
  await browsers.of(point).waitForMediaFrom(othersThan(point));
}

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `briefing-${name}`, server, clients: () => browsers.all() }, fn);
}

describe('a briefing with a host and three bridge points', { timeout: seconds(300) }, () => {
  before(async () => {
    server = await Server.start({ name: 'briefing' });
    briefing = await createBriefing({
      dataDir: server.dataDir,
      title: TITLE,
      host: HOST,
      points: [CUA_LO, NGHI_LOC, VINH],
      baseUrl: server.baseUrl,
    });
    browsers = new PointBrowsers(briefing);
    // Directed mode (the default) forwards only the host's and the floor holder's audio;
    // this test is about everyone hearing everyone, so the host opens the discussion.
    const opened = await server.request('POST', `/api/briefings/${briefing.id}/mode`, {
      token: tokenOf(briefing.link(HOST).url),
      body: { mode: 'open' },
    });
    assert.equal(opened.status, 200, 'the host could not switch to open discussion');
  });

  after(async () => {
    await browsers?.closeAll();
    await server?.dispose();
    console.log(`briefing.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  it('in open mode every point sees and hears the three others; the host on stage, the points in the host grid', async () => {
    await diagnosed('join', async () => {
      await allOf(EVERYONE.map((point) => browsers.openAndJoin(point)));
      // Directed mode is the default: only the host would be heard.
      const state = await new HostApi(server, briefing).setMode('open');
      assert.equal(state.mode, 'open', `POST /mode {"mode": "open"} answers the new state; got ${JSON.stringify(state)}`);
      await allOf(EVERYONE.map(waitForEveryoneAt));

      const host = browsers.of(HOST);
      for (const point of othersThan(HOST)) {
        await waitFor(async () => (await host.videoCount(point, '[data-role=grid]')) > 0, {
          timeout: seconds(5),
          message: `${HOST} (host): ${videoOf(point)} inside [data-role=grid]`,
        });
      }
      for (const point of othersThan(HOST)) {
        await waitFor(async () => (await browsers.of(point).videoCount(HOST, '[data-role=stage]')) > 0, {
          timeout: seconds(5),
          message: `${point}: the host's ${videoOf(HOST)} inside [data-role=stage]`,
        });
      }
    });
    everyoneJoined = true;
  });

  it('media keeps flowing while garbage arrives on the media port', async () => {
    assert.ok(everyoneJoined, 'not run: the points never all received each other (see the first test)');
    await diagnosed('garbage', async () => {
      const droppedBefore = (await server.metric(DROPPED)) ?? 0;
      const datagrams = garbageDatagrams();

      await sendDatagrams(server.mediaPort, datagrams);

      server.assertRunning();
      assert.equal((await server.get('/healthz')).status, 200, 'GET /healthz after the garbage');
      await allOf(EVERYONE.map((p) => browsers.of(p).waitForMediaFrom(othersThan(p), { timeout: seconds(10) })));
      /** @type {number | null} */
      let dropped = null;
      await waitFor(async () => {
        dropped = await server.metric(DROPPED);
        return dropped !== null && dropped > droppedBefore;
      }, {
        timeout: seconds(5),
        message: () => `${DROPPED} above ${droppedBefore} after ${datagrams.length} garbage datagrams (now ${dropped})`,
      });
      for (const point of EVERYONE) {
        const errors = browsers.of(point).signals.filter((s) => s.dir === 'in' && s.type === 'error');
        assert.deepEqual(errors, [], `${point}: signalling errors during the garbage`);
      }
    });
  });

  it('a point that leaves disappears everywhere and is seen again when it comes back', async () => {
    assert.ok(everyoneJoined, 'not run: the points never all received each other (see the first test)');
    await diagnosed('leave-return', async () => {
      const stayers = othersThan(NGHI_LOC);

      await browsers.close(NGHI_LOC);

      await allOf(stayers.map((point) => waitFor(async () => (await browsers.of(point).videoCount(NGHI_LOC)) === 0, {
        timeout: seconds(10),
        message: `${point}: ${videoOf(NGHI_LOC)} gone after ${NGHI_LOC} closed its browser`,
      })));

      await browsers.openAndJoin(NGHI_LOC);

      // Each of the three others sees the returning point again, and it sees them.
      await allOf(EVERYONE.map(waitForEveryoneAt));
    });
  });
});
