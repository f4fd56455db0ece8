// End-to-end check of a running Janus VideoRoom (started by scripts/janus/run): drives the Janus
// HTTP API from Node (the way the load generator's adapter will) and uses headless Chromium only
// as the WebRTC endpoint. Two publishers, one multistream subscriber that first subscribes to
// publisher 1 (`join` with `streams`), then adds publisher 2 (`subscribe` + renegotiation), and
// requires decoded video frames and received audio for both feeds; finally `switch`es one video
// m-line to the other publisher (no renegotiation) and requires that decoder to keep going.
//
//   node scripts/janus/check.mjs [--url http://127.0.0.1:8088/janus] [--client-ip IP]
//                                [--dump DIR] [--verbose]
//
// --client-ip IP: the only address whose candidates Chromium may signal (default: Janus's
// "local-ip" from /info); pass the --ice-ip given to scripts/janus/run.
// --dump DIR writes every SDP offer/answer exchanged to DIR. Exit code 0 when media flows.
// Uses playwright-core from tests/e2e/node_modules and Chromium at $CHROMIUM_BIN or /usr/bin/chromium.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(
  path.join(here, '../../tests/e2e/node_modules/playwright-core/index.mjs')
).catch(() => {
  console.error('janus/check: playwright-core missing; run `npm ci` in tests/e2e first');
  process.exit(2);
});

// ---------------------------------------------------------------------------------------------
// Arguments

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const CLIENT_IP_OPT = opt('--client-ip', '');
const URL_BASE = opt('--url', process.env.JANUS_URL || 'http://127.0.0.1:8088/janus').replace(/\/$/, '');
const DUMP = opt('--dump', '');
const VERBOSE = args.includes('--verbose');
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

