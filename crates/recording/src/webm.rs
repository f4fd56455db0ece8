//! A small WebM (Matroska) muxer, sans-IO: it produces bytes and the caller writes them.
//!
//! Why the project writes EBML itself rather than using a muxing library: crash safety needs
//! exact control of what reaches the disk and when. A recording file must, at every moment,
//! end in whole clusters, so that a server killed mid-briefing leaves a file that
//! [`crate::recover`] can close by cutting the last partial write. This muxer therefore
//!
//! - writes the Segment with an UNKNOWN size, so a file cut anywhere is still well formed;
//! - builds each cluster in memory and hands it over WHOLE, with its size known, so the caller
//!   appends it with one write;
//! - reserves fixed-size elements (a Void for the seek head, an 11-byte Void where the
//!   Duration goes) that [`WebmWriter::finish`] patches in place, with the Segment size last.
//!
//! The `webm` crate wraps the C++ libwebm, which would bring a C++ toolchain into the build
//! for a handful of elements; the few Matroska elements needed here are small enough to write
//! by hand (EBML header, Segment, SeekHead, Info, Tracks, Cluster, SimpleBlock, Cues).
//!
//! Layout of a file:
//!
//! ```text
//! EBML header | Segment(size unknown → patched) {
//!   Void[SEEK_RESERVE] → SeekHead + Void   (patched)
//!   Info { TimestampScale=1ms, MuxingApp, WritingApp, DateUTC, Void[11] → Duration (patched) }
//!   Tracks { TrackEntry... }
//!   Cluster { Timestamp, SimpleBlock... } ...     (each written whole)
//!   Cues                                          (written at finish)
//! }
//! ```

/// The largest cluster body the writer builds, in bytes: beyond it the cluster closes.
/// It bounds the memory a writer holds.
pub const MAX_CLUSTER_BYTES: usize = 8 * 1024 * 1024;

/// The largest frame the writer accepts, in bytes; a larger frame is dropped (with a warning).
pub const MAX_BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// The most cue points a writer keeps (one per cluster; about a week of 2-second clusters).
/// Beyond it, clusters get no cue point: the file still plays, only seeking is coarser.
pub const MAX_CUES: usize = 300_000;

/// A cluster closes when a video keyframe arrives and the cluster is at least this old (ms).
pub const CLUSTER_KEYFRAME_MIN_MS: u64 = 1_000;

/// A cluster never spans more than this (ms): a block this far from its start opens a new one.
pub const CLUSTER_MAX_SPAN_MS: u64 = 2_000;

/// Bytes reserved at the start of the Segment for the SeekHead written at finish.
pub(crate) const SEEK_RESERVE: usize = 100;

/// Bytes of the Void in Info that becomes the Duration (ID 2 + size 1 + float64 8).
pub(crate) const DURATION_RESERVE: usize = 11;

/// Milliseconds from the Unix epoch to the Matroska epoch (2001-01-01T00:00:00Z).
const MATROSKA_EPOCH_UNIX_MS: i64 = 978_307_200_000;

/// The "unknown size" marker as an 8-byte EBML variable-size integer.
pub const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

/// Matroska element IDs used by this muxer (IDs include their length marker bits).
pub(crate) mod id {
    pub const EBML: u32 = 0x1A45_DFA3;
    pub const EBML_VERSION: u32 = 0x4286;
    pub const EBML_READ_VERSION: u32 = 0x42F7;
    pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub const DOC_TYPE: u32 = 0x4282;
    pub const DOC_TYPE_VERSION: u32 = 0x4287;
    pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub const SEGMENT: u32 = 0x1853_8067;
    pub const SEEK_HEAD: u32 = 0x114D_9B74;
    pub const SEEK: u32 = 0x4DBB;
    pub const SEEK_ID: u32 = 0x53AB;
    pub const SEEK_POSITION: u32 = 0x53AC;
    pub const VOID: u32 = 0xEC;
    pub const INFO: u32 = 0x1549_A966;
    pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
    pub const MUXING_APP: u32 = 0x4D80;
    pub const WRITING_APP: u32 = 0x5741;
    pub const DATE_UTC: u32 = 0x4461;
    pub const DURATION: u32 = 0x4489;
    pub const TRACKS: u32 = 0x1654_AE6B;
    pub const TRACK_ENTRY: u32 = 0xAE;
    pub const TRACK_NUMBER: u32 = 0xD7;
    pub const TRACK_UID: u32 = 0x73C5;
    pub const TRACK_TYPE: u32 = 0x83;
    pub const FLAG_LACING: u32 = 0x9C;
    pub const CODEC_ID: u32 = 0x86;
    pub const CODEC_PRIVATE: u32 = 0x63A2;
    pub const CODEC_DELAY: u32 = 0x56AA;
    pub const SEEK_PRE_ROLL: u32 = 0x56BB;
    pub const VIDEO: u32 = 0xE0;
    pub const PIXEL_WIDTH: u32 = 0xB0;
    pub const PIXEL_HEIGHT: u32 = 0xBA;
    pub const AUDIO: u32 = 0xE1;
    pub const SAMPLING_FREQUENCY: u32 = 0xB5;
    pub const CHANNELS: u32 = 0x9F;
    pub const CLUSTER: u32 = 0x1F43_B675;
    pub const TIMESTAMP: u32 = 0xE7;
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    pub const CUES: u32 = 0x1C53_BB6B;
    pub const CUE_POINT: u32 = 0xBB;
    pub const CUE_TIME: u32 = 0xB3;
    pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
    pub const CUE_TRACK: u32 = 0xF7;
    pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
}

