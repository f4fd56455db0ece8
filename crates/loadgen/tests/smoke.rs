//! Smoke runs of the load generator against the real server binary, a few seconds each on
//! loopback: the `briefing` scenario with 1 host and 10 bridge points, where every point must
//! connect, no frame may be lost or carried on a slot the server labelled with another point,
//! and every bridge point must receive the host's audio and video; a `join-storm` of a handful of points with a short flood, where everyone must
//! be welcomed and every figure reported; two briefings at once on a server with two media
//! threads, each on its own thread and neither losing a frame; and a storm of 300, where a point connected from
//! the start must receive under 150 kB of signalling in all.
//!
//! The server binary is `GIAOBAN_BIN`, else `<repo>/target/release/giaoban`; the test fails
//! when it is missing (build it with `cargo build --release -p giaoban-server`). It is not
//! part of `cargo test --workspace`, which runs before that build; run it with
//! `cargo test --release -p giaoban-loadgen --test smoke`.

use std::time::Duration;

mod common;

use common::{Loadgen, Server, server_binary};

const POINTS: usize = 10;
const RUN_SECONDS: u64 = 6;

#[test]
fn briefing_of_ten_points_loses_nothing_and_everyone_gets_the_host() {
    let points = POINTS.to_string();
    let seconds = RUN_SECONDS.to_string();
    let (report, output, took) = run_loadgen(
        &[
            "--scenario",
            "briefing",
            "--points",
            &points,
            "--duration",
            &seconds,
            // The web client's layers, at rates that keep the host's page of ten thumbnails
            // well inside the server's egress estimate.
            "--simulcast",
            "--video-kbps",
            "400",
            "--low-kbps",
            "100",
        ],
        Duration::from_secs(RUN_SECONDS + 15),
    );
    assert!(
        took < Duration::from_secs(RUN_SECONDS + 10),
        "the run took {took:?}, longer than its duration allows"
    );
    let step = &report["steps"][0];
    assert_eq!(step["expected"], POINTS + 1, "{output}");
    assert_clean_step(step, POINTS + 1, &output);
    let delivery = step["host_audio_delivery_percent"].as_f64().unwrap_or(0.0);
    assert!(
        delivery > 90.0,
        "the host's audio reached everyone all along\n{output}"
    );

    let points = report["points"].as_array().expect("point reports");
    assert_eq!(points.len(), POINTS + 1);
    for point in points {
        let name = &point["point"];
        assert_eq!(point["error"], serde_json::Value::Null, "{name}: {point}");
        assert_eq!(point["connected"], true, "{name} connected");
        assert_eq!(point["lost"], 0, "{name} lost frames: {point}");
        assert_eq!(
            point["mislabelled"], 0,
            "{name} mislabelled frames: {point}"
        );
        if point["role"] == "point" {
            assert!(
                point["watched_audio_frames"].as_u64().unwrap_or(0) > 0,
                "{name} heard the host: {point}"
            );
            assert!(
                point["watched_video_frames"].as_u64().unwrap_or(0) > 0,
                "{name} saw the host: {point}"
            );
        } else {
            // The host's page of 25 thumbnails holds all ten points.
            assert_eq!(point["video_sources"], POINTS, "the host's grid: {point}");
        }
    }
}

