// Helpers for the end-to-end tests: the real `giaoban` binary, real Chromium, polling with
// deadlines, and reading WebRTC statistics out of the pages.
//
// Failures say which page (point) and what was missing, and carry the tail of the server log
// so a red CI run can be understood without re-running it.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { accessSync, constants as fsConstants, createWriteStream, mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import WebSocket from 'ws';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const ARTIFACTS = path.join(REPO_ROOT, 'tests', 'e2e', 'artifacts');

/** Flags for Debian's Chromium on a headless machine (see TESTING.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** Slow machines may stretch every deadline: GIAOBAN_E2E_TIMEOUT_SCALE=2. */
const TIMEOUT_SCALE = Number(process.env.GIAOBAN_E2E_TIMEOUT_SCALE || 1) || 1;

/**
 * @param {number} s
 * @returns {number} milliseconds, scaled by GIAOBAN_E2E_TIMEOUT_SCALE
 */
export function seconds(s) {
  return Math.round(s * 1000 * TIMEOUT_SCALE);
}

// ---------------------------------------------------------------------------------------------
// Waiting

/**
 * Polls an async predicate until it returns a truthy value, and returns that value.
 * Errors thrown by the predicate count as "not yet"; the last one is reported on timeout.
 *
 * @template T
 * @param {() => Promise<T> | T} predicate
 * @param {{ timeout?: number, interval?: number, message?: string | (() => string) }} [opts]
 * @returns {Promise<T>}
 */
export async function waitFor(predicate, { timeout = seconds(10), interval = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  const text = typeof message === 'function' ? message() : message;
  const cause = lastError ? `\n  last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
  throw new Error(`timed out after ${(timeout / 1000).toFixed(1)} s waiting for: ${text}${cause}`);
}

/**
 * Checks that an async predicate stays truthy for a whole period (for "nothing happens" checks).
 *
 * @param {() => Promise<unknown> | unknown} predicate
 * @param {{ duration: number, interval?: number, message: string | (() => string) }} opts
 */
export async function holdsFor(predicate, { duration, interval = 250, message }) {
  const end = Date.now() + duration;
  do {
    if (!(await predicate())) {
      throw new Error(`no longer true: ${typeof message === 'function' ? message() : message}`);
    }
    await sleep(interval);
  } while (Date.now() < end);
}

/**
 * Like `Promise.all`, but waits for every task and reports every failure, so that one slow
 * page does not hide what went wrong on the others.
 *
 * @template T
 * @param {Promise<T>[]} tasks
 * @returns {Promise<T[]>}
 */
export async function allOf(tasks) {
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const text = failures.map((f, i) => `(${i + 1}/${failures.length}) ${f instanceof Error ? f.message : String(f)}`);
    throw new Error(text.join('\n\n'), { cause: failures[0] });
  }
  return results.map((r) => /** @type {PromiseFulfilledResult<T>} */ (r).value);
}

// ---------------------------------------------------------------------------------------------
// Ports

/** @returns {Promise<number>} a TCP port on 127.0.0.1 that was free a moment ago */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(addr.port));
    });
  });
}

/** @returns {Promise<number>} a UDP port on 127.0.0.1 that was free a moment ago */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/**
 * Whether `port` can be bound on all addresses over `proto` now.
 * @param {'tcp' | 'udp'} proto
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function bindable(proto, port) {
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
    } else {
      const sock = dgram.createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '0.0.0.0', () => sock.close(() => resolve(true)));
    }
  });
}

/**
 * A port for a server's media: free over UDP and TCP (ICE-TCP listens on the same number), and
 * outside the kernel's ephemeral range (32768–60999), where an outgoing connection of any
 * process could take it between this check and the server's start.
 * @returns {Promise<number>}
 */
export async function freeMediaPort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if ((await bindable('udp', port)) && (await bindable('tcp', port))) return port;
  }
  throw new Error('no port free over both UDP and TCP between 20000 and 32000');
}

// ---------------------------------------------------------------------------------------------
// The server binary

/** @returns {string} path of the `giaoban` binary, checked to be executable */
export function serverBinary() {
  const bin = process.env.GIAOBAN_BIN
    ? path.resolve(process.env.GIAOBAN_BIN)
    : path.join(process.env.CARGO_TARGET_DIR ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR) : path.join(REPO_ROOT, 'target'), 'release', 'giaoban');
  try {
    accessSync(bin, fsConstants.X_OK);
  } catch {
    throw new Error(`server binary not found or not executable: ${bin}\n` +
      '  build it with `cargo build --release -p giaoban-server`, or set GIAOBAN_BIN');
  }
  return bin;
}

/** @param {string} name */
function artifactName(name) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${name.replace(/[^\p{L}\p{N}_-]+/gu, '-')}-${stamp}`;
}

/**
 * Runs the CLI and returns its stdout; throws with stderr on a non-zero exit.
 *
 * @param {string[]} args
 * @returns {Promise<string>}
 */
export function runCli(args) {
  const bin = serverBinary();
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: seconds(30), maxBuffer: 4 << 20, env: process.env }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`\`giaoban ${args.join(' ')}\` failed: ${err.message}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/**
 * @typedef {{ point: string, role: 'host' | 'point', url: string }} Link
 * @typedef {{ id: string, title: string, links: Link[], link: (point: string) => Link }} Briefing
 * @typedef {{ status: number, headers: Headers, body: any, text: string, bytes: Buffer }} Answer
 *   an HTTP answer: `body` is the parsed JSON or null, `text` the body decoded as UTF-8
 *   without a byte order mark, `bytes` the body as sent
 */

/**
 * `giaoban briefing create ... --json`, with the answer's shape checked.
 *
 * @param {{ dataDir: string, title: string, host: string, points: string[], baseUrl?: string }} opts
 *   `baseUrl`, when given, is what every link must start with (the server stores its base URL
 *   in the data dir for the CLI).
 * @returns {Promise<Briefing>}
 */
export async function createBriefing({ dataDir, title, host, points, baseUrl }) {
  const args = ['briefing', 'create', '--data', dataDir, '--title', title, '--host', host];
  for (const p of points) args.push('--point', p);
  args.push('--json');
  const stdout = await runCli(args);
  let parsed;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch (err) {
    throw new Error(`\`giaoban briefing create --json\` printed something that is not one JSON object: ${JSON.stringify(stdout)}`);
  }
  const shape = `got ${JSON.stringify(parsed)}`;
  if (typeof parsed?.id !== 'string' || !parsed.id) throw new Error(`briefing create: missing "id"; ${shape}`);
  if (!Array.isArray(parsed.links)) throw new Error(`briefing create: missing "links"; ${shape}`);
  const expected = [{ point: host, role: 'host' }, ...points.map((p) => ({ point: p, role: 'point' }))];
  if (parsed.links.length !== expected.length) {
    throw new Error(`briefing create: expected ${expected.length} links (host first); ${shape}`);
  }
  if (parsed.links[0].point !== host || parsed.links[0].role !== 'host') {
    throw new Error(`briefing create: the first link must be the host ${JSON.stringify(host)}; ${shape}`);
  }
  for (const want of expected) {
    const link = parsed.links.find((/** @type {Link} */ l) => l.point === want.point);
    if (!link) throw new Error(`briefing create: no link for ${JSON.stringify(want.point)}; ${shape}`);
    if (link.role !== want.role) throw new Error(`briefing create: ${want.point} should have role ${want.role}; ${shape}`);
    tokenOf(link.url);
    if (baseUrl && !link.url.startsWith(`${baseUrl}/j/`)) {
      throw new Error(`briefing create: link ${link.url} does not point at the running server ${baseUrl}/j/…`);
    }
  }
  return {
    id: parsed.id,
    title,
    links: parsed.links,
    link(point) {
      const found = this.links.find((l) => l.point === point);
      if (!found) throw new Error(`no link for ${point} in briefing ${this.id}`);
      return found;
    },
  };
}

