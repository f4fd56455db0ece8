// Invitation links as a security boundary: forged, foreign and revoked tokens are refused by
// the API, the page and the signalling; abusive signalling closes only the abuser's connection;
// links survive a crash of the server.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Client,
  Server,
  SignalClient,
  allOf,
  createBriefing,
  forgeToken,
  holdsFor,
  openLink,
  randomToken,
  revokePoint,
  seconds,
  tokenOf,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';

const HOST = 'Sở Thông tin và Truyền thông';
const CUA_LO = 'UBND thị xã Cửa Lò';
const NGHI_LOC = 'UBND huyện Nghi Lộc';
const DIEN_CHAU = 'UBND huyện Diễn Châu';
const BRIEFING_A = { title: 'Giao ban CNTT 6 tháng đầu năm', host: HOST, points: [CUA_LO, NGHI_LOC, DIEN_CHAU] };
const BRIEFING_B = { title: 'Giao ban chuyển đổi số quý III', host: 'Sở Nội vụ', points: ['UBND huyện Quỳnh Lưu'] };

const startedAt = Date.now();
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let a;
/** @type {import('./lib/harness.js').Briefing} */
let b;
/** @type {Set<Client>} */
const clients = new Set();

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @param {Server} [srv]
 */
function diagnosed(name, fn, srv = server) {
  return withDiagnostics({ name: `auth-${name}`, server: srv, clients: () => clients }, fn);
}

/**
 * @param {import('./lib/harness.js').Link} link
 * @param {{ countPeerConnections?: boolean }} [opts]
 */
async function open(link, opts) {
  const client = await openLink(link, opts);
  clients.add(client);
  return client;
}

/** @param {Client} client */
async function closeClient(client) {
  clients.delete(client);
  await client.close();
}

/** The same link with another token. @param {string} url @param {string} token */
function withToken(url, token) {
  return `${url.slice(0, url.lastIndexOf('/') + 1)}${encodeURIComponent(token)}`;
}

/**
 * Asserts an HTTP error answer: the status and the `{"error": {"code", "message"}}` body.
 *
 * @param {Promise<{ status: number, body: any, text: string }>} answer
 * @param {number} status
 * @param {string} what
 */
async function expectApiError(answer, status, what) {
  const res = await answer;
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(typeof res.body?.error?.code, 'string', `${what}: error body should be {"error": {"code", "message"}}, got ${res.text.slice(0, 300)}`);
  assert.equal(typeof res.body?.error?.message, 'string', `${what}: error body should carry a message, got ${res.text.slice(0, 300)}`);
}

/**
 * The page must show a non-empty `[data-role=error]`, create no RTCPeerConnection and receive no
 * `welcome`. If the page offers a join button, it is clicked, as a person would.
 *
 * @param {Client} client launched with `countPeerConnections`
 * @param {string} what
 */
async function expectRefusedPage(client, what) {
  let clicked = false;
  const shown = await waitFor(async () => {
    const errors = await client.errors();
    if (errors.length > 0) return errors;
    const join = client.page.locator('[data-action=join]').first();
    if (!clicked && (await join.count()) > 0 && (await join.isVisible()) && (await join.isEnabled())) {
      clicked = true;
      await join.click({ timeout: 2000 }).catch(() => {});
    }
    return null;
  }, { timeout: seconds(15), message: `${what}: a non-empty [data-role=error] on the page` });
  assert.ok(shown.length > 0);

  /** @type {any} */
  let state = null;
  await holdsFor(async () => {
    state = await client.page.evaluate(() => {
      const w = /** @type {any} */ (window);
      return { pc: Boolean(w.giaoban && w.giaoban.pc), made: w.__e2ePeerConnections };
    });
    return !state.pc && state.made === 0 && !client.signals.some((s) => s.dir === 'in' && s.type === 'welcome');
  }, {
    duration: 3000,
    message: () => `${what}: the page must not connect (window.giaoban.pc set: ${state?.pc}, ` +
      `RTCPeerConnections created: ${state?.made}, signalling: ${JSON.stringify(client.signals)})`,
  });
}

