// Media off loopback: the server listens on one end of a veth pair, and the points' Chromium
// runs in a network namespace at the other end, as a commune's office reaches the provincial
// data centre. Over IPv4 and IPv6, and through a 1:1 NAT (the advertised public address is
// translated by iptables to the server's own address), the points see and hear each other.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CHROMIUM_BIN,
  ARTIFACTS,
  Server,
  createBriefing,
  freeTcpPort,
  seconds,
  tokenOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { Netns } from './lib/netns.js';
import { PointBrowsers } from './lib/pages.js';

const TITLE = 'Giao ban trực tuyến tỉnh với các xã';
const HOST = 'Sở Khoa học và Công nghệ';
const XA = 'UBND xã Nghi Lộc';
const PHUONG = 'UBND phường Cửa Lò';

/** @type {Netns} */
let netns;

/**
 * Starts a server, a briefing and two points in the namespace, and waits until each point
 * receives the other's audio and video.
 *
 * @param {{ name: string, host: string, args?: string[], beforeJoin?: (server: Server) => Promise<void>,
 *   route?: { local: string, remote: string }, countPeerConnections?: boolean,
 *   then?: (ctx: { server: Server, briefing: import('./lib/harness.js').Briefing, browsers: PointBrowsers }) => Promise<void> }} opts
 *   `host`: the address the server listens on; `args`: more options of `giaoban serve`;
 *   `beforeJoin`: runs once the server is up; `route`: the candidate types and protocols each
 *   point's selected pair must have (see `selectedRoute`); `then`: runs once media flows
 */
async function pointsSeeAndHearEachOther({ name, host, args = [], beforeJoin, route, then, countPeerConnections = false }) {
  const server = await Server.start({ name: `network-${name}`, host, args });
  /** @type {PointBrowsers | undefined} */
  let browsers;
  try {
    const briefing = await createBriefing({
      dataDir: server.dataDir,
      title: TITLE,
      host: HOST,
      points: [XA, PHUONG],
      baseUrl: server.baseUrl,
    });
    await beforeJoin?.(server);
    const opened = await server.request('POST', `/api/briefings/${briefing.id}/mode`, {
      token: tokenOf(briefing.link(HOST).url),
      body: { mode: 'open' },
    });
    assert.equal(opened.status, 200, 'the host could not open the discussion');
    browsers = new PointBrowsers(briefing, {
      countPeerConnections,
      executablePath: await netns.chromiumWrapper(CHROMIUM_BIN),
      // The camera needs a secure context; plain HTTP on a non-loopback address is not one.
      args: [`--unsafely-treat-insecure-origin-as-secure=${server.baseUrl}`],
    });
    const b = browsers;
    await withDiagnostics({ name: `network-${name}`, server, clients: () => b.all() }, async () => {
      await b.openAndJoin(XA);
      await b.openAndJoin(PHUONG);
      await b.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(40) });
      await b.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(40) });
      if (route) {
        for (const point of [XA, PHUONG]) {
          assert.deepEqual(await selectedRoute(b.of(point)), route, `the route ${point}'s media took`);
        }
      }
      await then?.({ server, briefing, browsers: b });
    });
  } finally {
    await browsers?.closeAll();
    await server.dispose();
  }
}

/**
 * The selected ICE candidate pair of a point's peer connection: the browser's side as its
 * protocol, or "relay/<protocol to the TURN server>"; the server's side as "type/protocol".
 *
 * @param {import('./lib/harness.js').Client} client
 * @returns {Promise<{ local: string, remote: string }>}
 */
async function selectedRoute(client) {
  return client.page.evaluate(async () => {
    const pc = /** @type {any} */ (window).giaoban?.pc;
    if (!pc) throw new Error('no peer connection');
    /** @type {Map<string, any>} */
    const stats = new Map();
    (await pc.getStats()).forEach((/** @type {any} */ r) => stats.set(r.id, r));
    const transport = [...stats.values()].find((r) => r.type === 'transport' && r.selectedCandidatePairId);
    const pair = transport && stats.get(transport.selectedCandidatePairId);
    if (!pair) throw new Error('no selected candidate pair');
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {
      // The browser's own TCP candidate is often learnt as peer-reflexive: its protocol is
      // what matters.
      local: local.candidateType === 'relay' ? `relay/${local.relayProtocol}` : local.protocol,
      remote: `${remote.candidateType}/${remote.protocol}`,
    };
  });
}