/// One track of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackSpec {
    /// Opus audio at 48 kHz.
    Opus {
        /// Channels declared in the OpusHead (WebRTC Opus is declared as 2).
        channels: u8,
    },
    /// VP8 video; the size is the first keyframe's (later keyframes carry their own).
    Vp8 {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
    },
}

impl TrackSpec {
    /// Whether this is a video track.
    pub fn is_video(&self) -> bool {
        matches!(self, TrackSpec::Vp8 { .. })
    }
}

/// Opus pre-skip declared in the OpusHead, in 48 kHz samples (the usual 6.5 ms).
const OPUS_PRE_SKIP: u16 = 312;

// ---------------------------------------------------------------------------------------------
// EBML encoding

/// The number of bytes of the shortest EBML variable-size integer holding `n`.
///
/// The all-ones value of each length is reserved (unknown size), so `n` must be below it.
/// Values that fit no length (≥ 2^56 − 1) report 8; [`put_size`] saturates them.
pub fn size_len(n: u64) -> usize {
    (1..=8)
        .find(|&len| n < (1u64 << (7 * len)) - 1)
        .unwrap_or(8)
}

/// Appends `n` as an EBML variable-size integer of exactly `len` bytes (1..=8).
/// `n` saturates to the largest value of that length.
pub fn put_size_len(buf: &mut Vec<u8>, n: u64, len: usize) {
    let len = len.clamp(1, 8);
    let max = (1u64 << (7 * len)) - 2;
    let v = n.min(max) | (1u64 << (7 * len));
    let bytes = v.to_be_bytes();
    buf.extend_from_slice(&bytes[8 - len..]);
}

/// Appends `n` as the shortest EBML variable-size integer.
pub fn put_size(buf: &mut Vec<u8>, n: u64) {
    put_size_len(buf, n, size_len(n));
}

/// Appends an element ID (its bytes, big-endian, without leading zero bytes).
pub(crate) fn put_id(buf: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    buf.extend_from_slice(&bytes[skip..]);
}

fn put_element(buf: &mut Vec<u8>, id: u32, body: &[u8]) {
    put_id(buf, id);
    put_size(buf, body.len() as u64);
    buf.extend_from_slice(body);
}

fn put_uint(buf: &mut Vec<u8>, id: u32, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    put_element(buf, id, &bytes[skip..]);
}

fn put_uint8(buf: &mut Vec<u8>, id: u32, v: u64) {
    put_element(buf, id, &v.to_be_bytes());
}

fn put_float(buf: &mut Vec<u8>, id: u32, v: f64) {
    put_element(buf, id, &v.to_be_bytes());
}

fn put_void(buf: &mut Vec<u8>, total: usize) {
    // A Void of `total` bytes: ID (1) + a one-byte size + data. `total` is 2..=128 here.
    let data = total.saturating_sub(2);
    put_id(buf, id::VOID);
    put_size_len(buf, data as u64, 1);
    buf.resize(buf.len() + data, 0);
}

fn opus_head(channels: u8) -> Vec<u8> {
    let mut h = Vec::with_capacity(19);
    h.extend_from_slice(b"OpusHead");
    h.push(1); // version
    h.push(channels);
    h.extend_from_slice(&OPUS_PRE_SKIP.to_le_bytes());
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes()); // output gain
    h.push(0); // channel mapping family
    h
}

fn track_entry(number: u64, spec: &TrackSpec) -> Vec<u8> {
    let mut e = Vec::new();
    put_uint(&mut e, id::TRACK_NUMBER, number);
    // Unique within the file and nonzero.
    put_uint(&mut e, id::TRACK_UID, 0x6769_6100 + number);
    put_uint(&mut e, id::FLAG_LACING, 0);
    match spec {
        TrackSpec::Opus { channels } => {
            put_uint(&mut e, id::TRACK_TYPE, 2);
            put_element(&mut e, id::CODEC_ID, b"A_OPUS");
            put_element(&mut e, id::CODEC_PRIVATE, &opus_head(*channels));
            // In nanoseconds, as WebM asks: the pre-skip, and 80 ms of seek pre-roll.
            put_uint(
                &mut e,
                id::CODEC_DELAY,
                u64::from(OPUS_PRE_SKIP) * 1_000_000_000 / 48_000,
            );
            put_uint(&mut e, id::SEEK_PRE_ROLL, 80_000_000);
            let mut a = Vec::new();
            put_float(&mut a, id::SAMPLING_FREQUENCY, 48_000.0);
            put_uint(&mut a, id::CHANNELS, u64::from(*channels));
            put_element(&mut e, id::AUDIO, &a);
        }
        TrackSpec::Vp8 { width, height } => {
            put_uint(&mut e, id::TRACK_TYPE, 1);
            put_element(&mut e, id::CODEC_ID, b"V_VP8");
            let mut v = Vec::new();
            put_uint(&mut v, id::PIXEL_WIDTH, u64::from(*width));
            put_uint(&mut v, id::PIXEL_HEIGHT, u64::from(*height));
            put_element(&mut e, id::VIDEO, &v);
        }
    }
    e
}

