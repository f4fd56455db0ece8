// Figures readable in a meeting hall, on the demo's data, at 1366×768 and at 1920×1080:
//
// - no table sticks out of its card or widens the page, and none needs a sideways scroll: the
//   host's reports dashboard (the Department's report, the units' statuses, the indicator
//   grid), the organiser's participation statistics and the host's trial-run table in the live
//   room; only the indicator set, a column per ward and commune, scrolls inside its card;
// - the dashboard's chart draws no text over another text or over the 100 % mark, and cuts
//   none at the chart's edge;
// - every figure of an indicator shows the same number of decimals (the rule of its measure),
//   in the Vietnamese format, and the notes under them and the labels of the province's rows
//   are at least 14 px and dark enough to read on a projector (contrast of 7:1 or more).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client, Server, runCli, seconds, waitFor, withDiagnostics } from './lib/harness.js';
import { gotoDossier } from './lib/pages.js';

const SIZES = [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }];

/** @type {Server} */
let server;
/** @type {Set<Client>} */
const clients = new Set();
/** @type {{ current: string, links: {briefing: string, point: string, role: string, join: string, dossier: string}[] }} */
let demo;

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `readable-${name}`, server, clients: () => clients }, fn);
}

/** @param {{width: number, height: number}} size */
async function browser(size) {
  const client = await Client.launch(`readable-${size.width}`);
  clients.add(client);
  await client.page.setViewportSize(size);
  return client;
}

/**
 * Runs in the page: each visible table whose box is not inside its card, or, unless it may
 * scroll, that is wider than the box it scrolls in; and the page itself when it is wider than
 * the window.
 * @param {{selector: string, mayScroll?: boolean}} what the tables to check
 * @returns {string[]}
 */
function tableProblems({ selector, mayScroll = false }) {
  const problems = [];
  const tables = Array.from(document.querySelectorAll(selector)).filter((t) => t.getClientRects().length > 0);
  if (tables.length === 0) return [`no visible table matches ${selector}`];
  for (const table of tables) {
    const name = table.getAttribute('data-testid') ?? table.getAttribute('data-role') ?? table.className;
    const card = table.closest('.card, .host-card');
    if (!card) {
      problems.push(`${name}: not in a card`);
      continue;
    }
    let box = /** @type {HTMLElement} */ (table);
    for (let up = table.parentElement; up && up !== card; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) {
        box = up;
        break;
      }
    }
    if (box === table && mayScroll) {
      problems.push(`${name}: may scroll, but has no box to scroll in`);
    }
    if (box !== table && !mayScroll && box.scrollWidth > box.clientWidth + 1) {
      problems.push(`${name}: ${box.scrollWidth} px wide in a box of ${box.clientWidth} px`);
    }
    const r = box.getBoundingClientRect();
    const c = card.getBoundingClientRect();
    if (r.left < c.left - 0.5 || r.right > c.right + 0.5) {
      problems.push(`${name}: from ${Math.round(r.left)} to ${Math.round(r.right)} px, its card from ${Math.round(c.left)} to ${Math.round(c.right)} px`);
    }
    if (r.right > innerWidth + 0.5) problems.push(`${name}: ends at ${Math.round(r.right)} px, past the window (${innerWidth} px)`);
  }
  const page = document.documentElement.scrollWidth;
  if (page > innerWidth) problems.push(`the page is ${page} px wide in a window of ${innerWidth} px`);
  return problems;
}

/**
 * Runs in the page: texts of the chart that overlap each other or a 100 % mark, or stick out of
 * the chart.
 * @returns {{problems: string[], texts: number, marks: number}}
 */
function chartProblems() {
  const svg = document.querySelector('[data-testid=dashboard-chart-svg]');
  if (!svg) return { problems: ['no chart'], texts: 0, marks: 0 };
  const frame = svg.getBoundingClientRect();
  const texts = Array.from(svg.querySelectorAll('text')).map((t) => ({ what: `"${t.textContent}"`, r: t.getBoundingClientRect() }));
  const marks = Array.from(svg.querySelectorAll('[data-testid=dashboard-chart-target]')).map((l, i) => ({ what: `100 % mark ${i + 1}`, r: l.getBoundingClientRect() }));
  /** @param {DOMRect} a @param {DOMRect} b */
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const problems = [];
  for (const [i, a] of texts.entries()) {
    if (a.r.left < frame.left - 0.5 || a.r.right > frame.right + 0.5 || a.r.top < frame.top - 0.5 || a.r.bottom > frame.bottom + 0.5) {
      problems.push(`${a.what} is cut at the chart's edge`);
    }
    for (const b of texts.slice(i + 1)) if (overlap(a.r, b.r)) problems.push(`${a.what} overlaps ${b.what}`);
    for (const m of marks) if (overlap(a.r, m.r)) problems.push(`${a.what} overlaps the ${m.what}`);
  }
  return { problems, texts: texts.length, marks: marks.length };
}

/**
 * Runs in the page: the dashboard grid's figures per indicator (units, province, plan), and the
 * size and contrast of the notes under them.
 */
