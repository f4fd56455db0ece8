//! Scenarios: who joins, who publishes, what each point displays and how the host directs.
//!
//! - `briefing`: the host and N bridge points, directed mode. Everyone receives the stage
//!   (the host and the floor holder, high layer); the host's grid shows a page of thumbnails
//!   (low layer); bridge points show `point_page` thumbnails (none by default). Each point
//!   asks giaoban for as many page slots as its page shows. The host gives the floor to the
//!   next bridge point every `floor_every`.
//! - `meeting`: N points in all, the host among them, open mode: everyone heard, everyone's
//!   grid shows a page of the others.
//! - `fanout`: the host publishes, N bridge points only receive it.
//! - `join-storm`: signalling only, no media: N points in all, the host first, say `hello`
//!   spread over a few seconds and then only read (see `storm.rs`). It has no [`Plan`].

use std::time::Duration;

use clap::ValueEnum;
use giaoban_model::Role;
use serde::Serialize;

use crate::error::LoadgenError;
use crate::links::Invitation;
use crate::point::PointSpec;
use crate::target::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    Briefing,
    Meeting,
    Fanout,
    JoinStorm,
}

/// Display choices of a scenario.
#[derive(Debug, Clone, Copy)]
pub struct Pages {
    /// Thumbnails the host's grid shows (and everyone's in `meeting`).
    pub page: usize,
    /// Thumbnails a bridge point's grid shows in `briefing`.
    pub point_page: usize,
}

/// A scenario laid out over a briefing's invitations.
#[derive(Debug, Clone)]
pub struct Plan {
    pub host: PointSpec,
    /// Bridge points in join order.
    pub points: Vec<PointSpec>,
    pub mode: Mode,
    /// Give the floor to the next bridge point this often (directed mode).
    pub floor_every: Option<Duration>,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Briefing => "briefing",
            Scenario::Meeting => "meeting",
            Scenario::Fanout => "fanout",
            Scenario::JoinStorm => "join-storm",
        }
    }

    /// Bridge points (invited points besides the host) a run with `n` needs.
    pub fn bridge_points(self, n: usize) -> usize {
        match self {
            Scenario::Briefing | Scenario::Fanout => n,
            // The host is one of the n points.
            Scenario::Meeting | Scenario::JoinStorm => n.saturating_sub(1),
        }
    }

    /// Lays the scenario out for up to `n` (the run's largest size) over `invitations`.
    pub fn plan(
        self,
        invitations: &[Invitation],
        n: usize,
        pages: Pages,
        floor_every: Duration,
    ) -> Result<Plan, LoadgenError> {
        if self == Scenario::JoinStorm {
            return Err(LoadgenError::Setup(
                "the join storm has no media plan; it runs apart (storm.rs)".into(),
            ));
        }
        let host = invitations
            .iter()
            .find(|i| i.role == Role::Host)
            .ok_or_else(|| {
                LoadgenError::Setup(
                    "no host link: the scenarios need the briefing's host link".into(),
                )
            })?;
        let bridge: Vec<&Invitation> = invitations
            .iter()
            .filter(|i| i.role == Role::Point)
            .collect();
        let need = self.bridge_points(n);
        if bridge.len() < need {
            return Err(LoadgenError::NotEnoughLinks {
                have: bridge.len(),
                need,
            });
        }
        let (host_page, point_page, points_publish) = match self {
            Scenario::Briefing => (pages.page, pages.point_page, true),
            Scenario::Meeting => (pages.page, pages.page, true),
            Scenario::Fanout | Scenario::JoinStorm => (0, 0, false),
        };
        let spec = |index: usize, invitation: &Invitation, page: usize, publish: bool| PointSpec {
            index,
            invitation: invitation.clone(),
            publish,
            page,
            phase: phase(index),
        };
        Ok(Plan {
            host: spec(0, host, host_page, true),
            points: bridge
                .into_iter()
                .take(need)
                .enumerate()
                .map(|(i, inv)| spec(i + 1, inv, point_page, points_publish))
                .collect(),
            mode: match self {
                Scenario::Briefing => Mode::Directed,
                Scenario::Meeting => Mode::Open,
                Scenario::Fanout | Scenario::JoinStorm => Mode::Presentation,
            },
            floor_every: (self == Scenario::Briefing).then_some(floor_every),
        })
    }
}

/// Spreads the publishers' first frames over one audio interval (20 ms), so that their
/// packets interleave as independent senders' would.
fn phase(index: usize) -> Duration {
    // Multiplicative hashing by the golden ratio spreads consecutive indices evenly.
    let spread = (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 44; // 0..2^20 µs
    Duration::from_micros(spread % 20_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::Link;

    fn invitations(points: usize) -> Vec<Invitation> {
        let link = |t: &str| Link::parse(&format!("http://127.0.0.1:8080/j/{t}")).unwrap();
        let mut all = vec![Invitation {
            point: "Sở TT&TT".into(),
            role: Role::Host,
            link: link("h"),
        }];
        all.extend((1..=points).map(|i| Invitation {
            point: format!("Điểm cầu {i}"),
            role: Role::Point,
            link: link(&format!("p{i}")),
        }));
        all
    }

    const PAGES: Pages = Pages {
        page: 25,
        point_page: 0,
    };

    #[test]
    fn briefing_gives_the_host_a_page_and_rotates_the_floor() {
        let plan = Scenario::Briefing
            .plan(&invitations(30), 30, PAGES, Duration::from_secs(10))
            .unwrap();
        assert_eq!(plan.points.len(), 30);
        assert_eq!(plan.host.page, 25);
        assert!(plan.points.iter().all(|p| p.page == 0 && p.publish));
        assert_eq!(plan.mode, Mode::Directed);
        assert_eq!(plan.floor_every, Some(Duration::from_secs(10)));
    }

    #[test]
    fn meeting_counts_the_host_among_its_points() {
        let plan = Scenario::Meeting
            .plan(&invitations(9), 10, PAGES, Duration::from_secs(10))
            .unwrap();
        assert_eq!(plan.points.len(), 9);
        assert!(plan.points.iter().all(|p| p.page == 25));
        assert_eq!(plan.mode, Mode::Open);
    }

    #[test]
    fn fanout_subscribers_do_not_publish() {
        let plan = Scenario::Fanout
            .plan(&invitations(5), 5, PAGES, Duration::from_secs(10))
            .unwrap();
        assert!(plan.host.publish);
        assert!(plan.points.iter().all(|p| !p.publish));
    }

    #[test]
    fn too_few_links_is_a_full_briefing() {
        let err = Scenario::Briefing
            .plan(&invitations(3), 5, PAGES, Duration::from_secs(10))
            .unwrap_err();
        assert!(matches!(
            err,
            LoadgenError::NotEnoughLinks { have: 3, need: 5 }
        ));
    }

    #[test]
    fn phases_stay_within_one_audio_interval() {
        let phases: Vec<Duration> = (0..100).map(phase).collect();
        assert!(phases.iter().all(|p| *p < Duration::from_millis(20)));
        assert!(phases.windows(2).all(|w| w[0] != w[1]));
    }
}
