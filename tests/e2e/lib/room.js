// A briefing room with a host and several bridge points, each in its own Chromium with the fake
// camera, for the tests and the screenshots of the room's layout.

import { Server, allOf, createBriefing, seconds, waitFor } from './harness.js';
import { PointBrowsers } from './pages.js';

export const TITLE = 'Giao ban trực tuyến công tác chuyển đổi số tháng 12';
export const HOST = 'Sở Khoa học và Công nghệ';
export const POINTS = [
  'UBND phường Vinh Phú',
  'UBND xã Nghi Lộc',
  'UBND phường Cửa Lò',
  'UBND xã Diễn Châu',
  'UBND phường Hoàng Mai',
  'UBND xã Quỳnh Lưu',
];

/**
 * A running server, a briefing and the open browsers of the host and the points.
 * @typedef {object} Room
 * @property {Server} server
 * @property {import('./harness.js').Briefing} briefing
 * @property {PointBrowsers} browsers
 * @property {() => Promise<void>} close closes every browser and stops the server
 */

/**
 * Starts a server, creates a briefing with HOST and `points`, and opens and joins every page;
 * resolves once the host's page shows a tile for every point and every page has a state.
 *
 * @param {{ name: string, points?: string[], invited?: string[] }} opts `invited`: more points
 *   invited to the briefing whose pages are not opened
 * @returns {Promise<Room>}
 */
export async function openRoom({ name, points = POINTS, invited = [], launch = {} }) {
  const server = await Server.start({ name });
  /** @type {PointBrowsers | null} */
  let browsers = null;
  const close = async () => {
    await browsers?.closeAll();
    await server.dispose();
  };
  try {
    const briefing = await createBriefing({ dataDir: server.dataDir, title: TITLE, host: HOST, points: [...points, ...invited], baseUrl: server.baseUrl });
    browsers = new PointBrowsers(briefing, launch);
    const open = /** @type {PointBrowsers} */ (browsers);
    await open.openAndJoin(HOST);
    await allOf(points.map((p) => open.openAndJoin(p)));
    await waitForTiles(open.of(HOST), points);
    await allOf([HOST, ...points].map((p) => waitFor(async () => (await open.of(p).briefingState()) != null, {
      timeout: seconds(20),
      message: `${p}: a briefing state on its page`,
    })));
    return { server, briefing, browsers: open, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Waits until `client`'s page has a tile for each of `points`.
 * @param {import('./harness.js').Client} client
 * @param {string[]} points
 */
export async function waitForTiles(client, points) {
  /** @type {string[]} */
  let tiles = [];
  await waitFor(async () => {
    tiles = await client.page.$$eval('[data-tile]', (els) => els.map((el) => /** @type {HTMLElement} */ (el).dataset.tile ?? ''));
    return points.every((p) => tiles.includes(p));
  }, { timeout: seconds(30), message: () => `${client.label}: a tile for each of ${JSON.stringify(points)}; tiles: ${JSON.stringify(tiles)}` });
}
