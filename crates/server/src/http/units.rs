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
use giaoban_model::{Problem, ProblemCode};
use giaoban_store::{ImportReport, Unit};

use super::auth::AdminAuth;
use super::error::ApiError;
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
            Problem::new(ProblemCode::UnsupportedMediaType).with("expected", "text/csv"),
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(
                Problem::new(ProblemCode::UnitsFileTooLarge)
                    .with("max", MAX_UNITS_CSV_BYTES / (1024 * 1024)),
            )
        } else {
            tracing::debug!("request body not read: {e}");
            ApiError::new(e.status(), ProblemCode::UnreadableBody)
        }
    })?;
    let csv = String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::invalid(
            Problem::new(ProblemCode::NotUtf8).with("offset", e.utf8_error().valid_up_to()),
        )
    })?;
    // A large file takes a while to check and write; keep it off the async workers.
    let report = state
        .blocking(move |store| store.import_units_csv(&csv))
        .await?;
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
    use serde_json::{Value, json};

    use super::*;
    use crate::test_app::{Answer, TestServer, UNITS};

    /// Imports `csv` with the admin session, if any, in its cookie, as the admin page does.
    async fn import(app: &TestServer, csv: impl Into<Vec<u8>>, session: Option<&str>) -> Answer {
        app.send_with_cookie(
            "POST",
            "/api/admin/units/import",
            session,
            "text/csv; charset=utf-8",
            Some(csv.into()),
        )
        .await
    }

    async fn create(app: &TestServer, body: Value) -> Answer {
        app.send("POST", "/api/admin/briefings", Some(&app.admin), Some(body))
            .await
    }

    #[tokio::test]
    async fn units_endpoints_need_an_admin_session() {
        let app = TestServer::new().await;

        let list = app.send("GET", "/api/admin/units", None, None).await;
        let forged = app
            .send("GET", "/api/admin/units", Some("not-a-session"), None)
            .await;
        let import = import(&app, UNITS, None).await;

        assert_eq!(list.status, StatusCode::UNAUTHORIZED);
        assert_eq!(list.code(), "no_session");
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert_eq!(forged.code(), "invalid_session");
        assert_eq!(import.status, StatusCode::UNAUTHORIZED);
        assert_eq!(import.code(), "no_session");
        assert!(app.store.units().unwrap().is_empty(), "nothing imported");
    }

    #[tokio::test]
    async fn import_reports_and_the_list_is_a_tree() {
        let app = TestServer::new().await;

        let first = import(&app, UNITS, Some(&app.admin)).await;
        let again = import(&app, UNITS, Some(&app.admin)).await;
        let listed = app
            .send("GET", "/api/admin/units", Some(&app.admin), None)
            .await;

        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(
            first.json(),
            json!({"inserted": 5, "updated": 0, "unchanged": 0})
        );
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(
            again.json(),
            json!({"inserted": 0, "updated": 0, "unchanged": 5})
        );
        assert_eq!(listed.status, StatusCode::OK);
        let units = listed.json();
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
        let app = TestServer::new().await;
        import(&app, UNITS, Some(&app.admin)).await;
        let before = app.store.units().unwrap();

        for (file, code, field) in [
            (
                "code,name,parent_code,email\nUBND-VINH,UBND thành phố Vinh,TINH-NA,\nX,Xã,,thư@\n",
                "not_an_email",
                "line.3.email",
            ),
            (
                "code,name,parent_code,email\nP-HUNGBINH,UBND phường Hưng Bình,UBND-VINH,\n",
                "unknown_parent",
                "line.2.parent_code",
            ),
            (
                "code;name;parent_code;email\n",
                "semicolon_header",
                "line.1",
            ),
            ("", "bad_header", "line.1"),
        ] {
            let answer = import(&app, file, Some(&app.admin)).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{file:?}");
            assert_eq!(
                answer.problem(),
                (code.to_owned(), field.to_owned()),
                "{file:?}: {}",
                answer.json()
            );
        }
        let latin1 = import(
            &app,
            &b"code,name,parent_code,email\nA,UBND x\xe3,,\n"[..],
            Some(&app.admin),
        )
        .await;
        assert_eq!(latin1.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(latin1.message().contains("UTF-8"), "{}", latin1.json());
        assert_eq!(app.store.units().unwrap(), before);
    }

    #[tokio::test]
    async fn import_wants_csv_up_to_its_own_size_limit() {
        let app = TestServer::new().await;
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

        let wrong_type = app
            .send_bytes(
                "POST",
                "/api/admin/units/import",
                Some(&app.admin),
                "application/json",
                Some(b"{}".to_vec()),
            )
            .await;
        let too_large = import(&app, huge, Some(&app.admin)).await;
        let large = import(&app, large, Some(&app.admin)).await;

        assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(wrong_type.code(), "unsupported_media_type");
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(too_large.code(), "units_file_too_large");
        assert_eq!(large.status, StatusCode::OK, "{}", large.json());
        assert_eq!(large.json()["inserted"], 3000);
    }

    #[tokio::test]
    async fn a_briefing_invites_units_by_code() {
        let app = TestServer::new().await;
        import(&app, UNITS, Some(&app.admin)).await;

        let created = create(
            &app,
            json!({
                "title": "Giao ban CNTT 6 tháng đầu năm",
                "scheduled_start": "2026-12-01 08:00",
                "host_unit": "SO-TTTT",
                "points": ["Phòng họp dự phòng"],
                "units": ["UBND-CUALO", "P-NGHITHUY"],
            }),
        )
        .await;
        let listed = app
            .send("GET", "/api/admin/briefings", Some(&app.admin), None)
            .await;

        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
        let created = created.json();
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
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.json()[0]["links"][2]["unit_code"], "UBND-CUALO");
    }

    #[tokio::test]
    async fn unknown_units_and_a_missing_host_are_422() {
        let app = TestServer::new().await;
        import(&app, UNITS, Some(&app.admin)).await;

        for (body, expected) in [
            (
                json!({"title": "t", "host": "Sở TT&TT", "units": ["UBND-VINH"]}),
                ("unknown_unit", "units"),
            ),
            (
                json!({"title": "t", "host_unit": "KHONG-CO"}),
                ("unknown_unit", "units"),
            ),
            (
                json!({"title": "t", "host": "Sở TT&TT", "host_unit": "SO-TTTT"}),
                ("host_twice", "host"),
            ),
            (
                json!({"title": "t", "units": ["UBND-CUALO"]}),
                ("empty", "host"),
            ),
        ] {
            let answer = create(&app, body.clone()).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(
                answer.problem(),
                (expected.0.to_owned(), expected.1.to_owned()),
                "{}",
                answer.json()
            );
        }
        assert!(app.store.list_briefings().unwrap().is_empty());
    }
}
