//! The archive copy of a briefing ("bản ghi phiên họp"): one file for the whole briefing.
//!
//! Its video is the stage video file (VP8 in WebM, written live by [`crate::stage`], already
//! following the stage from source to source), copied as it is. Its audio is what the room
//! heard: the host's audio and the audio of each point while it held the floor, mixed into one
//! Opus track. Each floor grant becomes a chapter named after the point.
//!
//! # Why `ffmpeg`, and why after the briefing
//!
//! The recordings are written without re-encoding: the media path forwards RTP and never
//! decodes. The video can stay that way, but mixing audio cannot: several Opus streams must be
//! decoded, summed and encoded again. Rather than bring an Opus codec into the server, the
//! archive is made by Debian's `ffmpeg`, run as a child process once the recording has stopped
//! (or when the server restarts after a crash and finds a briefing without its archive):
//!
//! - no codec runs in the media path, and a codec bug cannot take the server down with it;
//! - the CPU is spent after the briefing, not while the briefing needs it, and the process
//!   runs niced (`nice -n 10`) and is killed at a timeout;
//! - decoding and encoding are done by codecs that Debian maintains and patches (`libopus`
//!   through `ffmpeg`), not by code of ours.
//!
//! # How the file is made
//!
//! [`plan`] is pure: from an [`ArchiveJob`] it builds the `ffmpeg` arguments, the filter graph
//! (written to a file and passed with `-filter_complex_script`, so hundreds of intervals never
//! make a huge command line) and the chapters (an FFMETADATA file mapped with `-map_chapters`).
//! [`run`] checks the inputs, writes those two files, runs `ffmpeg` and renames the result.
//!
//! - The archive's time 0 is [`ArchiveJob::start_unix_ms`]; it lasts until
//!   [`ArchiveJob::end_unix_ms`].
//! - Each audio input is resampled to 48 kHz mono (a stereo input is averaged, so a mono voice
//!   sent as stereo keeps its level), placed at its start (`adelay`, or `atrim` when it started
//!   before the archive), and, when it is heard only in intervals, muted outside them (a
//!   `volume` filter enabled by an expression, to 10 ms). `ffmpeg` moves each input's first
//!   timestamp to zero, so [`AudioInput::started_unix_ms`] is the wall clock of the file's
//!   first sample; gaps inside a file (discontinuous transmission) are filled with silence from
//!   its timestamps.
//! - The inputs and a silent track lasting the whole archive are summed (`amix` without
//!   normalisation: a voice alone keeps its level) and encoded with `libopus` at 48 kbit/s.
//! - The stage video is copied (`-c:v copy`) and placed at its start with `-itsoffset` (one
//!   that started before the archive is cut with `-ss`, which for a copied stream starts at the
//!   keyframe before). Without a stage file the archive is audio only; without audio inputs its
//!   audio is silent, so the file always lasts `end - start`.
//! - The file is written under a `.part` name and renamed when whole: a crash never leaves a
//!   half archive under the real name.
//!
//! Input files that do not exist or are empty (a point whose file was never written before a
//! crash) are skipped with a warning, not treated as errors. A file that exists but cannot be
//! read makes `ffmpeg` fail: files left by a crash are to be closed by [`crate::recover`]
//! first. The filter script and chapters are written next to the archive as
//! `<out>.part-filter` and `<out>.part-chapters` and removed afterwards; like `<out>.part`,
//! any left by a crash may be deleted.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;

/// How much of a child's standard error is kept for the error message: its last 4 KiB.
pub const STDERR_TAIL_BYTES: usize = 4096;

/// How much of `ffprobe`'s standard output is read: its first 4 KiB (a duration is a few bytes).
pub const PROBE_STDOUT_BYTES: usize = 4096;

/// The most audio inputs a job may have. `ffmpeg` opens every input at once, and a process
/// has a limited number of open files (1024 by default).
pub const MAX_AUDIO_INPUTS: usize = 500;

/// The most "heard" intervals one audio input may have (after merging overlapping ones). The
/// filter expression grows with them; it is built as a balanced sum, so its depth stays small.
pub const MAX_HEARD_INTERVALS: usize = 20_000;

/// The most chapters an archive may have.
pub const MAX_CHAPTERS: usize = 10_000;

/// The longest chapter title kept, in bytes (longer titles are cut at a character boundary).
pub const MAX_CHAPTER_TITLE_BYTES: usize = 512;

/// The timeout [`ArchiveJob::new`] sets: an archive of a long briefing with many points still
/// takes minutes, not hours.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);

/// How long [`probe_duration_ms`] lets `ffprobe` run.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The Opus bit rate of the archive's audio.
pub const AUDIO_BITRATE: &str = "48k";

/// The sample rate of the archive's audio, in Hz.
const SAMPLE_RATE: u64 = 48_000;

/// The frame length, in samples, of an input muted in intervals: the muting is exact to it.
const MUTE_FRAME_SAMPLES: u64 = 480;

/// How often a running child is checked for exit or timeout.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// One audio recording to mix into the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInput {
    /// The file (WebM with an Opus track, possibly with video too, which is ignored).
    pub path: PathBuf,
    /// Wall clock (unix ms) of the file's first sample.
    pub started_unix_ms: u64,
    /// Wall-clock intervals (unix ms, `[start, end)`) when this input is heard; `None`: always.
    /// An empty list means never (the input is left out).
    pub heard: Option<Vec<(u64, u64)>>,
}

/// The stage video file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoInput {
    /// The file (VP8 in WebM).
    pub path: PathBuf,
    /// Wall clock (unix ms) of the file's first frame.
    pub started_unix_ms: u64,
}

/// One chapter: a floor grant, named after the point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// Wall clock (unix ms) of the grant.
    pub start_unix_ms: u64,
    /// Wall clock (unix ms) when the floor was taken back; `None`: at the next chapter's start,
    /// or at the archive's end.
    pub end_unix_ms: Option<u64>,
    /// The point's name, e.g. "UBND xã Hưng Nguyên".
    pub title: String,
}

