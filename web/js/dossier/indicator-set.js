// The host's indicator set for the period: what every unit reports, its unit of measure,
// whether the province's figure is the sum or the mean of the units', and each unit's plan.
// The host starts from the previous briefing's set if it likes, edits the table and saves it
// in one PUT; the units' report forms list these indicators first.

import { t } from '../i18n.js';
import { Alert, busy, button, byTestId, el, numberForInput } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('./common.js').UnitChoice} UnitChoice */
/** @typedef {import('../dossier-api.js').IndicatorDefinition} IndicatorDefinition */

/**
 * @typedef {object} DefinitionRow
 * @property {HTMLTableRowElement} tr
 * @property {HTMLInputElement} name
 * @property {HTMLInputElement} measure
 * @property {HTMLSelectElement} aggregate
 * @property {Map<string, HTMLInputElement>} plans by unit code
 */

/** @implements {Part} */
export class IndicatorSetPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the indicator set section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      table: byTestId(root, 'indicator-set-table', HTMLTableElement),
      empty: byTestId(root, 'indicator-set-empty', HTMLElement),
      add: byTestId(root, 'indicator-set-add', HTMLButtonElement),
      copy: byTestId(root, 'indicator-set-copy', HTMLButtonElement),
      save: byTestId(root, 'indicator-set-save', HTMLButtonElement),
    };
    this.alert = new Alert(byTestId(root, 'indicator-set-error', HTMLElement));
    /** @type {UnitChoice[]} the units that report: the invited ones but the host */
    this.units = [];
    /** @type {DefinitionRow[]} */
    this.rows = [];
    /** Whether the table holds edits not yet saved: a reload then leaves it alone. */
    this.dirty = false;

    this.ui.table.addEventListener('input', () => { this.dirty = true; });
    this.ui.add.addEventListener('click', () => {
      const row = this.#addRow(null);
      this.dirty = true;
      this.render();
      row.name.focus();
    });
    this.ui.copy.addEventListener('click', () => void busy(this.ui.copy, () => this.#copyPrevious()));
    this.ui.save.addEventListener('click', () => void busy(this.ui.save, () => this.#save()));
  }

  async load() {
    try {
      const [set, units] = await Promise.all([this.ctx.api.indicatorSet(), this.ctx.units()]);
      const own = this.ctx.session.point.unit_code;
      this.units = units.filter((u) => u.code !== own);
      if (!this.dirty) this.#fill(set);
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    const head = this.ui.table.tHead ?? this.ui.table.createTHead();
    const cells = [t('dossier.indicatorSet.col.name'), t('dossier.indicatorSet.col.measure'), t('dossier.indicatorSet.col.aggregate')]
      .map((text) => el('th', { text, attrs: { scope: 'col' } }));
    for (const unit of this.units) {
      cells.push(el('th', { className: 'num', text: t('dossier.indicatorSet.col.plan', { unit: unit.name }), attrs: { scope: 'col' } }));
    }
    cells.push(el('th', { attrs: { scope: 'col' } }, [el('span', { className: 'sr-only', text: t('dossier.col.actions') })]));
    head.replaceChildren(el('tr', {}, cells));
    this.ui.table.hidden = this.rows.length === 0;
    this.ui.empty.hidden = this.rows.length > 0;
    this.rows.forEach((row, i) => {
      const n = i + 1;
      row.name.setAttribute('aria-label', t('dossier.indicatorSet.name.label', { n }));
      row.measure.setAttribute('aria-label', t('dossier.indicatorSet.measure.label', { n }));
      row.aggregate.setAttribute('aria-label', t('dossier.indicatorSet.aggregate.label', { n }));
    });
    this.alert.render();
  }

  /** @param {IndicatorDefinition[]} set */
  #fill(set) {
    this.ui.table.tBodies[0]?.replaceChildren();
    this.rows = [];
    for (const definition of set) this.#addRow(definition);
    this.dirty = false;
  }

  /**
   * @param {IndicatorDefinition | null} definition
   * @returns {DefinitionRow}
   */
  #addRow(definition) {
    const body = this.ui.table.tBodies[0] ?? this.ui.table.createTBody();
    const name = el('input', { testid: 'indicator-def-name', attrs: { type: 'text', maxlength: '200', autocomplete: 'off' } });
    name.value = definition?.name ?? '';
    const measure = el('input', { testid: 'indicator-def-measure', attrs: { type: 'text', maxlength: '40', autocomplete: 'off', class: 'input-measure' } });
    measure.value = definition?.measure ?? '';
    const aggregate = el('select', { testid: 'indicator-def-aggregate' }, [
      el('option', { text: t('dossier.indicatorSet.sum'), attrs: { value: 'sum' } }),
      el('option', { text: t('dossier.indicatorSet.mean'), attrs: { value: 'mean' } }),
    ]);
    aggregate.value = definition?.aggregate ?? 'sum';
    // A new rate is averaged unless the host says otherwise.
    measure.addEventListener('change', () => {
      if (!definition && measure.value.trim() === '%') aggregate.value = 'mean';
    });
    /** @type {Map<string, HTMLInputElement>} */
    const plans = new Map();
    const planCells = this.units.map((unit) => {
      const plan = el('input', { testid: 'indicator-def-plan', data: { unit: unit.code }, attrs: { type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'input-number' } });
      plan.value = numberForInput(definition?.plans?.[unit.code] ?? null);
      plan.setAttribute('aria-label', t('dossier.indicatorSet.plan.label', { unit: unit.name }));
      plans.set(unit.code, plan);
      return el('td', {}, [plan]);
    });
    const tr = el('tr', { testid: 'indicator-def' }, [el('td', {}, [name]), el('td', {}, [measure]), el('td', {}, [aggregate]), ...planCells]);
    /** @type {DefinitionRow} */
    const row = { tr, name, measure, aggregate, plans };
    const remove = button(t('dossier.remove'), { className: 'btn btn--danger-outline btn--small', testid: 'indicator-def-remove' }, () => {
      this.rows = this.rows.filter((r) => r !== row);
      tr.remove();
      this.dirty = true;
      this.render();
    });
    tr.append(el('td', {}, [remove]));
    this.rows.push(row);
    body.append(tr);
    return row;
  }

  async #copyPrevious() {
    try {
      const previous = await this.ctx.api.previousIndicatorSet();
      this.#fill(previous.indicators);
      // Copied, not saved yet: the host reviews the plans and saves.
      this.dirty = true;
      this.alert.clear();
      this.ctx.notify('dossier.indicatorSet.copied');
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  async #save() {
    for (const row of this.rows) row.name.removeAttribute('aria-invalid');
    const blank = this.rows.find((row) => row.name.value.trim() === '');
    if (blank) {
      blank.name.setAttribute('aria-invalid', 'true');
      blank.name.focus();
      this.alert.say('dossier.indicatorSet.validate.name');
      return;
    }
    const drafts = this.rows.map((row) => ({
      name: row.name.value.trim(),
      measure: row.measure.value.trim(),
      aggregate: row.aggregate.value === 'mean' ? /** @type {const} */ ('mean') : /** @type {const} */ ('sum'),
      plans: Object.fromEntries([...row.plans].map(([unit, input]) => [unit, input.value.trim()]).filter(([, plan]) => plan !== '')),
    }));
    try {
      const stored = await this.ctx.api.setIndicatorSet(drafts);
      this.#fill(stored);
      this.alert.clear();
      this.ctx.notify('dossier.indicatorSet.saved');
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }
}
