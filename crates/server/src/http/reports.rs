//! Unit reports and the host's dashboard of them. See docs/substance.md.
//!
//! The host (or the organiser) reads every report and the dashboard; a point files and reads
//! its own report only. The organiser is no unit and files none. The host sets the period's
//! indicator set, which every member reads to fill its report.

use giaoban_model::{Problem, ProblemCode};
use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use giaoban_store::{
    Aggregate, Dashboard, IndicatorDefinition, NewIndicator, NewIndicatorDefinition, Point, Report,
};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Access;
use super::error::ApiError;
use super::extract::json_body;
use crate::state::AppState;

/// Routes of this part of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/reports", get(list))
        .route(
            "/api/briefings/{id}/reports/{point_id}",
            get(read).put(submit),
        )
        .route("/api/briefings/{id}/dashboard", get(dashboard))
        .route(
            "/api/briefings/{id}/indicators",
            get(indicator_set).put(set_indicator_set),
        )
        .route(
            "/api/briefings/{id}/indicators/previous",
            get(previous_indicator_set),
        )
}

/// `PUT .../indicators`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorSetBody {
    indicators: Vec<DefinitionBody>,
}

/// One indicator of the set as sent: plans are JSON numbers or numeric strings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    measure: Option<String>,
    #[serde(default)]
    aggregate: Option<Aggregate>,
    #[serde(default)]
    plans: BTreeMap<String, Value>,
}

/// `PUT .../reports/{point_id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    #[serde(default)]
    narrative: Option<String>,
    #[serde(default)]
    indicators: Vec<IndicatorBody>,
    /// Save without submitting: a draft may be empty and counts nowhere.
    #[serde(default)]
    draft: bool,
}

/// One indicator as sent: `value` and `plan` are JSON numbers or numeric strings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    measure: Option<String>,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    plan: Value,
}

