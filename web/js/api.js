// JSON over HTTP with the server's error shape `{"error": {"code", "field"?, "params",
// "message"}}` (docs/http.md, "Errors"). No DOM. What to show for an error is problem.js's.

/** @typedef {Record<string, string | number>} ProblemParams */

/** An HTTP API failure with its status, the server's error code, field and parameters. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request did not reach the server
   * @param {string} code the server's stable code, `network`, `bad_response` or `http_<status>`
   * @param {string} message the server's English sentence, for logs only
   * @param {string} [field] the field path, e.g. `indicators.2.value`
   * @param {ProblemParams} [params] the problem's named parameters
   */
  constructor(status, code, message, field, params) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** @type {string | undefined} */
    this.field = field;
    /** @type {ProblemParams} */
    this.params = params ?? {};
  }
}

/**
 * Sends a request and returns the parsed JSON answer (null for an empty one, e.g. 204).
 * @param {string} method
 * @param {string} path same-origin path
 * @param {{body?: unknown, token?: string}} [options] a JSON body; a bearer token
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export async function requestJson(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!response.ok) throw await readApiError(response);
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'bad_response', 'the answer is not JSON');
  }
}

/**
 * Downloads a file (e.g. a CSV export) and returns its body; errors as for requestJson.
 * @param {string} path same-origin path
 * @param {{token?: string, accept?: string}} [options] a bearer token; the Accept header
 * @returns {Promise<Blob>}
 * @throws {ApiError}
 */
export async function requestBlob(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: options.accept ?? '*/*' };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let response;
  try {
    response = await fetch(path, { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!response.ok) throw await readApiError(response);
  return response.blob();
}

/**
 * Turns a failed response into an ApiError, reading the error body when there is one.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
export async function readApiError(response) {
  let code = `http_${response.status}`;
  let message = response.statusText;
  /** @type {string | undefined} */
  let field;
  /** @type {ProblemParams} */
  const params = {};
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.code === 'string') {
      code = body.error.code;
      if (typeof body.error.message === 'string') message = body.error.message;
      if (typeof body.error.field === 'string') field = body.error.field;
      const given = body.error.params;
      if (given && typeof given === 'object') {
        for (const [name, value] of Object.entries(given)) {
          if (typeof value === 'string' || typeof value === 'number') params[name] = value;
        }
      }
    }
  } catch {
    // Not JSON (a proxy's error page, say): the status is all there is.
  }
  return new ApiError(response.status, code, message, field, params);
}