// ---------------------------------------------------------------------------------------------
// EBML reading (shared with `recover` and the tests)

/// Reads an element ID at `pos`: (id, length). None when truncated or invalid.
pub(crate) fn read_id(buf: &[u8], pos: usize) -> Option<(u32, usize)> {
    let first = *buf.get(pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return None;
    }
    let bytes = buf.get(pos..pos + len)?;
    let id = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Some((id, len))
}

/// Reads an EBML variable-size integer at `pos`: (value, length); value None = unknown size.
pub(crate) fn read_size(buf: &[u8], pos: usize) -> Option<(Option<u64>, usize)> {
    let first = *buf.get(pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let bytes = buf.get(pos..pos + len)?;
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut v = u64::from(first & mask);
    for &b in &bytes[1..] {
        v = (v << 8) | u64::from(b);
    }
    let all_ones = (1u64 << (7 * len)) - 1;
    Some(((v != all_ones).then_some(v), len))
}

/// An element header read from a buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ElementHeader {
    /// The element ID.
    pub id: u32,
    /// Offset of the element's first byte.
    pub start: usize,
    /// Offset of the element's data.
    pub data: usize,
    /// The data size; None when unknown.
    pub size: Option<u64>,
}

impl ElementHeader {
    /// The end offset of a known-size element (may exceed the buffer).
    pub fn end(&self) -> Option<usize> {
        let size = usize::try_from(self.size?).ok()?;
        self.data.checked_add(size)
    }
}

/// Reads an element header at `pos`.
pub(crate) fn read_header(buf: &[u8], pos: usize) -> Option<ElementHeader> {
    let (id, idlen) = read_id(buf, pos)?;
    let (size, slen) = read_size(buf, pos + idlen)?;
    Some(ElementHeader {
        id,
        start: pos,
        data: pos + idlen + slen,
        size,
    })
}

/// Reads an unsigned integer element's data.
pub(crate) fn read_uint(data: &[u8]) -> Option<u64> {
    if data.len() > 8 {
        return None;
    }
    Some(data.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// A SimpleBlock's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockRef<'a> {
    /// Track number (1-based).
    pub track: u64,
    /// Timestamp relative to the cluster.
    pub rel: i16,
    /// Keyframe flag.
    pub keyframe: bool,
    /// The frame.
    pub data: &'a [u8],
}

/// Parses a SimpleBlock's data.
pub(crate) fn parse_simple_block(data: &[u8]) -> Option<BlockRef<'_>> {
    let (track, tlen) = read_size(data, 0)?;
    let track = track?;
    let rest = data.get(tlen..)?;
    if rest.len() < 3 {
        return None;
    }
    Some(BlockRef {
        track,
        rel: i16::from_be_bytes([rest[0], rest[1]]),
        keyframe: rest[2] & 0x80 != 0,
        data: &rest[3..],
    })
}

/// A block as it lies in a cluster: what the tests and `recover` compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBlock {
    /// Track number (1-based).
    pub track: u64,
    /// Absolute timestamp in ms (cluster timestamp + relative), clamped at 0.
    pub ts_ms: u64,
    /// Keyframe flag.
    pub keyframe: bool,
    /// The frame.
    pub data: Vec<u8>,
}

/// Parses a whole cluster's data (without its ID and size): its timestamp and blocks.
/// None when any child is malformed or truncated.
pub(crate) fn parse_cluster_body(body: &[u8]) -> Option<(u64, Vec<BlockRef<'_>>)> {
    let mut pos = 0;
    let mut ts = None;
    let mut blocks = Vec::new();
    while pos < body.len() {
        let h = read_header(body, pos)?;
        let end = h.end()?;
        let data = body.get(h.data..end)?;
        match h.id {
            id::TIMESTAMP => ts = Some(read_uint(data)?),
            id::SIMPLE_BLOCK => blocks.push(parse_simple_block(data)?),
            id::VOID => {}
            _ => return None,
        }
        pos = end;
    }
    Some((ts?, blocks))
}

