// The dossier page ("Hồ sơ giao ban") of a briefing at /d/{token}: agenda and documents, the
// unit's report, the host's dashboard of all reports, concerns and proposals, conclusions and
// tasks, and the minutes. Opened with a point's or the host's invitation link; what the page
// offers follows the role the link has (the server checks every action again).
//
// The API lives in dossier-api.js; each tab's parts live in dossier/*.js.

import { t, translateDom, bindLangButton, onLangChange, formatDateTime } from './i18n.js';
import { ApiError, DossierApi, fetchSession } from './dossier-api.js';
import { byTestId } from './dossier/common.js';
import { AgendaPart } from './dossier/agenda.js';
import { DocumentsPart } from './dossier/documents.js';
import { ReportPart } from './dossier/report.js';
import { DashboardPart } from './dossier/dashboard.js';
import { IndicatorSetPart } from './dossier/indicator-set.js';
import { ConcernsPart } from './dossier/concerns.js';
import { ConclusionsPart } from './dossier/conclusions.js';
import { TasksPart } from './dossier/tasks.js';
import { MinutesPart } from './dossier/minutes.js';
import { MinutesDetailsPart } from './dossier/minutes-details.js';
import { SpeechesPart } from './dossier/speeches.js';
import { RecordingsPart } from './dossier/recordings.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./dossier-api.js').DossierSession} DossierSession */
/** @typedef {import('./dossier-api.js').AgendaItem} AgendaItem */
/** @typedef {import('./dossier/common.js').Context} Context */
/** @typedef {import('./dossier/common.js').Part} Part */
/** @typedef {import('./dossier/common.js').UnitChoice} UnitChoice */
/** @typedef {import('./recording.js').Recording} Recording */
/** @typedef {'agenda' | 'report' | 'dashboard' | 'concerns' | 'followup' | 'recordings' | 'minutes'} Tab */

/** How long a confirmation stays. */
const NOTICE_MS = 5000;
const TABS = /** @type {Tab[]} */ (['agenda', 'report', 'dashboard', 'concerns', 'followup', 'recordings', 'minutes']);
/** Tabs only the host sees. */
const HOST_TABS = new Set(['dashboard', 'minutes']);

const ui = {
  error: byTestId(document, 'dossier-error', HTMLElement),
  notice: byTestId(document, 'dossier-notice', HTMLElement),
  loading: byTestId(document, 'dossier-loading', HTMLElement),
  title: byTestId(document, 'dossier-title', HTMLElement),
  me: byTestId(document, 'dossier-me', HTMLElement),
  start: byTestId(document, 'dossier-start', HTMLElement),
  roomLink: byTestId(document, 'dossier-room-link', HTMLAnchorElement),
  tabs: byTestId(document, 'dossier-tabs', HTMLElement),
  lang: /** @type {HTMLButtonElement | null} */ (document.querySelector('[data-action=lang]')),
};

const state = {
  /** @type {DossierSession | null} */
  session: null,
  /** @type {MessageKey | null} a page-level error (bad link, server away) */
  error: null,
  /** @type {{key: MessageKey, params?: Record<string, string | number>} | null} */
  notice: null,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  noticeTimer: undefined,
  /** @type {Tab} */
  tab: /** @type {Tab} */ ('agenda'),
  /** @type {Map<Tab, Part[]>} */
  parts: new Map(),
  /** @type {RecordingsPart | null} */
  recordings: null,
};

main();

async function main() {
  translateDom();
  bindLangButton(ui.lang);
  onLangChange(renderAll);

  const token = tokenFromPath(location.pathname);
  if (!token) return fail('error.invalidLink');
  try {
    state.session = await fetchSession(token);
  } catch (err) {
    const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
    return fail(refused ? 'error.invalidLink' : 'error.sessionUnavailable');
  }

  const session = state.session;
  const isHost = session.point.role === 'host';
  const ctx = context(new DossierApi(token, session.briefing.id), session, isHost);
  ui.roomLink.href = `/j/${encodeURIComponent(token)}`;
  ui.roomLink.hidden = false;

  /** @param {string} testid */
  const section = (testid) => byTestId(document, testid, HTMLElement);
  state.parts.set('agenda', [new AgendaPart(ctx, section('agenda-section')), new DocumentsPart(ctx, section('documents-section'))]);
  state.parts.set('report', [new ReportPart(ctx, section('report-section'))]);
  state.parts.set('concerns', [new ConcernsPart(ctx, section('concerns-section'))]);
  state.parts.set('followup', [new ConclusionsPart(ctx, section('conclusions-section')), new TasksPart(ctx, section('tasks-section'))]);
  state.recordings = new RecordingsPart(ctx, section('recordings-section'));
  state.parts.set('recordings', [state.recordings]);
  if (isHost) {
    state.parts.set('dashboard', [new IndicatorSetPart(ctx, section('indicator-set-section')), new DashboardPart(ctx, section('dashboard-section'))]);
    state.parts.set('minutes', [new MinutesDetailsPart(ctx, section('minutes-details-section')), new SpeechesPart(ctx, section('speeches-section')), new MinutesPart(ctx, section('minutes-section'))]);
  }

  wireTabs(isHost);
  ui.loading.hidden = true;
  ui.tabs.hidden = false;
  document.body.dataset.view = 'dossier';
  document.body.dataset.role = session.point.role;
  renderHeader();
  showTab(tabFromHash() ?? 'agenda');
  window.addEventListener('hashchange', () => {
    const tab = tabFromHash();
    if (tab && tab !== state.tab) showTab(tab);
  });
}

