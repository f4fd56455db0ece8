//! Property tests: random sequences of commands, with virtual time advancing, must keep the
//! briefing's invariants after every step and never panic.

use std::collections::HashSet;
use std::time::Duration;

use proptest::prelude::*;

use crate::testing::clock;
use crate::{Briefing, BriefingError, FloorMode, Now, RollCallAnswer, Snapshot};

const HOST: &str = "Sở TT&TT";
/// The host, three bridge points and a stranger, so every command also meets unknown names.
const NAMES: [&str; 5] = [HOST, "Vinh", "Nghi Lộc", "Cửa Lò", "Xã lạ"];
const INVITED: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Join(usize),
    Leave(usize),
    Raise(usize, Option<String>),
    Lower(usize),
    Grant(usize, Option<i64>),
    Revoke,
    SetMode(FloorMode),
    Spotlight(Option<usize>),
    Remove(usize),
    Lock(bool),
    /// Advance virtual time by this many milliseconds, then handle the timeout.
    Wait(u64),
    StartRollCall,
    Answer(usize, RollCallAnswer),
    EndRollCall,
    Mute(usize, bool),
    AskUnmute(usize),
    Present(usize),
    StopPresenting(usize),
    StopPresentationByHost,
}

fn name() -> impl Strategy<Value = usize> {
    0..NAMES.len()
}

fn seconds() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        Just(None),
        (1i64..=30).prop_map(Some),
        (-5i64..=5).prop_map(Some),
        prop_oneof![Just(3600i64), Just(3601), Just(1_000_000), any::<i64>()].prop_map(Some),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_owned()),
        "[a-zđệ ]{1,12}",
        Just("ệ".repeat(max)),
        Just("ệ".repeat(max + 1)),
    ]
}

fn answer() -> impl Strategy<Value = RollCallAnswer> {
    prop_oneof![
        Just(RollCallAnswer::Present),
        text(120).prop_map(|substitute| RollCallAnswer::Substitute { substitute }),
        proptest::option::of(text(500)).prop_map(|reason| RollCallAnswer::Absent { reason }),
    ]
}

fn mode() -> impl Strategy<Value = FloorMode> {
    prop_oneof![
        Just(FloorMode::Open),
        Just(FloorMode::Directed),
        Just(FloorMode::Presentation),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => name().prop_map(Op::Join),
        2 => name().prop_map(Op::Leave),
        3 => (name(), proptest::option::of(text(200))).prop_map(|(n, t)| Op::Raise(n, t)),
        1 => name().prop_map(Op::Lower),
        3 => (name(), seconds()).prop_map(|(n, s)| Op::Grant(n, s)),
        1 => Just(Op::Revoke),
        1 => mode().prop_map(Op::SetMode),
        1 => proptest::option::of(name()).prop_map(Op::Spotlight),
        1 => name().prop_map(Op::Remove),
        1 => any::<bool>().prop_map(Op::Lock),
        3 => prop_oneof![0u64..2_000, 0u64..40_000].prop_map(Op::Wait),
        1 => Just(Op::StartRollCall),
        1 => (name(), answer()).prop_map(|(n, a)| Op::Answer(n, a)),
        1 => Just(Op::EndRollCall),
        2 => (name(), any::<bool>()).prop_map(|(n, m)| Op::Mute(n, m)),
        1 => name().prop_map(Op::AskUnmute),
        2 => name().prop_map(Op::Present),
        1 => name().prop_map(Op::StopPresenting),
        1 => Just(Op::StopPresentationByHost),
    ]
}

/// What the test itself knows of presence, kept apart from the briefing's own state so that
/// `may_send_audio` is checked against an independent account of the rule.
#[derive(Default)]
struct Model {
    online: HashSet<&'static str>,
    removed: HashSet<&'static str>,
    locked: bool,
    /// Points that were connected at some time (a lock lets them back in).
    joined_before: HashSet<&'static str>,
    /// Points the host muted (lifted by asking to unmute or by the floor).
    muted: HashSet<&'static str>,
}

impl Model {
    fn expected_join(&self, n: &'static str) -> Result<(), BriefingError> {
        if !NAMES[..INVITED].contains(&n) {
            Err(BriefingError::UnknownPoint(n.to_owned()))
        } else if self.removed.contains(n) {
            Err(BriefingError::Removed(n.to_owned()))
        } else if self.locked && n != HOST && !self.joined_before.contains(n) {
            Err(BriefingError::Locked)
        } else {
            Ok(())
        }
    }
}

