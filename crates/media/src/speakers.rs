//! Which points feed a subscriber's few audio slots: the pinned ones (the host, the floor
//! holder) and, in open mode, the loudest of the others by their RFC 6464 audio level, with
//! hysteresis so that a slot does not flap between two voices of about the same loudness.
//!
//! Levels arrive in every audio packet's header extension (RFC 6464 §3: 0 is the loudest,
//! 127 silence, in −dBov). Each point's loudness is smoothed over a few packets; a point that
//! sent nothing loud for [`SpeakerConfig::hold`] is no longer a candidate. An incumbent keeps
//! its slot until a challenger is louder by [`SpeakerConfig::margin_db`].

use std::time::{Duration, Instant};

/// Settings of the selection.
#[derive(Debug, Clone)]
pub struct SpeakerConfig {
    /// Audio slots in all, pinned ones included.
    pub slots: usize,
    /// Levels quieter than this (in −dBov) are silence.
    pub silence_dbov: u8,
    /// A challenger must be this much louder than the quietest incumbent to take its slot.
    pub margin_db: u8,
    /// A point that has not been louder than silence for this long leaves its slot.
    pub hold: Duration,
    /// Weight of a new level in the smoothed loudness, in percent.
    pub smoothing_percent: u8,
}

impl Default for SpeakerConfig {
    fn default() -> SpeakerConfig {
        SpeakerConfig {
            slots: 4,
            silence_dbov: 70,
            margin_db: 6,
            hold: Duration::from_millis(1_500),
            smoothing_percent: 25,
        }
    }
}

/// The audio slots of one room's subscribers (every subscriber hears the same voices, less
/// its own).
#[derive(Debug, Clone)]
pub struct SpeakerSelector<P> {
    config: SpeakerConfig,
    /// One entry per point heard so far; points that leave are removed with
    /// [`SpeakerSelector::remove`].
    points: Vec<Loudness<P>>,
    /// The unpinned points in a slot now.
    chosen: Vec<P>,
}

#[derive(Debug, Clone, Copy)]
struct Loudness<P> {
    point: P,
    /// Smoothed loudness in dB above silence (127 − level), in 1/16 dB.
    smoothed: u32,
    last_loud: Option<Instant>,
}

impl<P: Copy + Eq> SpeakerSelector<P> {
    pub fn new(config: SpeakerConfig) -> SpeakerSelector<P> {
        SpeakerSelector {
            config,
            points: Vec::new(),
            chosen: Vec::new(),
        }
    }

    /// Takes the level (RFC 6464, −dBov, 0–127) of one packet of `point`.
    pub fn observe(&mut self, now: Instant, point: P, level: u8) {
        let level = level.min(127);
        let loudness = u32::from(127 - level) * 16;
        let weight = u32::from(self.config.smoothing_percent.min(100));
        let entry = match self.points.iter_mut().find(|p| p.point == point) {
            Some(entry) => entry,
            None => {
                self.points.push(Loudness {
                    point,
                    smoothed: loudness,
                    last_loud: None,
                });
                self.points.last_mut().expect("just pushed")
            }
        };
        entry.smoothed = (entry.smoothed * (100 - weight) + loudness * weight) / 100;
        if level < self.config.silence_dbov {
            entry.last_loud = Some(now);
        }
    }

    /// Forgets a point that left.
    pub fn remove(&mut self, point: P) {
        self.points.retain(|p| p.point != point);
        self.chosen.retain(|p| *p != point);
    }

