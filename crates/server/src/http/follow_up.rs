//! Concerns and proposals, conclusions, and tasks followed up across a series. See
//! docs/substance.md.
//!
//! Every handler takes [`Access`] first and checks the role before it reads the body, so that
//! a caller who may not do a thing gets 403 whatever it sent. Progress reports are the one
//! place where the role depends on the item: the task's owners decide.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use giaoban_model::{Field, ProblemCode};
use giaoban_store::{
    Concern, ConcernKind, Conclusion, Document, NewTask, Task, TaskPatch, TaskState,
};
use serde::{Deserialize, Serialize};

use super::auth::Access;
use super::error::ApiError;
use super::extract::{item_id, json_body, no_item};
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/concerns", get(concerns).post(raise))
        .route(
            "/api/briefings/{id}/concerns/{concern}/answer",
            post(answer),
        )
        .route(
            "/api/briefings/{id}/concerns/{concern}/task",
            post(task_from_concern),
        )
        .route(
            "/api/briefings/{id}/conclusions",
            get(conclusions).post(add_conclusion),
        )
        .route(
            "/api/briefings/{id}/conclusions/{conclusion}",
            delete(delete_conclusion),
        )
        .route("/api/briefings/{id}/tasks", get(tasks).post(create_task))
        .route("/api/briefings/{id}/tasks/{task}", patch(update_task))
        .route(
            "/api/briefings/{id}/tasks/{task}/progress",
            post(report_progress),
        )
}

