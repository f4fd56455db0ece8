//! The media threads' side of recording: packets of rooms being recorded, and their stage,
//! handed to the recording thread over one bounded queue.
//!
//! The media threads never wait on it: when the queue is full (the disk is slower than the
//! media), the packet is dropped and counted, and the recording shows a gap there — the
//! briefing itself is not disturbed.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Instant;

use giaoban_media::RecordedPacket;
use giaoban_model::BriefingId;

/// Most inputs waiting for the recording thread: at 20 points (about 3,000 packets a second)
/// ten seconds; each holds a shared payload, so at most some 40 MB.
pub const RECORDING_QUEUE: usize = 32_768;

/// What the media side hands the recording thread. Boxed, so that the queue's slots, which
/// the channel allocates and touches at once, are small: 32,768 of them take half a megabyte.
#[derive(Debug)]
pub enum RecordingInput {
    /// A packet, with the wall-clock time (Unix ms) it arrived.
    Packet(Box<(RecordedPacket, u64)>),
    /// Whom the archive copy shows now.
    Stage(Box<StageInput>),
}

/// Whom the archive copy shows now in `room`: the presenter's screen, or a point's camera (the
/// floor holder or the spotlight, else the host), or nobody.
#[derive(Debug)]
pub struct StageInput {
    pub room: BriefingId,
    pub name: Option<String>,
    pub screen: bool,
}

/// The queue's sending end, once recording is on, and what it dropped.
#[derive(Default)]
pub struct RecordTap {
    sink: OnceLock<SyncSender<RecordingInput>>,
    pub dropped: AtomicU64,
}

impl RecordTap {
    /// Opens the queue and returns its receiving end; `None` when it was opened before.
    pub fn open(&self) -> Option<Receiver<RecordingInput>> {
        let (tx, rx) = sync_channel(RECORDING_QUEUE);
        self.sink.set(tx).ok().map(|()| rx)
    }

    /// Hands `input` over without waiting; false when it was dropped (no recording thread, or
    /// its queue is full).
    pub fn send(&self, input: RecordingInput) -> bool {
        let Some(sink) = self.sink.get() else {
            return false;
        };
        match sink.try_send(input) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Hands over the packets of `packets`, emptying it; `now` and `wall_now` are one moment.
    pub fn send_packets(&self, packets: &mut Vec<RecordedPacket>, now: Instant, wall_now: u64) {
        for packet in packets.drain(..) {
            let age = u64::try_from(now.saturating_duration_since(packet.at).as_millis())
                .unwrap_or(u64::MAX);
            let wall_ms = wall_now.saturating_sub(age);
            self.send(RecordingInput::Packet(Box::new((packet, wall_ms))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_slot_is_small() {
        assert!(std::mem::size_of::<RecordingInput>() <= 16);
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_never_blocks() {
        let tap = RecordTap::default();
        let stage = |n: usize| {
            RecordingInput::Stage(Box::new(StageInput {
                room: BriefingId("b".into()),
                name: Some(format!("p{n}")),
                screen: false,
            }))
        };
        assert!(
            !tap.send(stage(0)),
            "nothing is kept before the queue opens"
        );
        let rx = tap.open().expect("opens once");
        assert!(tap.open().is_none(), "and only once");
        for n in 0..RECORDING_QUEUE {
            assert!(tap.send(stage(n)));
        }
        assert!(!tap.send(stage(RECORDING_QUEUE)));
        assert_eq!(tap.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(rx.try_iter().count(), RECORDING_QUEUE);
    }
}
