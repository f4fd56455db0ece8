// The minutes, for the host: view the HTML page in a new tab, download the PDF or the DOCX (to
// edit before signing), mail the PDF to the invited units. Every file comes through fetch with
// the bearer token (a plain link could not carry it), handed to the browser as a blob.

import { t, formatNumber, hasKey } from '../i18n.js';
import { Alert, busy, byTestId, saveBlob } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').MailResult} MailResult */

/** @implements {Part} */
export class MinutesPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the minutes section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      view: byTestId(root, 'minutes-view', HTMLButtonElement),
      pdf: byTestId(root, 'minutes-pdf', HTMLButtonElement),
      docx: byTestId(root, 'minutes-docx', HTMLButtonElement),
      mail: byTestId(root, 'minutes-mail', HTMLButtonElement),
      status: byTestId(root, 'minutes-status', HTMLElement),
    };
    this.alert = new Alert(byTestId(root, 'minutes-error', HTMLElement));
    /** @type {MailResult | null} */
    this.mailed = null;
    this.ui.view.addEventListener('click', () => this.#view());
    this.ui.pdf.addEventListener('click', () =>
      void busy(this.ui.pdf, async () => {
        try {
          saveBlob(await this.ctx.api.minutesPdf(), this.ctx.api.minutesFileName);
          this.alert.clear();
        } catch (err) {
          this.alert.show(err);
        }
      }),
    );
    this.ui.docx.addEventListener('click', () =>
      void busy(this.ui.docx, async () => {
        try {
          saveBlob(await this.ctx.api.minutesDocx(), this.ctx.api.minutesFileName.replace(/\.pdf$/, '.docx'));
          this.alert.clear();
        } catch (err) {
          this.alert.show(err);
        }
      }),
    );
    this.ui.mail.addEventListener('click', () =>
      void busy(this.ui.mail, async () => {
        if (!window.confirm(t('dossier.minutes.mail.confirm'))) return;
        try {
          this.mailed = await this.ctx.api.mailMinutes();
          this.alert.clear();
        } catch (err) {
          this.mailed = null;
          this.alert.show(err);
        }
        this.render();
      }),
    );
  }

  async load() {
    this.render();
  }

  render() {
    this.alert.render();
    const mailed = this.mailed;
    this.ui.status.hidden = mailed === null;
    if (!mailed) {
      this.ui.status.textContent = '';
      return;
    }
    let text = t('dossier.minutes.mail.queued', { n: formatNumber(mailed.queued) });
    if (mailed.skipped.length > 0) {
      const skipped = mailed.skipped.map((s) => {
        const key = `dossier.mail.skip.${s.reason}`;
        return `${s.point} (${hasKey(key) ? t(key) : s.reason})`;
      });
      text += ` ${t('dossier.minutes.mail.skipped', { points: skipped.join(', ') })}`;
    }
    this.ui.status.textContent = text;
    this.ui.status.dataset.queued = String(mailed.queued);
  }

  /**
   * Opens the tab at once (inside the click, so no popup blocker objects) and fills it once the
   * page arrived; without a tab the page is downloaded instead.
   */
  #view() {
    const tab = window.open('', '_blank');
    void busy(this.ui.view, async () => {
      try {
        const html = await this.ctx.api.minutesHtml();
        if (tab && !tab.closed) showPage(tab, await html.text());
        else saveBlob(html, this.ctx.api.minutesFileName.replace(/\.pdf$/, '.html'));
        this.alert.clear();
      } catch (err) {
        tab?.close();
        this.alert.show(err);
      }
    });
  }
}

/**
 * Puts an HTML page into a blank tab of this origin. The tab inherits this page's
 * Content-Security-Policy (`style-src 'self'`), under which the page's own `<style>` element and
 * `style` attributes would be dropped (a blob: URL inherits it too); the same rules go in through
 * the CSSOM instead, which that policy does not govern. Scripts are not carried over. (Parsing
 * logs the refused inline styles as policy violations; their text is still read here.)
 * @param {Window} tab
 * @param {string} html
 */
function showPage(tab, html) {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  for (const script of parsed.querySelectorAll('script')) script.remove();
  const css = [...parsed.querySelectorAll('style')].map((style) => style.textContent ?? '').join('\n');
  for (const style of parsed.querySelectorAll('style')) style.remove();
  /** @type {string[]} */
  const inline = [];
  for (const node of parsed.querySelectorAll('[style]')) {
    node.setAttribute('data-inline-style', String(inline.length));
    inline.push(node.getAttribute('style') ?? '');
    node.removeAttribute('style');
  }

  const doc = tab.document;
  doc.replaceChild(doc.importNode(parsed.documentElement, true), doc.documentElement);
  const Sheet = /** @type {typeof CSSStyleSheet} */ (/** @type {any} */ (tab).CSSStyleSheet);
  const sheet = new Sheet();
  sheet.replaceSync(css);
  doc.adoptedStyleSheets = [sheet];
  for (const node of doc.querySelectorAll('[data-inline-style]')) {
    const rules = inline[Number(node.getAttribute('data-inline-style'))] ?? '';
    node.removeAttribute('data-inline-style');
    // The nodes belong to the tab's realm: `instanceof HTMLElement` of this one is false.
    if ('style' in node) /** @type {HTMLElement} */ (node).style.cssText = rules;
  }
}
