// A newcomer runs the demo and sees a complete briefing: `giaoban serve --demo` seeds one
// province's briefings of one series across the reorganisation of 2025 and prints every
// point's links before it listens. The upcoming briefing is the Department of Science and
// Technology's six-month briefing down to fifteen wards and communes: its host dossier shows the
// agenda, the previous minutes as a document, the Department's own figures, the dashboard of the
// indicator set (11 of 15 reports in, with a chart), the proposals raised ahead of it and the
// previous briefing's tasks carried over to the units that succeeded their owners (one done
// since), and gives the minutes as a PDF with Vietnamese text intact; a ward's link shows that
// ward's report. The previous briefing is the last ICT briefing of the former structure (the
// Department of Information and Communications with the city, towns and districts, 2024): its
// minutes record the roll-call (with a substitute) and the three speakers with the secretary's
// notes, which the host can still complete.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Client, Server, runCli, seconds, waitFor, withDiagnostics } from './lib/harness.js';
import { gotoDossier, visibleText } from './lib/pages.js';
import { pdfText } from './lib/pdf.js';

// The upcoming briefing: the Department of Science and Technology and the wards and communes.
const HOST = 'Sở Khoa học và Công nghệ';
const TRUONG_VINH = 'UBND phường Trường Vinh';
const VINH_PHU = 'UBND phường Vinh Phú';
const CUA_LO = 'UBND phường Cửa Lò';
const HOANG_MAI = 'UBND phường Hoàng Mai';
const THAI_HOA = 'UBND phường Thái Hòa';
const NGHI_LOC = 'UBND xã Nghi Lộc';
const DIEN_CHAU = 'UBND xã Diễn Châu';
const YEN_THANH = 'UBND xã Yên Thành';
const CON_CUONG = 'UBND xã Con Cuông';
const MUONG_XEN = 'UBND xã Mường Xén';
/** The bridge points in the order they are invited (the host comes first in every list). */
const UNITS = [
  TRUONG_VINH, 'UBND phường Thành Vinh', 'UBND phường Vinh Hưng', VINH_PHU, CUA_LO, HOANG_MAI, THAI_HOA,
  NGHI_LOC, DIEN_CHAU, 'UBND xã Hưng Nguyên', 'UBND xã Nam Đàn', 'UBND xã Đô Lương', YEN_THANH, CON_CUONG, MUONG_XEN,
];
/** The units that have not reported yet; the deadline is tomorrow. */
const PENDING = [VINH_PHU, THAI_HOA, CON_CUONG, MUONG_XEN];

// The previous briefing, of the former structure.
const FORMER_HOST = 'Sở Thông tin và Truyền thông';
const VINH = 'UBND thành phố Vinh';
const TX_CUA_LO = 'UBND thị xã Cửa Lò';
const TX_HOANG_MAI = 'UBND thị xã Hoàng Mai';
const TX_THAI_HOA = 'UBND thị xã Thái Hòa';
const H_NGHI_LOC = 'UBND huyện Nghi Lộc';
const H_DIEN_CHAU = 'UBND huyện Diễn Châu';
const FORMER_UNITS = [VINH, TX_CUA_LO, TX_HOANG_MAI, TX_THAI_HOA, H_NGHI_LOC, H_DIEN_CHAU];

/** The upcoming briefing's title carries the half-year, which follows the day of seeding. */
const CURRENT_TITLE = /^Giao ban trực tuyến công tác khoa học, công nghệ và chuyển đổi số 6 tháng (đầu|cuối) năm \d{4} với các xã, phường$/;
const PREVIOUS_TITLE = 'Giao ban trực tuyến công tác thông tin và truyền thông quý IV năm 2024';

const MINUTES_DOCUMENT = 'Biên bản giao ban quý IV năm 2024.pdf';
const REVENUE = 'Doanh thu bưu chính, viễn thông và CNTT';
const UNIT_INDICATORS = [
  'Tỷ lệ hồ sơ TTHC nộp trực tuyến',
  'Cụm loa truyền thanh ứng dụng CNTT-VT',
  'Văn bản gửi nhận qua hộp thư công vụ',
  'Người dân có tài khoản định danh điện tử mức 2',
];
const DONE_TASK = 'Tích hợp 100% dịch vụ công trực tuyến mức độ 3 lên Cổng dịch vụ công của tỉnh.';

