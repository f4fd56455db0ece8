//! The one error type of the HTTP edge: a status, a stable code and a human message.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use giaoban_store::{AuthError, StoreError};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 422 `invalid`: a value of the request is not acceptable; the message says which.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// 413 `too_large`: the request body is over the limit the message states.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 500 `internal`, saying nothing of the cause, which the caller logs.
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request",
        )
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
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such page"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this method is not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body is not of a type this request takes",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "the request is not acceptable"),
        StatusCode::UPGRADE_REQUIRED => ("upgrade_required", "open this address as a WebSocket"),
        s if s.is_server_error() => return ApiError::internal().into_response(),
        _ => ("bad_request", "the request is malformed"),
    };
    ApiError::new(status, code, message).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Invalid(p) => ApiError::invalid(p.to_string()),
            StoreError::NotFound(p) => ApiError::not_found(p.to_string()),
            StoreError::Conflict(p) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", p.to_string())
            }
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
            AuthError::Revoked => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "revoked_token",
                "this invitation link has been revoked",
            ),
            AuthError::Store(e) => e.into(),
            _ => ApiError::unauthorized("the invitation token is invalid"),
        }
    }
}