/** `giaoban briefing revoke`. @param {{ dataDir: string, briefing: string, point: string }} opts */
export async function revokePoint({ dataDir, briefing, point }) {
  await runCli(['briefing', 'revoke', '--data', dataDir, '--briefing', briefing, '--point', point]);
}

/** @param {string} url an invitation link `<base>/j/<token>` @returns {string} the token */
export function tokenOf(url) {
  const m = /^\/j\/([^/?#]+)$/.exec(new URL(url).pathname);
  if (!m) throw new Error(`not an invitation link (expected <base>/j/<token>): ${url}`);
  return decodeURIComponent(m[1]);
}

/**
 * A token with one character of its signature changed. The signature is taken to be the last
 * `.`-separated part (the whole token if there is no dot); a character from its middle is
 * changed, because the last character of unpadded base64 may carry only padding bits.
 *
 * @param {string} token
 * @returns {string}
 */
export function forgeToken(token) {
  const start = token.lastIndexOf('.') + 1;
  const signature = token.slice(start);
  const alphabet = /^[0-9a-f]+$/.test(signature)
    ? '0123456789abcdef'
    : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const i = start + Math.floor(signature.length / 2);
  const at = alphabet.indexOf(token[i]);
  const swap = alphabet[(at + 1) % alphabet.length];
  return token.slice(0, i) + swap + token.slice(i + 1);
}

/** A random URL-safe string of the usual token length. */
export function randomToken() {
  return randomBytes(48).toString('base64url');
}

/**
 * @typedef {{ cert: string, key: string, certPem: string }} TlsFiles a certificate and key
 *   (PEM files) for `serve --tls-cert --tls-key`, and the certificate's text
 */

/**
 * Makes a self-signed certificate for an IP address (127.0.0.1 by default) with `openssl` in
 * `dir` (cert.pem, key.pem).
 *
 * @param {string} dir
 * @param {string} [ip]
 * @returns {Promise<TlsFiles>}
 */
export async function selfSignedCertificate(dir, ip = '127.0.0.1') {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`];
  await new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: seconds(30) }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl could not make a certificate (is the Debian package openssl installed?): ${err.message}\n${stderr}`));
      else resolve(undefined);
    });
  });
  return { cert, key, certPem: await fs.readFile(cert, 'utf8') };
}

/**
 * `fetch` for a server whose certificate is `ca` (PEM), trusting that certificate only. It
 * follows no redirects.
 *
 * @param {string} ca
 * @returns {(url: string, init?: RequestInit) => Promise<Response>}
 */
export function fetchTrusting(ca) {
  return (url, init = {}) => new Promise((resolve, reject) => {
    const headers = /** @type {Record<string, string>} */ (init.headers ?? {});
    const req = https.request(url, { method: init.method ?? 'GET', headers, ca, signal: init.signal ?? undefined }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : [value ?? '']) answer.append(name, v);
        }
        const status = res.statusCode ?? 0;
        const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers: answer }));
      });
    });
    req.on('error', reject);
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
}

/**
 * One `giaoban serve` process with its own ports, data dir and log file.
 */
export class Server {
  /**
   * Starts a server on fresh ports and a fresh data directory and waits until it is healthy.
   *
   * @param {{ name: string, args?: string[], host?: string, tls?: TlsFiles }} opts `name` labels
   *   the log file under tests/e2e/artifacts/; `args` are more options of `giaoban serve` (e.g.
   *   `--demo`); `host` is the address it listens on (default 127.0.0.1; an IPv6 address without
   *   brackets); with `tls` the server speaks HTTPS with that certificate, which the harness's
   *   own requests trust
   * @returns {Promise<Server>}
   */
  static async start({ name, args = [], host = '127.0.0.1', tls }) {
    serverBinary();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-data-'));
    const server = new Server({ name, dataDir, httpPort: await freeTcpPort(), mediaPort: await freeMediaPort(), args, host, tls });
    await server.launch();
    return server;
  }