/**
 * What every part of the page shares: the API, who is calling, confirmations, the agenda and
 * (for the host) the units a task may be given to.
 * @param {DossierApi} api
 * @param {DossierSession} session
 * @param {boolean} isHost
 * @returns {Context}
 */
function context(api, session, isHost) {
  /** @type {Promise<AgendaItem[]> | null} */
  let agenda = null;
  /** @type {Promise<UnitChoice[]> | null} */
  let units = null;
  /** @type {Promise<Recording[]> | null} */
  let recordings = null;
  return {
    api,
    session,
    isHost,
    notify,
    agenda(fresh = false) {
      if (fresh || agenda === null) {
        const loading = api.agenda();
        agenda = loading;
        loading.catch(() => {
          if (agenda === loading) agenda = null;
        });
      }
      return agenda;
    },
    setAgenda(items) {
      agenda = Promise.resolve(items);
    },
    recordings(fresh = false) {
      if (fresh || recordings === null) {
        const loading = api.recordings();
        recordings = loading;
        loading.catch(() => {
          if (recordings === loading) recordings = null;
        });
      }
      return recordings;
    },
    openRecording(recording, offsetMs) {
      history.replaceState(null, '', '#recordings');
      showTab('recordings');
      state.recordings?.seek(recording, offsetMs);
    },
    units() {
      // The dashboard lists every invited point with its unit code; the host's own unit too.
      units ??= api.dashboard().then(
        (d) => {
          /** @type {UnitChoice[]} */
          const list = [];
          if (session.point.unit_code) list.push({ code: session.point.unit_code, name: session.point.name });
          for (const p of d.points) {
            if (p.unit_code && !list.some((u) => u.code === p.unit_code)) list.push({ code: p.unit_code, name: p.point });
          }
          return list;
        },
        () => {
          units = null;
          return [];
        },
      );
      return units;
    },
  };
}

/**
 * The invitation token: the last segment of `/d/<token>`.
 * @param {string} pathname
 */
function tokenFromPath(pathname) {
  const segments = pathname.split('/').filter((s) => s !== '');
  return segments.length >= 2 ? decodeURIComponent(segments[segments.length - 1]) : '';
}

/** @param {MessageKey} key */
function fail(key) {
  state.error = key;
  ui.loading.hidden = true;
  document.body.dataset.view = 'none';
  renderError();
}

// --- tabs --------------------------------------------------------------------------------

/** @param {boolean} isHost */
function wireTabs(isHost) {
  const buttons = tabButtons();
  for (const b of buttons) {
    const tab = /** @type {Tab} */ (b.dataset.tab);
    b.hidden = HOST_TABS.has(tab) && !isHost;
    b.addEventListener('click', () => {
      history.replaceState(null, '', `#${tab}`);
      showTab(tab);
    });
    // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
    b.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const visible = tabButtons().filter((x) => !x.hidden);
      const at = visible.indexOf(b);
      const next = visible[(at + (event.key === 'ArrowRight' ? 1 : visible.length - 1)) % visible.length];
      event.preventDefault();
      next.focus();
      next.click();
    });
  }
}

/** @returns {HTMLButtonElement[]} */
function tabButtons() {
  return [...ui.tabs.querySelectorAll('button[data-tab]')].filter((b) => b instanceof HTMLButtonElement);
}

/** @returns {Tab | null} the tab named in the address's #fragment, if the caller may see it */
function tabFromHash() {
  const name = location.hash.slice(1);
  const tab = TABS.find((x) => x === name);
  if (!tab || !state.parts.has(tab)) return null;
  return tab;
}

/**
 * Shows one tab and (re)loads what it shows.
 * @param {Tab} tab
 */
function showTab(tab) {
  if (!state.parts.has(tab)) tab = 'agenda';
  state.tab = tab;
  for (const b of tabButtons()) {
    const selected = b.dataset.tab === tab;
    b.setAttribute('aria-selected', String(selected));
    b.tabIndex = selected ? 0 : -1;
  }
  for (const panel of document.querySelectorAll('[data-panel]')) {
    if (panel instanceof HTMLElement) panel.hidden = panel.dataset.panel !== tab;
  }
  document.body.dataset.tab = tab;
  for (const part of state.parts.get(tab) ?? []) void part.load();
}

// --- messages ----------------------------------------------------------------------------

/**
 * A short confirmation at the top of the page.
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [params]
 */
function notify(key, params) {
  state.notice = { key, params };
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => {
    state.notice = null;
    renderNotice();
  }, NOTICE_MS);
  renderNotice();
}

// --- rendering ---------------------------------------------------------------------------

function renderAll() {
  renderHeader();
  renderError();
  renderNotice();
  for (const parts of state.parts.values()) for (const part of parts) part.render();
}

function renderHeader() {
  const session = state.session;
  if (!session) return;
  document.title = `${t('page.dossier')} — ${session.briefing.title}`;
  ui.title.textContent = session.briefing.title;
  ui.me.textContent = t('session.me', { name: session.point.name, role: t(session.point.role === 'host' ? 'role.host' : 'role.point') });
  const when = formatDateTime(session.briefing.scheduled_start);
  ui.start.textContent = when ? t('session.start', { time: when }) : '';
}

function renderError() {
  ui.error.hidden = state.error === null;
  ui.error.textContent = state.error ? t(state.error) : '';
}

function renderNotice() {
  const notice = state.notice;
  ui.notice.hidden = notice === null;
  ui.notice.textContent = notice ? t(notice.key, notice.params) : '';
}
