// The host's dashboard of the unit reports: who submitted (on time, late), who has not, the
// indicators in a grid of units by indicators with the province's totals and percentage of
// plan (filtered by unit name), a bar chart of that percentage in inline SVG, and each point's
// report on demand.

import { t, formatNumber } from '../i18n.js';
import { Alert, busy, button, byTestId, el, formatPercent, formatValue, formatWhen } from './common.js';

/** @typedef {import('./common.js').Context} Context */
/** @typedef {import('./common.js').Part} Part */
/** @typedef {import('../dossier-api.js').Dashboard} Dashboard */
/** @typedef {import('../dossier-api.js').DashboardPoint} DashboardPoint */
/** @typedef {import('../dossier-api.js').DashboardIndicator} DashboardIndicator */
/** @typedef {import('../dossier-api.js').Report} Report */
/** @typedef {import('../dossier-api.js').ReportStatus} ReportStatus */
/** @typedef {import('../i18n.js').MessageKey} MessageKey */

/** @type {Record<ReportStatus, MessageKey>} */
const STATUS_TEXT = {
  on_time: 'dossier.status.onTime',
  late: 'dossier.status.late',
  missing: 'dossier.status.missing',
  pending: 'dossier.status.pending',
};

/** @implements {Part} */
export class DashboardPart {
  /**
   * @param {Context} ctx
   * @param {HTMLElement} root the dashboard section
   */
  constructor(ctx, root) {
    this.ctx = ctx;
    this.ui = {
      refresh: byTestId(root, 'dashboard-refresh', HTMLButtonElement),
      counts: byTestId(root, 'dashboard-counts', HTMLElement),
      late: byTestId(root, 'dashboard-late', HTMLUListElement),
      missing: byTestId(root, 'dashboard-missing', HTMLUListElement),
      points: byTestId(root, 'dashboard-points', HTMLTableElement),
      report: byTestId(root, 'dashboard-report', HTMLElement),
      hostReport: byTestId(root, 'dashboard-host-report', HTMLElement),
      indicatorsEmpty: byTestId(root, 'dashboard-indicators-empty', HTMLElement),
      indicators: byTestId(root, 'dashboard-indicators', HTMLTableElement),
      indicatorsWrap: byTestId(root, 'dashboard-indicators-wrap', HTMLElement),
      indicatorTools: byTestId(root, 'dashboard-indicator-tools', HTMLElement),
      filter: byTestId(root, 'dashboard-filter', HTMLInputElement),
      filterCount: byTestId(root, 'dashboard-filter-count', HTMLElement),
      chart: byTestId(root, 'dashboard-chart', HTMLElement),
    };
    this.alert = new Alert(byTestId(root, 'dashboard-error', HTMLElement));
    /** @type {Dashboard | null} */
    this.dashboard = null;
    /** @type {Report | null} the report opened below the table */
    this.open = null;
    this.ui.refresh.addEventListener('click', () => void busy(this.ui.refresh, () => this.load()));
    this.ui.filter.addEventListener('input', () => this.#applyFilter());
  }

  async load() {
    try {
      this.dashboard = await this.ctx.api.dashboard();
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.render();
  }

  render() {
    this.alert.render();
    const d = this.dashboard;
    if (!d) {
      this.ui.counts.textContent = '';
      return;
    }
    const deadline = formatWhen(d.report_deadline);
    this.ui.counts.textContent = [
      t('dossier.dashboard.counts', { submitted: formatNumber(d.submitted), expected: formatNumber(d.expected) }),
      deadline ? t('dossier.report.deadline', { time: deadline }) : '',
    ].filter((s) => s !== '').join(' · ');
    this.ui.counts.dataset.submitted = String(d.submitted);
    this.ui.counts.dataset.expected = String(d.expected);
    nameList(this.ui.late, d.late);
    nameList(this.ui.missing, d.missing);
    this.#renderPoints(d.points);
    this.#renderReport();
    this.#renderHostReport();
    this.#renderIndicators(d);
    this.#renderChart(d.indicators);
  }

  /** @param {DashboardPoint[]} points */
  #renderPoints(points) {
    const body = this.ui.points.tBodies[0];
    body.replaceChildren(
      ...points.map((p) => {
        const name = el('th', { text: p.point, attrs: { scope: 'row' } });
        if (p.unit_code) name.append(el('span', { className: 'muted', text: ` (${p.unit_code})` }));
        const actions = el('td');
        if (p.submitted_at) {
          const view = button(t('dossier.dashboard.view'), { testid: 'dashboard-view-report', label: t('dossier.dashboard.view.label', { point: p.point }) });
          view.addEventListener('click', () => void busy(view, () => this.#openReport(p)));
          actions.append(view);
        }
        return el('tr', { testid: 'dashboard-point', data: { point: p.point, status: p.status, ...(p.unit_code ? { unitCode: p.unit_code } : {}) } }, [
          name,
          el('td', {}, [el('span', { className: 'status-badge', testid: 'dashboard-status', text: t(STATUS_TEXT[p.status] ?? 'dossier.status.missing'), data: { status: p.status } })]),
          el('td', { text: formatWhen(p.submitted_at) }),
          actions,
        ]);
      }),
    );
  }

  /** @param {DashboardPoint} p */
  async #openReport(p) {
    try {
      this.open = await this.ctx.api.report(p.point_id);
      this.alert.clear();
    } catch (err) {
      this.alert.show(err);
    }
    this.#renderReport();
  }

  #renderReport() {
    const report = this.open;
    const box = this.ui.report;
    box.hidden = report === null;
    if (!report) {
      box.replaceChildren();
      return;
    }
    box.dataset.point = report.point;
    const close = button(t('dossier.close'), { testid: 'dashboard-report-close' }, () => {
      this.open = null;
      this.#renderReport();
    });
    box.replaceChildren(...reportView(report, t('dossier.dashboard.reportOf', { point: report.point }), close, this.#aggregates()));
  }

  /** @returns {Map<string, 'sum' | 'mean'>} how the dashboard combines each indicator */
  #aggregates() {
    return new Map((this.dashboard?.indicators ?? []).map((i) => [indicatorKey(i.name, i.measure), i.aggregate]));
  }

  /** The host's own report: the figures it presents, apart from the units' totals. */
  #renderHostReport() {
    const report = this.dashboard?.host_report ?? null;
    const box = this.ui.hostReport;
    box.hidden = report === null;
    box.replaceChildren(...(report ? reportView(report, t('dossier.dashboard.hostReport', { point: report.point }), null, this.#aggregates()) : []));
  }

  /**
   * The indicators as a grid: a row per invited unit (in the dashboard's order, those without a
   * report too), a column per indicator, and the province's figures at the foot. Rows grow with
   * the units invited and columns only with the indicators, so hundreds of communes stay
   * readable; the header and the unit column stay in view while the grid scrolls.
   *
   * @param {Dashboard} d
   */
  #renderIndicators(d) {
    const { indicators, points } = d;
    const table = this.ui.indicators;
    this.ui.indicatorsEmpty.hidden = indicators.length > 0;
    this.ui.indicatorsWrap.hidden = indicators.length === 0;
    this.ui.indicatorTools.hidden = indicators.length === 0;

    table.tHead?.replaceChildren(
      el('tr', {}, [
        el('th', { className: 'indicator-table__unit', text: t('dossier.dashboard.col.point'), attrs: { scope: 'col' } }),
        ...indicators.map((ind) =>
          el('th', { className: 'num', testid: 'dashboard-indicator', data: { indicator: ind.name, measure: ind.measure }, attrs: { scope: 'col' } }, [
            el('span', { className: 'indicator-table__name', text: ind.name }),
            ...(ind.measure ? [el('span', { className: 'cell-note', text: ind.measure })] : []),
          ]),
        ),
      ]),
    );

    // One lookup per indicator rather than a search per cell: points × indicators cells.
    const byPoint = indicators.map((ind) => new Map(ind.by_point.map((b) => [b.point, b])));
    table.tBodies[0].replaceChildren(
      ...points.map((p) =>
        el('tr', { testid: 'dashboard-unit', data: { point: p.point, status: p.status } }, [
          el('th', { className: 'indicator-table__unit', text: p.point, attrs: { scope: 'row' } }),
          ...indicators.map((ind, i) => {
            const cell = el('td', { className: 'num', data: { indicator: ind.name, measure: ind.measure } });
            const entry = byPoint[i].get(p.point);
            if (!entry) {
              cell.textContent = '—';
              cell.classList.add('muted');
              return cell;
            }
            cell.append(el('span', { text: formatValue(entry.value, ind.measure, ind.aggregate) }));
            if (entry.plan !== null) {
              cell.append(el('span', { className: 'cell-note', text: t('dossier.dashboard.planNote', { plan: formatValue(entry.plan, ind.measure, ind.aggregate), percent: formatPercent(entry.percent_of_plan) }) }));
            }
            return cell;
          }),
        ]),
      ),
    );

    /**
     * A row of the foot: its label, then one cell per indicator.
     * @param {string} label
     * @param {string} className
     * @param {(ind: DashboardIndicator) => HTMLTableCellElement} cell
     */
    const footRow = (label, className, cell) =>
      el('tr', { className }, [el('th', { className: 'indicator-table__unit', text: label, attrs: { scope: 'row' } }), ...indicators.map(cell)]);
    table.tFoot?.replaceChildren(
      footRow(t('dossier.dashboard.province'), 'indicator-table__total', (ind) =>
        el('td', { className: 'num', testid: 'indicator-total', data: { indicator: ind.name, measure: ind.measure, aggregate: ind.aggregate } }, [
          el('span', { text: formatValue(ind.total_value, ind.measure, ind.aggregate) }),
          ...(ind.aggregate === 'mean' ? [el('span', { className: 'cell-note', text: t('dossier.dashboard.mean') })] : []),
        ]),
      ),
      footRow(t('dossier.report.col.plan'), 'indicator-table__plan', (ind) =>
        el('td', { className: 'num', testid: 'indicator-total-plan', text: formatValue(ind.total_plan, ind.measure, ind.aggregate), data: { indicator: ind.name, measure: ind.measure } }),
      ),
      footRow(t('dossier.report.col.percent'), 'indicator-table__percent', (ind) =>
        el('td', { className: 'num', testid: 'indicator-total-percent', text: formatPercent(ind.percent_of_plan), data: { indicator: ind.name, measure: ind.measure } }),
      ),
    );
    this.#applyFilter();
  }

  /** Hides the unit rows whose name does not contain the filter's text. */
  #applyFilter() {
    const text = this.ui.filter.value.trim();
    const wanted = folded(text);
    const rows = this.ui.indicators.tBodies[0].rows;
    let shown = 0;
    for (const row of rows) {
      const match = wanted === '' || folded(row.dataset.point ?? '').includes(wanted);
      row.hidden = !match;
      if (match) shown += 1;
    }
    const count = this.ui.filterCount;
    count.dataset.shown = String(shown);
    if (wanted === '') count.textContent = '';
    else if (shown === 0) count.textContent = t('dossier.dashboard.filter.none', { text });
    else count.textContent = t('dossier.dashboard.filter.count', { shown: formatNumber(shown), total: formatNumber(rows.length) });
  }

  /** @param {DashboardIndicator[]} indicators */
  #renderChart(indicators) {
    const bars = indicators.filter((i) => i.percent_of_plan !== null && Number.isFinite(i.percent_of_plan));
    const figure = this.ui.chart;
    figure.hidden = bars.length === 0;
    const caption = el('figcaption', { text: t('dossier.dashboard.chart') });
    figure.replaceChildren(caption);
    if (bars.length > 0) figure.append(percentChart(bars));
  }
}

/**
 * Text as the unit filter compares it: without case, diacritics (NFD marks) or the stroke of
 * đ, so that "cua lo" finds "Cửa Lò" and "do luong" finds "Đô Lương".
 * @param {string} text
 * @returns {string}
 */
function folded(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/đ/g, 'd');
}

