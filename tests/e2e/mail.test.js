// Official mail against a real SMTP server on loopback (aiosmtpd, tests/mail/smtp_sink.py):
// invitations reach every official address of every invited unit with a decoded Vietnamese
// subject, a join link that works and a valid calendar entry; reminders go out once, also
// across a restart; an SMTP server that is down leaves `failed` rows and a working briefing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { REPO_ROOT, Server, freeTcpPort, holdsFor, runCli, seconds, tokenOf, waitFor } from './lib/harness.js';
import { pdfText } from './lib/pdf.js';

const TITLE = 'Giao ban CNTT 6 tháng đầu năm 2026';
const FROM = 'giaoban@nghean.gov.vn';
const UNITS_CSV = [
  'code,name,parent_code,email',
  'SO-TTTT,Sở Thông tin và Truyền thông,,stttt@nghean.gov.vn',
  'UBND-CUALO,UBND thị xã Cửa Lò,,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn',
  'UBND-NGHILOC,UBND huyện Nghi Lộc,,ubnd.nghiloc@nghean.gov.vn',
  'UBND-KYSON,UBND huyện Kỳ Sơn,,',
  'UBND-QUEPHONG,UBND huyện Quế Phong,,vanthu@quephong.nghean.gov.vn;khongton@refused.invalid',
  '',
].join('\n');
const ADDRESSES = {
  'UBND thị xã Cửa Lò': ['ubnd@cualo.nghean.gov.vn', 'vanthu.cualo@nghean.gov.vn'],
  'UBND huyện Nghi Lộc': ['ubnd.nghiloc@nghean.gov.vn'],
};

/** The SMTP sink: a Python process writing each message as NNNN.eml + NNNN.json. */
class SmtpSink {
  /** @param {number} port @param {string} dir */
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.proc = null;
    this.output = '';
  }

  static async start() {
    const sink = new SmtpSink(await freeTcpPort(), await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-mail-')));
    const script = path.join(REPO_ROOT, 'tests', 'mail', 'smtp_sink.py');
    const proc = spawn('python3', [script, '--port', String(sink.port), '--dir', sink.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    sink.proc = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => { sink.output += chunk; });
    }
    await waitFor(() => sink.output.includes(`ready ${sink.port}`), {
      timeout: seconds(15),
      message: () => `the SMTP sink to start (python3 -m pip install aiosmtpd?); output: ${sink.output}`,
    });
    return sink;
  }

  /** @returns {Promise<any[]>} every message received so far, in order */
  async messages() {
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.eml')).sort();
    return Promise.all(names.map(async (n) => {
      const json = JSON.parse(await fs.readFile(path.join(this.dir, n.replace(/\.eml$/, '.json')), 'utf8'));
      return { ...json, file: n };
    }));
  }

  /**
   * @param {(m: any) => boolean} filter
   * @param {number} count
   * @param {string} what
   */
  async waitForMessages(filter, count, what) {
    /** @type {any[]} */
    let found = [];
    await waitFor(async () => {
      found = (await this.messages()).filter(filter);
      return found.length >= count;
    }, { timeout: seconds(20), message: () => `${count} messages: ${what} (have ${found.length})` });
    return found;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc?.once('exit', resolve));
      this.proc.kill('SIGTERM');
      await exited;
    }
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a server whose mail goes to `smtpUrl`, with short retries and reminder checks.
 *
 * @param {string} name
 * @param {string} smtpUrl
 */
async function startServer(name, smtpUrl) {
  const env = {
    GIAOBAN_SMTP_URL: smtpUrl,
    GIAOBAN_MAIL_FROM: `Sở TT&TT Nghệ An <${FROM}>`,
    GIAOBAN_MAIL_RETRY_DELAYS: '0.05,0.05',
    GIAOBAN_REMINDER_CHECK_SECONDS: '0.5',
  };
  Object.assign(process.env, env);
  try {
    const server = await Server.start({ name });
    const csv = path.join(server.dataDir, 'units.csv');
    await fs.writeFile(csv, UNITS_CSV);
    await runCli(['units', 'import', '--data', server.dataDir, csv]);
    return server;
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
  }
}

/**
 * `giaoban briefing create` by units; returns the id and the links by point name.
 *
 * @param {Server} server
 * @param {{ title: string, start: string, units: string[], points?: string[] }} opts
 */
