// The network check of a point ("Kiểm tra mạng"): which routes to the server's media port
// work (UDP, TCP, a TURN relay), the route in use, its round-trip time, the uplink estimate,
// the downlink rate, and the loss and jitter of the audio received, all read from the live
// peer connection's statistics (W3C webrtc-stats); then what to ask the network
// administrator.
//
// `analyse` is pure: two snapshots taken a few seconds apart in, a result out, so recorded
// statistics test it without a browser. `takeSnapshot` and `runNetCheck` are the thin shell
// around a real RTCPeerConnection. No DOM, no strings for people: netcheck-panel.js shows
// the result in the page's language.

/**
 * What the check asks of a point's network. Round-trip time and audio loss must stay below,
 * rates reach at least. The uplink figure is the browser's estimate of what it could send
 * (`availableOutgoingBitrate`); the downlink one is what arrives, which is no more than the
 * server sends: a lower rate still passes when nothing is lost on the way.
 */
export const THRESHOLDS = Object.freeze({
  rttMs: 300,
  upKbps: 300,
  downKbps: 1000,
  /** audio packets lost, as a fraction */
  audioLoss: 0.05,
  /** inbound packets lost, as a fraction, below which a downlink under `downKbps` still passes */
  downLoss: 0.02,
});

/** How long the check measures the rates, loss and jitter. */
export const MEASURE_MS = 5000;

/**
 * `works`: a candidate pair over it succeeded. `failed`: it was tried, or the connection
 * settled on a less preferred route although the server offers it. `not-needed`: not tried,
 * a preferred route works. `not-configured` (relay only): no TURN server was given.
 * `not-tried`: nothing known yet (still connecting).
 * @typedef {'works' | 'failed' | 'not-needed' | 'not-configured' | 'not-tried'} TransportStatus
 */

/** @typedef {'udp' | 'tcp' | 'relay'} RouteKind */

/**
 * An ICE candidate as the check needs it.
 * @typedef {object} Candidate
 * @property {string} address
 * @property {number} port
 * @property {string} protocol 'udp' or 'tcp'
 * @property {string} type 'host', 'srflx', 'prflx' or 'relay'
 */

/**
 * Everything the check reads at one moment.
 * @typedef {object} Snapshot
 * @property {Record<string, any>[]} stats the entries of `RTCPeerConnection.getStats()`
 * @property {Candidate[]} remoteCandidates the server's candidates, from the remote description
 * @property {boolean} turnConfigured whether the connection was given a TURN server
 */

/**
 * @typedef {object} Route
 * @property {RouteKind} kind direct UDP, direct TCP, or through a TURN relay
 * @property {string | null} relayProtocol how the browser reaches the TURN server ('udp', 'tcp', 'tls')
 * @property {Candidate} remote the server's end of the selected pair
 */

/**
 * Something to tell the point, most important first.
 * @typedef {{code: 'noRoute', address: string, port: number}
 *   | {code: 'openUdp', address: string, port: number}
 *   | {code: 'tcp'}
 *   | {code: 'relay'}
 *   | {code: 'highRtt', ms: number}
 *   | {code: 'lowBandwidth'}
 *   | {code: 'highLoss', loss: number}} Advice
 */

/**
 * @typedef {object} NetCheckResult
 * @property {Record<RouteKind, TransportStatus>} transports
 * @property {Route | null} route the selected candidate pair; null when media has no route
 * @property {{address: string, port: number} | null} media the server's media address (its UDP one when offered)
 * @property {number | null} rttMs current round-trip time of the selected pair
 * @property {number | null} upKbps the browser's estimate of the uplink
 * @property {number | null} downKbps bytes received over the measurement, as a rate
 * @property {number | null} downLoss fraction of inbound packets (audio and video) lost over the measurement
 * @property {number | null} audioLoss fraction of inbound audio packets lost over the measurement
 * @property {number | null} jitterMs the largest jitter among the audio streams received
 * @property {number} seconds how long the rates were measured
 * @property {boolean} ok whether the network meets THRESHOLDS over direct UDP
 * @property {Advice[]} advice empty when ok
 */

