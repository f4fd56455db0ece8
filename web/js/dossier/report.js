// The caller's own report: a narrative and indicator rows (name, measure, value, plan) with the
// percentage of plan worked out as people type. The host's indicator set for the period comes
// first, its names and the unit's plans filled in; the unit may add indicators of its own.
// Numbers are sent as typed ("1130,5"): the server reads them and names the field it cannot read
// (`indicators.2.value`); the page says why in its own words and marks that input.

import { t } from '../i18n.js';
import { problemPath } from '../problem.js';
import { Alert, busy, button, byTestId, el, formatPercent, formatWhen, numberForInput, parseNumber, percentOfPlan } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').Report} Report */
/** @typedef {import('../dossier-api.js').IndicatorDefinition} IndicatorDefinition */
/** @typedef {{name: string, measure: string, value: number | null, plan: number | null}} RowValues */

/**
 * One indicator row of the form.
 * @typedef {object} Row
 * @property {HTMLTableRowElement} tr
 * @property {HTMLInputElement} name
 * @property {HTMLInputElement} measure
 * @property {HTMLInputElement} value
 * @property {HTMLInputElement} plan
 * @property {HTMLElement} percent
 * @property {HTMLButtonElement} remove
 * @property {boolean} defined one of the host's set: sent only with a value
 */

/** Most indicators the server takes. */
const MAX_INDICATORS = 50;

