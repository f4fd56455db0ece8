// The live room on a meeting hall's screens: a host and six bridge points in real browsers.
//
// - At 1366×768 the host's page does not scroll, and its controls, the roster search, the floor
//   and hands, the roll-call button, the grid's page size, the projector button and the comment
//   field are all in sight, not covered and not scrolled away inside a panel; granting the
//   floor keeps it so, and the host's own camera stays a small picture.
// - The page size the host chooses limits the thumbnails shown and what `view` reports.
// - A point's page does not scroll either; its bar and its comment field are in sight. Both
//   pages fit at 1920×1080 too.
// - The projector view: the button and F (not while typing) switch `body.projector`, the stage
//   fills the window, Esc leaves.
// - Removing a point asks first: cancelling leaves it in the briefing, confirming removes it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { HostApi, holdsFor, openLink, seconds, waitFor, withDiagnostics } from './lib/harness.js';
import { HOST, POINTS, openRoom } from './lib/room.js';

const SMALL = { width: 1366, height: 768 };
const FULL_HD = { width: 1920, height: 1080 };
/** Invited; its page stays in the lobby. */
const LATECOMER = 'UBND xã Thanh Chương';

/** @type {import('./lib/room.js').Room} */
let room;
/** @type {HostApi} */
let api;

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 */
function diagnosed(name, fn) {
  return withDiagnostics({ name: `layout-${name}`, server: room?.server, clients: () => room?.browsers.all() ?? [] }, fn);
}

/**
 * Runs in the page: for each selector, why its element is not in sight (absent, hidden, outside
 * the window, or covered or scrolled away at its centre), or nothing when it is. Then whether
 * the document scrolls vertically.
 * @param {string[]} selectors
 * @returns {{problems: string[], scrollHeight: number, innerHeight: number}}
 */
function sightProblems(selectors) {
  const problems = [];
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    if (!el) {
      problems.push(`${selector}: not on the page`);
      continue;
    }
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) {
      problems.push(`${selector}: not displayed (${r.width}×${r.height})`);
      continue;
    }
    if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) {
      problems.push(`${selector}: outside the window (${Math.round(r.left)},${Math.round(r.top)} to ${Math.round(r.right)},${Math.round(r.bottom)} in ${innerWidth}×${innerHeight})`);
      continue;
    }
    const x = r.left + r.width / 2;
    const y = r.top + Math.min(r.height / 2, 8);
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === el || el.contains(hit) || hit.contains(el))) {
      const what = hit ? `${hit.tagName.toLowerCase()}${hit.className ? `.${String(hit.className).split(' ').join('.')}` : ''}` : 'nothing';
      problems.push(`${selector}: covered or scrolled out of its panel (${what} at its place)`);
    }
  }
  return { problems, scrollHeight: document.documentElement.scrollHeight, innerHeight };
}

/**
 * Waits until the page does not scroll and every selector is in sight.
 * @param {import('./lib/harness.js').Client} client
 * @param {string[]} selectors
 * @param {string} what
 */
async function expectInSight(client, selectors, what) {
  /** @type {{problems: string[], scrollHeight: number, innerHeight: number}} */
  let last = { problems: ['not checked'], scrollHeight: 0, innerHeight: 0 };
  await waitFor(async () => {
    last = await client.page.evaluate(sightProblems, selectors);
    return last.problems.length === 0 && last.scrollHeight <= last.innerHeight;
  }, {
    timeout: seconds(10),
    message: () => `${client.label}, ${what}: the page is ${last.scrollHeight} px high in a ${last.innerHeight} px window` +
      `${last.problems.length ? `;\n  - ${last.problems.join('\n  - ')}` : ''}`,
  });
}

const HOST_CONTROLS = [
  '[data-action=toggle-mic]',
  '[data-action=toggle-camera]',
  '[data-action=leave]',
  '[data-action=projector]',
  '[data-role=my-quality]',
  '[data-role=stage]',
  '[data-role=roster-search]',
  '[data-role=floor-panel]',
  '[data-action=roll-call-start]',
  '[data-role=grid-size]',
  '[data-role=comment-input]',
];

const POINT_CONTROLS = [
  '[data-action=toggle-mic]',
  '[data-action=toggle-camera]',
  '[data-action=raise-hand]',
  '[data-action=leave]',
  '[data-action=toggle-comments]',
  '[data-action=projector]',
  '[data-role=my-quality]',
  '[data-role=stage]',
  '[data-role=comment-input]',
];

