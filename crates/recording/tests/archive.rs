//! The archive copy made by the real `ffmpeg`, checked with `ffprobe` and by measuring the
//! audio. `ffmpeg` and `ffprobe` (Debian package `ffmpeg`) must be installed: these tests fail,
//! never skip, without them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use giaoban_recording::archive::{
    ArchiveError, ArchiveJob, AudioInput, Chapter, STDERR_TAIL_BYTES, VideoInput,
    probe_duration_ms, run,
};
use serde_json::Value;

const START: u64 = 1_700_000_000_000;

/// Runs a tool, failing the test with a clear message when it is not installed.
fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("`{program}` cannot be run ({e}): these tests need the Debian package `ffmpeg`")
        })
}

/// Makes a test input with `ffmpeg`.
fn generate(args: &[&str], out: &Path) {
    let mut all = vec!["-hide_banner", "-nostdin", "-y", "-v", "error"];
    all.extend_from_slice(args);
    let out = out.to_str().unwrap();
    all.push(out);
    let output = tool("ffmpeg", &all);
    assert!(
        output.status.success(),
        "generating {out}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn stage_video(dir: &Path, seconds: u32) -> PathBuf {
    let path = dir.join("stage.webm");
    let src = format!("testsrc=size=160x120:rate=10:duration={seconds}");
    generate(
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-b:v",
            "200k",
            "-f",
            "webm",
        ],
        &path,
    );
    path
}

/// An Opus WebM file from an `aevalsrc` expression.
fn opus_audio(dir: &Path, name: &str, expr: &str, seconds: f64) -> PathBuf {
    let path = dir.join(name);
    let src = format!("aevalsrc=exprs='{expr}':s=48000:d={seconds}");
    generate(
        &[
            "-f", "lavfi", "-i", &src, "-c:a", "libopus", "-b:a", "32k", "-f", "webm",
        ],
        &path,
    );
    path
}