/**
 * Compares two snapshots of one peer connection, `before` taken a few seconds before `after`.
 * @param {Snapshot} before
 * @param {Snapshot} after
 * @returns {NetCheckResult}
 */
export function analyse(before, after) {
  const byId = new Map(after.stats.map((s) => [s.id, s]));
  const pairs = after.stats.filter((s) => s.type === 'candidate-pair');
  const selected = selectedPair(after.stats, byId);
  const route = selected ? routeOf(selected, byId) : null;
  const offered = {
    udp: after.remoteCandidates.some((c) => c.protocol === 'udp') || pairs.some((p) => kindOf(p, byId) === 'udp'),
    tcp: after.remoteCandidates.some((c) => c.protocol === 'tcp') || pairs.some((p) => kindOf(p, byId) === 'tcp'),
  };

  /** @type {Record<RouteKind, TransportStatus>} */
  const transports = { udp: 'not-tried', tcp: 'not-tried', relay: 'not-tried' };
  const rank = { udp: 0, tcp: 1, relay: 2 };
  for (const kind of /** @type {RouteKind[]} */ (['udp', 'tcp', 'relay'])) {
    const own = pairs.filter((p) => kindOf(p, byId) === kind);
    if (own.some((p) => p.state === 'succeeded')) transports[kind] = 'works';
    else if (kind === 'relay' && !after.turnConfigured) transports[kind] = 'not-configured';
    else if (own.some((p) => p.state === 'failed')) transports[kind] = 'failed';
    else if (route && rank[route.kind] > rank[kind] && (kind === 'relay' || offered[kind])) {
      // ICE prefers direct UDP to direct TCP to a relay (RFC 8445 §5.1.2, RFC 6544 §4.2): a
      // connection on a less preferred route means this one did not get through.
      transports[kind] = 'failed';
    } else if (route) transports[kind] = 'not-needed';
  }

  const media = mediaAddress(after.remoteCandidates, route);
  const rtt = selected?.currentRoundTripTime;
  const rttMs = typeof rtt === 'number' ? rtt * 1000 : null;
  const up = selected?.availableOutgoingBitrate;
  const upKbps = typeof up === 'number' ? up / 1000 : null;
  const { kbps: downKbps, seconds } = receivedRate(before.stats, after.stats);
  const downLoss = lossOver(before.stats, after.stats, () => true);
  const audioLoss = lossOver(before.stats, after.stats, (s) => s.kind === 'audio');
  const jitterMs = audioJitterMs(before.stats, after.stats);

  /** @type {Advice[]} */
  const advice = [];
  if (!route) {
    if (media) advice.push({ code: 'noRoute', ...media });
  } else {
    if (transports.udp !== 'works' && media) advice.push({ code: 'openUdp', ...media });
    if (route.kind === 'tcp') advice.push({ code: 'tcp' });
    if (route.kind === 'relay') advice.push({ code: 'relay' });
    if (rttMs !== null && rttMs >= THRESHOLDS.rttMs) advice.push({ code: 'highRtt', ms: Math.round(rttMs) });
    const upLow = upKbps !== null && upKbps < THRESHOLDS.upKbps;
    const downLow = downKbps !== null && downKbps < THRESHOLDS.downKbps && downLoss !== null && downLoss >= THRESHOLDS.downLoss;
    if (upLow || downLow) advice.push({ code: 'lowBandwidth' });
    if (audioLoss !== null && audioLoss >= THRESHOLDS.audioLoss) advice.push({ code: 'highLoss', loss: audioLoss });
  }
  const ok = route?.kind === 'udp' && advice.length === 0;
  return { transports, route, media, rttMs, upKbps, downKbps, downLoss, audioLoss, jitterMs, seconds, ok, advice };
}

/**
 * The candidates of an SDP (`a=candidate:` lines, RFC 8839 §5.1).
 * @param {string} sdp
 * @returns {Candidate[]}
 */
