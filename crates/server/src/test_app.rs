//! The application in a temporary directory, for the tests of the HTTP API.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, Request, StatusCode, header};
use giaoban_media::MediaAddress;
use giaoban_model::BriefingId;
use giaoban_store::{DocumentQuota, NewBriefing, NewTask, Store};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

use crate::clock::unix_now;
use crate::http::auth::ADMIN_COOKIE;
use crate::http::{self, transport::Transport};
use crate::live::Live;
use crate::live::direction::Direction;
use crate::live::limits::SignalLimits;
use crate::live::registry::Registry;
use crate::mail::{MailConfig, Mailer};
use crate::media_io::media_loop;
use crate::state::AppState;
use crate::uploads::{DEFAULT_MAX_UPLOADS, DEFAULT_MAX_UPLOADS_PER_POINT, UploadConfig, Uploads};

/// Units of the test province, as a spreadsheet saves them (a byte order mark, CRLF): the
/// Department hosts, two districts and a ward are points. Cửa Lò has two official addresses,
/// Nghi Lộc none.
pub const UNITS: &str = "\u{feff}code,name,parent_code,email\r\n\
    TINH-NA,UBND tỉnh Nghệ An,,vpubnd@nghean.gov.vn\r\n\
    SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,stttt@nghean.gov.vn\r\n\
    UBND-CUALO,UBND thị xã Cửa Lò,TINH-NA,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\r\n\
    P-NGHITHUY,UBND phường Nghi Thủy,UBND-CUALO,nghithuy.cualo@nghean.gov.vn\r\n\
    UBND-NGHILOC,UBND huyện Nghi Lộc,TINH-NA,\r\n";

/// The base URL of the test server's links, and so its origin.
pub const BASE_URL: &str = "http://giaoban.test";

