// The network check's analysis (web/js/netcheck.js) over statistics recorded from Chromium
// (fixtures/, see their "recorded" field) and over small hand-made snapshots for the routes a
// test network cannot easily give (a TURN relay chosen, a slow or lossy line, no route).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { THRESHOLDS, analyse, parseCandidates } from '../../web/js/netcheck.js';

/** @typedef {import('../../web/js/netcheck.js').Snapshot} Snapshot */

/**
 * A recorded fixture as the two snapshots `analyse` takes.
 * @param {string} name
 */
function recorded(name) {
  const data = JSON.parse(fs.readFileSync(new URL(`fixtures/${name}.json`, import.meta.url), 'utf8'));
  /** @param {{stats: any[], sdp: string, iceServers: any[]}} s @returns {Snapshot} */
  const snapshot = (s) => ({
    stats: s.stats,
    remoteCandidates: parseCandidates(s.sdp),
    turnConfigured: s.iceServers.length > 0,
  });
  return { server: data.server, before: snapshot(data.before), after: snapshot(data.after) };
}

const SERVER = '203.0.113.10';
const PORT = 40000;
const REMOTE = [
  { address: SERVER, port: PORT, protocol: 'udp', type: 'host' },
  { address: SERVER, port: PORT, protocol: 'tcp', type: 'host' },
];

/**
 * A hand-made snapshot: one candidate pair per entry of `pairs`, the first `selected` one
 * chosen by the transport, and inbound audio/video counters.
 *
 * @param {object} o
 * @param {number} o.at timestamp in ms
 * @param {{route: 'udp' | 'tcp' | 'relay', state: string, selected?: boolean, rtt?: number, out?: number}[]} o.pairs
 *   `rtt` in seconds, `out` availableOutgoingBitrate in bit/s
 * @param {number} [o.bytes] the transport's bytesReceived
 * @param {{audio?: [number, number], video?: [number, number]}} [o.inbound] [packetsReceived, packetsLost]
 * @param {number} [o.jitter] audio jitter in seconds
 * @param {boolean} [o.turn]
 * @param {typeof REMOTE} [o.remote]
 * @returns {Snapshot}
 */
function snap({ at, pairs, bytes = 0, inbound = {}, jitter = 0.004, turn = false, remote = REMOTE }) {
  /** @type {Record<string, any>[]} */
  const stats = [];
  let selectedId = '';
  pairs.forEach((p, i) => {
    const relay = p.route === 'relay';
    const protocol = p.route === 'tcp' ? 'tcp' : 'udp';
    stats.push({ id: `L${i}`, type: 'local-candidate', timestamp: at, protocol, candidateType: relay ? 'relay' : 'host', ...(relay ? { relayProtocol: 'tcp' } : {}) });
    stats.push({ id: `R${i}`, type: 'remote-candidate', timestamp: at, address: SERVER, port: PORT, protocol, candidateType: 'host' });
    stats.push({
      id: `P${i}`, type: 'candidate-pair', timestamp: at, localCandidateId: `L${i}`, remoteCandidateId: `R${i}`,
      state: p.state, nominated: Boolean(p.selected),
      ...(p.rtt !== undefined ? { currentRoundTripTime: p.rtt } : {}),
      ...(p.out !== undefined ? { availableOutgoingBitrate: p.out } : {}),
    });
    if (p.selected && !selectedId) selectedId = `P${i}`;
  });
  stats.push({ id: 'T', type: 'transport', timestamp: at, bytesReceived: bytes, ...(selectedId ? { selectedCandidatePairId: selectedId } : {}) });
  for (const kind of /** @type {const} */ (['audio', 'video'])) {
    const counts = inbound[kind];
    if (!counts) continue;
    stats.push({ id: `IN-${kind}`, type: 'inbound-rtp', kind, timestamp: at, packetsReceived: counts[0], packetsLost: counts[1], jitter: kind === 'audio' ? jitter : 0.01 });
  }
  return { stats, remoteCandidates: remote, turnConfigured: turn };
}

/** Five seconds on a good line: `mbps` received, audio and video without loss. */
function goodLine({ route = /** @type {'udp' | 'tcp' | 'relay'} */ ('udp'), rtt = 0.02, out = 2_000_000, mbps = 1.5, turn = false } = {}) {
  const pairs = [{ route, state: 'succeeded', selected: true, rtt, out }];
  return {
    before: snap({ at: 0, pairs, bytes: 0, inbound: { audio: [0, 0], video: [0, 0] }, turn }),
    after: snap({ at: 5000, pairs, bytes: (mbps * 1e6 * 5) / 8, inbound: { audio: [250, 0], video: [600, 0] }, turn }),
  };
}

