// Rewrites of session descriptions (web/js/sdp.js).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { withOpusDtx } from '../../web/js/sdp.js';

const ANSWER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  '',
].join('\r\n');

describe('withOpusDtx', () => {
  it('adds usedtx=1 to the Opus format parameters only', () => {
    const out = withOpusDtx(ANSWER);
    assert.match(out, /\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n/);
    assert.match(out, /\r\na=fmtp:97 apt=96\r\n/, 'the video lines are untouched');
    assert.equal(out.split('\r\n').length, ANSWER.split('\r\n').length);
  });

  it('leaves an explicit DTX choice and descriptions without Opus alone', () => {
    const off = ANSWER.replace('useinbandfec=1', 'useinbandfec=1;usedtx=0');
    assert.equal(withOpusDtx(off), off);
    const video = 'v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/90000\n';
    assert.equal(withOpusDtx(video), video);
  });

  it('keeps the line ending of the description', () => {
    const unix = ANSWER.replaceAll('\r\n', '\n');
    assert.match(withOpusDtx(unix), /\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\n/);
  });
});
