// How many thumbnails the grid shows and how they are arranged in the space it has, so that the
// room fits one screen without scrolling. The arithmetic is pure (checked by Node's test
// runner); GridFitter applies it to the grid element as the window changes size.

/** The page sizes the host can choose (thumbnails per grid page). */
export const GRID_SIZES = [4, 9, 16, 25];
/** Below this width (px) a thumbnail's name and state no longer read: fewer go on a page. */
export const MIN_TILE_WIDTH = 150;
/** Thumbnails are 16:9. */
const ASPECT = 16 / 9;

/**
 * @typedef {object} Area
 * @property {number} width px
 * @property {number} height px
 * @property {number} gap px between tiles
 */

/**
 * @typedef {object} Arrangement
 * @property {number} columns
 * @property {number} rows
 * @property {number} tileWidth px, 16:9
 */

/**
 * The columns and rows that show `count` 16:9 tiles as large as `area` allows.
 * @param {Area} area
 * @param {number} count at least 1
 * @returns {Arrangement}
 */
export function arrangeGrid(area, count) {
  const n = Math.max(1, Math.floor(count));
  /** @type {Arrangement} */
  let best = { columns: n, rows: 1, tileWidth: 0 };
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const byWidth = (area.width - area.gap * (columns - 1)) / columns;
    const byHeight = ((area.height - area.gap * (rows - 1)) / rows) * ASPECT;
    const tileWidth = Math.max(0, Math.floor(Math.min(byWidth, byHeight)));
    if (tileWidth > best.tileWidth) best = { columns, rows, tileWidth };
  }
  return best;
}

/**
 * The most tiles, up to `limit`, that `area` shows at least `minTileWidth` wide; at least 1.
 * @param {Area} area
 * @param {number} limit
 * @param {number} [minTileWidth]
 */
export function gridCapacity(area, limit, minTileWidth = MIN_TILE_WIDTH) {
  for (let n = Math.max(1, Math.floor(limit)); n > 1; n--) {
    if (arrangeGrid(area, n).tileWidth >= minTileWidth) return n;
  }
  return 1;
}

/**
 * The page sizes offered to the host: those of GRID_SIZES within the page slots asked for at
 * join (the server gives no more); the slots themselves when they are fewer than the smallest.
 * @param {number} slots
 * @returns {number[]}
 */
export function gridSizeChoices(slots) {
  const within = GRID_SIZES.filter((n) => n <= slots);
  return within.length > 0 ? within : [Math.max(1, slots)];
}

/**
 * Thumbnails per page: what was chosen, within the page slots and what the space shows.
 * @param {{chosen: number, slots: number, capacity: number}} limits
 */
export function pageSizeFor({ chosen, slots, capacity }) {
  return Math.max(1, Math.min(chosen, slots, capacity));
}

/**
 * Watches the grid's box: tells how many thumbnails fit when that changes, and sizes the tiles
 * of the page shown (CSS variables `--grid-columns` and `--tile-width` on the grid).
 */
export class GridFitter {
  /**
   * @param {HTMLElement} box the element whose size the grid may use
   * @param {HTMLElement} grid the element holding the tiles
   * @param {() => void} onResize called (at most once a frame) when the box changed size
   */
  constructor(box, grid, onResize) {
    this.box = box;
    this.grid = grid;
    /** @type {Area} */
    this.area = { width: 0, height: 0, gap: 8 };
    this.frame = 0;
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        if (this.frame) return;
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          if (this.measure()) onResize();
        });
      }).observe(box);
    }
    this.measure();
  }

  /** Reads the box's size; returns whether it changed. */
  measure() {
    const style = getComputedStyle(this.grid);
    const gap = parseFloat(style.columnGap) || 8;
    const width = Math.floor(this.box.clientWidth);
    const height = Math.floor(this.box.clientHeight);
    const changed = width !== this.area.width || height !== this.area.height || gap !== this.area.gap;
    this.area = { width, height, gap };
    return changed;
  }

  /**
   * How many thumbnails fit, up to `limit`. Without a measured box (hidden), `limit`.
   * @param {number} limit
   */
  capacity(limit) {
    if (this.area.width <= 0 || this.area.height <= 0) return limit;
    return gridCapacity(this.area, limit);
  }

  /**
   * Sizes the tiles for `count` thumbnails on the page shown.
   * @param {number} count
   */
  arrange(count) {
    if (this.area.width <= 0 || this.area.height <= 0 || count <= 0) {
      this.grid.style.removeProperty('--grid-columns');
      this.grid.style.removeProperty('--tile-width');
      return;
    }
    const { columns, tileWidth } = arrangeGrid(this.area, count);
    this.grid.style.setProperty('--grid-columns', String(columns));
    this.grid.style.setProperty('--tile-width', `${tileWidth}px`);
  }
}