  /** @param {{ name: string, dataDir: string, httpPort: number, mediaPort: number, args?: string[], host?: string, tls?: TlsFiles }} opts */
  constructor({ name, dataDir, httpPort, mediaPort, args = [], host = '127.0.0.1', tls }) {
    this.name = name;
    this.bin = serverBinary();
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.mediaPort = mediaPort;
    /** the HTTP listen address, as `--listen` takes it */
    this.listen = host.includes(':') ? `[${host}]:${httpPort}` : `${host}:${httpPort}`;
    this.baseUrl = `${tls ? 'https' : 'http'}://${this.listen}`;
    /** `fetch` for this server: with `tls`, one that trusts its certificate */
    this.fetch = tls ? fetchTrusting(tls.certPem) : fetch;
    /** `--metrics-token`: the harness reads /metrics from any address the server listens on */
    this.metricsToken = randomBytes(16).toString('hex');
    /** more options of `giaoban serve`, after the harness's own */
    this.extraArgs = tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key, ...args] : args;
    mkdirSync(ARTIFACTS, { recursive: true });
    this.logPath = path.join(ARTIFACTS, `${artifactName(`server-${name}`)}.log`);
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    /** @type {string[]} recent output, for failure messages */
    this.recent = [];
    /** everything the process wrote to stdout (the CLI's own output, not the log), over all launches */
    this.stdout = '';
    /** @type {import('node:child_process').ChildProcess | null} */
    this.proc = null;
    /** @type {Promise<{ code: number | null, signal: string | null }> | null} */
    this.exited = null;
    /** @type {{ code: number | null, signal: string | null } | null} */
    this.exitStatus = null;
  }

  /** Starts (or starts again) the process on this server's ports and data dir. */
  async launch() {
    if (this.proc && !this.exitStatus) throw new Error(`server ${this.name} is already running`);
    const args = ['serve', '--listen', this.listen, '--media-port', String(this.mediaPort), '--data', this.dataDir, '--metrics-token', this.metricsToken, ...this.extraArgs];
    this.note(`$ ${this.bin} ${args.join(' ')}`);
    const env = { ...process.env };
    env.RUST_LOG ??= 'info,giaoban=debug,giaoban_server=debug,giaoban_media=debug,giaoban_store=debug';
    env.RUST_BACKTRACE ??= '1';
    const proc = spawn(this.bin, args, { cwd: this.dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.exitStatus = null;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        this.note(`[server exited: code ${code}, signal ${signal}]`);
        resolve(this.exitStatus);
      });
      proc.once('error', (err) => {
        this.exitStatus = { code: null, signal: null };
        this.note(`[could not start server: ${err.message}]`);
        resolve(this.exitStatus);
      });
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk) => this.output(chunk));
    }
    proc.stdout?.on('data', (chunk) => { this.stdout += chunk; });
    await this.waitHealthy();
  }

  /** @param {string} chunk */
  output(chunk) {
    this.log.write(chunk);
    this.recent.push(...chunk.split('\n').filter((l) => l.length > 0));
    if (this.recent.length > 400) this.recent.splice(0, this.recent.length - 400);
  }

  /** @param {string} line a line of the harness's own in the log */
  note(line) {
    this.output(`${new Date().toISOString()} e2e: ${line}\n`);
  }

  /** @param {number} [lines] @returns {string} the end of the server's output */
  logTail(lines = 50) {
    return `--- server ${this.name}: last ${lines} lines of ${this.logPath} ---\n${this.recent.slice(-lines).join('\n')}`;
  }

  async waitHealthy() {
    const timeout = seconds(30);
    const deadline = Date.now() + timeout;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitStatus) {
        throw new Error(`server ${this.name} exited before it was healthy (${JSON.stringify(this.exitStatus)})\n${this.logTail()}`);
      }
      try {
        const res = await this.fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
        last = `GET /healthz answered ${res.status}`;
      } catch (err) {
        last = `GET /healthz: ${err instanceof Error ? err.message : err}`;
      }
      await sleep(100);
    }
    throw new Error(`server ${this.name} was not healthy within ${timeout / 1000} s (${last})\n${this.logTail()}`);
  }

  /** Throws (with the log tail) if the process has exited. */
  assertRunning() {
    if (this.exitStatus) {
      throw new Error(`server ${this.name} has exited (${JSON.stringify(this.exitStatus)})\n${this.logTail()}`);
    }
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop() {
    if (!this.proc || this.exitStatus) return this.exitStatus;
    this.note('stopping (SIGTERM)');
    this.proc.kill('SIGTERM');
    const timer = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.note('still running 5 s after SIGTERM: SIGKILL');
      this.proc.kill('SIGKILL');
    }
    return this.exited;
  }

  /** SIGKILL at once, as a crash or power loss would. */
  async kill() {
    if (!this.proc || this.exitStatus) return this.exitStatus;
    this.note('SIGKILL');
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  /** Stops the server and removes its data dir; the log file stays. */
  async dispose() {
    await this.stop();
    await new Promise((resolve) => this.log.end(resolve));
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }

  /**
   * @param {string} pathname
   * @param {{ token?: string, headers?: Record<string, string> }} [opts]
   * @returns {Promise<Answer>}
   */
  async get(pathname, opts = {}) {
    return this.request('GET', pathname, opts);
  }

  /**
   * One HTTP request to the server. `body` is sent as JSON: an object is serialised, a string
   * is sent as it is (for JSON a serialiser would not write, such as `1e9`).
   *
   * @param {string} method
   * @param {string} pathname
   * @param {{ token?: string, body?: unknown, headers?: Record<string, string> }} [opts]
   * @returns {Promise<Answer>}
   */
  async request(method, pathname, { token, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token !== undefined) h.authorization = `Bearer ${token}`;
    /** @type {RequestInit} */
    const init = { method, headers: h, signal: AbortSignal.timeout(seconds(10)) };
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await this.fetch(`${this.baseUrl}${pathname}`, init);
    const bytes = Buffer.from(await res.arrayBuffer());
    // Decoded as fetch's text() would: a leading byte order mark is dropped (see `bytes`).
    const text = new TextDecoder('utf-8').decode(bytes);
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON; callers that expect JSON check `body`
    }
    return { status: res.status, headers: res.headers, body: parsed, text, bytes };
  }

  /** @returns {Promise<string>} the Prometheus text of `/metrics` */
  async metricsText() {
    const res = await this.get('/metrics', { token: this.metricsToken });
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.text.slice(0, 200)}`);
    return res.text;
  }

  /**
   * @param {string} name a metric name
   * @returns {Promise<number | null>} its value (summed over labels), or null if absent
   */
  async metric(name) {
    return parseMetric(await this.metricsText(), name);
  }
}

/**
 * Value of one metric in Prometheus text format, summed over its label sets; null if absent.
 *
 * @param {string} text
 * @param {string} name
 * @returns {number | null}
 */
export function parseMetric(text, name) {
  let total = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line.trim());
    if (!m || m[1] !== name) continue;
    const value = Number(m[3]);
    if (Number.isNaN(value)) continue;
    total = (total ?? 0) + value;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The host API (docs/http.md, "Host API")

/**
 * The host API of one briefing, called with the host's invitation token unless told otherwise.
 */
export class HostApi {
  /**
   * @param {Server} server
   * @param {Briefing} briefing
   */
  constructor(server, briefing) {
    this.server = server;
    this.briefing = briefing;
    const host = briefing.links.find((l) => l.role === 'host');
    if (!host) throw new Error(`briefing ${briefing.id} has no host link`);
    /** the host's invitation token */
    this.token = tokenOf(host.url);
  }

  /**
   * @param {string} method
   * @param {string} sub the path after `/api/briefings/{id}`, e.g. `/floor`
   * @param {unknown} [body] an object (sent as JSON) or a raw JSON string
   * @param {{ token?: string | null }} [opts] another token, or null for none
   * @returns {Promise<Answer>}
   */
  call(method, sub, body, { token = this.token } = {}) {
    const pathname = `/api/briefings/${encodeURIComponent(this.briefing.id)}${sub}`;
    return this.server.request(method, pathname, { body, ...(token === null ? {} : { token }) });
  }

  /**
   * A call that must answer 200; returns its JSON body.
   *
   * @param {string} method
   * @param {string} sub
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async ok(method, sub, body) {
    const res = await this.call(method, sub, body);
    if (res.status !== 200 || res.body === null) {
      const sent = body === undefined ? '' : ` ${typeof body === 'string' ? body : JSON.stringify(body)}`;
      throw new Error(`${method} /api/briefings/{id}${sub}${sent} (host token): expected 200 with JSON, got ${res.status} ${res.text.slice(0, 300)}`);
    }
    return res.body;
  }

  /** @returns {Promise<any>} `GET /api/briefings/{id}/state` */
  state() {
    return this.ok('GET', '/state');
  }

  /**
   * Polls the state until `predicate` holds; returns that state.
   *
   * @param {(state: any) => unknown} predicate
   * @param {{ timeout?: number, message: string }} opts
   * @returns {Promise<any>}
   */
  async waitState(predicate, { timeout = seconds(10), message }) {
    /** @type {any} */
    let last = null;
    return waitFor(async () => {
      last = await this.state();
      return predicate(last) ? last : null;
    }, { timeout, message: () => `${message}; last state: ${JSON.stringify(last)}` });
  }

  /** @param {'directed' | 'open' | 'presentation'} mode @returns {Promise<any>} the new state */
  setMode(mode) {
    return this.ok('POST', '/mode', { mode });
  }
}

/**
 * Parses CSV as RFC 4180 writes it: fields separated by commas, quoted with `"` when they
 * hold a comma, a quote or a line end, quotes doubled inside; lines end with CRLF or LF.
 *
 * @param {string} text without a byte order mark
 * @returns {string[][]} the records; a final empty line is not a record
 */
