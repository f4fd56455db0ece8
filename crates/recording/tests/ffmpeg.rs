//! Real VP8 and Opus (made by ffmpeg) fed as RTP through a `SourceRecorder`; the files are
//! then read back by ffprobe and decoded by ffmpeg, whole, after a cut and `recover`, and
//! across a resolution change.
//!
//! These tests need `ffmpeg` and `ffprobe` (Debian's `ffmpeg` package) and fail without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use giaoban_recording::frames::RtpIn;
use giaoban_recording::recover::recover;
use giaoban_recording::source::{SourceEvent, SourceRecorder};

const T0: u64 = 1_700_000_000_000;

/// Largest VP8 data per RTP packet.
const MAX_CHUNK: usize = 1000;

fn run(cmd: &mut Command) -> std::process::Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run {:?} ({e}): these tests need ffmpeg and ffprobe (apt-get install ffmpeg)",
            cmd.get_program()
        ),
    }
}

fn ffmpeg_make(args: &[&str], out: &Path) {
    let o = run(Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(out));
    assert!(
        o.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// VP8 frames of `seconds` of a test picture at 15 fps, a keyframe each second.
fn vp8_frames(dir: &Path, size: &str, seconds: u32) -> Vec<Vec<u8>> {
    let out = dir.join(format!("v-{size}.ivf"));
    let src = format!("testsrc=size={size}:rate=15");
    let t = seconds.to_string();
    ffmpeg_make(
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-t",
            &t,
            "-c:v",
            "libvpx",
            "-g",
            "15",
            "-b:v",
            "400k",
            "-auto-alt-ref",
            "0",
            "-lag-in-frames",
            "0",
            "-deadline",
            "realtime",
            "-f",
            "ivf",
        ],
        &out,
    );
    let bytes = std::fs::read(&out).expect("read ivf");
    assert_eq!(&bytes[..4], b"DKIF");
    let header_len = u16::from_le_bytes([bytes[6], bytes[7]]) as usize;
    let mut pos = header_len;
    let mut frames = Vec::new();
    while pos + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4")) as usize;
        pos += 12;
        frames.push(bytes[pos..pos + len].to_vec());
        pos += len;
    }
    assert!(
        frames.len() as u32 >= seconds * 15 - 1,
        "{} frames",
        frames.len()
    );
    frames
}

/// Opus packets (20 ms) of `seconds` of a sine, from an Ogg file.
fn opus_packets(dir: &Path, seconds: u32) -> Vec<Vec<u8>> {
    let out = dir.join("a.ogg");
    let t = seconds.to_string();
    ffmpeg_make(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            &t,
            "-ac",
            "2",
            "-c:a",
            "libopus",
            "-b:a",
            "48k",
            "-frame_duration",
            "20",
            "-f",
            "ogg",
        ],
        &out,
    );
    let bytes = std::fs::read(&out).expect("read ogg");
    let mut packets = Vec::new();
    let mut current = Vec::new();
    let mut pos = 0;
    while pos + 27 <= bytes.len() {
        assert_eq!(&bytes[pos..pos + 4], b"OggS", "ogg page at {pos}");
        let nsegs = bytes[pos + 26] as usize;
        let table = &bytes[pos + 27..pos + 27 + nsegs];
        let mut data = pos + 27 + nsegs;
        for &lace in table {
            current.extend_from_slice(&bytes[data..data + lace as usize]);
            data += lace as usize;
            if lace < 255 {
                packets.push(std::mem::take(&mut current));
            }
        }
        pos = data;
    }
    assert!(packets[0].starts_with(b"OpusHead"));
    assert!(packets[1].starts_with(b"OpusTags"));
    packets.drain(..2);
    packets
}

/// RTP for one VP8 frame: descriptors with a 15-bit picture id, S on the first packet.
fn vp8_rtp(frame: &[u8], picture_id: u16) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = frame.chunks(MAX_CHUNK).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = if i == 0 { 0x10 } else { 0 };
            let mut p = vec![
                0x80 | s,
                0x80,
                0x80 | (picture_id >> 8) as u8 & 0x7F,
                picture_id as u8,
            ];
            p.extend_from_slice(c);
            p
        })
        .collect()
}

/// Feeds audio and video to a recorder in wall-clock order, as they would arrive, with some
/// video packets swapped; returns the recorder's events. `snapshot_at`: (wall ms, where to
/// copy the file being written then).
struct Feed {
    video: Vec<Vec<u8>>,
    audio: Vec<Vec<u8>>,
}

