//! The one error type of the HTTP edge: a status and a [`Problem`] (a stable code, the field it
//! concerns, named parameters and an English sentence for API clients that read no catalogue).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use giaoban_model::{Problem, ProblemCode};
use giaoban_store::{AuthError, StoreError};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: Problem,
}

impl ApiError {
    pub fn new(status: StatusCode, problem: impl Into<Problem>) -> ApiError {
        ApiError {
            status,
            problem: problem.into(),
        }
    }

    pub fn unauthorized(problem: impl Into<Problem>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, problem)
    }

    pub fn forbidden(problem: impl Into<Problem>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, problem)
    }

    pub fn not_found(problem: impl Into<Problem>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, problem)
    }

    /// 422: a value of the request is not acceptable; the problem says which.
    pub fn invalid(problem: impl Into<Problem>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, problem)
    }

    /// 413: the request body is over the limit the problem states.
    pub fn too_large(problem: impl Into<Problem>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, problem)
    }

    /// 500 `internal`, saying nothing of the cause, which the caller logs.
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ProblemCode::Internal)
    }
}

/// `response`, or `error` in its place when it is a 413 not in the shape of the API: the plain
/// text of tower-http's `RequestBodyLimitLayer`, which refuses a declared `Content-Length` over
/// the limit before any handler runs.
pub fn too_large_as_json(response: Response, error: fn() -> ApiError) -> Response {
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        error().into_response()
    } else {
        response
    }
}

/// `response` in the shape of the API when it is an error in plain text: the rejection of one
/// of axum's extractors (a path that is not UTF-8, a malformed WebSocket upgrade, …), whose text
/// names its internals. The text is logged; the client gets a sentence by status.
pub async fn plain_errors_as_json(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    tracing::debug!(%status, text = %String::from_utf8_lossy(&text), "plain-text error answered as JSON");
    let code = match status {
        StatusCode::NOT_FOUND => ProblemCode::NoSuchPage,
        StatusCode::METHOD_NOT_ALLOWED => ProblemCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ProblemCode::RequestTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ProblemCode::BadRequest,
        StatusCode::UPGRADE_REQUIRED => ProblemCode::UpgradeRequired,
        s if s.is_server_error() => return ApiError::internal().into_response(),
        _ => ProblemCode::BadRequest,
    };
    ApiError::new(status, code).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.problem });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Invalid(p) => ApiError::invalid(p),
            StoreError::NotFound(p) => ApiError::not_found(p),
            StoreError::Conflict(p) => ApiError::new(StatusCode::CONFLICT, p),
            other => {
                tracing::error!("store failure: {other}");
                ApiError::internal()
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Revoked => ApiError::unauthorized(ProblemCode::RevokedToken),
            AuthError::Store(e) => e.into(),
            _ => ApiError::unauthorized(ProblemCode::InvalidToken),
        }
    }
}
