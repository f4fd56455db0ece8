//! How handlers read a request beyond who sends it — JSON bodies, queries, item ids, cookies —
//! so that every bad part of one gets the same answer; and CSV answers.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use giaoban_model::{Field, Problem, ProblemCode};
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

/// Parses a JSON body: 415 when it is not declared `application/json`, 413 over the limit, any
/// other refusal 422 with the reason in words of the API, never the name of a Rust type.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| match &e {
        JsonRejection::MissingJsonContentType(_) => not_json(),
        _ if e.status() == StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::invalid(Problem::new(ProblemCode::BadBody).with("detail", reason(&e)))
        }
        JsonRejection::JsonDataError(_) => {
            ApiError::invalid(Problem::new(ProblemCode::BadBody).with("detail", reason(&e)))
        }
        _ => {
            tracing::debug!("JSON body not read: {e}");
            ApiError::invalid(ProblemCode::UnreadableBody)
        }
    })
}

/// 415 `unsupported_media_type` for a body that should be JSON.
pub(crate) fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Problem::new(ProblemCode::UnsupportedMediaType).with("expected", "application/json"),
    )
}

/// Parses the query string, turning every rejection into a 422 with the reason.
pub(crate) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(v)| v).map_err(|e| {
        ApiError::invalid(Problem::new(ProblemCode::BadQuery).with("detail", reason(&e)))
    })
}

/// What serde said was wrong with a value: the innermost error of `rejection` (a field path, the
/// problem, a line and column), with the names of the server's own types put in general words.
fn reason(rejection: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = rejection;
    while let Some(source) = inner.source() {
        inner = source;
    }
    crate::wording::without_type_names(&inner.to_string())
}

/// The id of an item of the briefing (a `what`: a task, a comment…) in a path such as
/// `/api/briefings/{id}/tasks/{task}`; 404 when it is not a number, as no item has such an id.
pub(crate) fn item_id(
    path: Result<Path<(String, String)>, PathRejection>,
    what: Field,
) -> Result<i64, ApiError> {
    let path = path.ok();
    path.as_ref()
        .and_then(|Path((_, item))| item.parse().ok())
        .ok_or_else(|| {
            let given = path.map(|Path((_, item))| item).unwrap_or_default();
            ApiError::not_found(
                Problem::new(ProblemCode::NoSuchItem)
                    .at(what)
                    .with("value", given),
            )
        })
}

