// Written comments ("ý kiến bằng văn bản") during the briefing: a point writes to the host
// (or to everybody when the host allows it); the host reads them all, answers, pins, and
// files one as a concern or proposal of the dossier. The server sends each comment new or
// changed (`comments`), and all of them on every (re)connection: the list is kept by id.

import { COMMENT_FILTERS, commentCounts, evictable, filterComments } from './comment-filter.js';
import { t, formatTime } from './i18n.js';
import { limits } from './limits.js';

/** @typedef {import('./comment-filter.js').CommentFilter} CommentFilter */

/** @typedef {import('./protocol.js').Comment} Comment */
/** @typedef {import('./protocol.js').Connection} Connection */
/** @typedef {import('./host-api.js').HostApi} HostApi */

/** Comments kept and shown at most (the server caps a briefing at a few thousand). */
const MAX_SHOWN = 500;

export class CommentsPanel {
  /** @type {Map<number, Comment>} */
  #comments = new Map();
  /** @type {number | null} the comment whose answer form is open */
  #answering = null;
  /** @type {CommentFilter} which comments the host's list shows */
  #filter = 'all';

  /**
   * @param {object} options
   * @param {HTMLElement} options.list `[data-role=comments]`
   * @param {HTMLTextAreaElement} options.input `[data-role=comment-input]`
   * @param {HTMLButtonElement} options.send `[data-action=send-comment]`
   * @param {HTMLInputElement | null} options.toAll `[data-role=comment-to-all]`
   * @param {HTMLElement | null} [options.filter] `[data-role=comment-filter]`: the host's
   *   choice of all comments, those not yet handled (neither answered nor filed), or the
   *   pinned ones
   * @param {() => Connection | null} options.connection
   * @param {() => HostApi | null} options.hostApi the host's API; null on a point's page
   * @param {(err: unknown) => void} options.onError
   * @param {(key: 'comments.filed') => void} options.notify
   */
  constructor({ list, input, send, toAll, filter = null, connection, hostApi, onError, notify }) {
    this.list = list;
    this.filter = filter;
    this.input = input;
    this.sendButton = send;
    this.toAll = toAll;
    this.connection = connection;
    this.hostApi = hostApi;
    this.onError = onError;
    this.notify = notify;
    send.addEventListener('click', () => this.send());
    filter?.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button[data-filter]') : null;
      const chosen = /** @type {CommentFilter | undefined} */ (button instanceof HTMLElement ? button.dataset.filter : undefined);
      if (!chosen || !COMMENT_FILTERS.includes(chosen) || chosen === this.#filter) return;
      this.#filter = chosen;
      this.#answering = null;
      this.rerender();
    });
    input.addEventListener('keydown', (event) => {
      // Enter sends; Shift+Enter starts a new line.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
  }

  /** Forgets every comment (a new join). */
  reset() {
    this.#comments.clear();
    this.#answering = null;
    this.render();
  }

  /** @param {Comment[]} comments new or changed */
  onComments(comments) {
    for (const c of comments) this.#comments.set(c.id, c);
    if (this.#comments.size > MAX_SHOWN) {
      for (const id of evictable(this.#comments.values(), this.#comments.size - MAX_SHOWN)) this.#comments.delete(id);
    }
    this.render();
  }

  /** Sends what the input holds; clears it once it went out. */
  send() {
    const conn = this.connection();
    const text = this.input.value.trim();
    if (!conn || !text) return;
    const max = limits.comment_chars || 2000;
    if (Array.from(text).length > max) {
      this.input.setCustomValidity(t('comments.tooLong', { max: String(max) }));
      this.input.reportValidity();
      return;
    }
    this.input.setCustomValidity('');
    const toAll = Boolean(this.hostApi() === null && this.toAll && !this.toAll.hidden && this.toAll.checked);
    if (conn.sendComment(text, toAll)) this.input.value = '';
  }

  /**
   * Shows the "to everybody" choice when the host allows it.
   * @param {boolean} allowed
   */
  setToAllAllowed(allowed) {
    // On the host's page the same box is the switch that allows it (app.js).
    if (!this.toAll || this.hostApi() !== null) return;
    const label = this.toAll.closest('label');
    const hidden = !allowed;
    this.toAll.hidden = hidden;
    if (label) label.hidden = hidden;
    if (hidden) this.toAll.checked = false;
  }

  /**
   * Renders again for a reason other than new comments (another filter, another language),
   * without a screen reader reading the whole list out as if it had just arrived.
   */
  rerender() {
    this.list.setAttribute('aria-live', 'off');
    this.render();
    setTimeout(() => this.list.setAttribute('aria-live', 'polite'), 0);
  }

  render() {
    const host = this.hostApi();
    // Points see what they may read, all of it; the host chooses.
    const filter = host ? this.#filter : 'all';
    const items = filterComments(this.#comments.values(), filter);
    this.list.replaceChildren(...items.map((c) => this.#item(c, host)));
    if (host && items.length === 0 && this.#comments.size > 0) {
      // The host chose a part that is empty: say so rather than show nothing.
      const none = document.createElement('li');
      none.className = 'comments__none muted';
      none.dataset.role = 'comments-none';
      none.textContent = t('comments.filter.none');
      this.list.append(none);
    }
    this.#renderFilter(host !== null);
  }

  /** @param {boolean} shown whether this page is the host's */
  #renderFilter(shown) {
    if (!this.filter) return;
    this.filter.hidden = !shown;
    if (!shown) return;
    const counts = commentCounts(this.#comments.values());
    for (const button of this.filter.querySelectorAll('button[data-filter]')) {
      const f = /** @type {CommentFilter} */ (/** @type {HTMLElement} */ (button).dataset.filter);
      if (!COMMENT_FILTERS.includes(f)) continue;
      button.textContent = t(`comments.filter.${f}`, { n: String(counts[f]) });
      button.setAttribute('aria-pressed', String(f === this.#filter));
    }
  }

  /**
   * @param {Comment} c
   * @param {HostApi | null} host
   */
  #item(c, host) {
    const li = document.createElement('li');
    li.className = 'comment';
    li.dataset.comment = String(c.id);
    li.dataset.point = c.point;
    li.classList.toggle('comment--pinned', c.pinned);
    const head = document.createElement('p');
    head.className = 'comment__head';
    const who = document.createElement('strong');
    who.textContent = c.point;
    const when = document.createElement('time');
    when.dateTime = c.at;
    when.textContent = formatTime(c.at);
    head.append(who, ' · ', when);
    if (c.to_all) head.append(' · ', t('comments.toAllBadge'));
    if (c.pinned) head.append(' · ', t('comments.pinnedBadge'));
    // Text content only: a comment is shown as typed, never as markup.
    const text = document.createElement('p');
    text.className = 'comment__text';
    text.textContent = c.text;
    li.append(head, text);
    if (c.answer) {
      const answer = document.createElement('p');
      answer.className = 'comment__answer';
      answer.textContent = t('comments.answer', { answer: c.answer });
      li.append(answer);
    }
    if (c.concern !== null) {
      const filed = document.createElement('p');
      filed.className = 'comment__filed muted';
      filed.textContent = t('comments.filedAs', { id: String(c.concern) });
      li.append(filed);
    }
    if (host) li.append(this.#hostActions(c, host));
    return li;
  }

  /**
   * @param {Comment} c
   * @param {HostApi} host
   */
  #hostActions(c, host) {
    const actions = document.createElement('div');
    actions.className = 'comment__actions';
    const button = (/** @type {string} */ action, /** @type {string} */ label, /** @type {() => Promise<unknown>} */ run) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn btn--ghost btn--small';
      b.dataset.action = action;
      b.textContent = label;
      b.addEventListener('click', () => {
        b.disabled = true;
        run()
          .catch(this.onError)
          .finally(() => {
            b.disabled = false;
          });
      });
      return b;
    };
    actions.append(
      button('answer-comment', t('comments.answerAction'), async () => {
        this.#answering = this.#answering === c.id ? null : c.id;
        this.render();
      }),
      button('pin-comment', c.pinned ? t('comments.unpin') : t('comments.pin'), () => host.pinComment(c.id, !c.pinned)),
    );
    if (c.concern === null) {
      actions.append(
        button('comment-to-concern', t('comments.toConcern'), async () => {
          await host.commentToConcern(c.id, 'concern');
          this.notify('comments.filed');
        }),
        button('comment-to-proposal', t('comments.toProposal'), async () => {
          await host.commentToConcern(c.id, 'proposal');
          this.notify('comments.filed');
        }),
      );
    }
    if (this.#answering === c.id) {
      const form = document.createElement('form');
      form.className = 'comment__answer-form';
      const input = document.createElement('input');
      input.type = 'text';
      input.maxLength = 2000;
      input.required = true;
      input.value = c.answer ?? '';
      input.dataset.role = 'comment-answer-input';
      input.setAttribute('aria-label', t('comments.answerLabel', { point: c.point }));
      const submit = document.createElement('button');
      submit.type = 'submit';
      submit.className = 'btn btn--primary btn--small';
      submit.textContent = t('comments.answerSend');
      form.append(input, submit);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        submit.disabled = true;
        host
          .answerComment(c.id, input.value)
          .then(() => {
            this.#answering = null;
            this.render();
          })
          .catch(this.onError)
          .finally(() => {
            submit.disabled = false;
          });
      });
      actions.append(form);
    }
    return actions;
  }
}
