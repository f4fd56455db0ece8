//! The mail API of a briefing: send the invitations, read the mail log. See docs/http.md.
//!
//! Both take the host link of the briefing or an admin session.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_store::MailRecord;

use crate::access::Access;
use crate::error::ApiError;
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/invitations", post(invitations))
        .route("/api/briefings/{id}/mail", get(mail_log))
}

/// The answer when mail is asked for but no SMTP server is configured.
pub(crate) fn not_configured() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "mail_not_configured",
        "this server sends no mail: start it with --smtp-url smtp://HOST:PORT and \
         --mail-from ADDRESS (or GIAOBAN_SMTP_URL and GIAOBAN_MAIL_FROM)",
    )
}

/// Queues an invitation to every official address of every invited unit; answers before
/// anything is sent.
async fn invitations(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    access.require_host()?;
    let mailer = state.mailer.as_ref().ok_or_else(not_configured)?;
    let queued = mailer.invite(access.id())?;
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
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, header};
    use giaoban_store::{NewBriefing, Store};
    use serde_json::{Value, json};
    use tempfile::TempDir;
    use tower::ServiceExt;

    use super::*;
    use crate::direction::Direction;
    use crate::mail::{MailConfig, Mailer};
    use crate::registry::Registry;
    use crate::{api, media_loop};

    const UNITS: &str = "code,name,parent_code,email\n\
        SO-TTTT,Sở Thông tin và Truyền thông,,stttt@nghean.gov.vn\n\
        UBND-CUALO,UBND thị xã Cửa Lò,,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\n\
        UBND-NGHILOC,UBND huyện Nghi Lộc,,\n";

    struct TestApp {
        _dir: TempDir,
        store: Arc<Store>,
        router: axum::Router,
        admin: String,
        host: String,
        point: String,
        id: String,
        other_host: String,
    }

    impl TestApp {
        /// A briefing inviting two units and a named point; mail goes to `smtp_url` if given.
        async fn new(smtp_url: Option<&str>) -> TestApp {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(Store::open(dir.path()).unwrap());
            store.import_units_csv(UNITS).unwrap();
            let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let media = media_loop::start(bind, bind).await.unwrap();
            let registry = Arc::new(Registry::default());
            let direction = Direction::new(store.clone(), media.clone(), registry.clone());
            let base_url: Arc<str> = "http://giaoban.test".into();
            let mailer = smtp_url.map(|url| {
                Mailer::start(
                    MailConfig {
                        smtp_url: url.into(),
                        from: "Giao ban <giaoban@nghean.gov.vn>".into(),
                        retry_delays: vec![Duration::from_millis(10); 2],
                        reminder_lead: Duration::ZERO,
                        reminder_interval: Duration::from_secs(60),
                    },
                    store.clone(),
                    base_url.clone(),
                )
                .unwrap()
            });
            let state = AppState {
                store: store.clone(),
                media,
                registry,
                direction,
                base_url,
                mailer,
            };
            let briefing = store
                .create_briefing(&NewBriefing {
                    title: "Giao ban CNTT 6 tháng đầu năm 2026".into(),
                    scheduled_start: Some("2026-12-01 08:00".into()),
                    host_unit: Some("SO-TTTT".into()),
                    points: vec!["Phòng họp dự phòng".into()],
                    units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                    ..NewBriefing::default()
                })
                .unwrap();
            let other = store
                .create_briefing(&NewBriefing {
                    title: "Giao ban khác".into(),
                    host: "Sở Nội vụ".into(),
                    units: vec!["UBND-CUALO".into()],
                    ..NewBriefing::default()
                })
                .unwrap();
            let points = store.points(&briefing.id).unwrap();
            TestApp {
                admin: store.admin_session_token(api::unix_now()),
                host: store.token_for(&points[0]),
                point: store.token_for(&points[2]),
                other_host: store.token_for(&store.points(&other.id).unwrap()[0]),
                id: briefing.id.0,
                router: api::router(state),
                store,
                _dir: dir,
            }
        }

        async fn send(&self, method: &str, path: &str, token: Option<&str>) -> (StatusCode, Value) {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(token) = token {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            let response = self
                .router
                .clone()
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }

        fn invitations(&self) -> String {
            format!("/api/briefings/{}/invitations", self.id)
        }

        fn mail(&self) -> String {
            format!("/api/briefings/{}/mail", self.id)
        }
    }

    #[tokio::test]
    async fn only_the_host_or_the_admin_may_send_or_read_mail() {
        let app = TestApp::new(None).await;

        for path in [app.invitations(), app.mail()] {
            let method = if path.ends_with("mail") {
                "GET"
            } else {
                "POST"
            };
            let (none, none_body) = app.send(method, &path, None).await;
            let (point, point_body) = app.send(method, &path, Some(&app.point)).await;
            let (other, other_body) = app.send(method, &path, Some(&app.other_host)).await;
            let (forged, _) = app.send(method, &path, Some("x.y")).await;
            assert_eq!(none, StatusCode::UNAUTHORIZED, "{path}: {none_body}");
            assert_eq!(point, StatusCode::FORBIDDEN, "{path}: {point_body}");
            assert_eq!(other, StatusCode::FORBIDDEN, "{path}: {other_body}");
            assert_eq!(forged, StatusCode::UNAUTHORIZED, "{path}");
        }
        let (unknown, _) = app
            .send("GET", "/api/briefings/khongco/mail", Some(&app.admin))
            .await;
        assert_eq!(unknown, StatusCode::NOT_FOUND);
        let (log, body) = app.send("GET", &app.mail(), Some(&app.host)).await;
        assert_eq!((log, body), (StatusCode::OK, json!([])));
    }

    #[tokio::test]
    async fn without_smtp_invitations_are_409_mail_not_configured() {
        let app = TestApp::new(None).await;

        let (host, body) = app.send("POST", &app.invitations(), Some(&app.host)).await;
        let (admin, _) = app.send("POST", &app.invitations(), Some(&app.admin)).await;

        assert_eq!(host, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "mail_not_configured");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--smtp-url")
        );
        assert_eq!(admin, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn an_unreachable_smtp_server_fails_after_three_attempts_and_the_briefing_goes_on() {
        // Port 1 on loopback: nothing listens, connections are refused at once.
        let app = TestApp::new(Some("smtp://127.0.0.1:1")).await;

        let (status, body) = app.send("POST", &app.invitations(), Some(&app.host)).await;

        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(
            body,
            json!({"queued": 2, "skipped": [
                {"point": "Phòng họp dự phòng", "reason": "not_a_unit"},
                {"point": "UBND huyện Nghi Lộc", "reason": "no_email"},
            ]})
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let log = loop {
            let (_, log) = app.send("GET", &app.mail(), Some(&app.admin)).await;
            let rows = log.as_array().unwrap();
            if rows.iter().all(|r| r["status"] == "failed") {
                break log;
            }
            assert!(std::time::Instant::now() < deadline, "{log}");
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
        let (state, _) = app
            .send(
                "GET",
                &format!("/api/briefings/{}/state", app.id),
                Some(&app.host),
            )
            .await;
        assert_eq!(state, StatusCode::OK);
        assert!(app.store.queued_mail().unwrap().is_empty());
    }
}
