// The dossier page (/d/{token}) in a real browser: a unit submits its report with Vietnamese
// text and a decimal comma, after the server refused a value that is not a number (shown next to
// the form, nothing saved); the host's dashboard then shows that unit on time with its values
// and percentage of plan, and the other unit not submitted, first before and then after the
// report deadline.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Client, Server, runCli, seconds, tokenOf, waitFor, withDiagnostics } from './lib/harness.js';
import { gotoDossier, visibleText } from './lib/pages.js';

const TITLE = 'Giao ban công tác chuyển đổi số quý III';
const HOST = 'Sở Thông tin và Truyền thông';
const CUA_LO = 'UBND thị xã Cửa Lò';
const NGHI_LOC = 'UBND huyện Nghi Lộc';
const UNITS_CSV = [
  'code,name,parent_code,email',
  `SO-TTTT,${HOST},,`,
  `UBND-CUALO,${CUA_LO},,`,
  `UBND-NGHILOC,${NGHI_LOC},,`,
  '',
].join('\n');

const NARRATIVE = 'Quý III, thị xã đã số hóa 92% hồ sơ; khó khăn: đường truyền ở các xã ven biển chưa ổn định.';
const REVENUE = { name: 'Doanh thu dịch vụ bưu chính', measure: 'triệu đồng', value: '1130,5', plan: '1200' };
const ONLINE = { name: 'Thủ tục hành chính trực tuyến toàn trình', measure: 'thủ tục', value: '45', plan: '50' };
/** The unit reports before this deadline; the host's view of the other unit turns from
 * "not yet due" to "not submitted" once it has passed. */
const DEADLINE_AHEAD = seconds(30);

/** @type {Server} */
let server;
/** @type {{ id: string, deadline: number, tokens: Record<string, string> }} */
let briefing;
/** @type {Set<Client>} */
const clients = new Set();

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `dossier-${name}`, server, clients: () => clients }, fn);
}

/**
 * Opens the dossier page of a point's link in its own Chromium and waits until its header shows
 * the briefing's title and the point's name.
 * @param {string} point
 * @param {string} token
 * @returns {Promise<import('playwright-core').Page>}
 */
async function openDossier(point, token) {
  const client = await Client.launch(point);
  clients.add(client);
  return gotoDossier(client, `${server.baseUrl}/d/${encodeURIComponent(token)}`, { title: TITLE, point });
}

/**
 * The state and text of `[data-testid=report-status]`.
 * @param {import('playwright-core').Page} page
 */
async function reportStatus(page) {
  const status = page.getByTestId('report-status');
  return { state: await status.getAttribute('data-state'), text: await visibleText(status) };
}

/**
 * @param {string} pointId
 * @param {string} token
 */
