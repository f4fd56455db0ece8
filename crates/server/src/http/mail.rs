//! The mail API of a briefing: send the invitations, read the mail log. See docs/http.md.
//!
//! Both take the host link of the briefing or an admin session.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::ProblemCode;
use giaoban_store::MailRecord;

use super::auth::Access;
use super::error::ApiError;
use crate::mail::Mailer;
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/invitations", post(invitations))
        .route("/api/briefings/{id}/mail", get(mail_log))
}

/// The mailer; 409 `mail_not_configured` when no SMTP server is configured.
pub(crate) fn mailer(state: &AppState) -> Result<&Mailer, ApiError> {
    state
        .mailer
        .as_deref()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, ProblemCode::MailNotConfigured))
}

/// Queues an invitation to every official address of every invited unit; answers before
/// anything is sent.
async fn invitations(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    access.require_host()?;
    let queued = mailer(&state)?.invite(access.id())?;
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

/// The briefing's mail log, oldest first.
async fn mail_log(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Vec<MailRecord>>, ApiError> {
    access.require_host()?;
    Ok(Json(state.store.mail_log(access.id())?))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::test_app::TestApp;

    #[tokio::test]
    async fn only_the_host_or_the_admin_may_send_or_read_mail() {
        let app = TestApp::new().await;

        app.assert_roles("POST", &app.path("/invitations"), None, &["admin", "host"])
            .await;
        app.assert_roles("GET", &app.path("/mail"), None, &["admin", "host"])
            .await;
        let log = app
            .send("GET", &app.path("/mail"), Some(&app.host), None)
            .await;
        assert_eq!((log.status, log.json()), (StatusCode::OK, json!([])));
    }

    #[tokio::test]
    async fn without_smtp_invitations_are_409_mail_not_configured() {
        let app = TestApp::new().await;

        let host = app
            .send("POST", &app.path("/invitations"), Some(&app.host), None)
            .await;
        let admin = app
            .send("POST", &app.path("/invitations"), Some(&app.admin), None)
            .await;

        assert_eq!(host.status, StatusCode::CONFLICT);
        assert_eq!(host.code(), "mail_not_configured");
        assert!(host.message().contains("--smtp-url"), "{}", host.json());
        assert_eq!(admin.status, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn an_unreachable_smtp_server_fails_after_three_attempts_and_the_briefing_goes_on() {
        // Port 1 on loopback: nothing listens, connections are refused at once.
        let app = TestApp::with_smtp("smtp://127.0.0.1:1").await;

        let queued = app
            .send("POST", &app.path("/invitations"), Some(&app.host), None)
            .await;

        assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.json());
        assert_eq!(
            queued.json(),
            json!({"queued": 2, "skipped": [
                {"point": "Phòng họp dự phòng", "reason": "not_a_unit"},
                {"point": "UBND huyện Nghi Lộc", "reason": "no_email"},
            ]})
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let log = loop {
            let log = app
                .send("GET", &app.path("/mail"), Some(&app.admin), None)
                .await
                .json();
            let rows = log.as_array().unwrap();
            if rows.iter().all(|r| r["status"] == "failed") {
                break log;
            }
            assert!(Instant::now() < deadline, "{log}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let addresses: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap())
            .collect();
        assert_eq!(
            addresses,
            ["ubnd@cualo.nghean.gov.vn", "vanthu.cualo@nghean.gov.vn"]
        );
        for row in log.as_array().unwrap() {
            assert_eq!(row["attempts"], 3, "{row}");
            assert_eq!(row["kind"], "invitation");
            assert_eq!(row["point"], "UBND thị xã Cửa Lò");
            assert_eq!(row["unit_code"], "UBND-CUALO");
            assert!(!row["last_error"].as_str().unwrap().is_empty(), "{row}");
        }
        let state = app
            .send("GET", &app.path("/state"), Some(&app.host), None)
            .await;
        assert_eq!(state.status, StatusCode::OK);
        assert!(app.store.queued_mail().unwrap().is_empty());
    }
}