export function parseCandidates(sdp) {
  /** @type {Candidate[]} */
  const out = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)/i.exec(line.trim());
    if (!m) continue;
    out.push({ protocol: m[1].toLowerCase(), address: m[2], port: Number(m[3]), type: m[4].toLowerCase() });
  }
  return out;
}

/**
 * Reads a peer connection at this moment.
 * @param {RTCPeerConnection} pc
 * @returns {Promise<Snapshot>}
 */
export async function takeSnapshot(pc) {
  /** @type {Record<string, any>[]} */
  const stats = [];
  (await pc.getStats()).forEach((s) => stats.push(s));
  const servers = pc.getConfiguration().iceServers ?? [];
  const turnConfigured = servers.some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(String(u))));
  return { stats, remoteCandidates: parseCandidates(pc.remoteDescription?.sdp ?? ''), turnConfigured };
}

/**
 * Measures a peer connection for `durationMs` and analyses it.
 * @param {RTCPeerConnection} pc
 * @param {{durationMs?: number, onProgress?: (fraction: number) => void, stepMs?: number}} [options]
 *   `onProgress` is called with 0..1 every `stepMs` while measuring
 * @returns {Promise<NetCheckResult>}
 */
export async function runNetCheck(pc, { durationMs = MEASURE_MS, onProgress, stepMs = 250 } = {}) {
  const before = await takeSnapshot(pc);
  const steps = Math.max(1, Math.round(durationMs / stepMs));
  for (let i = 1; i <= steps; i++) {
    await new Promise((resolve) => setTimeout(resolve, durationMs / steps));
    onProgress?.(i / steps);
  }
  return analyse(before, await takeSnapshot(pc));
}

// --- helpers ---------------------------------------------------------------------------

/**
 * The pair the transport selected; failing that (browsers without `selectedCandidatePairId`),
 * a nominated pair that succeeded.
 * @param {Record<string, any>[]} stats
 * @param {Map<string, Record<string, any>>} byId
 */
function selectedPair(stats, byId) {
  for (const s of stats) {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = byId.get(s.selectedCandidatePairId);
      if (pair) return pair;
    }
  }
  return stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') ?? null;
}

/**
 * The route of a candidate pair: a relay when the browser's end is a relayed candidate,
 * otherwise the protocol of the browser's end (its TCP candidate is often peer-reflexive).
 * @param {Record<string, any>} pair
 * @param {Map<string, Record<string, any>>} byId
 * @returns {RouteKind | null}
 */
function kindOf(pair, byId) {
  const local = byId.get(pair.localCandidateId);
  if (!local) return null;
  if (local.candidateType === 'relay') return 'relay';
  const protocol = String(local.protocol ?? '').toLowerCase();
  return protocol === 'udp' || protocol === 'tcp' ? protocol : null;
}

/**
 * @param {Record<string, any>} pair
 * @param {Map<string, Record<string, any>>} byId
 * @returns {Route | null}
 */
function routeOf(pair, byId) {
  const kind = kindOf(pair, byId);
  const local = byId.get(pair.localCandidateId);
  const remote = byId.get(pair.remoteCandidateId);
  if (!kind || !remote) return null;
  return {
    kind,
    relayProtocol: kind === 'relay' ? String(local?.relayProtocol ?? '') || null : null,
    remote: {
      address: String(remote.address ?? remote.ip ?? ''),
      port: Number(remote.port ?? 0),
      protocol: String(remote.protocol ?? '').toLowerCase(),
      type: String(remote.candidateType ?? ''),
    },
  };
}

/**
 * Where the server receives media over UDP, for the administrator: the UDP candidate at the
 * selected pair's address, else one of the same address family, else any; without a UDP
 * candidate, the selected pair's own address.
 * @param {Candidate[]} candidates
 * @param {Route | null} route
 * @returns {{address: string, port: number} | null}
 */