/// Parses every block of every cluster of a file's bytes (stops at the first element that is
/// not whole). For tests and diagnostics.
pub fn parse_blocks(file: &[u8]) -> Vec<ParsedBlock> {
    let mut out = Vec::new();
    let Some(layout) = Layout::parse(file) else {
        return out;
    };
    let mut pos = layout.first_cluster;
    while let Some(h) = read_header(file, pos) {
        let Some(end) = h.end() else { break };
        let Some(body) = file.get(h.data..end) else {
            break;
        };
        if h.id == id::CLUSTER {
            let Some((ts, blocks)) = parse_cluster_body(body) else {
                break;
            };
            for b in blocks {
                out.push(ParsedBlock {
                    track: b.track,
                    ts_ms: ts.saturating_add_signed(i64::from(b.rel)),
                    keyframe: b.keyframe,
                    data: b.data.to_vec(),
                });
            }
        }
        pos = end;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Layout of the header, shared by the writer's finish and by `recover`.

/// Where the patched elements of a file lie, and what its tracks are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// File offset of the Segment's 8-byte size.
    pub segment_size_offset: u64,
    /// File offset of the Segment's data (positions in SeekHead and Cues are relative to it).
    pub data_start: u64,
    /// File offset of the SEEK_RESERVE bytes reserved for the SeekHead.
    pub seek_offset: u64,
    /// File offset of Info.
    pub info_offset: u64,
    /// File offset of the DURATION_RESERVE bytes for the Duration.
    pub duration_offset: u64,
    /// File offset of Tracks.
    pub tracks_offset: u64,
    /// Track number of the video track, if any.
    pub video_track: Option<u64>,
    /// File offset just after Tracks (where clusters start).
    pub first_cluster: usize,
    /// The Segment size as written (None: unknown, the file was not finished).
    pub segment_size: Option<u64>,
}

impl Layout {
    /// Parses a header written by [`WebmWriter`]. None if `buf` does not hold a whole one.
    pub fn parse(buf: &[u8]) -> Option<Layout> {
        let ebml = read_header(buf, 0)?;
        if ebml.id != id::EBML {
            return None;
        }
        let seg = read_header(buf, ebml.end()?)?;
        if seg.id != id::SEGMENT || seg.data - seg.start != 12 {
            return None;
        }
        let data_start = seg.data;
        // The seek reserve: a Void or a SeekHead (+ Void) of exactly SEEK_RESERVE bytes.
        let first = read_header(buf, data_start)?;
        if first.id != id::VOID && first.id != id::SEEK_HEAD {
            return None;
        }
        let info_offset = data_start + SEEK_RESERVE;
        let info = read_header(buf, info_offset)?;
        if info.id != id::INFO {
            return None;
        }
        let info_end = info.end()?;
        let mut duration_offset = None;
        let mut pos = info.data;
        while pos < info_end {
            let h = read_header(buf, pos)?;
            let end = h.end()?;
            if end > info_end {
                return None;
            }
            if (h.id == id::VOID || h.id == id::DURATION) && end - pos == DURATION_RESERVE {
                duration_offset = Some(pos);
            }
            pos = end;
        }
        let duration_offset = duration_offset?;
        let tracks = read_header(buf, info_end)?;
        if tracks.id != id::TRACKS {
            return None;
        }
        let tracks_end = tracks.end()?;
        if tracks_end > buf.len() {
            return None;
        }
        let mut video_track = None;
        let mut pos = tracks.data;
        while pos < tracks_end {
            let e = read_header(buf, pos)?;
            let e_end = e.end()?;
            // A child must lie within its parent: a header that reads only because bytes
            // follow it would not read again once those bytes are cut.
            if e_end > tracks_end {
                return None;
            }
            if e.id == id::TRACK_ENTRY {
                let (mut number, mut kind) = (None, None);
                let mut p = e.data;
                while p < e_end {
                    let c = read_header(buf, p)?;
                    let c_end = c.end()?;
                    if c_end > e_end {
                        return None;
                    }
                    let d = buf.get(c.data..c_end)?;
                    match c.id {
                        id::TRACK_NUMBER => number = read_uint(d),
                        id::TRACK_TYPE => kind = read_uint(d),
                        _ => {}
                    }
                    p = c_end;
                }
                if kind == Some(1) {
                    video_track = number;
                }
            }
            pos = e_end;
        }
        Some(Layout {
            segment_size_offset: seg.start as u64 + 4,
            data_start: data_start as u64,
            seek_offset: data_start as u64,
            info_offset: info_offset as u64,
            duration_offset: duration_offset as u64,
            tracks_offset: info_end as u64,
            video_track,
            first_cluster: tracks_end,
            segment_size: seg.size,
        })
    }
}

/// A cue point: a cluster to seek to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cue {
    /// The cluster's timestamp (ms).
    pub time: u64,
    /// The track the cue is for (1-based).
    pub track: u64,
    /// The cluster's position relative to the Segment's data.
    pub cluster_pos: u64,
}

