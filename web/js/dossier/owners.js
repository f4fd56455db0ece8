// Choosing the owner units of a task: a checkbox per unit invited to the briefing, a field for
// the codes of other units (comma-separated), for units not invited this time, and the one
// lead unit ("chủ trì") among those chosen, picked explicitly; the others assist ("phối hợp").

import { t } from '../i18n.js';
import { el, uniqueId } from './common.js';

/** @typedef {import('./common.js').UnitChoice} UnitChoice */

export class OwnersPicker {
  /**
   * @param {UnitChoice[]} units
   * @param {string[]} [checked] codes ticked at first
   */
  constructor(units, checked = []) {
    /** @type {Map<string, string>} unit names by code */
    this.names = new Map(units.map((u) => [u.code, u.name]));
    /** @type {HTMLInputElement[]} */
    this.boxes = units.map((unit) => {
      const box = el('input', { testid: 'owner-checkbox', attrs: { type: 'checkbox' } });
      box.value = unit.code;
      box.checked = checked.includes(unit.code);
      box.addEventListener('change', () => this.#refreshLead());
      return box;
    });
    const choices = units.map((unit, i) =>
      el('label', { className: 'owners__choice' }, [this.boxes[i], ` ${unit.name} `, el('span', { className: 'muted', text: `(${unit.code})` })]),
    );
    this.other = el('input', { testid: 'owner-codes', attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false' } });
    this.other.id = uniqueId('owner-codes');
    this.other.placeholder = t('dossier.owners.other.placeholder');
    this.other.addEventListener('input', () => this.#refreshLead());
    const otherLabel = el('label', { text: units.length > 0 ? t('dossier.owners.other') : t('dossier.owners.codes') });
    otherLabel.htmlFor = this.other.id;

    this.leadSelect = el('select', { testid: 'owner-lead' });
    this.leadSelect.id = uniqueId('owner-lead');
    /** The lead the host picked; a unit alone is the lead without being picked. */
    this.picked = '';
    this.leadSelect.addEventListener('change', () => {
      this.picked = this.leadSelect.value;
      this.leadSelect.removeAttribute('aria-invalid');
    });
    const leadLabel = el('label', { text: t('dossier.owners.lead') });
    leadLabel.htmlFor = this.leadSelect.id;
    this.leadHint = el('p', { className: 'muted owners__hint', testid: 'owner-lead-hint' });

    this.element = el('fieldset', { className: 'owners', testid: 'owners' }, [
      el('legend', { text: t('dossier.owners') }),
      ...(choices.length > 0 ? [el('div', { className: 'owners__choices' }, choices)] : []),
      el('div', { className: 'field' }, [otherLabel, this.other]),
      el('div', { className: 'field field--narrow' }, [leadLabel, this.leadSelect]),
      this.leadHint,
    ]);
    this.#refreshLead();
  }

  /** @returns {string[]} the chosen codes, each once, the lead first, then in the order shown and typed */
  codes() {
    const chosen = this.#chosen();
    const lead = this.lead();
    return lead === null ? chosen : [lead, ...chosen.filter((c) => c !== lead)];
  }

  /** @returns {string | null} the lead unit's code, `null` until one is chosen */
  lead() {
    const value = this.leadSelect.value;
    return value !== '' && this.#chosen().includes(value) ? value : null;
  }

  /**
   * Whether the choice can be sent: with several owners, the lead is named. Marks the lead
   * field invalid otherwise.
   * @returns {boolean}
   */
  valid() {
    const ok = this.#chosen().length <= 1 || this.lead() !== null;
    this.leadSelect.setAttribute('aria-invalid', String(!ok));
    if (!ok) this.leadSelect.focus();
    return ok;
  }

  /** @returns {string[]} */
  #chosen() {
    const typed = this.other.value.split(/[,;\s]+/).map((c) => c.trim()).filter((c) => c !== '');
    const ticked = this.boxes.filter((b) => b.checked).map((b) => b.value);
    return [...new Set([...ticked, ...typed])];
  }

  /**
   * The lead's options follow the units chosen. One unit alone is the lead; of several, the
   * lead is the one the host picked, never one that was only alone first.
   */
  #refreshLead() {
    const chosen = this.#chosen();
    const placeholder = el('option', { text: t('dossier.owners.lead.choose') });
    placeholder.value = '';
    const options = chosen.map((code) => {
      const option = el('option', { text: this.names.has(code) ? `${this.names.get(code)} (${code})` : code });
      option.value = code;
      return option;
    });
    this.leadSelect.replaceChildren(placeholder, ...options);
    this.leadSelect.value = chosen.includes(this.picked) ? this.picked : chosen.length === 1 ? chosen[0] : '';
    this.leadSelect.disabled = chosen.length === 0;
    this.leadSelect.removeAttribute('aria-invalid');
    this.leadHint.textContent = chosen.length > 1 ? t('dossier.owners.lead.hint') : '';
    this.leadHint.hidden = chosen.length <= 1;
  }
}
