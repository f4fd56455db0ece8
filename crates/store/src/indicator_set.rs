//! The host's set of indicators for a briefing's period: what every unit reports, in which
//! unit of measure, whether the province's figure is their sum or their mean, and each unit's
//! plan.
//!
//! Units fill values for these indicators (and may add their own). A unit's value for an
//! indicator of the set takes the host's plan for that unit when the unit gives none, and the
//! dashboard lists the set's indicators first, in the set's order, combined as the set says
//! rather than guessed from the measure. The set of the previous briefing of the series can be
//! read to start from it.

use std::collections::{BTreeMap, HashMap, HashSet};

use giaoban_model::{BriefingId, Field, FieldPath, Problem, ProblemCode};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::direction::ensure_briefing;
use crate::reports::{
    Aggregate, MAX_INDICATOR_NAME_CHARS, MAX_INDICATORS, MAX_MEASURE_CHARS, number_problem,
    parse_number, same_indicator,
};
use crate::{Store, StoreError, schedule};

/// One indicator of the host's set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDefinition {
    pub name: String,
    pub measure: String,
    /// How the units' values make the province's figure.
    pub aggregate: Aggregate,
    /// The plan of each unit, by unit code; units without one have no plan.
    pub plans: BTreeMap<String, f64>,
}

/// One indicator of the set as the host typed it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIndicatorDefinition {
    /// 1 to [`MAX_INDICATOR_NAME_CHARS`] characters after trimming.
    pub name: String,
    /// Up to [`MAX_MEASURE_CHARS`]; may be empty.
    #[serde(default)]
    pub measure: String,
    /// `None`: a rate (measure `%`) is averaged, anything else summed.
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// Plans by unit code, typed like report values (`1 130,5`); blank ones are left out.
    #[serde(default)]
    pub plans: BTreeMap<String, String>,
}

