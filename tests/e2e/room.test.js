// The live room beyond the floor (docs/protocol.md, "Presentation", "Written comments",
// "Mute"), in real browsers against the real binary:
//
// - a point with the floor shares its screen: every other page plays it as the presentation,
//   at full resolution; presenting without the floor, or while another point presents, is
//   refused; the host stops it; the record lists it;
// - a point's written comment reaches the host (as text, never markup) and the minutes; a
//   comment too long, to everybody without the host's leave, or a flood of them is refused
//   and the connection carries on;
// - the host mutes a point in open mode: the server stops forwarding its audio (the others'
//   getStats show it), its page says so, and asking it to unmute lifts the mute;
// - a presenter that leaves mid-presentation ends it for everyone, and the record says why.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { HostApi, Server, SignalClient, allOf, audioGrowth, createBriefing, openLink, seconds, tokenOf, waitFor, withDiagnostics } from './lib/harness.js';

const TITLE = 'Giao ban công tác quý IV';
const HOST = 'Sở Nội vụ';
const POINTS = ['UBND phường Trường Vinh', 'UBND xã Hưng Nguyên', 'UBND xã Nam Đàn'];
/** The two points with browsers; the third speaks raw signalling only. */
const [P1, P2, P3] = POINTS;
/** Headless Chromium shares a fake screen without asking. */
const SCREEN_ARGS = ['--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'];

const startedAt = Date.now();
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let briefing;
/** @type {HostApi} */
let host;
/** @type {Map<string, import('./lib/harness.js').Client>} */
const clients = new Map();

/** @param {string} point */
function client(point) {
  const c = clients.get(point);
  if (!c) throw new Error(`no browser for ${point}`);
  return c;
}

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `room-${name}`, server, clients: () => clients.values() }, fn);
}

/**
 * Runs in the page: the presentation shown on the stage, if any: whose screen and how wide.
 * @returns {{point: string | null, width: number, playing: boolean} | null}
 */
function presentationShown() {
  const video = /** @type {HTMLVideoElement | null} */ (document.querySelector('[data-role=presentation-holder] video[data-role=presentation]'));
  if (!video || video.closest('[hidden]')) return null;
  return { point: video.dataset.point ?? null, width: video.videoWidth, playing: !video.paused && video.currentTime > 0 };
}

/** A raw signalling connection of `point`, welcomed and past its first state. */
async function signalAs(/** @type {string} */ point) {
  const ws = await SignalClient.connect(server.baseUrl);
  ws.send({ type: 'hello', version: 3, token: tokenOf(briefing.link(point).url) });
  const welcome = await ws.next({ what: 'welcome' });
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
  return ws;
}

/**
 * The next `error` a raw connection receives, skipping state messages.
 * @param {SignalClient} ws
 */
async function nextError(ws) {
  for (;;) {
    const msg = await ws.next({ what: 'an error' });
    if (msg.type === 'error') return msg;
  }
}

