//! Logging in and out: the admin pages' guard, the login page, `POST /api/admin/login` with a
//! name and password (throttled per name and per address), a one-time login code as
//! `/admin/login?code=`, `POST /api/admin/logout`, and `GET /api/admin/me`: who is logged in.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{Problem, ProblemCode};
use giaoban_store::{ADMIN_SESSION_TTL_SECS, ActorKind, AdminSession};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::actor::Actor;
use super::assets;
use super::audit::record;
use super::auth::{ADMIN_COOKIE, AdminAuth, SessionCheck, session_of_headers};
use super::error::ApiError;
use super::error_page::{Refusal, wants_html};
use super::extract::{bearer, cookie, json_body};
use super::origin;
use crate::clock::unix_now;
use crate::state::AppState;

/// The pages and `/api/admin/login|logout|me`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_page))
        .route("/admin/audit", get(audit_page))
        .route("/admin/login", get(login_page))
        .route("/api/admin/login", post(login))
        .route("/api/admin/logout", post(logout))
        .route("/api/admin/me", get(me))
}

async fn admin_page(state: State<AppState>, headers: HeaderMap) -> Response {
    guarded_page(&state, &headers, "admin.html")
}

async fn audit_page(state: State<AppState>, headers: HeaderMap) -> Response {
    guarded_page(&state, &headers, "audit.html")
}

/// `page` for an open admin session; the login page otherwise.
fn guarded_page(state: &AppState, headers: &HeaderMap, page: &str) -> Response {
    match session_of_headers(headers, state) {
        Ok(SessionCheck::Open(_)) => assets::page(page),
        Ok(_) => Redirect::to("/admin/login").into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

/// `GET /admin/login`: the login page; with `?code=`, a one-time login code opens a session
/// without an account, enough to create the first admin account.
async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CodeQuery>,
) -> Result<Response, ApiError> {
    let Some(code) = q.code else {
        return Ok(assets::page("login.html"));
    };
    let token = if code.is_empty() || code.len() > 256 {
        None
    } else {
        state
            .blocking(move |store| store.open_code_session(&code, unix_now()))
            .await?
    };
    let Some(token) = token else {
        // A person who followed the link gets a page; a script, the API's error.
        if wants_html(&headers) {
            return Ok(Refusal::InvalidLoginCode.into_response());
        }
        return Err(ApiError::unauthorized(ProblemCode::InvalidLoginCode));
    };
    record(
        &state,
        Actor {
            kind: ActorKind::Admin,
            name: None,
            briefing: None,
        },
        "login.code",
        json!({}),
    );
    let mut response = Redirect::to("/admin").into_response();
    set_cookie(&mut response, &session_cookie(&state, &headers, &token));
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    name: String,
    password: String,
}

/// `POST /api/admin/login`.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    uri: Uri,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    // No cookie guards a login, so the origin is checked here: a foreign page must not log
    // a browser in under its own account.
    if origin::foreign_page(&state, &headers, &uri) {
        return Err(origin::cross_origin());
    }
    let LoginRequest { name, password } = json_body(body)?;
    let address = client_address(&state, &headers, &extensions);
    let actor = Actor {
        kind: ActorKind::Admin,
        name: Some(name.trim().to_owned()),
        briefing: None,
    };
    let address_text = address.map(|a| a.to_string());
    let verdict = state.throttle().check(&name, address, Instant::now());
    if let Err(wait) = verdict {
        record(
            &state,
            actor,
            "login.throttled",
            json!({ "address": address_text }),
        );
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(ProblemCode::TooManyLogins).with("minutes", minutes),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(response);
    }
    let attempt = name.clone();
    let outcome = state
        .blocking(move |store| store.login_admin(&attempt, &password, unix_now()))
        .await?;
    match outcome {
        Ok((token, account)) => {
            state.throttle().succeeded(&name);
            let actor = Actor {
                name: Some(account.name.clone()),
                ..actor
            };
            record(&state, actor, "login", json!({ "address": address_text }));
            let mut response = Json(json!({ "name": account.name })).into_response();
            set_cookie(&mut response, &session_cookie(&state, &headers, &token));
            Ok(response)
        }
        Err(refusal) => {
            state.throttle().failed(&name, address, Instant::now());
            record(
                &state,
                actor,
                "login.failed",
                json!({ "reason": refusal.code(), "address": address_text }),
            );
            Err(ApiError::unauthorized(ProblemCode::InvalidLogin))
        }
    }
}

