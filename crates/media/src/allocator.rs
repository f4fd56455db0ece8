//! Fits what one subscriber receives into its egress bandwidth estimate (TWCC, str0m's BWE).
//!
//! Without it the pacer queues whatever the estimate cannot carry, and a host on a short link
//! sees its whole grid seconds late. With it, audio always goes first (it is never paused
//! here), then the stage at the high layer, then thumbnails at the low layer in the order the
//! subscriber's page shows them; when the estimate is short the stage steps down to the low
//! layer and the last thumbnails pause. A track gets a better layer back only once the
//! estimate leaves [`RESUME_MARGIN_PERCENT`] of headroom, so tracks do not flap around the
//! limit. Asking str0m for the rate of the full picture ([`Allocation::desired_kbps`]) makes its
//! estimator probe up when there is headroom.

use crate::peer::Layer;

/// Extra headroom, in percent of a layer's rate, needed to resume a paused track or step one
/// up: an estimate that hovers at the limit must not switch layers back and forth.
pub(crate) const RESUME_MARGIN_PERCENT: u64 = 15;

/// One video track a subscriber would show, in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Want {
    /// The best layer the subscriber would show (the stage: high; a thumbnail: low).
    pub layer: Layer,
    /// Measured (or assumed) rate of the source's high and low layer.
    pub high_kbps: u64,
    pub low_kbps: u64,
    /// What the previous allocation gave this track (`None`: paused or new).
    pub previous: Option<Layer>,
}

/// The outcome for one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allocation {
    /// Per [`Want`], in the same order: the layer to forward, `None` to pause.
    pub layers: Vec<Option<Layer>>,
    /// What forwarding everything wanted would take, audio included.
    pub desired_kbps: u64,
    /// What the allocation takes plus the next step up (resuming the first paused track, or
    /// the stage's high layer), audio included: the rate to keep the link at with padding so
    /// that the estimate can grow into that step. `None` when nothing is held back.
    pub next_kbps: Option<u64>,
}