describe('network check over recorded Chromium statistics', () => {
  it('passes a normal network: UDP works and is the route, TCP not needed, no TURN configured', () => {
    const { server, before, after } = recorded('netcheck-normal');
    const r = analyse(before, after);
    assert.deepEqual(r.transports, { udp: 'works', tcp: 'not-needed', relay: 'not-configured' });
    assert.equal(r.route?.kind, 'udp');
    assert.deepEqual(r.media, { address: server.address, port: server.mediaPort });
    assert.ok(r.rttMs !== null && r.rttMs < THRESHOLDS.rttMs, `rtt ${r.rttMs}`);
    assert.ok(r.upKbps !== null && r.upKbps >= THRESHOLDS.upKbps, `uplink ${r.upKbps}`);
    // Two points and thumbnails only: less than 1 Mbit/s arrives, all of it.
    assert.ok(r.downKbps !== null && r.downKbps > 50, `downlink ${r.downKbps}`);
    assert.equal(r.audioLoss, 0);
    assert.ok(r.jitterMs !== null && r.jitterMs >= 0);
    assert.ok(Math.abs(r.seconds - 5) < 0.5, `measured over ${r.seconds} s`);
    assert.deepEqual(r.advice, []);
    assert.equal(r.ok, true);
  });

  it('names the UDP port to open when UDP is blocked and media goes over TCP', () => {
    const { server, before, after } = recorded('netcheck-udp-blocked');
    const r = analyse(before, after);
    assert.equal(r.transports.udp, 'failed');
    assert.equal(r.transports.tcp, 'works');
    assert.equal(r.route?.kind, 'tcp');
    assert.equal(r.route?.remote.port, server.mediaPort);
    assert.deepEqual(r.advice, [
      { code: 'openUdp', address: server.address, port: server.mediaPort },
      { code: 'tcp' },
    ]);
    assert.equal(r.ok, false);
  });
});