export function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  /** @type {string[]} */
  let record = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field.length === 0) {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
    }
    i += 1;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Garbage for the media port

/**
 * Datagrams a hostile or broken peer could send to the media port: random bytes of many
 * sizes, STUN headers with random attributes, truncated RTP/RTCP and DTLS records.
 *
 * @returns {Buffer[]}
 */
export function garbageDatagrams() {
  /** @type {Buffer[]} */
  const out = [];
  const rnd = (n) => randomBytes(n);
  const int = (n) => Math.floor(Math.random() * n);

  // Random bytes; 65507 is the largest UDP payload over IPv4.
  for (const size of [0, 1, 20, 1500, 9000, 65507]) {
    for (let i = 0; i < 4; i++) out.push(rnd(size));
  }

  // STUN (RFC 8489): binding requests with random attributes, some with lying lengths.
  for (let i = 0; i < 50; i++) {
    const attrs = [];
    const count = 1 + int(5);
    for (let a = 0; a < count; a++) {
      const kind = [0x0006, 0x0008, 0x8028, 0x0024, 0x8029, 0x802a, 0x0025, int(0x10000)][int(8)];
      const len = int(64);
      const value = rnd(len + ((4 - (len % 4)) % 4));
      const header = Buffer.alloc(4);
      header.writeUInt16BE(kind, 0);
      header.writeUInt16BE(i % 7 === 0 ? 0xffff : len, 2);
      attrs.push(header, value);
    }
    const body = Buffer.concat(attrs);
    const head = Buffer.alloc(20);
    head.writeUInt16BE([0x0001, 0x0101, 0x0111, 0x0011][i % 4], 0);
    head.writeUInt16BE(i % 5 === 0 ? body.length + 400 : body.length, 2);
    head.writeUInt32BE(0x2112a442, 4);
    rnd(12).copy(head, 8);
    out.push(Buffer.concat([head, body]));
  }
  // A STUN header alone, and one cut short.
  out.push(Buffer.from('000100002112a442', 'hex'), Buffer.concat([Buffer.from('0001ff002112a442', 'hex'), rnd(12)]));

  // RTP and RTCP looking packets (RFC 3550): truncated headers, CSRC counts and extensions
  // that run past the end, random payload types.
  for (let i = 0; i < 50; i++) {
    const b0 = 0x80 | (i % 3 === 0 ? 0x10 : 0) | (i % 16); // V=2, maybe X, CC
    const pt = [96, 97, 111, 0x80 | 96, 200, 201, 205, 206][i % 8];
    const hdr = Buffer.concat([Buffer.from([b0, pt]), rnd(10)]);
    const cut = i % 2 === 0 ? 2 + int(10) : 12 + int(30);
    out.push(Buffer.concat([hdr, rnd(40)]).subarray(0, cut));
  }

  // DTLS records (RFC 6347): handshake/application data with lengths past the end.
  for (let i = 0; i < 50; i++) {
    const type = [20, 21, 22, 23, 25][i % 5];
    const rec = Buffer.alloc(13);
    rec[0] = type;
    rec[1] = 0xfe;
    rec[2] = i % 2 === 0 ? 0xfd : 0xff;
    rec.writeUInt16BE(i % 3, 3); // epoch
    rnd(6).copy(rec, 5); // sequence number
    rec.writeUInt16BE(200 + int(2000), 11); // claimed length, longer than what follows
    const body = type === 22 ? Buffer.concat([Buffer.from([1, 0, 0x01, 0x00]), rnd(int(60))]) : rnd(int(60));
    out.push(Buffer.concat([rec, body]).subarray(0, 1 + int(13 + body.length)));
  }

  // Fill up to ~200 with random sizes.
  while (out.length < 200) out.push(rnd(int(1500)));
  return out;
}

/**
 * Sends every datagram to 127.0.0.1:port from a fresh socket (a source the server has never
 * seen).
 *
 * @param {number} port
 * @param {Buffer[]} datagrams
 */