/// `POST /api/admin/logout`: ends the session of the cookie (or bearer) at once.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = cookie(&headers, ADMIN_COOKIE).or_else(|| bearer(&headers));
    if let Some(token) = token.map(str::to_owned) {
        let ended = state
            .blocking(move |store| store.end_admin_session(&token, unix_now()))
            .await?;
        if let Some(session) = ended {
            let actor = Actor {
                kind: ActorKind::Admin,
                name: session.admin,
                briefing: None,
            };
            record(&state, actor, "logout", json!({}));
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        &mut response,
        &format!("{ADMIN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// `GET /api/admin/me`: this session, the sessions open now, and whether any account exists
/// (none: the page offers to create the first).
async fn me(
    AdminAuth(session): AdminAuth,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let now = unix_now();
    let (sessions, accounts) = state
        .blocking(move |store| Ok((store.open_admin_sessions(now)?, store.admins()?)))
        .await?;
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| session_view(s, s.id == session.id))
        .collect();
    Ok(Json(json!({
        "name": session.admin,
        "by_code": session.admin.is_none(),
        "expires_at": rfc3339(session.expires_at_unix),
        "accounts": accounts.iter().filter(|a| !a.disabled).count(),
        "sessions": sessions,
    }))
    .into_response())
}

fn session_view(session: &AdminSession, current: bool) -> serde_json::Value {
    json!({
        "name": session.admin,
        "logged_in_at": rfc3339(session.created_at_unix),
        "last_seen_at": rfc3339(session.last_seen_unix),
        "current": current,
    })
}

/// Unix seconds as RFC 3339 in UTC.
fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The address a login comes from: the peer, or behind a trusted proxy the last address it
/// added to `X-Forwarded-For`.
fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<IpAddr> {
    if state.transport.trust_proxy
        && let Some(forwarded) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return Some(forwarded);
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The `Set-Cookie` of a session. Secure keeps the session off plain HTTP; over plain HTTP a
/// browser would drop such a cookie, so it is set only when the browser did connect over
/// HTTPS.
fn session_cookie(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let secure = if state.transport.is_https(headers) {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{ADMIN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={ADMIN_SESSION_TTL_SECS}{secure}"
    )
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};

    use crate::http::throttle::MAX_FAILURES_PER_NAME;
    use crate::test_app::{Answer, BASE_URL, TestApp, TestServer};

    const PASSWORD: &str = "mật khẩu quản trị";

    /// `POST /api/admin/login` from the server's own page.
    async fn login(server: &TestServer, name: &str, password: &str) -> Answer {
        server
            .send_request(
                Request::post("/api/admin/login")
                    .header(header::ORIGIN, BASE_URL)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({"name": name, "password": password}).to_string(),
                    ))
                    .unwrap(),
            )
            .await
    }

    /// The session token of a login's `Set-Cookie`.
    fn session_of(answer: &Answer) -> String {
        let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
        let value = cookie.strip_prefix("giaoban_admin=").unwrap();
        value.split(';').next().unwrap().to_owned()
    }

    async fn me(server: &TestServer, session: &str) -> Answer {
        server
            .send_with_cookie("GET", "/api/admin/me", Some(session), "", None)
            .await
    }

    /// The audit log as JSON entries, newest first.
    async fn audit(server: &TestServer, query: &str) -> Vec<Value> {
        let answer = server
            .send(
                "GET",
                &format!("/api/admin/audit{query}"),
                Some(&server.admin),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        answer.json()["entries"].as_array().unwrap().clone()
    }

    #[tokio::test]
    async fn a_name_and_password_open_a_session_under_that_name() {
        let server = TestServer::new().await;
        server
            .store
            .create_admin("Nguyễn Văn An", PASSWORD)
            .unwrap();

        let answer = login(&server, "Nguyễn Văn An", PASSWORD).await;

        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        assert_eq!(answer.json()["name"], "Nguyễn Văn An");
        let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            cookie.contains("; HttpOnly; SameSite=Strict; Max-Age=43200"),
            "{cookie}"
        );
        let me = me(&server, &session_of(&answer)).await;
        assert_eq!(me.json()["name"], "Nguyễn Văn An");
        assert_eq!(me.json()["by_code"], false);
        let names: Vec<_> = me.json()["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].clone())
            .collect();
        assert!(names.contains(&json!("Nguyễn Văn An")), "{names:?}");
        let page = server
            .send_with_cookie("GET", "/admin", Some(&session_of(&answer)), "", None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_and_recorded_with_its_reason() {
        let server = TestServer::new().await;
        server.store.create_admin("an", PASSWORD).unwrap();

        let wrong = login(&server, "an", "không phải mật khẩu").await;
        let unknown = login(&server, "bình", PASSWORD).await;

        for answer in [&wrong, &unknown] {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            assert_eq!(answer.code(), "invalid_login");
            assert!(!answer.headers.contains_key(header::SET_COOKIE));
        }
        let log = audit(&server, "").await;
        assert_eq!(log[0]["action"], "login.failed");
        assert_eq!(log[0]["actor_name"], "bình");
        assert_eq!(log[0]["details"]["reason"], "unknown_name");
        assert_eq!(log[1]["details"]["reason"], "wrong_password");
    }

    #[tokio::test]
    async fn a_logout_ends_the_session_at_once() {
        let server = TestServer::new().await;
        server.store.create_admin("an", PASSWORD).unwrap();
        let session = session_of(&login(&server, "an", PASSWORD).await);
        assert_eq!(me(&server, &session).await.status, StatusCode::OK);

        let out = server
            .send_with_cookie("POST", "/api/admin/logout", Some(&session), "", None)
            .await;

        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let cleared = out.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cleared.starts_with("giaoban_admin=;") && cleared.contains("Max-Age=0"));
        let after = me(&server, &session).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert_eq!(after.code(), "invalid_session");
        let page = server
            .send_with_cookie("GET", "/admin", Some(&session), "", None)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.headers[header::LOCATION], "/admin/login");
        assert_eq!(audit(&server, "").await[0]["action"], "logout");
    }

    #[tokio::test]
    async fn failed_logins_for_a_name_are_throttled_even_with_the_right_password() {
        let server = TestServer::new().await;
        server.store.create_admin("an", PASSWORD).unwrap();
        for _ in 0..MAX_FAILURES_PER_NAME {
            assert_eq!(
                login(&server, "an", "đoán mò mật khẩu").await.status,
                StatusCode::UNAUTHORIZED
            );
        }

        let throttled = login(&server, "AN", PASSWORD).await;

        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(throttled.code(), "too_many_logins");
        let wait: u64 = throttled.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        assert_eq!(
            login(&server, "bình", PASSWORD).await.code(),
            "invalid_login"
        );
        assert_eq!(audit(&server, "").await[1]["action"], "login.throttled");
    }

    #[tokio::test]
    async fn a_foreign_page_cannot_log_a_browser_in() {
        let server = TestServer::new().await;
        server.store.create_admin("an", PASSWORD).unwrap();

        let answer = server
            .send_request(
                Request::post("/api/admin/login")
                    .header(header::ORIGIN, "https://evil.example")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({"name": "an", "password": PASSWORD}).to_string(),
                    ))
                    .unwrap(),
            )
            .await;

        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.code(), "cross_origin");
    }

    #[tokio::test]
    async fn a_code_session_creates_the_first_admin_who_can_then_log_in() {
        let server = TestServer::new().await;
        let code = server.store.create_admin_login_code().unwrap();
        let redeemed = server
            .send("GET", &format!("/admin/login?code={code}"), None, None)
            .await;
        assert_eq!(redeemed.status, StatusCode::SEE_OTHER);
        let by_code = session_of(&redeemed);
        let me_by_code = me(&server, &by_code).await.json();
        assert_eq!(me_by_code["by_code"], true);
        assert_eq!(me_by_code["accounts"], 0);

        let created = server
            .send_with_cookie(
                "POST",
                "/api/admin/accounts",
                Some(&by_code),
                "application/json",
                Some(
                    json!({"name": "an", "password": PASSWORD})
                        .to_string()
                        .into_bytes(),
                ),
            )
            .await;

        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
        assert_eq!(login(&server, "an", PASSWORD).await.status, StatusCode::OK);
        let log = audit(&server, "").await;
        let actions: Vec<_> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["login", "account.create", "login.code"]);
        assert_eq!(log[1]["details"], json!({"account": "an"}));
        assert!(!log.iter().any(|e| e.to_string().contains(PASSWORD)));
    }

    #[tokio::test]
    async fn disabling_an_admin_ends_its_sessions() {
        let server = TestServer::new().await;
        server.store.create_admin("an", PASSWORD).unwrap();
        server.store.create_admin("bình", PASSWORD).unwrap();
        let an = session_of(&login(&server, "an", PASSWORD).await);
        let binh = session_of(&login(&server, "bình", PASSWORD).await);

        let disabled = server
            .send_with_cookie(
                "POST",
                "/api/admin/accounts/b%C3%ACnh/disabled",
                Some(&an),
                "application/json",
                Some(br#"{"disabled": true}"#.to_vec()),
            )
            .await;

        assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.json());
        assert_eq!(me(&server, &binh).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&server, &an).await.status, StatusCode::OK);
        assert_eq!(
            login(&server, "bình", PASSWORD).await.code(),
            "invalid_login"
        );
        let by_an = audit(&server, "?actor=an").await;
        let actions: Vec<_> = by_an
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["account.disable", "login"]);
        assert_eq!(by_an[0]["actor_name"], "an");
        assert_eq!(by_an[0]["details"]["account"], "bình");
    }

    #[tokio::test]
    async fn admin_and_host_actions_are_in_the_audit_log_and_its_csv() {
        let app = TestApp::new().await;
        app.store.create_admin("an", PASSWORD).unwrap();
        let an = session_of(&login(&app, "an", PASSWORD).await);

        let created = app
            .send_with_cookie(
                "POST",
                "/api/admin/briefings",
                Some(&an),
                "application/json",
                Some(
                    json!({"title": "Giao ban tháng 12", "host": "Sở Nội vụ", "points": ["UBND huyện Kỳ Sơn"]})
                        .to_string()
                        .into_bytes(),
                ),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
        let locked = app
            .send(
                "POST",
                &app.path("/lock"),
                Some(&app.host),
                Some(json!({"locked": true})),
            )
            .await;
        assert_eq!(locked.status, StatusCode::OK, "{}", locked.json());
        let by_point = app
            .send(
                "POST",
                &app.path("/lock"),
                Some(&app.cualo),
                Some(json!({"locked": false})),
            )
            .await;
        assert_eq!(by_point.status, StatusCode::FORBIDDEN);
        let refused = app
            .send("POST", &app.path("/roll-call"), Some(&app.host), None)
            .await;

        let in_briefing = audit(&app, &format!("?briefing={}", app.id)).await;
        assert_eq!(
            in_briefing.len(),
            1 + usize::from(refused.status.is_success())
        );
        let lock = in_briefing
            .iter()
            .find(|e| e["action"] == "briefing.lock")
            .unwrap();
        assert_eq!(lock["actor_kind"], "host");
        assert_eq!(lock["actor_name"], "Sở Thông tin và Truyền thông");
        assert_eq!(lock["details"]["body"], json!({"locked": true}));
        let csv = app
            .send_with_cookie("GET", "/api/admin/audit?format=csv", Some(&an), "", None)
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let text = String::from_utf8(csv.bytes.to_vec()).unwrap();
        let lines: Vec<_> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("Thời điểm (giờ Việt Nam),Loại,Người thực hiện"));
        assert!(
            lines
                .iter()
                .any(|l| l.contains(",Chủ trì,Sở Thông tin và Truyền thông,")
                    && l.contains(",briefing.lock,")),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(",Quản trị,an,,briefing.create,")
                    && l.contains("Giao ban tháng 12")),
            "{text}"
        );
        assert!(
            lines.iter().any(|l| l.contains(",Quản trị,an,,login,")),
            "{text}"
        );
        let by_host = app
            .send("GET", "/api/admin/audit", Some(&app.host), None)
            .await;
        assert_eq!(by_host.status, StatusCode::UNAUTHORIZED);
    }
}
