// Helpers for the pages the tests drive: the bridge points' live pages, one browser each, and
// the dossier page (/d/{token}).

import { Client, openLink, seconds, waitFor } from './harness.js';

/**
 * The open browser of each bridge point of one briefing, by point name. The tests reach a
 * point's page through it, hand every open browser to `withDiagnostics` and close them all at
 * the end.
 */
export class PointBrowsers {
  /**
   * @param {import('./harness.js').Briefing} briefing
   * @param {import('./harness.js').LaunchOptions} [launch] how each browser is started
   */
  constructor(briefing, launch = {}) {
    this.briefing = briefing;
    this.launch = launch;
    /** @type {Map<string, Client>} */
    this.open = new Map();
  }

  /**
   * @param {string} point
   * @returns {Client} the point's open browser; throws when it has none
   */
  of(point) {
    const client = this.open.get(point);
    if (!client) throw new Error(`no open browser for ${point}`);
    return client;
  }

  /**
   * Opens a point's invitation link in its own browser and joins the briefing. The browser is
   * counted as open before it joins, so that a failed join still shows in the diagnostics.
   *
   * @param {string} point
   * @returns {Promise<Client>}
   */
  async openAndJoin(point) {
    const client = await openLink(this.briefing.link(point), this.launch);
    this.open.set(point, client);
    await client.join({ title: this.briefing.title, point });
    return client;
  }

  /**
   * Closes a point's browser; throws when it has none open.
   *
   * @param {string} point
   */
  async close(point) {
    const client = this.of(point);
    this.open.delete(point);
    await client.close();
  }

  /** @returns {Iterable<Client>} every open browser */
  all() {
    return this.open.values();
  }

  /** Closes every open browser; a browser that fails to close does not keep the others open. */
  async closeAll() {
    const clients = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/**
 * The text of an element, trimmed; '' when it is absent or hidden.
 *
 * @param {import('playwright-core').Locator} locator
 * @returns {Promise<string>}
 */
export async function visibleText(locator) {
  if ((await locator.count()) === 0 || !(await locator.first().isVisible())) return '';
  return ((await locator.first().textContent()) ?? '').trim();
}

/**
 * Opens a dossier page in `client` and waits until its header shows the briefing's title and
 * the point's name.
 *
 * @param {Client} client
 * @param {string} url a dossier link, `<base>/d/<token>`
 * @param {{ title: string, point: string }} header what the header must show
 * @returns {Promise<import('playwright-core').Page>} the page
 */
export async function gotoDossier(client, url, { title, point }) {
  const page = client.page;
  await client.goto(url);
  let seen = ['', ''];
  await waitFor(async () => {
    seen = [await visibleText(page.getByTestId('dossier-title')), await visibleText(page.getByTestId('dossier-me'))];
    return seen[0] === title && seen[1].includes(point);
  }, {
    timeout: seconds(15),
    message: () => `${client.label}: the dossier header with ${JSON.stringify(title)} and ${JSON.stringify(point)}; shown: ${JSON.stringify(seen)}`,
  });
  return page;
}
