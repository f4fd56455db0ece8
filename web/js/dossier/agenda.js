// The agenda of the briefing: a numbered list for everyone; the host edits it in place (add,
// remove, reorder, title, presenter, minutes) and saves it in one PUT.

import { t, formatNumber } from '../i18n.js';
import { Alert, busy, button, byTestId, el } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').AgendaItem} AgendaItem */
/** @typedef {{id?: number, title: string, presenter: string, duration: string}} DraftRow */

/** @implements {Part} */
export class AgendaPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the agenda section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      edit: byTestId(root, 'agenda-edit', HTMLButtonElement),
      empty: byTestId(root, 'agenda-empty', HTMLElement),
      list: byTestId(root, 'agenda-list', HTMLOListElement),
      editor: byTestId(root, 'agenda-editor', HTMLElement),
      editList: byTestId(root, 'agenda-edit-list', HTMLOListElement),
      add: byTestId(root, 'agenda-add', HTMLButtonElement),
      cancel: byTestId(root, 'agenda-cancel', HTMLButtonElement),
      save: byTestId(root, 'agenda-save', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'agenda-error', HTMLElement));
    /** @type {AgendaItem[]} */
    this.items = [];
    /** @type {DraftRow[] | null} the host's edit in progress */
    this.draft = null;

    this.ui.edit.hidden = !ctx.isHost;
    this.ui.edit.addEventListener('click', () => this.#startEditing());
    this.ui.add.addEventListener('click', () => {
      this.draft?.push({ title: '', presenter: '', duration: '' });
      this.#renderEditor(this.draft ? this.draft.length - 1 : -1);
    });
    this.ui.cancel.addEventListener('click', () => {
      this.draft = null;
      this.alert.clear();
      this.render();
    });
    this.ui.save.addEventListener('click', () => void busy(this.ui.save, () => this.#save()));
  }

  async load() {
    try {
      this.items = await this.ctx.agenda(true);
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    const editing = this.draft !== null;
    this.ui.edit.hidden = !this.ctx.isHost || editing;
    this.ui.editor.hidden = !editing;
    this.ui.list.hidden = editing;
    this.ui.empty.hidden = editing || this.items.length > 0;
    this.ui.list.replaceChildren(...this.items.map((item) => itemView(item)));
    if (editing) this.#renderEditor(-1);
    this.alert.render();
  }

  #startEditing() {
    this.draft = this.items.map((item) => ({
      id: item.id,
      title: item.title,
      presenter: item.presenter ?? '',
      duration: item.duration_minutes === null ? '' : String(item.duration_minutes),
    }));
    if (this.draft.length === 0) this.draft.push({ title: '', presenter: '', duration: '' });
    this.render();
  }

  /** @param {number} focusRow the row whose title gets the focus, -1 for none */
  #renderEditor(focusRow) {
    const draft = this.draft;
    if (!draft) return;
    const rows = draft.map((row, index) => {
      const title = el('input', { testid: 'agenda-item-title', attrs: { type: 'text', maxlength: '300', 'aria-label': t('dossier.agenda.title.label', { n: index + 1 }), placeholder: t('dossier.agenda.title') } });
      title.value = row.title;
      title.addEventListener('input', () => { row.title = title.value; });
      const presenter = el('input', { testid: 'agenda-item-presenter', attrs: { type: 'text', maxlength: '200', 'aria-label': t('dossier.agenda.presenter.label', { n: index + 1 }), placeholder: t('dossier.agenda.presenter') } });
      presenter.value = row.presenter;
      presenter.addEventListener('input', () => { row.presenter = presenter.value; });
      const duration = el('input', { testid: 'agenda-item-duration', className: 'input-minutes', attrs: { type: 'number', min: '1', max: '600', step: '1', inputmode: 'numeric', 'aria-label': t('dossier.agenda.duration.label', { n: index + 1 }), placeholder: t('dossier.agenda.duration') } });
      duration.value = row.duration;
      duration.addEventListener('input', () => { row.duration = duration.value; });

      const up = button('↑', { testid: 'agenda-item-up', label: t('dossier.agenda.up', { n: index + 1 }) }, () => this.#move(index, -1));
      up.disabled = index === 0;
      const down = button('↓', { testid: 'agenda-item-down', label: t('dossier.agenda.down', { n: index + 1 }) }, () => this.#move(index, 1));
      down.disabled = index === draft.length - 1;
      const remove = button(t('dossier.remove'), { className: 'btn btn--danger-outline btn--small', testid: 'agenda-item-remove', label: t('dossier.agenda.remove', { n: index + 1 }) }, () => {
        draft.splice(index, 1);
        this.#renderEditor(-1);
      });

      const li = el('li', { className: 'agenda-editor__row', testid: 'agenda-edit-item' }, [
        title,
        presenter,
        duration,
        el('span', { className: 'agenda-editor__actions' }, [up, down, remove]),
      ]);
      if (row.id !== undefined) li.dataset.itemId = String(row.id);
      return li;
    });
    this.ui.editList.replaceChildren(...rows);
    if (focusRow >= 0) rows[focusRow]?.querySelector('input')?.focus();
  }

  /**
   * @param {number} index
   * @param {-1 | 1} by
   */
  #move(index, by) {
    const draft = this.draft;
    if (!draft) return;
    const to = index + by;
    if (to < 0 || to >= draft.length) return;
    [draft[index], draft[to]] = [draft[to], draft[index]];
    this.#renderEditor(-1);
  }

  async #save() {
    const draft = this.draft;
    if (!draft) return;
    const items = draft
      .filter((row) => row.id !== undefined || row.title.trim() !== '' || row.presenter.trim() !== '')
      .map((row) => {
        /** @type {import('../dossier-api.js').AgendaDraft} */
        const item = { title: row.title.trim() };
        if (row.id !== undefined) item.id = row.id;
        if (row.presenter.trim() !== '') item.presenter = row.presenter.trim();
        const minutes = Number.parseInt(row.duration, 10);
        if (Number.isFinite(minutes)) item.duration_minutes = minutes;
        return item;
      });
    try {
      this.items = await this.ctx.api.saveAgenda(items);
      this.ctx.setAgenda(this.items);
      this.draft = null;
      this.alert.clear();
      this.ctx.notify('dossier.agenda.saved');
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }
}

/** @param {AgendaItem} item */
function itemView(item) {
  const meta = [];
  if (item.presenter) meta.push(t('dossier.agenda.presentedBy', { name: item.presenter }));
  if (item.duration_minutes !== null) meta.push(t('dossier.agenda.minutes', { n: formatNumber(item.duration_minutes) }));
  const li = el('li', { className: 'agenda__item', testid: 'agenda-item', data: { itemId: String(item.id) } }, [
    el('span', { className: 'agenda__title', text: item.title }),
  ]);
  if (meta.length > 0) li.append(el('span', { className: 'agenda__meta muted', text: meta.join(' · ') }));
  return li;
}
