//! The agenda of a briefing: every member reads it, the host replaces it. See
//! docs/substance.md, section Agenda.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::get;
use axum::{Json, Router};
use giaoban_store::{AgendaItem, NewAgendaItem};
use serde::Deserialize;

use super::auth::Access;
use super::error::ApiError;
use super::extract::json_body;
use crate::state::AppState;

/// Routes of this part of the API.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/briefings/{id}/agenda", get(agenda).put(set_agenda))
}

/// The body of `PUT .../agenda`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetAgenda {
    items: Vec<NewAgendaItem>,
}

/// The agenda in order.
async fn agenda(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<AgendaItem>>, ApiError> {
    Ok(Json(state.store.agenda(access.id())?))
}

/// Replaces the agenda with the items in the body, in their order.
async fn set_agenda(
    access: Access,
    State(state): State<AppState>,
    body: Result<Json<SetAgenda>, JsonRejection>,
) -> Result<Json<Vec<AgendaItem>>, ApiError> {
    access.require_host()?;
    let body = json_body(body)?;
    let agenda = state.store.set_agenda(access.id(), &body.items)?;
    tracing::debug!(briefing = %access.id(), items = agenda.len(), "agenda set");
    Ok(Json(agenda))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};

    use crate::test_app::TestApp;

    fn titles(agenda: &Value) -> Vec<&str> {
        agenda
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["title"].as_str().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn every_member_reads_the_agenda_and_only_the_host_sets_it() {
        let app = TestApp::new().await;
        let path = app.path("/agenda");
        let body = json!({"items": [{"title": "Khai mạc"}]});

        app.assert_roles("GET", &path, None, &["admin", "host", "point", "named"])
            .await;
        app.assert_roles("PUT", &path, Some(body), &["admin", "host"])
            .await;

        let refused = app
            .send(
                "PUT",
                &path,
                Some(&app.cualo),
                Some(json!({"items": [{"title": "Của Cửa Lò"}]})),
            )
            .await;
        assert_eq!(refused.code(), "host_or_organiser_only");
        assert!(
            refused.message().contains("only the host"),
            "{}",
            refused.json()
        );
        app.store
            .revoke_point(&app.briefing_id(), "UBND huyện Nghi Lộc")
            .unwrap();
        let revoked = app.send("GET", &path, Some(&app.nghiloc), None).await;
        assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
        assert_eq!(revoked.code(), "revoked_token");
        let read = app.send("GET", &path, Some(&app.named), None).await;
        assert_eq!(titles(&read.json()), ["Khai mạc"]);
    }

    #[tokio::test]
    async fn the_host_replaces_the_agenda_keeping_ids() {
        let app = TestApp::new().await;
        let path = app.path("/agenda");

        let first = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(json!({"items": [
                    {"title": "Khai mạc", "presenter": "Giám đốc Sở", "duration_minutes": 10},
                    {"title": "Báo cáo của các đơn vị"},
                    {"title": "Kết luận"},
                ]})),
            )
            .await;
        let first = first.json();
        let (opening, reports) = (&first[0]["id"], &first[1]["id"]);
        let second = app
            .send(
                "PUT",
                &path,
                Some(&app.admin),
                Some(json!({"items": [
                    {"id": reports, "title": "Báo cáo của các đơn vị", "presenter": null},
                    {"id": opening, "title": "Khai mạc", "presenter": "Phó Giám đốc Sở",
                     "duration_minutes": 5},
                ]})),
            )
            .await;
        let read = app.send("GET", &path, Some(&app.cualo), None).await;

        assert_eq!(
            first[0],
            json!({"id": opening, "position": 1, "title": "Khai mạc",
                   "presenter": "Giám đốc Sở", "duration_minutes": 10})
        );
        assert_eq!(second.status, StatusCode::OK, "{}", second.json());
        assert_eq!(
            second.json(),
            json!([
                {"id": reports, "position": 1, "title": "Báo cáo của các đơn vị",
                 "presenter": null, "duration_minutes": null},
                {"id": opening, "position": 2, "title": "Khai mạc",
                 "presenter": "Phó Giám đốc Sở", "duration_minutes": 5},
            ])
        );
        assert_eq!(read.json(), second.json());
    }

    #[tokio::test]
    async fn bad_agendas_are_422_and_change_nothing() {
        let app = TestApp::new().await;
        let path = app.path("/agenda");
        let before = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(json!({"items": [{"title": "Khai mạc"}]})),
            )
            .await
            .json();
        let foreign = app
            .send(
                "PUT",
                &format!("/api/briefings/{}/agenda", app.other_id),
                Some(&app.other_host),
                Some(json!({"items": [{"title": "Khai mạc"}]})),
            )
            .await
            .json()[0]["id"]
            .clone();
        let hundred_and_one: Vec<Value> = (0..101)
            .map(|i| json!({"title": format!("Mục {i}")}))
            .collect();

        for (body, code, field) in [
            (
                json!({"items": [{"title": "A"}, {"title": ""}]}),
                "empty",
                "agenda.2.title",
            ),
            (
                json!({"items": [{"title": "ả".repeat(301)}]}),
                "too_long",
                "agenda.1.title",
            ),
            (
                json!({"items": [{"title": "A", "presenter": "ả".repeat(201)}]}),
                "too_long",
                "agenda.1.presenter",
            ),
            (
                json!({"items": [{"title": "A", "duration_minutes": 601}]}),
                "out_of_range",
                "agenda.1.duration_minutes",
            ),
            (
                json!({"items": [{"title": "A", "duration_minutes": 0}]}),
                "out_of_range",
                "agenda.1.duration_minutes",
            ),
            (
                json!({"items": [{"id": foreign, "title": "A"}]}),
                "not_on_agenda",
                "agenda.1.id",
            ),
            (json!({"items": hundred_and_one}), "too_many", "agenda"),
            (
                json!({"items": [{"title": "A", "note": "?"}]}),
                "bad_body",
                "",
            ),
            (
                json!({"items": [{"title": "A", "duration_minutes": "10"}]}),
                "bad_body",
                "",
            ),
            (json!({"agenda": []}), "bad_body", ""),
        ] {
            let answer = app
                .send("PUT", &path, Some(&app.host), Some(body.clone()))
                .await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(
                answer.problem(),
                (code.to_owned(), field.to_owned()),
                "{body}: {}",
                answer.message()
            );
        }
        let not_json = app
            .send_bytes(
                "PUT",
                &path,
                Some(&app.host),
                "application/json",
                Some(b"{".to_vec()),
            )
            .await;
        assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
        let read = app.send("GET", &path, Some(&app.host), None).await;
        assert_eq!(read.json(), before);
    }

    #[tokio::test]
    async fn a_body_over_256_kib_is_413_too_large_whether_declared_or_not() {
        let app = TestApp::new().await;
        let path = app.path("/agenda");
        let body = json!({"items": [{"title": "a".repeat(256 * 1024)}]}).to_string();
        let declared = Request::put(&path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.host))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body.clone()))
            .unwrap();

        let declared = app.send_request(declared).await;
        let streamed = app
            .send_bytes(
                "PUT",
                &path,
                Some(&app.host),
                "application/json",
                Some(body.into_bytes()),
            )
            .await;

        for answer in [declared, streamed] {
            assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(
                answer.json(),
                json!({"error": {"code": "too_large",
                                 "params": {"max": 256},
                                 "message": "a request body is at most 256 KiB"}})
            );
        }
    }
}
