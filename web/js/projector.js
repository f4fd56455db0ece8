// The projector view ("Chế độ trình chiếu"): the stage alone on the whole screen, for a meeting
// hall's projector, with the speaker's point and the floor's countdown over it. `body.projector`
// hides everything else (css/style.css); the browser's full screen is asked for as well, when
// the page may have it. The button, the F key (not while typing) and Esc switch it.

import { t } from './i18n.js';

/**
 * @param {EventTarget | null} target
 * @returns {boolean} whether keys pressed there are typing
 */
function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

export class Projector {
  /**
   * @param {object} options
   * @param {HTMLButtonElement} options.button `[data-action=projector]`
   * @param {HTMLElement} options.caption `[data-role=stage-caption]`
   * @param {HTMLElement} options.speaker `[data-role=stage-speaker]`
   * @param {HTMLElement} options.countdown `[data-role=stage-countdown]`
   * @param {() => boolean} options.allowed whether the view may be on now (in the room)
   */
  constructor({ button, caption, speaker, countdown, allowed }) {
    this.button = button;
    this.caption = caption;
    this.speaker = speaker;
    this.countdown = countdown;
    this.allowed = allowed;
    this.on = false;
    button.addEventListener('click', () => this.toggle());
    document.addEventListener('keydown', (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'Escape' && this.on) {
        this.set(false);
        return;
      }
      if ((event.key === 'f' || event.key === 'F') && !isTyping(event.target) && !document.querySelector('dialog[open]')) {
        event.preventDefault();
        this.toggle();
      }
    });
    // Esc in the browser's full screen leaves it without a key event reaching the page.
    document.addEventListener('fullscreenchange', () => {
      if (!document.fullscreenElement && this.on) this.set(false);
    });
    this.render();
  }

  toggle() {
    this.set(!this.on);
  }

  /** @param {boolean} on */
  set(on) {
    const next = on && this.allowed();
    if (next === this.on) return;
    this.on = next;
    document.body.classList.toggle('projector', next);
    if (next) {
      const root = document.documentElement;
      if (!document.fullscreenElement && typeof root.requestFullscreen === 'function') {
        root.requestFullscreen().catch(() => {
          // Refused (no user gesture, or a policy): the CSS view alone still fills the window.
        });
      }
    } else if (document.fullscreenElement && typeof document.exitFullscreen === 'function') {
      document.exitFullscreen().catch(() => {});
    }
    this.render();
  }

  /**
   * What the caption over the stage says.
   * @param {{point: string | null, presenting: boolean, chair: boolean, countdown: string | null, low: boolean}} now
   *   the point speaking (or shown, or whose screen is shown: `presenting`) and whether it is
   *   the chair; the floor's time left, if limited
   */
  update(now) {
    this.now = now;
    this.render();
  }

  render() {
    const label = this.on ? t('control.projector.exit') : t('control.projector');
    this.button.setAttribute('aria-pressed', String(this.on));
    const text = this.button.querySelector('[data-role=label]');
    if (text) text.textContent = label;
    this.button.title = t('control.projector.hint');
    const now = this.now;
    this.caption.hidden = !now || now.point === null;
    if (!now || now.point === null) return;
    let key = /** @type {'present.by' | 'projector.chair' | 'projector.speaker'} */ ('projector.speaker');
    if (now.presenting) key = 'present.by';
    else if (now.chair) key = 'projector.chair';
    this.speaker.textContent = t(key, { point: now.point });
    this.countdown.hidden = now.countdown === null;
    this.countdown.textContent = now.countdown ?? '';
    this.countdown.dataset.low = String(now.low);
  }
}