/// Every report filed, in invitation order.
async fn list(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Vec<Report>>, ApiError> {
    access.require_host()?;
    Ok(Json(state.store.reports(access.id())?))
}

/// One point's report, for the host or that point.
async fn read(
    State(state): State<AppState>,
    access: Access,
    Path((_, point_id)): Path<(String, String)>,
) -> Result<Json<Report>, ApiError> {
    let point = invited_point(&state, &access, &point_id)?;
    if !access.is_host() && access.point().map(|p| &p.id) != Some(&point.id) {
        return Err(ApiError::forbidden(ProblemCode::ReportReaders));
    }
    // A draft is the unit's own until it submits it.
    let mine = access.point().map(|p| &p.id) == Some(&point.id);
    let report = state
        .store
        .report(&point.id)?
        .filter(|r| mine || !r.draft)
        .ok_or_else(|| {
            ApiError::not_found(Problem::new(ProblemCode::NoReport).with("point", &point.name))
        })?;
    Ok(Json(report))
}

/// Files or replaces the caller's own report.
async fn submit(
    State(state): State<AppState>,
    access: Access,
    Path((_, point_id)): Path<(String, String)>,
    body: Result<Json<ReportBody>, JsonRejection>,
) -> Result<Json<Report>, ApiError> {
    let me = access.require_point()?;
    let point = invited_point(&state, &access, &point_id)?;
    if me.id != point.id {
        return Err(ApiError::forbidden(ProblemCode::OwnReportOnly));
    }
    let body = json_body(body)?;
    let indicators: Vec<NewIndicator> = body
        .indicators
        .into_iter()
        .map(|i| NewIndicator {
            name: i.name,
            measure: i.measure.unwrap_or_default(),
            value: number_text(&i.value).unwrap_or_default(),
            plan: number_text(&i.plan),
        })
        .collect();
    let narrative = body.narrative.unwrap_or_default();
    let report = if body.draft {
        state
            .store
            .save_report_draft(&point, &narrative, &indicators)?
    } else {
        state.store.submit_report(&point, &narrative, &indicators)?
    };
    Ok(Json(report))
}

/// The period's indicator set, for every member: units fill their reports from it.
async fn indicator_set(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Vec<IndicatorDefinition>>, ApiError> {
    Ok(Json(state.store.indicator_set(access.id())?))
}

/// Replaces the period's indicator set (host).
async fn set_indicator_set(
    State(state): State<AppState>,
    access: Access,
    body: Result<Json<IndicatorSetBody>, JsonRejection>,
) -> Result<Json<Vec<IndicatorDefinition>>, ApiError> {
    access.require_host()?;
    let body = json_body(body)?;
    let set: Vec<NewIndicatorDefinition> = body
        .indicators
        .into_iter()
        .map(|d| NewIndicatorDefinition {
            name: d.name,
            measure: d.measure.unwrap_or_default(),
            aggregate: d.aggregate,
            plans: d
                .plans
                .iter()
                .filter_map(|(unit, plan)| Some((unit.clone(), number_text(plan)?)))
                .collect(),
        })
        .collect();
    let stored = state.store.set_indicator_set(access.id(), &set)?;
    tracing::debug!(briefing = %access.id(), indicators = stored.len(), "indicator set replaced");
    Ok(Json(stored))
}

/// The set of the previous briefing of the series, for the host to start from; 404
/// `no_previous_set` when no earlier briefing of the series has one.
async fn previous_indicator_set(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Value>, ApiError> {
    access.require_host()?;
    let Some((from, set)) = state.store.previous_indicator_set(access.id())? else {
        return Err(ApiError::not_found(ProblemCode::NoPreviousSet));
    };
    Ok(Json(
        serde_json::json!({ "briefing_id": from.0, "indicators": set }),
    ))
}

/// The dashboard of the briefing's reports.
async fn dashboard(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Dashboard>, ApiError> {
    access.require_host()?;
    Ok(Json(state.store.dashboard(access.id())?))
}

/// The invited point of the path's briefing with this id; 404 if the briefing has none.
fn invited_point(state: &AppState, access: &Access, point_id: &str) -> Result<Point, ApiError> {
    state
        .store
        .points(access.id())?
        .into_iter()
        .find(|p| p.id.0 == point_id)
        .ok_or_else(|| {
            ApiError::not_found(Problem::new(ProblemCode::NoSuchPoint).with("value", point_id))
        })
}

/// A number or numeric string of the body as the text the store parses; `None` for null.
///
/// Any other JSON value is passed on as its JSON text, which the store refuses as "not a
/// number" with the indicator named, like a string that is no number.
fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) => json_number_text(f),
            None => n.to_string(),
        }),
        other => Some(other.to_string()),
    }
}