fn record(
    dir: &Path,
    stem: &str,
    feed: &Feed,
    snapshot_at: Option<(u64, &Path)>,
) -> Vec<SourceEvent> {
    let mut r = SourceRecorder::new(dir, stem, true);
    let mut events = Vec::new();
    // (wall ms, kind, index): audio every 20 ms, video at 15 fps.
    let mut items: Vec<(u64, u8, usize)> = (0..feed.audio.len())
        .map(|i| (i as u64 * 20, 0, i))
        .chain((0..feed.video.len()).map(|i| (i as u64 * 1000 / 15, 1, i)))
        .collect();
    items.sort();
    let end = items.last().map_or(0, |i| i.0);
    let mut vseq = 65_000u64; // crosses 65535
    let mut aseq = 1u64;
    let vts0 = u32::MAX - 90_000; // the RTP timestamp wraps after a second
    let ats0 = u32::MAX - 48_000;
    let mut next_tick = 0;
    let mut snapshot = snapshot_at;
    for (t, kind, i) in items {
        while next_tick <= t {
            r.tick(T0 + next_tick).expect("tick");
            next_tick += 50;
        }
        if let Some((at, path)) = snapshot
            && t >= at
        {
            let current = r.current_file().expect("a file is open").to_path_buf();
            std::fs::copy(current, path).expect("snapshot");
            snapshot = None;
        }
        let wall = T0 + t;
        if kind == 0 {
            r.push_audio(RtpIn {
                seq: aseq,
                timestamp: ats0.wrapping_add(i as u32 * 960),
                marker: false,
                payload: &feed.audio[i],
                arrival_unix_ms: wall,
            })
            .expect("audio");
            aseq += 1;
        } else {
            let mut packets: Vec<(u64, bool, Vec<u8>)> = vp8_rtp(&feed.video[i], i as u16)
                .into_iter()
                .enumerate()
                .map(|(k, p)| (vseq + k as u64, false, p))
                .collect();
            vseq += packets.len() as u64;
            if let Some(last) = packets.last_mut() {
                last.1 = true;
            }
            if packets.len() > 1 && i % 3 == 0 {
                packets.swap(0, 1);
            }
            for (seq, marker, p) in &packets {
                r.push_video(RtpIn {
                    seq: *seq,
                    timestamp: vts0.wrapping_add(i as u32 * 6000),
                    marker: *marker,
                    payload: p,
                    arrival_unix_ms: wall + 2,
                })
                .expect("video");
            }
        }
        events.extend(std::iter::from_fn(|| r.poll_event()));
    }
    r.finish(T0 + end + 100).expect("finish");
    events.extend(std::iter::from_fn(|| r.poll_event()));
    events
}

fn closed_files(events: &[SourceEvent]) -> Vec<(PathBuf, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            SourceEvent::FileClosed {
                path, duration_ms, ..
            } => Some((path.clone(), *duration_ms)),
            _ => None,
        })
        .collect()
}

struct Probe {
    duration_s: f64,
    codecs: Vec<String>,
    width: Option<u32>,
    /// Per codec: (start time in s, packets read).
    streams: std::collections::BTreeMap<String, (f64, u64)>,
}

fn probe(path: &Path) -> Probe {
    let o = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_name,width,start_time,nb_read_packets",
            "-count_packets",
            "-of",
            "default=noprint_wrappers=1",
        ])
        .arg(path));
    assert!(
        o.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let mut p = Probe {
        duration_s: -1.0,
        codecs: Vec::new(),
        width: None,
        streams: Default::default(),
    };
    let mut codec = String::new();
    for line in out.lines() {
        if let Some(v) = line.strip_prefix("duration=") {
            p.duration_s = v.parse().unwrap_or(-1.0);
        } else if let Some(v) = line.strip_prefix("codec_name=") {
            p.codecs.push(v.to_string());
            codec = v.to_string();
        } else if let Some(v) = line.strip_prefix("width=") {
            p.width = v.parse().ok();
        } else if let Some(v) = line.strip_prefix("start_time=") {
            p.streams.entry(codec.clone()).or_default().0 = v.parse().unwrap_or(-1.0);
        } else if let Some(v) = line.strip_prefix("nb_read_packets=") {
            p.streams.entry(codec.clone()).or_default().1 = v.parse().unwrap_or(0);
        }
    }
    p.codecs.sort();
    p
}

/// Decodes the whole file; panics with ffmpeg's messages if it reports any error.
fn decodes_cleanly(path: &Path) {
    let o = run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"]));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && stderr.trim().is_empty(),
        "decoding {} reported: {stderr}",
        path.display()
    );
}

fn assert_close(actual_s: f64, expected_s: f64, what: &str) {
    assert!(
        (actual_s - expected_s).abs() <= expected_s * 0.10,
        "{what}: duration {actual_s} s, expected {expected_s} s within 10 %"
    );
}