/// Everything needed to make one archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveJob {
    /// The `ffmpeg` program: a path, or a name looked up in `PATH` (`"ffmpeg"`).
    pub ffmpeg: PathBuf,
    /// The stage video; `None`: the archive is audio only.
    pub stage_video: Option<VideoInput>,
    /// The audio to mix: the host's and each point's.
    pub audio: Vec<AudioInput>,
    /// The chapters, in any order.
    pub chapters: Vec<Chapter>,
    /// Wall clock (unix ms) of the archive's time 0.
    pub start_unix_ms: u64,
    /// Wall clock (unix ms) of the archive's end; must be after the start.
    pub end_unix_ms: u64,
    /// The archive file. Its extension chooses the container: `.mkv` gives Matroska, anything
    /// else WebM.
    pub out: PathBuf,
    /// `ffmpeg` is killed when it runs longer than this.
    pub timeout: Duration,
}

impl ArchiveJob {
    /// A job from `start_unix_ms` to `end_unix_ms` into `out`, with `ffmpeg` from `PATH`, no
    /// inputs, no chapters and [`DEFAULT_TIMEOUT`].
    pub fn new(start_unix_ms: u64, end_unix_ms: u64, out: impl Into<PathBuf>) -> Self {
        Self {
            ffmpeg: PathBuf::from("ffmpeg"),
            stage_video: None,
            audio: Vec::new(),
            chapters: Vec::new(),
            start_unix_ms,
            end_unix_ms,
            out: out.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What [`run`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// The archive's length, `end - start`.
    pub duration_ms: u64,
    /// The archive file's size.
    pub bytes: u64,
    /// How many chapters it has (chapters wholly outside the archive are left out).
    pub chapters: usize,
    /// Whether it has a video track.
    pub video: bool,
    /// How many audio inputs were mixed.
    pub audio_inputs: usize,
    /// Input files skipped because they do not exist or are empty.
    pub skipped: Vec<PathBuf>,
}

/// Why an archive could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The program cannot be found or started.
    #[error(
        "`{}` cannot be run ({reason}); the archive needs ffmpeg and ffprobe: install the Debian package `ffmpeg` (apt install ffmpeg)",
        program.display()
    )]
    ToolMissing {
        /// The program as given.
        program: PathBuf,
        /// Why it cannot be run.
        reason: String,
    },
    /// The program ran and failed.
    #[error("`{}` failed ({status}): {stderr}", program.display())]
    Failed {
        /// The program.
        program: PathBuf,
        /// Its exit status, e.g. "exit status: 1".
        status: String,
        /// The exit code, if it exited rather than being killed by a signal.
        code: Option<i32>,
        /// The last [`STDERR_TAIL_BYTES`] of its standard error.
        stderr: String,
    },
    /// The program ran longer than allowed and was killed.
    #[error("`{}` was stopped after {timeout:?}: {stderr}", program.display())]
    Timeout {
        /// The program.
        program: PathBuf,
        /// The time it was given.
        timeout: Duration,
        /// The last [`STDERR_TAIL_BYTES`] of its standard error.
        stderr: String,
    },
    /// The job itself is wrong (e.g. it ends before it starts, or is too large).
    #[error("invalid archive job: {0}")]
    InvalidJob(String),
    /// `ffprobe` answered something that is not a duration.
    #[error("ffprobe gave no duration for {}: {output:?}", file.display())]
    Probe {
        /// The file probed.
        file: PathBuf,
        /// What it printed (at most [`PROBE_STDOUT_BYTES`]).
        output: String,
    },
    /// A file could not be written, read or renamed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> ArchiveError {
    let context = context.into();
    move |source| ArchiveError::Io { context, source }
}

/// The files [`plan`] refers to.
#[derive(Debug, Clone, Copy)]
pub struct PlanPaths<'a> {
    /// Where `ffmpeg` writes (the `.part` file).
    pub output: &'a Path,
    /// The filter script file.
    pub filter_script: &'a Path,
    /// The FFMETADATA file with the chapters.
    pub metadata: &'a Path,
}

/// The `ffmpeg` invocation for one job: arguments and the contents of the two files they name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The arguments after the program name.
    pub args: Vec<OsString>,
    /// The filter graph, to write to [`PlanPaths::filter_script`].
    pub filter_script: String,
    /// The FFMETADATA text, to write to [`PlanPaths::metadata`].
    pub metadata: String,
    /// How many chapters the metadata has.
    pub chapters: usize,
    /// How many audio inputs are mixed (inputs never heard are left out).
    pub audio_inputs: usize,
    /// The archive's length, `end - start`.
    pub duration_ms: u64,
}

