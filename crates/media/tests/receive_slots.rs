//! Receive slots in simulation: negotiated once, fed by the points the SFU picks, labelled by
//! the frames that actually arrive.

mod sim;

use std::collections::HashSet;
use std::time::Duration;

use giaoban_media::{RoomPolicy, SlotCounts};
use giaoban_model::{BriefingId, TrackKind};
use sim::Sim;

fn room() -> BriefingId {
    BriefingId("b1".into())
}

/// Sets who may be heard (`None`: everybody) and who is on the stage in the room.
fn set_policy(sim: &mut Sim, speakers: Option<&[&str]>, stage: &[&str]) {
    let now = sim.now;
    sim.sfu.set_room_policy(
        now,
        &room(),
        RoomPolicy {
            speakers: speakers.map(|s| s.iter().map(|p| p.to_string()).collect()),
            stage: stage.iter().map(|p| p.to_string()).collect(),
            presentation: None,
            record: false,
        },
    );
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// Whether `me` received at least `min` video frames from each of `others`.
fn sees(sim: &Sim, me: &str, others: &[String], min: u64) -> bool {
    let c = sim.client(me);
    others
        .iter()
        .filter(|o| *o != me)
        .all(|o| c.frames_from(o, TrackKind::Video) >= min)
}

fn assert_no_mislabel(sim: &Sim) {
    for c in &sim.clients {
        assert_eq!(
            c.mislabelled, 0,
            "{} showed a frame under another point's name",
            c.name
        );
        assert_eq!(
            c.unlabelled, 0,
            "{} got frames of an undescribed slot",
            c.name
        );
    }
}

#[test]
fn slots_are_negotiated_once_while_points_join_and_leave() {
    let mut sim = Sim::new(21);
    let first = names("p", 3);
    for n in &first {
        sim.join("b1", n);
    }
    assert!(sim.run_until(Duration::from_secs(10), |s| {
        first.iter().all(|me| sees(s, me, &first, 10))
    }));
    let all = names("p", 6);
    for n in &all[3..] {
        sim.join("b1", n);
    }
    let ok = sim.run_until(Duration::from_secs(10), |s| {
        all.iter().all(|me| sees(s, me, &all, 10))
    });
    assert!(
        ok,
        "not every point saw every other after three more joined"
    );
    let leaver = sim.clients.iter().position(|c| c.name == "p2").unwrap();
    sim.leave(leaver);
    sim.run(Duration::from_secs(1));
    for c in &sim.clients {
        assert_eq!(
            c.offers, 1,
            "{} got more than the one offer that opens its slots",
            c.name
        );
        assert_eq!(c.slots.len(), 2 + 1 + 6 + 4);
        assert!(!c.carried().contains(&"p2".to_string()));
        assert!(!c.carried_of(TrackKind::Audio).contains(&"p2".to_string()));
    }
    assert_no_mislabel(&sim);
}

#[test]
fn the_host_pages_through_more_points_than_its_page_holds() {
    let mut sim = Sim::new(22);
    sim.join_with("b1", "host", SlotCounts::with_page(4));
    let points = names("p", 10);
    for n in &points {
        sim.join("b1", n);
        // Thumbnail-sized pictures: four of them fit the host's link.
        sim.clients.last_mut().unwrap().video_bytes = 600;
    }
    let host = sim.client("host").peer;
    for page in points.chunks(4) {
        sim.sfu.set_view(sim.now, host, Some(page.to_vec()));
        sim.run(Duration::from_millis(100));
        let ok = sim.run_until(Duration::from_secs(3), |s| {
            let mut shown: Vec<String> = s.client("host").carried();
            let mut page = page.to_vec();
            shown.sort();
            page.sort();
            shown == page
        });
        assert!(ok, "the host's slots do not carry the page {page:?}");
        let before: Vec<u64> = points
            .iter()
            .map(|p| sim.client("host").frames_from(p, TrackKind::Video))
            .collect();
        sim.run(Duration::from_secs(1));
        for (p, before) in points.iter().zip(before) {
            let got = sim.client("host").frames_from(p, TrackKind::Video) - before;
            if page.contains(p) {
                assert!(got >= 20, "{p} is on the page but sent {got} frames in 1 s");
            } else {
                assert_eq!(got, 0, "{p} is not on the page but its video arrives");
            }
        }
    }
    assert_no_mislabel(&sim);
    assert!(sim.sfu.counters().slot_switches >= 10);
}

#[test]
fn a_floor_change_switches_the_stage_slot_within_a_second() {
    let mut sim = Sim::new(23);
    for n in ["host", "a", "b", "c"] {
        sim.join_simulcast("b1", n, SlotCounts::with_page(0));
    }
    set_policy(&mut sim, None, &["host", "a"]);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.client("c").frames_from("a", TrackKind::Video) > 10
    }));
    set_policy(&mut sim, None, &["host", "b"]);
    let switched = sim.now;
    let ok = sim.run_until(Duration::from_secs(1), |s| {
        s.client("c").frames_from("b", TrackKind::Video) > 0
    });
    assert!(ok, "the stage slot did not switch to b within 1 s");
    eprintln!("stage switched in {:?}", sim.now - switched);
    let a = sim.client("c").frames_from("a", TrackKind::Video);
    sim.run(Duration::from_secs(1));
    assert_eq!(
        sim.client("c").frames_from("a", TrackKind::Video),
        a,
        "a still arrives"
    );
    // With a page of no slots, only the stage is seen, at the high layer.
    let c = sim.client("c");
    assert!(c.layers_received.get(&b'h').copied().unwrap_or(0) > 30);
    assert_eq!(c.layers_received.get(&b'l').copied().unwrap_or(0), 0);
    assert_eq!(c.frames_from("c", TrackKind::Video), 0);
    assert_no_mislabel(&sim);
}