/// 404 for item `id` (a `what`) that the briefing does not have.
pub(crate) fn no_item(what: Field, id: i64) -> ApiError {
    ApiError::not_found(
        Problem::new(ProblemCode::NoSuchItem)
            .at(what)
            .with("value", id),
    )
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
    /// The `?format=` of a larger query.
    pub fn new(format: Option<String>) -> FormatQuery {
        FormatQuery { format }
    }

    /// The form asked for, JSON when none is; 422 for anything but `json` and `csv`.
    pub fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::invalid(
                Problem::new(ProblemCode::BadFormat).with("value", other),
            )),
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::{Value, json};

    use crate::test_app::{Answer, TestApp, TestServer};
    use crate::wording::without_type_names;

    /// `POST /api/admin/briefings` with the admin session as a bearer and `body` as
    /// `content_type` (none when `None`).
    async fn create(server: &TestServer, content_type: Option<&str>, body: &str) -> Answer {
        let mut request = Request::post("/api/admin/briefings")
            .header("authorization", format!("Bearer {}", server.admin));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        server
            .send_request(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// Asserts that `answer` is an error in the API's shape whose message names no Rust type or
    /// library.
    fn assert_plain_words(answer: &Answer) {
        let message = answer.message();
        assert!(
            !message.is_empty(),
            "not in the API's shape: {:?}",
            answer.bytes
        );
        for internal in [
            "CreateRequest",
            "struct",
            "enum ",
            "Failed to",
            "serde",
            "axum",
            "Expected request",
        ] {
            assert!(!message.contains(internal), "{internal:?} in {message:?}");
        }
    }

    #[tokio::test]
    async fn a_body_not_declared_as_json_is_refused_with_415() {
        let server = TestServer::new().await;
        let body = json!({"title": "Giao ban", "host": "Sở TT&TT"}).to_string();

        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("json"),
            None,
        ] {
            let answer = create(&server, content_type, &body).await;

            assert_eq!(
                answer.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type:?}"
            );
            assert_eq!(answer.code(), "unsupported_media_type");
            assert_plain_words(&answer);
        }
        assert!(server.store.list_briefings().unwrap().is_empty());
        let json = create(&server, Some("application/json; charset=utf-8"), &body).await;
        assert_eq!(json.status, StatusCode::CREATED, "{}", json.json());
    }

    #[tokio::test]
    async fn json_errors_say_what_is_wrong_without_naming_rust_types() {
        let server = TestServer::new().await;
        let json = Some("application/json");

        let syntax = create(&server, json, r#"{"title": "Giao ban","#).await;
        let not_an_object = create(&server, json, r#""Giao ban""#).await;
        let wrong_type = create(&server, json, r#"{"title": 5, "host": "Sở"}"#).await;
        let typo = create(&server, json, r#"{"titel": "Giao ban", "host": "Sở"}"#).await;
        let trailing = create(&server, json, r#"{"title": "G", "host": "S"} x"#).await;

        for answer in [&syntax, &not_an_object, &wrong_type, &typo, &trailing] {
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(answer.code(), "bad_body");
            assert_plain_words(answer);
        }
        assert!(
            syntax
                .message()
                .starts_with("the request is not the JSON this route takes: ")
                && syntax.message().contains("line 1"),
            "{}",
            syntax.message()
        );
        assert!(
            not_an_object.message().contains("expected an object"),
            "{}",
            not_an_object.message()
        );
        assert!(
            wrong_type
                .message()
                .contains("title: invalid type: integer `5`"),
            "{}",
            wrong_type.message()
        );
        assert!(
            typo.message().contains("unknown field `titel`"),
            "{}",
            typo.message()
        );
        assert!(server.store.list_briefings().unwrap().is_empty());
    }

    #[tokio::test]
    async fn query_and_path_errors_are_in_the_api_shape() {
        let app = TestApp::new().await;

        let query = app
            .send_bytes(
                "POST",
                &app.path("/documents?name=a.pdf&task_id=abc"),
                Some(&app.host),
                "application/pdf",
                Some(b"%PDF-1.4\n".to_vec()),
            )
            .await;
        let path = app
            .send(
                "POST",
                "/api/admin/briefings/%FF/revoke",
                Some(&app.admin),
                Some(json!({"point": "x"})),
            )
            .await;
        let plain_get_of_ws = app.send("GET", "/ws", None, None).await;

        assert_eq!(query.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(query.message().contains("task_id"), "{}", query.message());
        assert_eq!(path.status, StatusCode::BAD_REQUEST);
        assert_eq!(path.code(), "bad_request");
        assert!(plain_get_of_ws.status.is_client_error());
        for answer in [&query, &path, &plain_get_of_ws] {
            assert_plain_words(answer);
            assert!(!answer.message().contains("UTF-8"), "{}", answer.message());
            assert!(!answer.message().contains("header"), "{}", answer.message());
        }
    }

    /// Every route that reads a JSON body, with a body it would otherwise take (or refuse for
    /// another reason) plus a field it does not know: each is 422 `bad_body` naming the field.
    #[tokio::test]
    async fn every_json_body_refuses_a_field_it_does_not_know() {
        let app = TestApp::new().await;
        let briefing = app.briefing_id();
        let task = app.task(&briefing, "Báo cáo tiến độ", &["UBND-CUALO"]);
        let concern = app
            .store
            .raise_concern(
                &app.store.points(&briefing).unwrap()[2],
                giaoban_store::ConcernKind::Concern,
                "Đường truyền chậm",
                None,
            )
            .unwrap()
            .id;
        let admin = app.admin.as_str();
        let host = app.host.as_str();
        let cualo = app.cualo.as_str();
        let report = format!("/reports/{}", app.cualo_id);
        let admin_routes = [
            (
                "POST",
                "/api/admin/briefings".to_owned(),
                json!({"title": "G", "host": "S"}),
            ),
            (
                "POST",
                format!("/api/admin/briefings/{}/revoke", app.id),
                json!({"point": "Phòng họp dự phòng"}),
            ),
            (
                "POST",
                "/api/admin/accounts".to_owned(),
                json!({"name": "an", "password": "mật khẩu đủ dài 123"}),
            ),
            (
                "POST",
                "/api/admin/accounts/an/disabled".to_owned(),
                json!({"disabled": true}),
            ),
            (
                "PUT",
                "/api/admin/accounts/an/password".to_owned(),
                json!({"password": "mật khẩu đủ dài 456"}),
            ),
        ];
        let host_routes = [
            (
                "PUT",
                "/agenda".to_owned(),
                json!({"items": [{"title": "Khai mạc"}]}),
            ),
            (
                "PUT",
                "/indicators".to_owned(),
                json!({"indicators": [{"name": "Doanh thu"}]}),
            ),
            (
                "PUT",
                "/minutes/details".to_owned(),
                json!({"number": "15/BB"}),
            ),
            (
                "PUT",
                "/minutes/speeches/1".to_owned(),
                json!({"note": "Ý kiến"}),
            ),
            ("POST", "/mode".to_owned(), json!({"mode": "open"})),
            (
                "POST",
                "/floor".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò"}),
            ),
            ("POST", "/spotlight".to_owned(), json!({"point": null})),
            (
                "POST",
                "/hands/lower".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò"}),
            ),
            (
                "POST",
                "/ask-unmute".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò"}),
            ),
            (
                "POST",
                "/mute".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò", "muted": true}),
            ),
            (
                "POST",
                "/roll-call/answers".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò", "status": "present"}),
            ),
            ("POST", "/lock".to_owned(), json!({"locked": true})),
            (
                "POST",
                "/remove".to_owned(),
                json!({"point": "UBND thị xã Cửa Lò"}),
            ),
            (
                "POST",
                format!("/concerns/{concern}/answer"),
                json!({"answer": "Đã xử lý"}),
            ),
            (
                "POST",
                format!("/concerns/{concern}/task"),
                json!({"owners": ["UBND-CUALO"], "deadline": "2099-12-31"}),
            ),
            (
                "POST",
                "/conclusions".to_owned(),
                json!({"text": "Kết luận"}),
            ),
            (
                "POST",
                "/tasks".to_owned(),
                json!({"text": "Việc", "owners": ["UBND-CUALO"], "deadline": "2099-12-31"}),
            ),
            (
                "PATCH",
                format!("/tasks/{task}"),
                json!({"text": "Việc khác"}),
            ),
            (
                "POST",
                format!("/tasks/{task}/progress"),
                json!({"status": "done"}),
            ),
            (
                "POST",
                "/comments/1/answer".to_owned(),
                json!({"answer": "Vâng"}),
            ),
            (
                "POST",
                "/comments/1/pin".to_owned(),
                json!({"pinned": true}),
            ),
            (
                "POST",
                "/comments/1/concern".to_owned(),
                json!({"kind": "concern"}),
            ),
            (
                "POST",
                "/comments-to-all".to_owned(),
                json!({"allowed": true}),
            ),
        ];
        let point_routes = [
            (
                "PUT",
                report.clone(),
                json!({"narrative": "Báo cáo", "indicators": []}),
            ),
            (
                "POST",
                "/concerns".to_owned(),
                json!({"kind": "proposal", "text": "Đề xuất"}),
            ),
        ];
        // (method, path, token, body, the field it does not know)
        let mut calls: Vec<(&str, String, Option<&str>, Value, &str)> = Vec::new();
        let routes = admin_routes
            .into_iter()
            .map(|(m, path, body)| (m, path, Some(admin), body))
            .chain(
                host_routes
                    .into_iter()
                    .map(|(m, rest, body)| (m, app.path(&rest), Some(host), body)),
            )
            .chain(
                point_routes
                    .into_iter()
                    .map(|(m, rest, body)| (m, app.path(&rest), Some(cualo), body)),
            )
            .chain([(
                "POST",
                "/api/admin/login".to_owned(),
                None,
                json!({"name": "an", "password": "sai"}),
            )]);
        for (method, path, token, mut body) in routes {
            body["thua"] = json!(1);
            calls.push((method, path, token, body, "thua"));
        }
        // Unknown fields inside a list are refused too.
        calls.push((
            "PUT",
            app.path("/agenda"),
            Some(host),
            json!({"items": [{"title": "Khai mạc", "tieu_de": "x"}]}),
            "tieu_de",
        ));
        calls.push((
            "PUT",
            app.path("/indicators"),
            Some(host),
            json!({"indicators": [{"name": "Doanh thu", "kehoach": {}}]}),
            "kehoach",
        ));
        calls.push((
            "PUT",
            app.path(&report),
            Some(cualo),
            json!({"indicators": [{"name": "Doanh thu", "value": 1, "don_vi": "x"}]}),
            "don_vi",
        ));
        assert!(calls.len() > 30, "{}", calls.len());

        for (method, path, token, body, unknown) in calls {
            let answer = app.send(method, &path, token, Some(body.clone())).await;

            assert_eq!(
                (answer.status, answer.code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_body"),
                "{method} {path} {body}: {}",
                answer.json()
            );
            assert!(
                answer
                    .message()
                    .contains(&format!("unknown field `{unknown}`")),
                "{method} {path}: {}",
                answer.message()
            );
            assert_plain_words(&answer);
        }
        // Nothing was done: no point was revoked, no conclusion added.
        assert!(
            app.store
                .points(&briefing)
                .unwrap()
                .iter()
                .all(|p| !p.revoked)
        );
        assert!(app.store.conclusions(&briefing).unwrap().is_empty());
    }

    /// Every struct a handler reads as a JSON body (`Result<Json<T>, JsonRejection>`), and every
    /// struct of this workspace among the types of its fields, refuses unknown fields: read
    /// from the sources, so that a new body cannot forget it.
    #[test]
    fn every_json_body_type_denies_unknown_fields() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut sources = String::new();
        let mut dirs = vec![
            std::path::PathBuf::from(root).join("server/src/http"),
            std::path::PathBuf::from(root).join("store/src"),
            std::path::PathBuf::from(root).join("model/src"),
        ];
        let mut handlers = String::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if path.to_string_lossy().contains("/http/") {
                        handlers.push_str(&text);
                    }
                    sources.push_str(&text);
                }
            }
        }
        // The attributes and body of `struct NAME { … }`, if the sources define one.
        let definition = |name: &str| -> Option<(String, String)> {
            let at = sources.find(&format!("struct {name} {{"))?;
            let attributes_start = sources[..at].rfind("#[derive(")?;
            let body_end = at + sources[at..].find("\n}")?;
            Some((
                sources[attributes_start..at].to_owned(),
                sources[at..body_end].to_owned(),
            ))
        };
        let mut queue: Vec<String> = handlers
            .split("Result<Json<")
            .skip(1)
            .filter_map(|rest| {
                let (name, after) = rest.split_once('>')?;
                after
                    .trim_start()
                    .starts_with(", JsonRejection>")
                    .then(|| name.to_owned())
            })
            .collect();
        assert!(queue.len() > 30, "{queue:?}");
        let mut checked = std::collections::BTreeSet::new();
        while let Some(name) = queue.pop() {
            if !checked.insert(name.clone()) {
                continue;
            }
            let Some((attributes, body)) = definition(&name) else {
                continue;
            };
            assert!(
                attributes.contains("deny_unknown_fields"),
                "{name} is read from a request body but takes unknown fields"
            );
            assert!(
                !body.contains("flatten"),
                "{name}: flatten defeats deny_unknown_fields"
            );
            for word in body.split(|c: char| !c.is_alphanumeric() && c != '_') {
                if word.starts_with(char::is_uppercase) && word != name {
                    queue.push(word.to_owned());
                }
            }
        }
        for nested in [
            "NewAgendaItem",
            "IndicatorBody",
            "DefinitionBody",
            "MinutesDetails",
        ] {
            assert!(
                checked.contains(nested),
                "{nested} not reached: {checked:?}"
            );
        }
    }

    /// A misspelt field of a report used to be skipped, filing an empty report over the one
    /// the unit had written.
    #[tokio::test]
    async fn a_misspelt_report_field_changes_nothing() {
        let app = TestApp::new().await;
        let path = app.path(&format!("/reports/{}", app.cualo_id));
        let filed = app
            .send(
                "PUT",
                &path,
                Some(&app.cualo),
                Some(json!({"narrative": "Hoàn thành 95% kế hoạch",
                            "indicators": [{"name": "Doanh thu", "measure": "tỷ đồng", "value": "12,5"}]})),
            )
            .await;
        assert_eq!(filed.status, StatusCode::OK, "{}", filed.json());
        let point = giaoban_model::PointId(app.cualo_id.clone());
        let before = app.store.report(&point).unwrap().unwrap();

        let typo = app
            .send(
                "PUT",
                &path,
                Some(&app.cualo),
                Some(json!({"narative": "x"})),
            )
            .await;

        assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(typo.code(), "bad_body");
        assert!(
            typo.message().contains("unknown field `narative`"),
            "{}",
            typo.message()
        );
        let after = app.store.report(&point).unwrap().unwrap();
        assert_eq!(after, before);
        assert_eq!(after.narrative, "Hoàn thành 95% kế hoạch");
        assert_eq!(after.indicators.len(), 1);
    }

    #[test]
    fn type_names_in_serde_messages_become_words() {
        assert_eq!(
            without_type_names("invalid type: sequence, expected struct CreateRequest"),
            "invalid type: sequence, expected an object"
        );
        assert_eq!(
            without_type_names("expected internally tagged enum ClientMessage at line 1"),
            "expected an object of a known type at line 1"
        );
        assert_eq!(
            without_type_names("data did not match any variant of untagged enum OneOrMany"),
            "data did not match any variant of the accepted forms"
        );
        assert_eq!(
            without_type_names("invalid length 1, expected tuple struct Pair with 2 elements"),
            "invalid length 1, expected a list with 2 elements"
        );
        assert_eq!(
            without_type_names("expected enum Role, or struct x, or substruct Y, or `enum A`"),
            "expected one of the accepted values, or struct x, or substruct Y, or `one of the accepted values`"
        );
        assert_eq!(
            without_type_names("unknown field `narative`, expected `narrative` or `indicators`"),
            "unknown field `narative`, expected `narrative` or `indicators`"
        );
    }
}