/**
 * @typedef {{ briefing: string, point: string, role: string, join: string, dossier: string }} DemoLink
 * @typedef {{ previous: string, current: string, seeded: boolean, links: DemoLink[] }} Demo
 */

/** @type {Server} */
let server;
/** @type {Client} */
let client;
/** @type {Demo} what `giaoban demo --json` says about the data the server seeded */
let demo;
/** @type {DemoLink[]} the links as the server printed them at start */
let printed;

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `demo-${name}`, server, clients: () => (client ? [client] : []) }, fn);
}

/**
 * Reads the links `giaoban serve --demo` prints: a title line per briefing, then per point
 * `  NAME  ROLE  hồ sơ: URL` and `  họp:  URL` on the next line.
 * @param {string} stdout
 * @returns {DemoLink[]}
 */
function parsePrintedLinks(stdout) {
  /** @type {DemoLink[]} */
  const links = [];
  let title = '';
  /** @type {DemoLink | null} */
  let open = null;
  for (const line of stdout.split('\n')) {
    const dossier = /^ {2}(\S.*?)\s+(host|point)\s+hồ sơ: (\S+)$/.exec(line);
    const join = /^\s+họp:\s+(\S+)$/.exec(line);
    if (dossier) {
      open = { briefing: title, point: dossier[1], role: dossier[2], join: '', dossier: dossier[3] };
      links.push(open);
    } else if (join && open) {
      open.join = join[1];
      open = null;
    } else if (/^\S/.test(line)) {
      title = line.trim();
    }
  }
  return links;
}

/**
 * The token of a dossier link `<base>/d/<token>`.
 * @param {string} url
 */
