// The substance API of docs/substance.md (agenda, documents, reports and the dashboard,
// concerns, conclusions, tasks, minutes) over `fetch` with the bearer token of an invitation
// link. No DOM.

import { ApiError, readApiError, requestBlob, requestJson } from './api.js';
import { normalizeRecordings } from './recording.js';

export { ApiError };

/** @typedef {'host' | 'point'} Role */
/** @typedef {import('./recording.js').Recording} Recording */

/**
 * @typedef {object} DossierBriefing
 * @property {string} id
 * @property {string} title
 * @property {string | null} scheduled_start
 * @property {string | null} series
 * @property {string | null} report_deadline null: the scheduled start
 */

/**
 * @typedef {object} DossierPoint the caller
 * @property {string} id
 * @property {string} name
 * @property {Role} role
 * @property {string | null} unit_code
 */

/** @typedef {{briefing: DossierBriefing, point: DossierPoint}} DossierSession */

/**
 * @typedef {object} AgendaItem
 * @property {number} id
 * @property {number} position
 * @property {string} title
 * @property {string | null} presenter
 * @property {number | null} duration_minutes
 */

/**
 * An agenda item as sent: with `id` it keeps its identity, without it is new.
 * @typedef {{id?: number, title: string, presenter?: string, duration_minutes?: number}} AgendaDraft
 */

/**
 * @typedef {object} Document
 * @property {number} id
 * @property {string} file_name
 * @property {string} content_type
 * @property {number} size bytes
 * @property {string} sha256
 * @property {number | null} agenda_item_id
 * @property {number | null} task_id
 * @property {string | null} uploaded_by the point's name; null for the organiser
 * @property {string} created_at
 */

/**
 * @typedef {object} Indicator
 * @property {string} name
 * @property {string} measure
 * @property {number} value
 * @property {number | null} plan
 * @property {number | null} percent_of_plan
 */

/**
 * @typedef {object} Report
 * @property {string} point_id
 * @property {string} point
 * @property {string | null} unit_code
 * @property {string} narrative
 * @property {Indicator[]} indicators
 * @property {string} submitted_at the first submission
 * @property {string} updated_at
 * @property {boolean} on_time
 * @property {boolean} draft saved, not submitted: seen only by the unit, counted nowhere
 */

/**
 * A report as sent: numbers stay as typed (`"1130,5"`), the server reads them.
 * @typedef {{narrative: string, indicators: {name: string, measure: string, value: string, plan?: string}[], draft?: boolean}} ReportDraft
 */

/** @typedef {'on_time' | 'late' | 'missing' | 'pending'} ReportStatus */

/**
 * @typedef {object} DashboardPoint
 * @property {string} point_id
 * @property {string} point
 * @property {string | null} unit_code
 * @property {ReportStatus} status
 * @property {string | null} submitted_at
 */

/**
 * One indicator of the host's set for the period.
 * @typedef {object} IndicatorDefinition
 * @property {string} name
 * @property {string} measure
 * @property {'sum' | 'mean'} aggregate
 * @property {Record<string, number>} plans each unit's plan, by unit code
 */

/**
 * The set as the host sends it: plans as typed.
 * @typedef {{name: string, measure: string, aggregate: 'sum' | 'mean', plans: Record<string, string>}} IndicatorDraft
 */

/**
 * @typedef {object} DashboardIndicator
 * @property {string} name
 * @property {string} measure
 * @property {'sum' | 'mean'} aggregate as the host's set says; else sums, or means for a rate (measure %)
 * @property {boolean} defined one of the host's indicator set
 * @property {number} total_value
 * @property {number | null} total_plan
 * @property {number | null} percent_of_plan
 * @property {{point: string, value: number, plan: number | null, percent_of_plan: number | null}[]} by_point
 */

/**
 * @typedef {object} Dashboard
 * @property {string | null} report_deadline
 * @property {DashboardPoint[]} points
 * @property {DashboardIndicator[]} indicators
 * @property {string[]} late
 * @property {string[]} missing
 * @property {number} submitted
 * @property {number} expected
 * @property {Report | null} host_report the host's own report, not in the totals
 */

/** @typedef {'concern' | 'proposal'} ConcernKind */

/**
 * @typedef {object} Concern
 * @property {number} id
 * @property {string} point_id
 * @property {string} point
 * @property {string | null} unit_code
 * @property {ConcernKind} kind
 * @property {string} text
 * @property {number | null} agenda_item_id
 * @property {string} raised_at
 * @property {string | null} answer
 * @property {string | null} answered_at
 * @property {number | null} task_id
 */

