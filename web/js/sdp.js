// Small rewrites of session descriptions that the browser's API cannot express.

/**
 * Asks the browser to send Opus with discontinuous transmission (DTX): the answer's Opus
 * format parameters gain `usedtx=1`, so a silent microphone sends a packet every 400 ms
 * instead of 50 a second. Commune uplinks are thin, and most points are silent most of the
 * time. Other codecs and lines are left as they are.
 * @param {string} sdp
 * @returns {string}
 */
export function withOpusDtx(sdp) {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  /** @type {Set<string>} */
  const opus = new Set();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    if (m) opus.add(m[1]);
  }
  return lines
    .map((line) => {
      const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (!m || !opus.has(m[1]) || /(^|;)\s*usedtx=/.test(m[2])) return line;
      return `${line};usedtx=1`;
    })
    .join(eol);
}