/**
 * Reads messages until an `error`, skipping what the server may send meanwhile (offers,
 * presence, the briefing state), and checks its code; then the server must close the connection.
 *
 * @param {SignalClient} sig
 * @param {string | null} code the expected code, or null for any
 * @param {string} what
 */
async function expectSignalError(sig, code, what) {
  /** @type {any[]} */
  const seen = [];
  for (;;) {
    let msg;
    try {
      msg = await sig.next({ what: `an error message for ${what}` });
    } catch (err) {
      throw new Error(`${what}: ${err instanceof Error ? err.message : err}; messages before: ${JSON.stringify(seen.map((m) => m.type))}`);
    }
    if (msg.type === 'error') {
      if (code) assert.equal(msg.code, code, `${what}: error code (message ${JSON.stringify(msg)})`);
      assert.equal(typeof msg.message, 'string', `${what}: error message text (got ${JSON.stringify(msg)})`);
      break;
    }
    assert.ok(['offer', 'briefing_state', 'state_delta', 'quality'].includes(msg.type), `${what}: unexpected ${JSON.stringify(msg).slice(0, 200)} before the error`);
    seen.push(msg);
  }
  await sig.waitClosed().catch((err) => {
    throw new Error(`${what}: ${err.message}`);
  });
}

/**
 * Opens a signalling connection and completes the handshake with `token`.
 *
 * @param {string} token
 */
async function helloWith(token) {
  const sig = await SignalClient.connect(server.baseUrl);
  sig.send({ type: 'hello', version: 3, token });
  const welcome = await sig.next({ what: 'welcome' });
  assert.equal(welcome.type, 'welcome', `handshake: expected welcome, got ${JSON.stringify(welcome).slice(0, 300)}`);
  return sig;
}

