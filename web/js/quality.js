// This page's own connection quality, from its RTCPeerConnection's statistics: good, weak or
// poor, and why (round-trip time, packet loss, or an outgoing bitrate the browser limits).
// Pure: takes the entries of a `getStats()` report, so that Node's test runner can check it.

/** @typedef {'good' | 'weak' | 'poor'} QualityLevel */
/** @typedef {'rtt' | 'loss' | 'bandwidth' | 'cpu'} QualityReason */

/**
 * What the statistics say about this page's link. Null fields were not in the report.
 * @typedef {object} LinkFigures
 * @property {number | null} rttMs round-trip time to the server
 * @property {number | null} loss fraction (0..1) of this page's packets the server lost
 * @property {'bandwidth' | 'cpu' | null} limitation why the browser sends less video than asked
 */

/**
 * @typedef {object} Quality
 * @property {QualityLevel | 'unknown'} level `unknown` before any figure is known
 * @property {QualityReason | null} reason what makes it weak or poor; null when good
 * @property {LinkFigures} figures
 */

/** Round-trip time (ms) from which the link is weak, and poor. */
export const RTT_WEAK_MS = 200;
export const RTT_POOR_MS = 400;
/** Packet loss (fraction) from which the link is weak, and poor. */
export const LOSS_WEAK = 0.02;
export const LOSS_POOR = 0.08;

/**
 * The figures of one `getStats()` report: the round-trip time of the candidate pair in use (or
 * else the largest the server reports back in `remote-inbound-rtp`), the largest loss the
 * server reports for this page's streams, and the video encoder's limitation.
 * @param {Iterable<any>} entries the values of an RTCStatsReport
 * @returns {LinkFigures}
 */
export function linkFigures(entries) {
  /** @type {number | null} */
  let pairRtt = null;
  /** @type {number | null} */
  let remoteRtt = null;
  /** @type {number | null} */
  let loss = null;
  /** @type {'bandwidth' | 'cpu' | null} */
  let limitation = null;
  /** @type {string | null} */
  let selectedPair = null;
  const all = [...entries];
  for (const s of all) {
    if (s && s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') selectedPair = s.selectedCandidatePairId;
  }
  for (const s of all) {
    if (!s || typeof s !== 'object') continue;
    if (s.type === 'candidate-pair' && isNumber(s.currentRoundTripTime)) {
      const inUse = selectedPair !== null ? s.id === selectedPair : s.nominated === true && s.state === 'succeeded';
      if (inUse) pairRtt = s.currentRoundTripTime * 1000;
    } else if (s.type === 'remote-inbound-rtp') {
      if (isNumber(s.roundTripTime)) remoteRtt = Math.max(remoteRtt ?? 0, s.roundTripTime * 1000);
      if (isNumber(s.fractionLost)) loss = Math.max(loss ?? 0, clamp01(s.fractionLost));
    } else if (s.type === 'outbound-rtp' && s.kind === 'video' && s.active !== false) {
      if (s.qualityLimitationReason === 'bandwidth') limitation = 'bandwidth';
      else if (s.qualityLimitationReason === 'cpu' && limitation === null) limitation = 'cpu';
    }
  }
  return { rttMs: pairRtt ?? remoteRtt, loss, limitation };
}

/**
 * Good, weak or poor, and the reason that weighs most: loss before round-trip time before a
 * limited bitrate.
 * @param {LinkFigures} figures
 * @returns {Quality}
 */
export function classifyQuality(figures) {
  const { rttMs, loss, limitation } = figures;
  if (rttMs === null && loss === null && limitation === null) return { level: 'unknown', reason: null, figures };
  /** @type {[QualityLevel, QualityReason][]} in order of weight */
  const findings = [];
  if (loss !== null && loss >= LOSS_POOR) findings.push(['poor', 'loss']);
  if (rttMs !== null && rttMs >= RTT_POOR_MS) findings.push(['poor', 'rtt']);
  if (loss !== null && loss >= LOSS_WEAK) findings.push(['weak', 'loss']);
  if (rttMs !== null && rttMs >= RTT_WEAK_MS) findings.push(['weak', 'rtt']);
  if (limitation !== null) findings.push(['weak', limitation]);
  const [first] = findings;
  return first ? { level: first[0], reason: first[1], figures } : { level: 'good', reason: null, figures };
}

/** @param {unknown} v @returns {v is number} */
function isNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** @param {number} v */
function clamp01(v) {
  return Math.min(1, Math.max(0, v));
}