/// Builds the `ffmpeg` invocation for `job`, using every input as given (no file is looked at).
pub fn plan(job: &ArchiveJob, paths: &PlanPaths<'_>) -> Result<Plan, ArchiveError> {
    if job.end_unix_ms <= job.start_unix_ms {
        return Err(ArchiveError::InvalidJob(format!(
            "it ends ({}) no later than it starts ({})",
            job.end_unix_ms, job.start_unix_ms
        )));
    }
    if job.audio.len() > MAX_AUDIO_INPUTS {
        return Err(ArchiveError::InvalidJob(format!(
            "{} audio inputs, at most {MAX_AUDIO_INPUTS}",
            job.audio.len()
        )));
    }
    if job.chapters.len() > MAX_CHAPTERS {
        return Err(ArchiveError::InvalidJob(format!(
            "{} chapters, at most {MAX_CHAPTERS}",
            job.chapters.len()
        )));
    }
    let duration_ms = job.end_unix_ms - job.start_unix_ms;
    let start = job.start_unix_ms;

    let mut args: Vec<OsString> = ["-hide_banner", "-nostdin", "-y", "-v", "error"]
        .iter()
        .map(OsString::from)
        .collect();
    let mut next_input = 0usize;

    let video_input = job.stage_video.as_ref().map(|video| {
        if video.started_unix_ms >= start {
            args.push("-itsoffset".into());
            args.push(seconds(video.started_unix_ms - start).into());
        } else {
            // Seeking a copied stream starts at the keyframe before the seek point.
            args.push("-ss".into());
            args.push(seconds(start - video.started_unix_ms).into());
        }
        args.push("-i".into());
        args.push(file_url(&video.path));
        next_input += 1;
        next_input - 1
    });

    let mut chains = String::new();
    let mut labels = Vec::new();
    for input in &job.audio {
        let spans = match &input.heard {
            None => None,
            Some(heard) => {
                let spans = heard_spans(heard, start, duration_ms);
                if spans.len() > MAX_HEARD_INTERVALS {
                    return Err(ArchiveError::InvalidJob(format!(
                        "{} heard intervals for {}, at most {MAX_HEARD_INTERVALS}",
                        spans.len(),
                        input.path.display()
                    )));
                }
                if spans.is_empty() {
                    continue;
                }
                Some(spans)
            }
        };
        args.push("-i".into());
        args.push(file_url(&input.path));
        let index = next_input;
        next_input += 1;
        let label = format!("a{}", labels.len());
        audio_chain(
            &mut chains,
            index,
            input.started_unix_ms as i128 - start as i128,
            spans.as_deref(),
            duration_ms,
            &label,
        );
        labels.push(label);
    }

    let metadata_input = next_input;
    args.push("-f".into());
    args.push("ffmetadata".into());
    args.push("-i".into());
    args.push(file_url(paths.metadata));

    let end = seconds(duration_ms);
    let mut filter_script = chains;
    if labels.is_empty() {
        let _ = writeln!(
            filter_script,
            "anullsrc=r={SAMPLE_RATE}:cl=mono,atrim=end={end}[aout]"
        );
    } else {
        let _ = writeln!(
            filter_script,
            "anullsrc=r={SAMPLE_RATE}:cl=mono,atrim=end={end}[silence];"
        );
        for label in &labels {
            let _ = write!(filter_script, "[{label}]");
        }
        let _ = writeln!(
            filter_script,
            "[silence]amix=inputs={}:duration=longest:dropout_transition=0:normalize=0,atrim=end={end}[aout]",
            labels.len() + 1
        );
    }

    args.push("-filter_complex_script".into());
    args.push(file_url(paths.filter_script));
    if let Some(index) = video_input {
        args.push("-map".into());
        args.push(format!("{index}:v:0").into());
        args.push("-c:v".into());
        args.push("copy".into());
    }
    for arg in [
        "-map",
        "[aout]",
        "-c:a",
        "libopus",
        "-b:a",
        AUDIO_BITRATE,
        "-ar",
        "48000",
        "-ac",
        "1",
    ] {
        args.push(arg.into());
    }
    // Global metadata and chapters both come from the metadata file: nothing of the inputs'
    // own tags is carried over. (`-map_metadata -1` would drop the chapter titles too.)
    for option in ["-map_metadata", "-map_chapters"] {
        args.push(option.into());
        args.push(metadata_input.to_string().into());
    }
    args.push("-t".into());
    args.push(end.into());
    args.push("-f".into());
    args.push(container(&job.out).into());
    args.push(file_url(paths.output));

    let spans = chapter_spans(&job.chapters, start, duration_ms);
    let metadata = ffmetadata(&spans);
    Ok(Plan {
        args,
        filter_script,
        metadata,
        chapters: spans.len(),
        audio_inputs: labels.len(),
        duration_ms,
    })
}

/// The filter chain of one audio input, ending in `[label];`.
fn audio_chain(
    out: &mut String,
    index: usize,
    offset_ms: i128,
    spans: Option<&[(u64, u64)]>,
    duration_ms: u64,
    label: &str,
) {
    // To 48 kHz mono float; gaps in the timestamps become silence; a stereo input is averaged.
    let _ = write!(
        out,
        "[{index}:a:0]aresample={SAMPLE_RATE}:async=1:first_pts=0:rematrix_maxval=1:ocl=mono:osf=fltp,\
         aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=mono,"
    );
    if offset_ms > 0 {
        let samples = offset_ms as u128 * u128::from(SAMPLE_RATE) / 1000;
        let _ = write!(out, "adelay=delays={samples}S:all=1,");
    } else if offset_ms < 0 {
        let _ = write!(
            out,
            "atrim=start={},",
            seconds(offset_ms.unsigned_abs() as u64)
        );
    }
    let _ = write!(out, "asetpts=N/SR/TB");
    if let Some(spans) = spans
        && spans != [(0, duration_ms)]
    {
        let _ = write!(
            out,
            ",asetnsamples=n={MUTE_FRAME_SAMPLES}:p=0,volume=volume=0:enable='not({})'",
            heard_expression(spans)
        );
    }
    let _ = writeln!(out, "[{label}];");
}

/// The intervals, relative to `start` (ms), clamped into `[0, duration]`, sorted, merged, and
/// without empty ones.
fn heard_spans(heard: &[(u64, u64)], start: u64, duration_ms: u64) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = heard
        .iter()
        .map(|&(a, b)| {
            let a = a.saturating_sub(start).min(duration_ms);
            let b = b.saturating_sub(start).min(duration_ms);
            (a, b)
        })
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// An expression that is 1 inside any of `spans` (ms) and 0 outside, as a balanced sum so its
/// nesting depth is logarithmic in the number of intervals.
fn heard_expression(spans: &[(u64, u64)]) -> String {
    match spans {
        [] => "0".to_owned(),
        [(a, b)] => format!("between(t,{},{})", seconds(*a), seconds(*b)),
        _ => {
            let (left, right) = spans.split_at(spans.len() / 2);
            format!("({})+({})", heard_expression(left), heard_expression(right))
        }
    }
}

/// One chapter as written: times relative to the archive's start (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChapterSpan {
    start_ms: u64,
    end_ms: u64,
    title: String,
}