describe('network check verdicts', () => {
  it('reports a route through TURN, with UDP and TCP to the server failed', () => {
    const pairs = [
      { route: /** @type {const} */ ('udp'), state: 'in-progress' },
      { route: /** @type {const} */ ('tcp'), state: 'in-progress' },
      { route: /** @type {const} */ ('relay'), state: 'succeeded', selected: true, rtt: 0.05, out: 1_500_000 },
    ];
    const before = snap({ at: 0, pairs, inbound: { audio: [0, 0] }, turn: true });
    const after = snap({ at: 5000, pairs, bytes: 1_000_000, inbound: { audio: [250, 0] }, turn: true });
    const r = analyse(before, after);
    assert.deepEqual(r.transports, { udp: 'failed', tcp: 'failed', relay: 'works' });
    assert.equal(r.route?.kind, 'relay');
    assert.equal(r.route?.relayProtocol, 'tcp');
    assert.deepEqual(r.advice, [{ code: 'openUdp', address: SERVER, port: PORT }, { code: 'relay' }]);
    assert.equal(r.ok, false);
  });

  it('says TURN was not needed when it is configured and direct UDP works', () => {
    const { before, after } = goodLine({ turn: true });
    const r = analyse(before, after);
    assert.equal(r.transports.relay, 'not-needed');
    assert.equal(r.ok, true);
  });

  it('flags a round-trip time at the threshold and a low uplink estimate', () => {
    const { before, after } = goodLine({ rtt: THRESHOLDS.rttMs / 1000, out: 200_000 });
    const r = analyse(before, after);
    assert.deepEqual(r.advice, [{ code: 'highRtt', ms: THRESHOLDS.rttMs }, { code: 'lowBandwidth' }]);
    assert.equal(r.ok, false);
  });

  it('passes a downlink under 1 Mbit/s that loses nothing, and fails one that loses packets', () => {
    const pairs = [{ route: /** @type {const} */ ('udp'), state: 'succeeded', selected: true, rtt: 0.02, out: 2_000_000 }];
    const before = snap({ at: 0, pairs, inbound: { audio: [0, 0], video: [0, 0] } });
    const clean = snap({ at: 5000, pairs, bytes: 150_000, inbound: { audio: [250, 0], video: [400, 0] } });
    assert.equal(analyse(before, clean).ok, true, 'a clean 240 kbit/s downlink');

    const lossy = snap({ at: 5000, pairs, bytes: 150_000, inbound: { audio: [250, 0], video: [370, 30] } });
    const r = analyse(before, lossy);
    assert.ok(r.downKbps !== null && Math.abs(r.downKbps - 240) < 1, `downlink ${r.downKbps}`);
    assert.deepEqual(r.advice, [{ code: 'lowBandwidth' }]);
  });

  it('flags audio loss of 5 % and more, measured over the window only', () => {
    const pairs = [{ route: /** @type {const} */ ('udp'), state: 'succeeded', selected: true, rtt: 0.02, out: 2_000_000 }];
    // 1000 packets lost before the check started do not count.
    const before = snap({ at: 0, pairs, inbound: { audio: [5000, 1000] } });
    const after = snap({ at: 5000, pairs, bytes: 1_000_000, inbound: { audio: [5090, 1010] }, jitter: 0.035 });
    const r = analyse(before, after);
    assert.equal(r.audioLoss, 0.1);
    assert.equal(r.jitterMs, 35);
    assert.deepEqual(r.advice, [{ code: 'highLoss', loss: 0.1 }]);
  });

  it('asks to open UDP and TCP when media has no route at all', () => {
    const pairs = [
      { route: /** @type {const} */ ('udp'), state: 'failed' },
      { route: /** @type {const} */ ('tcp'), state: 'failed' },
    ];
    const r = analyse(snap({ at: 0, pairs }), snap({ at: 5000, pairs }));
    assert.equal(r.route, null);
    assert.deepEqual(r.transports, { udp: 'failed', tcp: 'failed', relay: 'not-configured' });
    assert.deepEqual(r.advice, [{ code: 'noRoute', address: SERVER, port: PORT }]);
    assert.equal(r.ok, false);
  });

  it('names the UDP candidate of the address family in use', () => {
    const remote = [
      { address: '198.51.100.7', port: 41000, protocol: 'udp', type: 'host' },
      { address: '2001:db8::7', port: 41000, protocol: 'udp', type: 'host' },
      { address: '2001:db8::7', port: 41000, protocol: 'tcp', type: 'host' },
    ];
    const pairs = [
      { route: /** @type {const} */ ('udp'), state: 'in-progress' },
      { route: /** @type {const} */ ('tcp'), state: 'succeeded', selected: true, rtt: 0.02, out: 2_000_000 },
    ];
    const before = snap({ at: 0, pairs, remote });
    const after = snap({ at: 5000, pairs, bytes: 1_000_000, remote });
    // The selected remote candidate of the hand-made pairs is SERVER (IPv4): pick the IPv4 one.
    assert.deepEqual(analyse(before, after).media, { address: '198.51.100.7', port: 41000 });
    for (const s of after.stats) if (s.type === 'remote-candidate') s.address = '2001:db8::7';
    assert.deepEqual(analyse(before, after).media, { address: '2001:db8::7', port: 41000 });
  });
});

describe('parseCandidates', () => {
  it('reads the candidates of an SDP, CRLF or LF, UDP and passive TCP, IPv4 and IPv6', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=candidate:1 1 udp 2130706175 10.1.2.1 58658 typ host generation 0',
      'a=candidate:2 1 TCP 1526725887 10.1.2.1 58658 typ host tcptype passive',
      'a=candidate:3 1 udp 2130706174 fd00::1 58658 typ host',
      'a=candidate:4 1 udp 16777215 192.0.2.9 3478 typ relay raddr 0.0.0.0 rport 0',
      'a=ice-ufrag:abcd',
    ].join('\r\n');
    assert.deepEqual(parseCandidates(sdp), [
      { protocol: 'udp', address: '10.1.2.1', port: 58658, type: 'host' },
      { protocol: 'tcp', address: '10.1.2.1', port: 58658, type: 'host' },
      { protocol: 'udp', address: 'fd00::1', port: 58658, type: 'host' },
      { protocol: 'udp', address: '192.0.2.9', port: 3478, type: 'relay' },
    ]);
    assert.deepEqual(parseCandidates(sdp.replaceAll('\r\n', '\n')), parseCandidates(sdp));
    assert.deepEqual(parseCandidates(''), []);
  });
});
