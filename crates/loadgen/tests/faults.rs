//! Faults injected into the real server binary under load.
//!
//! - `kill -9` of a server carrying a briefing of a host and 20 bridge points of the load
//!   generator (publishing audio and video), right after a report was saved through the API and
//!   answered 200; then a restart on the same data directory and ports. The database passes
//!   `PRAGMA integrity_check`, the report is read back, and the points, which the load
//!   generator keeps joining again (`--reconnect-seconds`), are connected again within 30 s.
//! - A 5 s network outage (iptables drops every loopback packet of the test's media and HTTP
//!   ports), then three 3 s bursts of 10 % loss on the media: within 30 s of each, every point
//!   is connected with media flowing again, and no point was away 30 s. Needs root and
//!   iptables, as the network end-to-end tests do.
//!
//! Like the smoke test it needs the release server (`GIAOBAN_BIN`, else
//! `<repo>/target/release/giaoban`) and runs as its own step after that build:
//! `cargo test --release -p giaoban-loadgen --test faults`.

use std::process::Command;
use std::time::Duration;

mod common;

use common::{Loadgen, Server, free_ports, http, server_binary, wait_until};
use serde_json::{Value, json};

const POINTS: usize = 20;
/// The host and the bridge points.
const EVERYONE: f64 = (POINTS + 1) as f64;
/// Whole run of the load generator: joins, the outage and time connected again.
const RUN_SECONDS: u64 = 50;

/// Every point connected, signalling and media.
fn everyone_connected(server: &Server) -> bool {
    server.metric("giaoban_points_connected") == Some(EVERYONE)
        && server.metric("giaoban_media_peers") == Some(EVERYONE)
}

/// Every point connected, and media forwarded over the next half second.
fn media_flows_for_everyone(server: &Server) -> bool {
    let forwarded = || {
        server
            .metric("giaoban_media_frames_forwarded_total")
            .unwrap_or(0.0)
    };
    let before = forwarded();
    std::thread::sleep(Duration::from_millis(500));
    everyone_connected(server) && forwarded() > before + 100.0
}