/// What closing a file writes: the Cues to append at `cues_offset` (the file's end), and the
/// in-place patches (Duration, SeekHead, then the Segment size last).
pub(crate) fn finish_parts(
    layout: &Layout,
    cues: &[Cue],
    cues_offset: u64,
    duration_ms: u64,
) -> (Vec<u8>, Vec<(u64, Vec<u8>)>) {
    let mut cue_bytes = Vec::new();
    if !cues.is_empty() {
        let mut body = Vec::new();
        for c in cues {
            let mut pos = Vec::new();
            put_uint(&mut pos, id::CUE_TRACK, c.track);
            put_uint(&mut pos, id::CUE_CLUSTER_POSITION, c.cluster_pos);
            let mut point = Vec::new();
            put_uint(&mut point, id::CUE_TIME, c.time);
            put_element(&mut point, id::CUE_TRACK_POSITIONS, &pos);
            put_element(&mut body, id::CUE_POINT, &point);
        }
        put_element(&mut cue_bytes, id::CUES, &body);
    }
    let file_len = cues_offset + cue_bytes.len() as u64;

    let mut duration = Vec::with_capacity(DURATION_RESERVE);
    put_float(&mut duration, id::DURATION, duration_ms as f64);

    let mut seeks = vec![
        (id::INFO, layout.info_offset - layout.data_start),
        (id::TRACKS, layout.tracks_offset - layout.data_start),
    ];
    if !cue_bytes.is_empty() {
        seeks.push((id::CUES, cues_offset - layout.data_start));
    }
    let mut body = Vec::new();
    for (target, pos) in seeks {
        let mut seek = Vec::new();
        let mut idb = Vec::new();
        put_id(&mut idb, target);
        put_element(&mut seek, id::SEEK_ID, &idb);
        put_uint8(&mut seek, id::SEEK_POSITION, pos);
        put_element(&mut body, id::SEEK, &seek);
    }
    let mut seek_head = Vec::with_capacity(SEEK_RESERVE);
    put_element(&mut seek_head, id::SEEK_HEAD, &body);
    let rest = SEEK_RESERVE - seek_head.len();
    put_void(&mut seek_head, rest);

    let mut seg_size = Vec::with_capacity(8);
    put_size_len(&mut seg_size, file_len - layout.data_start, 8);

    let patches = vec![
        (layout.duration_offset, duration),
        (layout.seek_offset, seek_head),
        (layout.segment_size_offset, seg_size),
    ];
    (cue_bytes, patches)
}

// ---------------------------------------------------------------------------------------------
// The writer

/// What [`WebmWriter::finish`] gives: bytes to append, then patches to write in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The last cluster and the Cues: append at the file's end (offset [`Finish::tail_offset`]).
    pub tail: Vec<u8>,
    /// File offset where `tail` goes (the bytes written before it).
    pub tail_offset: u64,
    /// (file offset, bytes) to overwrite in place, in order; the Segment size comes last, so a
    /// file whose Segment size is known was finished.
    pub patches: Vec<(u64, Vec<u8>)>,
    /// The file's duration (ms).
    pub duration_ms: u64,
    /// The file's final length.
    pub file_len: u64,
}

#[derive(Debug)]
struct ClusterBuf {
    ts: u64,
    body: Vec<u8>,
    cue_track: Option<u64>,
}

/// A WebM muxer for one file. See the module documentation.
#[derive(Debug)]
pub struct WebmWriter {
    tracks: Vec<TrackSpec>,
    layout: Layout,
    bytes_written: u64,
    cluster: Option<ClusterBuf>,
    last_ts: Vec<Option<u64>>,
    last_cluster_ts: Option<u64>,
    max_ts: Option<u64>,
    cues: Vec<Cue>,
    has_video: bool,
}

