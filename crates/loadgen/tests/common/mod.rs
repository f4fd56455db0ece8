//! What the tests against the real server binary share: the server on free loopback ports,
//! a load generator run, and a plain HTTP/1.1 request.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `giaoban-loadgen` run under way.
pub struct Loadgen {
    child: Child,
    started: Instant,
    report_path: PathBuf,
    output_path: PathBuf,
}

impl Loadgen {
    /// Starts a run with `args` against `server`, which makes its own briefing with the
    /// server binary; `name` tells its files apart.
    pub fn start(bin: &Path, data: &Path, server: &Server, name: &str, args: &[&str]) -> Loadgen {
        let pid = server.child.id().to_string();
        let mut all = vec![
            "--giaoban",
            bin.to_str().expect("a UTF-8 path"),
            "--data",
            data.to_str().expect("a UTF-8 path"),
        ];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--server-pid", &pid]);
        Loadgen::spawn(data, name, &all)
    }

    /// Starts `giaoban-loadgen` with exactly `args` (and `--json`), its files in `dir`.
    pub fn spawn(dir: &Path, name: &str, args: &[&str]) -> Loadgen {
        let report_path = dir.join(format!("{name}.json"));
        let output_path = dir.join(format!("{name}.out"));
        let output_file = std::fs::File::create(&output_path).expect("an output file");
        let child = Command::new(env!("CARGO_BIN_EXE_giaoban-loadgen"))
            .args(args)
            .arg("--json")
            .arg(&report_path)
            .stdout(output_file.try_clone().expect("an output file"))
            .stderr(output_file)
            .spawn()
            .expect("the load generator starts");
        Loadgen {
            child,
            started: Instant::now(),
            report_path,
            output_path,
        }
    }

    /// What it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output_path).unwrap_or_default()
    }

    /// Waits for the run (within `deadline` of its start) and returns its report, its output
    /// and how long it took; fails the test, with the server's log, when it fails.
    pub fn finish(
        mut self,
        deadline: Duration,
        server: &Server,
    ) -> (serde_json::Value, String, Duration) {
        let status =
            wait_with_deadline(&mut self.child, self.started + deadline, &self.output_path);
        let took = self.started.elapsed();
        let output = self.output();
        assert!(
            status.success(),
            "giaoban-loadgen failed ({status}):\n{output}\nserver log:\n{}",
            server.log()
        );
        let report = serde_json::from_str(
            &std::fs::read_to_string(&self.report_path).expect("the JSON report was written"),
        )
        .expect("the report is JSON");
        (report, output, took)
    }
}

impl Drop for Loadgen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn server_binary() -> PathBuf {
    let bin = std::env::var_os("GIAOBAN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/giaoban")
        });
    assert!(
        bin.is_file(),
        "the server binary {} does not exist: build it with \
         `cargo build --release -p giaoban-server` or point GIAOBAN_BIN at it",
        bin.display()
    );
    bin
}

/// A free TCP port for HTTP and a free UDP port for media, on loopback.
pub fn free_ports() -> (SocketAddr, SocketAddr) {
    let http = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free TCP port");
    let media = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port");
    (http, media)
}

/// A `giaoban serve` on loopback ports, killed on drop.
pub struct Server {
    pub child: Child,
    pub http: SocketAddr,
    log_path: PathBuf,
}

impl Server {
    /// A server on free ports.
    pub fn start(bin: &Path, data: &Path, extra: &[&str]) -> Server {
        let (http, media) = free_ports();
        Server::start_on(bin, data, http, media.port(), extra)
    }

    /// A server on these ports, its log appended to `data`/server.log.
    pub fn start_on(
        bin: &Path,
        data: &Path,
        http: SocketAddr,
        media_port: u16,
        extra: &[&str],
    ) -> Server {
        let log_path = data.join("server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("a server log file");
        let mut child = Command::new(bin)
            .args(["serve", "--listen", &http.to_string()])
            .args(["--media-port", &media_port.to_string()])
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the server starts");
        // Ready once it says so on stdout.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("giaoban listening on") {
                    let _ = tx.send(());
                }
            }
        });
        let server = Server {
            child,
            http,
            log_path,
        };
        if rx.recv_timeout(Duration::from_secs(15)).is_err() {
            panic!("the server did not start:\n{}", server.log());
        }
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `kill -9`: SIGKILL, no chance to flush or close anything.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL is sent");
        self.child.wait().expect("the server is reaped");
    }

    /// A gauge or counter of `/metrics` (answered to loopback).
    pub fn metric(&self, name: &str) -> Option<f64> {
        let (status, body) = http(self.http, "GET", "/metrics", None, None).ok()?;
        if status != 200 {
            return None;
        }
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request, `Connection: close`: the status and the body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    json: Option<&serde_json::Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = json.map(|j| j.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = bearer {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if json.is_some() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// Waits for `child` to exit; kills it and fails past `deadline`.
pub fn wait_with_deadline(
    child: &mut Child,
    deadline: Instant,
    output: &Path,
) -> std::process::ExitStatus {
    loop {
        if let Some(status) = child
            .try_wait()
            .expect("the load generator can be waited on")
        {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let output = std::fs::read_to_string(output).unwrap_or_default();
            panic!("giaoban-loadgen did not stop by itself:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `cond` every 100 ms until it holds or `limit` passes; returns how long it took.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}