async function createByUnits(server, { title, start, units, points = [] }) {
  const args = ['briefing', 'create', '--data', server.dataDir, '--title', title, '--host-unit', 'SO-TTTT', '--start', start, '--json'];
  for (const u of units) args.push('--unit', u);
  for (const p of points) args.push('--point', p);
  const created = JSON.parse((await runCli(args)).trim());
  /** @type {Record<string, string>} */
  const tokens = {};
  for (const link of created.links) tokens[link.point] = tokenOf(link.url);
  return { id: /** @type {string} */ (created.id), tokens, host: tokens['Sở Thông tin và Truyền thông'] };
}

/**
 * @param {Server} server
 * @param {string} method
 * @param {string} id
 * @param {string} sub
 * @param {string} token
 */
function call(server, method, id, sub, token) {
  return server.request(method, `/api/briefings/${encodeURIComponent(id)}${sub}`, { token });
}

/** @param {string} ics @returns {string[]} the content lines, unfolded (RFC 5545 §3.1) */
function unfold(ics) {
  return ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l.length > 0);
}

describe('official mail', () => {
  /** @type {SmtpSink} */
  let sink;
  /** @type {Server} */
  let server;

  before(async () => {
    sink = await SmtpSink.start();
    server = await startServer('mail', `smtp://127.0.0.1:${sink.port}`);
  });

  after(async () => {
    await server?.stop();
    await sink?.stop();
  });

  it('sends each unit an invitation with a working link and a valid calendar entry', async () => {
    const briefing = await createByUnits(server, {
      title: TITLE,
      start: '2026-12-01 08:00',
      units: ['UBND-CUALO', 'UBND-NGHILOC', 'UBND-KYSON'],
      points: ['Phòng họp dự phòng'],
    });

    const res = await call(server, 'POST', briefing.id, '/invitations', briefing.host);

    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, {
      queued: 3,
      skipped: [
        { point: 'Phòng họp dự phòng', reason: 'not_a_unit' },
        { point: 'UBND huyện Kỳ Sơn', reason: 'no_email' },
      ],
    });
    const subject = `Giấy mời: ${TITLE} — 08:00 ngày 01/12/2026`;
    const messages = await sink.waitForMessages((m) => m.subject === subject, 3, 'the invitations');
    const recipients = messages.flatMap((m) => m.rcpt_tos).sort();
    assert.deepEqual(recipients, Object.values(ADDRESSES).flat().sort());

    /** @type {Map<string, string>} UID by recipient */
    const uids = new Map();
    for (const m of messages) {
      const to = m.rcpt_tos[0];
      const unit = Object.keys(ADDRESSES).find((u) => ADDRESSES[u].includes(to));
      assert.ok(unit, `unexpected recipient ${to}`);
      assert.equal(m.mail_from, FROM);
      assert.match(m.raw_headers, /^[\x00-\x7f]*$/, `${m.file}: the header block is not ASCII`);
      assert.match(m.raw_headers, /^Subject: =\?utf-8\?/im, `${m.file}: the subject is not RFC 2047-encoded`);
      assert.ok(m.to.includes(unit), `${m.file}: To ${m.to} does not name ${unit}`);

      const text = m.parts.find((/** @type {any} */ p) => p.content_type === 'text/plain');
      const html = m.parts.find((/** @type {any} */ p) => p.content_type === 'text/html');
      const ics = m.parts.find((/** @type {any} */ p) => p.content_type === 'text/calendar');
      assert.ok(text && html && ics, `${m.file}: expected text, HTML and calendar parts`);
      assert.ok(text.text.includes(`Kính gửi: ${unit}`), text.text);
      assert.ok(text.text.includes(TITLE));
      const link = text.text.match(/http:\/\/127\.0\.0\.1:\d+\/j\/[A-Za-z0-9._~-]+/)?.[0];
      assert.ok(link, `${m.file}: no join link in ${text.text}`);
      assert.ok(link.startsWith(server.baseUrl), link);
      assert.ok(html.text.includes(`href="${link}"`), `${m.file}: the HTML has another link`);
      const session = await server.request('GET', '/api/session', { token: tokenOf(link) });
      assert.equal(session.status, 200, session.text);
      assert.equal(session.body.point.name, unit);
      assert.equal(session.body.briefing.id, briefing.id);

      assert.equal(ics.params.method?.toUpperCase(), 'REQUEST');
      assert.equal(ics.params.charset?.toLowerCase(), 'utf-8');
      assert.equal(ics.filename, 'giay-moi.ics');
      assert.ok(ics.text.startsWith('BEGIN:VCALENDAR\r\n'), ics.text);
      assert.ok(ics.text.endsWith('END:VCALENDAR\r\n'), ics.text);
      for (const line of ics.text.split('\r\n')) {
        assert.ok(Buffer.byteLength(line) <= 75, `${m.file}: calendar line of ${Buffer.byteLength(line)} octets: ${line}`);
      }
      const lines = unfold(ics.text);
      assert.ok(lines.includes('METHOD:REQUEST'));
      assert.ok(lines.includes('DTSTART:20261201T010000Z'), lines.join('\n'));
      assert.ok(lines.includes('DTEND:20261201T030000Z'));
      assert.ok(lines.includes(`SUMMARY:${TITLE}`));
      assert.ok(lines.includes(`URL:${link}`));
      assert.ok(lines.some((l) => l.startsWith('DESCRIPTION:') && l.includes(link)));
      assert.ok(lines.some((l) => /^DTSTAMP:\d{8}T\d{6}Z$/.test(l)));
      assert.ok(lines.some((l) => l.startsWith('ORGANIZER;') && l.endsWith(`:mailto:${FROM}`)));
      const uid = lines.find((l) => l.startsWith('UID:'));
      assert.ok(uid, 'no UID');
      uids.set(to, uid);
    }
    const [cuaLo1, cuaLo2] = ADDRESSES['UBND thị xã Cửa Lò'].map((a) => uids.get(a));
    assert.equal(cuaLo1, cuaLo2, 'one unit, one calendar entry');
    assert.notEqual(cuaLo1, uids.get('ubnd.nghiloc@nghean.gov.vn'));

    const log = await waitFor(async () => {
      const r = await call(server, 'GET', briefing.id, '/mail', briefing.host);
      return r.status === 200 && r.body.length === 3 && r.body.every((/** @type {any} */ row) => row.status === 'sent') ? r.body : null;
    }, { message: 'three sent rows in the mail log' });
    for (const row of log) {
      assert.equal(row.kind, 'invitation');
      assert.equal(row.attempts, 1);
      assert.equal(row.last_error, null);
    }
  });

  it('mails the minutes as a PDF whose text names the briefing and the units', async () => {
    const briefing = await createByUnits(server, {
      title: 'Giao ban quý IV — biên bản',
      start: '2026-12-05 08:00',
      units: ['UBND-CUALO', 'UBND-NGHILOC'],
    });
    const task = await server.request('POST', `/api/briefings/${briefing.id}/tasks`, {
      token: briefing.host,
      body: { text: 'Rà soát đài truyền thanh cấp xã', owners: ['UBND-NGHILOC'], deadline: '2099-12-31' },
    });
    assert.equal(task.status, 201, task.text);

    const res = await call(server, 'POST', briefing.id, '/minutes/mail', briefing.host);

    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { queued: 3, skipped: [] });
    const subject = 'Biên bản: Giao ban quý IV — biên bản — 08:00 ngày 05/12/2026';
    const messages = await sink.waitForMessages((m) => m.subject === subject, 3, 'the minutes');
    assert.deepEqual(messages.flatMap((m) => m.rcpt_tos).sort(), Object.values(ADDRESSES).flat().sort());
    for (const m of messages) {
      const text = m.parts.find((/** @type {any} */ p) => p.content_type === 'text/plain');
      const pdf = m.parts.find((/** @type {any} */ p) => p.content_type === 'application/pdf');
      assert.ok(text && pdf, `${m.file}: expected a text part and a PDF`);
      assert.equal(pdf.filename, 'bien-ban.pdf');
      const dossier = text.text.match(/http:\/\/127\.0\.0\.1:\d+\/d\/[A-Za-z0-9._~-]+/)?.[0];
      assert.ok(dossier, `${m.file}: no dossier link in ${text.text}`);
      const session = await server.request('GET', '/api/session', { token: dossier.split('/d/')[1] });
      assert.equal(session.status, 200, session.text);
      const extracted = await pdfText(pdf.path);
      for (const expected of ['Giao ban quý IV — biên bản', 'UBND thị xã Cửa Lò', 'UBND huyện Nghi Lộc', 'Rà soát đài truyền thanh cấp xã']) {
        assert.ok(extracted.includes(expected), `${m.file}: ${expected} not in the PDF text: ${extracted}`);
      }
    }
  });

  it('records a recipient the SMTP server refuses as failed at once and sends to the others', async () => {
    const briefing = await createByUnits(server, { title: 'Giao ban Quế Phong', start: '2026-12-06 08:00', units: ['UBND-QUEPHONG'] });

    const res = await call(server, 'POST', briefing.id, '/invitations', briefing.host);

    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { queued: 2, skipped: [] });
    const log = await waitFor(async () => {
      const r = await call(server, 'GET', briefing.id, '/mail', briefing.host);
      return r.status === 200 && r.body.length === 2 && r.body.every((/** @type {any} */ row) => row.status !== 'queued') ? r.body : null;
    }, { message: 'both rows of the mail log settled' });
    const by = Object.fromEntries(log.map((/** @type {any} */ row) => [row.address, row]));
    assert.equal(by['vanthu@quephong.nghean.gov.vn'].status, 'sent');
    const refused = by['khongton@refused.invalid'];
    assert.equal(refused.status, 'failed');
    assert.equal(refused.attempts, 1, 'a permanent refusal is not retried');
    assert.match(refused.last_error, /550/);
    const received = await sink.waitForMessages((m) => m.subject.startsWith('Giấy mời: Giao ban Quế Phong'), 1, 'the invitation to the mailbox that exists');
    assert.deepEqual(received.flatMap((m) => m.rcpt_tos), ['vanthu@quephong.nghean.gov.vn']);
  });

  it('refuses a point token and the host token of another briefing', async () => {
    const a = await createByUnits(server, { title: 'Giao ban A', start: '2026-12-02 08:00', units: ['UBND-CUALO'] });
    const b = await createByUnits(server, { title: 'Giao ban B', start: '2026-12-03 08:00', units: ['UBND-NGHILOC'] });

    for (const [method, sub] of [['POST', '/invitations'], ['GET', '/mail']]) {
      const point = await call(server, method, a.id, sub, a.tokens['UBND thị xã Cửa Lò']);
      const foreign = await call(server, method, a.id, sub, b.host);
      assert.equal(point.status, 403, `${method} ${sub} with a point token: ${point.text}`);
      assert.equal(foreign.status, 403, `${method} ${sub} with another briefing's host: ${foreign.text}`);
    }
    const log = await call(server, 'GET', a.id, '/mail', a.host);
    assert.deepEqual(log.body, []);
  });

  it('reminds each unit once before the start, also across a restart', async () => {
    const start = new Date(Date.now() + 10 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const title = 'Giao ban chuyển đổi số quý IV';
    const briefing = await createByUnits(server, { title, start, units: ['UBND-CUALO'] });
    const isReminder = (/** @type {any} */ m) => m.subject.startsWith(`Nhắc lịch: ${title} — `);

    const res = await call(server, 'POST', briefing.id, '/invitations', briefing.host);
    assert.equal(res.status, 202, res.text);

    const reminders = await sink.waitForMessages(isReminder, 2, 'the reminders');
    assert.deepEqual(reminders.map((m) => m.rcpt_tos[0]).sort(), ADDRESSES['UBND thị xã Cửa Lò']);
    const text = reminders[0].parts.find((/** @type {any} */ p) => p.content_type === 'text/plain').text;
    assert.ok(text.includes(`${server.baseUrl}/j/`), text);
    assert.ok(!reminders[0].parts.some((/** @type {any} */ p) => p.content_type === 'text/calendar'));

    await server.stop();
    await server.launch();
    await holdsFor(async () => (await sink.messages()).filter(isReminder).length === 2, {
      duration: seconds(3),
      message: 'no second reminder after a restart',
    });
    const log = await call(server, 'GET', briefing.id, '/mail', briefing.host);
    assert.deepEqual(log.body.map((/** @type {any} */ r) => `${r.kind} ${r.status}`).sort(), [
      'invitation sent', 'invitation sent', 'reminder sent', 'reminder sent',
    ]);
  });
});

