//! Recording of a giaoban briefing ("ghi hình").
//!
//! - [`webm`]: a small WebM (Matroska) muxer written for crash safety: an unknown-size
//!   Segment, short clusters written whole, and a finish that adds duration, cues and a seek
//!   head in place.
//! - [`recover`]: closes a file whose writer died (server killed): keeps every whole cluster.
//! - [`frames`]: RTP packets to media frames (Opus, VP8), reordered, with keyframe detection.
//! - [`source`]: one point's camera and microphone (or shared screen) into WebM files.
//! - [`stage`]: the archive's video track, which follows the stage from source to source.
//! - [`archive`]: the archive copy, put together after the briefing with `ffmpeg`.

pub mod archive;
pub mod frames;
pub mod recover;
pub mod source;
pub mod stage;
pub mod webm;