#[test]
fn thumbnails_take_the_low_layer_and_the_stage_the_high_one() {
    let mut sim = Sim::new(24);
    for n in ["host", "a", "b"] {
        sim.join_simulcast("b1", n, SlotCounts::with_page(6));
    }
    set_policy(&mut sim, None, &["host"]);
    sim.run(Duration::from_secs(3));
    let before = sim.client("a").layers_received.clone();
    sim.run(Duration::from_secs(2));
    let a = sim.client("a");
    let delta = |l: u8| a.layers_received.get(&l).unwrap_or(&0) - before.get(&l).unwrap_or(&0);
    // a sees the host on stage (high) and b as a thumbnail (low): about 30 frames a second each.
    assert!(delta(b'h') > 40, "high layer frames: {}", delta(b'h'));
    assert!(delta(b'l') > 40, "low layer frames: {}", delta(b'l'));
    assert!(
        a.frames_from("host", TrackKind::Video) > 0 && a.frames_from("b", TrackKind::Video) > 0
    );
    assert_no_mislabel(&sim);
}

#[test]
fn the_loudest_voices_fill_the_audio_slots_in_open_mode() {
    let mut sim = Sim::new(25);
    let points = names("p", 8);
    sim.join("b1", "host");
    for n in &points {
        sim.join("b1", n);
    }
    // Two points speak; the others are silent. The host is pinned by the stage.
    for c in &mut sim.clients {
        c.audio_level = Some(match c.name.as_str() {
            "p3" => 20,
            "p6" => 25,
            "host" => 127,
            _ => 127,
        });
    }
    set_policy(&mut sim, None, &["host"]);
    sim.run(Duration::from_secs(3));
    let heard = |s: &Sim, me: &str| -> HashSet<String> {
        let c = s.client(me);
        s.clients
            .iter()
            .map(|o| o.name.clone())
            .filter(|o| c.frames_from(o, TrackKind::Audio) > 0)
            .collect()
    };
    for c in &mut sim.clients {
        c.received.clear();
    }
    sim.run(Duration::from_secs(2));
    let at_p1 = heard(&sim, "p1");
    let expected: HashSet<String> = ["host", "p3", "p6"].iter().map(|s| s.to_string()).collect();
    assert_eq!(at_p1, expected, "p1 hears the host and the two speakers");
    // The speaker does not hear itself; it hears the other one.
    let at_p3 = heard(&sim, "p3");
    assert!(at_p3.contains("p6") && !at_p3.contains("p3"));
    // A third voice, clearly louder, joins without pushing out the others (four slots).
    sim.clients
        .iter_mut()
        .find(|c| c.name == "p8")
        .unwrap()
        .audio_level = Some(10);
    sim.run(Duration::from_secs(1));
    for c in &mut sim.clients {
        c.received.clear();
    }
    sim.run(Duration::from_secs(2));
    let at_p1 = heard(&sim, "p1");
    assert!(at_p1.contains("p8") && at_p1.contains("p3") && at_p1.contains("p6"));
    assert!(at_p1.len() <= 4, "more voices than audio slots: {at_p1:?}");
    assert_no_mislabel(&sim);
}