function getReport(pointId, token) {
  return server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/reports/${encodeURIComponent(pointId)}`, { token });
}

describe('the dossier page: unit report and the host dashboard', { timeout: seconds(180) }, () => {
  before(async () => {
    server = await Server.start({ name: 'dossier' });
    const csv = path.join(server.dataDir, 'units.csv');
    await fs.writeFile(csv, UNITS_CSV);
    await runCli(['units', 'import', '--data', server.dataDir, csv]);
    // Whole seconds: the deadline is stored in RFC 3339 without fractions.
    const deadline = Math.ceil((Date.now() + DEADLINE_AHEAD) / 1000) * 1000;
    const created = JSON.parse((await runCli([
      'briefing', 'create', '--data', server.dataDir, '--title', TITLE,
      '--host-unit', 'SO-TTTT', '--unit', 'UBND-CUALO', '--unit', 'UBND-NGHILOC',
      '--report-deadline', new Date(deadline).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      '--json',
    ])).trim());
    /** @type {Record<string, string>} */
    const tokens = {};
    for (const link of created.links) tokens[link.point] = tokenOf(link.url);
    assert.ok(tokens[HOST] && tokens[CUA_LO] && tokens[NGHI_LOC], `links for the three points: ${JSON.stringify(created.links)}`);
    briefing = { id: created.id, deadline, tokens };
  });

  after(async () => {
    for (const client of clients) await client.close();
    await server?.dispose();
  });

  it('a unit submits its report after the server refused a value that is not a number', () => diagnosed('unit', async () => {
    const token = briefing.tokens[CUA_LO];
    const session = await server.get('/api/session', { token });
    assert.equal(session.status, 200, session.text);
    const pointId = String(session.body.point.id);

    const page = await openDossier(CUA_LO, token);
    assert.equal(await page.getByTestId('tab-dashboard').isVisible(), false, 'a unit has no dashboard tab');

    await page.getByTestId('tab-report').click();
    const status = page.getByTestId('report-status');
    let shown = { state: /** @type {string | null} */ (null), text: '' };
    await waitFor(async () => {
      shown = await reportStatus(page);
      return shown.state === 'none' && shown.text !== '';
    }, { message: () => `the report form loaded with no report yet; report-status: ${JSON.stringify(shown)}` });

    // Arrange: the narrative and two indicators, the first with a value that is not a number.
    await page.getByTestId('report-narrative').fill(NARRATIVE);
    const rows = page.getByTestId('report-indicator');
    await page.getByTestId('report-add-indicator').click();
    assert.equal(await rows.count(), 2);
    /**
     * @param {number} n
     * @param {{ name: string, measure: string, value: string, plan: string }} indicator
     */
    const fillRow = async (n, indicator) => {
      const row = rows.nth(n);
      await row.getByTestId('indicator-name').fill(indicator.name);
      await row.getByTestId('indicator-measure').fill(indicator.measure);
      await row.getByTestId('indicator-value').fill(indicator.value);
      await row.getByTestId('indicator-plan').fill(indicator.plan);
    };
    await fillRow(0, { ...REVENUE, value: 'khoảng một nghìn' });
    await fillRow(1, ONLINE);
    assert.equal(await visibleText(rows.nth(1).getByTestId('indicator-percent')), '90,0%', 'live % of plan of 45 / 50');
    assert.equal(await visibleText(rows.nth(0).getByTestId('indicator-percent')), '—', 'no % for a value that is not a number');

    // Act: submit; the server refuses it.
    await page.getByTestId('report-submit').click();

    // Assert: the page's own Vietnamese words for the server's code next to the form, the field
    // marked, nothing saved.
    const error = page.getByTestId('report-error');
    let errorText = '';
    await waitFor(async () => {
      errorText = await visibleText(error);
      return errorText.includes('khoảng một nghìn');
    }, { message: () => `the error next to the form; report-error: ${JSON.stringify(errorText)}` });
    assert.equal(await error.getAttribute('role'), 'alert');
    assert.equal(await error.getAttribute('data-code'), 'not_a_number');
    assert.equal(errorText, 'Chỉ tiêu 1, giá trị: “khoảng một nghìn” không phải là số.');
    assert.equal(await rows.nth(0).getByTestId('indicator-value').getAttribute('aria-invalid'), 'true');
    assert.equal(await status.getAttribute('data-state'), 'none');
    const refused = await getReport(pointId, token);
    assert.equal(refused.status, 404, `nothing saved after the refused report: ${refused.text}`);
    assert.equal(refused.body?.error?.code, 'no_report');

    // Act: correct the value (decimal comma) and submit again.
    await rows.nth(0).getByTestId('indicator-value').fill(REVENUE.value);
    assert.equal(await visibleText(rows.nth(0).getByTestId('indicator-percent')), '94,2%', 'live % of plan of 1130,5 / 1200');
    await page.getByTestId('report-submit').click();

    // Assert: confirmed on time on the page, the error gone, the numbers read by the server.
    await waitFor(async () => {
      shown = await reportStatus(page);
      errorText = await visibleText(error);
      return shown.state === 'on_time';
    }, { message: () => `the report confirmed on time; report-status: ${JSON.stringify(shown)}, report-error: ${JSON.stringify(errorText)}` });
    assert.match(await visibleText(status), /Đã nộp lúc .* đúng hạn/);
    assert.equal(await visibleText(error), '');
    assert.equal(await visibleText(page.getByTestId('dossier-notice')), 'Đã nộp báo cáo đúng hạn.');
    assert.ok(Date.now() < briefing.deadline, 'the report must go in before the deadline: this machine is too slow for DEADLINE_AHEAD');

    const saved = await getReport(pointId, token);
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.body.narrative, NARRATIVE);
    assert.equal(saved.body.on_time, true);
    assert.deepEqual(saved.body.indicators.map((/** @type {any} */ i) => [i.name, i.measure, i.value, i.plan, i.percent_of_plan]), [
      [REVENUE.name, REVENUE.measure, 1130.5, 1200, 94.2],
      [ONLINE.name, ONLINE.measure, 45, 50, 90],
    ]);

    // A new visit shows the report as submitted, ready to be updated.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitFor(async () => (await page.getByTestId('report-narrative').inputValue()) === NARRATIVE, {
      message: 'the submitted narrative in the form after a reload',
    });
    assert.equal(await rows.nth(0).getByTestId('indicator-value').inputValue(), '1130,5');
    assert.equal(await status.getAttribute('data-state'), 'on_time');
    assert.equal(await visibleText(page.getByTestId('report-submit')), 'Cập nhật báo cáo');
  }));

  it('an empty report is refused on the page and a saved draft is not submitted', () => diagnosed('draft', async () => {
    const page = await openDossier(NGHI_LOC, briefing.tokens[NGHI_LOC]);
    await page.getByTestId('tab-report').click();
    await page.getByTestId('report-form').waitFor({ state: 'visible' });
    await page.getByTestId('report-submit').click();
    await waitFor(async () => (await visibleText(page.getByTestId('report-error'))) !== '', { message: 'the empty report refused' });
    assert.equal(await visibleText(page.getByTestId('report-error')),
      'Báo cáo trống: hãy nhập nội dung hoặc ít nhất một chỉ tiêu để nộp, hoặc lưu nháp.');

    await page.getByTestId('report-narrative').fill('Đang tổng hợp số liệu của các xã');
    await page.getByTestId('report-save-draft').click();
    let status = { state: /** @type {string | null} */ (null), text: '' };
    await waitFor(async () => (status = await reportStatus(page)).state === 'draft', { message: () => `the draft saved: ${JSON.stringify(status)}` });
    assert.match((await reportStatus(page)).text, /^Bản nháp lưu lúc .* — chưa nộp$/);
    assert.equal(await visibleText(page.getByTestId('report-submit')), 'Nộp báo cáo', 'a draft is still to be submitted');

    const pointId = (await server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/dashboard`, { token: briefing.tokens[HOST] }))
      .body.points.find((/** @type {any} */ p) => p.point === NGHI_LOC).point_id;
    const seen = await getReport(pointId, briefing.tokens[HOST]);
    assert.equal(seen.status, 404, `the host does not see the draft: ${seen.text}`);
    // The dashboard test below finds the unit still not submitted.
  }));

  it('the host dashboard shows the unit on time with its indicators and the other unit not submitted', () => diagnosed('host', async () => {
    const page = await openDossier(HOST, briefing.tokens[HOST]);
    await page.getByTestId('tab-dashboard').click();

    const pointRow = (/** @type {string} */ name) => page.locator(`[data-testid=dashboard-point][data-point=${JSON.stringify(name)}]`);
    let seen = { rows: /** @type {string[]} */ ([]), error: '' };
    await waitFor(async () => {
      seen = { rows: await page.getByTestId('dashboard-point').allTextContents(), error: await visibleText(page.getByTestId('dashboard-error')) };
      return (await pointRow(CUA_LO).getAttribute('data-status')) === 'on_time';
    }, { message: () => `${CUA_LO} on time on the dashboard; shown: ${JSON.stringify(seen)}` });
    assert.equal(await visibleText(pointRow(CUA_LO).getByTestId('dashboard-status')), 'Đúng hạn');
    assert.equal(await pointRow(NGHI_LOC).getAttribute('data-status'), 'pending', 'before the deadline the other unit is not yet due');
    assert.equal(await visibleText(pointRow(NGHI_LOC).getByTestId('dashboard-status')), 'Chưa đến hạn');
    assert.match(await visibleText(page.getByTestId('dashboard-counts')), /^Đã nộp 1\/2 đơn vị/);

    // The indicators: a row per unit with its value, and the province's total and % of plan.
    const unitCell = (/** @type {string} */ unit, /** @type {string} */ indicator) =>
      page.locator(`tr[data-testid=dashboard-unit][data-point=${JSON.stringify(unit)}] td[data-indicator=${JSON.stringify(indicator)}]`);
    const footCell = (/** @type {string} */ testid, /** @type {string} */ indicator) =>
      page.locator(`tfoot td[data-testid=${testid}][data-indicator=${JSON.stringify(indicator)}]`);
    assert.match(await visibleText(unitCell(CUA_LO, REVENUE.name)), /^1\.130,5/);
    assert.equal(await visibleText(unitCell(NGHI_LOC, REVENUE.name)), '—');
    assert.equal(await visibleText(footCell('indicator-total', REVENUE.name)), '1.130,5');
    assert.equal(await visibleText(footCell('indicator-total-plan', REVENUE.name)), '1.200,0', 'triệu đồng: one decimal');
    assert.equal(await visibleText(footCell('indicator-total-percent', REVENUE.name)), '94,2%');
    assert.equal(await visibleText(footCell('indicator-total-percent', ONLINE.name)), '90,0%');
    const bars = page.locator('[data-testid=dashboard-chart-svg] g[data-indicator]');
    assert.deepEqual(await bars.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-indicator'), g.getAttribute('data-percent')])), [
      [REVENUE.name, '94.2'],
      [ONLINE.name, '90'],
    ]);

    // The unit's own report on demand.
    await pointRow(CUA_LO).getByTestId('dashboard-view-report').click();
    await waitFor(async () => (await visibleText(page.getByTestId('dashboard-report'))).includes(NARRATIVE), {
      message: 'the narrative of the unit in the report view',
    });
    await page.getByTestId('dashboard-report-close').click();

    // Once the deadline has passed, the other unit is missing.
    const wait = briefing.deadline + 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    let other = /** @type {string | null} */ (null);
    await waitFor(async () => {
      await page.getByTestId('dashboard-refresh').click();
      other = await pointRow(NGHI_LOC).getAttribute('data-status');
      return other === 'missing';
    }, { timeout: seconds(10), interval: 500, message: () => `${NGHI_LOC} missing after the deadline; its status: ${other}` });
    assert.equal(await visibleText(pointRow(NGHI_LOC).getByTestId('dashboard-status')), 'Chưa nộp');
    assert.equal(await pointRow(CUA_LO).getAttribute('data-status'), 'on_time');
    assert.deepEqual(await page.getByTestId('dashboard-missing').locator('li').allTextContents(), [NGHI_LOC]);
    assert.equal(await page.getByTestId('dashboard-late').getAttribute('data-count'), '0');
  }));

  it("the host sets the period's indicators, a unit reports on them and the dashboard adds them up", () => diagnosed('indicator-set', async () => {
    const BTS = { name: 'Trạm BTS phát sóng 4G', measure: 'trạm' };
    const host = await openDossier(HOST, briefing.tokens[HOST]);
    await host.getByTestId('tab-dashboard').click();
    const section = host.getByTestId('indicator-set-section');
    await waitFor(async () => (await visibleText(section.getByTestId('indicator-set-empty'))) !== '', { message: 'the empty set shown' });
    await section.getByTestId('indicator-set-add').click();
    const def = section.getByTestId('indicator-def').first();
    await def.getByTestId('indicator-def-name').fill(BTS.name);
    await def.getByTestId('indicator-def-measure').fill(BTS.measure);
    await def.locator('[data-testid=indicator-def-plan][data-unit=UBND-CUALO]').fill('12');
    await def.locator('[data-testid=indicator-def-plan][data-unit=UBND-NGHILOC]').fill('8');
    await section.getByTestId('indicator-set-save').click();
    let setError = '';
    await waitFor(async () => {
      setError = await visibleText(section.getByTestId('indicator-set-error'));
      return (await visibleText(host.getByTestId('dossier-notice'))) === 'Đã lưu bộ chỉ tiêu của kỳ.';
    }, { message: () => `the set saved; indicator-set-error: ${JSON.stringify(setError)}` });

    // The unit's form lists the host's indicator first, its name and plan fixed.
    const unit = await openDossier(CUA_LO, briefing.tokens[CUA_LO]);
    await unit.getByTestId('tab-report').click();
    const rows = unit.getByTestId('report-indicator');
    await waitFor(async () => (await rows.count()) === 3, { message: 'the set\'s indicator and the unit\'s own two' });
    const first = rows.first();
    assert.equal(await first.getAttribute('data-defined'), 'true');
    assert.equal(await first.getByTestId('indicator-name').inputValue(), BTS.name);
    assert.equal(await first.getByTestId('indicator-name').getAttribute('readonly'), '');
    assert.equal(await first.getByTestId('indicator-plan').inputValue(), '12');
    assert.equal(await first.getByTestId('indicator-remove').isVisible(), false, 'the host\'s indicator cannot be removed');
    await first.getByTestId('indicator-value').fill('9');
    assert.equal(await visibleText(first.getByTestId('indicator-percent')), '75,0%');
    await unit.getByTestId('report-submit').click();
    await waitFor(async () => (await visibleText(unit.getByTestId('dossier-notice'))).startsWith('Đã nộp báo cáo'), { message: 'the report updated' });

    // The dashboard lists the set first and adds up what the units gave.
    await host.getByTestId('dashboard-refresh').click();
    const total = host.locator(`tfoot td[data-testid=indicator-total][data-indicator=${JSON.stringify(BTS.name)}]`);
    let shownTotal = '';
    await waitFor(async () => (shownTotal = await visibleText(total)) === '9', { message: () => `the total of ${BTS.name}: ${JSON.stringify(shownTotal)}` });
    assert.equal(await visibleText(host.locator(`tfoot td[data-testid=indicator-total-plan][data-indicator=${JSON.stringify(BTS.name)}]`)), '12');
    assert.equal(await visibleText(host.locator(`tfoot td[data-testid=indicator-total-percent][data-indicator=${JSON.stringify(BTS.name)}]`)), '75,0%');
    const dashboard = await server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/dashboard`, { token: briefing.tokens[HOST] });
    assert.deepEqual(dashboard.body.indicators.map((/** @type {any} */ i) => [i.name, i.defined]).slice(0, 1), [[BTS.name, true]]);
  }));

  it('the host gives a task to two units and names the one lead unit explicitly', () => diagnosed('task-lead', async () => {
    const page = await openDossier(HOST, briefing.tokens[HOST]);
    await page.getByTestId('tab-followup').click();
    const form = page.getByTestId('task-new');
    await form.locator('summary').click();
    await page.getByTestId('task-text').fill('Số hóa hồ sơ thủ tục hành chính cấp xã');
    const boxes = page.getByTestId('owner-checkbox');
    await waitFor(async () => (await boxes.count()) >= 2, { message: 'a checkbox per unit' });
    // Cửa Lò ticked first: list order must not make it the lead.
    await form.locator('[data-testid=owner-checkbox][value=UBND-CUALO]').check();
    await form.locator('[data-testid=owner-checkbox][value=UBND-NGHILOC]').check();
    await page.getByTestId('task-deadline').fill('31/12/2099');
    await page.getByTestId('task-create').click();
    await waitFor(async () => (await visibleText(page.getByTestId('tasks-error'))) !== '', { message: 'the missing lead is refused' });
    assert.equal(await visibleText(page.getByTestId('tasks-error')), 'Nhiệm vụ có nhiều đơn vị: hãy chọn một đơn vị chủ trì.');
    assert.equal(await page.getByTestId('task').count(), 0, 'nothing given without a lead');

    await page.getByTestId('owner-lead').selectOption('UBND-NGHILOC');
    await page.getByTestId('task-create').click();
    const task = page.getByTestId('task');
    await waitFor(async () => (await task.count()) === 1, { message: 'the task given' });
    assert.equal(await visibleText(task.getByTestId('task-lead')), `Chủ trì: ${NGHI_LOC} (UBND-NGHILOC)`);
    assert.equal(await visibleText(task.getByTestId('task-assist')), `Phối hợp: ${CUA_LO} (UBND-CUALO)`);

    const tasks = await server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/tasks`, { token: briefing.tokens[HOST] });
    assert.equal(tasks.status, 200, tasks.text);
    assert.deepEqual(tasks.body[0].owners.map((/** @type {any} */ o) => [o.code, o.lead]), [['UBND-NGHILOC', true], ['UBND-CUALO', false]]);
    assert.equal(await visibleText(task.getByTestId('task-deadline')), 'Thời hạn: 31/12/2099', 'the deadline day first');
  }));

  it('a deadline in the past or written month first is refused in Vietnamese and marked', () => diagnosed('task-deadline', async () => {
    const page = await openDossier(HOST, briefing.tokens[HOST]);
    await page.getByTestId('tab-followup').click();
    const form = page.getByTestId('task-new');
    await form.locator('summary').click();
    const deadline = form.getByTestId('task-deadline');
    assert.match(await deadline.inputValue(), /^\d{2}\/\d{2}\/\d{4}$/, 'the default deadline is shown day first');
    await page.getByTestId('task-text').fill('Báo cáo số liệu chữ ký số');
    await waitFor(async () => (await form.locator('[data-testid=owner-checkbox]').count()) >= 1, { message: 'a checkbox per unit' });
    await form.locator('[data-testid=owner-checkbox][value=UBND-CUALO]').check();
    const before = (await server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/tasks`, { token: briefing.tokens[HOST] })).body.length;
    const error = page.getByTestId('tasks-error');

    for (const [typed, expected] of [
      ['1/1/2020', 'Hạn hoàn thành: “01/01/2020” là ngày đã qua.'],
      ['12/31/2099', 'Hạn hoàn thành: “12/31/2099” không phải là ngày hợp lệ; hãy nhập theo dạng 31/12/2026.'],
    ]) {
      await deadline.fill(typed);
      await page.getByTestId('task-create').click();
      let text = '';
      await waitFor(async () => {
        text = await visibleText(error);
        return text === expected;
      }, { message: () => `${typed}: the refusal in Vietnamese; tasks-error: ${JSON.stringify(text)}` });
      assert.doesNotMatch(text, /deadline|is in the past|not a date/, 'none of the server\'s English');
      assert.equal(await deadline.getAttribute('aria-invalid'), 'true', `${typed}: the deadline marked`);
    }
    const after = await server.get(`/api/briefings/${encodeURIComponent(briefing.id)}/tasks`, { token: briefing.tokens[HOST] });
    assert.equal(after.body.length, before, 'no task given');
  }));
});