fn probe(file: &Path) -> Value {
    let output = tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-show_chapters",
            "-of",
            "json",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn number(value: &Value) -> f64 {
    value.as_str().unwrap().parse().unwrap()
}

/// The loudest sample (dBFS) of the archive's audio between `from` and `to` seconds.
fn max_volume(file: &Path, from: f64, to: f64) -> f64 {
    let filter = format!("atrim=start={from}:end={to},volumedetect");
    let output = tool(
        "ffmpeg",
        &[
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-v",
            "info",
            "-i",
            file.to_str().unwrap(),
            "-map",
            "0:a:0",
            "-af",
            &filter,
            "-f",
            "null",
            "-",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "volumedetect: {stderr}");
    let line = stderr
        .lines()
        .find_map(|l| l.split("max_volume: ").nth(1))
        .unwrap_or_else(|| panic!("no max_volume in {stderr}"));
    line.trim_end_matches(" dB").trim().parse().unwrap()
}

/// Decodes the whole file; `ffmpeg -v error` must print nothing.
fn assert_decodes_cleanly(file: &Path) {
    let output = tool(
        "ffmpeg",
        &[
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            file.to_str().unwrap(),
            "-f",
            "null",
            "-",
        ],
    );
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

fn streams(probe: &Value) -> Vec<(String, String)> {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["codec_type"].as_str().unwrap().to_owned(),
                s["codec_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".part"))
        .collect()
}

#[test]
fn archive_with_stage_video_mixed_audio_and_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let stage = stage_video(dir.path(), 8);
    // The host: loud from its first sample, 2.5 s long, starting 0.5 s into the archive.
    let host = opus_audio(dir.path(), "host.webm", "0.125*sin(2*PI*440*t)", 2.5);
    // A point: started 1 s before the archive, silent for its first 6.5 s (so loud from 5.5 s
    // of the archive on), heard only from 5 s to 7 s.
    let point = opus_audio(
        dir.path(),
        "point.webm",
        "0.25*sin(2*PI*1000*t)*gte(t,6.5)",
        9.0,
    );
    let out = dir.path().join("phien-hop.webm");
    let mut job = ArchiveJob::new(START, START + 8000, &out);
    job.stage_video = Some(VideoInput {
        path: stage.clone(),
        started_unix_ms: START,
    });
    job.audio = vec![
        AudioInput {
            path: host,
            started_unix_ms: START + 500,
            heard: None,
        },
        AudioInput {
            path: point,
            started_unix_ms: START - 1000,
            heard: Some(vec![(START + 5000, START + 7000)]),
        },
    ];
    job.chapters = vec![
        Chapter {
            start_unix_ms: START + 5000,
            end_unix_ms: None,
            title: "Phòng Giáo dục = Đào tạo; số #1".into(),
        },
        Chapter {
            start_unix_ms: START + 500,
            end_unix_ms: Some(START + 3000),
            title: "UBND xã Hưng Nguyên".into(),
        },
    ];

    let summary = run(&job).unwrap();
    assert_eq!(summary.duration_ms, 8000);
    assert_eq!(summary.chapters, 2);
    assert_eq!(summary.audio_inputs, 2);
    assert!(summary.video);
    assert!(summary.skipped.is_empty());
    assert_eq!(summary.bytes, std::fs::metadata(&out).unwrap().len());
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );

    let info = probe(&out);
    assert_eq!(
        streams(&info),
        vec![
            ("video".to_owned(), "vp8".to_owned()),
            ("audio".to_owned(), "opus".to_owned())
        ]
    );
    let duration = number(&info["format"]["duration"]);
    assert!((duration - 8.0).abs() < 0.5, "duration {duration}");
    let chapters = info["chapters"].as_array().unwrap();
    let chapters: Vec<(f64, f64, &str)> = chapters
        .iter()
        .map(|c| {
            (
                number(&c["start_time"]),
                number(&c["end_time"]),
                c["tags"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chapters,
        vec![
            (0.5, 3.0, "UBND xã Hưng Nguyên"),
            (5.0, 8.0, "Phòng Giáo dục = Đào tạo; số #1"),
        ]
    );
    assert_decodes_cleanly(&out);

    // Silent before the host starts, between the speakers, and after the point's floor.
    for (from, to) in [(0.0, 0.4), (3.2, 4.8), (5.1, 5.4), (7.2, 8.0)] {
        let level = max_volume(&out, from, to);
        assert!(
            level < -50.0,
            "{from}..{to} s: {level} dB, expected silence"
        );
    }
    // The host alone keeps its level (-18 dBFS): no drop from the mixing.
    let host_level = max_volume(&out, 0.7, 2.8);
    assert!((host_level + 18.0).abs() < 2.0, "host at {host_level} dB");
    // The point, trimmed by the second it started early, is heard from 5.5 s.
    let point_level = max_volume(&out, 5.6, 6.4);
    assert!(
        (point_level + 12.0).abs() < 2.0,
        "point at {point_level} dB"
    );

    let probed = probe_duration_ms(Path::new("ffprobe"), &out)
        .unwrap()
        .unwrap();
    assert!(probed.abs_diff(8000) < 500, "probed {probed} ms");
    let stage_ms = probe_duration_ms(Path::new("ffprobe"), &stage)
        .unwrap()
        .unwrap();
    assert!(stage_ms.abs_diff(8000) < 200, "stage {stage_ms} ms");
}

#[test]
fn without_stage_video_the_archive_is_audio_only_and_missing_inputs_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let voice = opus_audio(dir.path(), "voice.webm", "0.125*sin(2*PI*600*t)", 1.0);
    let missing = dir.path().join("never-written.webm");
    let empty = dir.path().join("empty.webm");
    std::fs::write(&empty, b"").unwrap();
    let out = dir.path().join("audio.webm");
    let mut job = ArchiveJob::new(START, START + 3000, &out);
    job.stage_video = Some(VideoInput {
        path: dir.path().join("no-stage.webm"),
        started_unix_ms: START,
    });
    job.audio = vec![
        AudioInput {
            path: missing.clone(),
            started_unix_ms: START,
            heard: None,
        },
        AudioInput {
            path: voice,
            started_unix_ms: START + 1000,
            heard: None,
        },
        AudioInput {
            path: empty.clone(),
            started_unix_ms: START,
            heard: None,
        },
    ];
    let summary = run(&job).unwrap();
    assert!(!summary.video);
    assert_eq!(summary.audio_inputs, 1);
    assert_eq!(
        summary.skipped,
        vec![dir.path().join("no-stage.webm"), missing, empty]
    );
    let info = probe(&out);
    assert_eq!(
        streams(&info),
        vec![("audio".to_owned(), "opus".to_owned())]
    );
    let duration = number(&info["format"]["duration"]);
    assert!((duration - 3.0).abs() < 0.5, "duration {duration}");
    assert!(info["chapters"].as_array().unwrap().is_empty());
    assert!(max_volume(&out, 0.0, 0.9) < -50.0);
    assert!(max_volume(&out, 1.1, 1.9) > -21.0);
    assert!(max_volume(&out, 2.1, 3.0) < -50.0);
    assert_decodes_cleanly(&out);
}

#[test]
fn without_any_input_the_archive_is_silence_of_the_whole_length() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("silence.mkv");
    let mut job = ArchiveJob::new(START, START + 2500, &out);
    job.chapters = vec![Chapter {
        start_unix_ms: START + 1000,
        end_unix_ms: None,
        title: "Chủ trì".into(),
    }];
    let summary = run(&job).unwrap();
    assert_eq!((summary.audio_inputs, summary.chapters), (0, 1));
    let info = probe(&out);
    assert_eq!(info["format"]["format_name"], "matroska,webm");
    assert_eq!(
        streams(&info),
        vec![("audio".to_owned(), "opus".to_owned())]
    );
    let duration = number(&info["format"]["duration"]);
    assert!((duration - 2.5).abs() < 0.5, "duration {duration}");
    assert_eq!(info["chapters"][0]["tags"]["title"], "Chủ trì");
    assert!(max_volume(&out, 0.0, 2.5) < -50.0);
}

#[test]
fn three_hundred_heard_intervals_work() {
    let dir = tempfile::tempdir().unwrap();
    let voice = opus_audio(dir.path(), "voice.webm", "0.125*sin(2*PI*500*t)", 4.0);
    let out = dir.path().join("many.webm");
    let mut job = ArchiveJob::new(START, START + 4000, &out);
    // Heard 7 ms in every 10 ms over the first 3 s: 300 intervals (muting is exact to 10 ms).
    let heard: Vec<(u64, u64)> = (0..300)
        .map(|i| (START + i * 10 - 2, START + i * 10 + 5))
        .collect();
    job.audio = vec![AudioInput {
        path: voice,
        started_unix_ms: START,
        heard: Some(heard),
    }];
    run(&job).unwrap();
    assert!(max_volume(&out, 0.2, 2.8) > -21.0);
    assert!(max_volume(&out, 3.1, 4.0) < -50.0);
    assert_decodes_cleanly(&out);
}

#[test]
fn a_missing_ffmpeg_is_named_with_its_debian_package() {
    let dir = tempfile::tempdir().unwrap();
    for program in ["/nonexistent/bin/ffmpeg", "ffmpeg-not-installed-here"] {
        let mut job = ArchiveJob::new(START, START + 1000, dir.path().join("x.webm"));
        job.ffmpeg = program.into();
        let error = run(&job).unwrap_err();
        assert!(
            matches!(error, ArchiveError::ToolMissing { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(program), "{message}");
        assert!(message.contains("Debian package `ffmpeg`"), "{message}");
    }
    let error = probe_duration_ms(Path::new("/nonexistent/ffprobe"), Path::new("x")).unwrap_err();
    assert!(
        matches!(error, ArchiveError::ToolMissing { .. }),
        "{error:?}"
    );
    assert!(leftovers(dir.path()).is_empty());
}

/// An executable shell script standing in for `ffmpeg`.
fn fake_ffmpeg(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-ffmpeg");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_failing_ffmpeg_reports_its_code_and_the_tail_of_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    // 200 KB of errors, then the line that matters, and a half-written output.
    let ffmpeg = fake_ffmpeg(
        dir.path(),
        "i=0; while [ $i -lt 4000 ]; do echo \"noise line $i noise noise noise noise\" >&2; i=$((i+1)); done\n\
         for last; do :; done; echo partial > \"${last#file:}\"\n\
         echo 'the real reason' >&2; exit 3",
    );
    let out = dir.path().join("failed.webm");
    let mut job = ArchiveJob::new(START, START + 1000, &out);
    job.ffmpeg = ffmpeg;
    match run(&job).unwrap_err() {
        ArchiveError::Failed { code, stderr, .. } => {
            assert_eq!(code, Some(3));
            assert!(stderr.len() <= STDERR_TAIL_BYTES, "{} bytes", stderr.len());
            assert!(stderr.len() > STDERR_TAIL_BYTES / 2);
            assert!(stderr.ends_with("the real reason"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!out.exists());
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn a_hanging_ffmpeg_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // The shell waits for a child that keeps the stderr pipe open after the shell is killed.
    let ffmpeg = fake_ffmpeg(dir.path(), "echo started >&2; sleep 6");
    let out = dir.path().join("slow.webm");
    let mut job = ArchiveJob::new(START, START + 1000, &out);
    job.ffmpeg = ffmpeg;
    job.timeout = Duration::from_millis(300);
    let began = Instant::now();
    match run(&job).unwrap_err() {
        ArchiveError::Timeout {
            stderr, timeout, ..
        } => {
            assert_eq!(timeout, Duration::from_millis(300));
            assert_eq!(stderr, "started");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    assert!(!out.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_stage_video_started_late_is_placed_at_its_start_and_stereo_keeps_its_level() {
    let dir = tempfile::tempdir().unwrap();
    let stage = stage_video(dir.path(), 4);
    // The same tone on both channels, as a browser sends a mono voice.
    let stereo = opus_audio(
        dir.path(),
        "stereo.webm",
        "0.125*sin(2*PI*440*t)|0.125*sin(2*PI*440*t)",
        6.0,
    );
    let out = dir.path().join("late.webm");
    let mut job = ArchiveJob::new(START, START + 6000, &out);
    job.stage_video = Some(VideoInput {
        path: stage,
        started_unix_ms: START + 1000,
    });
    job.audio = vec![AudioInput {
        path: stereo,
        started_unix_ms: START,
        heard: None,
    }];
    run(&job).unwrap();
    let info = probe(&out);
    let video = &info["streams"][0];
    assert_eq!(video["codec_name"], "vp8");
    let video_start = number(&video["start_time"]);
    assert!(
        (video_start - 1.0).abs() < 0.1,
        "video starts at {video_start}"
    );
    let audio = &info["streams"][1];
    assert_eq!(audio["codec_name"], "opus");
    assert_eq!(audio["channels"], 1);
    assert_eq!(audio["sample_rate"], "48000");
    let duration = number(&info["format"]["duration"]);
    assert!((duration - 6.0).abs() < 0.5, "duration {duration}");
    let level = max_volume(&out, 0.5, 5.5);
    assert!((level + 18.0).abs() < 2.0, "stereo voice at {level} dB");
    assert_decodes_cleanly(&out);
}

#[test]
fn probing_a_file_that_is_not_media_fails_with_ffprobes_reason() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.webm");
    std::fs::write(&junk, b"not a media file at all").unwrap();
    match probe_duration_ms(Path::new("ffprobe"), &junk).unwrap_err() {
        ArchiveError::Failed { code, stderr, .. } => {
            assert_ne!(code, Some(0));
            assert!(stderr.contains("Invalid data"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_gap_in_an_inputs_timestamps_stays_silent() {
    let dir = tempfile::tempdir().unwrap();
    let tone = opus_audio(dir.path(), "tone.webm", "0.125*sin(2*PI*440*t)", 2.0);
    // Packets after 1 s are moved 1 s later, as when a browser stops sending during silence.
    let gap = dir.path().join("gap.webm");
    generate(
        &[
            "-i",
            tone.to_str().unwrap(),
            "-c:a",
            "copy",
            "-bsf:a",
            "setts=ts=if(gte(PTS\\,1000)\\,PTS+1000\\,PTS)",
            "-f",
            "webm",
        ],
        &gap,
    );
    let out = dir.path().join("gap-archive.webm");
    let mut job = ArchiveJob::new(START, START + 3500, &out);
    job.audio = vec![AudioInput {
        path: gap,
        started_unix_ms: START,
        heard: None,
    }];
    run(&job).unwrap();
    assert!(max_volume(&out, 0.1, 0.9) > -21.0);
    let level = max_volume(&out, 1.1, 1.9);
    assert!(level < -50.0, "the gap is at {level} dB");
    assert!(max_volume(&out, 2.1, 2.9) > -21.0);
    assert!(max_volume(&out, 3.1, 3.5) < -50.0);
}

#[test]
fn an_input_that_ended_before_the_archive_started_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let early = opus_audio(dir.path(), "early.webm", "0.125*sin(2*PI*440*t)", 1.0);
    let host = opus_audio(dir.path(), "host.webm", "0.125*sin(2*PI*300*t)", 1.0);
    let out = dir.path().join("early-archive.webm");
    let mut job = ArchiveJob::new(START, START + 2000, &out);
    job.audio = vec![
        AudioInput {
            path: early,
            started_unix_ms: START - 5000,
            heard: None,
        },
        AudioInput {
            path: host,
            started_unix_ms: START + 1000,
            heard: None,
        },
    ];
    let summary = run(&job).unwrap();
    assert_eq!(summary.audio_inputs, 2);
    assert!(max_volume(&out, 0.0, 0.9) < -50.0);
    assert!(max_volume(&out, 1.1, 1.9) > -21.0);
    let duration = number(&probe(&out)["format"]["duration"]);
    assert!((duration - 2.0).abs() < 0.5, "duration {duration}");
}
