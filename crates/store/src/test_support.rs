//! Helpers shared by the tests of several modules.

use giaoban_model::BriefingId;
use tempfile::TempDir;

use crate::{Briefing, NewAgendaItem, NewBriefing, Point, RollCallRecord, Store, StoreError};

/// A store in a fresh temporary directory, which lives as long as the returned `TempDir`.
pub(crate) fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = Store::open(dir.path()).expect("open a store in a fresh directory");
    (dir, store)
}

/// A briefing request starting at a fixed time.
pub(crate) fn new_briefing(title: &str, host: &str, points: &[&str]) -> NewBriefing {
    NewBriefing {
        title: title.into(),
        scheduled_start: Some("2026-12-01T08:00:00+07:00".into()),
        host: host.into(),
        points: points.iter().map(|&p| p.into()).collect(),
        ..NewBriefing::default()
    }
}

/// 2026-12-01T01:00:00Z, 08:00 in Vietnam: the start of [`new_briefing`]'s briefings.
pub(crate) const T0: u64 = 1_796_086_800_000;

/// A briefing chaired by "Sở TT&TT" with `points`, and its points, the host first.
pub(crate) fn briefing_with(store: &Store, points: &[&str]) -> (Briefing, Vec<Point>) {
    let briefing = store
        .create_briefing(&new_briefing("Giao ban", "Sở TT&TT", points))
        .unwrap();
    let points = store.points(&briefing.id).unwrap();
    (briefing, points)
}

/// The English message of a [`StoreError::Invalid`]; panics on anything else.
pub(crate) fn invalid<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(problem)) => problem.to_string(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The problem of a [`StoreError::Invalid`]; panics on anything else.
pub(crate) fn problem<T: std::fmt::Debug>(result: Result<T, StoreError>) -> giaoban_model::Problem {
    match result {
        Err(StoreError::Invalid(problem)) => problem,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Whether the result is [`StoreError::NotFound`].
pub(crate) fn is_not_found<T>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound(_)))
}

/// Sets the agenda of `briefing` to one item titled `title` and returns its id.
pub(crate) fn agenda_item(store: &Store, briefing: &BriefingId, title: &str) -> i64 {
    let items = [NewAgendaItem {
        title: title.into(),
        ..NewAgendaItem::default()
    }];
    store.set_agenda(briefing, &items).unwrap()[0].id
}

/// The six-month ICT briefing's units in Nghệ An, children deliberately listed before
/// their parents.
pub(crate) const NGHE_AN: &str = "\u{feff}code,name,parent_code,email\r\n\
    SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,stttt@nghean.gov.vn\r\n\
    UBND-CUALO,UBND thị xã Cửa Lò,TINH-NA,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\r\n\
    UBND-NGHILOC,UBND huyện Nghi Lộc,TINH-NA,ubnd.nghiloc@nghean.gov.vn\r\n\
    UBND-VINH,UBND thành phố Vinh,TINH-NA,ubnd@vinh.nghean.gov.vn\r\n\
    P-NGHITHUY,UBND phường Nghi Thủy,UBND-CUALO,nghithuy.cualo@nghean.gov.vn\r\n\
    P-NGHIHOA,UBND phường Nghi Hòa,UBND-CUALO,\r\n\
    X-NGHITHIET,UBND xã Nghi Thiết,UBND-NGHILOC,nghithiet.nghiloc@nghean.gov.vn\r\n\
    P-HUNGBINH,UBND phường Hưng Bình,UBND-VINH,hungbinh.vinh@nghean.gov.vn\r\n\
    TINH-NA,\"UBND tỉnh Nghệ An\",,\"vpubnd@nghean.gov.vn; ubnd@nghean.gov.vn\"\r\n";

/// A roll-call answer as the store records it.
pub(crate) fn answer(
    status: &str,
    substitute: Option<&str>,
    reason: Option<&str>,
) -> RollCallRecord {
    RollCallRecord {
        status: status.into(),
        substitute: substitute.map(Into::into),
        reason: reason.map(Into::into),
    }
}
