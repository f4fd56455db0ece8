// Receive slots: which point a slot's frames come from.
//
// The server negotiates a fixed set of receive slots once (docs/protocol.md, "Receive slots")
// and says in `slots` messages which point each one carries from a given RTP timestamp on. The
// message and the media travel separately: a frame is labelled from its own RTP timestamp,
// never from when the message arrived, so a name is never shown over another point's picture.

/** Feeds remembered per slot: enough for the frames still on their way. */
const HISTORY = 8;

/**
 * Whether RTP timestamp `ts` is at or after `since`, in 32-bit serial arithmetic (RFC 1982):
 * timestamps wrap around, and half the space ahead counts as "after".
 * @param {number} ts
 * @param {number} since
 */
export function atOrAfter(ts, since) {
  return ((ts - since) >>> 0) < 0x80000000;
}

/** What one slot carried, feed after feed. */
export class SlotTimeline {
  /** @type {{since: number | null, point: string | null}[]} oldest first */
  #feeds = [];

  /**
   * Takes a feed: from RTP timestamp `since` on, the slot carries `point` (null: nothing).
   * @param {number | null} since null when the slot never carried anything before
   * @param {string | null} point
   */
  push(since, point) {
    this.#feeds.push({ since, point });
    if (this.#feeds.length > HISTORY) this.#feeds.shift();
  }

  /** The point of the latest feed: what the slot carries now or is about to. */
  latest() {
    return this.#feeds.at(-1)?.point ?? null;
  }

  /**
   * The point a frame with RTP timestamp `ts` comes from: the latest feed that starts at or
   * before it. `undefined` when no feed covers it (a frame older than the history).
   * @param {number} ts
   * @returns {string | null | undefined}
   */
  pointAt(ts) {
    for (let i = this.#feeds.length - 1; i >= 0; i--) {
      const feed = this.#feeds[i];
      if (feed.since === null || atOrAfter(ts, feed.since)) return feed.point;
    }
    return undefined;
  }

  clear() {
    this.#feeds = [];
  }
}
