//! The admin API of units ("đơn vị"): list the tree, import a CSV file. See docs/http.md.
//!
//! Inviting units to a briefing goes through `POST /api/admin/briefings` (`units`,
//! `host_unit`) in `api.rs`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_store::{ImportReport, Unit};

use crate::api::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest units file the API accepts: about 20,000 units, the most one import takes. Larger
/// imports go through `giaoban units import`.
pub const MAX_UNITS_CSV_BYTES: usize = 2 * 1024 * 1024;

/// Routes under `/api/admin/units`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/units", get(list))
        .route("/api/admin/units/import", post(import))
        .layer(DefaultBodyLimit::max(MAX_UNITS_CSV_BYTES))
}

/// Every unit in tree order: each unit before its children, siblings by code.
async fn list(_: AdminAuth, State(state): State<AppState>) -> Result<Json<Vec<Unit>>, ApiError> {
    Ok(Json(state.store.units()?))
}

/// Imports the CSV file in the body (`text/csv`), all or nothing.
async fn import(
    _: AdminAuth,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    if !is_csv(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the units file as the body with Content-Type: text/csv",
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "a units file sent to the API is at most {} MiB; import a larger one with \
                     `giaoban units import`",
                    MAX_UNITS_CSV_BYTES / (1024 * 1024)
                ),
            )
        } else {
            ApiError::new(e.status(), "invalid", e.body_text())
        }
    })?;
    let csv = String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "the file is not UTF-8 text (byte {}); save it as \"CSV UTF-8\"",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    // A large file takes a while to check and write; keep it off the async workers.
    let store = state.store.clone();
    let report = tokio::task::spawn_blocking(move || store.import_units_csv(&csv))
        .await
        .map_err(|e| {
            tracing::error!("units import task failed: {e}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server could not complete the request",
            )
        })??;
    tracing::info!(
        inserted = report.inserted,
        updated = report.updated,
        unchanged = report.unchanged,
        "units imported"
    );
    Ok(Json(report))
}