#[test]
fn kill_9_under_load_keeps_acknowledged_writes_and_the_points_come_back() {
    let bin = server_binary();
    let data = tempfile::tempdir().expect("a temporary directory");
    let (http_addr, media) = free_ports();
    let server = Server::start_on(&bin, data.path(), http_addr, media.port(), &[]);

    // The briefing, made by the test so that it holds the links.
    let mut create = Command::new(&bin);
    create
        .args(["briefing", "create", "--json", "--data"])
        .arg(data.path())
        .args(["--title", "Giao ban thử sự cố", "--host", "Chủ trì"]);
    for i in 1..=POINTS {
        create.args(["--point", &format!("Điểm cầu {i:02}")]);
    }
    let created = create.output().expect("giaoban briefing create runs");
    assert!(created.status.success(), "{created:?}");
    let links_path = data.path().join("links.json");
    std::fs::write(&links_path, &created.stdout).expect("the links file");
    let links: Value = serde_json::from_slice(&created.stdout).expect("JSON links");
    let briefing = links["id"].as_str().expect("a briefing id").to_owned();
    let first_point = links["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["role"] == "point"))
        .and_then(|l| l["url"].as_str())
        .and_then(|u| u.rsplit_once("/j/"))
        .map(|(_, token)| token.to_owned())
        .expect("a point's link");

    let run = Loadgen::spawn(
        data.path(),
        "faults",
        &[
            "--links",
            links_path.to_str().expect("a UTF-8 path"),
            "--scenario",
            "briefing",
            "--points",
            &POINTS.to_string(),
            "--duration",
            &RUN_SECONDS.to_string(),
            "--video-kbps",
            "300",
            "--reconnect-seconds",
            "40",
        ],
    );
    assert!(
        wait_until(Duration::from_secs(30), || everyone_connected(&server)).is_some(),
        "all {} points connected before the kill\n{}\nserver log:\n{}",
        POINTS + 1,
        run.output(),
        server.log()
    );
    // Media flows through the server for a while.
    std::thread::sleep(Duration::from_secs(3));

    // An acknowledged write, then at once the kill.
    let session = http(http_addr, "GET", "/api/session", Some(&first_point), None)
        .expect("the session answers");
    let session: Value = serde_json::from_str(&session.1).expect("the session is JSON");
    let point_id = session["point"]["id"].as_str().expect("the point's id");
    let report_path = format!("/api/briefings/{briefing}/reports/{point_id}");
    let narrative = "Báo cáo gửi ngay trước sự cố: 12 xã hoàn thành.";
    let (status, body) = http(
        http_addr,
        "PUT",
        &report_path,
        Some(&first_point),
        Some(&json!({"narrative": narrative, "indicators": [{"name": "Xã hoàn thành", "value": "12"}]})),
    )
    .expect("the report is sent");
    assert_eq!(status, 200, "{body}");
    let pid = server.child.id();
    server.kill_9();
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the server is gone"
    );

    // The database as the kill left it.
    {
        let db = rusqlite::Connection::open(data.path().join("giaoban.sqlite3"))
            .expect("the database opens");
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("the integrity check runs");
        assert_eq!(check, "ok");
    }

    let server = Server::start_on(&bin, data.path(), http_addr, media.port(), &[]);
    let back = wait_until(Duration::from_secs(30), || everyone_connected(&server));
    assert!(
        back.is_some(),
        "every point connected again within 30 s of the restart: {:?} signalling, {:?} media\n{}\nserver log:\n{}",
        server.metric("giaoban_points_connected"),
        server.metric("giaoban_media_peers"),
        run.output(),
        server.log()
    );
    eprintln!("every point connected again {back:?} after the restart");

    let (status, body) =
        http(http_addr, "GET", &report_path, Some(&first_point), None).expect("the report is read");
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).expect("the report is JSON");
    assert_eq!(report["narrative"], narrative);
    assert_eq!(report["indicators"][0]["value"], 12.0);

    let (report, output, _) = run.finish(Duration::from_secs(RUN_SECONDS + 20), &server);
    let points = report["points"].as_array().expect("point reports");
    assert_eq!(points.len(), POINTS + 1, "{output}");
    let longest = points
        .iter()
        .filter_map(|p| p["longest_outage_s"].as_f64())
        .fold(0.0, f64::max);
    eprintln!("the longest a point was away: {longest:.1} s");
    for point in points {
        let name = &point["point"];
        assert_eq!(point["error"], Value::Null, "{name}: {point}\n{output}");
        assert!(
            point["reconnects"].as_u64().unwrap_or(0) >= 1,
            "{name} joined again: {point}"
        );
        let outage = point["longest_outage_s"].as_f64().unwrap_or(f64::MAX);
        assert!(outage < 30.0, "{name} was away {outage} s: {point}");
    }
}

/// Rules that drop loopback traffic of some ports, taken away when dropped. The ports are the
/// test's own (free ports picked for it), so nothing else on the machine is touched.
struct Blocked {
    rules: Vec<Vec<String>>,
}

impl Blocked {
    /// Drops every packet to or from the UDP port `udp` and the TCP port `tcp` (if any), or
    /// only the fraction `loss` of them.
    fn ports(udp: u16, tcp: Option<u16>, loss: Option<f64>) -> Blocked {
        let mut rules = Vec::new();
        let mut protos = vec![("udp", udp)];
        if let Some(tcp) = tcp {
            protos.push(("tcp", tcp));
        }
        for (proto, port) in protos {
            for side in ["--dport", "--sport"] {
                let mut rule: Vec<String> = ["INPUT", "-i", "lo", "-p", proto, side]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                rule.push(port.to_string());
                if let Some(p) = loss {
                    rule.extend(
                        ["-m", "statistic", "--mode", "random", "--probability"]
                            .iter()
                            .map(|s| s.to_string()),
                    );
                    rule.push(format!("{p}"));
                }
                rule.extend(["-j".to_string(), "DROP".to_string()]);
                iptables("-I", &rule);
                rules.push(rule);
            }
        }
        Blocked { rules }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        for rule in &self.rules {
            iptables("-D", rule);
        }
    }
}