impl WebmWriter {
    /// A writer for `tracks` (numbered 1.. in this order), and the header bytes to write first.
    /// `start_unix_ms` is the wall clock of the file's timestamp 0 (written as DateUTC).
    pub fn new(tracks: &[TrackSpec], start_unix_ms: u64) -> (WebmWriter, Vec<u8>) {
        let mut out = Vec::new();
        let mut ebml = Vec::new();
        put_uint(&mut ebml, id::EBML_VERSION, 1);
        put_uint(&mut ebml, id::EBML_READ_VERSION, 1);
        put_uint(&mut ebml, id::EBML_MAX_ID_LENGTH, 4);
        put_uint(&mut ebml, id::EBML_MAX_SIZE_LENGTH, 8);
        put_element(&mut ebml, id::DOC_TYPE, b"webm");
        put_uint(&mut ebml, id::DOC_TYPE_VERSION, 4);
        put_uint(&mut ebml, id::DOC_TYPE_READ_VERSION, 2);
        put_element(&mut out, id::EBML, &ebml);

        let segment_start = out.len();
        put_id(&mut out, id::SEGMENT);
        out.extend_from_slice(&UNKNOWN_SIZE);
        let data_start = out.len();
        put_void(&mut out, SEEK_RESERVE);

        let info_offset = out.len();
        let mut info = Vec::new();
        put_uint(&mut info, id::TIMESTAMP_SCALE, 1_000_000);
        put_element(&mut info, id::MUXING_APP, b"giaoban");
        put_element(&mut info, id::WRITING_APP, b"giaoban");
        let date_ns = (i64::try_from(start_unix_ms).unwrap_or(i64::MAX) - MATROSKA_EPOCH_UNIX_MS)
            .saturating_mul(1_000_000);
        put_element(&mut info, id::DATE_UTC, &date_ns.to_be_bytes());
        let duration_in_info = info.len();
        put_void(&mut info, DURATION_RESERVE);
        put_id(&mut out, id::INFO);
        put_size(&mut out, info.len() as u64);
        let duration_offset = out.len() + duration_in_info;
        out.extend_from_slice(&info);

        let tracks_offset = out.len();
        let mut body = Vec::new();
        let mut video_track = None;
        for (i, t) in tracks.iter().enumerate() {
            let number = i as u64 + 1;
            if t.is_video() && video_track.is_none() {
                video_track = Some(number);
            }
            put_element(&mut body, id::TRACK_ENTRY, &track_entry(number, t));
        }
        put_element(&mut out, id::TRACKS, &body);

        let layout = Layout {
            segment_size_offset: segment_start as u64 + 4,
            data_start: data_start as u64,
            seek_offset: data_start as u64,
            info_offset: info_offset as u64,
            duration_offset: duration_offset as u64,
            tracks_offset: tracks_offset as u64,
            video_track,
            first_cluster: out.len(),
            segment_size: None,
        };
        let writer = WebmWriter {
            tracks: tracks.to_vec(),
            layout,
            bytes_written: out.len() as u64,
            cluster: None,
            last_ts: vec![None; tracks.len()],
            last_cluster_ts: None,
            max_ts: None,
            cues: Vec::new(),
            has_video: video_track.is_some(),
        };
        (writer, out)
    }

    /// The tracks of this file.
    pub fn tracks(&self) -> &[TrackSpec] {
        &self.tracks
    }

    /// Bytes handed out so far (header and closed clusters): the file's length once written.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// The file's duration so far: the largest block timestamp (ms), 0 before any block.
    pub fn duration_ms(&self) -> u64 {
        self.max_ts.unwrap_or(0)
    }

    /// The open cluster's timestamp (ms from the file's start), if a cluster is open.
    pub fn open_cluster_ms(&self) -> Option<u64> {
        self.cluster.as_ref().map(|c| c.ts)
    }

    /// Adds a frame of track `track` (0-based index into the tracks given to `new`) at `ts_ms`
    /// (ms from the file's start). Returns a cluster that closed, to append to the file.
    ///
    /// Timestamps of a track never go backwards (an earlier one is raised to the last one). An
    /// unknown track or a frame over [`MAX_BLOCK_BYTES`] is dropped.
    pub fn push(
        &mut self,
        track: usize,
        ts_ms: u64,
        keyframe: bool,
        data: &[u8],
    ) -> Option<Vec<u8>> {
        let Some(spec) = self.tracks.get(track) else {
            tracing::warn!(track, "webm: frame for an unknown track dropped");
            return None;
        };
        if data.len() > MAX_BLOCK_BYTES {
            tracing::warn!(len = data.len(), "webm: oversized frame dropped");
            return None;
        }
        let is_video = spec.is_video();
        if !is_video && self.last_ts[track].is_some_and(|last| ts_ms <= last) {
            // Audio that maps before what was written overlaps it: players would play both.
            tracing::debug!(track, ts_ms, "webm: audio frame out of time dropped");
            return None;
        }
        // Strictly increasing per track: two frames at one time make decoders and muxers
        // complain (a sender's clock jump or a re-anchored mapping can produce them).
        let mut ts = self.last_ts[track].map_or(ts_ms, |last| ts_ms.max(last + 1));
        let mut closed = None;
        if let Some(c) = &self.cluster {
            let age = i128::from(ts) - i128::from(c.ts);
            let close = (is_video && keyframe && age >= i128::from(CLUSTER_KEYFRAME_MIN_MS))
                || age >= i128::from(CLUSTER_MAX_SPAN_MS)
                || age > i128::from(i16::MAX)
                || c.body.len() + data.len() + 16 > MAX_CLUSTER_BYTES;
            if close {
                closed = self.close_cluster();
            }
        }
        let number = track as u64 + 1;
        let cts = self.last_cluster_ts.map_or(ts, |last| ts.max(last));
        let cue_track = if self.has_video {
            (is_video && keyframe).then_some(number)
        } else {
            Some(number)
        };
        let cluster = self.cluster.get_or_insert_with(|| {
            let mut body = Vec::new();
            put_uint(&mut body, id::TIMESTAMP, cts);
            ClusterBuf {
                ts: cts,
                body,
                cue_track,
            }
        });
        // A block may precede its cluster (another track opened it), by at most i16::MIN.
        let min = cluster.ts.saturating_sub(i16::MIN.unsigned_abs().into());
        ts = ts.max(min);
        let rel = i16::try_from(i128::from(ts) - i128::from(cluster.ts)).unwrap_or(i16::MAX);
        put_id(&mut cluster.body, id::SIMPLE_BLOCK);
        put_size(&mut cluster.body, 1 + 2 + 1 + data.len() as u64);
        put_size_len(&mut cluster.body, number, 1);
        cluster.body.extend_from_slice(&rel.to_be_bytes());
        cluster.body.push(if keyframe { 0x80 } else { 0 });
        cluster.body.extend_from_slice(data);
        self.last_ts[track] = Some(ts);
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        closed
    }

