// The details the host writes on the minutes: document number, place, chair and secretary.
// Loaded into the form when the tab opens (unless the host is editing it) and saved all at
// once; a blank field clears that detail. The server's 422 names the field it refused, which
// is marked.

import { t } from '../i18n.js';
import { problemPath } from '../problem.js';
import { Alert, busy, byTestId } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').MinutesDetails} MinutesDetails */

/** The fields, by their name in the API. */
const FIELDS = /** @type {const} */ (['number', 'place', 'chair', 'secretary']);

/** @implements {Part} */
export class MinutesDetailsPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the details section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      form: byTestId(root, 'minutes-details-form', HTMLFormElement),
      save: byTestId(root, 'minutes-details-save', HTMLButtonElement),
      status: byTestId(root, 'minutes-details-status', HTMLElement),
      inputs: {
        number: byTestId(root, 'minutes-number', HTMLInputElement),
        place: byTestId(root, 'minutes-place', HTMLInputElement),
        chair: byTestId(root, 'minutes-chair', HTMLInputElement),
        secretary: byTestId(root, 'minutes-secretary', HTMLInputElement),
      },
    };
    this.alert = new Alert(byTestId(root, 'minutes-details-error', HTMLElement));
    /** Whether the form holds edits not yet saved: a reload then leaves it alone. */
    this.dirty = false;
    /** Whether the last save went through (the status line says so). */
    this.saved = false;

    this.ui.form.addEventListener('input', () => {
      this.dirty = true;
      this.saved = false;
      this.render();
    });
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(this.ui.save, () => this.#save());
    });
  }

  async load() {
    try {
      const details = await this.ctx.api.minutesDetails();
      if (!this.dirty) this.#fill(details);
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    this.alert.render();
    this.ui.status.hidden = !this.saved;
    this.ui.status.textContent = this.saved ? t('dossier.minutes.details.saved') : '';
  }

  async #save() {
    for (const field of FIELDS) this.ui.inputs[field].removeAttribute('aria-invalid');
    const { number, place, chair, secretary } = this.ui.inputs;
    try {
      const details = await this.ctx.api.setMinutesDetails({
        number: number.value,
        place: place.value,
        chair: chair.value,
        secretary: secretary.value,
      });
      this.#fill(details);
      this.dirty = false;
      this.saved = true;
      this.alert.clear();
    } catch (err) {
      this.saved = false;
      this.alert.show(err);
      const [named] = problemPath(err);
      const field = FIELDS.find((f) => f === named);
      if (field) {
        this.ui.inputs[field].setAttribute('aria-invalid', 'true');
        this.ui.inputs[field].focus();
      }
    }
    this.render();
  }

  /** @param {MinutesDetails} details */
  #fill(details) {
    for (const field of FIELDS) this.ui.inputs[field].value = details[field] ?? '';
  }
}