export async function sendDatagrams(port, datagrams) {
  const sock = dgram.createSocket('udp4');
  try {
    for (const [i, d] of datagrams.entries()) {
      await new Promise((resolve, reject) => sock.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve(undefined))));
      // Paced so that the server reads them rather than the kernel dropping a burst.
      if (i % 10 === 9 || d.length > 1500) await sleep(5);
    }
  } finally {
    await new Promise((resolve) => sock.close(() => resolve(undefined)));
  }
}

// ---------------------------------------------------------------------------------------------
// Browsers

/**
 * One Chromium with its own persistent profile and one page, as one bridge point's browser.
 */
/**
 * @typedef {object} LaunchOptions
 * @property {boolean} [countPeerConnections] count `new RTCPeerConnection` in
 *   `window.__e2ePeerConnections`
 * @property {string} [executablePath] the browser to start (e.g. a wrapper that starts it in a
 *   network namespace); Debian's Chromium by default
 * @property {string[]} [args] more command line flags of the browser
 * @property {boolean} [ignoreHTTPSErrors] accept any certificate (a server's self-signed one)
 * @property {boolean} [alwaysSendAudio] a client that disobeys: it keeps its microphone's
 *   encoding active whatever the server's `publish` says (the server must still decide who is
 *   heard)
 */

export class Client {
  /**
   * @param {string} label who this browser is, e.g. the point's name
   * @param {LaunchOptions} [opts]
   * @returns {Promise<Client>}
   */
  static async launch(label, { countPeerConnections = false, ignoreHTTPSErrors = false, executablePath = CHROMIUM_BIN, args = [], alwaysSendAudio = false } = {}) {
    const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-chromium-'));
    let context;
    try {
      context = await chromium.launchPersistentContext(profileDir, {
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS, ...args],
        viewport: { width: 1280, height: 720 },
        ignoreHTTPSErrors,
        timeout: seconds(30),
      });
    } catch (err) {
      await fs.rm(profileDir, { recursive: true, force: true });
      throw new Error(`could not launch Chromium (${CHROMIUM_BIN}) for ${label}: ${err instanceof Error ? err.message : err}`);
    }
    if (countPeerConnections) await context.addInitScript(countPeerConnectionsScript);
    if (alwaysSendAudio) await context.addInitScript(alwaysSendAudioScript);
    const page = context.pages()[0] ?? (await context.newPage());
    return new Client(label, profileDir, context, page);
  }

  /**
   * @param {string} label
   * @param {string} profileDir
   * @param {import('playwright-core').BrowserContext} context
   * @param {import('playwright-core').Page} page
   */
  constructor(label, profileDir, context, page) {
    this.label = label;
    this.profileDir = profileDir;
    this.context = context;
    this.page = page;
    this.closed = false;
    /** @type {string[]} console messages and page errors */
    this.console = [];
    /** @type {{ dir: 'in' | 'out', type: string, code?: string }[]} signalling frames seen */
    this.signals = [];
    page.on('console', (msg) => this.remember(`console.${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => this.remember(`pageerror: ${err.message}`));
    page.on('crash', () => this.remember('page crashed'));
    page.on('websocket', (ws) => {
      this.remember(`websocket opened: ${ws.url()}`);
      ws.on('framereceived', ({ payload }) => this.signal('in', payload));
      ws.on('framesent', ({ payload }) => this.signal('out', payload));
      ws.on('close', () => this.remember(`websocket closed: ${ws.url()}`));
    });
  }

  /** @param {string} line */
  remember(line) {
    this.console.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (this.console.length > 300) this.console.splice(0, this.console.length - 300);
  }

  /** @param {'in' | 'out'} dir @param {string | Buffer} payload */
  signal(dir, payload) {
    let entry = { dir, type: typeof payload === 'string' ? '?' : 'binary' };
    if (typeof payload === 'string') {
      try {
        const msg = JSON.parse(payload);
        entry = { dir, type: String(msg?.type), ...(msg?.code ? { code: String(msg.code) } : {}) };
      } catch {
        entry = { dir, type: 'not-json' };
      }
    }
    this.signals.push(entry);
    this.remember(`signal ${dir} ${entry.type}${entry.code ? ` (${entry.code})` : ''}`);
  }

  /**
   * Opens `url`; an answer of 400 or more throws, unless it is the `status` expected (the page
   * of a refused link).
   * @param {string} url
   * @param {{status?: number}} [expect]
   */
  async goto(url, { status } = {}) {
    const res = await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: seconds(20) });
    const got = res ? res.status() : 0;
    if (status !== undefined) {
      if (got !== status) throw new Error(`${this.label}: GET ${url} answered ${got}, not ${status}`);
    } else if (got >= 400) {
      throw new Error(`${this.label}: GET ${url} answered ${got}`);
    }
  }

  /** Closes the browser (its page and WebSocket with it) and removes the profile. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.context.close().catch(() => {});
    await fs.rm(this.profileDir, { recursive: true, force: true }).catch(() => {});
  }

  /** @param {number} [lines] */
  consoleTail(lines = 20) {
    return `--- browser of ${this.label}: last ${lines} events ---\n${this.console.slice(-lines).join('\n')}`;
  }

  /** @returns {Promise<string>} the page's visible text */
  async text() {
    return this.page.locator('body').innerText({ timeout: seconds(5) });
  }

  /**
   * Waits until the page shows the briefing title and this point's name, then joins.
   *
   * @param {{ title: string, point: string }} expected
   */
  async join({ title, point }) {
    let text = '';
    await waitFor(async () => {
      text = await this.text();
      return text.includes(title) && text.includes(point);
    }, {
      timeout: seconds(15),
      message: () => `${this.label}: page showing title ${JSON.stringify(title)} and name ${JSON.stringify(point)}; page text: ${JSON.stringify(text.slice(0, 400))}`,
    });
    try {
      await this.page.click('[data-action=join]', { timeout: seconds(10) });
    } catch (err) {
      throw new Error(`${this.label}: could not click [data-action=join]: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
    }
  }

  /** @returns {Promise<string[]>} texts of visible, non-empty `[data-role=error]` elements */
  async errors() {
    return this.page.$$eval('[data-role=error]', (els) =>
      els
        .filter((el) => (typeof el.checkVisibility === 'function' ? el.checkVisibility() : true))
        .map((el) => (el.textContent ?? '').trim())
        .filter((t) => t.length > 0));
  }

  /** @returns {Promise<any>} see `collectMedia` */
  async sample() {
    return this.page.evaluate(collectMedia);
  }

  /** @returns {Promise<any>} `window.giaoban.briefingState`: the last state the page received */
  async briefingState() {
    return this.page.evaluate(() => {
      const g = /** @type {any} */ (window).giaoban;
      return g && g.briefingState !== undefined ? JSON.parse(JSON.stringify(g.briefingState)) : undefined;
    });
  }

  /** @returns {Promise<string>} `window.giaoban.state`: the connection state */
  async connectionState() {
    return this.page.evaluate(() => String(/** @type {any} */ (window).giaoban?.state));
  }

  /**
   * Whether the page received a signalling message of this type (and code).
   *
   * @param {string} type
   * @param {string} [code]
   */
  received(type, code) {
    return this.signals.some((s) => s.dir === 'in' && s.type === type && (code === undefined || s.code === code));
  }

  /**
   * Starts watching, inside the page, for audio from `point` to arrive: the page polls its
   * statistics every 10 ms from a baseline taken before this resolves. `arrived()` gives the
   * wall-clock time (`Date.now()`, the same clock as the test's) of the first sample above the
   * baseline, or null if none came within `timeout`.
   *
   * @param {string} point
   * @param {{ timeout?: number }} [opts]
   * @returns {Promise<{ baseline: number, arrived: () => Promise<{ at: number | null, packets: number }> }>}
   */
  async watchAudioFrom(point, { timeout = seconds(20) } = {}) {
    const baseline = await this.page.evaluate(async ({ point, timeout }) => {
      const w = /** @type {any} */ (window);
      const packets = async () => {
        const g = w.giaoban;
        const pc = g ? g.pc : null;
        if (!pc) return 0;
        const mids = new Set((Array.isArray(g.tracks) ? g.tracks : [])
          .filter((/** @type {any} */ t) => t && t.point === point && t.kind === 'audio')
          .map((/** @type {any} */ t) => String(t.mid)));
        let total = 0;
        (await pc.getStats()).forEach((/** @type {any} */ s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.mid != null && mids.has(String(s.mid))) total += s.packetsReceived ?? 0;
        });
        return total;
      };
      const base = await packets();
      w.__e2eAudioArrived = (async () => {
        const end = Date.now() + timeout;
        while (Date.now() < end) {
          const n = await packets();
          if (n > base) return { at: Date.now(), packets: n - base };
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return { at: null, packets: (await packets()) - base };
      })();
      return base;
    }, { point, timeout });
    return {
      baseline,
      arrived: () => this.page.evaluate(() => /** @type {any} */ (window).__e2eAudioArrived),
    };
  }

  /**
   * @param {string} point
   * @param {string} [scope] a CSS selector the video must be inside
   * @returns {Promise<number>} how many `video[data-point=point]` elements the page has
   */
  async videoCount(point, scope) {
    return this.page.locator(`${scope ? `${scope} ` : ''}${videoOf(point)}`).count();
  }

  /**
   * Waits until audio and video from every one of `points` flow into this page: a playing
   * `<video data-point>` (videoWidth > 0, currentTime advancing), and inbound RTP for the
   * point with `framesDecoded` and audio `packetsReceived` growing between two samples.
   *
   * @param {string[]} points
   * @param {{ timeout?: number, gap?: number, audio?: string[] }} [opts] `audio`: the points
   *   whose audio must flow (default: all of `points`); the server forwards audio only from
   *   points that may speak (docs/protocol.md, "Floor modes")
   */
  async waitForMediaFrom(points, { timeout = seconds(30), gap = 1500, audio = points } = {}) {
    const deadline = Date.now() + timeout;
    /** @type {string[]} */
    let problems = ['no sample taken'];
    let last = null;
    while (Date.now() < deadline) {
      try {
        const before = await this.sample();
        await sleep(gap);
        const after = await this.sample();
        last = after;
        problems = mediaProblems(before, after, points, { audio });
        if (problems.length === 0) return after;
      } catch (err) {
        problems = [`could not read the page: ${err instanceof Error ? err.message : err}`];
        await sleep(500);
      }
    }
    const what = audio.length === points.length ? 'media' : `video (audio only from ${audio.map((p) => JSON.stringify(p)).join(', ') || 'nobody'})`;
    throw new Error(`${this.label}: ${what} from ${points.map((p) => JSON.stringify(p)).join(', ')} did not flow within ${(timeout / 1000).toFixed(0)} s:\n  - ${problems.join('\n  - ')}` +
      `\n  last sample: ${JSON.stringify(last)}`);
  }
}