    /// Closes the open cluster, if any, and returns it to append.
    pub fn flush(&mut self) -> Option<Vec<u8>> {
        self.close_cluster()
    }

    fn close_cluster(&mut self) -> Option<Vec<u8>> {
        let c = self.cluster.take()?;
        let mut out = Vec::with_capacity(c.body.len() + 12);
        put_id(&mut out, id::CLUSTER);
        put_size(&mut out, c.body.len() as u64);
        out.extend_from_slice(&c.body);
        if let Some(track) = c.cue_track
            && self.cues.len() < MAX_CUES
        {
            self.cues.push(Cue {
                time: c.ts,
                track,
                cluster_pos: self.bytes_written - self.layout.data_start,
            });
        }
        self.last_cluster_ts = Some(c.ts);
        self.bytes_written += out.len() as u64;
        Some(out)
    }

    /// Ends the file: the last cluster and the Cues to append, and the patches to write in
    /// place (Duration, SeekHead, Segment size). Write the tail, then the patches in order.
    pub fn finish(mut self) -> Finish {
        let mut tail = self.close_cluster().unwrap_or_default();
        let tail_offset = self.bytes_written - tail.len() as u64;
        let duration_ms = self.duration_ms();
        let (cues, patches) =
            finish_parts(&self.layout, &self.cues, self.bytes_written, duration_ms);
        tail.extend_from_slice(&cues);
        Finish {
            file_len: tail_offset + tail.len() as u64,
            tail,
            tail_offset,
            patches,
            duration_ms,
        }
    }
}

