//! Janus's JSON API over HTTP (docs/janus-notes.md, "HTTP API rules"): one Janus session per
//! load-generator process, one handle per PeerConnection, and one long-poll task that hands
//! each event to whoever waits for its transaction, else to the handle that sent it.
//!
//! Asynchronous plugin requests are registered before they are sent: their event may come
//! down the long-poll before the HTTP answer carrying the `ack`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::http;

/// One ordinary request, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A long-poll: Janus answers a keepalive after 30 s without events.
const POLL_TIMEOUT: Duration = Duration::from_secs(45);
/// How long an asynchronous request's event may take.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);
/// Events per long-poll answer.
const MAX_EVENTS: usize = 100;
/// Failed long-polls in a row before the session counts as gone.
const POLL_RETRIES: u32 = 5;
/// Largest answer read.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

/// Events of one handle that no transaction waits for.
pub type HandleEvents = mpsc::UnboundedReceiver<Value>;

/// The Janus server: its address, and the session once made.
pub struct Api {
    /// Janus's HTTP address and base path (`/janus`).
    addr: SocketAddr,
    base: String,
    /// The local address HTTP connections leave from.
    bind: IpAddr,
    session: tokio::sync::OnceCell<u64>,
    next_tx: Cell<u64>,
    hub: Rc<RefCell<Hub>>,
}

/// Who waits for what, filled by the long-poll.
#[derive(Default)]
struct Hub {
    transactions: HashMap<String, oneshot::Sender<Value>>,
    handles: HashMap<u64, mpsc::UnboundedSender<Value>>,
    /// Set when the session is gone: why.
    dead: Option<String>,
}