/// A task as the API shows it: with the progress documents attached to it.
#[derive(Serialize)]
struct TaskJson {
    #[serde(flatten)]
    task: Task,
    documents: Vec<Document>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcernBody {
    kind: ConcernKind,
    text: String,
    #[serde(default)]
    agenda_item_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcernTaskBody {
    #[serde(default)]
    text: Option<String>,
    owners: Vec<String>,
    #[serde(default)]
    lead: Option<String>,
    deadline: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConclusionBody {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskBody {
    text: String,
    owners: Vec<String>,
    #[serde(default)]
    lead: Option<String>,
    deadline: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressBody {
    status: TaskState,
    #[serde(default)]
    note: String,
}

/// The briefing's id and the id of an item of it, as in the path.
type ItemPath = Result<Path<(String, String)>, PathRejection>;

async fn concerns(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<Concern>>, ApiError> {
    Ok(Json(state.store.concerns(access.id())?))
}

async fn raise(
    access: Access,
    State(state): State<AppState>,
    body: Result<Json<ConcernBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Concern>), ApiError> {
    let point = access.require_point()?;
    let body = json_body(body)?;
    let concern = state
        .store
        .raise_concern(point, body.kind, &body.text, body.agenda_item_id)?;
    tracing::debug!(briefing = %access.id(), concern = concern.id, "concern raised");
    Ok((StatusCode::CREATED, Json(concern)))
}

async fn answer(
    access: Access,
    State(state): State<AppState>,
    path: ItemPath,
    body: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Json<Concern>, ApiError> {
    access.require_host()?;
    let id = item_id(path, Field::Concern)?;
    let body = json_body(body)?;
    Ok(Json(state.store.answer_concern(
        access.id(),
        id,
        &body.answer,
    )?))
}

async fn task_from_concern(
    access: Access,
    State(state): State<AppState>,
    path: ItemPath,
    body: Result<Json<ConcernTaskBody>, JsonRejection>,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    access.require_host()?;
    let id = item_id(path, Field::Concern)?;
    let body = json_body(body)?;
    let task = state.store.task_from_concern(
        access.id(),
        id,
        body.text.as_deref(),
        &body.owners,
        body.lead.as_deref(),
        &body.deadline,
    )?;
    tracing::debug!(briefing = %access.id(), concern = id, task = task.id, "task made of a concern");
    Ok((StatusCode::CREATED, Json(with_documents(&state, task)?)))
}

async fn conclusions(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<Conclusion>>, ApiError> {
    Ok(Json(state.store.conclusions(access.id())?))
}

async fn add_conclusion(
    access: Access,
    State(state): State<AppState>,
    body: Result<Json<ConclusionBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Conclusion>), ApiError> {
    access.require_host()?;
    let body = json_body(body)?;
    let conclusion = state.store.add_conclusion(access.id(), &body.text)?;
    Ok((StatusCode::CREATED, Json(conclusion)))
}

async fn delete_conclusion(
    access: Access,
    State(state): State<AppState>,
    path: ItemPath,
) -> Result<StatusCode, ApiError> {
    access.require_host()?;
    let id = item_id(path, Field::Conclusion)?;
    state.store.delete_conclusion(access.id(), id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tasks(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<TaskJson>>, ApiError> {
    let tasks = state.store.tasks(access.id())?;
    let tasks = tasks
        .into_iter()
        .map(|task| with_documents(&state, task))
        .collect::<Result<_, _>>()?;
    Ok(Json(tasks))
}

async fn create_task(
    access: Access,
    State(state): State<AppState>,
    body: Result<Json<TaskBody>, JsonRejection>,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    access.require_host()?;
    let body = json_body(body)?;
    let task = state.store.create_task(
        access.id(),
        &NewTask {
            text: body.text,
            owners: body.owners,
            lead: body.lead,
            deadline: body.deadline,
        },
    )?;
    tracing::debug!(briefing = %access.id(), task = task.id, "task created");
    Ok((StatusCode::CREATED, Json(with_documents(&state, task)?)))
}

async fn update_task(
    access: Access,
    State(state): State<AppState>,
    path: ItemPath,
    body: Result<Json<TaskPatch>, JsonRejection>,
) -> Result<Json<TaskJson>, ApiError> {
    access.require_host()?;
    let id = item_id(path, Field::Task)?;
    let patch = json_body(body)?;
    let task = state.store.update_task(access.id(), id, &patch)?;
    tracing::debug!(briefing = %access.id(), task = id, "task changed");
    Ok(Json(with_documents(&state, task)?))
}

/// A progress report, by the host (or the organiser) or a point whose unit owns the task.
async fn report_progress(
    access: Access,
    State(state): State<AppState>,
    path: ItemPath,
    body: Result<Json<ProgressBody>, JsonRejection>,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    let id = item_id(path, Field::Task)?;
    let task = state
        .store
        .visible_task(access.id(), id)?
        .ok_or_else(|| no_item(Field::Task, id))?;
    if !access.may_work_on(&task) {
        return Err(ApiError::forbidden(ProblemCode::TaskOwnersOnly));
    }
    let body = json_body(body)?;
    let task =
        state
            .store
            .report_progress(access.id(), id, access.point(), body.status, &body.note)?;
    tracing::debug!(
        briefing = %access.id(),
        task = id,
        status = body.status.as_str(),
        "task progress reported"
    );
    Ok((StatusCode::CREATED, Json(with_documents(&state, task)?)))
}

fn with_documents(state: &AppState, task: Task) -> Result<TaskJson, ApiError> {
    let documents = state.store.documents_of_task(task.id)?;
    Ok(TaskJson { task, documents })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use giaoban_store::{NewBriefing, NewDocument};
    use serde_json::{Value, json};

    use crate::test_app::TestApp;

    const LATER: &str = "2099-12-31";

    /// A task of the test briefing owned by `owners`, made by its host.
    async fn task(app: &TestApp, owners: &[&str]) -> Value {
        let answer = app
            .send(
                "POST",
                &app.path("/tasks"),
                Some(&app.host),
                Some(json!({
                    "text": "Triển khai chữ ký số",
                    "owners": owners,
                    "lead": owners.first(),
                    "deadline": LATER
                })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
        answer.json()
    }

    async fn concern(app: &TestApp, token: &str) -> Value {
        let answer = app
            .send(
                "POST",
                &app.path("/concerns"),
                Some(token),
                Some(json!({"kind": "concern", "text": "Đường truyền chập chờn"})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
        answer.json()
    }

    #[tokio::test]
    async fn concern_endpoints_admit_their_roles() {
        let app = TestApp::new().await;
        let c = concern(&app, &app.cualo).await["id"].clone();

        app.assert_roles(
            "GET",
            &app.path("/concerns"),
            None,
            &["admin", "host", "point", "named"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path("/concerns"),
            Some(json!({"kind": "proposal", "text": "Đề xuất"})),
            &["host", "point", "named"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path(&format!("/concerns/{c}/answer")),
            Some(json!({"answer": "Sở sẽ hỗ trợ"})),
            &["admin", "host"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path(&format!("/concerns/{c}/task")),
            Some(json!({"owners": ["UBND-CUALO"], "deadline": LATER})),
            &["admin", "host"],
        )
        .await;
    }

    #[tokio::test]
    async fn conclusion_endpoints_admit_their_roles() {
        let app = TestApp::new().await;
        let added = app
            .send(
                "POST",
                &app.path("/conclusions"),
                Some(&app.host),
                Some(json!({"text": "Hoàn thành trước 31/12"})),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.json());

        app.assert_roles(
            "GET",
            &app.path("/conclusions"),
            None,
            &["admin", "host", "point", "named"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path("/conclusions"),
            Some(json!({"text": "Kết luận"})),
            &["admin", "host"],
        )
        .await;
        app.assert_roles(
            "DELETE",
            &app.path(&format!("/conclusions/{}", added.json()["id"])),
            None,
            &["admin", "host"],
        )
        .await;
    }

    #[tokio::test]
    async fn task_endpoints_admit_their_roles() {
        let app = TestApp::new().await;
        let t = task(&app, &["UBND-CUALO"]).await["id"].clone();

        app.assert_roles(
            "GET",
            &app.path("/tasks"),
            None,
            &["admin", "host", "point", "named"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path("/tasks"),
            Some(json!({"text": "Việc", "owners": ["UBND-NGHILOC"], "deadline": LATER})),
            &["admin", "host"],
        )
        .await;
        app.assert_roles(
            "PATCH",
            &app.path(&format!("/tasks/{t}")),
            Some(json!({"status": "in_progress"})),
            &["admin", "host"],
        )
        .await;
        app.assert_roles(
            "POST",
            &app.path(&format!("/tasks/{t}/progress")),
            Some(json!({"status": "in_progress", "note": "Đã khảo sát"})),
            &["admin", "host", "point"],
        )
        .await;
    }

    #[tokio::test]
    async fn a_point_without_a_unit_raises_a_concern_and_the_host_answers() {
        let app = TestApp::new().await;

        let raised = concern(&app, &app.named).await;
        let by_admin = app
            .send(
                "POST",
                &app.path("/concerns"),
                Some(&app.admin),
                Some(json!({"kind": "concern", "text": "Câu hỏi"})),
            )
            .await;
        let answered = app
            .send(
                "POST",
                &app.path(&format!("/concerns/{}/answer", raised["id"])),
                Some(&app.host),
                Some(json!({"answer": "Đã nâng cấp"})),
            )
            .await;
        let list = app
            .send("GET", &app.path("/concerns"), Some(&app.cualo), None)
            .await;

        assert_eq!(raised["point"], "Phòng họp dự phòng");
        assert_eq!(raised["unit_code"], Value::Null);
        assert_eq!(raised["kind"], "concern");
        assert_eq!(raised["agenda_item_id"], Value::Null);
        assert_eq!(raised["answer"], Value::Null);
        assert_eq!(raised["task_id"], Value::Null);
        assert_eq!(by_admin.status, StatusCode::FORBIDDEN);
        assert_eq!(answered.status, StatusCode::OK);
        assert_eq!(answered.json()["answer"], "Đã nâng cấp");
        assert!(answered.json()["answered_at"].is_string());
        assert_eq!(list.json(), json!([answered.json()]));
    }

    #[tokio::test]
    async fn a_concern_becomes_one_task() {
        let app = TestApp::new().await;
        let raised = concern(&app, &app.cualo).await;
        let path = app.path(&format!("/concerns/{}/task", raised["id"]));
        let body = json!({"owners": ["UBND-CUALO", "UBND-NGHILOC"], "lead": "UBND-NGHILOC", "deadline": LATER});
        let without_lead = app
            .send(
                "POST",
                &path,
                Some(&app.host),
                Some(json!({"owners": ["UBND-CUALO", "UBND-NGHILOC"], "deadline": LATER})),
            )
            .await;

        let made = app
            .send("POST", &path, Some(&app.host), Some(body.clone()))
            .await;
        let again = app.send("POST", &path, Some(&app.host), Some(body)).await;
        let list = app
            .send("GET", &app.path("/concerns"), Some(&app.host), None)
            .await;

        assert_eq!(without_lead.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            without_lead.message().starts_with("lead: "),
            "{}",
            without_lead.message()
        );
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.json());
        let made = made.json();
        assert_eq!(
            made["owners"],
            json!([
                {"code": "UBND-NGHILOC", "name": "UBND huyện Nghi Lộc", "lead": true},
                {"code": "UBND-CUALO", "name": "UBND thị xã Cửa Lò", "lead": false},
            ]),
            "the lead unit chosen, then the unit that assists"
        );
        assert_eq!(made["text"], "Đường truyền chập chờn");
        assert_eq!(made["concern_id"], raised["id"]);
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.code(), "already_task");
        assert_eq!(list.json()[0]["task_id"], made["id"]);
        for missing in ["/concerns/9999/task", "/concerns/abc/task"] {
            let answer = app
                .send(
                    "POST",
                    &app.path(missing),
                    Some(&app.host),
                    Some(json!({"owners": ["UBND-CUALO"], "deadline": LATER})),
                )
                .await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
        }
    }

    #[tokio::test]
    async fn conclusions_are_added_listed_and_deleted() {
        let app = TestApp::new().await;
        let path = app.path("/conclusions");
        let add = |text: &'static str| {
            app.send(
                "POST",
                &path,
                Some(&app.host),
                Some(json!({ "text": text })),
            )
        };

        let first = add("Hoàn thành trước 31/12").await.json();
        let second = add("Báo cáo hằng tháng").await.json();
        let empty = add(" ").await;
        let deleted = app
            .send(
                "DELETE",
                &app.path(&format!("/conclusions/{}", first["id"])),
                Some(&app.admin),
                None,
            )
            .await;
        let deleted_again = app
            .send(
                "DELETE",
                &app.path(&format!("/conclusions/{}", first["id"])),
                Some(&app.host),
                None,
            )
            .await;
        let list = app
            .send("GET", &app.path("/conclusions"), Some(&app.named), None)
            .await;

        assert_eq!(first["text"], "Hoàn thành trước 31/12");
        assert!(first["created_at"].is_string());
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(empty.problem(), ("empty".to_owned(), "text".to_owned()));
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(deleted_again.status, StatusCode::NOT_FOUND);
        assert_eq!(list.json(), json!([second]));
    }

    #[tokio::test]
    async fn a_task_shows_its_owners_progress_and_documents() {
        let app = TestApp::new().await;
        let created = task(&app, &["UBND-CUALO", "UBND-NGHILOC"]).await;
        let id = created["id"].as_i64().unwrap();
        app.store
            .add_document(
                &app.briefing_id(),
                &NewDocument {
                    file_name: "tien-do.pdf",
                    content: b"%PDF-1.4\n%%EOF\n",
                    agenda_item_id: None,
                    task_id: Some(id),
                    uploaded_by: None,
                },
            )
            .unwrap();

        let list = app
            .send("GET", &app.path("/tasks"), Some(&app.nghiloc), None)
            .await
            .json();

        assert_eq!(created["briefing_id"], app.id.as_str());
        assert_eq!(
            created["briefing_title"],
            "Giao ban CNTT 6 tháng đầu năm 2026"
        );
        assert_eq!(created["carried_over"], false);
        assert_eq!(
            created["owners"],
            json!([
                {"code": "UBND-CUALO", "name": "UBND thị xã Cửa Lò", "lead": true},
                {"code": "UBND-NGHILOC", "name": "UBND huyện Nghi Lộc", "lead": false},
            ])
        );
        assert_eq!(created["deadline"], LATER);
        assert_eq!(created["status"], "open");
        assert_eq!(created["done_at"], Value::Null);
        assert_eq!(created["concern_id"], Value::Null);
        assert_eq!(created["progress"], json!([]));
        assert_eq!(created["documents"], json!([]));
        let shown = &list[0];
        assert_eq!(shown["id"], id);
        assert_eq!(shown["documents"][0]["file_name"], "tien-do.pdf");
        assert_eq!(shown["documents"][0]["task_id"], id);
    }

    #[tokio::test]
    async fn only_an_owner_unit_or_the_host_reports_progress() {
        let app = TestApp::new().await;
        let t = task(&app, &["UBND-CUALO"]).await["id"].clone();
        let path = app.path(&format!("/tasks/{t}/progress"));
        let report = |token, status: &str| {
            app.send(
                "POST",
                &path,
                Some(token),
                Some(json!({"status": status, "note": "Đã xong 50%"})),
            )
        };

        let by_other_unit = report(app.nghiloc.as_str(), "done").await;
        let by_owner = report(app.cualo.as_str(), "in_progress").await;
        let done = report(app.host.as_str(), "done").await;
        let unknown = app
            .send(
                "POST",
                &app.path("/tasks/9999/progress"),
                Some(&app.cualo),
                Some(json!({"status": "done", "note": ""})),
            )
            .await;

        assert_eq!(by_other_unit.status, StatusCode::FORBIDDEN);
        assert_eq!(
            by_other_unit.message(),
            "only an owner unit or the host may report progress on this task"
        );
        assert_eq!(by_owner.status, StatusCode::CREATED, "{}", by_owner.json());
        let by_owner = by_owner.json();
        assert_eq!(by_owner["status"], "in_progress");
        assert_eq!(by_owner["progress"][0]["point"], "UBND thị xã Cửa Lò");
        assert_eq!(by_owner["progress"][0]["unit_code"], "UBND-CUALO");
        assert_eq!(by_owner["progress"][0]["note"], "Đã xong 50%");
        let done = done.json();
        assert_eq!(done["status"], "done");
        assert!(done["done_at"].is_string());
        assert_eq!(done["progress"][1]["unit_code"], "SO-TTTT");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn bad_task_values_are_422_naming_the_field() {
        let app = TestApp::new().await;
        let t = task(&app, &["UBND-CUALO"]).await["id"].clone();

        for (method, rest, body, code, field) in [
            (
                "POST",
                "/tasks".to_owned(),
                json!({"text": "Việc", "owners": ["UBND-CUALO", "KHONG-CO"], "deadline": LATER}),
                "unknown_unit",
                "owners.2",
            ),
            (
                "POST",
                "/tasks".to_owned(),
                json!({"text": "Việc", "owners": ["UBND-CUALO"], "deadline": "2020-01-01"}),
                "in_the_past",
                "deadline",
            ),
            (
                "POST",
                "/tasks".to_owned(),
                json!({"text": "Việc", "deadline": LATER}),
                "bad_body",
                "",
            ),
            (
                "PATCH",
                format!("/tasks/{t}"),
                json!({"deadline": "01/01/2020"}),
                "in_the_past",
                "deadline",
            ),
            (
                "PATCH",
                format!("/tasks/{t}"),
                json!({"deadline": "12/31/2030"}),
                "not_a_day",
                "deadline",
            ),
            (
                "PATCH",
                format!("/tasks/{t}"),
                json!({"state": "done"}),
                "bad_body",
                "",
            ),
            (
                "PATCH",
                format!("/tasks/{t}"),
                json!({"status": "overdue"}),
                "bad_body",
                "",
            ),
            (
                "POST",
                format!("/tasks/{t}/progress"),
                json!({"status": "finished", "note": ""}),
                "bad_body",
                "",
            ),
        ] {
            let answer = app
                .send(
                    method,
                    &app.path(&rest),
                    Some(&app.host),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {rest} {body}"
            );
            assert_eq!(
                answer.problem(),
                (code.to_owned(), field.to_owned()),
                "{method} {rest} {body}: {}",
                answer.json()
            );
        }
        let past = app
            .send(
                "PATCH",
                &app.path(&format!("/tasks/{t}")),
                Some(&app.host),
                Some(json!({"deadline": "1/1/2020"})),
            )
            .await;
        assert_eq!(
            past.json()["error"],
            json!({"code": "in_the_past", "field": "deadline",
                   "params": {"value": "2020-01-01"},
                   "message": "deadline: \"2020-01-01\" is in the past"}),
            "the date as the store read it"
        );
        let unknown = app
            .send(
                "PATCH",
                &app.path("/tasks/9999"),
                Some(&app.host),
                Some(json!({"status": "done"})),
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_carried_task_is_worked_on_from_the_next_briefing() {
        let app = TestApp::new().await;
        let next = app
            .store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT cả năm 2026".into(),
                scheduled_start: Some("2099-12-20T09:00:00+07:00".into()),
                host_unit: Some("SO-TTTT".into()),
                units: vec!["UBND-CUALO".into()],
                series: Some("cntt".into()),
                ..NewBriefing::default()
            })
            .unwrap();
        let points = app.store.points(&next.id).unwrap();
        let next_host = app.store.token_for(&points[0]);
        let next_cualo = app.store.token_for(&points[1]);
        let next_path = |rest: &str| format!("/api/briefings/{}{rest}", next.id);
        let t = task(&app, &["UBND-CUALO"]).await["id"].clone();

        let reported = app
            .send(
                "POST",
                &next_path(&format!("/tasks/{t}/progress")),
                Some(&next_cualo),
                Some(json!({"status": "in_progress", "note": "Đang triển khai"})),
            )
            .await;
        let patched = app
            .send(
                "PATCH",
                &next_path(&format!("/tasks/{t}")),
                Some(&next_host),
                Some(json!({"deadline": "2099-12-30"})),
            )
            .await;
        let listed = app
            .send("GET", &next_path("/tasks"), Some(&next_cualo), None)
            .await;
        let own = app
            .send(
                "POST",
                &next_path("/tasks"),
                Some(&next_host),
                Some(json!({"text": "Việc mới", "owners": ["UBND-CUALO"], "deadline": LATER})),
            )
            .await;
        let backwards = app
            .send(
                "PATCH",
                &app.path(&format!("/tasks/{}", own.json()["id"])),
                Some(&app.host),
                Some(json!({"status": "done"})),
            )
            .await;

        assert_eq!(reported.status, StatusCode::CREATED, "{}", reported.json());
        let reported = reported.json();
        assert_eq!(reported["carried_over"], true);
        assert_eq!(reported["briefing_id"], app.id.as_str());
        assert_eq!(reported["status"], "in_progress");
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.json());
        assert_eq!(patched.json()["deadline"], "2099-12-30");
        assert_eq!(listed.json()[0]["id"], t);
        assert_eq!(listed.json()[0]["carried_over"], true);
        assert_eq!(backwards.status, StatusCode::NOT_FOUND);
    }
}
