// Concerns and proposals: a unit raises one (tied to an agenda item or not); the host answers
// it, or turns it into a task for owner units with a deadline.

import { t } from '../i18n.js';
import { Alert, agendaTitle, busy, byTestId, el, field, fillAgendaSelect, formatWhen, inlineAlert, vietnamDate } from './common.js';
import { OwnersPicker } from './owners.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('./common.js').UnitChoice} UnitChoice */
/** @typedef {import('../dossier-api.js').Concern} Concern */
/** @typedef {import('../dossier-api.js').ConcernKind} ConcernKind */
/** @typedef {import('../dossier-api.js').AgendaItem} AgendaItem */

/** @implements {Part} */
export class ConcernsPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the concerns section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      form: byTestId(root, 'concern-form', HTMLFormElement),
      kind: byTestId(root, 'concern-kind', HTMLSelectElement),
      item: byTestId(root, 'concern-agenda-item', HTMLSelectElement),
      text: byTestId(root, 'concern-text', HTMLTextAreaElement),
      submit: byTestId(root, 'concern-submit', HTMLButtonElement),
      empty: byTestId(root, 'concerns-empty', HTMLElement),
      list: byTestId(root, 'concern-list', HTMLOListElement),
    };
    this.alert = new Alert(byTestId(root, 'concerns-error', HTMLElement));
    /** @type {Concern[]} */
    this.concerns = [];
    /** @type {AgendaItem[]} */
    this.agenda = [];
    /** @type {UnitChoice[]} */
    this.units = [];
    // The units raise concerns; the host answers them.
    this.ui.form.hidden = ctx.isHost;
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.submit, () => this.#raise());
    });
  }

  async load() {
    try {
      const [concerns, agenda, units] = await Promise.all([
        this.ctx.api.concerns(),
        this.ctx.agenda(),
        this.ctx.isHost ? this.ctx.units() : Promise.resolve([]),
      ]);
      this.concerns = concerns;
      this.agenda = agenda;
      this.units = units;
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    fillAgendaSelect(this.ui.item, this.agenda);
    this.ui.empty.hidden = this.concerns.length > 0;
    this.ui.list.replaceChildren(...this.concerns.map((c) => this.#item(c)));
    this.alert.render();
  }

  async #raise() {
    const text = this.ui.text.value.trim();
    this.ui.text.removeAttribute('aria-invalid');
    if (text === '') {
      this.ui.text.setAttribute('aria-invalid', 'true');
      this.alert.say('dossier.concerns.validate.text');
      this.ui.text.focus();
      return;
    }
    /** @type {{kind: ConcernKind, text: string, agenda_item_id?: number}} */
    const concern = { kind: this.ui.kind.value === 'proposal' ? 'proposal' : 'concern', text };
    if (this.ui.item.value !== '') concern.agenda_item_id = Number(this.ui.item.value);
    try {
      await this.ctx.api.raiseConcern(concern);
      this.ui.text.value = '';
      this.alert.clear();
      this.ctx.notify('dossier.concerns.sent');
      await this.load();
    } catch (err) {
      this.alert.show(err);
    }
  }

  /** @param {Concern} c */
  #item(c) {
    const head = el('div', { className: 'item__head' }, [
      el('span', { className: `kind-badge kind-badge--${c.kind}`, text: t(c.kind === 'proposal' ? 'dossier.concerns.kind.proposal' : 'dossier.concerns.kind.concern') }),
      el('strong', { text: c.point }),
      el('span', { className: 'muted', text: formatWhen(c.raised_at) }),
    ]);
    const item = agendaTitle(this.agenda, c.agenda_item_id);
    if (item) head.append(el('span', { className: 'muted', text: t('dossier.concerns.onItem', { item }) }));
    if (c.task_id !== null) head.append(el('span', { className: 'status-badge', testid: 'concern-tasked', data: { status: 'tasked' }, text: t('dossier.concerns.tasked') }));

    const li = el('li', { className: 'item', testid: 'concern', data: { concernId: String(c.id), kind: c.kind, answered: String(c.answer !== null) } }, [
      head,
      el('p', { className: 'item__text', text: c.text }),
    ]);
    if (c.answer !== null) {
      li.append(
        el('div', { className: 'item__answer', testid: 'concern-answer' }, [
          el('span', { className: 'item__answer-label', text: t('dossier.concerns.answer', { time: formatWhen(c.answered_at) }) }),
          el('p', { text: c.answer }),
        ]),
      );
    }
    if (this.ctx.isHost) {
      li.append(this.#answerForm(c));
      if (c.task_id === null) li.append(this.#taskForm(c));
    }
    return li;
  }

  /** @param {Concern} c */
  #answerForm(c) {
    const text = el('textarea', { testid: 'concern-answer-text', attrs: { rows: '3', maxlength: '4000' } });
    text.value = c.answer ?? '';
    const submit = el('button', { className: 'btn btn--primary btn--small', testid: 'concern-answer-submit', text: t('dossier.concerns.answer.submit') });
    submit.type = 'submit';
    const alert = inlineAlert('concern-answer-error');
    const form = el('form', { className: 'dossier-form' }, [
      field(t('dossier.concerns.answer.label'), text),
      alert.box,
      el('div', { className: 'form__actions' }, [submit]),
    ]);
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(submit, async () => {
        try {
          await this.ctx.api.answerConcern(c.id, text.value.trim());
          this.ctx.notify('dossier.concerns.answered');
          await this.load();
        } catch (err) {
          alert.show(err);
        }
      });
    });
    return el('details', { className: 'item__tool' }, [
      el('summary', { text: t(c.answer === null ? 'dossier.concerns.answer.open' : 'dossier.concerns.answer.edit') }),
      form,
    ]);
  }

  /** @param {Concern} c */
  #taskForm(c) {
    const text = el('textarea', { testid: 'concern-task-text', attrs: { rows: '2', maxlength: '2000' } });
    text.value = c.text;
    const owners = new OwnersPicker(this.units, c.unit_code ? [c.unit_code] : []);
    const deadline = el('input', { testid: 'concern-task-deadline', attrs: { type: 'date', min: vietnamDate() } });
    deadline.value = vietnamDate(7);
    const submit = el('button', { className: 'btn btn--primary btn--small', testid: 'concern-task-submit', text: t('dossier.concerns.toTask.submit') });
    submit.type = 'submit';
    const deadlineField = field(t('dossier.tasks.deadline'), deadline);
    deadlineField.classList.add('field--narrow');
    const alert = inlineAlert('concern-task-error');
    const form = el('form', { className: 'dossier-form' }, [
      field(t('dossier.tasks.text'), text),
      owners.element,
      deadlineField,
      alert.box,
      el('div', { className: 'form__actions' }, [submit]),
    ]);
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(submit, async () => {
        if (!owners.valid()) {
          alert.say('dossier.owners.lead.required');
          return;
        }
        const lead = owners.lead();
        /** @type {{text?: string, owners: string[], lead?: string, deadline: string}} */
        const task = { owners: owners.codes(), deadline: deadline.value };
        if (lead !== null) task.lead = lead;
        if (text.value.trim() !== '' && text.value.trim() !== c.text) task.text = text.value.trim();
        try {
          await this.ctx.api.concernToTask(c.id, task);
          this.ctx.notify('dossier.concerns.tasked.done');
          await this.load();
        } catch (err) {
          alert.show(err);
        }
      });
    });
    return el('details', { className: 'item__tool' }, [el('summary', { text: t('dossier.concerns.toTask') }), form]);
  }
}
