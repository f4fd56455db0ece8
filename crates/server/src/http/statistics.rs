//! Participation statistics of the units, as JSON or as a CSV file. See docs/substance.md.
//!
//! The organiser sees every unit; the host of a briefing sees the units invited to it, with
//! their figures across all briefings.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use giaoban_store::{UnitStatistics, statistics_csv};

use super::auth::Access;
use super::auth::AdminAuth;
use super::error::ApiError;
use super::extract::query;
use super::extract::{Format, FormatQuery, csv_file};
use crate::state::AppState;

/// File name of the CSV download.
const CSV_FILE_NAME: &str = "thong-ke-tham-gia.csv";

/// Routes of this part of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/statistics", get(all_units))
        .route("/api/briefings/{id}/statistics", get(invited_units))
}

/// Every unit, for the organiser.
async fn all_units(
    _: AdminAuth,
    State(state): State<AppState>,
    format: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let format = query(format)?.format()?;
    Ok(answer(&state.store.unit_statistics(None)?, format))
}

/// The units invited to the briefing, for its host or the organiser.
async fn invited_units(
    State(state): State<AppState>,
    access: Access,
    format: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    access.require_host()?;
    let format = query(format)?.format()?;
    Ok(answer(
        &state.store.unit_statistics(Some(access.id()))?,
        format,
    ))
}

fn answer(rows: &[UnitStatistics], format: Format) -> Response {
    match format {
        Format::Json => Json(rows).into_response(),
        Format::Csv => csv_file(CSV_FILE_NAME, statistics_csv(rows)),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{StatusCode, header};
    use giaoban_store::NewBriefing;
    use serde_json::{Value, json};

    use crate::clock::unix_now;
    use crate::test_app::TestApp;

    const HEADER: &str = "\u{feff}Mã đơn vị,Đơn vị,Số cuộc được mời,Số cuộc tham dự,\
        Tỷ lệ tham dự (%),Báo cáo phải nộp,Báo cáo đúng hạn,Nhiệm vụ được giao,\
        Nhiệm vụ hoàn thành,Hoàn thành đúng hạn,Vướng mắc nêu,Đề xuất nêu\r\n";

    /// A briefing that took place, to which Cửa Lò came and Nghi Lộc did not.
    fn past_briefing(app: &TestApp) {
        let past = app
            .store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT quý III".into(),
                scheduled_start: Some("2026-09-30 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                ..NewBriefing::default()
            })
            .unwrap();
        let points = app.store.points(&past.id).unwrap();
        app.store
            .record_join(&past.id, &points[1].id, unix_now() * 1000)
            .unwrap();
    }

    #[tokio::test]
    async fn the_briefing_statistics_are_for_its_host_and_the_organiser() {
        let app = TestApp::new().await;

        for path in [app.path("/statistics"), app.path("/statistics?format=csv")] {
            app.assert_roles("GET", &path, None, &["admin", "host"])
                .await;
        }
    }

    #[tokio::test]
    async fn the_statistics_of_all_units_are_for_the_organiser_only() {
        let app = TestApp::new().await;

        for token in [
            None,
            Some("x.y"),
            Some(app.host.as_str()),
            Some(app.cualo.as_str()),
        ] {
            let answer = app.send("GET", "/api/admin/statistics", token, None).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token:?}");
        }
        let admin = app
            .send("GET", "/api/admin/statistics", Some(&app.admin), None)
            .await;
        assert_eq!(admin.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn statistics_as_json() {
        let app = TestApp::new().await;
        past_briefing(&app);

        let all = app
            .send("GET", "/api/admin/statistics", Some(&app.admin), None)
            .await
            .json();
        let invited = app
            .send("GET", &app.path("/statistics"), Some(&app.host), None)
            .await
            .json();

        let codes: Vec<_> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["unit_code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "P-NGHITHUY",
                "SO-TTTT",
                "TINH-NA",
                "UBND-CUALO",
                "UBND-NGHILOC"
            ]
        );
        assert_eq!(
            invited,
            json!([
                {"unit_code": "UBND-CUALO", "unit": "UBND thị xã Cửa Lò",
                 "briefings_invited": 1, "briefings_attended": 1, "attendance_rate": 1.0,
                 "reports_due": 1, "reports_on_time": 0, "tasks_owned": 0, "tasks_done": 0,
                 "tasks_done_on_time": 0, "concerns_raised": 0, "proposals_raised": 0},
                {"unit_code": "UBND-NGHILOC", "unit": "UBND huyện Nghi Lộc",
                 "briefings_invited": 1, "briefings_attended": 0, "attendance_rate": 0.0,
                 "reports_due": 1, "reports_on_time": 0, "tasks_owned": 0, "tasks_done": 0,
                 "tasks_done_on_time": 0, "concerns_raised": 0, "proposals_raised": 0},
            ])
        );
        assert_eq!(all[3], invited[0]);
        assert_eq!(
            all[1]["attendance_rate"],
            Value::Null,
            "the host is not invited"
        );
    }

    #[tokio::test]
    async fn statistics_as_csv() {
        let app = TestApp::new().await;
        past_briefing(&app);

        for (path, token) in [
            ("/api/admin/statistics?format=csv".to_owned(), &app.admin),
            (app.path("/statistics?format=csv"), &app.host),
        ] {
            let answer = app.send("GET", &path, Some(token), None).await;

            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert_eq!(
                answer.headers[header::CONTENT_TYPE],
                "text/csv; charset=utf-8"
            );
            assert_eq!(
                answer.headers[header::CONTENT_DISPOSITION],
                "attachment; filename=\"thong-ke-tham-gia.csv\""
            );
            let csv = std::str::from_utf8(&answer.bytes).unwrap();
            assert!(csv.starts_with(HEADER), "{csv}");
            assert!(
                csv.contains("\r\nUBND-CUALO,UBND thị xã Cửa Lò,1,1,100.0,1,0,0,0,0,0,0\r\n"),
                "{csv}"
            );
        }
    }

    #[tokio::test]
    async fn an_unknown_format_is_422() {
        let app = TestApp::new().await;

        for (path, token) in [
            ("/api/admin/statistics?format=xlsx".to_owned(), &app.admin),
            (app.path("/statistics?format=xlsx"), &app.host),
        ] {
            let answer = app.send("GET", &path, Some(token), None).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            assert_eq!(answer.code(), "bad_format");
        }
    }
}