describe('the live room', { timeout: seconds(300) }, () => {
  before(async () => {
    server = await Server.start({ name: 'room' });
    briefing = await createBriefing({ dataDir: server.dataDir, title: TITLE, host: HOST, points: POINTS, baseUrl: server.baseUrl });
    host = new HostApi(server, briefing);
    await allOf([HOST, P1, P2].map(async (point) => {
      const c = await openLink(briefing.link(point), { args: SCREEN_ARGS });
      clients.set(point, c);
      await c.join({ title: TITLE, point });
    }));
    for (const c of clients.values()) await c.waitForMediaFrom([...clients.keys()].filter((p) => p !== c.label), { timeout: seconds(40), audio: [] });
  });

  after(async () => {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    await server?.dispose();
    console.log(`room.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  it('a point with the floor presents its screen to everyone; others may not; the host stops it', async () => {
    await diagnosed('present', async () => {
      // Without the floor, a point's page offers no button and the server refuses.
      assert.equal(await client(P1).page.isVisible('[data-action=present]'), false, 'no share button without the floor');
      const p3 = await signalAs(P3);
      p3.send({ type: 'present', on: true });
      const refused = await nextError(p3);
      assert.equal(refused.code, 'not_allowed', JSON.stringify(refused));

      await host.ok('POST', '/floor', { point: P1 });
      await client(P1).page.click('[data-action=present]', { timeout: seconds(10) });
      await host.waitState((s) => s.presentation === P1, { message: `${P1} presents` });
      for (const viewer of [HOST, P2]) {
        /** @type {any} */
        let shown = null;
        await waitFor(async () => {
          shown = await client(viewer).page.evaluate(presentationShown);
          return shown && shown.point === P1 && shown.width >= 1280 && shown.playing;
        }, { timeout: seconds(30), message: () => `${viewer} plays ${P1}'s screen at >= 1280 px wide; shown ${JSON.stringify(shown)}` });
        // The caption over the stage (the projector view's) names the presenter as presenting.
        let caption = '';
        await waitFor(async () => {
          caption = (await client(viewer).page.textContent('[data-role=stage-speaker]')) ?? '';
          return caption === `Đang trình chiếu: ${P1}`;
        }, { timeout: seconds(5), message: () => `${viewer}'s stage caption during ${P1}'s presentation: ${JSON.stringify(caption)}` });
      }

      // One presentation at a time: a second presenter, even the host, is refused.
      await client(HOST).page.evaluate(() => /** @type {any} */ (window).giaoban.ws.send(JSON.stringify({ type: 'present', on: true })));
      await waitFor(() => client(HOST).received('error', 'not_allowed'), { timeout: seconds(10), message: 'the host is refused while a point presents' });
      assert.equal((await host.state()).presentation, P1, `${P1} still presents`);

      // The host's share button now stops the point's presentation.
      const button = client(HOST).page.locator('[data-action=present]');
      assert.match((await button.textContent()) ?? '', new RegExp(P1));
      await button.click();
      await waitFor(async () => (await client(P1).page.evaluate(() => /** @type {any} */ (window).giaoban.presenting)) === false, {
        timeout: seconds(10),
        message: `${P1}'s page stops sharing when the host ends the presentation`,
      });
      await waitFor(async () => (await client(P2).page.evaluate(presentationShown)) === null, {
        timeout: seconds(10),
        message: `${P2} takes the presentation down`,
      });
      // The caption names the floor holder as speaking again.
      let after = '';
      await waitFor(async () => {
        after = (await client(P2).page.textContent('[data-role=stage-speaker]')) ?? '';
        return after === `Đang phát biểu: ${P1}`;
      }, { timeout: seconds(5), message: () => `${P2}'s stage caption after the presentation: ${JSON.stringify(after)}` });
      assert.equal((await host.state()).presentation, null);
      const minutes = await host.ok('GET', '/minutes');
      assert.ok(minutes.presentations.some((/** @type {any} */ p) => p.point === P1 && p.to), `the minutes list ${P1}'s presentation: ${JSON.stringify(minutes.presentations)}`);
      p3.close();
      await host.ok('DELETE', '/floor');
    });
  });

  it("a point's comment reaches the host as text and the minutes; bad comments are refused", async () => {
    await diagnosed('comments', async () => {
      const text = 'Đề nghị hỗ trợ <b>kinh phí</b> cho điểm cầu xã';
      const p1 = client(P1).page;
      await p1.fill('[data-role=comment-input]', text);
      await p1.click('[data-action=send-comment]');
      const hostPage = client(HOST).page;
      await waitFor(async () => {
        const texts = await hostPage.$$eval('[data-role=comments] [data-comment] .comment__text', (els) => els.map((e) => e.textContent));
        return texts.includes(text);
      }, { timeout: seconds(10), message: 'the host sees the comment, as typed' });
      assert.equal(await hostPage.locator('[data-role=comments] b').count(), 0, 'markup in a comment is shown as text');
      assert.equal((await p1.inputValue('[data-role=comment-input]')), '', 'the input is cleared once sent');
      // P2 does not read a comment meant for the host.
      const p2Texts = await client(P2).page.$$eval('[data-role=comments] [data-comment]', (els) => els.length);
      assert.equal(p2Texts, 0, `${P2} reads no comment addressed to the host`);

      const minutes = await host.ok('GET', '/minutes');
      assert.ok(minutes.comments.some((/** @type {any} */ c) => c.point === P1 && c.text === text), `the minutes list the comment: ${JSON.stringify(minutes.comments)}`);

      const p3 = await signalAs(P3);
      p3.send({ type: 'comment', text: 'x'.repeat(100_000) });
      assert.equal((await nextError(p3)).code, 'bad_message', 'a 100 kB comment is refused');
      p3.send({ type: 'comment', text: 'cho mọi người', to_all: true });
      assert.equal((await nextError(p3)).code, 'not_allowed', 'to everybody needs the host to allow it');
      for (let i = 0; i < 30; i++) p3.send({ type: 'comment', text: `ý kiến ${i}` });
      const flood = await nextError(p3);
      assert.equal(flood.code, 'rate_limited', JSON.stringify(flood));
      const comments = await host.ok('GET', '/comments');
      const fromP3 = comments.filter((/** @type {any} */ c) => c.point === P3).length;
      assert.ok(fromP3 >= 1 && fromP3 <= 6, `the comment rate limit lets a burst through, not a flood: ${fromP3} stored`);
      p3.close();

      // Once the host allows it, a comment to everybody reaches every page, and points are
      // offered the choice.
      await host.ok('POST', '/comments-to-all', { allowed: true });
      await waitFor(() => client(P2).page.evaluate(() => document.querySelector('[data-role=comment-to-all]')?.hidden === false), {
        timeout: seconds(10),
        message: `${P2} is offered to write to everybody`,
      });
      const toAll = 'Gửi tất cả các điểm cầu: lịch tiếp công dân tuần sau';
      const p3again = await signalAs(P3);
      p3again.send({ type: 'comment', text: toAll, to_all: true });
      for (const reader of [P1, P2]) {
        await waitFor(async () => (await client(reader).page.$$eval('[data-role=comments] [data-comment] .comment__text', (els) => els.map((e) => e.textContent))).includes(toAll), {
          timeout: seconds(10),
          message: `${reader} reads the comment to everybody`,
        });
      }
      p3again.close();
      await host.ok('POST', '/comments-to-all', { allowed: false });

      // The host's filter: one comment answered, another pinned; "Chưa trả lời" leaves the
      // answered one out, "Đã ghim" shows the pinned one alone, "Tất cả" everything again.
      // Points get no filter.
      const stored = await host.ok('GET', '/comments');
      assert.ok(stored.length >= 3, `comments stored: ${stored.length}`);
      const [answered, pinned] = stored;
      await host.ok('POST', `/comments/${answered.id}/answer`, { answer: 'Sở đã ghi nhận, sẽ trả lời bằng văn bản.' });
      await host.ok('POST', `/comments/${pinned.id}/pin`, { pinned: true });
      const shownIds = () => hostPage.$$eval('[data-role=comments] [data-comment]', (els) => els.map((e) => Number(/** @type {HTMLElement} */ (e).dataset.comment)));
      /** @param {string} filter @param {(ids: number[]) => boolean} ok @param {string} what */
      const choose = async (filter, ok, what) => {
        await hostPage.click(`[data-role=comment-filter] [data-filter=${filter}]`);
        /** @type {number[]} */
        let ids = [];
        await waitFor(async () => ok((ids = await shownIds())), { timeout: seconds(10), message: () => `the host's "${filter}" filter shows ${what}; shown ${JSON.stringify(ids)}` });
        assert.equal(await hostPage.getAttribute(`[data-role=comment-filter] [data-filter=${filter}]`, 'aria-pressed'), 'true');
        return ids;
      };
      await choose('open', (ids) => ids.length > 0 && !ids.includes(answered.id) && ids.includes(pinned.id), 'the unanswered comments only');
      const openLabel = (await hostPage.textContent('[data-role=comment-filter] [data-filter=open]')) ?? '';
      assert.match(openLabel, /^Chưa xử lý \(\d+\)$/, `the filter says how many: ${openLabel}`);
      await choose('pinned', (ids) => ids.length === 1 && ids[0] === pinned.id, 'the pinned comment alone');
      await choose('all', (ids) => ids.length >= stored.length, 'every comment');
      assert.equal(await client(P1).page.isVisible('[data-role=comment-filter]'), false, 'a point has no comment filter');
      // The briefing went on: the host's page still has its media.
      assert.equal(await client(HOST).connectionState(), 'connected');
    });
  });

  it('the host mutes a point in open mode: its audio stops at every page until asked to unmute', async () => {
    await diagnosed('mute', async () => {
      await host.setMode('open');
      const heard = await client(P2).watchAudioFrom(P1, { timeout: seconds(20) });
      assert.notEqual((await heard.arrived()).at, null, `${P2} hears ${P1} in open mode`);
      await host.ok('POST', '/mute', { point: P1, muted: true });
      await waitFor(() => client(P1).page.isVisible('[data-role=muted-by-host]'), { timeout: seconds(10), message: `${P1}'s page says the host muted it` });
      // Packets already on their way arrive; then nothing.
      await new Promise((r) => setTimeout(r, 1500));
      const before = await client(P2).sample();
      await new Promise((r) => setTimeout(r, 3000));
      const after = await client(P2).sample();
      assert.equal(audioGrowth(before, after, P1), 0, `${P2} still receives ${P1}'s audio after the host muted it`);
      const state = await host.state();
      const entry = state.points.find((/** @type {any} */ p) => p.name === P1);
      assert.equal(entry.muted_by_host, true);
      assert.equal(entry.may_speak, false);

      await host.ok('POST', '/ask-unmute', { point: P1 });
      await client(P1).page.click('[data-action=unmute]', { timeout: seconds(10) });
      const again = await client(P2).watchAudioFrom(P1, { timeout: seconds(20) });
      assert.notEqual((await again.arrived()).at, null, `${P2} hears ${P1} again once the mute is lifted`);
      await host.setMode('directed');
    });
  });

  it('a presenter leaving mid-presentation ends it for everyone', async () => {
    await diagnosed('presenter-leaves', async () => {
      await host.ok('POST', '/floor', { point: P2 });
      await client(P2).page.click('[data-action=present]', { timeout: seconds(10) });
      await waitFor(async () => (await client(HOST).page.evaluate(presentationShown))?.point === P2, {
        timeout: seconds(30),
        message: `the host sees ${P2}'s screen`,
      });
      await client(P2).close();
      clients.delete(P2);
      await host.waitState((s) => s.presentation === null && s.floor === null, { message: `${P2}'s presentation and floor end when it leaves` });
      await waitFor(async () => (await client(HOST).page.evaluate(presentationShown)) === null, {
        timeout: seconds(10),
        message: 'the host takes the presentation down',
      });
      const minutes = await host.ok('GET', '/minutes');
      assert.ok(minutes.presentations.some((/** @type {any} */ p) => p.point === P2 && p.to), `the minutes close ${P2}'s presentation: ${JSON.stringify(minutes.presentations)}`);
      assert.equal(await client(HOST).connectionState(), 'connected', 'the briefing goes on');
    });
  });
});
