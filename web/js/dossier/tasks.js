// Tasks: this briefing's, then those carried over from earlier briefings of the series
// ("từ kỳ trước"). Everyone reads them; the host creates tasks and sets their status; a point
// of an owner unit (and the host) reports progress and attaches documents.

import { t } from '../i18n.js';
import { Alert, busy, byTestId, el, field, formatDate, formatSize, formatWhen, inlineAlert, vietnamDate } from './common.js';
import { MAX_DOCUMENT_BYTES, downloadButton } from './documents.js';
import { OwnersPicker } from './owners.js';
import { dateField, dayFromIso, parseDay } from '../date-field.js';
import { problemPath } from '../problem.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('./common.js').UnitChoice} UnitChoice */
/** @typedef {import('../dossier-api.js').Task} Task */
/** @typedef {import('../dossier-api.js').TaskStatus} TaskStatus */
/** @typedef {import('../dossier-api.js').ProgressStatus} ProgressStatus */
/** @typedef {import('../i18n.js').MessageKey} MessageKey */

/** @type {Record<TaskStatus, MessageKey>} */
const STATUS_TEXT = {
  open: 'dossier.task.open',
  in_progress: 'dossier.task.inProgress',
  done: 'dossier.task.done',
  overdue: 'dossier.task.overdue',
};
/** @type {ProgressStatus[]} */
const SETTABLE = ['open', 'in_progress', 'done'];