impl Store {
    /// The indicator set of a briefing, in the host's order; empty when it has none.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn indicator_set(
        &self,
        briefing: &BriefingId,
    ) -> Result<Vec<IndicatorDefinition>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let set = load_set(&tx, briefing)?;
        tx.commit()?;
        Ok(set)
    }

    /// Replaces the indicator set of a briefing, all or nothing; returns it as stored.
    ///
    /// [`StoreError::Invalid`], naming the indicator from 1, for a name that is blank or too
    /// long, a measure too long, two indicators of the same name and measure (trimmed,
    /// ignoring case), a plan that is not a number over 0, or a plan for a unit not invited
    /// to the briefing; more than [`MAX_INDICATORS`] indicators. [`StoreError::NotFound`] for
    /// an unknown briefing.
    pub fn set_indicator_set(
        &self,
        briefing: &BriefingId,
        set: &[NewIndicatorDefinition],
    ) -> Result<Vec<IndicatorDefinition>, StoreError> {
        if set.len() > MAX_INDICATORS {
            return Err(StoreError::Invalid(
                Problem::new(ProblemCode::TooMany)
                    .at(Field::Indicators)
                    .with("max", MAX_INDICATORS)
                    .with("count", set.len()),
            ));
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        let units: HashSet<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT unit_code FROM points WHERE briefing_id = ?1 AND unit_code IS NOT NULL",
            )?;
            let rows = stmt.query_map([&briefing.0], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut seen = HashMap::new();
        tx.execute(
            "DELETE FROM briefing_indicators WHERE briefing_id = ?1",
            [&briefing.0],
        )?;
        for (i, new) in set.iter().enumerate() {
            let at = FieldPath::of(Field::Indicators).at(i + 1);
            let (name, measure) = checked_name_and_measure(&at, &new.name, &new.measure)?;
            let (name, measure) = (name.as_str(), measure.as_str());
            if let Some(first) = seen.get(&same_indicator(name, measure)) {
                return Err(StoreError::Invalid(
                    Problem::new(ProblemCode::SameIndicator)
                        .at(at)
                        .with("first", *first),
                ));
            }
            seen.insert(same_indicator(name, measure), i + 1);
            let aggregate = new
                .aggregate
                .unwrap_or_else(|| Aggregate::of_measure(measure));
            let position = i64::try_from(i).expect("at most MAX_INDICATORS positions");
            tx.execute(
                "INSERT INTO briefing_indicators (briefing_id, position, name, measure, aggregate)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![briefing.0, position, name, measure, aggregate.as_str()],
            )?;
            for (unit, plan) in &new.plans {
                let unit = unit.trim();
                let plan = plan.trim();
                if plan.is_empty() {
                    continue;
                }
                let field = at.clone().then(Field::Plans);
                if !units.contains(unit) {
                    return Err(StoreError::Invalid(
                        Problem::new(ProblemCode::NotInvited)
                            .at(field)
                            .with("value", unit),
                    ));
                }
                let value =
                    parse_number(plan).map_err(|code| number_problem(code, field.clone(), plan))?;
                if value <= 0.0 {
                    return Err(number_problem(ProblemCode::NotPositive, field, plan));
                }
                tx.execute(
                    "INSERT INTO briefing_indicator_plans (briefing_id, position, unit_code, plan)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![briefing.0, position, unit, value],
                )?;
            }
        }
        let stored = load_set(&tx, briefing)?;
        tx.commit()?;
        Ok(stored)
    }

    /// The indicator set of the previous briefing of the series that has one (the latest that
    /// starts before this one), to start this period's from; `None` when there is none.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn previous_indicator_set(
        &self,
        briefing: &BriefingId,
    ) -> Result<Option<(BriefingId, Vec<IndicatorDefinition>)>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let (series, start): (Option<String>, String) = tx.query_row(
            "SELECT series, scheduled_start FROM briefings WHERE id = ?1",
            [&briefing.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let (Some(series), Some(start)) = (series, schedule::unix_of(&start)) else {
            return Ok(None);
        };
        let candidates: Vec<(String, String)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT b.id, b.scheduled_start FROM briefings b
                 WHERE b.series = ?1 AND b.id <> ?2
                   AND EXISTS (SELECT 1 FROM briefing_indicators i WHERE i.briefing_id = b.id)",
            )?;
            let rows =
                stmt.query_map([&series, &briefing.0], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        // Stored starts keep the offset they were typed with: compared as instants.
        let previous = candidates
            .into_iter()
            .filter_map(|(id, s)| Some((schedule::unix_of(&s)?, id)))
            .filter(|(s, _)| *s < start)
            .max();
        let set = match previous {
            Some((_, id)) => {
                let id = BriefingId(id);
                let set = load_set(&tx, &id)?;
                Some((id, set))
            }
            None => None,
        };
        tx.commit()?;
        Ok(set)
    }
}

