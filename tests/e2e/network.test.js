// Media off loopback: the server listens on one end of a veth pair, and the points' Chromium
// runs in a network namespace at the other end, as a commune's office reaches the provincial
// data centre. Over IPv4 and IPv6, and through a 1:1 NAT (the advertised public address is
// translated by iptables to the server's own address), the points see and hear each other.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CHROMIUM_BIN,
  ARTIFACTS,
  Server,
  createBriefing,
  freeTcpPort,
  parseMetric,
  selfSignedCertificate,
  seconds,
  tokenOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';
import { Netns, run } from './lib/netns.js';
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
 *   tls?: import('./lib/harness.js').TlsFiles,
 *   then?: (ctx: { server: Server, briefing: import('./lib/harness.js').Briefing, browsers: PointBrowsers }) => Promise<void> }} opts
 *   `host`: the address the server listens on; `args`: more options of `giaoban serve`;
 *   `beforeJoin`: runs once the server is up; `route`: the candidate types and protocols each
 *   point's selected pair must have (see `selectedRoute`); `then`: runs once media flows;
 *   `tls`: serve HTTPS with this certificate (the browsers get no insecure-origin exception)
 */
async function pointsSeeAndHearEachOther({ name, host, args = [], beforeJoin, route, then, countPeerConnections = false, tls }) {
  const server = await Server.start({ name: `network-${name}`, host, args, tls });
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
      args: tls ? [] : [`--unsafely-treat-insecure-origin-as-secure=${server.baseUrl}`],
      ignoreHTTPSErrors: Boolean(tls),
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

  it('see and hear each other over IPv4 on a non-loopback address, undisturbed by garbage on the TCP media port', async () => {
    await pointsSeeAndHearEachOther({
      name: 'ipv4',
      host: netns.hostIp,
      then: async ({ server, browsers }) => {
        const tcpConnections = async () => parseMetric(await server.metricsText(), 'giaoban_media_tcp_connections') ?? 0;
        const before = await tcpConnections();
        // Ten connections send garbage (an HTTP request, random bytes), ten send nothing.
        /** @type {net.Socket[]} */
        const sockets = [];
        for (let i = 0; i < 20; i += 1) {
          const socket = net.connect({ host: netns.hostIp, port: server.mediaPort });
          socket.on('error', () => {});
          if (i < 10) {
            socket.write(i % 2 ? 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' : randomBytes(3000));
          }
          sockets.push(socket);
        }
        try {
          await waitFor(async () => (await tcpConnections()) >= before + 20, { message: 'the 20 connections are open' });
          await browsers.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(10) });
          await browsers.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(10) });
          // The silent ones are closed after 10 s without a frame; the others after 30 s idle.
          await waitFor(async () => (await tcpConnections()) <= before + 10, { timeout: seconds(20), message: 'silent TCP connections closed by the server' });
          server.assertRunning();
        } finally {
          for (const socket of sockets) socket.destroy();
        }
      },
    });
  });

  it('publish their cameras over HTTPS from a non-loopback address', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-tls-'));
    try {
      const tls = await selfSignedCertificate(dir, netns.hostIp);
      await pointsSeeAndHearEachOther({
        name: 'https',
        host: netns.hostIp,
        tls,
        then: async ({ server, browsers }) => {
          assert.ok(server.baseUrl.startsWith('https://'), server.baseUrl);
          const secure = await browsers.of(XA).page.evaluate(() => window.isSecureContext && location.protocol);
          assert.equal(secure, 'https:', 'the page is a secure context over https');
        },
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
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

  it('come back through an ICE restart, with the same peer connection, when the media port is cut off for 12 s', async () => {
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
        // Long enough for the browser to give up on ICE by itself (it notices after ~5 s) and
        // ask for a restart, short of the 15 s after which the server drops a silent session.
        await new Promise((resolve) => setTimeout(resolve, 12000));
        await netns.exec('iptables', ['-F', 'OUTPUT']);
        const back = Date.now();
        await browsers.of(XA).waitForMediaFrom([PHUONG], { timeout: seconds(15) });
        await browsers.of(PHUONG).waitForMediaFrom([XA], { timeout: seconds(15) });
        console.log(`network.test.js: media flowing again ${((Date.now() - back) / 1000).toFixed(1)} s after a 12 s cut of the media port`);
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

  it('hear each other through a weak link (5 % loss each way, 1 Mbit/s), and can choose audio only', async () => {
    // This kernel may lack netem (delay); loss comes from iptables, the rate from tbf.
    const lossy = ['-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP'];
    await pointsSeeAndHearEachOther({
      name: 'weak-link',
      host: netns.hostIp,
      then: async ({ server, browsers }) => {
        await netns.exec('iptables', ['-A', 'OUTPUT', '-p', 'udp', ...lossy]);
        await netns.exec('iptables', ['-A', 'INPUT', '-p', 'udp', ...lossy]);
        await netns.exec('tc', ['qdisc', 'add', 'dev', netns.nsIf, 'root', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']);
        await run('tc', ['qdisc', 'add', 'dev', netns.hostIf, 'root', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']);
        try {
          const listener = browsers.of(XA);
          await new Promise((resolve) => setTimeout(resolve, 3000));
          const before = await listener.sample();
          await new Promise((resolve) => setTimeout(resolve, 15000));
          const after = await listener.sample();
          const a0 = before.points[PHUONG]?.audio;
          const a1 = after.points[PHUONG]?.audio;
          assert.ok(a0 && a1, 'audio statistics of the other point');
          const samples = a1.totalSamplesReceived - a0.totalSamplesReceived;
          const concealed = a1.concealedSamples - a0.concealedSamples;
          const ratio = concealed / Math.max(1, samples);
          console.log(`network.test.js: weak link: ${(100 * ratio).toFixed(1)} % of the audio concealed over 15 s (${concealed} of ${samples} samples)`);
          assert.ok(samples > 15 * 48000 * 0.8, `audio kept arriving: ${samples} samples in 15 s`);
          assert.ok(ratio < 0.12, `at most 12 % of the audio concealed through 5 % loss, got ${(100 * ratio).toFixed(1)} %`);

          // Audio only: the point stops receiving (and sending) video; audio goes on.
          await listener.page.locator('[data-action=toggle-audio-only]').click();
          await new Promise((resolve) => setTimeout(resolve, 3000));
          const v0 = await listener.sample();
          await new Promise((resolve) => setTimeout(resolve, 4000));
          const v1 = await listener.sample();
          const frames = (v1.points[PHUONG]?.video?.framesDecoded ?? 0) - (v0.points[PHUONG]?.video?.framesDecoded ?? 0);
          const audio = (v1.points[PHUONG]?.audio?.packetsReceived ?? 0) - (v0.points[PHUONG]?.audio?.packetsReceived ?? 0);
          assert.equal(frames, 0, 'no video frames decoded in audio-only mode');
          assert.ok(audio > 100, `audio still arrives in audio-only mode: ${audio} packets in 4 s`);
          server.assertRunning();
        } finally {
          await netns.exec('iptables', ['-F', 'OUTPUT']).catch(() => {});
          await netns.exec('iptables', ['-F', 'INPUT']).catch(() => {});
          await run('tc', ['qdisc', 'del', 'dev', netns.hostIf, 'root']).catch(() => {});
        }
      },
    });
  });
});