describe('official mail with the SMTP server down', () => {
  /** @type {Server} */
  let server;

  before(async () => {
    // A port that was free a moment ago: nothing listens there.
    server = await startServer('mail-down', `smtp://127.0.0.1:${await freeTcpPort()}`);
  });

  after(async () => {
    await server?.stop();
  });

  it('records three failed attempts per recipient and the briefing goes on', async () => {
    const briefing = await createByUnits(server, { title: TITLE, start: '2026-12-01 08:00', units: ['UBND-CUALO'] });

    const res = await call(server, 'POST', briefing.id, '/invitations', briefing.host);

    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.queued, 2);
    const log = await waitFor(async () => {
      const r = await call(server, 'GET', briefing.id, '/mail', briefing.host);
      return r.body?.length === 2 && r.body.every((/** @type {any} */ row) => row.status === 'failed') ? r.body : null;
    }, { timeout: seconds(20), message: 'two failed rows in the mail log' });
    for (const row of log) {
      assert.equal(row.attempts, 3);
      assert.ok(row.last_error, JSON.stringify(row));
    }
    const state = await call(server, 'GET', briefing.id, '/state', briefing.host);
    assert.equal(state.status, 200, state.text);
    const session = await server.request('GET', '/api/session', { token: briefing.tokens['UBND thị xã Cửa Lò'] });
    assert.equal(session.status, 200);
    server.assertRunning();
  });
});
