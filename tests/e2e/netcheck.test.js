// The network check ("Kiểm tra mạng") a point runs from its live page: the server listens on
// one end of a veth pair and the points' Chromium runs in a network namespace at the other
// end (lib/netns.js). On a normal network the check passes over UDP; with UDP dropped in the
// namespace it reports TCP in use and names the UDP port and address to open.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CHROMIUM_BIN,
  Server,
  createBriefing,
  seconds,
  tokenOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { Netns } from './lib/netns.js';
import { PointBrowsers, visibleText } from './lib/pages.js';

const TITLE = 'Giao ban chạy thử trước kỳ họp';
const HOST = 'Sở Thông tin và Truyền thông';
const XA = 'UBND xã Hưng Nguyên';

/** @type {Netns} */
let netns;

/**
 * Starts a server on the machine's end of the pair and a briefing (open discussion, so every
 * point's sound is forwarded), opens the host's and a point's pages in the namespace, and
 * waits until each receives the other's audio and video; then runs `fn`.
 *
 * @param {string} name
 * @param {(ctx: { server: Server, browsers: PointBrowsers }) => Promise<void>} fn
 */
async function withTwoPoints(name, fn) {
  const server = await Server.start({ name: `netcheck-${name}`, host: netns.hostIp });
  /** @type {PointBrowsers | undefined} */
  let browsers;
  try {
    const briefing = await createBriefing({
      dataDir: server.dataDir,
      title: TITLE,
      host: HOST,
      points: [XA],
      baseUrl: server.baseUrl,
    });
    const opened = await server.request('POST', `/api/briefings/${briefing.id}/mode`, {
      token: tokenOf(briefing.link(HOST).url),
      body: { mode: 'open' },
    });
    assert.equal(opened.status, 200, 'the host could not open the discussion');
    browsers = new PointBrowsers(briefing, {
      executablePath: await netns.chromiumWrapper(CHROMIUM_BIN),
      // The camera needs a secure context; plain HTTP on a non-loopback address is not one.
      args: [`--unsafely-treat-insecure-origin-as-secure=${server.baseUrl}`],
    });
    const b = browsers;
    await withDiagnostics({ name: `netcheck-${name}`, server, clients: () => b.all() }, async () => {
      await b.openAndJoin(HOST);
      await b.openAndJoin(XA);
      await b.of(HOST).waitForMediaFrom([XA], { timeout: seconds(40) });
      await b.of(XA).waitForMediaFrom([HOST], { timeout: seconds(40) });
      await fn({ server, browsers: b });
    });
  } finally {
    await browsers?.closeAll();
    await server.dispose();
  }
}

/**
 * What the network check's dialog shows once it has measured.
 * @typedef {object} Shown
 * @property {string} verdict
 * @property {string[]} advice
 * @property {Record<string, string>} rows the figures by row (`udp`, `tcp`, `relay`, `route`, `rtt`, …)
 */

/**
 * Presses "Kiểm tra mạng" (or, when the dialog is open, "Chạy lại"), checks that a progress
 * indication shows while it measures, and returns what the dialog shows at the end.
 *
 * @param {import('./lib/harness.js').Client} client
 * @param {'open' | 'rerun'} how
 * @returns {Promise<Shown>}
 */
async function runCheck(client, how) {
  const page = client.page;
  const dialog = page.locator('[data-role=netcheck]');
  await page.click(how === 'open' ? '[data-action=netcheck]' : '[data-action=netcheck-rerun]', { timeout: seconds(10) });
  let progress = '';
  await waitFor(async () => {
    progress = await visibleText(dialog.locator('[data-role=netcheck-status]'));
    return progress !== '';
  }, { timeout: seconds(5), message: () => `${client.label}: the progress of the network check (shown: ${JSON.stringify(progress)})` });
  assert.match(progress, /Đang đo|Measuring/, `${client.label}: progress text`);

  let verdict = '';
  await waitFor(async () => {
    verdict = await visibleText(dialog.locator('[data-role=netcheck-verdict]'));
    return verdict !== '' || (await visibleText(dialog.locator('[data-role=netcheck-error]'))) !== '';
  }, { timeout: seconds(20), message: () => `${client.label}: the network check's verdict` });
  const error = await visibleText(dialog.locator('[data-role=netcheck-error]'));
  assert.equal(error, '', `${client.label}: the network check failed to measure`);
  assert.equal(await visibleText(dialog.locator('[data-role=netcheck-status]')), '', 'the progress is gone once measured');

  const advice = await dialog.locator('[data-role=netcheck-advice] li').allTextContents();
  /** @type {Record<string, string>} */
  const rows = {};
  for (const row of await dialog.locator('[data-role=netcheck-details] tr').all()) {
    rows[(await row.getAttribute('data-row')) ?? '?'] = ((await row.locator('td').textContent()) ?? '').trim();
  }
  return { verdict, advice: advice.map((a) => a.trim()), rows };
}

