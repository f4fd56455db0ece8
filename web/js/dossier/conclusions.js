// The host's conclusions: a numbered list everyone reads; the host adds and deletes.

import { t } from '../i18n.js';
import { Alert, busy, button, byTestId, el, formatWhen } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').Conclusion} Conclusion */

/** @implements {Part} */
export class ConclusionsPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the conclusions section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      empty: byTestId(root, 'conclusions-empty', HTMLElement),
      list: byTestId(root, 'conclusion-list', HTMLOListElement),
      form: byTestId(root, 'conclusion-form', HTMLFormElement),
      text: byTestId(root, 'conclusion-text', HTMLTextAreaElement),
      add: byTestId(root, 'conclusion-add', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'conclusions-error', HTMLElement));
    /** @type {Conclusion[]} */
    this.conclusions = [];
    this.ui.form.hidden = !ctx.isHost;
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.add, () => this.#add());
    });
  }

  async load() {
    try {
      this.conclusions = await this.ctx.api.conclusions();
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    this.ui.empty.hidden = this.conclusions.length > 0;
    this.ui.list.replaceChildren(
      ...this.conclusions.map((c, index) => {
        const li = el('li', { className: 'item', testid: 'conclusion', data: { conclusionId: String(c.id) } }, [
          el('p', { className: 'item__text', text: c.text }),
          el('span', { className: 'muted item__time', text: formatWhen(c.created_at) }),
        ]);
        if (this.ctx.isHost) {
          const remove = button(t('dossier.remove'), { className: 'btn btn--danger-outline btn--small', testid: 'conclusion-delete', label: t('dossier.conclusions.delete', { n: index + 1 }) });
          remove.addEventListener('click', () => void busy(remove, () => this.#delete(c)));
          li.append(remove);
        }
        return li;
      }),
    );
    this.alert.render();
  }

  async #add() {
    const text = this.ui.text.value.trim();
    this.ui.text.removeAttribute('aria-invalid');
    if (text === '') {
      this.ui.text.setAttribute('aria-invalid', 'true');
      this.alert.say('dossier.conclusions.validate.text');
      this.ui.text.focus();
      return;
    }
    try {
      await this.ctx.api.addConclusion(text);
      this.ui.text.value = '';
      this.alert.clear();
      this.ctx.notify('dossier.conclusions.added');
      await this.load();
    } catch (err) {
      this.alert.show(err);
    }
  }

  /** @param {Conclusion} c */
  async #delete(c) {
    if (!window.confirm(t('dossier.conclusions.delete.confirm'))) return;
    try {
      await this.ctx.api.deleteConclusion(c.id);
      this.alert.clear();
      await this.load();
    } catch (err) {
      this.alert.show(err);
    }
  }
}