/**
 * Asserts that each point's attendance shows one session, still open.
 *
 * @param {Server} server
 * @param {import('./lib/harness.js').Briefing} briefing
 */
async function assertOneSession(server, briefing) {
  const attendance = await server.request('GET', `/api/briefings/${briefing.id}/attendance`, {
    token: tokenOf(briefing.link(HOST).url),
  });
  assert.equal(attendance.status, 200);
  for (const point of [XA, PHUONG]) {
    const row = attendance.body.find((/** @type {any} */ r) => r.point === point);
    assert.equal(row?.sessions?.length, 1, `${point} should have one attendance session: ${JSON.stringify(row)}`);
    assert.equal(row.sessions[0].left_at, null, `${point} is still connected`);
  }
}

/**
 * Starts coturn on the machine's end of the pair, with time-limited credentials made from
 * `secret` (use-auth-secret), and returns a function that stops it.
 *
 * @param {{ ip: string, port: number, secret: string, log: string }} opts
 * @returns {Promise<() => Promise<void>>}
 */
async function startCoturn({ ip, port, secret, log }) {
  const proc = spawn('turnserver', [
    '-n', '--no-cli', '--no-tls', '--no-dtls', '--fingerprint', '--simple-log',
    `--listening-ip=${ip}`, `--listening-port=${port}`, `--relay-ip=${ip}`,
    '--min-port=49160', '--max-port=49260',
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=giaoban.test',
    `--log-file=${log}`, `--pidfile=${log}.pid`,
  ], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // Ready when it accepts TCP on its port.
  await waitFor(() => new Promise((resolve) => {
    const s = net.connect({ host: ip, port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  }), { timeout: seconds(15), message: `coturn listening on ${ip}:${port} (log: ${log})` });
  return async () => {
    proc.kill('SIGTERM');
    await exited;
  };
}

describe('points in another network namespace', { timeout: seconds(400) }, () => {
  before(async () => {
    netns = await Netns.create('net');
  });

  after(async () => {
    await netns?.dispose();
  });

  it('see and hear each other over IPv4 on a non-loopback address', async () => {
    await pointsSeeAndHearEachOther({ name: 'ipv4', host: netns.hostIp });
  });

  it('see and hear each other over IPv6', async () => {
    await pointsSeeAndHearEachOther({ name: 'ipv6', host: netns.hostIp6 });
  });

  it('see and hear each other through a 1:1 NAT (public address advertised, private on the interface)', async () => {
    // Inside the namespace, the "public" address is translated to the server's own address,
    // and the answers back, as a data centre's 1:1 NAT does.
    const publicIp = netns.hostIp.replace(/\.1$/, '.200');
    await netns.exec('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-d', publicIp, '-j', 'DNAT', '--to-destination', netns.hostIp]);
    try {
      await pointsSeeAndHearEachOther({
        name: 'nat',
        host: netns.hostIp,
        args: ['--public-ip', `${publicIp}@${netns.hostIp}`],
      });
    } finally {
      await netns.exec('iptables', ['-t', 'nat', '-F', 'OUTPUT']).catch(() => {});
    }
  });

  it('see and hear each other over ICE-TCP when their network blocks UDP', async () => {
    await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'udp', '-j', 'DROP']);
    try {
      await pointsSeeAndHearEachOther({
        name: 'tcp',
        host: netns.hostIp,
        route: { local: 'tcp', remote: 'host/tcp' },
      });
    } finally {
      await netns.exec('iptables', ['-F', 'OUTPUT']).catch(() => {});
    }
  });

  it('see and hear each other through coturn over TCP when UDP and TCP to the media port are blocked', async () => {
    const secret = `s-${Date.now()}`;
    const turnPort = await freeTcpPort();
    const stopCoturn = await startCoturn({
      ip: netns.hostIp,
      port: turnPort,
      secret,
      log: path.join(ARTIFACTS, `coturn-${Date.now()}.log`),
    });
    try {
      await pointsSeeAndHearEachOther({
        name: 'turn',
        host: netns.hostIp,
        args: ['--turn-url', `turn:${netns.hostIp}:${turnPort}?transport=tcp`, '--turn-secret', secret],
        beforeJoin: async (server) => {
          await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'udp', '-j', 'DROP']);
          await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--dport', String(server.mediaPort), '-j', 'DROP']);
        },
        route: { local: 'relay/tcp', remote: 'host/udp' },
      });
    } finally {
      await netns.exec('iptables', ['-F', 'OUTPUT']).catch(() => {});
      await stopCoturn();
    }
  });

  it('come back after a 5 s outage without a reload, in the same attendance session', async () => {
    await pointsSeeAndHearEachOther({
      name: 'outage',
      host: netns.hostIp,
      then: async ({ server, briefing, browsers }) => {
        for (const point of [XA, PHUONG]) {
          await browsers.of(point).page.evaluate(() => { /** @type {any} */ (window).__e2eSamePage = true; });
        }
        await netns.link('down');
        await new Promise((resolve) => setTimeout(resolve, 5000));
        await netns.link('up');
        const back = Date.now();
        await browsers.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(10) });
        await browsers.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(10) });
        const reconnectSeconds = (Date.now() - back) / 1000;
        console.log(`network.test.js: media flowing again ${reconnectSeconds.toFixed(1)} s after a 5 s outage`);
        for (const point of [XA, PHUONG]) {
          const same = await browsers.of(point).page.evaluate(() => /** @type {any} */ (window).__e2eSamePage === true);
          assert.ok(same, `${point}'s page was reloaded`);
        }
        await assertOneSession(server, briefing);
      },
    });
  });

  it('come back through an ICE restart, with the same peer connection, when the media port is cut off for 8 s', async () => {
    await pointsSeeAndHearEachOther({
      name: 'ice-restart',
      host: netns.hostIp,
      countPeerConnections: true,
      then: async ({ server, briefing, browsers }) => {
        // Media to the server is cut (UDP and TCP to the media port) while the signalling
        // socket stays up.
        const port = String(server.mediaPort);
        await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'udp', '--dport', port, '-j', 'DROP']);
        await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--dport', port, '-j', 'DROP']);
        await new Promise((resolve) => setTimeout(resolve, 8000));
        await netns.exec('iptables', ['-F', 'OUTPUT']);
        const back = Date.now();
        await browsers.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(15) });
        await browsers.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(15) });
        console.log(`network.test.js: media flowing again ${((Date.now() - back) / 1000).toFixed(1)} s after an 8 s cut of the media port`);
        assert.ok(server.recent.some((l) => l.includes('ICE restart asked')), 'the server restarted ICE');
        for (const point of [XA, PHUONG]) {
          const made = await browsers.of(point).page.evaluate(() => /** @type {any} */ (window).__e2ePeerConnections);
          assert.equal(made, 1, `${point} kept its peer connection`);
        }
        await assertOneSession(server, briefing);
      },
    });
  });

  it('come back after a network change (a new address), in the same attendance session', async () => {
    await pointsSeeAndHearEachOther({
      name: 'new-address',
      host: netns.hostIp,
      then: async ({ server, briefing, browsers }) => {
        await netns.link('down');
        await netns.readdress(netns.nsIp.replace(/\.\d+$/, `.${10 + Math.floor(Math.random() * 200)}`));
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await netns.link('up');
        const back = Date.now();
        await browsers.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(20) });
        await browsers.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(20) });
        console.log(`network.test.js: media flowing again ${((Date.now() - back) / 1000).toFixed(1)} s after a change of address`);
        await assertOneSession(server, briefing);
      },
    });
  });
});
