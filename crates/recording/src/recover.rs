//! Closing a recording file whose writer died (the server was killed, the disk filled).
//!
//! A file written by [`crate::webm::WebmWriter`] is, at every moment, a header followed by
//! whole clusters, possibly followed by a partial write. [`recover`] keeps the header and every
//! whole cluster, cuts what follows the last whole one, and writes what
//! [`crate::webm::WebmWriter::finish`] would have: the Cues, the Duration (the last block's
//! timestamp), the SeekHead and the Segment size. A file whose Segment size is known and
//! matches its length was finished: it is left unchanged.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::webm::{
    self, Cue, DURATION_RESERVE, Layout, MAX_CLUSTER_BYTES, MAX_CUES, cluster_cue, id,
    parse_cluster_body, read_header,
};

/// Bytes read at a file's start to find its header (a header is a few hundred bytes).
const HEADER_READ: usize = 64 * 1024;

/// The largest cluster `recover` accepts: what the writer can make, plus its element header.
const MAX_CLUSTER_ELEMENT: u64 = MAX_CLUSTER_BYTES as u64 + 64;

/// What [`recover`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// The file's duration (ms): the last block's timestamp.
    pub duration_ms: u64,
    /// Bytes of the old file kept (header and whole clusters).
    pub bytes_kept: u64,
    /// Bytes cut after the last whole cluster.
    pub bytes_cut: u64,
    /// The file was already finished and was left unchanged.
    pub already_finished: bool,
}

/// Why a file could not be recovered.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// Reading or writing the file failed.
    #[error("recording file: {0}")]
    Io(#[from] io::Error),
    /// The file is too short to hold the header: nothing was recorded in it.
    #[error("recording file too short to hold a header ({len} bytes): it is empty")]
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// The file does not start with a header as this crate writes it.
    #[error("not a recording file (no WebM header as written by giaoban)")]
    NotRecording,
}

/// What closing a file takes.
#[derive(Debug)]
struct Plan {
    recovered: Recovered,
    /// Where the kept bytes end (and the Cues go).
    keep: u64,
    /// The Cues to append at `keep`.
    cues: Vec<u8>,
    /// In-place patches, in order (the Segment size last).
    patches: Vec<(u64, Vec<u8>)>,
}

fn read_at<R: Read + Seek>(r: &mut R, pos: u64, len: usize) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(pos))?;
    let mut buf = Vec::with_capacity(len);
    r.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn plan<R: Read + Seek>(r: &mut R, len: u64) -> Result<Plan, RecoverError> {
    let head = read_at(
        r,
        0,
        HEADER_READ.min(usize::try_from(len).unwrap_or(HEADER_READ)),
    )?;
    let Some(layout) = Layout::parse(&head) else {
        // A header that the bytes present cut short reads as "too short"; anything else
        // (another format, garbage) as "not a recording".
        let (_, header) = webm::WebmWriter::new(&[], 0);
        let prefix = header.len().min(head.len()).min(4);
        if head.len() < HEADER_READ && head.get(..prefix) == header.get(..prefix) {
            return Err(RecoverError::TooShort { len });
        }
        return Err(RecoverError::NotRecording);
    };

    if let Some(size) = layout.segment_size
        && layout.data_start.checked_add(size) == Some(len)
    {
        let duration_ms = head
            .get(layout.duration_offset as usize..)
            .and_then(|d| d.get(..DURATION_RESERVE))
            .filter(|d| d[..3] == [0x44, 0x89, 0x88])
            .map_or(0, |d| {
                let mut f = [0u8; 8];
                f.copy_from_slice(&d[3..]);
                let v = f64::from_be_bytes(f);
                if v.is_finite() && v >= 0.0 {
                    v as u64
                } else {
                    0
                }
            });
        return Ok(Plan {
            recovered: Recovered {
                duration_ms,
                bytes_kept: len,
                bytes_cut: 0,
                already_finished: true,
            },
            keep: len,
            cues: Vec::new(),
            patches: Vec::new(),
        });
    }

    let mut pos = layout.first_cluster as u64;
    let mut cues: Vec<Cue> = Vec::new();
    let mut max_ts: Option<u64> = None;
    while pos < len {
        let hb = read_at(r, pos, 12)?;
        let Some(h) = read_header(&hb, 0) else { break };
        if h.id != id::CLUSTER {
            break;
        }
        let Some(size) = h.size.filter(|&s| s <= MAX_CLUSTER_ELEMENT) else {
            break;
        };
        let end = pos + h.data as u64 + size;
        if end > len {
            break;
        }
        let body = read_at(r, pos + h.data as u64, size as usize)?;
        let Some((ts, blocks)) = parse_cluster_body(&body) else {
            break;
        };
        if cues.len() < MAX_CUES
            && let Some(cue) = cluster_cue(&layout, blocks.first(), ts, pos)
        {
            cues.push(cue);
        }
        for b in &blocks {
            let t = ts.saturating_add_signed(i64::from(b.rel));
            max_ts = Some(max_ts.map_or(t, |m| m.max(t)));
        }
        pos = end;
    }
    let keep = pos.min(len);
    let duration_ms = max_ts.unwrap_or(0);
    let (cue_bytes, patches) = webm::finish_parts(&layout, &cues, keep, duration_ms);
    Ok(Plan {
        recovered: Recovered {
            duration_ms,
            bytes_kept: keep,
            bytes_cut: len - keep,
            already_finished: false,
        },
        keep,
        cues: cue_bytes,
        patches,
    })
}