/** @typedef {{id: number, text: string, created_at: string}} Conclusion */

/** @typedef {'open' | 'in_progress' | 'done'} ProgressStatus */
/** @typedef {ProgressStatus | 'overdue'} TaskStatus */

/**
 * @typedef {object} Progress
 * @property {number} id
 * @property {string | null} point
 * @property {string | null} unit_code
 * @property {ProgressStatus} status
 * @property {string} note
 * @property {string} created_at
 */

/**
 * @typedef {object} Task
 * @property {number} id
 * @property {string} briefing_id
 * @property {string} briefing_title
 * @property {boolean} carried_over
 * @property {string} text
 * @property {{code: string, name: string, lead: boolean}[]} owners the lead unit first
 * @property {string} deadline `YYYY-MM-DD`
 * @property {TaskStatus} status
 * @property {string | null} done_at
 * @property {number | null} concern_id
 * @property {Progress[]} progress
 * @property {Document[]} documents
 */

/** @typedef {{text: string, owners: string[], lead?: string, deadline: string}} TaskDraft */
/** @typedef {{text?: string, owners?: string[], lead?: string, deadline?: string, status?: ProgressStatus}} TaskPatch */

/** @typedef {{queued: number, skipped: {point: string, reason: string}[]}} MailResult */

/**
 * What the host writes on the minutes; `null` when not given.
 * @typedef {object} MinutesDetails
 * @property {string | null} number
 * @property {string | null} place
 * @property {string | null} chair
 * @property {string | null} secretary
 */

/**
 * One turn at the floor, with the secretary's note of what was said.
 * @typedef {object} Speech
 * @property {number} id
 * @property {string} point_name
 * @property {string} granted_at RFC 3339
 * @property {string | null} ended_at RFC 3339; `null` while the point holds the floor
 * @property {string | null} note
 */

/**
 * @typedef {object} UnitStatistics
 * @property {string} unit_code
 * @property {string} unit
 * @property {number} briefings_invited
 * @property {number} briefings_attended
 * @property {number | null} attendance_rate 0..1
 * @property {number} reports_due
 * @property {number} reports_on_time
 * @property {number} tasks_owned
 * @property {number} tasks_done
 * @property {number} tasks_done_on_time
 * @property {number} concerns_raised
 * @property {number} proposals_raised
 */

/**
 * The briefing and the caller behind an invitation link.
 * @param {string} token
 * @returns {Promise<DossierSession>}
 * @throws {ApiError} 401 or 403 when the link is invalid or revoked
 */
export async function fetchSession(token) {
  return /** @type {DossierSession} */ (await requestJson('GET', '/api/session', { token }));
}

/** The substance of one briefing as seen through one link. */
export class DossierApi {
  /**
   * @param {string} token the link's token
   * @param {string} briefingId
   */
  constructor(token, briefingId) {
    this.token = token;
    this.briefingId = briefingId;
    this.base = `/api/briefings/${encodeURIComponent(briefingId)}`;
  }

