// The organiser's page in a real browser, in Vietnamese: a used login link opens a page in the
// site's style (never the API's JSON); logged in, a start typed month first is refused in
// Vietnamese and marked, and one typed day first is shown day first.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client, Server, runCli, seconds, waitFor, withDiagnostics } from './lib/harness.js';
import { visibleText } from './lib/pages.js';

/** @type {Server} */
let server;
/** @type {Set<Client>} */
const clients = new Set();

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `admin-forms-${name}`, server, clients: () => clients }, fn);
}

/** @param {string} label */
async function launch(label) {
  const client = await Client.launch(label);
  clients.add(client);
  return client;
}

/**
 * The page's stylesheet is applied: the top bar has the site's colour, not the default.
 * @param {import('playwright-core').Page} page
 */
async function styled(page) {
  return page.evaluate(() => {
    const bar = document.querySelector('.topbar');
    return bar !== null && getComputedStyle(bar).backgroundColor !== 'rgba(0, 0, 0, 0)';
  });
}

describe('the admin page', { timeout: seconds(120) }, () => {
  before(async () => {
    server = await Server.start({ name: 'admin-forms' });
  });

  after(async () => {
    for (const client of clients) await client.close();
    await server?.dispose();
  });

  it('a used login link opens a styled page in Vietnamese, not JSON', () => diagnosed('used-link', async () => {
    const client = await launch('organiser');
    const page = client.page;
    const login = (await runCli(['admin-url', '--data', server.dataDir])).trim();
    await client.goto(login);
    await waitFor(async () => new URL(page.url()).pathname === '/admin' && (await page.locator('#briefing-title').count()) === 1, {
      message: 'the login link opens the admin page',
    });

    await client.goto(login, { status: 401 });

    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Liên kết đăng nhập không dùng được');
    assert.match(await visibleText(page.locator('[data-role=error]')), /giaoban admin-url/);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
    const body = (await page.locator('body').textContent()) ?? '';
    assert.ok(!body.trim().startsWith('{'), `no JSON: ${body.slice(0, 200)}`);
    assert.ok(await styled(page), 'the site\'s stylesheet applies');
  }));

  it('refuses a start typed month first in Vietnamese and shows one typed day first day first', () => diagnosed('dates', async () => {
    const client = await launch('organiser');
    const page = client.page;
    await client.goto((await runCli(['admin-url', '--data', server.dataDir])).trim());
    const start = page.locator('#briefing-start');
    await waitFor(async () => (await start.count()) === 1 && (await start.getAttribute('placeholder')) === 'dd/mm/yyyy hh:mm', {
      message: 'the admin page with its day-first date field',
    });
    await page.locator('#briefing-title').fill('Giao ban chuyển đổi số tháng 12');
    await page.locator('#briefing-host').fill('Sở Thông tin và Truyền thông');
    await page.locator('#briefing-points').fill('UBND thị xã Cửa Lò');

    await start.fill('12/31/2099 08:00');
    await page.locator('[data-action=create]').click();

    const error = page.locator('[data-role=error]');
    const expected = 'Thời gian bắt đầu: “12/31/2099 08:00” không phải là ngày giờ hợp lệ; hãy nhập theo dạng 31/12/2026 08:00.';
    let text = '';
    await waitFor(async () => (text = await visibleText(error)) === expected, {
      message: () => `the refused start in Vietnamese; error: ${JSON.stringify(text)}`,
    });
    assert.equal(await error.getAttribute('data-code'), 'not_a_date');
    assert.equal(await start.getAttribute('aria-invalid'), 'true');

    await start.fill('31/12/2099 8:00');
    await page.locator('[data-action=create]').click();

    const card = page.locator('article.briefing', { hasText: 'Giao ban chuyển đổi số tháng 12' });
    await waitFor(async () => (await card.count()) === 1, { message: 'the briefing listed' });
    assert.match(await visibleText(card.locator('.briefing__head .muted')), /31\/12\/2099/);
    assert.equal(await start.getAttribute('aria-invalid'), null, 'the mark gone');
  }));
});