/**
 * Indicators of the same name and measure, compared trimmed and ignoring case, are one row of
 * the dashboard (docs/substance.md).
 * @param {string} name
 * @param {string} measure
 */
function indicatorKey(name, measure) {
  return `${name.trim().toLowerCase()}\u0000${measure.trim().toLowerCase()}`;
}

/**
 * A report as a heading, its submission time, the narrative and the table of indicators.
 *
 * @param {Report} report
 * @param {string} heading
 * @param {HTMLElement | null} action a button beside the heading
 * @param {Map<string, 'sum' | 'mean'>} aggregates how the dashboard combines each indicator (by
 *   name and measure), so that a report rounds its figures as the dashboard does
 * @returns {HTMLElement[]}
 */
function reportView(report, heading, action, aggregates) {
  const rows = report.indicators.map((i) =>
    el('tr', {}, [
      el('th', { text: i.name, attrs: { scope: 'row' } }),
      el('td', { text: i.measure }),
      el('td', { className: 'num', text: formatValue(i.value, i.measure, aggregates.get(indicatorKey(i.name, i.measure)) ?? null) }),
      el('td', { className: 'num', text: formatValue(i.plan, i.measure, aggregates.get(indicatorKey(i.name, i.measure)) ?? null) }),
      el('td', { className: 'num', text: formatPercent(i.percent_of_plan) }),
    ]),
  );
  const when = t(report.on_time ? 'dossier.report.state.onTime' : 'dossier.report.state.late', { time: formatWhen(report.submitted_at) });
  const view = [
    el('div', { className: 'card__head' }, [el('h3', { text: heading }), ...(action ? [action] : [])]),
    el('p', { className: 'muted', text: when }),
    el('p', { className: 'narrative', text: report.narrative || t('dossier.dashboard.noNarrative') }),
  ];
  if (rows.length > 0) {
    view.push(
      el('div', { className: 'table-wrap' }, [
        el('table', { className: 'data-table' }, [
          el('thead', {}, [
            el('tr', {}, [
              el('th', { text: t('dossier.report.col.name'), attrs: { scope: 'col' } }),
              el('th', { text: t('dossier.report.col.measure'), attrs: { scope: 'col' } }),
              el('th', { className: 'num', text: t('dossier.report.col.value'), attrs: { scope: 'col' } }),
              el('th', { className: 'num', text: t('dossier.report.col.plan'), attrs: { scope: 'col' } }),
              el('th', { className: 'num', text: t('dossier.report.col.percent'), attrs: { scope: 'col' } }),
            ]),
          ]),
          el('tbody', {}, rows),
        ]),
      ]),
    );
  }
  return view;
}