/// The set of `briefing`, in order, with its plans.
pub(crate) fn load_set(
    conn: &Connection,
    briefing: &BriefingId,
) -> Result<Vec<IndicatorDefinition>, StoreError> {
    let mut set: Vec<IndicatorDefinition> = {
        let mut stmt = conn.prepare_cached(
            "SELECT name, measure, aggregate FROM briefing_indicators
             WHERE briefing_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([&briefing.0], |row| {
            let aggregate: String = row.get(2)?;
            Ok(IndicatorDefinition {
                name: row.get(0)?,
                measure: row.get(1)?,
                aggregate: if aggregate == "mean" {
                    Aggregate::Mean
                } else {
                    Aggregate::Sum
                },
                plans: BTreeMap::new(),
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut stmt = conn.prepare_cached(
        "SELECT position, unit_code, plan FROM briefing_indicator_plans WHERE briefing_id = ?1",
    )?;
    let mut rows = stmt.query([&briefing.0])?;
    while let Some(row) = rows.next()? {
        let position: i64 = row.get(0)?;
        if let Some(definition) = usize::try_from(position).ok().and_then(|p| set.get_mut(p)) {
            definition.plans.insert(row.get(1)?, row.get(2)?);
        }
    }
    Ok(set)
}

/// The host's plan for `unit` of the set's indicator named like `name` and `measure`.
pub(crate) fn plan_of(
    set: &[IndicatorDefinition],
    unit: Option<&str>,
    name: &str,
    measure: &str,
) -> Option<f64> {
    let key = same_indicator(name, measure);
    let definition = set
        .iter()
        .find(|d| same_indicator(&d.name, &d.measure) == key)?;
    definition.plans.get(unit?).copied()
}

/// An indicator's name and measure as typed at `at`, checked and normalised like every short
/// name (the measure may be empty).
pub(crate) fn checked_name_and_measure(
    at: &FieldPath,
    name: &str,
    measure: &str,
) -> Result<(String, String), StoreError> {
    let name = crate::text::name(at.clone().then(Field::Name), name, MAX_INDICATOR_NAME_CHARS)?;
    let measure =
        crate::text::optional_name(at.clone().then(Field::Measure), measure, MAX_MEASURE_CHARS)?
            .unwrap_or_default();
    Ok((name, measure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::NewIndicator;
    use crate::test_support::{NGHE_AN, invalid, is_not_found, temp_store};
    use crate::{Briefing, NewBriefing, Point};

    /// A briefing of series `cntt` hosted by SO-TTTT with Cửa Lò and Nghi Lộc.
    fn briefing(store: &Store, start: &str) -> (Briefing, Vec<Point>) {
        let briefing = store
            .create_briefing(&NewBriefing {
                title: format!("Giao ban {start}"),
                scheduled_start: Some(start.into()),
                host_unit: Some("SO-TTTT".into()),
                units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                series: Some("cntt".into()),
                report_deadline: Some("2099-11-30 17:00".into()),
                ..NewBriefing::default()
            })
            .unwrap();
        let points = store.points(&briefing.id).unwrap();
        (briefing, points)
    }

    fn define(name: &str, measure: &str, plans: &[(&str, &str)]) -> NewIndicatorDefinition {
        NewIndicatorDefinition {
            name: name.into(),
            measure: measure.into(),
            aggregate: None,
            plans: plans
                .iter()
                .map(|&(u, p)| (u.to_owned(), p.to_owned()))
                .collect(),
        }
    }

    fn value(name: &str, measure: &str, value: &str) -> NewIndicator {
        NewIndicator {
            name: name.into(),
            measure: measure.into(),
            value: value.into(),
            plan: None,
        }
    }

    #[test]
    fn indicators_whose_names_look_alike_are_the_same() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let (b, p) = briefing(&store, "2099-12-01 08:00");

        let refused = store.set_indicator_set(
            &b.id,
            &[
                define("Doanh thu", "tỷ đồng", &[]),
                define("doanh\u{200B} THU", "Tỷ đồng", &[]),
            ],
        );
        let stored = store
            .set_indicator_set(&b.id, &[define("Tho\u{302}\u{301}ng ke\u{302}", "", &[])])
            .unwrap();
        // A unit's indicator typed another way is the one of the set.
        let report = store
            .submit_report(&p[1], "", &[value("THỐNG\u{200C} KÊ", "", "3")])
            .unwrap();

        assert!(
            crate::test_support::invalid(refused).starts_with("indicator 2: "),
            "the second is the first again"
        );
        assert_eq!(stored[0].name, "Thống kê");
        assert_eq!(report.indicators[0].name, "THỐNG KÊ");
        let dashboard = store.dashboard(&b.id).unwrap();
        assert_eq!(dashboard.indicators.len(), 1, "{:?}", dashboard.indicators);
    }

    #[test]
    fn the_host_defines_the_set_and_units_report_on_it() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let (b, p) = briefing(&store, "2099-12-01 08:00");
        let set = [
            define(
                "Hồ sơ TTHC trực tuyến",
                "%",
                &[("UBND-CUALO", "90"), ("UBND-NGHILOC", "80")],
            ),
            NewIndicatorDefinition {
                aggregate: Some(Aggregate::Sum),
                ..define(
                    "Trạm BTS",
                    " trạm ",
                    &[("UBND-CUALO", "1 200"), ("UBND-NGHILOC", "")],
                )
            },
        ];

        let stored = store.set_indicator_set(&b.id, &set).unwrap();

        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].aggregate, Aggregate::Mean, "a rate is averaged");
        assert_eq!(stored[1].measure, "trạm");
        assert_eq!(
            stored[1].plans,
            BTreeMap::from([("UBND-CUALO".into(), 1200.0)])
        );
        assert_eq!(store.indicator_set(&b.id).unwrap(), stored);

        // Cửa Lò reports on the set without typing plans, and adds an indicator of its own.
        let (cualo, nghiloc) = (&p[1], &p[2]);
        let report = store
            .submit_report(
                cualo,
                "",
                &[
                    value("hồ sơ tthc trực tuyến", "%", "81"),
                    value("Đài truyền thanh", "đài", "5"),
                ],
            )
            .unwrap();
        assert_eq!(
            report.indicators[0].plan,
            Some(90.0),
            "the host's plan for Cửa Lò"
        );
        assert_eq!(report.indicators[0].percent_of_plan, Some(90.0));
        assert_eq!(report.indicators[1].plan, None);
        store
            .submit_report(nghiloc, "", &[value("Hồ sơ TTHC trực tuyến", "%", "60")])
            .unwrap();

        let dashboard = store.dashboard(&b.id).unwrap();
        let rows: Vec<_> = dashboard
            .indicators
            .iter()
            .map(|i| (i.name.as_str(), i.defined, i.by_point.len()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Hồ sơ TTHC trực tuyến", true, 2),
                ("Trạm BTS", true, 0),
                ("Đài truyền thanh", false, 1),
            ],
            "the set first, in its order, even before anyone reports it"
        );
        let rate = &dashboard.indicators[0];
        assert_eq!(rate.total_value, 70.5, "the mean of 81 and 60");
        assert_eq!(rate.total_plan, Some(85.0));
        assert_eq!(rate.percent_of_plan, Some(82.9));
        assert_eq!(dashboard.indicators[1].total_value, 0.0);
    }

    #[test]
    fn a_bad_set_is_refused_whole() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let (b, _) = briefing(&store, "2099-12-01 08:00");
        store
            .set_indicator_set(&b.id, &[define("Trạm BTS", "trạm", &[])])
            .unwrap();
        let refuse = |set: &[NewIndicatorDefinition]| invalid(store.set_indicator_set(&b.id, set));

        assert_eq!(
            refuse(&[define(" ", "", &[])]),
            "indicator 1, name: must not be empty"
        );
        assert_eq!(
            refuse(&[define("A", "", &[]), define(" a ", "", &[])]),
            "indicator 2: indicator 1 has the same name and measure; give each indicator once"
        );
        assert_eq!(
            refuse(&[define("A", "", &[("UBND-VINH", "5")])]),
            "indicator 1, plan for unit: unit \"UBND-VINH\" is not invited to this briefing"
        );
        assert_eq!(
            refuse(&[define("A", "", &[("UBND-CUALO", "85 phần trăm")])]),
            "indicator 1, plan for unit: \"85 phần trăm\" is not a number"
        );
        assert_eq!(
            refuse(&[define("A", "", &[("UBND-CUALO", "0")])]),
            "indicator 1, plan for unit: must be greater than 0, not \"0\""
        );
        assert_eq!(
            store.indicator_set(&b.id).unwrap()[0].name,
            "Trạm BTS",
            "the set stays as it was"
        );
        assert!(is_not_found(
            &store.indicator_set(&BriefingId("khongco".into()))
        ));
    }

    #[test]
    fn the_previous_briefing_of_the_series_gives_its_set() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let (first, _) = briefing(&store, "2099-06-01 08:00");
        let (second, _) = briefing(&store, "2099-09-01 08:00");
        let (third, _) = briefing(&store, "2099-12-01 08:00");
        assert_eq!(store.previous_indicator_set(&third.id).unwrap(), None);

        store
            .set_indicator_set(
                &first.id,
                &[define("Trạm BTS", "trạm", &[("UBND-CUALO", "10")])],
            )
            .unwrap();
        store
            .set_indicator_set(&second.id, &[define("Doanh thu", "tỷ đồng", &[])])
            .unwrap();

        let (from, set) = store.previous_indicator_set(&third.id).unwrap().unwrap();
        assert_eq!(from, second.id, "the latest before it");
        assert_eq!(set[0].name, "Doanh thu");
        let (from, set) = store.previous_indicator_set(&second.id).unwrap().unwrap();
        assert_eq!(from, first.id);
        assert_eq!(set[0].plans["UBND-CUALO"], 10.0);
        assert_eq!(
            store.previous_indicator_set(&first.id).unwrap(),
            None,
            "none before it"
        );
    }
}