/// Allocates `budget_kbps` to `audio_kbps` of audio and then to `wants`, which come in priority
/// order: every high-layer want before any low-layer one, each group in display order.
pub(crate) fn allocate(budget_kbps: u64, audio_kbps: u64, wants: &[Want]) -> Allocation {
    let mut left = budget_kbps.saturating_sub(audio_kbps);
    let mut layers = Vec::with_capacity(wants.len());
    let mut desired_kbps = audio_kbps;
    let mut used_kbps = audio_kbps;
    let mut next_step_kbps: Option<u64> = None;
    for want in wants {
        let rate = |layer: Layer| match layer {
            Layer::High => want.high_kbps,
            Layer::Low => want.low_kbps,
        };
        desired_kbps = desired_kbps.saturating_add(rate(want.layer));
        let candidates: &[Layer] = match want.layer {
            Layer::High => &[Layer::High, Layer::Low],
            Layer::Low => &[Layer::Low],
        };
        let chosen = candidates.iter().copied().find(|layer| {
            let cost = rate(*layer);
            let step_up = match want.previous {
                None => true,
                Some(previous) => previous == Layer::Low && *layer == Layer::High,
            };
            let needed = if step_up {
                cost.saturating_add(cost * RESUME_MARGIN_PERCENT / 100)
            } else {
                cost
            };
            needed <= left
        });
        if let Some(layer) = chosen {
            left -= rate(layer);
            used_kbps = used_kbps.saturating_add(rate(layer));
        }
        if next_step_kbps.is_none() && chosen != Some(want.layer) {
            let step = match chosen {
                None => rate(Layer::Low).min(rate(want.layer)),
                Some(layer) => rate(want.layer).saturating_sub(rate(layer)),
            };
            next_step_kbps = Some(step.saturating_add(step * RESUME_MARGIN_PERCENT / 100));
        }
        layers.push(chosen);
    }
    Allocation {
        layers,
        desired_kbps,
        next_kbps: next_step_kbps.map(|step| used_kbps.saturating_add(step)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(previous: Option<Layer>) -> Want {
        Want {
            layer: Layer::High,
            high_kbps: 1_000,
            low_kbps: 150,
            previous,
        }
    }

    fn thumbnail(previous: Option<Layer>) -> Want {
        Want {
            layer: Layer::Low,
            high_kbps: 1_000,
            low_kbps: 150,
            previous,
        }
    }

    /// A page of `n` thumbnails that all had their low layer.
    fn page(n: usize) -> Vec<Want> {
        let mut wants = vec![stage(Some(Layer::High))];
        wants.extend((0..n).map(|_| thumbnail(Some(Layer::Low))));
        wants
    }

    #[test]
    fn everything_fits_on_a_wide_link() {
        let a = allocate(10_000, 64, &page(6));
        assert_eq!(a.layers[0], Some(Layer::High));
        assert!(a.layers[1..].iter().all(|l| *l == Some(Layer::Low)));
        assert_eq!(a.desired_kbps, 64 + 1_000 + 6 * 150);
        assert_eq!(a.next_kbps, None, "nothing held back");
    }

    #[test]
    fn the_next_step_is_the_first_track_held_back() {
        // The stage is high, two thumbnails fit, the third would need 172 to resume.
        let a = allocate(64 + 1_000 + 2 * 150 + 10, 64, &page(4));
        assert_eq!(a.next_kbps, Some(64 + 1_000 + 2 * 150 + 172));
        // The stage is low: its step up is the difference to high.
        let a = allocate(64 + 500, 64, &page(1));
        assert_eq!(a.layers, [Some(Layer::Low), Some(Layer::Low)]);
        assert_eq!(a.next_kbps, Some(64 + 150 + 150 + 977));
    }

    #[test]
    fn a_shrinking_estimate_pauses_the_last_thumbnails_before_the_stage_steps_down() {
        let wants = page(6);
        let shown = |a: &Allocation| a.layers[1..].iter().filter(|l| l.is_some()).count();
        let mut last_shown = 6;
        // Audio 64 + stage 1,000 + 6 × 150: 1,964 kbit/s for everything.
        for budget in (64 + 1_000..=2_000).rev().step_by(25) {
            let a = allocate(budget, 64, &wants);
            assert_eq!(a.layers[0], Some(Layer::High), "at {budget}");
            let n = shown(&a);
            assert!(n <= last_shown, "a smaller estimate never shows more");
            assert_eq!(n, ((budget - 64 - 1_000) / 150).min(6) as usize);
            // Paused thumbnails are always the last ones of the page.
            assert!(a.layers[1..1 + n].iter().all(|l| *l == Some(Layer::Low)));
            assert!(a.layers[1 + n..].iter().all(|l| l.is_none()));
            last_shown = n;
        }
        assert_eq!(
            last_shown, 0,
            "every thumbnail paused while the stage stays high"
        );
        // Short of the stage's high layer, the stage steps down; what that frees goes to
        // thumbnails again, in page order.
        let a = allocate(64 + 1_000 - 1, 64, &wants);
        assert_eq!(a.layers[0], Some(Layer::Low));
        assert_eq!(shown(&a), 5);
        let a = allocate(64 + 400, 64, &wants);
        assert_eq!(a.layers[0], Some(Layer::Low));
        assert_eq!(shown(&a), 1);
        let a = allocate(64 + 100, 64, &wants);
        assert_eq!(a.layers, vec![None; 7]);
    }

    #[test]
    fn a_growing_estimate_resumes_only_with_headroom() {
        // Everything was paused on a weak link.
        let mut wants = vec![stage(None), thumbnail(None), thumbnail(None)];
        let step = |budget: u64, wants: &mut Vec<Want>| {
            let a = allocate(budget, 64, wants);
            for (want, layer) in wants.iter_mut().zip(&a.layers) {
                want.previous = *layer;
            }
            a.layers
        };
        // High needs 15 % headroom to resume: 1,150, not 1,000.
        assert_eq!(
            step(64 + 1_000, &mut wants),
            [Some(Layer::Low), Some(Layer::Low), Some(Layer::Low)]
        );
        // The stage steps up; the last thumbnail pauses for it.
        assert_eq!(
            step(64 + 1_150 + 100, &mut wants),
            [Some(Layer::High), Some(Layer::Low), None]
        );
        // 170 left for a paused thumbnail that needs 172 to resume.
        assert_eq!(
            step(64 + 1_000 + 150 + 170, &mut wants),
            [Some(Layer::High), Some(Layer::Low), None]
        );
        assert_eq!(
            step(64 + 1_000 + 150 + 173, &mut wants),
            [Some(Layer::High), Some(Layer::Low), Some(Layer::Low)]
        );
    }

    #[test]
    fn a_track_keeps_its_layer_at_the_exact_limit() {
        let wants = [stage(Some(Layer::High)), thumbnail(Some(Layer::Low))];
        let a = allocate(64 + 1_000 + 150, 64, &wants);
        assert_eq!(a.layers, [Some(Layer::High), Some(Layer::Low)]);
    }

    #[test]
    fn audio_alone_can_exceed_the_estimate() {
        let a = allocate(30, 64, &page(3));
        assert!(a.layers.iter().all(|l| l.is_none()));
        assert_eq!(a.desired_kbps, 64 + 1_000 + 3 * 150);
    }
}