/** @implements {Part} */
export class ReportPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the report section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      status: byTestId(root, 'report-status', HTMLElement),
      deadline: byTestId(root, 'report-deadline', HTMLElement),
      form: byTestId(root, 'report-form', HTMLFormElement),
      narrative: byTestId(root, 'report-narrative', HTMLTextAreaElement),
      rows: byTestId(root, 'report-indicators', HTMLTableSectionElement),
      add: byTestId(root, 'report-add-indicator', HTMLButtonElement),
      submit: byTestId(root, 'report-submit', HTMLButtonElement),
      saveDraft: byTestId(root, 'report-save-draft', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'report-error', HTMLElement));
    /** @type {Report | null} the report as the server has it */
    this.report = null;
    /** @type {Row[]} */
    this.rows = [];
    /** @type {IndicatorDefinition[]} the host's indicator set for the period */
    this.set = [];
    /** Whether the form holds edits not yet submitted: a reload then leaves it alone. */
    this.dirty = false;
    this.loaded = false;

    this.ui.form.addEventListener('input', () => { this.dirty = true; });
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.submit, () => this.#submit(false));
    });
    this.ui.saveDraft.addEventListener('click', () => void busy(this.ui.saveDraft, () => this.#submit(true)));
    this.ui.add.addEventListener('click', () => {
      const row = this.#addRow(null);
      this.dirty = true;
      this.#renderRows();
      row.name.focus();
    });
  }

  async load() {
    try {
      const [report, set] = await Promise.all([this.ctx.api.report(this.ctx.session.point.id), this.ctx.api.indicatorSet()]);
      this.report = report;
      this.set = set;
      if (!this.dirty) this.#fill(report);
      this.loaded = true;
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    const { session } = this.ctx;
    const deadline = formatWhen(session.briefing.report_deadline ?? session.briefing.scheduled_start);
    this.ui.deadline.textContent = deadline ? t('dossier.report.deadline', { time: deadline }) : '';
    const report = this.report;
    if (report?.draft) {
      this.ui.status.dataset.state = 'draft';
      this.ui.status.textContent = t('dossier.report.state.draft', { time: formatWhen(report.updated_at) });
    } else if (report) {
      this.ui.status.dataset.state = report.on_time ? 'on_time' : 'late';
      let text = t(report.on_time ? 'dossier.report.state.onTime' : 'dossier.report.state.late', { time: formatWhen(report.submitted_at) });
      if (report.updated_at && report.updated_at !== report.submitted_at) {
        text += ` ${t('dossier.report.state.updated', { time: formatWhen(report.updated_at) })}`;
      }
      this.ui.status.textContent = text;
    } else {
      this.ui.status.dataset.state = 'none';
      this.ui.status.textContent = this.loaded ? t('dossier.report.state.none') : '';
    }
    const submitted = report !== null && !report.draft;
    this.ui.submit.textContent = t(submitted ? 'dossier.report.update' : 'dossier.report.submit');
    // A submitted report is changed by submitting it again, not by a draft.
    this.ui.saveDraft.hidden = submitted;
    this.#renderRows();
    this.alert.render();
  }

  /** @param {Report | null} report */
  #fill(report) {
    this.ui.narrative.value = report?.narrative ?? '';
    this.ui.rows.replaceChildren();
    this.rows = [];
    const key = (/** @type {string} */ name, /** @type {string} */ measure) => `${name.trim().toLowerCase()}\u0000${measure.trim().toLowerCase()}`;
    const given = new Map((report?.indicators ?? []).map((i) => [key(i.name, i.measure), i]));
    const unit = this.ctx.session.point.unit_code;
    for (const d of this.set) {
      const mine = given.get(key(d.name, d.measure));
      given.delete(key(d.name, d.measure));
      const plan = unit ? d.plans[unit] ?? null : null;
      this.#addRow({ name: d.name, measure: d.measure, value: mine?.value ?? null, plan: mine?.plan ?? plan }, plan !== null ? 'plan' : 'name');
    }
    for (const indicator of given.values()) this.#addRow(indicator);
    if (this.rows.length === 0) this.#addRow(null);
    this.dirty = false;
  }

  /**
   * @param {RowValues | null} indicator
   * @param {'name' | 'plan' | null} [fixed] for an indicator of the host's set, what the host
   *   fixed: its name and measure, and the unit's plan when it gave one
   * @returns {Row}
   */
  #addRow(indicator, fixed = null) {
    /**
     * @param {string} testid
     * @param {string} value
     * @param {Record<string, string>} attrs
     */
    const input = (testid, value, attrs) => {
      const i = el('input', { testid, attrs: { type: 'text', autocomplete: 'off', ...attrs } });
      i.value = value;
      return i;
    };
    const name = input('indicator-name', indicator?.name ?? '', { maxlength: '200' });
    const measure = input('indicator-measure', indicator?.measure ?? '', { maxlength: '40', class: 'input-measure' });
    const value = input('indicator-value', numberForInput(indicator?.value), { inputmode: 'decimal', class: 'input-number' });
    const plan = input('indicator-plan', numberForInput(indicator?.plan), { inputmode: 'decimal', class: 'input-number' });
    const percent = el('output', { className: 'num', testid: 'indicator-percent' });
    const remove = button(t('dossier.remove'), { className: 'btn btn--danger-outline btn--small', testid: 'indicator-remove' });
    const tr = el('tr', { testid: 'report-indicator' }, [
      el('td', {}, [name]),
      el('td', {}, [measure]),
      el('td', {}, [value]),
      el('td', {}, [plan]),
      el('td', { className: 'num' }, [percent]),
      el('td', {}, [remove]),
    ]);
    /** @type {Row} */
    const row = { tr, name, measure, value, plan, percent, remove, defined: fixed !== null };
    if (fixed !== null) {
      tr.dataset.defined = 'true';
      tr.title = t('dossier.report.defined');
      name.readOnly = true;
      measure.readOnly = true;
      plan.readOnly = fixed === 'plan';
      remove.hidden = true;
    }
    for (const box of [value, plan]) box.addEventListener('input', () => this.#renderPercent(row));
    for (const box of [name, measure, value, plan]) box.addEventListener('input', () => box.removeAttribute('aria-invalid'));
    remove.addEventListener('click', () => {
      this.rows = this.rows.filter((r) => r !== row);
      tr.remove();
      this.dirty = true;
      if (this.rows.length === 0) this.#addRow(null);
      this.#renderRows();
    });
    this.rows.push(row);
    this.ui.rows.append(tr);
    return row;
  }

  #renderRows() {
    this.rows.forEach((row, index) => {
      const n = index + 1;
      row.name.setAttribute('aria-label', t('dossier.report.name.label', { n }));
      row.name.placeholder = t('dossier.report.name.placeholder');
      row.measure.setAttribute('aria-label', t('dossier.report.measure.label', { n }));
      row.measure.placeholder = t('dossier.report.measure.placeholder');
      row.value.setAttribute('aria-label', t('dossier.report.value.label', { n }));
      row.plan.setAttribute('aria-label', t('dossier.report.plan.label', { n }));
      row.remove.textContent = t('dossier.remove');
      row.remove.setAttribute('aria-label', t('dossier.report.remove.label', { n }));
      this.#renderPercent(row);
    });
    this.ui.add.disabled = this.rows.length >= MAX_INDICATORS;
  }

  /** @param {Row} row */
  #renderPercent(row) {
    const percent = percentOfPlan(parseNumber(row.value.value), parseNumber(row.plan.value));
    row.percent.textContent = formatPercent(percent);
    row.percent.dataset.percent = percent === null ? '' : String(percent);
  }

  /** @param {boolean} asDraft save without submitting */
  async #submit(asDraft) {
    for (const row of this.rows) for (const box of [row.name, row.measure, row.value, row.plan]) box.removeAttribute('aria-invalid');
    this.ui.narrative.removeAttribute('aria-invalid');
    // An indicator of the host's set counts once the unit gives its value.
    const sent = this.rows.filter((row) =>
      row.defined ? row.value.value.trim() !== '' : [row.name, row.measure, row.value, row.plan].some((box) => box.value.trim() !== ''));
    if (!asDraft && sent.length === 0 && this.ui.narrative.value.trim() === '') {
      // An empty report is not a report: say so here, as the server would.
      this.ui.narrative.setAttribute('aria-invalid', 'true');
      this.alert.say('dossier.report.validate.empty');
      this.ui.narrative.focus();
      this.render();
      return;
    }
    /** @type {import('../dossier-api.js').ReportDraft} */
    const draft = {
      narrative: this.ui.narrative.value,
      indicators: sent.map((row) => {
        /** @type {{name: string, measure: string, value: string, plan?: string}} */
        const indicator = { name: row.name.value.trim(), measure: row.measure.value.trim(), value: row.value.value.trim() };
        if (row.plan.value.trim() !== '') indicator.plan = row.plan.value.trim();
        return indicator;
      }),
    };
    if (asDraft) draft.draft = true;
    try {
      const report = await this.ctx.api.submitReport(this.ctx.session.point.id, draft);
      this.report = report;
      this.#fill(report);
      this.alert.clear();
      this.ctx.notify(report.draft ? 'dossier.report.draftSaved' : report.on_time ? 'dossier.report.sent.onTime' : 'dossier.report.sent.late');
    } catch (err) {
      this.alert.show(err);
      markInvalid(err, sent, this.ui.narrative);
    }
    this.render();
  }
}

/**
 * Marks the field a 422 names by its path: `indicators.2.value` marks the value of the second
 * row sent, `narrative` the narrative.
 * @param {unknown} err
 * @param {Row[]} sent the rows in the order they were sent
 * @param {HTMLTextAreaElement} narrative
 */
function markInvalid(err, sent, narrative) {
  const [first, position, field] = problemPath(err);
  if (first === 'indicators' && typeof position === 'number') {
    const row = sent[position - 1];
    if (!row) return;
    const box = field === 'measure' || field === 'value' || field === 'plan' ? row[field] : row.name;
    box.setAttribute('aria-invalid', 'true');
    box.focus();
  } else if (first === 'narrative') {
    narrative.setAttribute('aria-invalid', 'true');
    narrative.focus();
  }
}
