#!/usr/bin/env node
// Makes the screenshots in docs/screenshots/ from the demo: the first page of the previous
// briefing's minutes (the PDF, rendered by pdftoppm from poppler-utils) and the host's reports dashboard
// of the upcoming briefing at 1920 × 1080 in Debian's Chromium. Run after a release build:
//
//   node scripts/screenshots.mjs
//
// It uses the end-to-end harness (tests/e2e, `npm ci` there first) and honours its variables
// (GIAOBAN_BIN, CHROMIUM_BIN).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client, Server, runCli, waitFor } from '../tests/e2e/lib/harness.js';
import { gotoDossier } from '../tests/e2e/lib/pages.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = process.env.SCREENSHOTS_DIR ?? path.join(ROOT, 'docs', 'screenshots');

const server = await Server.start({ name: 'screenshots', args: ['--demo'] });
/** @type {Client | null} */
let client = null;
try {
  await waitFor(() => server.stdout.includes('giaoban listening on'), { message: 'the server listening' });
  const demo = JSON.parse((await runCli(['demo', '--data', server.dataDir, '--json'])).trim());
  // The current briefing's links come first, then the previous one's, each briefing's host first.
  const current = demo.links[0];
  const previous = demo.links.find((/** @type {{briefing: string}} */ l) => l.briefing !== current.briefing);
  if (!previous) throw new Error('the demo has no previous briefing');
  const token = (/** @type {string} */ url) => decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  await fs.mkdir(OUT, { recursive: true });

  // The minutes' first page.
  const pdf = await server.get(`/api/briefings/${encodeURIComponent(demo.previous)}/minutes.pdf`, { token: token(previous.dossier) });
  if (pdf.status !== 200) throw new Error(`minutes.pdf: ${pdf.status} ${pdf.text.slice(0, 200)}`);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-screenshots-'));
  const file = path.join(tmp, 'bien-ban.pdf');
  await fs.writeFile(file, pdf.bytes);
  execFileSync('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', '-singlefile', file, path.join(OUT, 'minutes-first-page')]);
  await fs.rm(tmp, { recursive: true, force: true });

  // The host's dashboard.
  client = await Client.launch('screenshots');
  await client.page.setViewportSize({ width: 1920, height: 1080 });
  const page = await gotoDossier(client, current.dossier, { title: current.briefing, point: current.point });
  await page.getByTestId('tab-dashboard').click();
  await waitFor(async () => (await page.getByTestId('dashboard-point').count()) > 0, { message: 'the dashboard rows' });
  await page.screenshot({ path: path.join(OUT, 'dashboard.png'), fullPage: true });
  console.log(`written: ${path.relative(ROOT, OUT)}/minutes-first-page.png, dashboard.png`);
} finally {
  await client?.close();
  await server.dispose();
}