/// The cue point of a whole cluster at file offset `pos`, by the writer's rule: a cluster
/// that starts with a video keyframe (any cluster in a file without video).
pub(crate) fn cluster_cue(
    layout: &Layout,
    first_block: Option<&BlockRef<'_>>,
    ts: u64,
    pos: u64,
) -> Option<Cue> {
    let b = first_block?;
    let wanted = match layout.video_track {
        Some(v) => b.track == v && b.keyframe,
        None => true,
    };
    wanted.then_some(Cue {
        time: ts,
        track: b.track,
        cluster_pos: pos - layout.data_start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: u64) -> Vec<u8> {
        let mut b = Vec::new();
        put_size(&mut b, n);
        b
    }

    #[test]
    fn vint_sizes() {
        assert_eq!(enc(0), [0x80]);
        assert_eq!(enc(1), [0x81]);
        assert_eq!(enc(126), [0xFE]);
        // 127 is the 1-byte unknown marker, so it takes two bytes.
        assert_eq!(enc(127), [0x40, 0x7F]);
        assert_eq!(enc(16382), [0x7F, 0xFE]);
        assert_eq!(enc(16383), [0x20, 0x3F, 0xFF]);
        assert_eq!(size_len((1 << 56) - 2), 8);
        let mut b = Vec::new();
        put_size_len(&mut b, 5, 8);
        assert_eq!(b, [0x01, 0, 0, 0, 0, 0, 0, 5]);
        for n in [0u64, 1, 126, 127, 300, 16383, 1 << 20, (1 << 56) - 2] {
            let b = enc(n);
            assert_eq!(read_size(&b, 0), Some((Some(n), b.len())), "{n}");
        }
    }

    #[test]
    fn vint_unknown_size() {
        assert_eq!(read_size(&UNKNOWN_SIZE, 0), Some((None, 8)));
        assert_eq!(read_size(&[0xFF], 0), Some((None, 1)));
        assert_eq!(read_size(&[0x00], 0), None);
        assert_eq!(read_size(&[0x40], 0), None, "truncated");
    }

    #[test]
    fn ids_round_trip() {
        for i in [
            id::EBML,
            id::SEGMENT,
            id::SIMPLE_BLOCK,
            id::SEEK_HEAD,
            id::TIMESTAMP_SCALE,
        ] {
            let mut b = Vec::new();
            put_id(&mut b, i);
            assert_eq!(read_id(&b, 0), Some((i, b.len())));
        }
    }

    fn av() -> Vec<TrackSpec> {
        vec![
            TrackSpec::Opus { channels: 2 },
            TrackSpec::Vp8 {
                width: 320,
                height: 240,
            },
        ]
    }

    #[test]
    fn header_parses_and_reserves() {
        let (w, header) = WebmWriter::new(&av(), 1_700_000_000_000);
        let l = Layout::parse(&header).expect("layout");
        assert_eq!(l, w.layout);
        assert_eq!(l.video_track, Some(2));
        assert_eq!(l.segment_size, None);
        assert_eq!(
            &header[l.segment_size_offset as usize..][..8],
            &UNKNOWN_SIZE
        );
        assert_eq!(header[l.duration_offset as usize], 0xEC);
        assert_eq!(w.bytes_written(), header.len() as u64);
    }

    #[test]
    fn cluster_closes_on_keyframe_after_one_second() {
        let (mut w, _) = WebmWriter::new(&av(), 0);
        assert!(w.push(1, 0, true, b"k0").is_none());
        assert!(
            w.push(1, 500, true, b"k1").is_none(),
            "young cluster stays open"
        );
        assert!(w.push(0, 990, true, b"a").is_none());
        assert!(w.push(1, 999, false, b"d").is_none());
        let c = w
            .push(1, 1000, true, b"k2")
            .expect("keyframe at 1 s closes");
        assert_eq!(w.open_cluster_ms(), Some(1000));
        let h = read_header(&c, 0).expect("cluster header");
        assert_eq!(h.id, id::CLUSTER);
        assert_eq!(h.end(), Some(c.len()), "the cluster is whole");
        let (ts, blocks) = parse_cluster_body(&c[h.data..]).expect("cluster");
        assert_eq!(ts, 0);
        assert_eq!(blocks.len(), 4);
    }

    #[test]
    fn cluster_closes_at_two_seconds_and_on_flush() {
        let (mut w, _) = WebmWriter::new(&av(), 0);
        for t in (0..2000).step_by(20) {
            assert!(w.push(0, t, true, b"a").is_none(), "{t}");
        }
        assert!(w.push(0, 2000, true, b"a").is_some(), "2 s span closes");
        assert!(w.flush().is_some());
        assert!(w.flush().is_none());
        assert_eq!(w.open_cluster_ms(), None);
    }

    #[test]
    fn cluster_bounded_in_bytes() {
        let (mut w, _) = WebmWriter::new(&av(), 0);
        let frame = vec![0u8; 1024 * 1024];
        let mut closed = 0;
        for i in 0..20 {
            if let Some(c) = w.push(1, i, i == 0, &frame) {
                assert!(c.len() <= MAX_CLUSTER_BYTES + 16);
                closed += 1;
            }
        }
        assert!(closed >= 2);
        assert!(
            w.push(1, 30, false, &vec![0u8; MAX_BLOCK_BYTES + 1])
                .is_none()
        );
    }

    #[test]
    fn cues_are_bounded() {
        let (mut w, _) = WebmWriter::new(&[TrackSpec::Opus { channels: 2 }], 0);
        for i in 0..MAX_CUES as u64 + 10 {
            w.push(0, i, true, b"a");
            assert!(w.flush().is_some());
        }
        assert_eq!(w.cues.len(), MAX_CUES);
    }

    #[test]
    fn timestamps_never_go_backwards() {
        let (mut w, header) = WebmWriter::new(&av(), 0);
        let mut file = header;
        for (track, ts) in [
            (1, 100),
            (1, 50),
            (0, 120),
            (0, 90),
            (1, 3000),
            (0, 10),
            (1, 2999),
        ] {
            if let Some(c) = w.push(track, ts, true, b"x") {
                file.extend_from_slice(&c);
            }
        }
        let f = w.finish();
        file.extend_from_slice(&f.tail);
        let blocks = parse_blocks(&file);
        // The audio at 90 and at 10 came after audio at 120: dropped, not overlapped.
        assert_eq!(blocks.len(), 5);
        let audio: Vec<u64> = blocks
            .iter()
            .filter(|b| b.track == 1)
            .map(|b| b.ts_ms)
            .collect();
        assert_eq!(audio, [120]);
        for track in [1, 2] {
            let ts: Vec<u64> = blocks
                .iter()
                .filter(|b| b.track == track)
                .map(|b| b.ts_ms)
                .collect();
            assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
        }
        // Video at 2999 after 3000 becomes 3001.
        assert_eq!(f.duration_ms, 3001);
    }

    #[test]
    fn finish_patches_and_cues() {
        let (mut w, header) = WebmWriter::new(&av(), 0);
        let mut file = header;
        for i in 0..100u64 {
            let t = i * 40;
            if let Some(c) = w.push(0, t, true, b"aaa") {
                file.extend_from_slice(&c);
            }
            if let Some(c) = w.push(1, t, i % 30 == 0, b"vvvv") {
                file.extend_from_slice(&c);
            }
        }
        let f = w.finish();
        assert_eq!(f.tail_offset, file.len() as u64);
        file.extend_from_slice(&f.tail);
        assert_eq!(f.file_len, file.len() as u64);
        for (off, bytes) in &f.patches {
            file[*off as usize..*off as usize + bytes.len()].copy_from_slice(bytes);
        }
        let l = Layout::parse(&file).expect("layout");
        assert_eq!(l.segment_size, Some(file.len() as u64 - l.data_start));
        assert_eq!(
            &file[l.duration_offset as usize..][..3],
            &[0x44, 0x89, 0x88]
        );
        assert_eq!(f.duration_ms, 99 * 40);
        assert_eq!(parse_blocks(&file).len(), 200);
    }
}