fn step(b: &mut Briefing, model: &mut Model, now: &mut Now, op: Op) {
    match op {
        Op::Join(i) => {
            let n = NAMES[i];
            let got = b.point_joined(n, *now);
            assert_eq!(got, model.expected_join(n));
            if got.is_ok() {
                model.online.insert(n);
                model.joined_before.insert(n);
            }
        }
        Op::Leave(i) => {
            b.point_left(NAMES[i], *now);
            model.online.remove(NAMES[i]);
        }
        Op::Raise(i, topic) => {
            let n = NAMES[i];
            let before = b.hands().count();
            match b.raise_hand(n, topic, *now) {
                Ok(()) => {
                    assert!(b.hands().any(|h| h == n));
                    assert!(b.hands().count() <= before + 1);
                }
                Err(_) => assert_eq!(b.hands().count(), before),
            }
        }
        Op::Lower(i) => {
            let had = b.hands().any(|h| h == NAMES[i]);
            match b.lower_hand(NAMES[i]) {
                Ok(lowered) => assert_eq!(lowered, had),
                Err(e) => assert_eq!(e, BriefingError::UnknownPoint(NAMES[i].to_owned())),
            }
        }
        Op::Grant(i, seconds) => {
            let n = NAMES[i];
            let in_range = seconds.is_none_or(|s| (1..=3600).contains(&s));
            let ok = i != 0 && i < INVITED && model.online.contains(n) && in_range;
            let before = b.floor_holder().map(str::to_owned);
            let got = b.grant_floor(n, seconds, *now);
            assert_eq!(got.is_ok(), ok, "grant {n} {seconds:?}: {got:?}");
            if ok {
                model.muted.remove(n);
                assert_eq!(b.floor_holder(), Some(n));
                assert!(!b.hands().any(|h| h == n), "grant lowers the hand");
                assert_eq!(b.poll_timeout().is_some(), seconds.is_some());
            } else {
                assert_eq!(b.floor_holder(), before.as_deref());
            }
        }
        Op::Revoke => {
            let before = b.floor_holder().map(str::to_owned);
            assert_eq!(b.revoke_floor(*now), before);
            assert_eq!(b.floor_holder(), None);
        }
        Op::SetMode(mode) => b.set_mode(mode),
        Op::Spotlight(i) => {
            let n = i.map(|i| NAMES[i]);
            let ok = n.is_none_or(|n| n == HOST || model.online.contains(n));
            assert_eq!(b.set_spotlight(n).is_ok(), ok, "spotlight {n:?}");
        }
        Op::Remove(i) => {
            let n = NAMES[i];
            let ok = i != 0 && i < INVITED;
            assert_eq!(b.remove_point(n, *now).is_ok(), ok, "remove {n}");
            if ok {
                model.online.remove(n);
                model.removed.insert(n);
                assert_ne!(b.floor_holder(), Some(n));
                assert_ne!(b.spotlight(), Some(n));
            }
        }
        Op::Lock(locked) => {
            b.set_locked(locked);
            model.locked = locked;
        }
        Op::Wait(ms) => {
            let deadline = b.poll_timeout();
            *now = now.after(Duration::from_millis(ms));
            let changed = b.handle_timeout(*now);
            assert_eq!(changed, deadline.is_some_and(|d| d <= now.instant));
            assert!(b.poll_timeout().is_none_or(|d| d > now.instant));
        }
        Op::StartRollCall => b.start_roll_call(*now),
        Op::Answer(i, answer) => {
            let active = b.roll_call_active();
            let got = b.answer_roll_call(NAMES[i], answer, *now);
            if !active || i >= INVITED || NAMES[i] == HOST {
                assert!(got.is_err());
            }
        }
        Op::Mute(i, muted) => {
            let n = NAMES[i];
            let ok = i != 0 && i < INVITED;
            assert_eq!(b.set_muted_by_host(n, muted).is_ok(), ok, "mute {n}");
            if ok && muted {
                model.muted.insert(n);
            } else if ok {
                model.muted.remove(n);
            }
        }
        Op::AskUnmute(i) => {
            let n = NAMES[i];
            let ok = i < INVITED && model.online.contains(n);
            assert_eq!(b.ask_unmute(n).is_ok(), ok, "ask {n} to unmute");
            if ok {
                model.muted.remove(n);
            }
        }
        Op::Present(i) => {
            let n = NAMES[i];
            let before = b.presenter().map(str::to_owned);
            let allowed = i < INVITED
                && model.online.contains(n)
                && (n == HOST || b.floor_holder() == Some(n))
                && before.as_deref().is_none_or(|p| p == n);
            assert_eq!(
                b.start_presentation(n, *now).is_ok(),
                allowed,
                "present {n}"
            );
            if allowed {
                assert_eq!(b.presenter(), Some(n));
            } else {
                assert_eq!(b.presenter().map(str::to_owned), before);
            }
        }
        Op::StopPresenting(i) => {
            let n = NAMES[i];
            let was = b.presenter() == Some(n);
            assert_eq!(b.stop_presentation(n, *now), was);
            if was {
                assert_eq!(b.presenter(), None);
            }
        }
        Op::StopPresentationByHost => {
            let before = b.presenter().map(str::to_owned);
            assert_eq!(b.stop_presentation_by_host(*now), before);
            assert_eq!(b.presenter(), None);
        }
        Op::EndRollCall => {
            let was_started = b.snapshot(*now).roll_call.is_some();
            let answers = b.end_roll_call(*now);
            // Every bridge point has an answer or an outcome; the host is not asked.
            assert_eq!(answers.len(), if was_started { INVITED - 1 } else { 0 });
            assert!(answers.iter().all(|(p, _)| p != HOST));
            assert!(!b.roll_call_active());
        }
    }
}

