// Built-in HTTPS: the real binary with a self-signed certificate made by openssl. A host and a
// bridge point join through their https:// links in Chromium and see each other's camera;
// every answer carries Strict-Transport-Security, plain HTTP is redirected, the admin cookie
// is Secure, and a new certificate is served after SIGHUP.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import {
  Server,
  createBriefing,
  freeTcpPort,
  openLink,
  runCli,
  seconds,
  selfSignedCertificate,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';

const TITLE = 'Giao ban qua HTTPS';
const HOST = 'Sở Thông tin và Truyền thông';
const CUA_LO = 'UBND thị xã Cửa Lò';

const startedAt = Date.now();
/** @type {string} */
let certDir;
/** @type {import('./lib/harness.js').TlsFiles} */
let certificate;
/** @type {number} */
let redirectPort;
/** @type {Server} */
let server;
/** @type {import('./lib/harness.js').Briefing} */
let briefing;
/** @type {import('./lib/harness.js').Client[]} */
const clients = [];

/**
 * The certificate the server presents at 127.0.0.1, if it is `pem`: the handshake succeeds
 * only when the server's certificate is the one trusted.
 *
 * @param {string} pem
 * @returns {Promise<boolean>}
 */
function presents(pem) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.httpPort, ca: pem, timeout: 2000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('a briefing over built-in HTTPS', { timeout: seconds(180) }, () => {
  before(async () => {
    certDir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-tls-'));
    certificate = await selfSignedCertificate(certDir);
    redirectPort = await freeTcpPort();
    server = await Server.start({
      name: 'https',
      tls: certificate,
      args: ['--redirect-http', `127.0.0.1:${redirectPort}`],
    });
    // Without --base-url the links take https://<listen>: createBriefing checks they start
    // with the server's https base URL.
    briefing = await createBriefing({
      dataDir: server.dataDir,
      title: TITLE,
      host: HOST,
      points: [CUA_LO],
      baseUrl: server.baseUrl,
    });
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.dispose();
    if (certDir) await fs.rm(certDir, { recursive: true, force: true });
    console.log(`https.test.js: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  it('answers over HTTPS with Strict-Transport-Security on every response', async () => {
    assert.match(server.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    for (const pathname of ['/healthz', '/nowhere', `/j/${encodeURIComponent('x.y')}`]) {
      const res = await server.get(pathname);
      assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000', `${pathname} (${res.status})`);
    }
    assert.equal((await server.get('/healthz')).text, 'ok');
  });

  it('redirects plain HTTP to the same path and query over HTTPS', async () => {
    const res = await fetch(`http://127.0.0.1:${redirectPort}/j/abc?x=1&y=%C3%A1`, { redirect: 'manual' });

    assert.equal(res.status, 308);
    assert.equal(res.headers.get('location'), `https://127.0.0.1:${server.httpPort}/j/abc?x=1&y=%C3%A1`);
    assert.equal(res.headers.get('strict-transport-security'), null);
  });

  it('sets the admin cookie with Secure', async () => {
    const loginUrl = new URL((await runCli(['admin-url', '--data', server.dataDir])).trim());
    assert.equal(loginUrl.origin, server.baseUrl);

    const res = await server.get(`${loginUrl.pathname}${loginUrl.search}`);

    assert.equal(res.status, 303, res.text);
    assert.match(res.headers.get('set-cookie') ?? '', /^giaoban_admin=[^;]+;.*; Secure$/);
  });

  it('a host and a bridge point join by their https links and see each other', async () => {
    const name = 'https-join';
    await withDiagnostics({ name, server, clients: () => clients }, async () => {
      for (const point of [HOST, CUA_LO]) {
        const client = await openLink(briefing.link(point), { ignoreHTTPSErrors: true });
        clients.push(client);
        await client.join({ title: TITLE, point });
      }
      const [host, cuaLo] = clients;
      const page = await cuaLo.page.evaluate(() => ({ protocol: location.protocol, secure: window.isSecureContext }));
      assert.deepEqual(page, { protocol: 'https:', secure: true });
      // Directed mode: only the host's audio is forwarded; video flows both ways.
      await cuaLo.waitForMediaFrom([HOST]);
      await host.waitForMediaFrom([CUA_LO], { audio: [] });
      assert.ok(cuaLo.signals.some((s) => s.dir === 'in'), 'the page received signalling over wss://');
    });
  });

  it('serves a new certificate after SIGHUP', async () => {
    const newDir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-tls-new-'));
    try {
      const renewed = await selfSignedCertificate(newDir);
      assert.ok(await presents(certificate.certPem), 'the first certificate is served');
      // The renewed files keep the old modification time, so only the signal can reload them.
      const { mtime } = await fs.stat(certificate.cert);
      await fs.copyFile(renewed.cert, certificate.cert);
      await fs.copyFile(renewed.key, certificate.key);
      await fs.utimes(certificate.cert, mtime, mtime);
      await fs.utimes(certificate.key, mtime, mtime);

      server.proc?.kill('SIGHUP');

      await waitFor(() => presents(renewed.certPem), { message: 'the renewed certificate served after SIGHUP' });
      server.assertRunning();
      assert.ok(server.recent.some((line) => /TLS certificate reloaded.*SIGHUP/.test(line)), server.logTail());
    } finally {
      await fs.rm(newDir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a certificate but no key, or a file that is no certificate', async () => {
    const dataDir = path.join(certDir, 'data');
    await assert.rejects(
      runCli(['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--tls-cert', certificate.cert]),
      /--tls-key/,
    );
    const garbage = path.join(certDir, 'garbage.pem');
    await fs.writeFile(garbage, 'not a certificate\n');
    await assert.rejects(
      runCli(['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--tls-cert', garbage, '--tls-key', certificate.key]),
      /garbage\.pem holds no certificate/,
    );
  });
});