/// The chapters relative to `start`, clamped into `[0, duration]`, ordered by start, each
/// ending at its own end or the next chapter's start (whichever comes first) or the archive's
/// end; chapters left empty by the clamping are dropped.
fn chapter_spans(chapters: &[Chapter], start: u64, duration_ms: u64) -> Vec<ChapterSpan> {
    let mut sorted: Vec<&Chapter> = chapters.iter().collect();
    sorted.sort_by_key(|c| c.start_unix_ms);
    let mut spans = Vec::with_capacity(sorted.len());
    for (i, chapter) in sorted.iter().enumerate() {
        let begin = chapter.start_unix_ms.saturating_sub(start).min(duration_ms);
        let next = sorted
            .get(i + 1)
            .map_or(duration_ms, |n| n.start_unix_ms.saturating_sub(start));
        let own = chapter
            .end_unix_ms
            .map_or(u64::MAX, |e| e.saturating_sub(start));
        let end = own.min(next).min(duration_ms);
        if begin < end {
            spans.push(ChapterSpan {
                start_ms: begin,
                end_ms: end,
                title: clean_title(&chapter.title),
            });
        }
    }
    spans
}

/// The title without control characters other than newlines, cut to
/// [`MAX_CHAPTER_TITLE_BYTES`].
fn clean_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len().min(MAX_CHAPTER_TITLE_BYTES));
    for c in title.chars() {
        let c = if c.is_control() && c != '\n' { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_CHAPTER_TITLE_BYTES {
            break;
        }
        out.push(c);
    }
    out
}

/// Escapes a value for an FFMETADATA file: `=`, `;`, `#`, `\` and newlines get a backslash.
fn escape_ffmetadata(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '=' | ';' | '#' | '\\' | '\n') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The FFMETADATA text with the chapters.
fn ffmetadata(spans: &[ChapterSpan]) -> String {
    let mut out = String::from(";FFMETADATA1\n");
    for span in spans {
        let _ = write!(
            out,
            "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART={}\nEND={}\ntitle={}\n",
            span.start_ms,
            span.end_ms,
            escape_ffmetadata(&span.title)
        );
    }
    out
}

/// Milliseconds as seconds with three decimals, the way `ffmpeg` reads durations.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A path as an `ffmpeg` URL: `file:` keeps a name with a colon or a leading dash from being
/// read as a protocol or an option.
fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// The container `ffmpeg` writes, from the archive's extension.
fn container(out: &Path) -> &'static str {
    match out.extension().and_then(OsStr::to_str) {
        Some(ext) if ext.eq_ignore_ascii_case("mkv") => "matroska",
        _ => "webm",
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether an input file can be used: it exists and is not empty. Otherwise a warning is
/// logged and the file is added to `skipped`.
fn usable(path: &Path, skipped: &mut Vec<PathBuf>) -> bool {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() > 0 => true,
        Ok(_) => {
            tracing::warn!(path = %path.display(), "archive input is empty, left out");
            skipped.push(path.to_owned());
            false
        }
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "archive input is missing, left out");
            skipped.push(path.to_owned());
            false
        }
    }
}

/// Makes the archive: runs `ffmpeg` (niced, killed at the timeout) and renames its output to
/// [`ArchiveJob::out`]. Blocking; meant for a worker thread.
pub fn run(job: &ArchiveJob) -> Result<ArchiveSummary, ArchiveError> {
    let mut skipped = Vec::new();
    let mut present = job.clone();
    present.stage_video = job
        .stage_video
        .clone()
        .filter(|video| usable(&video.path, &mut skipped));
    present.audio = job
        .audio
        .iter()
        .filter(|input| usable(&input.path, &mut skipped))
        .cloned()
        .collect();

    let part = with_suffix(&job.out, ".part");
    let script = with_suffix(&job.out, ".part-filter");
    let metadata = with_suffix(&job.out, ".part-chapters");
    let plan = plan(
        &present,
        &PlanPaths {
            output: &part,
            filter_script: &script,
            metadata: &metadata,
        },
    )?;
    let program = resolve_program(&job.ffmpeg)?;

    let result = (|| {
        fs::write(&script, &plan.filter_script)
            .map_err(io_error(format!("writing {}", script.display())))?;
        fs::write(&metadata, &plan.metadata)
            .map_err(io_error(format!("writing {}", metadata.display())))?;
        let output = run_tool(&job.ffmpeg, &program, &plan.args, job.timeout, false)?;
        if !output.status.success() {
            return Err(failed(&job.ffmpeg, output.status, output.stderr));
        }
        finish_file(&part, &job.out)
    })();
    let _ = fs::remove_file(&script);
    let _ = fs::remove_file(&metadata);
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(error) => {
            let _ = fs::remove_file(&part);
            return Err(error);
        }
    };
    Ok(ArchiveSummary {
        duration_ms: plan.duration_ms,
        bytes,
        chapters: plan.chapters,
        video: present.stage_video.is_some(),
        audio_inputs: plan.audio_inputs,
        skipped,
    })
}

/// Flushes the finished `.part` file to disk and renames it; returns its size.
fn finish_file(part: &Path, out: &Path) -> Result<u64, ArchiveError> {
    let file = fs::File::open(part).map_err(io_error(format!("opening {}", part.display())))?;
    file.sync_all()
        .map_err(io_error(format!("flushing {}", part.display())))?;
    let bytes = file
        .metadata()
        .map_err(io_error(format!("reading {}", part.display())))?
        .len();
    drop(file);
    fs::rename(part, out).map_err(io_error(format!(
        "renaming {} to {}",
        part.display(),
        out.display()
    )))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = fs::File::open(dir)
    {
        // The rename itself reaches the disk with the directory; failing here loses nothing
        // that a crash would not.
        let _ = dir.sync_all();
    }
    Ok(bytes)
}