    /// The points in the audio slots at `now`: `pinned` first (at most [`SpeakerConfig::slots`]
    /// of them), then the loudest others.
    pub fn select(&mut self, now: Instant, pinned: &[P]) -> Vec<P> {
        let slots = self.config.slots;
        let mut selected: Vec<P> = Vec::with_capacity(slots);
        for p in pinned {
            if selected.len() < slots && !selected.contains(p) {
                selected.push(*p);
            }
        }
        let free = slots - selected.len();
        let hold = self.config.hold;
        let active = |l: &Loudness<P>| {
            l.last_loud
                .is_some_and(|t| now.saturating_duration_since(t) < hold)
        };
        let loudness = |points: &[Loudness<P>], p: P| {
            points
                .iter()
                .find(|l| l.point == p)
                .map(|l| l.smoothed)
                .unwrap_or(0)
        };
        // Incumbents stay while they are still speaking and not pinned anyway.
        let points = &self.points;
        self.chosen
            .retain(|p| !selected.contains(p) && points.iter().any(|l| l.point == *p && active(l)));
        self.chosen.truncate(free);
        let mut challengers: Vec<&Loudness<P>> = self
            .points
            .iter()
            .filter(|l| {
                active(l) && !selected.contains(&l.point) && !self.chosen.contains(&l.point)
            })
            .collect();
        challengers.sort_by_key(|l| std::cmp::Reverse(l.smoothed));
        let margin = u32::from(self.config.margin_db) * 16;
        for challenger in challengers {
            if self.chosen.len() < free {
                self.chosen.push(challenger.point);
                continue;
            }
            // Replace the quietest incumbent only when clearly louder.
            let Some((index, quietest)) = self
                .chosen
                .iter()
                .enumerate()
                .map(|(i, p)| (i, loudness(&self.points, *p)))
                .min_by_key(|(_, l)| *l)
            else {
                break;
            };
            if challenger.smoothed >= quietest + margin {
                self.chosen[index] = challenger.point;
            } else {
                break;
            }
        }
        selected.extend(self.chosen.iter().copied());
        selected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the epoch of virtual time
    fn epoch() -> Instant {
        Instant::now()
    }

    fn selector(slots: usize) -> SpeakerSelector<u32> {
        SpeakerSelector::new(SpeakerConfig {
            slots,
            ..SpeakerConfig::default()
        })
    }

    /// `packets` packets of each (point, level) 20 ms apart, from `start`.
    fn speak(
        s: &mut SpeakerSelector<u32>,
        start: Instant,
        voices: &[(u32, u8)],
        packets: u32,
    ) -> Instant {
        let mut now = start;
        for _ in 0..packets {
            now += Duration::from_millis(20);
            for (p, level) in voices {
                s.observe(now, *p, *level);
            }
        }
        now
    }

    #[test]
    fn pinned_points_always_have_a_slot_and_the_loudest_fill_the_rest() {
        let mut s = selector(3);
        let now = speak(
            &mut s,
            epoch(),
            &[(1, 127), (2, 127), (3, 20), (4, 40), (5, 30)],
            20,
        );
        assert_eq!(s.select(now, &[1, 2]), [1, 2, 3]);
        // Pinned beyond the slots: the first ones win.
        assert_eq!(s.select(now, &[5, 4, 1, 2]), [5, 4, 1]);
    }

    #[test]
    fn voices_of_about_the_same_loudness_do_not_flap() {
        let mut s = selector(2);
        let mut now = speak(&mut s, epoch(), &[(1, 30), (2, 40), (3, 127)], 10);
        assert_eq!(s.select(now, &[3]), [3, 1]);
        // 2 gets a little louder than 1, then 1 again, back and forth.
        for round in 0..20 {
            let (l1, l2) = if round % 2 == 0 { (34, 30) } else { (30, 34) };
            now = speak(&mut s, now, &[(1, l1), (2, l2)], 5);
            assert_eq!(s.select(now, &[3]), [3, 1], "round {round}");
        }
        // Clearly louder for a while: 2 takes the slot.
        now = speak(&mut s, now, &[(1, 50), (2, 20)], 20);
        assert_eq!(s.select(now, &[3]), [3, 2]);
    }

    #[test]
    fn a_silent_speaker_leaves_after_the_hold() {
        let mut s = selector(2);
        let now = speak(&mut s, epoch(), &[(1, 30), (2, 127)], 10);
        assert_eq!(s.select(now, &[]), [1]);
        let now = speak(&mut s, now, &[(1, 127)], 100);
        assert_eq!(s.select(now, &[]), Vec::<u32>::new());
        s.remove(1);
        assert_eq!(s.select(now, &[1]), [1], "a pinned point needs no level");
    }
}