/// Whether the body is declared as CSV (`text/csv`, or `text/plain` as some tools send a file).
fn is_csv(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/csv") || essence.eq_ignore_ascii_case("text/plain")
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::{SystemTime, UNIX_EPOCH};

    use axum::body::Body;
    use axum::http::Request;
    use axum::response::Response;
    use giaoban_store::Store;
    use serde_json::{Value, json};
    use tempfile::TempDir;
    use tower::ServiceExt;

    use super::*;
    use crate::direction::Direction;
    use crate::registry::Registry;
    use crate::{api, media_loop};

    const NGHE_AN: &str = "\u{feff}code,name,parent_code,email\r\n\
        TINH-NA,UBND tỉnh Nghệ An,,vpubnd@nghean.gov.vn\r\n\
        SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,stttt@nghean.gov.vn\r\n\
        UBND-CUALO,UBND thị xã Cửa Lò,TINH-NA,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\r\n\
        P-NGHITHUY,UBND phường Nghi Thủy,UBND-CUALO,nghithuy.cualo@nghean.gov.vn\r\n\
        UBND-NGHILOC,UBND huyện Nghi Lộc,TINH-NA,\r\n";

    /// The application on a store in a temporary directory, with the media loop on an
    /// ephemeral loopback port.
    struct TestApp {
        _dir: TempDir,
        store: Arc<Store>,
        router: Router,
        session: String,
    }

    impl TestApp {
        async fn new() -> TestApp {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(Store::open(dir.path()).unwrap());
            let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let media = media_loop::start(bind, bind).await.unwrap();
            let registry = Arc::new(Registry::default());
            let direction = Direction::new(store.clone(), media.clone(), registry.clone());
            let state = AppState {
                store: store.clone(),
                media,
                registry,
                direction,
                base_url: "http://giaoban.test".into(),
                mailer: None,
            };
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let session = store.admin_session_token(now);
            TestApp {
                _dir: dir,
                store,
                router: api::router(state),
                session,
            }
        }

        async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
            let response: Response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&bytes)))
            };
            (status, body)
        }

        fn get(&self, path: &str, session: Option<&str>) -> Request<Body> {
            let mut request = Request::get(path);
            if let Some(session) = session {
                request = request.header(header::AUTHORIZATION, format!("Bearer {session}"));
            }
            request.body(Body::empty()).unwrap()
        }

        fn import(&self, csv: impl Into<Body>, session: Option<&str>) -> Request<Body> {
            let mut request = Request::post("/api/admin/units/import")
                .header(header::CONTENT_TYPE, "text/csv; charset=utf-8");
            if let Some(session) = session {
                request = request.header(header::COOKIE, format!("giaoban_admin={session}"));
            }
            request.body(csv.into()).unwrap()
        }

        fn create(&self, body: &Value) -> Request<Body> {
            Request::post("/api/admin/briefings")
                .header(header::AUTHORIZATION, format!("Bearer {}", self.session))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        }
    }

    fn error_code(body: &Value) -> &str {
        body["error"]["code"].as_str().unwrap_or_default()
    }

    fn error_message(body: &Value) -> &str {
        body["error"]["message"].as_str().unwrap_or_default()
    }

    #[tokio::test]
    async fn units_endpoints_need_an_admin_session() {
        let app = TestApp::new().await;

        let (list, list_body) = app.send(app.get("/api/admin/units", None)).await;
        let (forged, forged_body) = app
            .send(app.get("/api/admin/units", Some("not-a-session")))
            .await;
        let (import, import_body) = app.send(app.import(NGHE_AN, None)).await;

        assert_eq!(list, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&list_body), "no_session");
        assert_eq!(forged, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&forged_body), "invalid_session");
        assert_eq!(import, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&import_body), "no_session");
        assert!(app.store.units().unwrap().is_empty(), "nothing imported");
    }

    #[tokio::test]
    async fn import_reports_and_the_list_is_a_tree() {
        let app = TestApp::new().await;

        let (status, report) = app.send(app.import(NGHE_AN, Some(&app.session))).await;
        let (again, report_again) = app.send(app.import(NGHE_AN, Some(&app.session))).await;
        let (listed, units) = app
            .send(app.get("/api/admin/units", Some(&app.session)))
            .await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(report, json!({"inserted": 5, "updated": 0, "unchanged": 0}));
        assert_eq!(again, StatusCode::OK);
        assert_eq!(
            report_again,
            json!({"inserted": 0, "updated": 0, "unchanged": 5})
        );
        assert_eq!(listed, StatusCode::OK);
        let codes: Vec<&str> = units
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "TINH-NA",
                "SO-TTTT",
                "UBND-CUALO",
                "P-NGHITHUY",
                "UBND-NGHILOC"
            ]
        );
        let cua_lo = &units[2];
        assert_eq!(cua_lo["name"], "UBND thị xã Cửa Lò");
        assert_eq!(cua_lo["parent_code"], "TINH-NA");
        assert_eq!(
            cua_lo["emails"],
            json!(["ubnd@cualo.nghean.gov.vn", "vanthu.cualo@nghean.gov.vn"])
        );
        assert_eq!(units[0]["parent_code"], Value::Null);
        assert!(cua_lo["created_at"].is_string() && cua_lo["updated_at"].is_string());
    }

    #[tokio::test]
    async fn a_bad_file_is_422_naming_the_line_and_changes_nothing() {
        let app = TestApp::new().await;
        app.send(app.import(NGHE_AN, Some(&app.session))).await;
        let before = app.store.units().unwrap();

        for (file, expected) in [
            (
                "code,name,parent_code,email\nUBND-VINH,UBND thành phố Vinh,TINH-NA,\nX,Xã,,thư@\n",
                "line 3, email:",
            ),
            (
                "code,name,parent_code,email\nP-HUNGBINH,UBND phường Hưng Bình,UBND-VINH,\n",
                "line 2, parent_code: no unit has the code \"UBND-VINH\"",
            ),
            ("code;name;parent_code;email\n", "line 1, header:"),
            ("", "line 1, header:"),
        ] {
            let (status, body) = app.send(app.import(file, Some(&app.session))).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{file:?}");
            assert_eq!(error_code(&body), "invalid");
            assert!(
                error_message(&body).starts_with(expected),
                "{file:?}: {body}"
            );
        }
        let (status, body) = app
            .send(app.import(
                &b"code,name,parent_code,email\nA,UBND x\xe3,,\n"[..],
                Some(&app.session),
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_message(&body).contains("UTF-8"), "{body}");
        assert_eq!(app.store.units().unwrap(), before);
    }

    #[tokio::test]
    async fn import_wants_csv_up_to_its_own_size_limit() {
        let app = TestApp::new().await;
        let json_body = Request::post("/api/admin/units/import")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.session))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let huge = format!(
            "code,name,parent_code,email\n{}",
            "A,B,,\n".repeat(MAX_UNITS_CSV_BYTES / 6 + 1)
        );

        // Over the 256 KiB of the JSON endpoints, under the units file limit.
        let mut large = String::from("code,name,parent_code,email\n");
        for i in 0..3000 {
            large.push_str(&format!(
                "XA-{i},UBND xã số {i} của huyện Nghi Lộc tỉnh Nghệ An,,ubnd.xa{i}@nghean.gov.vn\n"
            ));
        }
        assert!(large.len() > 256 * 1024);

        let (wrong_type, wrong_type_body) = app.send(json_body).await;
        let (too_large, too_large_body) = app.send(app.import(huge, Some(&app.session))).await;
        let (large_status, large_report) = app.send(app.import(large, Some(&app.session))).await;

        assert_eq!(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(error_code(&wrong_type_body), "unsupported_media_type");
        assert_eq!(too_large, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_code(&too_large_body), "too_large");
        assert_eq!(large_status, StatusCode::OK, "{large_report}");
        assert_eq!(large_report["inserted"], 3000);
    }

    #[tokio::test]
    async fn a_briefing_invites_units_by_code() {
        let app = TestApp::new().await;
        app.send(app.import(NGHE_AN, Some(&app.session))).await;

        let (status, created) = app
            .send(app.create(&json!({
                "title": "Giao ban CNTT 6 tháng đầu năm",
                "scheduled_start": "2026-12-01 08:00",
                "host_unit": "SO-TTTT",
                "points": ["Phòng họp dự phòng"],
                "units": ["UBND-CUALO", "P-NGHITHUY"],
            })))
            .await;
        let (listed, briefings) = app
            .send(app.get("/api/admin/briefings", Some(&app.session)))
            .await;

        assert_eq!(status, StatusCode::CREATED, "{created}");
        let links: Vec<(&str, &str, Option<&str>)> = created["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["point"].as_str().unwrap(),
                    l["role"].as_str().unwrap(),
                    l["unit_code"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            links,
            [
                ("Sở Thông tin và Truyền thông", "host", Some("SO-TTTT")),
                ("Phòng họp dự phòng", "point", None),
                ("UBND thị xã Cửa Lò", "point", Some("UBND-CUALO")),
                ("UBND phường Nghi Thủy", "point", Some("P-NGHITHUY")),
            ]
        );
        assert!(created["links"][1].get("unit_code").is_none());
        assert_eq!(listed, StatusCode::OK);
        assert_eq!(briefings[0]["links"][2]["unit_code"], "UBND-CUALO");
    }

    #[tokio::test]
    async fn unknown_units_and_a_missing_host_are_422() {
        let app = TestApp::new().await;
        app.send(app.import(NGHE_AN, Some(&app.session))).await;

        for (body, expected) in [
            (
                json!({"title": "t", "host": "Sở TT&TT", "units": ["UBND-VINH"]}),
                "no unit has the code \"UBND-VINH\"",
            ),
            (
                json!({"title": "t", "host_unit": "KHONG-CO"}),
                "no unit has the code \"KHONG-CO\"",
            ),
            (
                json!({"title": "t", "host": "Sở TT&TT", "host_unit": "SO-TTTT"}),
                "either by name or as a unit",
            ),
            (json!({"title": "t", "units": ["UBND-CUALO"]}), "host name"),
        ] {
            let (status, answer) = app.send(app.create(&body)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(error_message(&answer).contains(expected), "{answer}");
        }
        assert!(app.store.list_briefings().unwrap().is_empty());
    }
}