impl Api {
    pub fn new(addr: SocketAddr, base: String, bind: IpAddr) -> Api {
        Api {
            addr,
            base,
            bind,
            session: tokio::sync::OnceCell::new(),
            next_tx: Cell::new(1),
            hub: Rc::new(RefCell::new(Hub::default())),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The local address of this side of the test link.
    pub fn bind(&self) -> IpAddr {
        self.bind
    }

    fn transaction(&self) -> String {
        let n = self.next_tx.get();
        self.next_tx.set(n + 1);
        format!("gb{n}")
    }

    /// `GET /janus/info`: the server's name and version.
    pub async fn info(&self) -> Result<Value, String> {
        let path = format!("{}/info", self.base);
        let body = exchange(self.bind, self.addr, "GET", &path, None, REQUEST_TIMEOUT).await?;
        serde_json::from_str(&body).map_err(|e| format!("GET {path}: not JSON: {e}"))
    }

    /// The run's Janus session, made on first use with its long-poll task.
    pub async fn session(&self) -> Result<u64, String> {
        self.session
            .get_or_try_init(|| async {
                let reply = self
                    .post(&self.base, json!({"janus": "create"}))
                    .await
                    .map_err(|e| format!("create session: {e}"))?;
                let id = reply["data"]["id"]
                    .as_u64()
                    .ok_or_else(|| format!("create session: no id in {reply}"))?;
                tokio::task::spawn_local(poll(
                    self.bind,
                    self.addr,
                    format!("{}/{id}?maxev={MAX_EVENTS}", self.base),
                    self.hub.clone(),
                ));
                Ok(id)
            })
            .await
            .copied()
    }

    /// Attaches a VideoRoom handle and returns it with its event stream.
    pub async fn attach(&self) -> Result<(u64, HandleEvents), String> {
        let session = self.session().await?;
        let reply = self
            .post(
                &format!("{}/{session}", self.base),
                json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
            )
            .await
            .map_err(|e| format!("attach: {e}"))?;
        let handle = reply["data"]["id"]
            .as_u64()
            .ok_or_else(|| format!("attach: no handle id in {reply}"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let mut hub = self.hub.borrow_mut();
        if let Some(why) = &hub.dead {
            return Err(why.clone());
        }
        hub.handles.insert(handle, tx);
        Ok((handle, rx))
    }

    /// A VideoRoom request on `handle`: the `success` of a synchronous one, or the event of
    /// an asynchronous one (after its `ack`). Plugin errors are errors.
    pub async fn message(
        &self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<Value, String> {
        let session = self.session().await?;
        let request = body["request"].as_str().unwrap_or("?").to_string();
        let tx = self.transaction();
        let (sender, receiver) = oneshot::channel();
        {
            let mut hub = self.hub.borrow_mut();
            if let Some(why) = &hub.dead {
                return Err(why.clone());
            }
            hub.transactions.insert(tx.clone(), sender);
        }
        let mut message = json!({"janus": "message", "transaction": tx, "body": body});
        if let Some(jsep) = jsep {
            message["jsep"] = jsep;
        }
        let path = format!("{}/{session}/{handle}", self.base);
        let reply = match self.send(&path, &message).await {
            Ok(r) => r,
            Err(e) => {
                self.hub.borrow_mut().transactions.remove(&tx);
                return Err(format!("{request}: {e}"));
            }
        };
        let result = match reply["janus"].as_str() {
            Some("ack") => tokio::time::timeout(EVENT_TIMEOUT, receiver)
                .await
                .map_err(|_| format!("{request}: no event within {EVENT_TIMEOUT:?}"))?
                .map_err(|_| {
                    let why = self.hub.borrow().dead.clone();
                    format!("{request}: {}", why.unwrap_or("the session ended".into()))
                })?,
            _ => {
                self.hub.borrow_mut().transactions.remove(&tx);
                reply
            }
        };
        check(&result).map_err(|e| format!("{request}: {e}"))?;
        Ok(result)
    }

    /// A core request on a handle (`detach`, `hangup`), best effort.
    pub async fn handle_request(&self, handle: u64, janus: &str) -> Result<(), String> {
        let session = self.session().await?;
        self.hub.borrow_mut().handles.remove(&handle);
        self.post(
            &format!("{}/{session}/{handle}", self.base),
            json!({"janus": janus}),
        )
        .await
        .map(|_| ())
    }

    /// A request with a fresh transaction; core errors are errors.
    async fn post(&self, path: &str, mut body: Value) -> Result<Value, String> {
        body["transaction"] = Value::String(self.transaction());
        let reply = self.send(path, &body).await?;
        check(&reply)?;
        Ok(reply)
    }

    async fn send(&self, path: &str, body: &Value) -> Result<Value, String> {
        let text = exchange(
            self.bind,
            self.addr,
            "POST",
            path,
            Some(&body.to_string()),
            REQUEST_TIMEOUT,
        )
        .await?;
        serde_json::from_str(&text).map_err(|e| format!("POST {path}: not JSON ({e}): {text}"))
    }
}

/// A core error (`{"janus":"error"}`) or a VideoRoom error (`error_code` in the plugin data).
fn check(reply: &Value) -> Result<(), String> {
    if reply["janus"] == "error" {
        return Err(format!(
            "Janus error {}: {}",
            reply["error"]["code"],
            reply["error"]["reason"].as_str().unwrap_or("?")
        ));
    }
    let data = &reply["plugindata"]["data"];
    if let Some(code) = data["error_code"].as_u64() {
        return Err(format!(
            "VideoRoom error {code}: {}",
            data["error"].as_str().unwrap_or("?")
        ));
    }
    Ok(())
}

/// The long-poll of the session: hands out events until the session is gone.
async fn poll(bind: IpAddr, addr: SocketAddr, path: String, hub: Rc<RefCell<Hub>>) {
    let mut failures = 0;
    let why = loop {
        let answer = exchange(bind, addr, "GET", &path, None, POLL_TIMEOUT).await;
        let events = match answer.and_then(|text| {
            serde_json::from_str::<Value>(&text).map_err(|e| format!("poll: not JSON ({e})"))
        }) {
            Ok(Value::Array(events)) => events,
            Ok(other) => vec![other],
            Err(e) => {
                failures += 1;
                if failures >= POLL_RETRIES {
                    break format!("the Janus session is gone: {e}");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        failures = 0;
        let mut ended = None;
        for event in events {
            if event["janus"] == "timeout" {
                ended = Some("the Janus session timed out".to_string());
                continue;
            }
            dispatch(&hub, event);
        }
        if let Some(why) = ended {
            break why;
        }
    };
    tracing::warn!("{why}");
    let mut hub = hub.borrow_mut();
    hub.dead = Some(why);
    hub.transactions.clear();
    hub.handles.clear();
}

fn dispatch(hub: &RefCell<Hub>, event: Value) {
    let mut hub = hub.borrow_mut();
    if let Some(tx) = event["transaction"].as_str()
        && let Some(waiting) = hub.transactions.remove(tx)
    {
        let _ = waiting.send(event);
        return;
    }
    match event["sender"].as_u64().and_then(|h| hub.handles.get(&h)) {
        Some(handle) => {
            let _ = handle.send(event);
        }
        None => {
            if event["janus"] != "keepalive" {
                tracing::debug!("Janus event for nobody: {event}");
            }
        }
    }
}

/// One HTTP/1.1 exchange from `bind` (`Connection: close`); the body of a 2xx answer.
async fn exchange(
    bind: IpAddr,
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
    timeout: Duration,
) -> Result<String, String> {
    let work = async {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }?;
        socket.bind(SocketAddr::new(bind, 0))?;
        let mut stream = socket.connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let body = json.unwrap_or("");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Accept: application/json\r\nUser-Agent: giaoban-loadgen\r\n"
        );
        if json.is_some() {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body);
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE).read_to_end(&mut raw).await?;
        http::parse(&raw)
    };
    let response = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("{method} {path}: no answer within {timeout:?}"))?
        .map_err(|e| format!("{method} {path} at {addr}: {e}"))?;
    if !response.ok() {
        return Err(format!("{method} {path}: {}", response.error_message()));
    }
    Ok(response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_errors_are_errors() {
        let ok = json!({"janus": "success", "plugindata": {"data": {"videoroom": "created"}}});
        assert!(check(&ok).is_ok());
        let full = json!({"janus": "event", "plugindata": {"data": {
            "videoroom": "event", "error_code": 432, "error": "Maximum number of publishers"}}});
        assert_eq!(
            check(&full).unwrap_err(),
            "VideoRoom error 432: Maximum number of publishers"
        );
        let core = json!({"janus": "error", "error": {"code": 458, "reason": "No such session"}});
        assert_eq!(
            check(&core).unwrap_err(),
            "Janus error 458: No such session"
        );
    }

    #[test]
    fn events_go_to_their_transaction_else_their_handle() {
        let hub = RefCell::new(Hub::default());
        let (tx, mut waiting) = oneshot::channel();
        hub.borrow_mut().transactions.insert("gb7".into(), tx);
        let (htx, mut handle) = mpsc::unbounded_channel();
        hub.borrow_mut().handles.insert(42, htx);
        dispatch(
            &hub,
            json!({"janus": "event", "transaction": "gb7", "sender": 42}),
        );
        dispatch(&hub, json!({"janus": "webrtcup", "sender": 42}));
        assert_eq!(waiting.try_recv().unwrap()["transaction"], "gb7");
        assert_eq!(handle.try_recv().unwrap()["janus"], "webrtcup");
        assert!(handle.try_recv().is_err());
    }
}