const log = (...a) => console.log('janus/check:', ...a);
const vlog = (...a) => VERBOSE && console.log('  ', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function dump(name, text) {
  if (!DUMP) return;
  await mkdir(DUMP, { recursive: true });
  await writeFile(path.join(DUMP, name), text);
}

// ---------------------------------------------------------------------------------------------
// Minimal Janus HTTP client: one session, long-poll loop, keepalive, waiters on events.

let txCounter = 0;
const newTx = () => `tx${++txCounter}-${Math.random().toString(36).slice(2, 8)}`;

async function post(url, body) {
  const msg = { transaction: newTx(), ...body };
  vlog('>>', url.slice(URL_BASE.length) || '/', JSON.stringify(msg).slice(0, 300));
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(msg),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
  const json = await res.json();
  vlog('<<', JSON.stringify(json).slice(0, 300));
  // Janus answers HTTP 200 even for errors: look at the body.
  if (json.janus === 'error') throw new Error(`Janus error ${json.error.code}: ${json.error.reason}`);
  if (json.transaction !== msg.transaction) throw new Error(`transaction mismatch in ${JSON.stringify(json)}`);
  return json;
}

class Session {
  static async create(label) {
    const r = await post(URL_BASE, { janus: 'create' });
    return new Session(label, r.data.id);
  }

  constructor(label, id) {
    this.label = label;
    this.id = id;
    this.url = `${URL_BASE}/${id}`;
    this.events = [];
    this.waiters = [];
    this.closed = false;
    this.poll();
    // Any request (or long-poll) resets the 60 s session timeout; keepalive covers pauses.
    this.keepalive = setInterval(() => post(this.url, { janus: 'keepalive' }).catch(() => {}), 25_000);
  }

  async poll() {
    while (!this.closed) {
      try {
        const res = await fetch(`${this.url}?maxev=10&rid=${Date.now()}`);
        const body = await res.json();
        for (const ev of Array.isArray(body) ? body : [body]) {
          if (ev.janus === 'keepalive') continue; // empty poll after ~30 s
          vlog(`<< [${this.label} event]`, JSON.stringify(ev).slice(0, 300));
          this.events.push(ev);
          this.waiters = this.waiters.filter((w) => !w.test(ev) || (w.resolve(ev), false));
        }
      } catch (err) {
        if (!this.closed) {
          log(`${this.label}: long-poll failed: ${err.message}`);
          await sleep(500);
        }
      }
    }
  }

  /** Resolves with the first event (past or future) matching `test`. */
  waitFor(what, test, ms = 15_000) {
    const past = this.events.find(test);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const w = { test, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.label}: timed out waiting for ${what}`));
      }, ms);
    });
  }

  async attach(plugin) {
    const r = await post(this.url, { janus: 'attach', plugin });
    return new Handle(this, r.data.id);
  }

  async destroy() {
    clearInterval(this.keepalive);
    try {
      await post(this.url, { janus: 'destroy' });
    } finally {
      this.closed = true;
    }
  }
}

class Handle {
  constructor(session, id) {
    this.session = session;
    this.id = id;
    this.url = `${session.url}/${id}`;
  }

  /**
   * Sends a plugin message. Synchronous requests return their `plugindata.data` directly;
   * asynchronous ones get an `ack` and the result arrives as an `event` with the same
   * transaction on the long-poll, which this waits for. Returns { data, jsep }.
   */
  async request(body, jsep) {
    const msg = { janus: 'message', body };
    if (jsep) msg.jsep = jsep;
    const r = await post(this.url, msg);
    let ev = r;
    if (r.janus === 'ack') {
      ev = await this.session.waitFor(`${body.request} result`, (e) => e.transaction === r.transaction);
    }
    const data = ev.plugindata?.data ?? {};
    if (data.error_code) throw new Error(`${body.request}: VideoRoom error ${data.error_code}: ${data.error}`);
    return { data, jsep: ev.jsep };
  }

  waitFor(what, test, ms) {
    return this.session.waitFor(what, (e) => e.sender === this.id && test(e), ms);
  }

  async trickleCompleted() {
    await post(this.url, { janus: 'trickle', candidate: { completed: true } });
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium side: each page is one WebRTC endpoint, steered through page.evaluate.

const PAGE_URL = 'http://127.0.0.1:9/janus-check'; // never contacted: fulfilled by page.route

async function newPage(browser, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`${label} pageerror: ${e.message}`));
  await page.route(`${PAGE_URL}*`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>janus check</title>' }),
  );
  await page.goto(PAGE_URL);
  await page.evaluate(() => {
    window.waitGathered = (pc) =>
      new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 5000);
      });
    window.inboundStats = async (pc) => {
      const out = [];
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp')
          out.push({ kind: s.kind, mid: s.mid, packets: s.packetsReceived, frames: s.framesDecoded ?? null });
      });
      return out;
    };
    window.transportStats = async (pc) => {
      const all = new Map();
      (await pc.getStats()).forEach((s) => all.set(s.id, s));
      const t = [...all.values()].find((s) => s.type === 'transport');
      const pair = t && all.get(t.selectedCandidatePairId);
      const local = pair && all.get(pair.localCandidateId);
      const remote = pair && all.get(pair.remoteCandidateId);
      return {
        dtlsRole: t?.dtlsRole,
        srtpCipher: t?.srtpCipher,
        tlsVersion: t?.tlsVersion,
        pair: local && remote ? `${local.address}:${local.port} -> ${remote.address}:${remote.port}` : null,
      };
    };
  });
  return page;
}

async function publisherOffer(page) {
  return page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 360, frameRate: 30 },
    });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await window.waitGathered(pc);
    return pc.localDescription.sdp;
  });
}

async function applyAnswer(page, sdp) {
  await page.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), sdp);
}

async function subscriberAnswer(page, offerSdp) {
  return page.evaluate(async (sdp) => {
    if (!window.pc) window.pc = new RTCPeerConnection();
    const pc = window.pc;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await window.waitGathered(pc);
    return pc.localDescription.sdp;
  }, offerSdp);
}

const candidateLines = (sdp) => [...new Set(sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate')))];

// Keep only Chromium's UDP candidates on CLIENT_IP, as a load-generator client would offer.
// This must be the address Janus gathers on (not 127.0.0.1): libnice pins its sockets to that
// interface (IP_UNICAST_IF), so Janus cannot send to a 127.0.0.1 peer. See docs/janus-notes.md.
let CLIENT_IP = '';
const clientCandidatesOnly = (sdp) =>
  sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate') || l.split(' ')[2]?.toLowerCase() === 'udp' && l.split(' ')[4] === CLIENT_IP)
    .join('\r\n');

// ---------------------------------------------------------------------------------------------
// Scenario

async function publish(browser, label, room) {
  const session = await Session.create(label);
  const handle = await session.attach('janus.plugin.videoroom');
  const { data: joined } = await handle.request({ request: 'join', ptype: 'publisher', room, display: label });
  log(`${label}: joined room ${room} as publisher id ${joined.id} (session ${session.id}, handle ${handle.id})`);

  const page = await newPage(browser, label);
  const offer = clientCandidatesOnly(await publisherOffer(page));
  await dump(`${label}-offer.sdp`, offer);
  // Candidates are inside the offer (gathering done), so trickle:false; no trickle messages.
  const { data, jsep } = await handle.request(
    { request: 'configure' },
    { type: 'offer', sdp: offer, trickle: false },
  );
  if (data.configured !== 'ok' || jsep?.type !== 'answer') throw new Error(`${label}: no answer: ${JSON.stringify(data)}`);
  await dump(`${label}-answer.sdp`, jsep.sdp);
  const cands = candidateLines(jsep.sdp);
  if (cands.length === 0) throw new Error(`${label}: Janus answer has no candidates`);
  log(`${label}: Janus answer candidates: ${cands.join(' | ')}`);
  await applyAnswer(page, jsep.sdp);
  await handle.waitFor(`${label} webrtcup`, (e) => e.janus === 'webrtcup');
  log(`${label}: webrtcup (ICE + DTLS done): ${JSON.stringify(await page.evaluate(() => window.transportStats(window.pc)))}`);
  return { session, handle, page, id: joined.id };
}

async function waitDecoding(page, label, wantVideo, wantAudio, ms = 20_000) {
  const deadline = Date.now() + ms;
  let stats = [];
  while (Date.now() < deadline) {
    stats = await page.evaluate(() => window.inboundStats(window.pc));
    const v = stats.filter((s) => s.kind === 'video' && s.frames > 0).length;
    const a = stats.filter((s) => s.kind === 'audio' && s.packets > 0).length;
    if (v >= wantVideo && a >= wantAudio) return stats;
    await sleep(500);
  }
  throw new Error(`${label}: media did not flow: ${JSON.stringify(stats)}`);
}

async function main() {
  const info = await (await fetch(`${URL_BASE}/info`)).json();
  log(`Janus ${info.version_string} at ${URL_BASE}; plugins: ${Object.keys(info.plugins).join(', ')}`);
  CLIENT_IP = CLIENT_IP_OPT || info['local-ip'];
  log(`client candidates restricted to UDP ${CLIENT_IP}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // No --allow-loopback-in-peer-connection: Janus cannot reach 127.0.0.1 peers (its
      // checks to them would leave through the ICE interface and be lost).
    ],
  });
  const sessions = [];
  try {
    // Admin session: creates and finally destroys the room.
    const admin = await Session.create('admin');
    sessions.push(admin);
    const adminHandle = await admin.attach('janus.plugin.videoroom');
    const { data: created } = await adminHandle.request({
      request: 'create',
      description: 'giaoban janus check',
      publishers: 600,
      bitrate: 10_000_000,
      videocodec: 'vp8',
      audiocodec: 'opus',
      fir_freq: 0,
    });
    const room = created.room;
    log(`created room ${room}`);

    const p1 = await publish(browser, 'pub1', room);
    sessions.push(p1.session);
    const p2 = await publish(browser, 'pub2', room);
    sessions.push(p2.session);

    // One subscriber handle, first for publisher 1 only.
    const sub = await Session.create('sub');
    sessions.push(sub);
    const subHandle = await sub.attach('janus.plugin.videoroom');
    const subPage = await newPage(browser, 'sub');
    const { data: attached, jsep: offer1 } = await subHandle.request({
      request: 'join',
      ptype: 'subscriber',
      room,
      streams: [{ feed: p1.id }],
    });
    if (attached.videoroom !== 'attached' || offer1?.type !== 'offer') throw new Error(`sub: no offer: ${JSON.stringify(attached)}`);
    log(`sub: attached, streams ${attached.streams.map((s) => `${s.mid}=${s.type}<-feed ${s.feed_id}/${s.feed_mid}`).join(', ')}`);
    log(`sub: Janus offer candidates: ${candidateLines(offer1.sdp).join(' | ')}`);
    await dump('sub-offer1.sdp', offer1.sdp);
    const answer1 = clientCandidatesOnly(await subscriberAnswer(subPage, offer1.sdp));
    await dump('sub-answer1.sdp', answer1);
    // Here we exercise the default (trickle) mode plus an explicit end-of-candidates.
    const { data: started } = await subHandle.request({ request: 'start' }, { type: 'answer', sdp: answer1 });
    await subHandle.trickleCompleted();
    if (started.started !== 'ok') throw new Error(`sub: start failed: ${JSON.stringify(started)}`);
    await subHandle.waitFor('sub webrtcup', (e) => e.janus === 'webrtcup');
    log(`sub: webrtcup: ${JSON.stringify(await subPage.evaluate(() => window.transportStats(window.pc)))}`);
    let stats = await waitDecoding(subPage, 'sub (feed 1)', 1, 1);
    log(`sub: receiving feed 1: ${JSON.stringify(stats)}`);

    // Add publisher 2 to the same subscription: renegotiation with a new offer from Janus.
    const { data: updated, jsep: offer2 } = await subHandle.request({
      request: 'subscribe',
      streams: [{ feed: p2.id }],
    });
    if (updated.videoroom !== 'updated' || offer2?.type !== 'offer') throw new Error(`sub: no update offer: ${JSON.stringify(updated)}`);
    log(`sub: updated, streams ${updated.streams.map((s) => `${s.mid}=${s.type}<-feed ${s.feed_id}/${s.feed_mid}`).join(', ')}`);
    await dump('sub-offer2.sdp', offer2.sdp);
    const answer2 = clientCandidatesOnly(await subscriberAnswer(subPage, offer2.sdp));
    await dump('sub-answer2.sdp', answer2);
    await subHandle.request({ request: 'start' }, { type: 'answer', sdp: answer2 });
    stats = await waitDecoding(subPage, 'sub (feeds 1+2)', 2, 2);
    log(`sub: receiving feeds 1 and 2: ${JSON.stringify(stats)}`);

    // Switch the first video m-line (mid "1", fed by publisher 1) to publisher 2's video, without
    // renegotiation (how a stage slot changes speaker), and require its decoder to keep going.
    const framesOf = (st, mid) => st.find((s) => s.mid === mid)?.frames ?? 0;
    const before = framesOf(await subPage.evaluate(() => window.inboundStats(window.pc)), '1');
    const { data: switched, jsep: switchJsep } = await subHandle.request({
      request: 'switch',
      streams: [{ feed: p2.id, mid: '1', sub_mid: '1' }],
    });
    if (switched.switched !== 'ok' || switched.changes !== 1 || switchJsep) {
      throw new Error(`sub: switch failed: ${JSON.stringify(switched)}`);
    }
    const slot = switched.streams.find((s) => s.mid === '1');
    if (slot?.feed_id !== p2.id) throw new Error(`sub: mid 1 not fed by publisher 2: ${JSON.stringify(slot)}`);
    const deadline = Date.now() + 10_000;
    let after = before;
    while (after < before + 15 && Date.now() < deadline) {
      await sleep(300);
      after = framesOf(await subPage.evaluate(() => window.inboundStats(window.pc)), '1');
    }
    if (after < before + 15) throw new Error(`sub: mid 1 stalled after switch (${before} -> ${after} frames)`);
    log(`sub: switched mid 1 to feed 2 without renegotiation; frames ${before} -> ${after}`);

    // Tear down: subscriber leaves, publishers leave, room destroyed, sessions destroyed.
    const { data: left } = await subHandle.request({ request: 'leave' });
    vlog('sub leave ->', JSON.stringify(left));
    for (const p of [p1, p2]) await p.handle.request({ request: 'leave' });
    const { data: destroyed } = await adminHandle.request({ request: 'destroy', room });
    if (destroyed.videoroom !== 'destroyed') throw new Error(`destroy failed: ${JSON.stringify(destroyed)}`);
    log(`room ${room} destroyed`);
    log('OK: media flows publisher -> Janus -> multistream subscriber');
  } finally {
    for (const s of sessions) await s.destroy().catch(() => {});
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`janus/check: FAILED: ${err.message}`);
    process.exit(1);
  },
);