/// What a request returned.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Answer {
    /// The body as JSON; `Null` when empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// The error code of an error answer, or "".
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The field path of an error answer, or "".
    pub fn field(&self) -> String {
        self.json()["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The code and the field path of an error answer.
    pub fn problem(&self) -> (String, String) {
        (self.code(), self.field())
    }

    /// The error message of an error answer, or "".
    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The application on an empty store in a temporary directory: no units, no briefings.
pub struct TestServer {
    _dir: TempDir,
    pub store: Arc<Store>,
    pub router: axum::Router,
    /// What the router serves from, for tests that look inside or change the limits.
    pub state: AppState,
    /// An admin session token (also accepted as a bearer token).
    pub admin: String,
}

impl TestServer {
    pub async fn new() -> TestServer {
        TestServer::start(None, Transport::default()).await
    }

    /// The server, as if reached over `transport` (built-in TLS, a trusted proxy).
    pub async fn with_transport(transport: Transport) -> TestServer {
        TestServer::start(None, transport).await
    }

    /// The server; with `smtp_url`, it sends mail there, three attempts 10 ms apart, and no
    /// reminders.
    async fn start(smtp_url: Option<&str>, transport: Transport) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        // Two media threads, so that every test crosses the dispatch between them.
        let media = media_loop::start(
            0,
            vec![MediaAddress::udp("127.0.0.1:9".parse().unwrap())],
            2,
        )
        .await
        .unwrap();
        let registry = Arc::new(Registry::default());
        let direction = Direction::new(store.clone(), media.clone(), registry.clone());
        let base_url: Arc<str> = BASE_URL.into();
        let mailer = smtp_url.map(|url| {
            let config = MailConfig {
                smtp_url: url.into(),
                from: "Giao ban <giaoban@nghean.gov.vn>".into(),
                retry_delays: vec![Duration::from_millis(10); 2],
                reminder_lead: Duration::ZERO,
                reminder_interval: Duration::from_secs(60),
            };
            Mailer::start(config, store.clone(), base_url.clone()).unwrap()
        });
        let state = AppState {
            store: store.clone(),
            live: Live {
                store: store.clone(),
                media,
                registry,
                direction,
                turn: None,
                limits: SignalLimits::default(),
            },
            base_url,
            mailer,
            transport,
            metrics_token: None,
            login_throttle: Default::default(),
            recordings: None,
            // No disk floor: the test machine's free space is not the test's business.
            uploads: Uploads::new(UploadConfig {
                quota: DocumentQuota::DEFAULT,
                max_uploads: DEFAULT_MAX_UPLOADS,
                max_uploads_per_point: DEFAULT_MAX_UPLOADS_PER_POINT,
                max_downloads: crate::uploads::DEFAULT_MAX_DOWNLOADS,
                max_downloads_per_point: crate::uploads::DEFAULT_MAX_DOWNLOADS_PER_POINT,
                download_wait: crate::uploads::DOWNLOAD_WAIT,
                min_free_mb: 0,
                data_dir: dir.path().to_path_buf(),
            }),
        };
        TestServer {
            admin: admin_session(&store),
            router: http::router(state.clone()),
            state,
            store,
            _dir: dir,
        }
    }

    /// Serves the application with `limits` on a loopback port, for WebSocket tests; with
    /// `send_buffer`, the accepted sockets get that `SO_SNDBUF`, so that a client that does
    /// not read fills them after a few messages.
    pub fn serve(&self, limits: SignalLimits, send_buffer: Option<usize>) -> SocketAddr {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .unwrap();
        if let Some(size) = send_buffer {
            // Accepted sockets inherit the listener's buffer sizes.
            socket.set_send_buffer_size(size).unwrap();
        }
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&any.into()).unwrap();
        socket.listen(128).unwrap();
        socket.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(socket.into()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut state = self.state.clone();
        state.live.limits = limits;
        let router = http::router(state);
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Runs `sql` on the server's database through a connection of its own, as a person
    /// editing it by hand would: for rows that no API call writes.
    pub fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self._dir.path().join(giaoban_store::DB_FILE))
            .expect("open the database");
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.execute_batch(sql).expect("run the SQL");
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_bytes(method, path, token, "application/json", bytes)
            .await
    }

    /// Sends a request with an optional bearer token and raw body of `content_type`.
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let auth = token.map(|t| (header::AUTHORIZATION, format!("Bearer {t}")));
        self.send_with(method, path, auth, content_type, body).await
    }

    /// Sends a request with an optional admin session in the `giaoban_admin` cookie and raw
    /// body of `content_type`, as the admin page does: from the server's own origin.
    pub async fn send_with_cookie(
        &self,
        method: &str,
        path: &str,
        session: Option<&str>,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ORIGIN, BASE_URL);
        if let Some(session) = session {
            request = request.header(header::COOKIE, format!("{ADMIN_COOKIE}={session}"));
        }
        let request = match body {
            Some(bytes) => request
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.send_request(request).await
    }

    /// Sends a request as built, through the whole router.
    pub async fn send_request(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            bytes,
        }
    }

    async fn send_with(
        &self,
        method: &str,
        path: &str,
        auth: Option<(HeaderName, String)>,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        let request = match body {
            Some(bytes) => request
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.send_request(request).await
    }
}

/// A [`TestServer`] with the [`UNITS`], a briefing (`id`) hosted by SO-TTTT, inviting the
/// units UBND-CUALO and UBND-NGHILOC and a point by name, in series `cntt`; and another
/// briefing (`other_id`) whose host is `other_host`.
pub struct TestApp {
    pub server: TestServer,
    pub id: String,
    pub host: String,
    /// Link of UBND-CUALO.
    pub cualo: String,
    pub cualo_id: String,
    /// Link of UBND-NGHILOC.
    pub nghiloc: String,
    pub nghiloc_id: String,
    /// Link of the point given by name ("Phòng họp dự phòng"), which is no unit.
    pub named: String,
    pub other_id: String,
    pub other_host: String,
    /// Link of UBND-CUALO in the other briefing.
    pub other_cualo: String,
}

/// The server's store, router, admin session and requests.
impl Deref for TestApp {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl TestApp {
    /// The application, sending no mail.
    pub async fn new() -> TestApp {
        TestApp::on(TestServer::new().await)
    }