/** @param {string} point @returns {string} the CSS selector of that point's videos */
export function videoOf(point) {
  return `video[data-point=${JSON.stringify(point)}]`;
}

/**
 * Opens a browser at a point's invitation link.
 *
 * @param {Link} link
 * @param {LaunchOptions} [opts]
 */
export async function openLink(link, opts) {
  const client = await Client.launch(link.point, opts);
  try {
    await client.goto(link.url);
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}

/** Runs in the page before its scripts: audio senders ignore requests to turn their encoding off. */
function alwaysSendAudioScript() {
  const proto = /** @type {any} */ (window).RTCRtpSender?.prototype;
  if (!proto) return;
  const original = proto.setParameters;
  proto.setParameters = function (/** @type {any} */ params, /** @type {any[]} */ ...rest) {
    if (this.track?.kind === 'audio' && Array.isArray(params?.encodings)) {
      for (const e of params.encodings) e.active = true;
    }
    return original.call(this, params, ...rest);
  };
}

/** Runs in the page before its scripts: counts peer connections the page creates. */
function countPeerConnectionsScript() {
  const w = /** @type {any} */ (window);
  w.__e2ePeerConnections = 0;
  const Original = w.RTCPeerConnection;
  if (typeof Original !== 'function') return;
  w.RTCPeerConnection = new Proxy(Original, {
    construct(target, args, newTarget) {
      w.__e2ePeerConnections += 1;
      return Reflect.construct(target, args, newTarget);
    },
  });
}

/**
 * Runs in the page: inbound RTP statistics per remote point, and the state of every
 * `video[data-point]`.
 *
 * Inbound RTP is mapped to a point by its media id: `window.giaoban.tracks` (the `tracks` of the
 * server's last offer, `[{mid, point, kind}]`) when the client exposes it; otherwise through the
 * tracks playing in `[data-point]` media elements, matched to transceivers by
 * `receiver.track.id` and to statistics by `trackIdentifier`.
 */
async function collectMedia() {
  const g = /** @type {any} */ (window).giaoban;
  const videos = Array.from(document.querySelectorAll('video[data-point]')).map((el) => {
    const v = /** @type {HTMLVideoElement} */ (el);
    return { point: v.getAttribute('data-point') ?? '', videoWidth: v.videoWidth, currentTime: v.currentTime };
  });
  const pc = g ? g.pc : null;
  if (!pc) return { hasPc: false, videos, points: {}, unmapped: [] };

  /** @type {Map<string, string>} */
  const midToPoint = new Map();
  /** @type {Map<string, string>} */
  const trackToPoint = new Map();
  if (Array.isArray(g.tracks)) {
    for (const t of g.tracks) if (t && t.mid != null && t.point) midToPoint.set(String(t.mid), String(t.point));
  }
  for (const el of document.querySelectorAll('[data-point]')) {
    const stream = /** @type {any} */ (el).srcObject;
    if (stream && typeof stream.getTracks === 'function') {
      for (const track of stream.getTracks()) trackToPoint.set(track.id, el.getAttribute('data-point') ?? '');
    }
  }
  const liveMids = new Set();
  for (const tc of pc.getTransceivers()) {
    if (tc.mid == null) continue;
    if (tc.currentDirection === 'recvonly' || tc.currentDirection === 'sendrecv') liveMids.add(tc.mid);
    const trackId = tc.receiver && tc.receiver.track ? tc.receiver.track.id : null;
    if (!trackId) continue;
    if (!midToPoint.has(tc.mid) && trackToPoint.has(trackId)) midToPoint.set(tc.mid, /** @type {string} */ (trackToPoint.get(trackId)));
    if (midToPoint.has(tc.mid) && !trackToPoint.has(trackId)) trackToPoint.set(trackId, /** @type {string} */ (midToPoint.get(tc.mid)));
  }

  /** @type {Record<string, { video?: any, audio?: any }>} */
  const points = {};
  /** @type {any[]} */
  const unmapped = [];
  const report = await pc.getStats();
  report.forEach((/** @type {any} */ s) => {
    if (s.type !== 'inbound-rtp') return;
    const mid = s.mid != null ? String(s.mid) : null;
    const point = (mid != null ? midToPoint.get(mid) : undefined) ?? (s.trackIdentifier ? trackToPoint.get(s.trackIdentifier) : undefined);
    if (!point) {
      unmapped.push({ id: s.id, mid, kind: s.kind, trackIdentifier: s.trackIdentifier, packetsReceived: s.packetsReceived ?? 0 });
      return;
    }
    const live = mid != null && liveMids.has(mid);
    const last = s.lastPacketReceivedTimestamp ?? 0;
    const entry = points[point] ?? (points[point] = {});
    const previous = entry[s.kind === 'video' ? 'video' : 'audio'];
    // A point that left and came back has a new transceiver; prefer the live one's numbers.
    if (previous && previous.live && !live) return;
    // Two streams under one live media id (a new SSRC): prefer the one that received last.
    if (previous && previous.live === live && previous.last > last) return;
    if (s.kind === 'video') {
      entry.video = { mid, live, last, framesDecoded: s.framesDecoded ?? 0, bytesReceived: s.bytesReceived ?? 0, frameWidth: s.frameWidth ?? 0 };
    } else if (s.kind === 'audio') {
      entry.audio = {
        mid,
        live,
        last,
        packetsReceived: s.packetsReceived ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        totalSamplesReceived: s.totalSamplesReceived ?? 0,
        concealedSamples: s.concealedSamples ?? 0,
      };
    }
  });

  // What this page sends: its audio, and each simulcast layer of its video.
  /** @type {{ audio: any, video: any[] }} */
  const outbound = { audio: null, video: [] };
  report.forEach((/** @type {any} */ s) => {
    if (s.type !== 'outbound-rtp') return;
    if (s.kind === 'audio') {
      outbound.audio = { packetsSent: (outbound.audio?.packetsSent ?? 0) + (s.packetsSent ?? 0) };
    } else if (s.kind === 'video') {
      outbound.video.push({
        rid: s.rid ?? null,
        frameWidth: s.frameWidth ?? 0,
        bytesSent: s.bytesSent ?? 0,
        active: s.active ?? null,
        qualityLimitationReason: s.qualityLimitationReason ?? null,
      });
    }
  });
  // The send-side bandwidth estimate: Chrome sends a simulcast layer only when it fits.
  /** @type {{ availableOutgoingBitrate: number | null, currentRoundTripTime: number | null } | null} */
  let transport = null;
  report.forEach((/** @type {any} */ s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      transport = { availableOutgoingBitrate: s.availableOutgoingBitrate ?? null, currentRoundTripTime: s.currentRoundTripTime ?? null };
    }
  });
  return { hasPc: true, connectionState: pc.connectionState, videos, points, unmapped, outbound, transport };
}