function mediaAddress(candidates, route) {
  const udp = candidates.filter((c) => c.protocol === 'udp' && c.type === 'host');
  const at = route?.remote.address;
  const v6 = (/** @type {string} */ a) => a.includes(':');
  const pick = udp.find((c) => c.address === at)
    ?? (at ? udp.find((c) => v6(c.address) === v6(at)) : undefined)
    ?? udp[0]
    ?? candidates.find((c) => c.protocol === 'udp');
  if (pick) return { address: pick.address, port: pick.port };
  if (route && route.remote.address && route.remote.port) return { address: route.remote.address, port: route.remote.port };
  return null;
}

/**
 * Bits received per second between the snapshots, from the transport's byte counter (every
 * packet of the bundle: media, RTCP, DTLS) or, without one, from the inbound RTP streams.
 * @param {Record<string, any>[]} before
 * @param {Record<string, any>[]} after
 * @returns {{kbps: number | null, seconds: number}}
 */
function receivedRate(before, after) {
  const transport = (/** @type {Record<string, any>[]} */ stats) =>
    stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)
    ?? stats.find((s) => s.type === 'transport');
  const t0 = transport(before);
  const t1 = transport(after);
  if (t0 && t1 && typeof t0.bytesReceived === 'number' && typeof t1.bytesReceived === 'number' && t1.id === t0.id) {
    return rate(t1.bytesReceived - t0.bytesReceived, t1.timestamp - t0.timestamp);
  }
  const bytes = (/** @type {Record<string, any>[]} */ stats) => stats
    .filter((s) => s.type === 'inbound-rtp')
    .reduce((sum, s) => sum + (s.bytesReceived ?? 0) + (s.headerBytesReceived ?? 0), 0);
  const stamp = (/** @type {Record<string, any>[]} */ stats) => Math.max(0, ...stats.map((s) => s.timestamp ?? 0));
  return rate(bytes(after) - bytes(before), stamp(after) - stamp(before));
}

/**
 * @param {number} bytes
 * @param {number} ms
 */
function rate(bytes, ms) {
  const seconds = ms / 1000;
  if (!(seconds > 0)) return { kbps: null, seconds: 0 };
  return { kbps: (Math.max(0, bytes) * 8) / 1000 / seconds, seconds };
}

/**
 * The fraction of packets lost between the snapshots over the inbound RTP streams `which`
 * accepts; null when none was expected.
 * @param {Record<string, any>[]} before
 * @param {Record<string, any>[]} after
 * @param {(s: Record<string, any>) => boolean} which
 */
function lossOver(before, after, which) {
  const earlier = new Map(before.filter((s) => s.type === 'inbound-rtp').map((s) => [s.id, s]));
  let lost = 0;
  let received = 0;
  for (const s of after) {
    if (s.type !== 'inbound-rtp' || !which(s)) continue;
    const b = earlier.get(s.id);
    // packetsLost can go down: duplicates count against it (RFC 3550 §6.4.1).
    lost += Math.max(0, (s.packetsLost ?? 0) - (b?.packetsLost ?? 0));
    received += Math.max(0, (s.packetsReceived ?? 0) - (b?.packetsReceived ?? 0));
  }
  return lost + received > 0 ? lost / (lost + received) : null;
}

/**
 * The largest interarrival jitter (RFC 3550 §6.4.1) among the audio streams that received
 * packets between the snapshots, in milliseconds.
 * @param {Record<string, any>[]} before
 * @param {Record<string, any>[]} after
 */
function audioJitterMs(before, after) {
  const earlier = new Map(before.filter((s) => s.type === 'inbound-rtp').map((s) => [s.id, s]));
  let worst = null;
  for (const s of after) {
    if (s.type !== 'inbound-rtp' || s.kind !== 'audio' || typeof s.jitter !== 'number') continue;
    if ((s.packetsReceived ?? 0) <= (earlier.get(s.id)?.packetsReceived ?? 0)) continue;
    worst = Math.max(worst ?? 0, s.jitter * 1000);
  }
  return worst;
}
