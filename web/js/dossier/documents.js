// The documents of the briefing: a table with downloads for everyone, an upload form for the
// host and the points, and a delete button on the caller's own uploads (all of them for the
// host). A download is a fetch with the bearer token, handed to the browser as a blob.

import { t } from '../i18n.js';
import { Alert, agendaTitle, busy, button, byTestId, el, fillAgendaSelect, formatSize, formatWhen, saveBlob } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').Document} Document */
/** @typedef {import('../dossier-api.js').AgendaItem} AgendaItem */

/** The server's limit (docs/substance.md, "Documents"): refused here before the upload. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** @implements {Part} */
export class DocumentsPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the documents section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      empty: byTestId(root, 'documents-empty', HTMLElement),
      table: byTestId(root, 'documents-table', HTMLTableElement),
      list: byTestId(root, 'documents-list', HTMLTableSectionElement),
      form: byTestId(root, 'document-upload-form', HTMLFormElement),
      file: byTestId(root, 'document-file', HTMLInputElement),
      item: byTestId(root, 'document-agenda-item', HTMLSelectElement),
      upload: byTestId(root, 'document-upload', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'documents-error', HTMLElement));
    /** @type {Document[]} */
    this.documents = [];
    /** @type {AgendaItem[]} */
    this.agenda = [];
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.upload, () => this.#upload());
    });
  }

  async load() {
    try {
      const [documents, agenda] = await Promise.all([this.ctx.api.documents(), this.ctx.agenda()]);
      this.documents = documents;
      this.agenda = agenda;
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    fillAgendaSelect(this.ui.item, this.agenda);
    this.ui.empty.hidden = this.documents.length > 0;
    this.ui.table.hidden = this.documents.length === 0;
    this.ui.list.replaceChildren(...this.documents.map((doc) => this.#row(doc)));
    this.alert.render();
  }

  /** @param {Document} doc */
  #row(doc) {
    const tie = doc.task_id !== null ? t('dossier.documents.ofTask', { id: doc.task_id }) : agendaTitle(this.agenda, doc.agenda_item_id);
    const actions = el('td', { className: 'data-table__actions' });
    if (this.ctx.isHost || (doc.uploaded_by !== null && doc.uploaded_by === this.ctx.session.point.name)) {
      const remove = button(t('dossier.remove'), { className: 'btn btn--danger-outline btn--small', testid: 'document-delete', label: t('dossier.documents.delete', { name: doc.file_name }) });
      remove.addEventListener('click', () => void busy(remove, () => this.#delete(doc)));
      actions.append(remove);
    }
    return el('tr', { testid: 'document', data: { documentId: String(doc.id), fileName: doc.file_name } }, [
      el('td', {}, [downloadButton(this.ctx, doc, this.alert)]),
      el('td', { text: tie }),
      el('td', { className: 'num', text: formatSize(doc.size) }),
      el('td', { text: doc.uploaded_by ?? t('dossier.documents.organiser') }),
      el('td', { text: formatWhen(doc.created_at) }),
      actions,
    ]);
  }

  async #upload() {
    const file = this.ui.file.files?.[0];
    if (!file) {
      this.alert.say('dossier.documents.noFile');
      this.ui.file.focus();
      return;
    }
    if (file.size > MAX_DOCUMENT_BYTES) {
      this.alert.say('dossier.documents.tooLarge', { size: formatSize(file.size) });
      return;
    }
    const item = this.ui.item.value === '' ? null : Number(this.ui.item.value);
    try {
      await this.ctx.api.upload(file, { agendaItemId: item });
      this.ui.form.reset();
      this.alert.clear();
      this.ctx.notify('dossier.documents.uploaded', { name: file.name });
      await this.load();
    } catch (err) {
      this.alert.show(err);
    }
  }

  /** @param {Document} doc */
  async #delete(doc) {
    if (!window.confirm(t('dossier.documents.delete.confirm', { name: doc.file_name }))) return;
    try {
      await this.ctx.api.deleteDocument(doc.id);
      this.alert.clear();
      this.ctx.notify('dossier.documents.deleted', { name: doc.file_name });
      await this.load();
    } catch (err) {
      this.alert.show(err);
    }
  }
}

/**
 * A button that downloads a document under its own name.
 * @param {Context} ctx
 * @param {Document} doc
 * @param {Alert} alert where a failure is shown
 * @returns {HTMLButtonElement}
 */
export function downloadButton(ctx, doc, alert) {
  const b = button(doc.file_name, { className: 'link-button', testid: 'document-download', label: t('dossier.documents.download', { name: doc.file_name }) });
  b.addEventListener('click', () =>
    void busy(b, async () => {
      try {
        saveBlob(await ctx.api.download(doc.id), doc.file_name);
      } catch (err) {
        alert.show(err);
      }
    }),
  );
  return b;
}
