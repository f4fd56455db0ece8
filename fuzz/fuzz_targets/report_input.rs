//! Report and indicator input as the store receives it from `PUT .../indicators` (the host's
//! indicator set) and `PUT .../reports/{point}` (a unit's report or draft): JSON of
//!
//! ```json
//! {"set": [{"name", "measure", "aggregate", "plans": {"unit code": "1 130,5"}}],
//!  "reports": [{"point": 0, "narrative", "draft", "indicators": [{"name", "measure", "value", "plan"}]}]}
//! ```
//!
//! Each part is stored or refused with an error, never a panic; what is stored reads back
//! with finite values within the store's bound, and the dashboard of the briefing is computed
//! with finite figures.
#![no_main]

use std::sync::Mutex;

use giaoban_model::BriefingId;
use giaoban_store::{
    MAX_INDICATOR_MAGNITUDE, NewBriefing, NewIndicator, NewIndicatorDefinition, Point, Store,
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    #[serde(default)]
    set: Option<Vec<NewIndicatorDefinition>>,
    #[serde(default)]
    reports: Vec<ReportInput>,
}

#[derive(Deserialize)]
struct ReportInput {
    #[serde(default)]
    point: usize,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    indicators: Vec<NewIndicator>,
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    briefing: BriefingId,
    points: Vec<Point>,
}

static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path()).expect("a store");
    store
        .import_units_csv("code,name,parent_code,email\nSO,Sở,,\nX01,Xã Một,SO,\nX02,Xã Hai,SO,\n")
        .expect("the units");
    let briefing = store
        .create_briefing(&NewBriefing {
            title: "Giao ban".into(),
            scheduled_start: Some("2099-06-30 08:00".into()),
            report_deadline: Some("2099-06-29 17:00".into()),
            host_unit: Some("SO".into()),
            points: vec!["Phường Ba".into()],
            units: vec!["X01".into(), "X02".into()],
            ..NewBriefing::default()
        })
        .expect("a briefing");
    let points = store.points(&briefing.id).expect("its points");
    Fixture {
        _dir: dir,
        store,
        briefing: briefing.id,
        points,
    }
}

fn finite(value: f64) -> bool {
    value.is_finite()
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Input>(data) else {
        return;
    };
    let mut guard = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    let f = guard.get_or_insert_with(fixture);
    if let Some(set) = &input.set
        && let Ok(stored) = f.store.set_indicator_set(&f.briefing, set)
    {
        assert_eq!(stored.len(), set.len());
        for d in &stored {
            assert!(
                d.plans
                    .values()
                    .all(|p| *p > 0.0 && *p <= MAX_INDICATOR_MAGNITUDE)
            );
        }
    }
    for r in input.reports.iter().take(4) {
        let point = &f.points[r.point % f.points.len()];
        let filed = if r.draft {
            f.store
                .save_report_draft(point, &r.narrative, &r.indicators)
        } else {
            f.store.submit_report(point, &r.narrative, &r.indicators)
        };
        if let Ok(report) = filed {
            assert_eq!(report.indicators.len(), r.indicators.len());
            for i in &report.indicators {
                assert!(i.value.abs() <= MAX_INDICATOR_MAGNITUDE, "{}", i.value);
                assert!(
                    i.plan
                        .is_none_or(|p| p > 0.0 && p <= MAX_INDICATOR_MAGNITUDE)
                );
                assert!(i.percent_of_plan.is_none_or(finite));
            }
            let back = f
                .store
                .report(&point.id)
                .expect("the store reads the report");
            assert_eq!(back.as_ref(), Some(&report));
        }
    }
    let dashboard = f
        .store
        .dashboard(&f.briefing)
        .expect("the dashboard is computed");
    for row in &dashboard.indicators {
        assert!(finite(row.total_value), "{}: {}", row.name, row.total_value);
        assert!(row.total_plan.is_none_or(finite));
        assert!(row.percent_of_plan.is_none_or(finite));
    }
    f.store
        .indicator_set(&f.briefing)
        .expect("the store reads the set");
});