describe('invitation links and signalling', { timeout: seconds(420) }, () => {
  before(async () => {
    server = await Server.start({ name: 'auth' });
    a = await createBriefing({ dataDir: server.dataDir, ...BRIEFING_A, baseUrl: server.baseUrl });
    b = await createBriefing({ dataDir: server.dataDir, ...BRIEFING_B, baseUrl: server.baseUrl });
  });

  after(async () => {
    await Promise.allSettled([...clients].map((c) => c.close()));
    await server?.dispose();
    console.log(`auth.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  it('the API admits a token to its own briefing only', async () => {
    await diagnosed('api', async () => {
      const tokenA = tokenOf(a.link(CUA_LO).url);
      const tokenB = tokenOf(b.link(BRIEFING_B.host).url);

      await expectApiError(server.get('/api/session'), 401, 'GET /api/session without a token');
      await expectApiError(server.get('/api/session', { token: randomToken() }), 401, 'GET /api/session with a random token');
      await expectApiError(server.get('/api/session', { token: forgeToken(tokenA) }), 401, 'GET /api/session with a forged signature');
      await expectApiError(server.get(`/api/briefings/${a.id}`, { token: forgeToken(tokenA) }), 401, 'GET /api/briefings/A with a forged signature');
      await expectApiError(server.get(`/api/briefings/${b.id}`, { token: tokenA }), 403, "GET /api/briefings/B with A's token");
      await expectApiError(server.get(`/api/briefings/${a.id}`, { token: tokenB }), 403, "GET /api/briefings/A with B's token");

      const session = await server.get('/api/session', { token: tokenA });
      assert.equal(session.status, 200, `GET /api/session with A's token: ${session.text.slice(0, 300)}`);
      assert.equal(session.body.briefing.id, a.id);
      assert.equal(session.body.briefing.title, BRIEFING_A.title);
      assert.deepEqual({ ...session.body.point, id: undefined }, { id: undefined, name: CUA_LO, role: 'point', unit_code: null });
      assert.match(session.body.point.id, /^[a-z0-9]{8,}$/, 'the point id, for the report of this point');

      const own = await server.get(`/api/briefings/${a.id}`, { token: tokenA });
      assert.equal(own.status, 200, `GET /api/briefings/A with A's token: ${own.text.slice(0, 300)}`);
      assert.equal(own.body.id, a.id);
      assert.equal(own.body.title, BRIEFING_A.title);
      const byName = (/** @type {{ name: string }} */ x, /** @type {{ name: string }} */ y) => x.name.localeCompare(y.name);
      assert.deepEqual(
        own.body.points.map((/** @type {any} */ p) => ({ name: p.name, role: p.role })).sort(byName),
        [{ name: HOST, role: 'host' }, ...BRIEFING_A.points.map((name) => ({ name, role: 'point' }))].sort(byName),
      );
    });
  });

  it('a page opened with a forged or random token shows an error and never connects', async () => {
    const url = a.link(NGHI_LOC).url;
    const cases = [
      ['forged signature', withToken(url, forgeToken(tokenOf(url)))],
      ['random token', withToken(url, randomToken())],
    ];
    for (const [what, forged] of cases) {
      const client = await Client.launch(what, { countPeerConnections: true });
      clients.add(client);
      await diagnosed(`page-${what}`, async () => {
        await client.goto(forged, { status: 401 });
        await expectRefusedPage(client, what);
        assert.equal(await client.page.getByRole('heading', { level: 1 }).textContent(), 'Liên kết mời không hợp lệ');
      });
      await closeClient(client);
    }
  });

  it('a revoked link is refused by the API, the page and the signalling; other links still work', async () => {
    await diagnosed('revoke', async () => {
      const link = a.link(DIEN_CHAU);
      const token = tokenOf(link.url);
      const before = await server.get('/api/session', { token });
      assert.equal(before.status, 200, `the link works before it is revoked: ${before.text.slice(0, 300)}`);

      await revokePoint({ dataDir: server.dataDir, briefing: a.id, point: DIEN_CHAU });

      /** @type {number | undefined} */
      let status;
      await waitFor(async () => (status = (await server.get('/api/session', { token })).status) === 401, {
        timeout: seconds(5),
        message: () => `GET /api/session with the revoked token answers 401 (got ${status})`,
      });
      await expectApiError(server.get('/api/session', { token }), 401, 'GET /api/session with a revoked token');
      await expectApiError(server.get(`/api/briefings/${a.id}`, { token }), 401, 'GET /api/briefings/A with a revoked token');

      const client = await Client.launch('revoked link', { countPeerConnections: true });
      clients.add(client);
      await client.goto(link.url, { status: 401 });
      await expectRefusedPage(client, 'revoked link');
      assert.equal(await client.page.getByRole('heading', { level: 1 }).textContent(), 'Liên kết mời đã bị thu hồi');
      await closeClient(client);

      const sig = await SignalClient.connect(server.baseUrl);
      sig.send({ type: 'hello', version: 3, token });
      await expectSignalError(sig, 'revoked_token', 'hello with a revoked token');

      const other = await server.get('/api/session', { token: tokenOf(a.link(CUA_LO).url) });
      assert.equal(other.status, 200, `another point's link still works: ${other.text.slice(0, 300)}`);
    });
  });

  it('abusive signalling gets an error and a close; joined pages keep their media', async () => {
    await diagnosed('signalling', async () => {
      const viewers = [HOST, CUA_LO];
      const pages = await allOf(viewers.map(async (point) => {
        const client = await open(a.link(point));
        await client.join({ title: BRIEFING_A.title, point });
        return client;
      }));
      // Directed mode (the default): the host is heard, the point only seen.
      const heard = (/** @type {number} */ i) => (viewers[1 - i] === HOST ? [HOST] : []);
      await allOf(pages.map((c, i) => c.waitForMediaFrom([viewers[1 - i]], { audio: heard(i) })));

      const nghiLoc = tokenOf(a.link(NGHI_LOC).url);
      // Above the 1 MiB limit of a signalling message, below what the WebSocket layer refuses.
      const big = 'x'.repeat(2 * 1024 * 1024);
      /** @type {[string, string | null, () => Promise<SignalClient>][]} */
      const cases = [
        ['malformed JSON', 'bad_message', async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send('{"type": "hello", "version": 2, "token": ');
          return sig;
        }],
        ['a 2 MiB first message', 'too_large', async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send(JSON.stringify({ type: 'hello', version: 3, token: big }));
          return sig;
        }],
        ['a 2 MiB message after the handshake', 'too_large', async () => {
          const sig = await helloWith(nghiLoc);
          sig.send(JSON.stringify({ type: 'answer', sdp: big }));
          return sig;
        }],
        ['a binary frame', null, async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send(Buffer.from(JSON.stringify({ type: 'hello', version: 3, token: nghiLoc })));
          return sig;
        }],
        ['an unknown message type', 'bad_message', async () => {
          const sig = await helloWith(nghiLoc);
          sig.send({ type: 'launch' });
          return sig;
        }],
        ['an unknown field', 'bad_message', async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send({ type: 'hello', version: 3, token: nghiLoc, admin: true });
          return sig;
        }],
        ['an unsupported version', 'unsupported_version', async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send({ type: 'hello', version: 99, token: nghiLoc });
          return sig;
        }],
        ['a forged token', 'invalid_token', async () => {
          const sig = await SignalClient.connect(server.baseUrl);
          sig.send({ type: 'hello', version: 3, token: forgeToken(nghiLoc) });
          return sig;
        }],
      ];
      for (const [what, code, act] of cases) {
        const sig = await act();
        try {
          await expectSignalError(sig, code, what);
        } finally {
          sig.close();
        }
      }

      // A connection that never says hello is closed (the handshake is due within 10 s).
      const silent = await SignalClient.connect(server.baseUrl);
      try {
        await silent.waitClosed({ timeout: seconds(20) });
      } finally {
        silent.close();
      }

      server.assertRunning();
      await allOf(pages.map((c, i) => c.waitForMediaFrom([viewers[1 - i]], { timeout: seconds(10), audio: heard(i) })));
      for (const page of pages) {
        const errors = page.signals.filter((s) => s.dir === 'in' && s.type === 'error');
        assert.deepEqual(errors, [], `${page.label}: signalling errors while others misbehaved`);
      }
      await allOf(pages.map(closeClient));
    });
  });

  it('an invitation link still works after the server is killed and started again', async () => {
    const own = await Server.start({ name: 'auth-restart' });
    try {
      await diagnosed('restart', async () => {
        const briefing = await createBriefing({ dataDir: own.dataDir, ...BRIEFING_A, baseUrl: own.baseUrl });
        const link = briefing.link(CUA_LO);
        const token = tokenOf(link.url);
        const before = await own.get('/api/session', { token });
        assert.equal(before.status, 200, `the link works before the crash: ${before.text.slice(0, 300)}`);

        await own.kill();
        await own.launch();

        const session = await own.get('/api/session', { token });
        assert.equal(session.status, 200, `the link works after the restart: ${session.text.slice(0, 300)}`);
        assert.equal(session.body.briefing.id, briefing.id);
        assert.equal(session.body.briefing.title, BRIEFING_A.title);
        const listed = await own.get(`/api/briefings/${briefing.id}`, { token });
        assert.equal(listed.status, 200, `GET /api/briefings/{id} after the restart: ${listed.text.slice(0, 300)}`);

        const client = await open(link);
        let text = '';
        await waitFor(async () => (text = await client.text()).includes(BRIEFING_A.title), {
          timeout: seconds(15),
          message: () => `the page of ${CUA_LO} shows ${JSON.stringify(BRIEFING_A.title)} after the restart; page text: ${JSON.stringify(text.slice(0, 300))}`,
        });
        await closeClient(client);
      }, own);
    } finally {
      await own.dispose();
    }
  });
});