function gridFigures() {
  /** @param {string} css */
  const rgb = (css) => (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
  /** @param {number[]} c */
  const luminance = (c) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  /** @param {Element} el */
  const background = (el) => {
    for (let e = /** @type {Element | null} */ (el); e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg && !bg.startsWith('rgba(0, 0, 0, 0)') && bg !== 'transparent') return rgb(bg);
    }
    return [255, 255, 255];
  };
  const table = document.querySelector('[data-testid=dashboard-indicators]');
  if (!table) return { columns: {}, notes: [] };
  /** @type {Record<string, string[]>} */
  const columns = {};
  // Values and plans; the row of percentages of plan has its own rule (one decimal).
  for (const cell of table.querySelectorAll('td[data-indicator]:not([data-testid=indicator-total-percent])')) {
    const name = cell.getAttribute('data-indicator') ?? '';
    const figure = (cell.querySelector('span') ?? cell).textContent?.trim() ?? '';
    if (figure !== '—') (columns[name] ??= []).push(figure);
  }
  const notes = Array.from(document.querySelectorAll('[data-testid=dashboard-section] .cell-note, [data-testid=dashboard-indicators] tfoot th')).filter((n) => n.getClientRects().length > 0).map((n) => {
    const style = getComputedStyle(n);
    const [l1, l2] = [luminance(rgb(style.color)), luminance(background(n))].sort((a, b) => b - a);
    return { text: n.textContent?.trim() ?? '', px: parseFloat(style.fontSize), contrast: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 10) / 10 };
  });
  return { columns, notes };
}

describe('figures readable in a meeting hall', { timeout: seconds(240) }, () => {
  before(async () => {
    server = await Server.start({ name: 'readable', args: ['--demo'] });
    await waitFor(() => server.stdout.includes('giaoban listening on'), { message: () => `the server listening; stdout: ${server.stdout}` });
    demo = JSON.parse((await runCli(['demo', '--data', server.dataDir, '--json'])).trim());
  });

  after(async () => {
    for (const client of clients) await client.close();
    await server?.dispose();
  });

  for (const size of SIZES) {
    it(`at ${size.width}×${size.height} the dashboard's tables fit their cards, the chart's texts overlap nothing and the figures follow one rule per indicator`, () => diagnosed(`dashboard-${size.width}`, async () => {
      const host = demo.links.find((l) => l.role === 'host');
      assert.ok(host, JSON.stringify(demo.links));
      const client = await browser(size);
      const page = await gotoDossier(client, host.dossier, { title: host.briefing, point: host.point });
      await page.getByTestId('tab-dashboard').click();
      await waitFor(async () => (await page.locator('[data-testid=dashboard-chart-svg] g[data-indicator]').count()) > 0
        && (await page.locator('tr[data-testid=dashboard-unit]').count()) > 0, { message: 'the dashboard with its grid and chart' });

      assert.deepEqual(await page.evaluate(tableProblems, { selector: '[data-testid=dashboard-section] table' }), []);
      // A column per ward and commune: the indicator set scrolls sideways, inside its card.
      assert.deepEqual(await page.evaluate(tableProblems, { selector: '[data-testid=indicator-set-table]', mayScroll: true }), []);
      const chart = await page.evaluate(chartProblems);
      assert.deepEqual(chart.problems, [], JSON.stringify(chart));
      assert.ok(chart.marks > 0 && chart.texts > chart.marks, `the chart has its marks and texts: ${JSON.stringify(chart)}`);

      const { columns, notes } = await page.evaluate(gridFigures);
      assert.ok(Object.keys(columns).length > 0, 'figures in the grid');
      for (const [indicator, figures] of Object.entries(columns)) {
        const decimals = new Set(figures.map((f) => (f.split(',')[1] ?? '').length));
        assert.equal(decimals.size, 1, `one rounding rule for ${indicator}: ${JSON.stringify(figures)}`);
        for (const f of figures) assert.match(f, /^-?\d{1,3}(\.\d{3})*(,\d+)?$/, `Vietnamese format in ${indicator}: ${f}`);
      }
      assert.ok(notes.length > 0, 'notes under the figures');
      for (const note of notes) {
        assert.ok(note.px >= 14, `a note of at least 14 px: ${JSON.stringify(note)}`);
        assert.ok(note.contrast >= 7, `a note with a contrast of 7:1 or more: ${JSON.stringify(note)}`);
      }
    }));

    it(`at ${size.width}×${size.height} the participation statistics fit their card`, () => diagnosed(`statistics-${size.width}`, async () => {
      const login = (await runCli(['admin-url', '--data', server.dataDir])).trim();
      const client = await browser(size);
      await client.goto(login);
      const page = client.page;
      await page.click('[data-action=statistics-load]');
      await waitFor(async () => (await page.locator('[data-role=statistics] tbody tr').count()) > 0, { message: 'the statistics rows' });

      assert.deepEqual(await page.evaluate(tableProblems, { selector: '[data-role=statistics]' }), []);
    }));

    it(`at ${size.width}×${size.height} the host's trial-run table fits the room's tools`, () => diagnosed(`trial-${size.width}`, async () => {
      const host = demo.links.find((l) => l.role === 'host');
      assert.ok(host);
      const client = await browser(size);
      await client.goto(host.join);
      await client.join({ title: host.briefing, point: host.point });
      const page = client.page;
      await page.click('[data-action=host-tools]', { timeout: seconds(15) });
      await page.click('[data-action=trial]');
      const rows = page.locator('[data-role=trial-report] tbody tr');
      await waitFor(async () => (await rows.count()) === demo.links.filter((l) => l.briefing === host.briefing).length,
        { timeout: seconds(20), message: 'a trial-run row per point' });

      assert.deepEqual(await page.evaluate(tableProblems, { selector: '[data-role=trial-report]' }), []);
    }));
  }
});