/**
 * @param {HTMLUListElement} list
 * @param {string[]} names
 */
function nameList(list, names) {
  if (names.length === 0) {
    list.replaceChildren(el('li', { className: 'muted', text: t('dossier.none') }));
    list.dataset.count = '0';
    return;
  }
  list.replaceChildren(...names.map((name) => el('li', { text: name, data: { point: name } })));
  list.dataset.count = String(names.length);
}

const SVG = 'http://www.w3.org/2000/svg';
/** Chart geometry, in viewBox units. Each row is the indicator's name on a line of its own, then
 * its bar, then its percentage in a column of its own: no text is drawn over a bar, over the
 * 100 % mark or over another text, however long the names. */
const BAR_WIDTH = 560;
const GAP = 14;
const VALUE_WIDTH = 96;
const WIDTH = BAR_WIDTH + GAP + VALUE_WIDTH;
const LABEL_HEIGHT = 20;
const BAR_HEIGHT = 20;
const ROW_GAP = 12;
const ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP;
/** Room above the rows for the 100 % mark's label. */
const TOP = 22;
/** Bars longer than this percentage are cut (and say so): 100 % stays readable. */
const SCALE_CAP = 200;
/** Names longer than this are cut; the full name is the row's tooltip. */
const LABEL_CHARS = 70;