#[test]
fn join_storm_of_a_handful_welcomes_everyone_and_reports_the_server() {
    const STORM_POINTS: usize = 6;
    let points = STORM_POINTS.to_string();
    let (report, output, _) = run_loadgen(
        &[
            "--scenario",
            "join-storm",
            "--points",
            &points,
            "--within",
            "1",
            "--settle-seconds",
            "1",
            "--flood",
            "--flood-rate",
            "100",
            "--flood-seconds",
            "1",
            // Far above what a handful of points costs: the limit is exercised, not reached.
            "--server-rss-limit-mb",
            "2048",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(report["stopped_by"], "settled", "{output}");
    assert_eq!(report["points"], STORM_POINTS);
    assert_eq!(
        report["welcomed"], STORM_POINTS,
        "everyone welcomed\n{output}"
    );
    assert_eq!(report["never_welcomed"], 0, "{output}");
    assert!(report["all_welcomed_s"].is_f64(), "{output}");
    let observer = &report["observer"];
    assert_eq!(observer["welcomed"], true, "{output}");
    // The observer joined first: it hears of every later join and of the flood.
    assert!(
        observer["messages"].as_u64().unwrap_or(0) > STORM_POINTS as u64,
        "the observer heard the storm\n{output}"
    );
    assert!(
        report["received"]["bytes_max"].as_u64().unwrap_or(0) > 0,
        "{output}"
    );
    assert!(
        report["healthz"]["polls"].as_u64().unwrap_or(0) > 0,
        "{output}"
    );
    assert_eq!(report["healthz"]["failures"], 0, "{output}");
    let memory = &report["server"];
    assert!(
        memory["rss_before_mb"].as_f64().unwrap_or(0.0) > 0.0,
        "{output}"
    );
    assert!(
        memory["rss_after_mb"].as_f64().unwrap_or(0.0) > 0.0,
        "{output}"
    );
    assert_eq!(memory["killed"], serde_json::Value::Null, "{output}");
    let flood = &report["flood"];
    assert!(
        flood["sent"].as_u64().unwrap_or(0) > 0,
        "the flood ran\n{output}"
    );
    assert_eq!(flood["non_reader_connected"], true, "{output}");
    assert_eq!(report["errors"], serde_json::json!([]), "{output}");
}

/// The release server binary; a missing one fails the test with the way to build it.
/// A join storm of 300 points: everyone is welcomed, and a point connected from the start
/// receives under 150 kB of signalling in all (a join costs the others a `presence` message,
/// not the whole briefing state), with the server's memory far from its limit.
#[test]
fn join_storm_of_300_costs_a_connected_point_under_150_kb() {
    const STORM_POINTS: usize = 300;
    let points = STORM_POINTS.to_string();
    let (report, output, _) = run_loadgen(
        &[
            "--scenario",
            "join-storm",
            "--points",
            &points,
            "--within",
            "5",
            "--settle-seconds",
            "2",
            "--server-rss-limit-mb",
            "1024",
        ],
        Duration::from_secs(90),
    );
    assert_eq!(
        report["welcomed"], STORM_POINTS,
        "everyone welcomed\n{output}"
    );
    let observer = &report["observer"];
    assert_eq!(observer["welcomed"], true, "{output}");
    let bytes = observer["bytes"].as_u64().unwrap_or(u64::MAX);
    assert!(
        bytes < 150_000,
        "a connected point received {bytes} bytes while 300 joined\n{output}"
    );
    assert_eq!(
        report["server"]["killed"],
        serde_json::Value::Null,
        "{output}"
    );
}

/// Runs `giaoban-loadgen` with `args` against a fresh server (whose pid it is given), within
/// `deadline`, and returns its JSON report, its output and how long it took. Fails the test,
/// with the server's log, when the run fails.
fn run_loadgen(args: &[&str], deadline: Duration) -> (serde_json::Value, String, Duration) {
    let bin = server_binary();
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(&bin, data.path(), &[]);
    let run = Loadgen::start(&bin, data.path(), &server, "run", args);
    run.finish(deadline, &server)
}

/// Two briefings on a server with two media threads, run at once: each briefing is placed on
/// a thread of its own, both threads forward media, and neither briefing loses a frame.
#[test]
fn two_briefings_run_on_two_media_threads_and_lose_nothing() {
    const PER_BRIEFING: usize = 5;
    let bin = server_binary();
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(&bin, data.path(), &["--media-threads", "2"]);
    let points = PER_BRIEFING.to_string();
    let seconds = RUN_SECONDS.to_string();
    let args = [
        "--scenario",
        "briefing",
        "--points",
        &points,
        "--duration",
        &seconds,
        "--simulcast",
        "--video-kbps",
        "400",
        "--low-kbps",
        "100",
    ];
    let runs: Vec<Loadgen> = ["first", "second"]
        .into_iter()
        .map(|name| Loadgen::start(&bin, data.path(), &server, name, &args))
        .collect();
    for run in runs {
        let (report, output, _) = run.finish(Duration::from_secs(RUN_SECONDS + 25), &server);
        assert_clean_step(&report["steps"][0], PER_BRIEFING + 1, &output);
    }
    // Each media thread spent CPU time: each carried one of the briefings.
    let busy = media_thread_ticks(server.child.id());
    assert_eq!(busy.len(), 2, "two media threads: {busy:?}");
    for (thread, ticks) in &busy {
        assert!(*ticks > 0, "{thread} forwarded nothing: {busy:?}");
    }
}

/// A run's step in which all `points` connected, frames flowed, none was lost and none came
/// under another point's name.
fn assert_clean_step(step: &serde_json::Value, points: usize, output: &str) {
    assert_eq!(step["connected"], points, "every point connected\n{output}");
    assert!(
        step["frames"].as_u64().unwrap_or(0) > 0,
        "frames flowed\n{output}"
    );
    assert_eq!(step["lost"], 0, "no frame lost in the window\n{output}");
    assert_eq!(
        step["mislabelled"], 0,
        "every frame came from the point its slot was labelled with\n{output}"
    );
}

/// CPU time (clock ticks) of each media thread of process `pid`, by thread name.
fn media_thread_ticks(pid: u32) -> Vec<(String, u64)> {
    let mut threads = Vec::new();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the server's threads");
    for task in tasks.map_while(Result::ok) {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let name = name.trim();
        // "gb-media-0", "gb-media-1", …; the receive thread is "gb-media-rx".
        if !name.starts_with("gb-media-") || name == "gb-media-rx" {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // After the command in parentheses: state, then utime and stime are the 12th and
        // 13th fields.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        threads.push((name.to_owned(), ticks(11) + ticks(12)));
    }
    threads.sort();
    threads
}