/// Closes the recording file at `path` if its writer died; see the module documentation.
pub fn recover(path: &Path) -> Result<Recovered, RecoverError> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let plan = plan(&mut file, len)?;
    if plan.recovered.already_finished {
        return Ok(plan.recovered);
    }
    file.set_len(plan.keep)?;
    file.seek(SeekFrom::Start(plan.keep))?;
    file.write_all(&plan.cues)?;
    file.sync_data()?;
    for (offset, bytes) in &plan.patches {
        file.seek(SeekFrom::Start(*offset))?;
        file.write_all(bytes)?;
    }
    file.sync_all()?;
    Ok(plan.recovered)
}

/// [`recover`] on a file held in memory.
pub fn recover_bytes(buf: &mut Vec<u8>) -> Result<Recovered, RecoverError> {
    let len = buf.len() as u64;
    let plan = plan(&mut io::Cursor::new(&buf[..]), len)?;
    if plan.recovered.already_finished {
        return Ok(plan.recovered);
    }
    buf.truncate(plan.keep as usize);
    buf.extend_from_slice(&plan.cues);
    for (offset, bytes) in &plan.patches {
        let start = *offset as usize;
        if let Some(dst) = buf.get_mut(start..start + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    Ok(plan.recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzz target `recording_input`: a track entry whose child reached past the
    /// entry read only because bytes followed; once recovered, the file's header no longer
    /// read. A header whose elements leave their parents is not one of ours.
    #[test]
    fn a_header_with_children_past_their_parent_is_refused_not_half_recovered() {
        let input = include_bytes!("../../../fuzz/seeds/recording_input/recover-child-past-parent");
        let mut file = input[1..].to_vec();
        match recover_bytes(&mut file) {
            Ok(_) => {
                let once = file.clone();
                assert!(
                    recover_bytes(&mut file).is_ok(),
                    "a recovered file recovers"
                );
                assert_eq!(file, once);
            }
            Err(RecoverError::TooShort { .. } | RecoverError::NotRecording) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    use crate::webm::{TrackSpec, WebmWriter, parse_blocks};

    /// A few seconds of synthetic Opus (20 ms) and VP8 (15 fps, a keyframe each second).
    fn synthetic() -> (Vec<u8>, Vec<u8>) {
        let tracks = [
            TrackSpec::Opus { channels: 2 },
            TrackSpec::Vp8 {
                width: 64,
                height: 48,
            },
        ];
        let (mut w, mut file) = WebmWriter::new(&tracks, 1_700_000_000_000);
        let mut events: Vec<(u64, usize)> = (0..150).map(|i| (i * 20, 0)).collect();
        events.extend((0..45).map(|i| (i * 1000 / 15, 1)));
        events.sort();
        for (n, (t, track)) in events.into_iter().enumerate() {
            let key = track == 0 || t % 1000 == 0;
            let data = vec![n as u8; if track == 0 { 7 } else { 23 }];
            if let Some(c) = w.push(track, t, key, &data) {
                file.extend_from_slice(&c);
            }
        }
        let unfinished = file.clone();
        let f = w.finish();
        file.extend_from_slice(&f.tail);
        for (off, bytes) in &f.patches {
            file[*off as usize..*off as usize + bytes.len()].copy_from_slice(bytes);
        }
        (file, unfinished)
    }

    #[test]
    fn finished_file_left_unchanged() {
        let (file, _) = synthetic();
        let mut copy = file.clone();
        let r = recover_bytes(&mut copy).expect("recover");
        assert!(r.already_finished);
        assert_eq!(r.duration_ms, 2980);
        assert_eq!(copy, file);
    }

    #[test]
    fn recovering_the_unfinished_file_equals_finishing_it_but_for_the_last_cluster() {
        let (file, unfinished) = synthetic();
        let mut rec = unfinished.clone();
        let r = recover_bytes(&mut rec).expect("recover");
        assert!(!r.already_finished);
        assert_eq!(r.bytes_cut, 0);
        assert_eq!(r.bytes_kept, unfinished.len() as u64);
        let all = parse_blocks(&file);
        let kept = parse_blocks(&rec);
        assert!(!kept.is_empty() && kept.len() < all.len());
        assert_eq!(kept[..], all[..kept.len()]);
        // A second recovery sees a finished file.
        let again = recover_bytes(&mut rec.clone()).expect("again");
        assert!(again.already_finished);
        assert_eq!(again.duration_ms, r.duration_ms);
    }

    #[test]
    fn a_cut_at_every_offset_keeps_a_prefix_of_the_blocks() {
        let (file, _) = synthetic();
        let all = parse_blocks(&file);
        assert_eq!(all.len(), 195);
        let header_len = Layout::parse(&file).expect("layout").first_cluster;
        let mut kept_counts = std::collections::BTreeSet::new();
        for cut in 0..file.len() {
            let mut f = file[..cut].to_vec();
            match recover_bytes(&mut f) {
                Ok(r) => {
                    assert!(cut >= header_len, "a header cut at {cut} was accepted");
                    assert!(!r.already_finished, "cut at {cut}");
                    assert_eq!(r.bytes_kept + r.bytes_cut, cut as u64);
                    let blocks = parse_blocks(&f);
                    assert_eq!(blocks[..], all[..blocks.len()], "cut at {cut}");
                    assert_eq!(
                        r.duration_ms,
                        blocks.iter().map(|b| b.ts_ms).max().unwrap_or(0)
                    );
                    let l = Layout::parse(&f).expect("layout after recovery");
                    assert_eq!(l.segment_size, Some(f.len() as u64 - l.data_start));
                    // The recovered file is finished: recovering again changes nothing.
                    let mut again = f.clone();
                    assert!(recover_bytes(&mut again).expect("again").already_finished);
                    assert_eq!(again, f);
                    kept_counts.insert(blocks.len());
                }
                Err(RecoverError::TooShort { .. }) => {
                    assert!(cut < header_len, "cut at {cut} refused");
                }
                Err(e) => panic!("cut at {cut}: {e}"),
            }
        }
        assert!(kept_counts.len() > 3, "{kept_counts:?}");
    }

    #[test]
    fn not_a_recording() {
        let mut f = b"RIFF....WAVEfmt ".repeat(10);
        assert!(matches!(
            recover_bytes(&mut f),
            Err(RecoverError::NotRecording)
        ));
        let mut empty = Vec::new();
        assert!(matches!(
            recover_bytes(&mut empty),
            Err(RecoverError::TooShort { len: 0 })
        ));
    }

    #[test]
    fn recover_on_disk() {
        let (_, unfinished) = synthetic();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.webm");
        let cut = unfinished.len() - 5;
        std::fs::write(&path, &unfinished[..cut]).expect("write");
        let r = recover(&path).expect("recover");
        assert!(r.bytes_cut > 0);
        let mut expected = unfinished[..cut].to_vec();
        recover_bytes(&mut expected).expect("in memory");
        assert_eq!(std::fs::read(&path).expect("read"), expected);
        let again = recover(&path).expect("again");
        assert!(again.already_finished);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_random_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            let _ = recover_bytes(&mut bytes.clone());
        }

        #[test]
        fn never_panics_on_a_damaged_file(pos in 0usize..4000, val in proptest::num::u8::ANY, cut in 0usize..6000) {
            let (file, _) = synthetic();
            let mut f = file;
            if let Some(b) = f.get_mut(pos) {
                *b = val;
            }
            f.truncate(cut);
            let _ = recover_bytes(&mut f);
        }
    }
}