/**
 * What is missing for media from `points` to count as flowing between two samples.
 *
 * @param {any} before
 * @param {any} after
 * @param {string[]} points
 * @param {{ audio?: string[] }} [opts] the points whose audio must flow (default: all)
 * @returns {string[]} one line per problem; empty when all flows
 */
export function mediaProblems(before, after, points, { audio = points } = {}) {
  if (!after.hasPc) return ['window.giaoban.pc is not set (not joined, or the client does not expose its RTCPeerConnection)'];
  const problems = [];
  for (const point of points) {
    const name = JSON.stringify(point);
    const els0 = before.videos.filter((/** @type {any} */ v) => v.point === point);
    const els1 = after.videos.filter((/** @type {any} */ v) => v.point === point);
    if (els1.length === 0) {
      problems.push(`${name}: no ${videoOf(point)} element`);
    } else {
      if (!els1.some((/** @type {any} */ v) => v.videoWidth > 0)) problems.push(`${name}: <video> has videoWidth 0`);
      const t0 = Math.max(0, ...els0.map((/** @type {any} */ v) => v.currentTime));
      const t1 = Math.max(0, ...els1.map((/** @type {any} */ v) => v.currentTime));
      if (!(t1 > t0)) problems.push(`${name}: <video> currentTime not advancing (${t0} → ${t1})`);
    }
    const v0 = before.points[point]?.video;
    const v1 = after.points[point]?.video;
    if (!v1) {
      problems.push(`${name}: no inbound-rtp video mapped to this point (unmapped inbound-rtp: ${JSON.stringify(after.unmapped)})`);
    } else {
      if (!(v1.framesDecoded > (v0?.framesDecoded ?? 0))) problems.push(`${name}: video framesDecoded not growing (${v0?.framesDecoded} → ${v1.framesDecoded}, bytesReceived ${v0?.bytesReceived} → ${v1.bytesReceived})`);
      if (!(v1.frameWidth > 0)) problems.push(`${name}: inbound video frameWidth is ${v1.frameWidth}`);
    }
    if (!audio.includes(point)) continue;
    const a0 = before.points[point]?.audio;
    const a1 = after.points[point]?.audio;
    if (!a1) {
      problems.push(`${name}: no inbound-rtp audio mapped to this point`);
    } else if (!(a1.packetsReceived > (a0?.packetsReceived ?? 0))) {
      problems.push(`${name}: audio packetsReceived not growing (${a0?.packetsReceived} → ${a1.packetsReceived})`);
    }
  }
  for (const point of audio) {
    if (points.includes(point)) continue;
    const growth = audioGrowth(before, after, point);
    if (!(growth > 0)) problems.push(`${JSON.stringify(point)}: audio packetsReceived not growing (+${growth})`);
  }
  if (problems.length > 0 && after.connectionState) problems.push(`(peer connection state: ${after.connectionState})`);
  return problems;
}