/// The length of a media file, from `ffprobe`'s format duration; `None` when it has none.
pub fn probe_duration_ms(ffprobe: &Path, file: &Path) -> Result<Option<u64>, ArchiveError> {
    let program = resolve_program(ffprobe)?;
    let args: Vec<OsString> = vec![
        "-v".into(),
        "error".into(),
        "-show_entries".into(),
        "format=duration".into(),
        "-of".into(),
        "default=noprint_wrappers=1:nokey=1".into(),
        file_url(file),
    ];
    let output = run_tool(ffprobe, &program, &args, PROBE_TIMEOUT, true)?;
    if !output.status.success() {
        return Err(failed(ffprobe, output.status, output.stderr));
    }
    let text = output.stdout.trim();
    if text.is_empty() || text == "N/A" {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(secs) if (0.0..1e12).contains(&secs) => Ok(Some((secs * 1000.0).round() as u64)),
        _ => Err(ArchiveError::Probe {
            file: file.to_owned(),
            output: output.stdout,
        }),
    }
}

fn failed(program: &Path, status: ExitStatus, stderr: String) -> ArchiveError {
    ArchiveError::Failed {
        program: program.to_owned(),
        status: status.to_string(),
        code: status.code(),
        stderr,
    }
}

/// Finds the program: a path with a separator must be an executable file; a bare name is
/// looked up in `PATH`.
fn resolve_program(program: &Path) -> Result<PathBuf, ArchiveError> {
    let missing = |reason: &str| ArchiveError::ToolMissing {
        program: program.to_owned(),
        reason: reason.to_owned(),
    };
    if program.as_os_str().is_empty() {
        return Err(missing("no program given"));
    }
    if program.components().count() > 1 || program.is_absolute() {
        return if is_executable(program) {
            Ok(program.to_owned())
        } else if program.exists() {
            Err(missing("not an executable file"))
        } else {
            Err(missing("no such file"))
        };
    }
    find_in_path(program.as_os_str()).ok_or_else(|| missing("not found in PATH"))
}

