//! Fixtures shared by the unit tests: a provincial briefing and a virtual clock.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{Briefing, Now};

pub(crate) const HOST_NAME: &str = "Sở Thông tin và Truyền thông";
pub(crate) const VINH: &str = "UBND thành phố Vinh";
pub(crate) const NGHI_LOC: &str = "UBND huyện Nghi Lộc";
pub(crate) const CUA_LO: &str = "UBND thị xã Cửa Lò";

/// 2026-12-01T08:00:00+07:00, the scheduled start.
pub(crate) const START_UNIX_MS: u64 = 1_796_086_800_000;

/// The start of the briefing in virtual time; every call returns the same value.
pub(crate) fn clock() -> Now {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    #[allow(clippy::disallowed_methods)] // the epoch of virtual time
    let instant = *EPOCH.get_or_init(Instant::now);
    Now {
        instant,
        unix_ms: START_UNIX_MS,
    }
}

/// The briefing of the tests, nobody online.
pub(crate) fn briefing() -> Briefing {
    Briefing::new(HOST_NAME, [VINH, NGHI_LOC, CUA_LO].map(String::from))
}

/// The briefing of the tests with the host and `points` online and the log drained.
pub(crate) fn online(points: &[&str]) -> Briefing {
    let mut b = briefing();
    b.point_joined(HOST_NAME, clock())
        .expect("the host is invited");
    for p in points {
        b.point_joined(p, clock()).expect("test points are invited");
    }
    b.take_events();
    b
}

pub(crate) trait Later {
    fn after_secs(self, secs: u64) -> Now;
    fn after_ms(self, ms: u64) -> Now;
}

impl Later for Now {
    fn after_secs(self, secs: u64) -> Now {
        self.after(Duration::from_secs(secs))
    }

    fn after_ms(self, ms: u64) -> Now {
        self.after(Duration::from_millis(ms))
    }
}