#[test]
fn camera_and_microphone_to_a_file_ffmpeg_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = tempfile::tempdir().expect("tempdir");
    let feed = Feed {
        video: vp8_frames(media.path(), "320x240", 4),
        audio: opus_packets(media.path(), 4),
    };
    let snapshot = media.path().join("snapshot.webm");
    let events = record(dir.path(), "cam", &feed, Some((2_500, &snapshot)));
    let files = closed_files(&events);
    assert_eq!(files.len(), 1, "{events:?}");
    let (path, duration_ms) = &files[0];
    assert_close(*duration_ms as f64 / 1000.0, 4.0, "FileClosed");
    let p = probe(path);
    assert_eq!(p.codecs, ["opus", "vp8"]);
    assert_eq!(p.width, Some(320));
    assert_close(p.duration_s, 4.0, "ffprobe");
    // Every frame fed is in the file, and both tracks start at the file's start.
    assert_eq!(p.streams["vp8"].1, feed.video.len() as u64);
    assert_eq!(p.streams["opus"].1, feed.audio.len() as u64);
    assert!(p.streams["vp8"].0.abs() < 0.1, "{:?}", p.streams);
    assert!(p.streams["opus"].0.abs() < 0.1, "{:?}", p.streams);
    decodes_cleanly(path);

    // A writer killed mid-recording: the file as it was on disk, then with part of the next
    // write after it, then cuts of the finished file; each is recovered and decodes.
    let finished = std::fs::read(path).expect("read");
    let snap = std::fs::read(&snapshot).expect("read snapshot");
    assert!(snap.len() > 1000 && snap.len() < finished.len());
    let mut cuts: Vec<Vec<u8>> = [0usize, 1, 77, 3000]
        .iter()
        .map(|&extra| {
            let mut f = snap.clone();
            let end = (snap.len() + extra).min(finished.len());
            f.extend_from_slice(&finished[snap.len()..end]);
            f
        })
        .collect();
    for frac in [0.3, 0.55, 0.8, 0.97] {
        cuts.push(finished[..(finished.len() as f64 * frac) as usize].to_vec());
    }
    for (n, bytes) in cuts.iter().enumerate() {
        let cut_path = dir.path().join(format!("cut-{n}.webm"));
        std::fs::write(&cut_path, bytes).expect("write cut");
        let r = recover(&cut_path).expect("recover");
        assert!(!r.already_finished, "cut {n}");
        assert!(r.duration_ms > 500, "cut {n}: {r:?}");
        let p = probe(&cut_path);
        assert_eq!(p.codecs, ["opus", "vp8"], "cut {n}");
        assert!(
            (p.duration_s - r.duration_ms as f64 / 1000.0).abs() < 0.25,
            "cut {n}: ffprobe {} s, recover {r:?}",
            p.duration_s
        );
        decodes_cleanly(&cut_path);
        let again = recover(&cut_path).expect("recover again");
        assert!(again.already_finished);
    }
    // The snapshot taken at 2.5 s holds whole clusters up to about then.
    let r = recover(&dir.path().join("cut-0.webm")).expect("recovered");
    assert!(r.duration_ms >= 500 && r.duration_ms <= 2_600, "{r:?}");
}

#[test]
fn resolution_change_gives_two_files_that_decode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = tempfile::tempdir().expect("tempdir");
    let mut video = vp8_frames(media.path(), "320x240", 3);
    video.extend(vp8_frames(media.path(), "480x360", 3));
    let feed = Feed {
        video,
        audio: opus_packets(media.path(), 6),
    };
    let events = record(dir.path(), "cam", &feed, None);
    let files = closed_files(&events);
    assert_eq!(files.len(), 2, "{events:?}");
    for ((path, duration_ms), width) in files.iter().zip([320, 480]) {
        let p = probe(path);
        assert_eq!(p.codecs, ["opus", "vp8"], "{}", path.display());
        assert_eq!(p.width, Some(width));
        assert_close(*duration_ms as f64 / 1000.0, 3.0, "FileClosed");
        assert_close(p.duration_s, 3.0, "ffprobe");
        assert!(p.streams["vp8"].1 >= 44, "{:?}", p.streams);
        decodes_cleanly(path);
    }
}

#[test]
fn stage_track_follows_sources_and_decodes_across_a_resolution_change() {
    use giaoban_recording::stage::StageRecorder;
    let dir = tempfile::tempdir().expect("tempdir");
    let media = tempfile::tempdir().expect("tempdir");
    let mut video = vp8_frames(media.path(), "320x240", 3);
    video.extend(vp8_frames(media.path(), "480x360", 3));
    let feed = Feed {
        video,
        audio: opus_packets(media.path(), 6),
    };
    let events = record(dir.path(), "cam", &feed, None);
    let frames: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SourceEvent::VideoFrame(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), feed.video.len(), "every frame is told");
    let path = dir.path().join("stage.webm");
    let mut stage = StageRecorder::new(&path, T0);
    assert!(stage.set_source(Some("a".into())));
    // Source "a" for 1.4 s, then "b" (here the same frames under another name): the track
    // resumes at b's next keyframe (2 s), and crosses the size change at 3 s.
    for (i, f) in frames.iter().enumerate() {
        if i == 21 {
            assert!(stage.set_source(Some("b".into())));
        }
        let source = if i < 21 { "a" } else { "b" };
        stage.push(source, f).expect("push");
        stage.tick(f.wall_ms).expect("tick");
    }
    let done = stage.finish(T0 + 7_000).expect("finish").expect("a file");
    assert_close(done.duration_ms as f64 / 1000.0, 5.93, "stage");
    let p = probe(&path);
    assert_eq!(p.codecs, ["vp8"]);
    assert_eq!(p.width, Some(320), "the first keyframe's size is declared");
    // 0..1.4 s (21 frames) then 2 s..6 s (60 frames).
    assert_eq!(p.streams["vp8"].1, 21 + 60);
    decodes_cleanly(&path);
}
