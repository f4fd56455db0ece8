// Admin accounts in a real browser: an account made with `giaoban admin add --password-stdin`
// logs in on the login page (after a wrong password is refused in Vietnamese), sees who is
// logged in, finds its login and a host's action with the host's name in the audit log, and
// logs out: the session is over for the server too.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import {
  Client,
  HostApi,
  Server,
  createBriefing,
  seconds,
  serverBinary,
  waitFor,
  withDiagnostics,
} from './lib/harness.js';

const ADMIN = 'Nguyễn Văn An';
const PASSWORD = 'mật khẩu của An 2026';
const HOST = 'Sở Thông tin và Truyền thông';

/** @type {Server} */
let server;
/** @type {Set<Client>} */
const clients = new Set();

/**
 * `giaoban ARGS` with `input` on its standard input; its stdout.
 * @param {string[]} args
 * @param {string} input
 * @returns {Promise<string>}
 */
function cliWithInput(args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(serverBinary(), args, { timeout: seconds(30) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`giaoban ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

describe('admin accounts', () => {
  before(async () => {
    server = await Server.start({ name: 'admin' });
  });

  after(async () => {
    for (const client of clients) await client.close();
    await server?.stop();
  });

  it('logs in with a password made on the command line, reads the audit log and logs out', () =>
    withDiagnostics({ name: 'admin-login', server, clients: () => clients }, async () => {
      const added = await cliWithInput(['admin', 'add', '--data', server.dataDir, '--password-stdin', ADMIN], `${PASSWORD}\n`);
      assert.match(added, /Admin "Nguyễn Văn An" created/);
      const briefing = await createBriefing({
        dataDir: server.dataDir,
        title: 'Giao ban chuyển đổi số tháng 12',
        host: HOST,
        points: ['UBND thị xã Cửa Lò'],
      });
      await new HostApi(server, briefing).ok('POST', '/lock', { locked: true });

      const client = await Client.launch('admin');
      clients.add(client);
      const page = client.page;
      await client.goto(`${server.baseUrl}/admin`);
      await page.waitForURL(/\/admin\/login$/, { timeout: seconds(10) });
      await page.getByLabel('Tên tài khoản').fill(ADMIN);
      await page.getByLabel('Mật khẩu').fill('sai mật khẩu rồi');
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      const error = page.locator('[data-role=error]');
      await error.waitFor({ state: 'visible', timeout: seconds(10) });
      assert.equal(await error.textContent(), 'Tên tài khoản hoặc mật khẩu không đúng.');

      await page.getByLabel('Mật khẩu').fill(PASSWORD);
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.waitForURL(/\/admin$/, { timeout: seconds(10) });
      const who = page.locator('[data-role=who]');
      await waitFor(async () => (await who.textContent()) === `Đang đăng nhập: ${ADMIN}`, { message: 'who is logged in' });
      await waitFor(async () => (await page.locator('[data-role=accounts] tbody tr').count()) === 1, { message: 'the account listed' });

      await page.getByRole('link', { name: 'Nhật ký thao tác' }).click();
      await page.waitForURL(/\/admin\/audit$/, { timeout: seconds(10) });
      const rows = page.locator('[data-role=audit] tbody tr');
      await waitFor(async () => (await rows.count()) >= 3, { message: 'the audit log rows' });
      const login = page.locator('[data-role=audit] tbody tr[data-action=login]');
      assert.match(await login.innerText(), /Quản trị\s+Nguyễn Văn An\s+Đăng nhập/);
      const failed = page.locator('[data-role=audit] tbody tr[data-action="login.failed"]');
      assert.match(await failed.innerText(), /Đăng nhập sai.*wrong_password/s);
      const lock = page.locator('[data-role=audit] tbody tr[data-action="briefing.lock"]');
      assert.match(await lock.innerText(), new RegExp(`Chủ trì\\s+${HOST}\\s+Giao ban chuyển đổi số tháng 12`));

      await page.getByLabel('Người thực hiện').fill(HOST);
      await page.getByRole('button', { name: 'Lọc' }).click();
      await waitFor(async () => (await rows.count()) === 1, { message: 'only the host\'s action' });
      assert.equal(await rows.first().getAttribute('data-action'), 'briefing.lock');

      const cookies = await client.context.cookies(server.baseUrl);
      const session = cookies.find((c) => c.name === 'giaoban_admin');
      assert.ok(session, 'the session cookie');
      await page.getByRole('button', { name: 'Đăng xuất' }).click();
      await page.waitForURL(/\/admin\/login$/, { timeout: seconds(10) });
      const me = await server.fetch(`${server.baseUrl}/api/admin/me`, { headers: { Authorization: `Bearer ${session.value}` } });
      assert.equal(me.status, 401, 'the session ended on the server');
      await client.goto(`${server.baseUrl}/admin`);
      await page.waitForURL(/\/admin\/login$/, { timeout: seconds(10) });
    }));
});