/** @implements {Part} */
export class TasksPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the tasks section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      refresh: byTestId(root, 'tasks-refresh', HTMLButtonElement),
      newTask: byTestId(root, 'task-new', HTMLDetailsElement),
      form: byTestId(root, 'task-form', HTMLFormElement),
      text: byTestId(root, 'task-text', HTMLTextAreaElement),
      owners: byTestId(root, 'task-owners', HTMLElement),
      deadline: byTestId(root, 'task-deadline', HTMLInputElement),
      create: byTestId(root, 'task-create', HTMLButtonElement),
      empty: byTestId(root, 'tasks-empty', HTMLElement),
      list: byTestId(root, 'task-list', HTMLOListElement),
    };
    this.alert = new Alert(byTestId(root, 'tasks-error', HTMLElement));
    /** @type {Task[]} */
    this.tasks = [];
    /** @type {UnitChoice[]} */
    this.units = [];
    /** @type {OwnersPicker} */
    this.picker = new OwnersPicker([]);
    this.ui.newTask.hidden = !ctx.isHost;
    dateField(this.ui.deadline);
    this.ui.deadline.value = dayFromIso(vietnamDate(7));
    this.ui.refresh.addEventListener('click', () => void busy(this.ui.refresh, () => this.load()));
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.create, () => this.#create());
    });
  }

  async load() {
    try {
      const [tasks, units] = await Promise.all([this.ctx.api.tasks(), this.ctx.isHost ? this.ctx.units() : Promise.resolve([])]);
      this.tasks = tasks;
      if (this.ctx.isHost && (this.units.length !== units.length || this.ui.owners.childElementCount === 0)) {
        this.units = units;
        this.picker = new OwnersPicker(units);
        this.ui.owners.replaceChildren(this.picker.element);
      }
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    this.ui.empty.hidden = this.tasks.length > 0;
    this.ui.list.replaceChildren(...this.tasks.map((task) => this.#item(task)));
    this.alert.render();
  }

  async #create() {
    const text = this.ui.text.value.trim();
    this.ui.text.removeAttribute('aria-invalid');
    if (text === '') {
      this.ui.text.setAttribute('aria-invalid', 'true');
      this.alert.say('dossier.tasks.validate.text');
      this.ui.text.focus();
      return;
    }
    if (!this.picker.valid()) {
      this.alert.say('dossier.owners.lead.required');
      return;
    }
    const lead = this.picker.lead();
    this.ui.deadline.removeAttribute('aria-invalid');
    try {
      await this.ctx.api.createTask({ text, owners: this.picker.codes(), ...(lead === null ? {} : { lead }), deadline: typedDay(this.ui.deadline) });
      this.ui.text.value = '';
      this.picker = new OwnersPicker(this.units);
      this.ui.owners.replaceChildren(this.picker.element);
      this.alert.clear();
      this.ctx.notify('dossier.tasks.created');
      await this.load();
    } catch (err) {
      this.alert.show(err);
      if (problemPath(err)[0] === 'deadline') {
        this.ui.deadline.setAttribute('aria-invalid', 'true');
        this.ui.deadline.focus();
      }
    }
  }

  /** @param {Task} task */
  #item(task) {
    const head = el('div', { className: 'item__head' }, [
      el('span', { className: 'status-badge', testid: 'task-status', data: { status: task.status }, text: t(STATUS_TEXT[task.status] ?? 'dossier.task.open') }),
    ]);
    if (task.carried_over) {
      head.append(el('span', { className: 'carried-badge', testid: 'task-carried', text: t('dossier.task.carried', { title: task.briefing_title }) }));
    }
    head.append(el('span', { className: 'muted', testid: 'task-deadline', text: t('dossier.task.deadline', { date: formatDate(task.deadline) }) }));
    if (task.done_at) head.append(el('span', { className: 'muted', text: t('dossier.task.doneAt', { time: formatWhen(task.done_at) }) }));

    const name = (/** @type {{code: string, name: string}} */ o) => `${o.name} (${o.code})`;
    // The lead unit is flagged; tasks stored before it was, lead with their first owner.
    const lead = task.owners.find((o) => o.lead) ?? task.owners[0];
    const assist = task.owners.filter((o) => o !== lead);
    const owners = el('p', { className: 'muted', testid: 'task-owners' }, [
      el('span', { testid: 'task-lead', text: t('dossier.task.lead', { unit: lead ? name(lead) : '—' }) }),
    ]);
    if (assist.length > 0) {
      owners.append('; ', el('span', { testid: 'task-assist', text: t('dossier.task.assist', { units: assist.map(name).join(', ') }) }));
    }
    const li = el('li', { className: 'item', testid: 'task', data: { taskId: String(task.id), status: task.status, carriedOver: String(task.carried_over) } }, [
      head,
      el('p', { className: 'item__text', text: task.text }),
      owners,
    ]);

    if (task.progress.length > 0) {
      li.append(
        el('ol', { className: 'progress-list', testid: 'task-progress' },
          task.progress.map((p) =>
            el('li', {}, [
              el('span', { className: 'muted', text: `${formatWhen(p.created_at)} · ${p.point ?? t('dossier.documents.organiser')}: ` }),
              el('strong', { text: t(STATUS_TEXT[p.status] ?? 'dossier.task.open') }),
              ...(p.note ? [` — ${p.note}`] : []),
            ]),
          ),
        ),
      );
    }
    if (task.documents.length > 0) {
      const alert = inlineAlert('task-document-error');
      li.append(
        el('div', { className: 'task__documents' }, [
          el('span', { className: 'muted', text: t('dossier.task.documents') }),
          ...task.documents.map((doc) => downloadButton(this.ctx, doc, alert)),
        ]),
        alert.box,
      );
    }

    const unit = this.ctx.session.point.unit_code;
    const owner = unit !== null && task.owners.some((o) => o.code === unit);
    if (this.ctx.isHost) li.append(this.#statusForm(task));
    if (this.ctx.isHost || owner) li.append(this.#progressForm(task));
    return li;
  }

  /**
   * The host sets the status directly.
   * @param {Task} task
   */
  #statusForm(task) {
    const select = statusSelect('task-status-select', task.status === 'overdue' ? 'open' : task.status);
    const save = el('button', { className: 'btn btn--secondary btn--small', testid: 'task-status-save', text: t('dossier.task.setStatus') });
    save.type = 'submit';
    const alert = inlineAlert('task-status-error');
    const form = el('form', { className: 'task__row' }, [field(t('dossier.task.status'), select), save, alert.box]);
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(save, async () => {
        try {
          await this.ctx.api.patchTask(task.id, { status: /** @type {ProgressStatus} */ (select.value) });
          this.ctx.notify('dossier.task.statusSaved');
          await this.load();
        } catch (err) {
          alert.show(err);
        }
      });
    });
    return form;
  }

  /**
   * Progress with a note, and a document attached to the task.
   * @param {Task} task
   */
  #progressForm(task) {
    const select = statusSelect('task-progress-status', task.status === 'open' || task.status === 'overdue' ? 'in_progress' : task.status);
    const note = el('input', { testid: 'task-progress-note', attrs: { type: 'text', maxlength: '2000', autocomplete: 'off' } });
    const send = el('button', { className: 'btn btn--primary btn--small', testid: 'task-progress-submit', text: t('dossier.task.progress.submit') });
    send.type = 'submit';
    const file = el('input', { testid: 'task-attach-file', attrs: { type: 'file', accept: '.pdf,.docx,.xlsx,.pptx,.doc,.xls,.ppt,.odt,.ods,.odp' } });
    const attach = el('button', { className: 'btn btn--secondary btn--small', testid: 'task-attach', text: t('dossier.task.attach') });
    attach.type = 'button';
    const alert = inlineAlert('task-progress-error');

    const form = el('form', { className: 'task__progress' }, [
      el('div', { className: 'task__row' }, [field(t('dossier.task.progress.status'), select), field(t('dossier.task.progress.note'), note), send]),
      el('div', { className: 'task__row' }, [field(t('dossier.task.attach.file'), file), attach]),
      alert.box,
    ]);
    form.noValidate = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(send, async () => {
        try {
          await this.ctx.api.reportProgress(task.id, { status: /** @type {ProgressStatus} */ (select.value), note: note.value.trim() });
          this.ctx.notify('dossier.task.progress.sent');
          await this.load();
        } catch (err) {
          alert.show(err);
        }
      });
    });
    attach.addEventListener('click', () =>
      void busy(attach, async () => {
        const chosen = file.files?.[0];
        if (!chosen) {
          alert.say('dossier.documents.noFile');
          return;
        }
        if (chosen.size > MAX_DOCUMENT_BYTES) {
          alert.say('dossier.documents.tooLarge', { size: formatSize(chosen.size) });
          return;
        }
        try {
          await this.ctx.api.upload(chosen, { taskId: task.id });
          this.ctx.notify('dossier.documents.uploaded', { name: chosen.name });
          await this.load();
        } catch (err) {
          alert.show(err);
        }
      }),
    );
    return el('details', { className: 'item__tool', testid: 'task-progress-tool' }, [el('summary', { text: t('dossier.task.progress') }), form]);
  }
}

/**
 * @param {string} testid
 * @param {ProgressStatus} value
 * @returns {HTMLSelectElement}
 */
function statusSelect(testid, value) {
  const select = el('select', { testid });
  select.append(
    ...SETTABLE.map((status) => {
      const option = el('option', { text: t(STATUS_TEXT[status]) });
      option.value = status;
      return option;
    }),
  );
  select.value = value;
  return select;
}

/**
 * The deadline as typed, written in full when it is a date: the server reads `dd/mm/yyyy`.
 * @param {HTMLInputElement} input
 * @returns {string}
 */
function typedDay(input) {
  const text = input.value.trim();
  return parseDay(text) ?? text;
}