fn iptables(action: &str, rule: &[String]) {
    let out = Command::new("iptables")
        .arg(action)
        .args(rule)
        .output()
        .expect("iptables runs (the test command installs it; this test needs root)");
    assert!(
        out.status.success(),
        "iptables {action} {}: {}",
        rule.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_network_outage_and_loss_bursts_under_load_leave_every_point_connected() {
    let bin = server_binary();
    let data = tempfile::tempdir().expect("a temporary directory");
    let (http_addr, media) = free_ports();
    let server = Server::start_on(&bin, data.path(), http_addr, media.port(), &[]);
    let run = Loadgen::start(
        &bin,
        data.path(),
        &server,
        "outage",
        &[
            "--scenario",
            "briefing",
            "--points",
            &POINTS.to_string(),
            "--duration",
            "70",
            "--video-kbps",
            "300",
            "--reconnect-seconds",
            "40",
        ],
    );
    assert!(
        wait_until(Duration::from_secs(30), || everyone_connected(&server)).is_some(),
        "all {} points connected before the faults\n{}\nserver log:\n{}",
        POINTS + 1,
        run.output(),
        server.log()
    );
    std::thread::sleep(Duration::from_secs(3));

    // A 5 s outage: nothing passes between the points and the server, media or signalling.
    {
        let _cut = Blocked::ports(media.port(), Some(http_addr.port()), None);
        std::thread::sleep(Duration::from_secs(5));
    }
    let back = wait_until(Duration::from_secs(30), || {
        media_flows_for_everyone(&server)
    });
    assert!(
        back.is_some(),
        "every point connected and media flowing within 30 s of a 5 s outage: {:?} signalling, {:?} media\n{}\nserver log:\n{}",
        server.metric("giaoban_points_connected"),
        server.metric("giaoban_media_peers"),
        run.output(),
        server.log()
    );
    eprintln!("after a 5 s outage, every point connected with media flowing {back:?} later");

    // Three bursts of 10 % loss on the media, 3 s each.
    for _ in 0..3 {
        {
            let _lossy = Blocked::ports(media.port(), None, Some(0.10));
            std::thread::sleep(Duration::from_secs(3));
        }
        std::thread::sleep(Duration::from_secs(3));
    }
    let back = wait_until(Duration::from_secs(30), || {
        media_flows_for_everyone(&server)
    });
    assert!(
        back.is_some(),
        "every point connected and media flowing after the loss bursts\n{}\nserver log:\n{}",
        run.output(),
        server.log()
    );

    let (report, output, _) = run.finish(Duration::from_secs(90), &server);
    // The faults took effect: frames were lost (a 5 s cut of 21 publishers is thousands).
    let lost = report["steps"][0]["lost"].as_u64().unwrap_or(0);
    assert!(
        lost > 1000,
        "the outage lost only {lost} frames: was it applied?\n{output}"
    );
    eprintln!("frames lost to the faults: {lost}");
    let points = report["points"].as_array().expect("point reports");
    assert_eq!(points.len(), POINTS + 1, "{output}");
    for point in points {
        let name = &point["point"];
        assert_eq!(point["error"], Value::Null, "{name}: {point}\n{output}");
        assert_eq!(point["connected"], true, "{name} at the end: {point}");
        let outage = point["longest_outage_s"].as_f64().unwrap_or(0.0);
        assert!(outage < 30.0, "{name} was away {outage} s: {point}");
    }
}