    /// The application, sending mail to the SMTP server at `smtp_url`.
    pub async fn with_smtp(smtp_url: &str) -> TestApp {
        TestApp::on(TestServer::start(Some(smtp_url), Transport::default()).await)
    }

    fn on(server: TestServer) -> TestApp {
        let store = &server.store;
        store.import_units_csv(UNITS).unwrap();
        let briefing = store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT 6 tháng đầu năm 2026".into(),
                scheduled_start: Some("2099-06-30 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                points: vec!["Phòng họp dự phòng".into()],
                units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                series: Some("cntt".into()),
                ..NewBriefing::default()
            })
            .unwrap();
        let other = store
            .create_briefing(&NewBriefing {
                title: "Giao ban Sở Nội vụ".into(),
                scheduled_start: Some("2099-07-01 08:00".into()),
                host: "Sở Nội vụ".into(),
                units: vec!["UBND-CUALO".into()],
                ..NewBriefing::default()
            })
            .unwrap();
        let points = store.points(&briefing.id).unwrap();
        let others = store.points(&other.id).unwrap();
        TestApp {
            host: store.token_for(&points[0]),
            named: store.token_for(&points[1]),
            cualo: store.token_for(&points[2]),
            cualo_id: points[2].id.0.clone(),
            nghiloc: store.token_for(&points[3]),
            nghiloc_id: points[3].id.0.clone(),
            id: briefing.id.0,
            other_id: other.id.0,
            other_host: store.token_for(&others[0]),
            other_cualo: store.token_for(&others[1]),
            server,
        }
    }

    /// The id of the test briefing.
    pub fn briefing_id(&self) -> BriefingId {
        BriefingId(self.id.clone())
    }

    /// A task of `briefing` owned by the units `owners`, the first the lead, due at the end
    /// of 2099; its id.
    pub fn task(&self, briefing: &BriefingId, text: &str, owners: &[&str]) -> i64 {
        let new = NewTask {
            text: text.into(),
            owners: owners.iter().map(|&o| o.into()).collect(),
            lead: owners.first().map(|&o| o.into()),
            deadline: "2099-12-31".into(),
        };
        self.store.create_task(briefing, &new).unwrap().id
    }

    /// `/api/briefings/{id}{rest}` of the test briefing.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/briefings/{}{rest}", self.id)
    }

    /// Asserts who may call `method path` with `body`: every role listed in `allowed` gets
    /// something other than 401/403, the others 403, no token and a forged one 401, and the
    /// host of another briefing 403; and an admin asking the same of an unknown briefing 404.
    /// Roles: "admin", "host", "point" (Cửa Lò), "named".
    pub async fn assert_roles(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        allowed: &[&str],
    ) {
        let none = self.send(method, path, None, body.clone()).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        let forged = self.send(method, path, Some("x.y"), body.clone()).await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} forged"
        );
        let other = self
            .send(method, path, Some(&self.other_host), body.clone())
            .await;
        assert_eq!(
            other.status,
            StatusCode::FORBIDDEN,
            "{method} {path} other briefing's host"
        );
        let unknown = path.replacen(&self.id, "khongco", 1);
        assert_ne!(unknown, path, "{path} is not of the test briefing");
        let answer = self
            .send(method, &unknown, Some(&self.admin), body.clone())
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {unknown} as admin"
        );
        for (role, token) in [
            ("admin", &self.admin),
            ("host", &self.host),
            ("point", &self.cualo),
            ("named", &self.named),
        ] {
            let answer = self.send(method, path, Some(token), body.clone()).await;
            if allowed.contains(&role) {
                assert!(
                    answer.status != StatusCode::UNAUTHORIZED
                        && answer.status != StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {} {}",
                    answer.status,
                    answer.json()
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {}",
                    answer.json()
                );
            }
        }
    }
}

/// A session opened with a one-time login code, as an operator would open one.
pub fn admin_session(store: &Store) -> String {
    let code = store
        .create_admin_login_code()
        .expect("create a login code");
    store
        .open_code_session(&code, unix_now())
        .expect("open a session")
        .expect("a fresh code opens a session")
}
