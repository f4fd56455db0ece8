// Choosing the owner units of a task: a checkbox per unit invited to the briefing, and a field
// for the codes of other units (comma-separated), for units not invited this time.

import { t } from '../i18n.js';
import { el, uniqueId } from './common.js';

/** @typedef {import('./common.js').UnitChoice} UnitChoice */

export class OwnersPicker {
  /**
   * @param {UnitChoice[]} units
   * @param {string[]} [checked] codes ticked at first
   */
  constructor(units, checked = []) {
    /** @type {HTMLInputElement[]} */
    this.boxes = units.map((unit) => {
      const box = el('input', { testid: 'owner-checkbox', attrs: { type: 'checkbox' } });
      box.value = unit.code;
      box.checked = checked.includes(unit.code);
      return box;
    });
    const choices = units.map((unit, i) =>
      el('label', { className: 'owners__choice' }, [this.boxes[i], ` ${unit.name} `, el('span', { className: 'muted', text: `(${unit.code})` })]),
    );
    this.other = el('input', { testid: 'owner-codes', attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false' } });
    this.other.id = uniqueId('owner-codes');
    this.other.placeholder = t('dossier.owners.other.placeholder');
    const otherLabel = el('label', { text: units.length > 0 ? t('dossier.owners.other') : t('dossier.owners.codes') });
    otherLabel.htmlFor = this.other.id;

    this.element = el('fieldset', { className: 'owners', testid: 'owners' }, [
      el('legend', { text: t('dossier.owners') }),
      ...(choices.length > 0 ? [el('div', { className: 'owners__choices' }, choices)] : []),
      el('div', { className: 'field' }, [otherLabel, this.other]),
    ]);
  }

  /** @returns {string[]} the chosen codes, each once, in the order shown then typed */
  codes() {
    const typed = this.other.value.split(/[,;\s]+/).map((c) => c.trim()).filter((c) => c !== '');
    const ticked = this.boxes.filter((b) => b.checked).map((b) => b.value);
    return [...new Set([...ticked, ...typed])];
  }
}