  /**
   * @param {string} method
   * @param {string} path below the briefing
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  #json(method, path, body) {
    return requestJson(method, this.base + path, { token: this.token, body });
  }

  /**
   * A list answer; anything else is treated as empty.
   * @param {string} path
   * @returns {Promise<any[]>}
   */
  async #list(path) {
    const answer = await this.#json('GET', path);
    return Array.isArray(answer) ? answer : [];
  }

  // --- agenda ----------------------------------------------------------------------------

  /** @returns {Promise<AgendaItem[]>} */
  agenda() {
    return this.#list('/agenda');
  }

  /**
   * Replaces the agenda (host).
   * @param {AgendaDraft[]} items in order
   * @returns {Promise<AgendaItem[]>}
   */
  async saveAgenda(items) {
    const answer = await this.#json('PUT', '/agenda', { items });
    return Array.isArray(answer) ? answer : [];
  }

  // --- documents -------------------------------------------------------------------------

  /** @returns {Promise<Document[]>} */
  documents() {
    return this.#list('/documents');
  }

  /**
   * Uploads a file as its raw bytes.
   * @param {File} file
   * @param {{agendaItemId?: number | null, taskId?: number | null}} [tie]
   * @returns {Promise<Document>}
   * @throws {ApiError} 413 `file_too_large`, 415 `bad_file_type` or `bad_file_content`, 422, …
   */
  async upload(file, tie = {}) {
    const query = new URLSearchParams({ name: file.name });
    if (tie.agendaItemId != null) query.set('agenda_item_id', String(tie.agendaItemId));
    if (tie.taskId != null) query.set('task_id', String(tie.taskId));
    let response;
    try {
      response = await fetch(`${this.base}/documents?${query}`, {
        method: 'POST',
        headers: {
          Accept: 'application/json',
          Authorization: `Bearer ${this.token}`,
          'Content-Type': file.type || 'application/octet-stream',
        },
        body: file,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'network', String(err));
    }
    if (!response.ok) throw await readApiError(response);
    try {
      return await response.json();
    } catch {
      throw new ApiError(response.status, 'bad_response', 'the answer is not JSON');
    }
  }

  /**
   * @param {number} id
   * @returns {Promise<Blob>} the file's bytes
   */
  download(id) {
    return requestBlob(`${this.base}/documents/${encodeURIComponent(String(id))}`, { token: this.token });
  }

  /** @param {number} id */
  async deleteDocument(id) {
    await this.#json('DELETE', `/documents/${encodeURIComponent(String(id))}`);
  }

  // --- reports ---------------------------------------------------------------------------

  /**
   * A point's report, or null when it has not submitted one (404 `no_report`).
   * @param {string} pointId
   * @returns {Promise<Report | null>}
   */
  async report(pointId) {
    try {
      return await this.#json('GET', `/reports/${encodeURIComponent(pointId)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.code === 'no_report') return null;
      throw err;
    }
  }

  /**
   * Submits or replaces the caller's own report.
   * @param {string} pointId the caller's point id
   * @param {ReportDraft} draft
   * @returns {Promise<Report>}
   */
  submitReport(pointId, draft) {
    return this.#json('PUT', `/reports/${encodeURIComponent(pointId)}`, draft);
  }

  /** @returns {Promise<Report[]>} every submitted report (host) */
  reports() {
    return this.#list('/reports');
  }

  /** @returns {Promise<IndicatorDefinition[]>} the host's indicator set for the period */
  indicatorSet() {
    return this.#json('GET', '/indicators');
  }

  /**
   * Replaces the indicator set (host).
   * @param {IndicatorDraft[]} indicators
   * @returns {Promise<IndicatorDefinition[]>}
   */
  setIndicatorSet(indicators) {
    return this.#json('PUT', '/indicators', { indicators });
  }

  /**
   * The set of the previous briefing of the series (host).
   * @returns {Promise<{briefing_id: string, indicators: IndicatorDefinition[]}>}
   * @throws {ApiError} 404 `no_previous_set` when no earlier briefing of the series has one
   */
  previousIndicatorSet() {
    return this.#json('GET', '/indicators/previous');
  }

  /** @returns {Promise<Dashboard>} (host) */
  async dashboard() {
    const d = await this.#json('GET', '/dashboard');
    return {
      report_deadline: d?.report_deadline ?? null,
      points: Array.isArray(d?.points) ? d.points : [],
      indicators: Array.isArray(d?.indicators) ? d.indicators : [],
      late: Array.isArray(d?.late) ? d.late : [],
      missing: Array.isArray(d?.missing) ? d.missing : [],
      submitted: Number(d?.submitted) || 0,
      expected: Number(d?.expected) || 0,
      host_report: d?.host_report ?? null,
    };
  }

  // --- concerns --------------------------------------------------------------------------

  /** @returns {Promise<Concern[]>} */
  concerns() {
    return this.#list('/concerns');
  }

  /**
   * @param {{kind: ConcernKind, text: string, agenda_item_id?: number}} concern
   * @returns {Promise<Concern>}
   */
  raiseConcern(concern) {
    return this.#json('POST', '/concerns', concern);
  }

  /**
   * @param {number} id
   * @param {string} answer
   * @returns {Promise<Concern>}
   */
  answerConcern(id, answer) {
    return this.#json('POST', `/concerns/${encodeURIComponent(String(id))}/answer`, { answer });
  }

  /**
   * Makes a task of a concern (host); the text defaults to the concern's.
   * @param {number} id
   * @param {{text?: string, owners: string[], lead?: string, deadline: string}} task
   * @returns {Promise<Task>}
   */
  concernToTask(id, task) {
    return this.#json('POST', `/concerns/${encodeURIComponent(String(id))}/task`, task);
  }

  // --- conclusions -----------------------------------------------------------------------

  /** @returns {Promise<Conclusion[]>} */
  conclusions() {
    return this.#list('/conclusions');
  }

  /**
   * @param {string} text
   * @returns {Promise<Conclusion>}
   */
  addConclusion(text) {
    return this.#json('POST', '/conclusions', { text });
  }

  /** @param {number} id */
  async deleteConclusion(id) {
    await this.#json('DELETE', `/conclusions/${encodeURIComponent(String(id))}`);
  }

  // --- tasks -----------------------------------------------------------------------------

  /** @returns {Promise<Task[]>} this briefing's tasks, then the carried-over ones */
  tasks() {
    return this.#list('/tasks');
  }

  /**
   * @param {TaskDraft} task
   * @returns {Promise<Task>}
   */
  createTask(task) {
    return this.#json('POST', '/tasks', task);
  }

  /**
   * @param {number} id
   * @param {TaskPatch} patch
   * @returns {Promise<Task>}
   */
  patchTask(id, patch) {
    return this.#json('PATCH', `/tasks/${encodeURIComponent(String(id))}`, patch);
  }

  /**
   * @param {number} id
   * @param {{status: ProgressStatus, note: string}} progress
   * @returns {Promise<Task>}
   */
  reportProgress(id, progress) {
    return this.#json('POST', `/tasks/${encodeURIComponent(String(id))}/progress`, progress);
  }

  // --- recordings ------------------------------------------------------------------------

  /** @returns {Promise<Recording[]>} the briefing's recordings, the newest first */
  async recordings() {
    return normalizeRecordings(await this.#json('GET', '/recordings'));
  }

  // --- minutes (host) --------------------------------------------------------------------

  /** @returns {Promise<MinutesDetails>} the number, place, chair and secretary of the minutes */
  async minutesDetails() {
    return detailsOf(await this.#json('GET', '/minutes/details'));
  }

  /**
   * Replaces the details of the minutes; a blank one clears it.
   * @param {{number: string, place: string, chair: string, secretary: string}} details
   * @returns {Promise<MinutesDetails>} as stored: trimmed, blank ones `null`
   */
  async setMinutesDetails(details) {
    return detailsOf(await this.#json('PUT', '/minutes/details', details));
  }

  /** @returns {Promise<Speech[]>} every turn at the floor, the earliest first */
  speeches() {
    return this.#json('GET', '/minutes/speeches');
  }

  /**
   * Writes the secretary's note of one turn at the floor; a blank note clears it.
   * @param {number} id
   * @param {string} note
   * @returns {Promise<Speech>} as stored
   */
  setSpeechNote(id, note) {
    return this.#json('PUT', `/minutes/speeches/${encodeURIComponent(String(id))}`, { note });
  }

  /** @returns {Promise<Blob>} the minutes as an HTML page */
  minutesHtml() {
    return requestBlob(`${this.base}/minutes.html`, { token: this.token, accept: 'text/html' });
  }

  /** @returns {Promise<Blob>} the minutes as PDF */
  minutesPdf() {
    return requestBlob(`${this.base}/minutes.pdf`, { token: this.token, accept: 'application/pdf' });
  }

  /** @returns {Promise<Blob>} the minutes as a Word document, to edit before signing */
  minutesDocx() {
    return requestBlob(`${this.base}/minutes.docx`, {
      token: this.token,
      accept: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
  }

  /** The file name of the PDF download. */
  get minutesFileName() {
    return `bien-ban-${this.briefingId}.pdf`;
  }

  /**
   * Mails the minutes to every invited unit.
   * @returns {Promise<MailResult>}
   * @throws {ApiError} 409 `mail_not_configured` on a server without SMTP
   */
  async mailMinutes() {
    const answer = await this.#json('POST', '/minutes/mail');
    return {
      queued: Number(answer?.queued) || 0,
      skipped: Array.isArray(answer?.skipped) ? answer.skipped : [],
    };
  }
}

/**
 * The details in an answer, a missing or non-text one as `null`.
 * @param {any} answer
 * @returns {MinutesDetails}
 */
function detailsOf(answer) {
  /** @param {unknown} v */
  const text = (v) => (typeof v === 'string' ? v : null);
  return {
    number: text(answer?.number),
    place: text(answer?.place),
    chair: text(answer?.chair),
    secretary: text(answer?.secretary),
  };
}
