//! How handlers read a request beyond who sends it — JSON bodies, queries, item ids, cookies —
//! so that every bad part of one gets the same answer; and CSV answers.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::body_too_large;
use super::error::ApiError;

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Parses a JSON body: a body over the limit is 413, any other rejection 422 with the reason.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            body_too_large()
        } else {
            ApiError::invalid(e.body_text())
        }
    })
}

/// Parses the query string, turning every rejection into a 422 with the reason.
pub(crate) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(v)| v)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// The id of an item of the briefing (a `what`) in a path such as
/// `/api/briefings/{id}/tasks/{task}`; 404 when it is not a number, as no item has such an id.
pub(crate) fn item_id(
    path: Result<Path<(String, String)>, PathRejection>,
    what: &str,
) -> Result<i64, ApiError> {
    path.ok()
        .and_then(|Path((_, item))| item.parse().ok())
        .ok_or_else(|| ApiError::not_found(format!("there is no such {what} in this briefing")))
}

/// 404 for item `id` (a `what`) that the briefing does not have.
pub(crate) fn no_item(what: &str, id: i64) -> ApiError {
    ApiError::not_found(format!("there is no {what} {id} in this briefing"))
}

/// `?format=` of an answer given as JSON or as a CSV file.
#[derive(Deserialize)]
pub(crate) struct FormatQuery {
    format: Option<String>,
}

/// The form of such an answer.
pub(crate) enum Format {
    Json,
    Csv,
}

impl FormatQuery {
    /// The form asked for, JSON when none is; 422 for anything but `json` and `csv`.
    pub fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::invalid(format!(
                "format must be json or csv, not {other:?}"
            ))),
        }
    }
}

/// A CSV file to download as `file_name`, which is printable ASCII.
pub(crate) fn csv_file(file_name: &str, csv: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        csv,
    )
        .into_response()
}