/**
 * How many audio packets from `point` arrived between two samples of one page. A point without
 * inbound audio counts as 0; a stream under another media id than before (the point left and
 * came back, or the server renegotiated) counts from 0.
 *
 * @param {any} before
 * @param {any} after
 * @param {string} point
 * @returns {number}
 */
export function audioGrowth(before, after, point) {
  const a0 = before.points?.[point]?.audio;
  const a1 = after.points?.[point]?.audio;
  if (!a1) return 0;
  if (!a0 || a0.mid !== a1.mid || a1.packetsReceived < a0.packetsReceived) return a1.packetsReceived;
  return a1.packetsReceived - a0.packetsReceived;
}

/**
 * Audio packets between two samples of one page on inbound streams that could not be mapped
 * to a point: a "nobody else is heard" check is void if these grow.
 *
 * @param {any} before
 * @param {any} after
 * @returns {number}
 */
export function unmappedAudioGrowth(before, after) {
  let total = 0;
  for (const s1 of after.unmapped ?? []) {
    if (s1.kind !== 'audio') continue;
    const s0 = (before.unmapped ?? []).find((/** @type {any} */ s) => s.kind === 'audio' && s.id === s1.id);
    total += Math.max(0, (s1.packetsReceived ?? 0) - (s0?.packetsReceived ?? 0));
  }
  return total;
}

/**
 * Audio packets this page sent between two samples (its microphone, as the encoder sees it).
 *
 * @param {any} before
 * @param {any} after
 * @returns {number}
 */
export function audioSent(before, after) {
  return Math.max(0, (after.outbound?.audio?.packetsSent ?? 0) - (before.outbound?.audio?.packetsSent ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Signalling without a browser

/**
 * A raw signalling connection to `/ws`, for protocol abuse tests.
 */
export class SignalClient {
  /** @param {string} baseUrl @returns {Promise<SignalClient>} */
  static async connect(baseUrl) {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { origin: baseUrl, maxPayload: 16 << 20 });
    const client = new SignalClient(ws);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${baseUrl}/ws did not open within ${seconds(10) / 1000} s`));
      }, seconds(10));
      ws.once('open', () => { clearTimeout(timer); resolve(undefined); });
      ws.once('error', (err) => { clearTimeout(timer); reject(new Error(`WebSocket ${baseUrl}/ws: ${err.message}`)); });
    });
    return client;
  }

  /** @param {WebSocket} ws */
  constructor(ws) {
    this.ws = ws;
    /** @type {any[]} */
    this.inbox = [];
    /** @type {(() => void)[]} */
    this.wakers = [];
    /** @type {{ code: number, reason: string } | null} */
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.wake();
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => {}); // a reset after an abusive message is expected; 'close' follows
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let msg;
      try {
        msg = isBinary ? { type: '(binary frame)' } : JSON.parse(text);
      } catch {
        msg = { type: '(not JSON)', text: text.slice(0, 200) };
      }
      this.inbox.push(msg);
      this.wake();
    });
  }

  wake() {
    for (const w of this.wakers.splice(0)) w();
  }

  /** @param {any} msg sends an object as JSON, or a string / Buffer as is */
  send(msg) {
    if (typeof msg === 'string' || Buffer.isBuffer(msg)) this.ws.send(msg, { binary: Buffer.isBuffer(msg) });
    else this.ws.send(JSON.stringify(msg));
  }

  /**
   * The next message from the server.
   *
   * @param {{ timeout?: number, what?: string }} [opts]
   * @returns {Promise<any>}
   */
  async next({ timeout = seconds(10), what = 'a message' } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (this.inbox.length > 0) return this.inbox.shift();
      if (this.closeInfo) throw new Error(`connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeout / 1000} s`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakers.push(() => { clearTimeout(timer); resolve(undefined); });
      });
    }
  }

  /**
   * Waits for the server to close the connection.
   *
   * @param {{ timeout?: number }} [opts]
   */
  async waitClosed({ timeout = seconds(10) } = {}) {
    const result = await Promise.race([this.closed, sleep(timeout).then(() => null)]);
    if (!result) throw new Error(`the server did not close the connection within ${timeout / 1000} s`);
    return result;
  }

  close() {
    this.ws.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Failure reports

/**
 * Runs `fn`; if it throws, rethrows with the server log tail, each browser's recent events and
 * screenshots under tests/e2e/artifacts/.
 *
 * @template T
 * @param {{ name: string, server?: Server, clients: () => Iterable<Client> }} ctx
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withDiagnostics({ name, server, clients }, fn) {
  try {
    return await fn();
  } catch (err) {
    const parts = [err instanceof Error ? err.message : String(err)];
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const client of clients()) {
      if (client.closed) continue;
      const shot = path.join(ARTIFACTS, `${artifactName(`${name}-${client.label}`)}.png`);
      const saved = await client.page.screenshot({ path: shot, timeout: 5000 }).then(() => true, () => false);
      parts.push(`${client.consoleTail()}${saved ? `\n(screenshot: ${shot})` : ''}`);
    }
    if (server) parts.push(server.logTail());
    const wrapped = new Error(parts.join('\n\n'));
    wrapped.cause = err;
    if (err instanceof Error && err.stack) wrapped.stack = `${wrapped.message}\n${err.stack.split('\n').slice(1).join('\n')}`;
    throw wrapped;
  }
}