fn check_invariants(b: &Briefing, model: &Model, now: Now) {
    for n in NAMES {
        assert_eq!(b.is_online(n), model.online.contains(n), "presence of {n}");
    }

    let holder = b.floor_holder();
    if let Some(h) = holder {
        assert!(model.online.contains(h), "the floor holder {h} is offline");
        assert_ne!(h, HOST, "the host never holds the floor");
    }
    if holder.is_none() {
        assert_eq!(b.poll_timeout(), None, "a deadline without a floor holder");
    }

    for n in NAMES {
        let rule = model.online.contains(n)
            && !model.removed.contains(n)
            && (n == HOST || !model.muted.contains(n))
            && (n == HOST
                || b.mode() == FloorMode::Open
                || (b.mode() == FloorMode::Directed && holder == Some(n)));
        assert_eq!(b.may_send_audio(n), rule, "may_send_audio({n})");
    }

    if let Some(p) = b.presenter() {
        assert!(model.online.contains(p), "the presenter {p} is offline");
        assert!(
            p == HOST || holder == Some(p),
            "the presenter {p} is neither the host nor the floor holder"
        );
    }

    let hands: Vec<&str> = b.hands().collect();
    let distinct: HashSet<&str> = hands.iter().copied().collect();
    assert_eq!(distinct.len(), hands.len(), "duplicate hands {hands:?}");
    for h in &hands {
        assert!(model.online.contains(h), "hand of offline {h}");
        assert!(!model.removed.contains(h), "hand of removed {h}");
        assert_ne!(*h, HOST, "hand of the host");
        assert_ne!(Some(*h), holder, "hand of the floor holder");
    }

    let stage = b.stage();
    assert_eq!(stage.first().map(String::as_str), Some(HOST));
    assert!(stage.len() <= 2);
    assert!(
        stage.len() < 2 || stage[0] != stage[1],
        "duplicate on stage"
    );
    if let Some(second) = stage.get(1) {
        assert_eq!(Some(second.as_str()), b.spotlight().or(holder));
    }
    if let Some(s) = b.spotlight() {
        assert!(
            s == HOST || model.online.contains(s),
            "spotlight on offline {s}"
        );
    }

    let snapshot = b.snapshot(now);
    let text = serde_json::to_string(&snapshot).expect("the snapshot serialises");
    let back: Snapshot = serde_json::from_str(&text).expect("and reads back");
    assert_eq!(back, snapshot);
    assert_eq!(snapshot.points.len(), INVITED);
    for p in &snapshot.points {
        assert_eq!(p.may_speak, b.may_send_audio(&p.name));
        assert_eq!(p.online, model.online.contains(p.name.as_str()));
    }
    if let Some(floor) = &snapshot.floor {
        assert!(floor.remaining_ms.is_none_or(|ms| ms <= 3_600_000));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_commands_keep_the_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let mut b = Briefing::new(HOST, NAMES[1..INVITED].iter().map(|n| n.to_string()));
        let mut model = Model::default();
        let mut now = clock();
        for op in ops {
            step(&mut b, &mut model, &mut now, op);
            check_invariants(&b, &model, now);
        }
        // The log pairs every grant with one end.
        let mut holder: Option<String> = None;
        for event in b.take_events() {
            match event {
                crate::BriefingEvent::FloorGranted { point, .. } => {
                    prop_assert_eq!(holder.take(), None);
                    holder = Some(point);
                }
                crate::BriefingEvent::FloorEnded { point, .. } => {
                    prop_assert_eq!(holder.take(), Some(point));
                }
                _ => {}
            }
        }
        prop_assert_eq!(holder.as_deref(), b.floor_holder());
    }

    #[test]
    fn every_presentation_start_has_one_end(ops in proptest::collection::vec(op(), 1..80)) {
        let mut b = Briefing::new(HOST, NAMES[1..INVITED].iter().map(|n| n.to_string()));
        let mut model = Model::default();
        let mut now = clock();
        for op in ops {
            step(&mut b, &mut model, &mut now, op);
        }
        let mut presenter: Option<String> = None;
        for event in b.take_events() {
            match event {
                crate::BriefingEvent::PresentationStarted { point, .. } => {
                    prop_assert_eq!(presenter.take(), None);
                    presenter = Some(point);
                }
                crate::BriefingEvent::PresentationEnded { point, .. } => {
                    prop_assert_eq!(presenter.take(), Some(point));
                }
                _ => {}
            }
        }
        prop_assert_eq!(presenter.as_deref(), b.presenter());
    }
}