fn find_in_path(name: &OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// What a finished child left.
struct ToolOutput {
    status: ExitStatus,
    /// The first [`PROBE_STDOUT_BYTES`] of standard output (when it was read).
    stdout: String,
    /// The last [`STDERR_TAIL_BYTES`] of standard error.
    stderr: String,
}

/// How long, once the child has ended, its pipes are still read: a grandchild that kept them
/// open must not hold the caller.
const PIPE_DRAIN_WAIT: Duration = Duration::from_secs(2);

/// Runs `program` niced with `args`, killing it at `timeout`.
fn run_tool(
    name: &Path,
    program: &Path,
    args: &[OsString],
    timeout: Duration,
    read_stdout: bool,
) -> Result<ToolOutput, ArchiveError> {
    let mut child = spawn_niced(name, program, args, read_stdout)?;
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut readers = 0;
    let stderr = Arc::new(Mutex::new(Vec::new()));
    if let Some(pipe) = child.stderr.take() {
        let kept = Arc::clone(&stderr);
        let done = done_tx.clone();
        readers += 1;
        thread::spawn(move || {
            read_bounded(pipe, &kept, STDERR_TAIL_BYTES, Keep::Tail);
            let _ = done.send(());
        });
    }
    let stdout = Arc::new(Mutex::new(Vec::new()));
    if let Some(pipe) = child.stdout.take() {
        let kept = Arc::clone(&stdout);
        let done = done_tx.clone();
        readers += 1;
        thread::spawn(move || {
            read_bounded(pipe, &kept, PROBE_STDOUT_BYTES, Keep::Head);
            let _ = done.send(());
        });
    }
    drop(done_tx);
    let waited = wait_with_timeout(&mut child, timeout);
    let drain_deadline = Instant::now() + PIPE_DRAIN_WAIT;
    for _ in 0..readers {
        let left = drain_deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let text = |kept: &Mutex<Vec<u8>>| {
        let bytes = kept.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let stderr = text(&stderr).trim().to_owned();
    let stdout = text(&stdout);
    match waited.map_err(io_error(format!("waiting for {}", name.display())))? {
        Some(status) => Ok(ToolOutput {
            status,
            stdout,
            stderr,
        }),
        None => Err(ArchiveError::Timeout {
            program: name.to_owned(),
            timeout,
            stderr,
        }),
    }
}

/// Starts `program` under `nice -n 10` when `nice` is there, else directly.
fn spawn_niced(
    name: &Path,
    program: &Path,
    args: &[OsString],
    read_stdout: bool,
) -> Result<Child, ArchiveError> {
    let mut command = match find_in_path(OsStr::new("nice")) {
        Some(nice) => {
            let mut command = Command::new(nice);
            command.arg("-n").arg("10").arg(program);
            command
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(if read_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    command.spawn().map_err(|error| ArchiveError::ToolMissing {
        program: name.to_owned(),
        reason: error.to_string(),
    })
}

/// Waits for the child; `None` when it was killed at the timeout.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            // Already gone if it exited in between: the wait below still reaps it.
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(POLL_INTERVAL.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// Which part of a stream [`read_bounded`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The first bytes.
    Head,
    /// The last bytes.
    Tail,
}

/// Reads `from` to its end, keeping at most `limit` bytes in `kept` (the rest is read and
/// dropped, so the child never blocks on a full pipe).
fn read_bounded(mut from: impl Read, kept: &Mutex<Vec<u8>>, limit: usize, keep: Keep) {
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let Ok(mut kept) = kept.lock() else { break };
                keep_bounded(&mut kept, &buf[..n], limit, keep);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// Adds `data` to `kept`, which never grows past `limit`.
fn keep_bounded(kept: &mut Vec<u8>, data: &[u8], limit: usize, keep: Keep) {
    match keep {
        Keep::Head => {
            let room = limit.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
        Keep::Tail => {
            let data = &data[data.len().saturating_sub(limit)..];
            let overflow = (kept.len() + data.len()).saturating_sub(limit);
            kept.drain(..overflow.min(kept.len()));
            kept.extend_from_slice(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_700_000_000_000;

    fn paths() -> (PathBuf, PathBuf, PathBuf) {
        (
            PathBuf::from("/rec/b1/archive.webm.part"),
            PathBuf::from("/rec/b1/archive.webm.part-filter"),
            PathBuf::from("/rec/b1/archive.webm.part-chapters"),
        )
    }

    fn plan_of(job: &ArchiveJob) -> Plan {
        let (output, filter_script, metadata) = paths();
        plan(
            job,
            &PlanPaths {
                output: &output,
                filter_script: &filter_script,
                metadata: &metadata,
            },
        )
        .unwrap()
    }

    fn args(plan: &Plan) -> Vec<String> {
        plan.args
            .iter()
            .map(|a| a.to_str().unwrap().to_owned())
            .collect()
    }

    /// The value following `option` (its first occurrence).
    fn value<'a>(args: &'a [String], option: &str) -> Option<&'a str> {
        let at = args.iter().position(|a| a == option)?;
        args.get(at + 1).map(String::as_str)
    }

    fn inputs(args: &[String]) -> Vec<&str> {
        args.windows(2)
            .filter(|w| w[0] == "-i")
            .map(|w| w[1].as_str())
            .collect()
    }

    fn audio(path: &str, started: u64, heard: Option<Vec<(u64, u64)>>) -> AudioInput {
        AudioInput {
            path: path.into(),
            started_unix_ms: started,
            heard,
        }
    }

    const CHAIN: &str = "aresample=48000:async=1:first_pts=0:rematrix_maxval=1:ocl=mono:osf=fltp,\
                         aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=mono,";

    #[test]
    fn no_audio_input_gives_a_silent_track_of_the_whole_length() {
        let job = ArchiveJob::new(S, S + 8000, "/rec/b1/archive.webm");
        let plan = plan_of(&job);
        assert_eq!(
            plan.filter_script,
            "anullsrc=r=48000:cl=mono,atrim=end=8.000[aout]\n"
        );
        let args = args(&plan);
        assert_eq!(
            &args[..5],
            ["-hide_banner", "-nostdin", "-y", "-v", "error"]
        );
        assert_eq!(inputs(&args), ["file:/rec/b1/archive.webm.part-chapters"]);
        assert_eq!(value(&args, "-f"), Some("ffmetadata"));
        assert_eq!(
            value(&args, "-filter_complex_script"),
            Some("file:/rec/b1/archive.webm.part-filter")
        );
        assert_eq!(value(&args, "-map"), Some("[aout]"));
        assert!(!args.iter().any(|a| a == "-c:v"), "{args:?}");
        assert_eq!(value(&args, "-c:a"), Some("libopus"));
        assert_eq!(value(&args, "-b:a"), Some("48k"));
        assert_eq!(value(&args, "-ar"), Some("48000"));
        assert_eq!(value(&args, "-map_chapters"), Some("0"));
        assert_eq!(value(&args, "-map_metadata"), Some("0"));
        assert_eq!(value(&args, "-t"), Some("8.000"));
        assert_eq!(
            &args[args.len() - 3..],
            ["-f", "webm", "file:/rec/b1/archive.webm.part"]
        );
        assert_eq!(
            (plan.audio_inputs, plan.chapters, plan.duration_ms),
            (0, 0, 8000)
        );
        assert_eq!(plan.metadata, ";FFMETADATA1\n");
    }

    #[test]
    fn one_audio_input_is_delayed_to_its_start_and_mixed_with_the_silent_track() {
        let mut job = ArchiveJob::new(S, S + 8000, "/rec/b1/archive.webm");
        job.audio = vec![audio("/rec/b1/host.webm", S + 500, None)];
        let plan = plan_of(&job);
        assert_eq!(
            plan.filter_script,
            format!(
                "[0:a:0]{CHAIN}adelay=delays=24000S:all=1,asetpts=N/SR/TB[a0];\n\
                 anullsrc=r=48000:cl=mono,atrim=end=8.000[silence];\n\
                 [a0][silence]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,\
                 atrim=end=8.000[aout]\n"
            )
        );
        let args = args(&plan);
        assert_eq!(
            inputs(&args),
            [
                "file:/rec/b1/host.webm",
                "file:/rec/b1/archive.webm.part-chapters"
            ]
        );
        assert_eq!(value(&args, "-map_chapters"), Some("1"));
        assert_eq!(plan.audio_inputs, 1);
    }

    #[test]
    fn three_inputs_with_stage_video_early_start_and_intervals() {
        let mut job = ArchiveJob::new(S, S + 60_000, "/rec/b1/archive.webm");
        job.stage_video = Some(VideoInput {
            path: "/rec/b1/stage.webm".into(),
            started_unix_ms: S + 1500,
        });
        job.audio = vec![
            audio("/rec/b1/host.webm", S, None),
            audio(
                "/rec/b1/p1.webm",
                S - 1000,
                Some(vec![(S + 40_000, S + 50_000), (S + 10_000, S + 20_000)]),
            ),
            audio("/rec/b1/p2.webm", S + 30_000, Some(vec![(S, S + 90_000)])),
        ];
        let plan = plan_of(&job);
        let args = args(&plan);
        assert_eq!(
            inputs(&args),
            [
                "file:/rec/b1/stage.webm",
                "file:/rec/b1/host.webm",
                "file:/rec/b1/p1.webm",
                "file:/rec/b1/p2.webm",
                "file:/rec/b1/archive.webm.part-chapters"
            ]
        );
        assert_eq!(value(&args, "-itsoffset"), Some("1.500"));
        let stage_at = args.iter().position(|a| a == "-itsoffset").unwrap();
        assert_eq!(args[stage_at + 3], "file:/rec/b1/stage.webm");
        assert_eq!(value(&args, "-map"), Some("0:v:0"));
        assert_eq!(value(&args, "-c:v"), Some("copy"));
        assert_eq!(value(&args, "-map_chapters"), Some("4"));
        let lines: Vec<&str> = plan.filter_script.lines().collect();
        assert_eq!(
            lines,
            [
                format!("[1:a:0]{CHAIN}asetpts=N/SR/TB[a0];"),
                format!(
                    "[2:a:0]{CHAIN}atrim=start=1.000,asetpts=N/SR/TB,asetnsamples=n=480:p=0,\
                     volume=volume=0:enable='not((between(t,10.000,20.000))+(between(t,40.000,50.000)))'[a1];"
                ),
                // Heard over the whole archive: nothing to mute.
                format!("[3:a:0]{CHAIN}adelay=delays=1440000S:all=1,asetpts=N/SR/TB[a2];"),
                "anullsrc=r=48000:cl=mono,atrim=end=60.000[silence];".to_owned(),
                "[a0][a1][a2][silence]amix=inputs=4:duration=longest:dropout_transition=0:\
                 normalize=0,atrim=end=60.000[aout]"
                    .to_owned(),
            ]
        );
        assert_eq!(plan.audio_inputs, 3);
    }

    #[test]
    fn a_stage_video_started_before_the_archive_is_seeked() {
        let mut job = ArchiveJob::new(S, S + 5000, "/rec/b1/archive.mkv");
        job.stage_video = Some(VideoInput {
            path: "/rec/b1/stage.webm".into(),
            started_unix_ms: S - 2250,
        });
        let args = args(&plan_of(&job));
        assert_eq!(value(&args, "-ss"), Some("2.250"));
        assert!(!args.iter().any(|a| a == "-itsoffset"));
        assert_eq!(args[args.len() - 2], "matroska");
    }

    #[test]
    fn an_input_never_heard_in_the_archive_is_left_out() {
        let mut job = ArchiveJob::new(S, S + 5000, "/rec/b1/archive.webm");
        job.audio = vec![
            audio("/rec/b1/never.webm", S, Some(vec![])),
            audio("/rec/b1/before.webm", S - 9000, Some(vec![(S - 9000, S)])),
            audio("/rec/b1/after.webm", S, Some(vec![(S + 5000, S + 6000)])),
            audio("/rec/b1/host.webm", S, None),
        ];
        let plan = plan_of(&job);
        assert_eq!(plan.audio_inputs, 1);
        let args = args(&plan);
        assert_eq!(inputs(&args).len(), 2);
        assert!(plan.filter_script.starts_with("[0:a:0]"));
        assert!(plan.filter_script.contains("amix=inputs=2:"));
    }

    #[test]
    fn heard_intervals_are_clamped_sorted_and_merged() {
        let spans = heard_spans(
            &[
                (S + 7000, S + 12_000),
                (S - 500, S + 100),
                (S + 3000, S + 4000),
                (S + 3500, S + 5000),
                (S + 5000, S + 6000),
                (S + 2000, S + 2000),
                (S + 2500, S + 2400),
                (S - 900, S - 100),
                (S + 10_000, S + 11_000),
            ],
            S,
            10_000,
        );
        assert_eq!(
            spans,
            [(0, 100), (3000, 6000), (7000, 10_000)],
            "adjacent and overlapping intervals merge; empty and outside ones go"
        );
    }

    #[test]
    fn the_heard_expression_is_a_balanced_sum() {
        assert_eq!(heard_expression(&[]), "0");
        assert_eq!(heard_expression(&[(0, 1500)]), "between(t,0.000,1.500)");
        assert_eq!(
            heard_expression(&[(0, 1), (2, 3), (4, 5)]),
            "(between(t,0.000,0.001))+((between(t,0.002,0.003))+(between(t,0.004,0.005)))"
        );
        let many: Vec<(u64, u64)> = (0..MAX_HEARD_INTERVALS as u64)
            .map(|i| (i * 10, i * 10 + 5))
            .collect();
        let expr = heard_expression(&many);
        let mut depth = 0usize;
        let mut deepest = 0usize;
        for c in expr.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            deepest = deepest.max(depth);
        }
        assert_eq!(expr.matches("between(").count(), MAX_HEARD_INTERVALS);
        // log2(20 000) is about 14.3; each level adds one parenthesis, `between(` another.
        assert!(deepest <= 17, "depth {deepest}");
    }

    #[test]
    fn three_hundred_intervals_go_into_the_script_not_the_arguments() {
        let mut job = ArchiveJob::new(S, S + 3_600_000, "/rec/b1/archive.webm");
        let heard: Vec<(u64, u64)> = (0..300)
            .map(|i| (S + i * 10_000, S + i * 10_000 + 4000))
            .collect();
        job.audio = vec![audio("/rec/b1/p1.webm", S, Some(heard))];
        let plan = plan_of(&job);
        assert_eq!(plan.filter_script.matches("between(t,").count(), 300);
        assert!(plan.filter_script.contains("between(t,2990.000,2994.000)"));
        assert!(plan.args.len() < 50, "{} arguments", plan.args.len());
        let longest = plan.args.iter().map(|a| a.len()).max().unwrap();
        assert!(longest < 100, "an argument of {longest} bytes");
    }

    #[test]
    fn chapter_titles_are_escaped_for_ffmetadata() {
        assert_eq!(
            escape_ffmetadata("UBND xã Hưng Nguyên"),
            "UBND xã Hưng Nguyên"
        );
        assert_eq!(
            escape_ffmetadata("a=b;c#d\\e\nf"),
            "a\\=b\\;c\\#d\\\\e\\\nf"
        );
        let spans = vec![
            ChapterSpan {
                start_ms: 0,
                end_ms: 1500,
                title: "Chủ trì".into(),
            },
            ChapterSpan {
                start_ms: 1500,
                end_ms: 9000,
                title: "Phòng GD=ĐT; tổ #2\ndòng hai".into(),
            },
        ];
        assert_eq!(
            ffmetadata(&spans),
            ";FFMETADATA1\n\
             \n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Chủ trì\n\
             \n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=9000\n\
             title=Phòng GD\\=ĐT\\; tổ \\#2\\\ndòng hai\n"
        );
    }

    #[test]
    fn chapter_titles_lose_control_characters_and_are_bounded() {
        assert_eq!(clean_title("a\tb\0c\r\nd"), "a b c \nd");
        let long = "ệ".repeat(MAX_CHAPTER_TITLE_BYTES);
        let cut = clean_title(&long);
        assert!(cut.len() <= MAX_CHAPTER_TITLE_BYTES);
        assert!(cut.len() > MAX_CHAPTER_TITLE_BYTES - 3);
        assert!(cut.chars().all(|c| c == 'ệ'));
    }

    #[test]
    fn chapters_are_ordered_clamped_and_end_at_the_next_one() {
        let chapter = |start: u64, end: Option<u64>, title: &str| Chapter {
            start_unix_ms: start,
            end_unix_ms: end,
            title: title.into(),
        };
        let chapters = [
            chapter(S + 6000, None, "last"),
            chapter(S + 2000, Some(S + 9000), "cut by the next"),
            chapter(S - 3000, Some(S - 1000), "wholly before"),
            chapter(S - 1000, None, "from before"),
            chapter(S + 4000, Some(S + 4500), "own end"),
            chapter(S + 10_000, None, "after the end"),
        ];
        let spans = chapter_spans(&chapters, S, 8000);
        let got: Vec<(u64, u64, &str)> = spans
            .iter()
            .map(|c| (c.start_ms, c.end_ms, c.title.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, 2000, "from before"),
                (2000, 4000, "cut by the next"),
                (4000, 4500, "own end"),
                (6000, 8000, "last"),
            ]
        );
        let mut job = ArchiveJob::new(S, S + 8000, "/rec/b1/archive.webm");
        job.chapters = chapters.to_vec();
        let plan = plan_of(&job);
        assert_eq!(plan.chapters, 4);
        assert_eq!(plan.metadata.matches("[CHAPTER]").count(), 4);
        assert!(plan.metadata.contains("START=6000\nEND=8000\ntitle=last\n"));
    }

    #[test]
    fn invalid_jobs_are_refused() {
        let (output, filter_script, metadata) = paths();
        let paths = PlanPaths {
            output: &output,
            filter_script: &filter_script,
            metadata: &metadata,
        };
        let refused =
            |job: &ArchiveJob| matches!(plan(job, &paths), Err(ArchiveError::InvalidJob(_)));
        assert!(refused(&ArchiveJob::new(S, S, "/a.webm")));
        assert!(refused(&ArchiveJob::new(S, S - 1, "/a.webm")));

        let mut job = ArchiveJob::new(S, S + 1000, "/a.webm");
        job.audio = vec![audio("/x.webm", S, None); MAX_AUDIO_INPUTS + 1];
        assert!(refused(&job));
        job.audio.truncate(MAX_AUDIO_INPUTS);
        assert!(!refused(&job));

        let mut job = ArchiveJob::new(S, S + 1_000_000, "/a.webm");
        let heard: Vec<(u64, u64)> = (0..=MAX_HEARD_INTERVALS as u64)
            .map(|i| (S + i * 40, S + i * 40 + 20))
            .collect();
        job.audio = vec![audio("/x.webm", S, Some(heard))];
        assert!(refused(&job));

        let mut job = ArchiveJob::new(S, S + 1000, "/a.webm");
        job.chapters = vec![
            Chapter {
                start_unix_ms: S,
                end_unix_ms: None,
                title: String::new(),
            };
            MAX_CHAPTERS + 1
        ];
        assert!(refused(&job));
    }

    #[test]
    fn paths_are_given_to_ffmpeg_as_file_urls() {
        assert_eq!(
            file_url(Path::new("-tricky:name.webm")),
            OsString::from("file:-tricky:name.webm")
        );
        assert_eq!(container(Path::new("/a/b.MKV")), "matroska");
        assert_eq!(container(Path::new("/a/b.webm")), "webm");
        assert_eq!(container(Path::new("/a/b")), "webm");
        assert_eq!(
            with_suffix(Path::new("/a/b.webm"), ".part"),
            PathBuf::from("/a/b.webm.part")
        );
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(61_005), "61.005");
    }

    #[test]
    fn programs_are_resolved_before_running() {
        let missing = |program: &str| match resolve_program(Path::new(program)) {
            Err(ArchiveError::ToolMissing { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(missing("no-such-program-anywhere"), "not found in PATH");
        assert_eq!(missing("/no/such/ffmpeg"), "no such file");
        assert_eq!(missing("/"), "not an executable file");
        assert_eq!(missing(""), "no program given");
        assert!(resolve_program(Path::new("sh")).is_ok());
    }

    #[test]
    fn kept_output_is_bounded() {
        let mut tail = Vec::new();
        for i in 0..10_000u32 {
            keep_bounded(&mut tail, format!("line {i}\n").as_bytes(), 64, Keep::Tail);
            assert!(tail.len() <= 64);
        }
        assert!(tail.ends_with(b"line 9999\n"));
        assert_eq!(tail.len(), 64);
        keep_bounded(&mut tail, &[b'x'; 1000], 64, Keep::Tail);
        assert_eq!(tail, [b'x'; 64]);

        let mut head = Vec::new();
        for i in 0..10_000u32 {
            keep_bounded(&mut head, format!("line {i}\n").as_bytes(), 64, Keep::Head);
        }
        assert_eq!(head.len(), 64);
        assert!(head.starts_with(b"line 0\nline 1\n"));

        let kept = Mutex::new(Vec::new());
        let data = vec![b'y'; 100_000];
        read_bounded(&data[..], &kept, STDERR_TAIL_BYTES, Keep::Tail);
        assert_eq!(kept.lock().unwrap().len(), STDERR_TAIL_BYTES);
    }
}
