// The secretary's notes of what each point said while it held the floor, one per turn, which
// the minutes print in the "Nội dung" column of the speeches. A note being edited is kept
// when the list loads again. A turn that was recorded links to its place in the recording.

import { t, formatTime } from '../i18n.js';
import { chaptersByGrant, formatOffsetLong } from '../recording.js';
import { Alert, busy, byTestId, el, field, inlineAlert } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').Speech} Speech */
/** @typedef {import('../recording.js').GrantChapter} GrantChapter */

/** The longest note the server takes, in characters. */
const MAX_NOTE_CHARS = 4000;

/** @implements {Part} */
export class SpeechesPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the speeches section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      empty: byTestId(root, 'speeches-empty', HTMLElement),
      list: byTestId(root, 'speech-list', HTMLOListElement),
    };
    this.alert = new Alert(byTestId(root, 'speeches-error', HTMLElement));
    /** @type {Speech[]} */
    this.speeches = [];
    /** Notes typed and not yet saved, by grant. @type {Map<number, string>} */
    this.drafts = new Map();
    /** Where each recorded grant is in the recordings. @type {Map<number, GrantChapter>} */
    this.chapters = new Map();
  }

  async load() {
    // Without the recordings (none, or refused) the turns are listed without links.
    const recordings = this.ctx.recordings(true).catch(() => []);
    try {
      this.speeches = await this.ctx.api.speeches();
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.chapters = chaptersByGrant(await recordings);
    this.render();
  }

  render() {
    this.alert.render();
    this.ui.empty.hidden = this.speeches.length > 0;
    this.ui.list.replaceChildren(...this.speeches.map((s) => this.#item(s)));
  }

  /** @param {Speech} s */
  #item(s) {
    const to = s.ended_at ? formatTime(s.ended_at) : t('dossier.speeches.ongoing');
    const note = el('textarea', { testid: 'speech-note', attrs: { rows: '3', maxlength: String(MAX_NOTE_CHARS) } });
    note.value = this.drafts.get(s.id) ?? s.note ?? '';
    note.addEventListener('input', () => this.drafts.set(s.id, note.value));
    const save = el('button', { className: 'btn btn--primary btn--small', testid: 'speech-note-save', text: t('dossier.speeches.save') });
    save.type = 'submit';
    const alert = inlineAlert('speech-note-error');
    const form = el('form', { className: 'dossier-form' }, [
      field(t('dossier.speeches.note', { point: s.point_name }), note),
      alert.box,
      el('div', { className: 'form__actions' }, [save]),
    ]);
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(save, async () => {
        try {
          const stored = await this.ctx.api.setSpeechNote(s.id, note.value);
          this.drafts.delete(s.id);
          this.speeches = this.speeches.map((x) => (x.id === stored.id ? stored : x));
          this.ctx.notify('dossier.speeches.saved');
          this.render();
        } catch (err) {
          alert.show(err);
        }
      });
    });
    return el('li', { className: 'item', testid: 'speech', data: { grant: String(s.id), noted: String(s.note !== null) } }, [
      el('div', { className: 'item__head' }, [
        el('strong', { text: s.point_name }),
        el('span', { className: 'muted', text: t('dossier.speeches.when', { from: formatTime(s.granted_at), to }) }),
        ...this.#recordingLink(s),
      ]),
      form,
    ]);
  }

  /**
   * "▶ 00:12:34": opens the recordings and plays this turn, when it was recorded.
   * @param {Speech} s
   * @returns {HTMLAnchorElement[]}
   */
  #recordingLink(s) {
    const chapter = this.chapters.get(s.id);
    if (!chapter) return [];
    const time = formatOffsetLong(chapter.offset_ms);
    const a = el('a', {
      className: 'speech__recording',
      testid: 'speech-recording',
      text: t('dossier.speeches.recording', { time }),
      data: { recordingId: String(chapter.recording), offsetMs: String(chapter.offset_ms) },
      attrs: { href: '#recordings', 'aria-label': t('dossier.speeches.recording.label', { point: s.point_name, time }) },
    });
    a.addEventListener('click', (event) => {
      event.preventDefault();
      this.ctx.openRecording(chapter.recording, chapter.offset_ms);
    });
    return [a];
  }
}