describe('network check of a point', { timeout: seconds(300) }, () => {
  before(async () => {
    netns = await Netns.create('nchk');
  });

  after(async () => {
    await netns?.dispose();
  });

  it('passes on a normal network, with UDP working and in use, and runs again on request', async () => {
    await withTwoPoints('normal', async ({ server, browsers }) => {
      const host = browsers.of(HOST);
      const shown = await runCheck(host, 'open');
      const context = JSON.stringify(shown);
      assert.equal(shown.verdict, 'Mạng của điểm cầu đạt yêu cầu', context);
      assert.deepEqual(shown.advice, [], context);
      assert.equal(shown.rows.udp, 'Hoạt động', context);
      assert.equal(shown.rows.relay, 'Chưa thử (không có máy chủ TURN)', context);
      assert.equal(shown.rows.route, `UDP tới ${netns.hostIp} cổng ${server.mediaPort}`, context);
      assert.match(shown.rows.rtt, /^\d+ ms$/, context);
      assert.match(shown.rows.up, /^[\d,]+ [kM]bit\/s$/, context);
      assert.match(shown.rows.down, /^[\d,]+ [kM]bit\/s$/, context);
      const help = await visibleText(host.page.locator('[data-role=netcheck-help]'));
      assert.ok(help.includes('300 ms') && help.includes('300 kbit/s') && help.includes('1 Mbit/s'), `the thresholds in the help: ${help}`);

      // "Chạy lại" measures again.
      const again = await runCheck(host, 'rerun');
      assert.equal(again.verdict, 'Mạng của điểm cầu đạt yêu cầu', JSON.stringify(again));
      await host.page.click('[data-action=netcheck-close]');
      assert.equal(await host.page.locator('[data-role=netcheck]').isVisible(), false, 'the dialog closes');

      // In English.
      await host.page.click('[data-action=lang]');
      const english = await runCheck(host, 'open');
      assert.equal(english.verdict, 'This point\'s network meets the requirements', JSON.stringify(english));
      assert.equal(english.rows.udp, 'Works', JSON.stringify(english));
    });
  });

  it('says TCP is in use and names the UDP port to open when the network drops UDP', async () => {
    await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'udp', '-j', 'DROP']);
    try {
      await withTwoPoints('udp-blocked', async ({ server, browsers }) => {
        const shown = await runCheck(browsers.of(XA), 'open');
        const context = JSON.stringify(shown);
        assert.equal(shown.verdict, 'Mạng của điểm cầu chưa đạt yêu cầu', context);
        assert.ok(shown.advice.some((a) => a.startsWith(`Mở UDP cổng ${server.mediaPort} tới ${netns.hostIp}`)),
          `advice to open UDP port ${server.mediaPort} to ${netns.hostIp}: ${context}`);
        assert.ok(shown.advice.includes('Đang dùng TCP: chất lượng có thể kém hơn'), context);
        assert.equal(shown.rows.udp, 'Không thông', context);
        assert.equal(shown.rows.tcp, 'Hoạt động', context);
        assert.equal(shown.rows.route, `TCP tới ${netns.hostIp} cổng ${server.mediaPort}`, context);
      });
    } finally {
      await netns.exec('iptables', ['-F', 'OUTPUT']).catch(() => {});
    }
  });
});
