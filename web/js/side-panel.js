// The room's side panel: finding a point in the roster, the host's dialog of trial run and
// attendance, and the bar's "Ý kiến" button that brings the comment field into view.

/**
 * A name as it is searched: lower case, without diacritics (đ as d), so that "cua lo" finds
 * "UBND phường Cửa Lò".
 * @param {string} text
 */
export function searchKey(text) {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .trim();
}

/** Filters the roster's lines (`li[data-name]`) by the text typed in its search box. */
export class RosterSearch {
  /**
   * @param {HTMLInputElement} input `[data-role=roster-search]`
   * @param {HTMLElement} list `[data-role=roster]`
   * @param {HTMLElement} none shown when nothing matches
   */
  constructor(input, list, none) {
    this.input = input;
    this.list = list;
    this.none = none;
    input.addEventListener('input', () => this.apply());
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && input.value !== '') {
        event.stopPropagation();
        input.value = '';
        this.apply();
      }
    });
  }

  /** Applies the filter to the lines now in the list (call after they are rendered). */
  apply() {
    const query = searchKey(this.input.value);
    let shown = 0;
    for (const li of this.list.children) {
      if (!(li instanceof HTMLElement)) continue;
      const match = query === '' || searchKey(li.dataset.name ?? '').includes(query);
      if (match) {
        shown += 1;
        delete li.dataset.filtered;
      } else {
        li.dataset.filtered = 'out';
      }
    }
    this.none.hidden = query === '' || shown > 0;
  }
}

/**
 * Wires the side panel's buttons that only show things.
 * @param {ParentNode} root
 */
export function wireSidePanel(root) {
  const tools = root.querySelector('[data-role=host-tools]');
  if (tools instanceof HTMLDialogElement) {
    root.querySelector('[data-action=host-tools]')?.addEventListener('click', () => tools.showModal());
    root.querySelector('[data-action=host-tools-close]')?.addEventListener('click', () => tools.close());
  }
  const input = root.querySelector('[data-role=comment-input]');
  root.querySelector('[data-action=toggle-comments]')?.addEventListener('click', () => {
    if (!(input instanceof HTMLElement)) return;
    input.scrollIntoView({ block: 'nearest' });
    input.focus();
  });
}