/**
 * A horizontal bar per indicator: the percentage of plan, with a mark at 100 % on each bar,
 * labelled once above the rows. Drawn with SVG attributes and classes only (the page's CSP
 * allows no inline styles).
 * @param {DashboardIndicator[]} indicators each with a percentage
 * @returns {SVGSVGElement}
 */
function percentChart(indicators) {
  const max = Math.min(SCALE_CAP, Math.max(100, ...indicators.map((i) => i.percent_of_plan ?? 0)));
  const scale = BAR_WIDTH / max;
  const height = TOP + ROW_HEIGHT * indicators.length;

  const svg = svgEl('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: '100%',
    role: 'img',
    'aria-label': t('dossier.dashboard.chart'),
    class: 'chart__svg',
    preserveAspectRatio: 'xMinYMin meet',
  });
  svg.dataset.testid = 'dashboard-chart-svg';

  const x100 = (100 * scale).toFixed(1);
  const anchor = 100 * scale > BAR_WIDTH - 60 ? 'end' : 'middle';
  const targetLabel = svgEl('text', { x: x100, y: String(TOP - 8), class: 'chart__target-label', 'text-anchor': anchor });
  targetLabel.dataset.testid = 'dashboard-chart-target-label';
  targetLabel.textContent = t('dossier.dashboard.chart.target', { percent: formatPercent(100) });
  svg.append(targetLabel);

  indicators.forEach((ind, index) => {
    const percent = ind.percent_of_plan ?? 0;
    const top = TOP + index * ROW_HEIGHT;
    const barY = top + LABEL_HEIGHT;
    const label = ind.measure ? `${ind.name} (${ind.measure})` : ind.name;
    const g = svgEl('g', { class: 'chart__row' });
    g.dataset.indicator = ind.name;
    g.dataset.percent = String(percent);
    const title = svgEl('title', {});
    title.textContent = `${label}: ${formatPercent(percent)}`;
    // A little in from the edge: the overhang of a glyph such as "T" stays inside the chart.
    const text = svgEl('text', { x: '3', y: String(barY - 5), class: 'chart__label' });
    text.textContent = label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
    const length = Math.max(0, Math.min(percent, SCALE_CAP) * scale);
    const bar = svgEl('rect', {
      x: '0',
      y: String(barY),
      width: length.toFixed(1),
      height: String(BAR_HEIGHT),
      rx: '2',
      class: percent >= 100 ? 'chart__bar chart__bar--reached' : 'chart__bar',
    });
    // The 100 % mark across this bar only, drawn over it; the name above stays clear.
    const target = svgEl('line', { x1: x100, x2: x100, y1: String(barY - 2), y2: String(barY + BAR_HEIGHT + 2), class: 'chart__target' });
    target.dataset.testid = 'dashboard-chart-target';
    const value = svgEl('text', { x: String(WIDTH), y: String(barY + BAR_HEIGHT - 5), class: 'chart__value', 'text-anchor': 'end' });
    value.textContent = percent > SCALE_CAP ? `▸ ${formatPercent(percent)}` : formatPercent(percent);
    g.append(title, text, bar, target, value);
    svg.append(g);
  });

  return svg;
}

/**
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} attrs
 * @returns {SVGElementTagNameMap[K]}
 */
function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}