function dossierToken(url) {
  const m = /^\/d\/([^/?#]+)$/.exec(new URL(url).pathname);
  if (!m) throw new Error(`not a dossier link (expected <base>/d/<token>): ${url}`);
  return decodeURIComponent(m[1]);
}

/**
 * The demo's link of one point in one briefing.
 * @param {string} briefingId `demo.current` or `demo.previous`
 * @param {string} point
 */
function linkOf(briefingId, point) {
  const title = titleOf(briefingId);
  const link = demo.links.find((l) => l.briefing === title && l.point === point);
  if (!link) throw new Error(`no demo link for ${point} in ${title}: ${JSON.stringify(demo.links)}`);
  return link;
}

/** @param {string} briefingId @returns {string} its title, as the demo's links name it */
function titleOf(briefingId) {
  // The current briefing's links come first, then the previous one's.
  const current = demo.links[0].briefing;
  if (briefingId === demo.current) return current;
  const previous = demo.links.find((l) => l.briefing !== current);
  if (!previous) throw new Error(`no links of the previous briefing: ${JSON.stringify(demo.links)}`);
  return previous.briefing;
}

/**
 * Opens a dossier link, waits for its header and checks that the page shows no error.
 * @param {DemoLink} link
 */
async function openDossier(link) {
  const page = await gotoDossier(client, link.dossier, { title: link.briefing, point: link.point });
  assert.equal(await visibleText(page.getByTestId('dossier-error')), '');
  return page;
}

/**
 * Opens a tab and waits until `ready` holds on what it shows.
 * @param {import('playwright-core').Page} page
 * @param {string} tab e.g. `dashboard`
 * @param {() => Promise<unknown>} ready
 * @param {() => Promise<unknown>} shown what to report when it does not
 */
async function openTab(page, tab, ready, shown) {
  await page.getByTestId(`tab-${tab}`).click();
  /** @type {unknown} */
  let last = null;
  await waitFor(async () => {
    if ((await page.getByTestId(`tab-${tab}`).getAttribute('aria-selected')) === 'true' && (await ready())) return true;
    last = await shown();
    return false;
  }, { message: () => `the ${tab} tab loaded; shown: ${JSON.stringify(last)}` });
}

/**
 * Waits until a list shows `n` entries.
 * @param {import('playwright-core').Locator} list
 * @param {number} n
 * @param {string} what
 * @param {import('playwright-core').Locator} [error] the part's error box
 */
async function waitForCount(list, n, what, error) {
  let shown = /** @type {string[]} */ ([]);
  let problem = '';
  await waitFor(async () => {
    shown = await list.allTextContents();
    problem = error ? await visibleText(error) : '';
    return shown.length === n;
  }, { message: () => `${n} ${what}; shown: ${JSON.stringify(shown)}${problem ? `, error: ${JSON.stringify(problem)}` : ''}` });
}

describe('a newcomer runs the demo and sees a complete briefing', { timeout: seconds(90) }, () => {
  before(async () => {
    server = await Server.start({ name: 'demo', args: ['--demo'] });
    await waitFor(() => server.stdout.includes('giaoban listening on'), {
      message: () => `the "listening" line on stdout; stdout: ${JSON.stringify(server.stdout)}`,
    });
    printed = parsePrintedLinks(server.stdout.slice(0, server.stdout.indexOf('giaoban listening on')));
    demo = JSON.parse((await runCli(['demo', '--data', server.dataDir, '--json'])).trim());
    client = await Client.launch('demo');
  });

  after(async () => {
    await client?.close();
    await server?.dispose();
  });

  it('prints the links of every point of both briefings before it listens, as `giaoban demo --json` does', () => diagnosed('links', async () => {
    assert.match(server.stdout, /Demo data seeded: two briefings of the series giao-ban-cntt-nghe-an\./);
    assert.equal(demo.seeded, false, 'the server seeded the data dir; the CLI found it seeded');
    assert.match(demo.current, /^\S+$/);
    assert.match(demo.previous, /^\S+$/);
    assert.notEqual(demo.current, demo.previous);

    // Tomorrow's briefing of 16 points first, then the previous one of 7, the host first in each.
    assert.equal(demo.links.length, 16 + 7, JSON.stringify(demo.links));
    assert.match(titleOf(demo.current), CURRENT_TITLE);
    assert.equal(titleOf(demo.previous), PREVIOUS_TITLE);
    for (const [id, host, units] of /** @type {[string, string, string[]][]} */ ([[demo.current, HOST, UNITS], [demo.previous, FORMER_HOST, FORMER_UNITS]])) {
      const links = demo.links.filter((l) => l.briefing === titleOf(id));
      assert.deepEqual(links.map((l) => [l.point, l.role]), [[host, 'host'], ...units.map((u) => [u, 'point'])]);
      for (const l of links) {
        assert.ok(l.dossier.startsWith(`${server.baseUrl}/d/`), `a dossier link of the running server: ${l.dossier}`);
        assert.equal(l.join, `${server.baseUrl}/j/${encodeURIComponent(dossierToken(l.dossier))}`, 'the live page of the same link');
      }
    }
    assert.deepEqual(printed, demo.links, `the printed links are the JSON's; stdout:\n${server.stdout}`);

    const session = await server.get('/api/session', { token: dossierToken(linkOf(demo.current, HOST).dossier) });
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.briefing.id, demo.current);
    assert.equal(session.body.point.role, 'host');
  }));

  it("the host's dossier of tomorrow's briefing shows agenda, figures, reports, proposals, carried-over tasks and the minutes", () => diagnosed('host', async () => {
    const link = linkOf(demo.current, HOST);
    const page = await openDossier(link);
    assert.match(await visibleText(page.getByTestId('dossier-start')), /\d/, 'the scheduled start in the header');

    // Agenda: five items; last quarter's minutes as a document of the follow-up item.
    const items = page.getByTestId('agenda-item');
    await waitForCount(items, 5, 'agenda items', page.getByTestId('agenda-error'));
    const agenda = await items.allTextContents();
    assert.match(agenda[0], /Khai mạc, điểm danh các điểm cầu/);
    assert.match(agenda[2], /Kiểm điểm việc thực hiện kết luận kỳ trước/);
    assert.match(agenda[4], /Kết luận của chủ trì/);
    const documents = page.getByTestId('document');
    await waitForCount(documents, 1, 'document', page.getByTestId('documents-error'));
    assert.equal(await documents.getAttribute('data-file-name'), MINUTES_DOCUMENT);
    assert.match(await visibleText(documents), /Kiểm điểm việc thực hiện kết luận kỳ trước/, 'tied to the follow-up item');
    assert.equal(await visibleText(documents.getByTestId('document-download')), MINUTES_DOCUMENT);

    // The Department's own figures: revenue at 1130 of a plan of 3350, 33,7 % of plan.
    const rows = page.getByTestId('report-indicator');
    await openTab(page, 'report',
      // The indicator set's four rows come first on every report form, then the Department's two.
      async () => (await page.getByTestId('report-status').getAttribute('data-state')) === 'on_time' && (await rows.count()) === 6,
      async () => ({ status: await visibleText(page.getByTestId('report-status')), rows: await rows.count(), error: await visibleText(page.getByTestId('report-error')) }));
    const names = await rows.evaluateAll((trs) => trs.map((tr) => /** @type {HTMLInputElement | null} */ (tr.querySelector('[data-testid=indicator-name]'))?.value));
    assert.ok(names.includes(REVENUE), `the revenue indicator among ${JSON.stringify(names)}`);
    const revenue = rows.nth(names.indexOf(REVENUE));
    assert.equal(await revenue.getByTestId('indicator-value').inputValue(), '1130');
    assert.equal(await revenue.getByTestId('indicator-plan').inputValue(), '3350');
    assert.equal(await visibleText(revenue.getByTestId('indicator-percent')), '33,7%');
    assert.ok(Math.abs(Number(await revenue.getByTestId('indicator-percent').getAttribute('data-percent')) - 33.7) < 0.05);

    // Dashboard: 11 of the 15 wards and communes reported, the other four not yet due; the
    // Department's indicator set in a chart.
    const counts = page.getByTestId('dashboard-counts');
    await openTab(page, 'dashboard',
      async () => (await counts.getAttribute('data-expected')) !== null,
      async () => ({ counts: await visibleText(counts), error: await visibleText(page.getByTestId('dashboard-error')) }));
    assert.equal(await counts.getAttribute('data-submitted'), '11');
    assert.equal(await counts.getAttribute('data-expected'), '15');
    assert.match(await visibleText(counts), /^Đã nộp 11\/15 đơn vị/);
    const statuses = await page.getByTestId('dashboard-point').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-point'), tr.getAttribute('data-status')]));
    assert.deepEqual(statuses, UNITS.map((u) => [u, PENDING.includes(u) ? 'pending' : 'on_time']));
    assert.equal(await page.getByTestId('dashboard-missing').getAttribute('data-count'), '0', 'the deadline is tomorrow');
    const indicatorHeads = page.locator('th[data-testid=dashboard-indicator]');
    assert.deepEqual(await indicatorHeads.evaluateAll((ths) => ths.map((th) => th.getAttribute('data-indicator'))), UNIT_INDICATORS);
    const unitRows = page.locator('tr[data-testid=dashboard-unit]');
    assert.deepEqual(await unitRows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-point'))), UNITS, 'a row per unit, those without a report too');
    const online = UNIT_INDICATORS[0];
    const onlineOf = (/** @type {string} */ unit) =>
      page.locator(`tr[data-testid=dashboard-unit][data-point=${JSON.stringify(unit)}] td[data-indicator=${JSON.stringify(online)}]`);
    assert.match(await visibleText(onlineOf(CUA_LO)), /^81,0/);
    // A rate is averaged over the units that report it, not added up: the mean of the eleven
    // reports is 83,327…, shown with the one decimal of a rate.
    const onlineTotal = page.locator(`tfoot td[data-testid=indicator-total][data-indicator=${JSON.stringify(online)}]`);
    assert.equal(await onlineTotal.getAttribute('data-aggregate'), 'mean');
    assert.match(await visibleText(onlineTotal), /^83,3/, 'a rate shows one decimal');
    // A count of people adds up over the wards and communes that reported, grouped by thousands.
    const people = UNIT_INDICATORS[3];
    const peopleTotal = page.locator(`tfoot td[data-testid=indicator-total][data-indicator=${JSON.stringify(people)}]`);
    assert.equal(await peopleTotal.getAttribute('data-aggregate'), 'sum');
    assert.match(await visibleText(peopleTotal), /^275\.990$/);
    // The Department's own figures stand apart from the units' totals.
    const hostReport = page.getByTestId('dashboard-host-report');
    assert.equal(await hostReport.isVisible(), true, "the host's report is on the dashboard");
    assert.match(await visibleText(hostReport), /Doanh thu bưu chính, viễn thông và CNTT/);
    assert.match(await visibleText(hostReport), /33,7%/);
    assert.equal(await visibleText(onlineOf(MUONG_XEN)), '—');
    // The unit filter ignores case and diacritics: "cửa lo" leaves Cửa Lò alone.
    const filter = page.getByTestId('dashboard-filter');
    const shownUnits = () => page.locator('tr[data-testid=dashboard-unit]:visible').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-point')));
    let shown = /** @type {(string | null)[]} */ ([]);
    await filter.fill('cửa lo');
    await waitFor(async () => (shown = await shownUnits()).length === 1, { message: () => `one unit left by the filter; shown: ${JSON.stringify(shown)}` });
    assert.deepEqual(shown, [CUA_LO]);
    assert.equal(await visibleText(page.getByTestId('dashboard-filter-count')), 'Hiển thị 1/15 đơn vị');
    await filter.fill('');
    await waitFor(async () => (shown = await shownUnits()).length === UNITS.length, { message: () => `every unit back without a filter; shown: ${JSON.stringify(shown)}` });
    assert.equal(await page.getByTestId('dashboard-chart').isVisible(), true, 'the chart is shown');
    const bars = page.locator('[data-testid=dashboard-chart-svg] g[data-indicator]');
    const drawn = await bars.evaluateAll((gs) => gs.map((g) => ({
      name: g.getAttribute('data-indicator'),
      percent: Number(g.getAttribute('data-percent')),
      width: Number(g.querySelector('rect')?.getAttribute('width')),
    })));
    assert.deepEqual(drawn.map((b) => b.name), UNIT_INDICATORS);
    for (const bar of drawn) {
      assert.ok(bar.percent > 0 && bar.percent <= 100 && bar.width > 0, `a bar drawn for ${JSON.stringify(bar)}`);
    }

    // Concerns and proposals raised ahead of the briefing, none answered yet.
    const concerns = page.getByTestId('concern');
    await openTab(page, 'concerns', async () => (await concerns.count()) === 4,
      async () => ({ concerns: await concerns.allTextContents(), error: await visibleText(page.getByTestId('concerns-error')) }));
    assert.deepEqual(await concerns.evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-kind'), li.getAttribute('data-answered')])), [
      ['proposal', 'false'], ['concern', 'false'], ['proposal', 'false'], ['concern', 'false'],
    ]);
    const raisedBy = await concerns.allTextContents();
    for (const [i, unit] of [NGHI_LOC, HOANG_MAI, TRUONG_VINH, YEN_THANH].entries()) assert.ok(raisedBy[i].includes(unit), `concern ${i + 1} by ${unit}: ${raisedBy[i]}`);

    // Follow-up: the previous briefing's four tasks, each marked as carried over and handed to
    // the units of today's structure; one of them done.
    const tasks = page.getByTestId('task');
    await openTab(page, 'followup', async () => (await tasks.count()) === 4,
      async () => ({ tasks: await tasks.allTextContents(), error: await visibleText(page.getByTestId('tasks-error')) }));
    const previousTitle = titleOf(demo.previous);
    const taskRows = await tasks.evaluateAll((lis) => lis.map((li) => ({
      carried: li.getAttribute('data-carried-over'),
      status: li.getAttribute('data-status'),
      badge: li.querySelector('[data-testid=task-carried]')?.textContent?.trim() ?? '',
      owners: li.querySelector('[data-testid=task-lead]')?.textContent?.trim() ?? '',
      text: li.querySelector('.item__text')?.textContent?.trim() ?? '',
    })));
    for (const task of taskRows) {
      assert.equal(task.carried, 'true', `carried over: ${JSON.stringify(task)}`);
      assert.equal(task.badge, `Từ kỳ trước: ${previousTitle}`);
      assert.match(task.owners, /^Chủ trì: (Sở Khoa học và Công nghệ|UBND (phường|xã) )/, `handed to a unit of today's structure: ${JSON.stringify(task)}`);
    }
    const done = taskRows.filter((task) => task.status === 'done');
    assert.deepEqual(done.map((task) => task.text), [DONE_TASK], `exactly one task done: ${JSON.stringify(taskRows)}`);
    assert.equal(await visibleText(tasks.nth(taskRows.indexOf(done[0])).getByTestId('task-status')), 'Hoàn thành');

    // Minutes: the PDF download, with the title and the units' names as written.
    await openTab(page, 'minutes', async () => page.getByTestId('minutes-pdf').isVisible(), async () => visibleText(page.getByTestId('minutes-section')));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: seconds(15) }),
      page.getByTestId('minutes-pdf').click(),
    ]);
    assert.equal(download.suggestedFilename(), `bien-ban-${demo.current}.pdf`);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-demo-'));
    try {
      const file = path.join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const bytes = await fs.readFile(file);
      assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF file');
      const text = (await pdfText(file)).normalize('NFC');
      assert.ok(text.includes(link.briefing), `the minutes name the briefing ${JSON.stringify(link.briefing)}: ${text.slice(0, 600)}`);
      for (const unit of [CUA_LO, DIEN_CHAU, MUONG_XEN, HOST]) {
        assert.ok(text.includes(unit), `the minutes name ${unit} with its diacritics: ${text.slice(0, 1500)}`);
      }
      // Beside it, the DOCX for the secretary to edit: a ZIP archive with the same text.
      const [docx] = await Promise.all([
        page.waitForEvent('download', { timeout: seconds(15) }),
        page.getByTestId('minutes-docx').click(),
      ]);
      assert.equal(docx.suggestedFilename(), `bien-ban-${demo.current}.docx`);
      const docxFile = path.join(dir, docx.suggestedFilename());
      await docx.saveAs(docxFile);
      const archive = await fs.readFile(docxFile);
      assert.equal(archive.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a ZIP archive');
      // Stored without compression, so the document's text is in the bytes as UTF-8.
      assert.ok(archive.toString('utf8').includes(link.briefing), 'the DOCX names the briefing');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    assert.equal(await visibleText(page.getByTestId('minutes-error')), '');
    assert.deepEqual(client.console.filter((line) => line.includes('pageerror')), [], 'no script errors on the page');
  }));

  it("a ward's dossier shows its own report submitted, without the host's tabs", () => diagnosed('unit', async () => {
    const page = await openDossier(linkOf(demo.current, CUA_LO));
    assert.equal(await page.getByTestId('tab-dashboard').isVisible(), false);
    assert.equal(await page.getByTestId('tab-minutes').isVisible(), false);
    const rows = page.getByTestId('report-indicator');
    await openTab(page, 'report',
      async () => (await page.getByTestId('report-status').getAttribute('data-state')) === 'on_time' && (await rows.count()) === 4,
      async () => ({ status: await visibleText(page.getByTestId('report-status')), rows: await rows.count() }));
    assert.match(await page.getByTestId('report-narrative').inputValue(), /đài truyền thanh tại 5\/7 cụm loa/);
    assert.equal(await rows.nth(1).getByTestId('indicator-name').inputValue(), UNIT_INDICATORS[1]);
    assert.equal(await rows.nth(1).getByTestId('indicator-plan').inputValue(), '7', "the Department's plan for the ward");
    assert.equal(await visibleText(rows.nth(1).getByTestId('indicator-percent')), '71,4%', '5 of 7 clusters');
  }));

  it("the previous briefing's minutes record the roll-call with a substitute and the three speakers with the secretary's notes", () => diagnosed('previous', async () => {
    const link = linkOf(demo.previous, FORMER_HOST);
    const page = await openDossier(link);
    const tasks = page.getByTestId('task');
    await openTab(page, 'followup', async () => (await tasks.count()) === 4,
      async () => ({ tasks: await tasks.allTextContents(), error: await visibleText(page.getByTestId('tasks-error')) }));
    assert.deepEqual(await tasks.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-carried-over'))), ['false', 'false', 'false', 'false'],
      "the previous briefing's own tasks are not carried over there");
    assert.equal(await page.getByTestId('conclusion').count(), 2);

    const minutes = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes`, { token: dossierToken(link.dossier) });
    assert.equal(minutes.status, 200, minutes.text);
    const m = minutes.body;
    assert.equal(m.title, link.briefing);
    assert.equal(m.organisation, FORMER_HOST);
    assert.deepEqual(m.attendance.map((/** @type {any} */ a) => [a.point, a.status.kind]), [
      [FORMER_HOST, 'host'],
      [VINH, 'present'],
      [TX_CUA_LO, 'present'],
      [TX_HOANG_MAI, 'present'],
      [TX_THAI_HOA, 'substitute'],
      [H_NGHI_LOC, 'present'],
      [H_DIEN_CHAU, 'absent'],
    ]);
    const substitute = m.attendance.find((/** @type {any} */ a) => a.status.kind === 'substitute');
    assert.equal(substitute.status.detail, 'Bà Nguyễn Thị Hoa, Phó Chủ tịch UBND thị xã');
    assert.ok(substitute.minutes_present > 0, JSON.stringify(substitute));
    assert.deepEqual(m.speakers.map((/** @type {any} */ s) => s.point), [VINH, H_NGHI_LOC, TX_CUA_LO]);
    for (const s of m.speakers) {
      assert.ok(Date.parse(s.from) < Date.parse(s.to), `a speaker's turn has a length: ${JSON.stringify(s)}`);
      assert.ok(typeof s.topic === 'string' && s.topic.length > 20, `the secretary noted what was said: ${JSON.stringify(s)}`);
    }
  }));

  it("the host fills in who chaired the previous briefing and the minutes name them", () => diagnosed('details', async () => {
    const link = linkOf(demo.previous, FORMER_HOST);
    const page = await openDossier(link);
    const chair = page.getByTestId('minutes-chair');
    await openTab(page, 'minutes', async () => (await chair.inputValue()) === 'Ông Nguyễn Văn An, Giám đốc Sở',
      async () => ({ chair: await chair.inputValue(), error: await visibleText(page.getByTestId('minutes-details-error')) }));
    assert.equal(await page.getByTestId('minutes-number').inputValue(), 'Số: 27/BB-STTTT');

    await chair.fill('  Ông Lê Văn Cường, Phó Giám đốc Sở ');
    await page.getByTestId('minutes-details-save').click();
    const status = page.getByTestId('minutes-details-status');
    let problem = '';
    await waitFor(async () => {
      problem = await visibleText(page.getByTestId('minutes-details-error'));
      return (await visibleText(status)) !== '';
    }, { message: () => `the details saved; error: ${JSON.stringify(problem)}` });
    assert.equal(await chair.inputValue(), 'Ông Lê Văn Cường, Phó Giám đốc Sở', 'the form shows what was stored');

    const minutes = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes`, { token: dossierToken(link.dossier) });
    assert.equal(minutes.status, 200, minutes.text);
    assert.equal(minutes.body.chair, 'Ông Lê Văn Cường, Phó Giám đốc Sở');
    assert.equal(minutes.body.number, 'Số: 27/BB-STTTT');
    assert.equal(minutes.body.secretary, 'Bà Trần Thị Bình, Chánh Văn phòng Sở');
    assert.deepEqual(client.console.filter((line) => line.includes('pageerror')), [], 'no script errors on the page');
  }));

  it('the secretary completes the note of what a speaker said and the minutes print it under "Nội dung"', () => diagnosed('speech-note', async () => {
    const link = linkOf(demo.previous, FORMER_HOST);
    const page = await openDossier(link);
    const speeches = page.getByTestId('speech');
    await openTab(page, 'minutes', async () => (await speeches.count()) === 3,
      async () => ({ speeches: await speeches.allTextContents(), error: await visibleText(page.getByTestId('speeches-error')) }));
    const speaker = speeches.nth(1);
    const pointName = /** @type {string} */ (await speaker.locator('strong').textContent());
    const note = speaker.getByTestId('speech-note');
    await note.fill('  Xã đã phủ sóng 4G toàn bộ các thôn;\nđề nghị hỗ trợ kinh phí đài truyền thanh.  ');
    await speaker.getByTestId('speech-note-save').click();
    let problem = '';
    // Saved, the form shows the note as stored: trimmed.
    await waitFor(async () => {
      problem = await visibleText(page.getByTestId('speech').nth(1).getByTestId('speech-note-error'));
      return (await page.getByTestId('speech').nth(1).getByTestId('speech-note').inputValue()).startsWith('Xã đã');
    }, { message: () => `the note saved; error: ${JSON.stringify(problem)}` });
    assert.equal(await page.getByTestId('speech').nth(1).getAttribute('data-noted'), 'true');
    assert.equal(await page.getByTestId('speech').nth(1).getByTestId('speech-note').inputValue(),
      'Xã đã phủ sóng 4G toàn bộ các thôn;\nđề nghị hỗ trợ kinh phí đài truyền thanh.', 'the form shows what was stored');

    const token = dossierToken(link.dossier);
    const minutes = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes`, { token });
    assert.equal(minutes.status, 200, minutes.text);
    const noted = minutes.body.speakers.filter((/** @type {any} */ s) => s.topic?.startsWith('Xã đã phủ sóng 4G'));
    assert.deepEqual(noted.map((/** @type {any} */ s) => s.point), [pointName]);
    const pdf = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes.pdf`, { token });
    assert.equal(pdf.status, 200, pdf.text.slice(0, 300));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-demo-'));
    try {
      const file = path.join(dir, 'bien-ban.pdf');
      await fs.writeFile(file, pdf.bytes);
      const text = (await pdfText(file)).normalize('NFC').replace(/\s+/g, ' ');
      for (const expected of ['Xã đã phủ sóng 4G', 'đài truyền thanh.']) {
        assert.ok(text.includes(expected), `${JSON.stringify(expected)} in the minutes: ${text.slice(text.indexOf('2. Phát biểu'), text.indexOf('2. Phát biểu') + 1200)}`);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    assert.deepEqual(client.console.filter((line) => line.includes('pageerror')), [], 'no script errors on the page');
  }));

  // The previous briefing ran on 26/12/2024 from 08:00 to 10:05 Vietnam time (01:00–03:05 UTC);
  // the minutes give its date and times as they were read in the province.
  it("the previous minutes give the date and times of day in Vietnam time", async () => {
    const token = dossierToken(linkOf(demo.previous, FORMER_HOST).dossier);
    const pdf = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes.pdf`, { token });
    assert.equal(pdf.status, 200, pdf.text.slice(0, 300));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-demo-'));
    try {
      const file = path.join(dir, 'bien-ban.pdf');
      await fs.writeFile(file, pdf.bytes);
      const text = (await pdfText(file)).normalize('NFC');
      assert.ok(text.includes('Nghệ An, ngày 26 tháng 12 năm 2024'), `the dateline: ${text.slice(0, 600)}`);
      assert.ok(text.includes('Từ 08 giờ 00 phút đến 10 giờ 05 phút'), `the minutes' times: ${(/1\. Thời gian: .*?năm \d{4}/.exec(text) ?? [text.slice(0, 600)])[0]}`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