#[test]
fn a_view_of_unknown_points_or_beyond_the_page_is_cut_to_what_exists() {
    let mut sim = Sim::new(26);
    sim.join_with("b1", "host", SlotCounts::with_page(2));
    for n in ["a", "b", "c"] {
        sim.join("b1", n);
    }
    let host = sim.client("host").peer;
    let view = ["nobody", "c", "x", "a", "b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    sim.sfu.set_view(sim.now, host, Some(view));
    sim.run(Duration::from_secs(2));
    let mut carried = sim.client("host").carried();
    carried.sort();
    assert_eq!(
        carried,
        ["a", "c"],
        "the first two known points of the view"
    );
    // The other points are not disturbed.
    assert!(sees(&sim, "a", &["b".to_string(), "c".to_string()], 10));
    assert_no_mislabel(&sim);
}

#[test]
fn the_stage_takes_the_low_layer_while_the_high_one_does_not_flow() {
    let mut sim = Sim::new(27);
    for n in ["host", "a"] {
        sim.join_simulcast("b1", n, SlotCounts::with_page(0));
    }
    set_policy(&mut sim, None, &["host"]);
    sim.run(Duration::from_secs(2));
    assert!(
        sim.client("a")
            .layers_received
            .get(&b'h')
            .copied()
            .unwrap_or(0)
            > 20
    );
    // The host's uplink gets short: its browser drops the top layer.
    sim.clients
        .iter_mut()
        .find(|c| c.name == "host")
        .unwrap()
        .layers = vec!["l".into()];
    sim.run(Duration::from_secs(2));
    let low = sim
        .client("a")
        .layers_received
        .get(&b'l')
        .copied()
        .unwrap_or(0);
    sim.run(Duration::from_secs(1));
    let a = sim.client("a");
    assert!(
        a.layers_received.get(&b'l').copied().unwrap_or(0) > low + 20,
        "the stage did not fall back to the low layer"
    );
    assert_no_mislabel(&sim);
}

#[test]
fn each_publisher_is_told_what_of_its_media_anybody_receives() {
    let mut sim = Sim::new(28);
    for n in ["host", "a", "b", "c"] {
        sim.join_simulcast("b1", n, SlotCounts::with_page(1));
    }
    set_policy(&mut sim, Some(&["host"]), &["host"]);
    // Every point shows a page of one: whoever it lists first.
    for (me, shows) in [("host", "a"), ("a", "b"), ("b", "a"), ("c", "a")] {
        let peer = sim.client(me).peer;
        sim.sfu.set_view(sim.now, peer, Some(vec![shows.into()]));
    }
    sim.run(Duration::from_secs(1));
    let wanted = |s: &Sim, n: &str| s.client(n).wanted.clone().expect("told");
    let host = wanted(&sim, "host");
    assert!(host.video && host.audio);
    assert_eq!(host.layers, ["h", "l"], "on stage: both layers");
    let a = wanted(&sim, "a");
    assert!(
        a.video && !a.audio,
        "a is a thumbnail without the right to speak"
    );
    assert_eq!(a.layers, ["l"]);
    let c = wanted(&sim, "c");
    assert!(!c.video && c.layers.is_empty(), "nobody displays c");
    // The floor goes to c: it is on stage and heard.
    set_policy(&mut sim, Some(&["host", "c"]), &["host", "c"]);
    sim.run(Duration::from_millis(100));
    let c = wanted(&sim, "c");
    assert!(c.video && c.audio);
    assert_eq!(c.layers, ["h", "l"]);
}

#[test]
fn the_presenters_screen_fills_every_other_presentation_slot_and_only_those() {
    let mut sim = Sim::new(29);
    sim.join_presenter("b1", "host");
    sim.join_presenter("b1", "p1");
    sim.join("b1", "p2");
    sim.join("b1", "p3");
    let present = |sim: &mut Sim, who: Option<&str>| {
        let now = sim.now;
        sim.sfu.set_room_policy(
            now,
            &room(),
            RoomPolicy {
                speakers: None,
                stage: vec!["host".into(), "p1".into()],
                presentation: who.map(str::to_owned),
                record: false,
            },
        );
    };
    present(&mut sim, Some("p1"));
    sim.client_mut("p1").presenting = true;
    let others = ["host", "p2", "p3"];
    let shown = sim.run_until(Duration::from_secs(10), |s| {
        others
            .iter()
            .all(|o| s.client(o).screens_received.get("p1").copied().unwrap_or(0) >= 30)
    });
    assert!(shown, "every other point receives p1's screen");
    assert!(
        sim.client("p1").screens_received.is_empty(),
        "the presenter is not sent its own screen"
    );
    for o in others {
        assert!(
            sim.client(o).frames_from("p1", TrackKind::Video) > 30,
            "{o} still sees p1's camera on the stage"
        );
    }

    // The presentation ends: the slots go empty and say so.
    present(&mut sim, None);
    sim.run(Duration::from_secs(1));
    let before: Vec<u64> = others
        .iter()
        .map(|o| sim.client(o).screens_received["p1"])
        .collect();
    sim.run(Duration::from_secs(2));
    for (o, n) in others.iter().zip(before) {
        assert_eq!(
            sim.client(o).screens_received["p1"],
            n,
            "{o} still receives a screen after the presentation ended"
        );
        let c = sim.client(o);
        let slot = c
            .slots
            .iter()
            .find(|(_, (role, _))| *role == giaoban_model::SlotRole::Presentation)
            .map(|(mid, _)| *mid)
            .expect("a presentation slot");
        assert_eq!(
            c.feeds[&slot].last().map(|(_, p)| p.clone()),
            Some(None),
            "{o} was told its presentation slot is empty"
        );
    }

    // The host presents next, in the same slots.
    sim.client_mut("p1").presenting = false;
    sim.client_mut("host").presenting = true;
    present(&mut sim, Some("host"));
    let shown = sim.run_until(Duration::from_secs(10), |s| {
        ["p1", "p2", "p3"].iter().all(|o| {
            s.client(o)
                .screens_received
                .get("host")
                .copied()
                .unwrap_or(0)
                >= 30
        })
    });
    assert!(shown, "every point receives the host's screen");
    for c in &sim.clients {
        assert_eq!(
            c.crossed, 0,
            "{} got a frame in a slot of the wrong role",
            c.name
        );
    }
    assert_no_mislabel(&sim);
}

#[test]
fn a_point_that_never_answers_its_offer_costs_only_itself() {
    let mut sim = Sim::new(31);
    sim.join("b", "a");
    sim.join("b", "b");
    // "stuck" takes the server's offer of its receive slots and never answers it.
    sim.unanswered.insert("stuck".into());
    sim.join("b", "stuck");
    sim.join("b", "d");
    let everyone: Vec<String> = ["a", "b", "stuck", "d"].map(String::from).to_vec();
    let answered: Vec<String> = ["a", "b", "d"].map(String::from).to_vec();
    let ok = sim.run_until(Duration::from_secs(10), |s| {
        answered.iter().all(|me| sees(s, me, &everyone, 10))
    });
    assert!(
        ok,
        "the points that answered see everyone, the stuck one included"
    );
    let stuck = sim.client("stuck");
    assert_eq!(
        stuck.offers, 1,
        "the stuck point was offered its slots once"
    );
    assert!(
        stuck.received.is_empty(),
        "without an answer it receives nothing: {:?}",
        stuck.received
    );
    // A later join still reaches everyone who answered.
    sim.join("b", "e");
    let with_e: Vec<String> = ["a", "b", "d", "e"].map(String::from).to_vec();
    let ok = sim.run_until(Duration::from_secs(10), |s| {
        with_e.iter().all(|me| sees(s, me, &with_e, 10))
    });
    assert!(ok, "a join after the stuck point is seen and sees");
    assert_no_mislabel(&sim);
}

#[test]
fn a_short_link_pauses_thumbnails_and_they_come_back() {
    let mut sim = Sim::new(29);
    sim.join_with("b1", "host", SlotCounts::with_page(8));
    let points = names("p", 8);
    for n in &points {
        sim.join("b1", n);
    }
    sim.run(Duration::from_secs(3));
    assert!(
        sim.client("host").paused.is_empty(),
        "paused on a good link"
    );
    // The host's link loses a third of what is sent: its estimate falls.
    sim.loss = 0.3;
    let ok = sim.run_until(Duration::from_secs(20), |s| {
        !s.client("host").paused.is_empty()
    });
    let kbps = sim
        .sfu
        .quality(sim.now)
        .iter()
        .find(|q| q.label == "host")
        .map(|q| q.kbps_out);
    assert!(
        ok,
        "no thumbnail paused on a lossy link (host egress {kbps:?} kbit/s)"
    );
    // Paused slots name their point and carry no frames.
    let paused: Vec<String> = sim.client("host").paused.values().cloned().collect();
    assert!(paused.iter().all(|p| points.contains(p)));
    // A paused point that leaves is no longer shown as paused: its slot is told empty or
    // given to another point.
    let gone = paused[0].clone();
    let index = sim
        .clients
        .iter()
        .position(|c| c.name == gone)
        .expect("the paused point");
    sim.leave(index);
    sim.run(Duration::from_secs(1));
    assert!(
        !sim.client("host").paused.values().any(|p| *p == gone),
        "{gone} left but its tile still says paused: {:?}",
        sim.client("host").paused
    );
    sim.loss = 0.0;
    let ok = sim.run_until(Duration::from_secs(60), |s| {
        s.client("host").paused.is_empty()
    });
    assert!(
        ok,
        "thumbnails did not come back: {:?}",
        sim.client("host").paused
    );
    assert_no_mislabel(&sim);
}

#[test]
fn a_link_that_cannot_keep_up_gets_a_late_picture_dropped_not_queued() {
    let mut sim = Sim::new(31);
    let publisher = sim.join("b1", "p1");
    // About 9.6 Mbit/s of video: more than the subscriber's paced link sends.
    sim.clients[publisher].video_bytes = 40_000;
    sim.join("b1", "s1");
    sim.run(Duration::from_secs(12));
    let resyncs = sim.sfu.counters().egress_resyncs;
    let frames = |sim: &Sim| {
        sim.client("s1")
            .received
            .get(&("p1".to_string(), TrackKind::Video))
            .copied()
            .unwrap_or(0)
    };
    let before = frames(&sim);
    assert!(before > 0, "nothing reached the subscriber");
    // The publisher stops: what still arrives afterwards was waiting in the queue.
    sim.clients[publisher].publishing = false;
    let mut last_new = Duration::ZERO;
    let mut seen = before;
    for ms in 1..=4_000u64 {
        sim.run(Duration::from_millis(1));
        let now_seen = frames(&sim);
        if now_seen > seen {
            seen = now_seen;
            last_new = Duration::from_millis(ms);
        }
    }
    assert!(resyncs > 0, "the guard never acted: the queue was let grow");
    assert!(
        last_new <= Duration::from_millis(1_300),
        "frames kept arriving {last_new:?} after the publisher stopped: \
         the queue held more than the limit ({resyncs} resyncs, {before} frames before)"
    );
}