describe('the room fits a meeting hall\'s screen', { timeout: seconds(300) }, () => {
  before(async () => {
    room = await openRoom({ name: 'layout', invited: [LATECOMER] });
    api = new HostApi(room.server, room.briefing);
    for (const client of room.browsers.all()) await client.page.setViewportSize(SMALL);
  });

  after(async () => {
    await room?.close();
  });

  it('the host\'s page at 1366×768 shows stage, grid, side panel and controls without scrolling, also once the floor is granted', async () => {
    await diagnosed('host', async () => {
      const host = room.browsers.of(HOST);
      await expectInSight(host, HOST_CONTROLS, 'nobody holding the floor');
      const thumbnails = await host.page.evaluate(() => /** @type {any} */ (window).giaoban.thumbnails);
      assert.ok(thumbnails.length >= 4, `a page of the grid shows at least four of the six points: ${JSON.stringify(thumbnails)}`);
      await expectInSight(host, thumbnails.map((/** @type {string} */ p) => `[data-tile="${p}"]`), 'the grid page\'s thumbnails');

      await api.ok('POST', '/floor', { point: POINTS[1], seconds: 120 });
      await waitFor(() => host.page.evaluate((p) => Boolean(document.querySelector(`[data-role=stage] [data-tile="${p}"]`)), POINTS[1]), {
        timeout: seconds(10),
        message: `${POINTS[1]}'s tile on the host's stage once it holds the floor`,
      });
      await expectInSight(host, [...HOST_CONTROLS, '[data-role=floor-timer]'], 'a point holding the floor');
      const self = await host.page.evaluate(() => {
        const stage = /** @type {HTMLElement} */ (document.querySelector('[data-role=stage]')).getBoundingClientRect();
        const own = /** @type {HTMLElement} */ (document.querySelector('[data-role=self-tile]'));
        const r = own.getBoundingClientRect();
        return { onStage: Boolean(own.closest('[data-role=stage]')), share: (r.width * r.height) / (stage.width * stage.height) };
      });
      assert.equal(self.onStage, false, 'the host\'s own camera is not one of the stage\'s pictures while a point speaks');
      assert.ok(self.share < 0.1, `the host's own camera is a small preview: ${(self.share * 100).toFixed(1)} % of the stage`);
      await api.ok('DELETE', '/floor');
    });
  });

  it('the host chooses how many thumbnails a page shows, within the page slots asked for at join', async () => {
    await diagnosed('grid-size', async () => {
      const host = room.browsers.of(HOST).page;
      const options = await host.$$eval('[data-role=grid-size] option', (els) => els.map((o) => Number(/** @type {HTMLOptionElement} */ (o).value)));
      assert.deepEqual(options, [4, 9, 16, 25], 'the page sizes offered to a host who joined with 25 page slots');
      await host.selectOption('[data-role=grid-size]', '4');
      /** @type {string[]} */
      let shown = [];
      await waitFor(async () => {
        shown = await host.evaluate(() => /** @type {any} */ (window).giaoban.thumbnails);
        const tiles = await host.$$eval('[data-role=grid] [data-tile]:not([hidden])', (els) => els.length);
        return shown.length === 4 && tiles === 4;
      }, { message: () => `four thumbnails on the host's page once it chose 4 per page: ${JSON.stringify(shown)}` });
      assert.equal(await host.locator('[data-role=pager]').isVisible(), true, 'the pager, with six points on pages of four');
      await host.selectOption('[data-role=grid-size]', '25');
      await waitFor(async () => (await host.evaluate(() => /** @type {any} */ (window).giaoban.thumbnails.length)) > 4, {
        message: 'more than four thumbnails again once the host chose 25 per page',
      });
    });
  });

  it('a point\'s page at 1366×768 shows the stage, its bar and the comments without scrolling', async () => {
    await diagnosed('point', async () => {
      await expectInSight(room.browsers.of(POINTS[0]), POINT_CONTROLS, 'a bridge point');
    });
  });

  it('at 1920×1080 the host\'s and a point\'s pages fit one screen too', async () => {
    await diagnosed('full-hd', async () => {
      const host = room.browsers.of(HOST);
      const point = room.browsers.of(POINTS[0]);
      try {
        await host.page.setViewportSize(FULL_HD);
        await point.page.setViewportSize(FULL_HD);
        await expectInSight(host, HOST_CONTROLS, 'at 1920×1080');
        await expectInSight(point, POINT_CONTROLS, 'at 1920×1080');
      } finally {
        await host.page.setViewportSize(SMALL);
        await point.page.setViewportSize(SMALL);
      }
    });
  });

  it('the projector view shows the stage alone on the whole window; F switches it, not while typing; Esc leaves', async () => {
    await diagnosed('projector', async () => {
      const host = room.browsers.of(HOST).page;
      await host.click('[data-action=projector]');
      await host.waitForFunction(() => document.body.classList.contains('projector'), null, { timeout: seconds(5) });
      const view = await host.evaluate(() => {
        const stage = /** @type {HTMLElement} */ (document.querySelector('[data-role=stage]')).getBoundingClientRect();
        const controls = /** @type {HTMLElement} */ (document.querySelector('[data-action=leave]')).getBoundingClientRect();
        return { width: stage.width, height: stage.height, innerWidth, innerHeight, controls: controls.width * controls.height };
      });
      assert.ok(view.width >= view.innerWidth - 1 && view.height >= view.innerHeight - 1, `the stage fills the window: ${JSON.stringify(view)}`);
      assert.equal(view.controls, 0, 'the controls are not shown in the projector view');
      await host.keyboard.press('Escape');
      await host.waitForFunction(() => !document.body.classList.contains('projector'), null, { timeout: seconds(5) });

      const point = room.browsers.of(POINTS[0]).page;
      await point.locator('[data-role=comment-input]').fill('');
      await point.locator('[data-role=comment-input]').press('f');
      assert.equal(await point.evaluate(() => document.body.classList.contains('projector')), false, 'F typed into the comment field is a letter');
      assert.equal(await point.locator('[data-role=comment-input]').inputValue(), 'f');
      await point.locator('[data-role=comment-input]').fill('');
      await point.locator('[data-role=stage]').click({ position: { x: 20, y: 20 } });
      await point.keyboard.press('f');
      await point.waitForFunction(() => document.body.classList.contains('projector'), null, { timeout: seconds(5) });
      await point.keyboard.press('Escape');
      await point.waitForFunction(() => !document.body.classList.contains('projector'), null, { timeout: seconds(5) });
      await expectInSight(room.browsers.of(POINTS[0]), POINT_CONTROLS, 'after the projector view');
    });
  });

  it('the lobby shows the microphone\'s level and offers the speakers', async () => {
    await diagnosed('lobby', async () => {
      const client = await openLink(room.briefing.link(LATECOMER));
      room.browsers.open.set(LATECOMER, client);
      const page = client.page;
      await page.locator('[data-action=join]:not([disabled])').waitFor({ timeout: seconds(20) });
      // Chromium's fake microphone beeps once a second: the meter moves with it.
      /** @type {number[]} */
      const levels = [];
      await waitFor(async () => {
        levels.push(Number(await page.getAttribute('[data-role=mic-level]', 'aria-valuenow')));
        return levels.some((l) => l > 0);
      }, { timeout: seconds(10), interval: 100, message: () => `the microphone level above 0 at some moment: ${levels.slice(-20).join(',')}` });
      const outputs = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audiooutput' && d.deviceId !== 'default').length);
      const options = await page.locator('[data-role=speaker-select] option').count();
      if (outputs > 0) {
        assert.equal(await page.locator('[data-role=speaker-select]').isVisible(), true, 'the speaker choice, with audio outputs present');
        assert.equal(options, outputs + 1, 'one option per output, and the system default');
      } else {
        assert.equal(await page.locator('[data-role=speaker-field]').isVisible(), false, 'no speaker choice without outputs');
      }
    });
  });

  it('removing a point asks first: cancelling keeps it, confirming removes it', async () => {
    await diagnosed('remove', async () => {
      const host = room.browsers.of(HOST).page;
      const target = POINTS[5];
      const tile = host.locator(`[data-role=grid] [data-tile="${target}"]`);
      await tile.hover();
      assert.equal((await tile.locator('[data-action=grant]').textContent())?.trim(), 'Cho phát biểu', 'the grant action says what it does');
      await tile.locator('[data-action=remove]').click();
      const dialog = host.locator('[data-role=confirm-dialog]');
      await dialog.waitFor({ state: 'visible', timeout: seconds(5) });
      assert.match(await dialog.locator('[data-role=confirm-message]').textContent() ?? '', new RegExp(target));
      await dialog.locator('[data-action=cancel]').click();
      await dialog.waitFor({ state: 'hidden', timeout: seconds(5) });
      await holdsFor(async () => {
        const state = await api.state();
        return state.points.find((/** @type {any} */ p) => p.name === target)?.online === true;
      }, { duration: 1500, message: `${target} stays online after the host cancelled its removal` });
      assert.equal(await room.browsers.of(target).connectionState(), 'connected', `${target}'s page is still connected`);

      await tile.hover();
      await tile.locator('[data-action=remove]').click();
      await dialog.locator('[data-action=confirm-remove]').click();
      await api.waitState((s) => s.points.find((/** @type {any} */ p) => p.name === target)?.online === false, {
        timeout: seconds(10),
        message: `${target} offline once the host confirmed its removal`,
      });
    });
  });
});