/// A JSON number in a form the store reads as that number.
///
/// `Display` of an `f64` never uses an exponent and round-trips. The store refuses one
/// separator followed by exactly three digits (`1.125`), since a person may have meant
/// thousands; a JSON number is never meant that way, so such a fraction gets a trailing zero.
fn json_number_text(f: f64) -> String {
    let mut text = f.to_string();
    if text
        .split_once('.')
        .is_some_and(|(_, frac)| frac.len() == 3)
    {
        text.push('0');
    }
    text
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde_json::json;

    use super::*;
    use crate::test_app::TestApp;

    fn body(indicators: Value) -> Option<Value> {
        Some(json!({"narrative": "Báo cáo 6 tháng", "indicators": indicators}))
    }

    #[tokio::test]
    async fn every_report_route_admits_only_its_roles() {
        let app = TestApp::new().await;
        let own = app.path(&format!("/reports/{}", app.cualo_id));

        app.assert_roles("GET", &app.path("/reports"), None, &["admin", "host"])
            .await;
        app.assert_roles("GET", &own, None, &["admin", "host", "point"])
            .await;
        app.assert_roles("PUT", &own, body(json!([])), &["point"])
            .await;
        app.assert_roles("GET", &app.path("/dashboard"), None, &["admin", "host"])
            .await;
    }

    #[tokio::test]
    async fn the_host_sets_the_indicator_set_and_every_member_reads_it() {
        let app = TestApp::new().await;
        let path = app.path("/indicators");
        let set = json!({"indicators": [
            {"name": "Hồ sơ TTHC trực tuyến", "measure": "%", "plans": {"UBND-CUALO": 90, "UBND-NGHILOC": "80,5"}},
            {"name": "Trạm BTS", "measure": "trạm", "aggregate": "sum", "plans": {"UBND-CUALO": null}},
        ]});

        app.assert_roles("GET", &path, None, &["admin", "host", "point", "named"])
            .await;
        app.assert_roles("PUT", &path, Some(set.clone()), &["admin", "host"])
            .await;
        app.assert_roles(
            "GET",
            &app.path("/indicators/previous"),
            None,
            &["admin", "host"],
        )
        .await;
        let stored = app.send("PUT", &path, Some(&app.host), Some(set)).await;
        let read = app.send("GET", &path, Some(&app.cualo), None).await;
        let bad = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(
                    json!({"indicators": [{"name": "A", "plans": {"UBND-CUALO": "85 phần trăm"}}]}),
                ),
            )
            .await;
        let previous = app
            .send(
                "GET",
                &app.path("/indicators/previous"),
                Some(&app.host),
                None,
            )
            .await;
        // Cửa Lò reports on the set without typing the plan.
        let report = app
            .send(
                "PUT",
                &app.path(&format!("/reports/{}", app.cualo_id)),
                Some(&app.cualo),
                Some(json!({"indicators": [{"name": "Hồ sơ TTHC trực tuyến", "measure": "%", "value": 81}]})),
            )
            .await;
        let dashboard = app
            .send("GET", &app.path("/dashboard"), Some(&app.host), None)
            .await;

        assert_eq!(stored.status, StatusCode::OK, "{}", stored.json());
        assert_eq!(
            stored.json(),
            json!([
                {"name": "Hồ sơ TTHC trực tuyến", "measure": "%", "aggregate": "mean",
                 "plans": {"UBND-CUALO": 90.0, "UBND-NGHILOC": 80.5}},
                {"name": "Trạm BTS", "measure": "trạm", "aggregate": "sum", "plans": {}},
            ])
        );
        assert_eq!(read.json(), stored.json());
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            bad.problem(),
            ("not_a_number".to_owned(), "indicators.1.plans".to_owned())
        );
        assert_eq!(bad.json()["error"]["params"]["value"], "85 phần trăm");
        assert_eq!(previous.status, StatusCode::NOT_FOUND);
        assert_eq!(previous.code(), "no_previous_set");
        assert_eq!(report.json()["indicators"][0]["plan"], 90.0);
        assert_eq!(report.json()["indicators"][0]["percent_of_plan"], 90.0);
        let rows = &dashboard.json()["indicators"];
        assert_eq!(rows[0]["defined"], true);
        assert_eq!(rows[1]["name"], "Trạm BTS");
        assert_eq!(rows[0]["percent_of_plan"], 90.0);
    }

    #[tokio::test]
    async fn an_empty_report_is_refused_and_a_draft_is_the_units_own() {
        let app = TestApp::new().await;
        let path = app.path(&format!("/reports/{}", app.cualo_id));
        let put = |body: Value| app.send("PUT", &path, Some(&app.cualo), Some(body));

        let empty = put(json!({"narrative": " ", "indicators": []})).await;
        let draft = put(json!({"narrative": "Đang tổng hợp", "draft": true})).await;
        let host_reads = app.send("GET", &path, Some(&app.host), None).await;
        let unit_reads = app.send("GET", &path, Some(&app.cualo), None).await;
        let dashboard = app
            .send("GET", &app.path("/dashboard"), Some(&app.host), None)
            .await;
        let submitted = put(json!({"narrative": "Báo cáo quý IV"})).await;
        let draft_again = put(json!({"narrative": "Nháp", "draft": true})).await;

        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.message().starts_with("the report is empty"));
        assert_eq!(draft.status, StatusCode::OK, "{}", draft.json());
        assert_eq!(draft.json()["draft"], true);
        assert_eq!(
            host_reads.code(),
            "no_report",
            "the host does not see a draft"
        );
        assert_eq!(unit_reads.json()["narrative"], "Đang tổng hợp");
        assert_eq!(dashboard.json()["submitted"], 0, "a draft is not submitted");
        assert_eq!(submitted.json()["draft"], false);
        assert_eq!(draft_again.status, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn a_unit_writing_another_units_report_is_refused_and_nothing_changes() {
        let app = TestApp::new().await;
        let cualo = app.path(&format!("/reports/{}", app.cualo_id));
        let filed = app
            .send(
                "PUT",
                &cualo,
                Some(&app.cualo),
                body(json!([{"name": "Doanh thu", "measure": "tỷ đồng", "value": 10}])),
            )
            .await;
        assert_eq!(filed.status, StatusCode::OK, "{}", filed.json());

        for token in [&app.nghiloc, &app.host, &app.named, &app.admin] {
            let answer = app
                .send(
                    "PUT",
                    &cualo,
                    Some(token),
                    body(json!([{"name": "Doanh thu", "value": 0}])),
                )
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN);
            assert!(
                ["own_report_only", "point_only"].contains(&answer.code().as_str()),
                "{}",
                answer.json()
            );
        }
        let nghiloc = app
            .send(
                "PUT",
                &cualo,
                Some(&app.nghiloc),
                body(json!([{"name": "Doanh thu", "value": 0}])),
            )
            .await;
        assert_eq!(nghiloc.code(), "own_report_only");
        assert_eq!(nghiloc.message(), "a unit may submit only its own report");

        let read = app.send("GET", &cualo, Some(&app.host), None).await;
        assert_eq!(read.json(), filed.json());
        let other = app.send("GET", &cualo, Some(&app.nghiloc), None).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN, "nor read it");
    }

    #[tokio::test]
    async fn an_admin_may_not_submit_a_report() {
        let app = TestApp::new().await;
        let path = app.path(&format!("/reports/{}", app.nghiloc_id));

        let answer = app
            .send("PUT", &path, Some(&app.admin), body(json!([])))
            .await;

        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.send("GET", &path, Some(&app.admin), None).await.code(),
            "no_report"
        );
    }

    #[tokio::test]
    async fn a_non_numeric_value_is_422_naming_the_indicator() {
        let app = TestApp::new().await;
        let path = app.path(&format!("/reports/{}", app.cualo_id));
        let send = |indicators: Value| app.send("PUT", &path, Some(&app.cualo), body(indicators));

        let abc = send(json!([
            {"name": "Thuê bao", "value": 5},
            {"name": "Doanh thu", "measure": "tỷ đồng", "value": "abc"},
        ]))
        .await;
        let boolean = send(json!([{"name": "Doanh thu", "value": true}])).await;
        let missing = send(json!([{"name": "Doanh thu"}])).await;
        let object = send(json!([{"name": "Doanh thu", "value": 1, "plan": {"a": 1}}])).await;
        let zero_plan = send(json!([{"name": "Doanh thu", "value": 1, "plan": 0}])).await;

        assert_eq!(abc.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            abc.json()["error"],
            json!({"code": "not_a_number", "field": "indicators.2.value",
                   "params": {"value": "abc"},
                   "message": "indicator 2, value: \"abc\" is not a number"})
        );
        for (answer, code, field) in [
            (boolean, "not_a_number", "indicators.1.value"),
            (missing, "not_a_number", "indicators.1.value"),
            (object, "not_a_number", "indicators.1.plan"),
            (zero_plan, "not_positive", "indicators.1.plan"),
        ] {
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                answer.problem(),
                (code.to_owned(), field.to_owned()),
                "{}",
                answer.json()
            );
        }
        let read = app.send("GET", &path, Some(&app.cualo), None).await;
        assert_eq!(read.code(), "no_report", "nothing was stored");
    }

    #[tokio::test]
    async fn json_numbers_and_numeric_strings_are_both_accepted() {
        let app = TestApp::new().await;
        let path = app.path(&format!("/reports/{}", app.cualo_id));

        let answer = app
            .send(
                "PUT",
                &path,
                Some(&app.cualo),
                body(json!([
                    {"name": "Doanh thu", "measure": "tỷ đồng", "value": 1130.5, "plan": 1000},
                    {"name": "Thuê bao", "value": "1 130,5", "plan": "1000"},
                    {"name": "Tỷ lệ", "measure": "%", "value": 1.125, "plan": null},
                    {"name": "Sự cố", "value": -3},
                ])),
            )
            .await;

        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        let report = answer.json();
        assert_eq!(report["point"], "UBND thị xã Cửa Lò");
        assert_eq!(report["unit_code"], "UBND-CUALO");
        assert_eq!(report["narrative"], "Báo cáo 6 tháng");
        assert_eq!(report["on_time"], true);
        let values: Vec<_> = report["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["value"].clone(),
                    i["plan"].clone(),
                    i["percent_of_plan"].clone(),
                )
            })
            .collect();
        assert_eq!(
            values,
            [
                (json!(1130.5), json!(1000.0), json!(113.1)),
                (json!(1130.5), json!(1000.0), json!(113.1)),
                (json!(1.125), Value::Null, Value::Null),
                (json!(-3.0), Value::Null, Value::Null),
            ]
        );
    }

    #[test]
    fn json_numbers_become_text_the_store_reads_back() {
        for (f, text) in [
            (1.125, "1.1250"),
            (-100.5, "-100.5"),
            (1e21, "1000000000000000000000"),
            (0.1, "0.1"),
            (7.0, "7"),
        ] {
            assert_eq!(json_number_text(f), text);
        }
    }

    #[tokio::test]
    async fn an_unknown_point_id_is_404() {
        let app = TestApp::new().await;
        let other_point = app
            .store
            .points(&giaoban_model::BriefingId(app.other_id.clone()))
            .unwrap()
            .remove(1);

        for id in ["khongco", other_point.id.0.as_str()] {
            let path = app.path(&format!("/reports/{id}"));
            let put = app
                .send("PUT", &path, Some(&app.cualo), body(json!([])))
                .await;
            let get = app.send("GET", &path, Some(&app.host), None).await;
            assert_eq!(put.status, StatusCode::NOT_FOUND, "{id}");
            assert_eq!(put.code(), "no_such_point");
            assert_eq!(get.status, StatusCode::NOT_FOUND, "{id}");
            assert_eq!(get.code(), "no_such_point");
        }
    }

    #[tokio::test]
    async fn dashboard_numbers_after_two_units_submit() {
        let app = TestApp::new().await;
        for (token, id, value, plan) in [
            (&app.nghiloc, &app.nghiloc_id, "50", Value::Null),
            (&app.cualo, &app.cualo_id, "100", json!(200)),
        ] {
            let answer = app
                .send(
                    "PUT",
                    &app.path(&format!("/reports/{id}")),
                    Some(token),
                    body(json!([
                        {"name": "Doanh thu", "measure": "tỷ đồng", "value": value, "plan": plan},
                    ])),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        }

        let dashboard = app
            .send("GET", &app.path("/dashboard"), Some(&app.host), None)
            .await
            .json();
        let reports = app
            .send("GET", &app.path("/reports"), Some(&app.admin), None)
            .await
            .json();

        assert_eq!(dashboard["report_deadline"], "2099-06-30T08:00:00+07:00");
        assert_eq!(
            (
                dashboard["submitted"].clone(),
                dashboard["expected"].clone()
            ),
            (json!(2), json!(3))
        );
        let statuses: Vec<_> = dashboard["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["point"].as_str().unwrap(), p["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("Phòng họp dự phòng", "pending"),
                ("UBND thị xã Cửa Lò", "on_time"),
                ("UBND huyện Nghi Lộc", "on_time"),
            ]
        );
        assert_eq!(dashboard["late"], json!([]));
        assert_eq!(dashboard["missing"], json!([]));
        assert_eq!(
            dashboard["indicators"],
            json!([{
                "name": "Doanh thu",
                "measure": "tỷ đồng",
                "aggregate": "sum",
                "defined": false,
                "total_value": 150.0,
                "total_plan": 200.0,
                "percent_of_plan": 50.0,
                "by_point": [
                    {"point": "UBND thị xã Cửa Lò", "value": 100.0, "plan": 200.0,
                     "percent_of_plan": 50.0},
                    {"point": "UBND huyện Nghi Lộc", "value": 50.0, "plan": null,
                     "percent_of_plan": null},
                ],
            }])
        );
        let names: Vec<_> = reports
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["point"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["UBND thị xã Cửa Lò", "UBND huyện Nghi Lộc"]);
    }
}
