//! Unit reports with their indicators, and the host's dashboard of them.
//!
//! Each invited point files at most one report per briefing; filing again replaces the
//! narrative and the indicators but keeps the time of the first submission, which is what
//! decides whether the report came in on time. Whether it did is computed when read, from the
//! briefing's report deadline as it stands then.
//!
//! A unit may save its report as a draft first: a draft is kept for the unit to finish, but
//! it is not submitted, so the host's list, the dashboard and the statistics do not count it,
//! and its first submission is the time it is submitted. A report needs a narrative or at
//! least one indicator to be submitted; an empty one may only be a draft.
//!
//! Indicator values arrive as people type them, in Vietnamese or English habits, so
//! [`NewIndicator`] carries text and the store parses it (see [`Store::submit_report`]).

use std::collections::HashMap;

use giaoban_model::{BriefingId, Field, FieldPath, PointId, Problem, ProblemCode};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::briefings::point_from_row;
use crate::direction::{no_such_briefing, no_such_point};
use crate::schedule::{is_past, not_after, now_utc};
use crate::{Point, Store, StoreError};

/// Most indicators in one report.
pub const MAX_INDICATORS: usize = 50;

/// Longest indicator name, in characters.
pub const MAX_INDICATOR_NAME_CHARS: usize = 200;

/// Longest unit of measure of an indicator, in characters.
pub const MAX_MEASURE_CHARS: usize = 40;

/// Longest narrative of a report, in characters.
pub const MAX_NARRATIVE_CHARS: usize = 20_000;

/// Largest magnitude of an indicator's value or plan. Far beyond any count or amount in đồng
/// a province reports, and small enough that totals over every point stay finite and exact to
/// the unit.
pub const MAX_INDICATOR_MAGNITUDE: f64 = 1e15;

/// One indicator of a report, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIndicator {
    /// 1 to [`MAX_INDICATOR_NAME_CHARS`] characters after trimming.
    pub name: String,
    /// The unit of measure ("tỷ đồng", "%"); may be empty, up to [`MAX_MEASURE_CHARS`].
    pub measure: String,
    /// A number as typed: `1130.5`, `1130,5`, `1 130,5` (see [`Store::submit_report`]).
    pub value: String,
    /// The planned value, typed the same way; must be greater than 0. `None` or blank: no plan.
    pub plan: Option<String>,
}

/// One indicator of a stored report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub name: String,
    pub measure: String,
    pub value: f64,
    pub plan: Option<f64>,
    /// `value / plan × 100` rounded to one decimal; `None` without a plan.
    pub percent_of_plan: Option<f64>,
}

/// A point's report to a briefing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub point_id: PointId,
    /// The point's name.
    pub point: String,
    /// The unit the point stands for, if any.
    pub unit_code: Option<String>,
    pub narrative: String,
    /// In the order the point gave them.
    pub indicators: Vec<Indicator>,
    /// The first submission, RFC 3339 in UTC.
    pub submitted_at: String,
    /// The latest submission, RFC 3339 in UTC.
    pub updated_at: String,
    /// Whether the first submission was at or before the briefing's report deadline.
    pub on_time: bool,
    /// A draft, saved but not submitted: only the unit itself sees it, and nothing counts it.
    /// Its `submitted_at` is when it was last saved.
    pub draft: bool,
}

/// Where a point's report stands on the dashboard.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Submitted at or before the deadline.
    OnTime,
    /// Submitted after the deadline.
    Late,
    /// Not submitted, and the deadline has passed.
    Missing,
    /// Not submitted yet, and the deadline has not passed.
    Pending,
}

/// One expected point on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardPoint {
    pub point_id: PointId,
    pub point: String,
    pub unit_code: Option<String>,
    pub status: ReportStatus,
    /// The first submission; `None` if the point has not submitted.
    pub submitted_at: Option<String>,
}

/// What one point reported for an indicator row of the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointIndicator {
    /// The point's name.
    pub point: String,
    pub value: f64,
    pub plan: Option<f64>,
    pub percent_of_plan: Option<f64>,
}

/// How the values of the points are combined into one figure for the province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Quantities (money, stations, documents) add up.
    Sum,
    /// Rates (measure `%`) do not: the province's figure is the mean of the points'.
    Mean,
}

impl Aggregate {
    /// The stable lowercase name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Mean => "mean",
        }
    }

    /// Rates are averaged, everything else summed.
    pub(crate) fn of_measure(measure: &str) -> Aggregate {
        if measure.trim() == "%" {
            Aggregate::Mean
        } else {
            Aggregate::Sum
        }
    }
}

/// One indicator combined over the points that report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardIndicator {
    /// As the first point (in invitation order) that reports it spelled it.
    pub name: String,
    pub measure: String,
    /// Whether the totals are sums or means: as the host's set says, or for an indicator a
    /// unit added, a mean for a rate (measure `%`) and a sum otherwise.
    pub aggregate: Aggregate,
    /// Whether the indicator is one of the host's set for the period.
    pub defined: bool,
    /// The sum (or the mean, for a rate) of every reporting point's value.
    pub total_value: f64,
    /// The sum (or the mean) of the plans given; `None` if no point gave one.
    pub total_plan: Option<f64>,
    /// The values of the points that gave a plan, over `total_plan`, × 100, rounded to one
    /// decimal: a point without a plan neither raises nor lowers the fulfilment.
    pub percent_of_plan: Option<f64>,
    /// The reporting points in invitation order.
    pub by_point: Vec<PointIndicator>,
}

/// The host's overview of the reports of a briefing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// The briefing's report deadline, or its scheduled start when it has none (RFC 3339).
    pub report_deadline: String,
    /// The invited points other than the host and the revoked ones, in invitation order.
    pub points: Vec<DashboardPoint>,
    /// The host's set first, in its order, then the indicators units added; indicators of
    /// the same name and measure (trimmed, ignoring case) are one row, in the order they first
    /// appear.
    pub indicators: Vec<DashboardIndicator>,
    /// Names of the points that submitted late.
    pub late: Vec<String>,
    /// Names of the points that did not submit although the deadline has passed.
    pub missing: Vec<String>,
    /// How many of `points` submitted.
    pub submitted: u32,
    /// How many points are expected to submit: the length of `points`.
    pub expected: u32,
    /// The host's own report (the figures it presents), if it filed one; not in the totals.
    pub host_report: Option<Report>,
}

impl Store {
    /// Files `point`'s report, or replaces it: the narrative and the indicators are replaced
    /// whole, the first submission time is kept. All or nothing: a refused report leaves the
    /// previous one as it was.
    ///
    /// Numbers are read as people type them: `.` or `,` before the decimals, a space (also a
    /// no-break or narrow no-break space) between groups of three digits, an optional sign.
    /// Refused, with the indicator named and numbered from 1 in [`StoreError::Invalid`]:
    /// anything else (`abc`, `1e5`, `NaN`), both `.` and `,` (`1.130,5`), a separator used
    /// twice (`1,2,3`), one separator followed by exactly three digits after one to three
    /// other digits (`1.130`: a thousand and thirty in Vietnamese habit, 1.13 in English
    /// habit), magnitudes over [`MAX_INDICATOR_MAGNITUDE`], and a plan that is not over 0.
    /// Two indicators of the same name and measure (trimmed, ignoring case) are refused too,
    /// since the dashboard would add them up.
    ///
    /// A report with neither a narrative nor an indicator is refused: it can only be saved
    /// as a draft ([`Store::save_report_draft`]). Submitting a draft makes its first
    /// submission now.
    ///
    /// [`StoreError::NotFound`] if the point does not exist (any more).
    pub fn submit_report(
        &self,
        point: &Point,
        narrative: &str,
        indicators: &[NewIndicator],
    ) -> Result<Report, StoreError> {
        self.file_report(point, narrative, indicators, false)
    }

    /// Saves `point`'s report as a draft, checked like [`Store::submit_report`] but possibly
    /// empty. A draft does not count as submitted. [`StoreError::Conflict`] once the report
    /// is submitted: a submitted report is changed by submitting it again.
    pub fn save_report_draft(
        &self,
        point: &Point,
        narrative: &str,
        indicators: &[NewIndicator],
    ) -> Result<Report, StoreError> {
        self.file_report(point, narrative, indicators, true)
    }

    fn file_report(
        &self,
        point: &Point,
        narrative: &str,
        indicators: &[NewIndicator],
        draft: bool,
    ) -> Result<Report, StoreError> {
        let narrative = crate::text::valid_note(Field::Narrative, narrative, MAX_NARRATIVE_CHARS)?;
        let mut indicators = validate_indicators(indicators)?;
        if !draft && narrative.is_empty() && indicators.is_empty() {
            return Err(StoreError::Invalid(Problem::new(ProblemCode::EmptyReport)));
        }

        let now = now_utc();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM points WHERE id = ?1 AND briefing_id = ?2)",
            params![point.id.0, point.briefing_id.0],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(no_such_point(&point.id));
        }
        let submitted: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE point_id = ?1 AND draft = 0)",
            [&point.id.0],
            |row| row.get(0),
        )?;
        if draft && submitted {
            return Err(StoreError::Conflict(Problem::new(
                ProblemCode::AlreadySubmitted,
            )));
        }
        // A value for an indicator of the host's set, given without a plan, takes the host's
        // plan for the unit.
        let set = crate::indicator_set::load_set(&tx, &point.briefing_id)?;
        let unit = point.unit_code.as_ref().map(|c| c.as_str());
        for i in indicators.iter_mut().filter(|i| i.plan.is_none()) {
            i.plan = crate::indicator_set::plan_of(&set, unit, &i.name, &i.measure);
        }
        // A draft's submission time is when it was saved; the first submission replaces it.
        tx.execute(
            "INSERT INTO reports (point_id, narrative, submitted_at, updated_at, draft)
             VALUES (?1, ?2, ?3, ?3, ?4)
             ON CONFLICT (point_id) DO UPDATE
             SET narrative = excluded.narrative, updated_at = excluded.updated_at,
                 submitted_at = CASE WHEN reports.draft = 1 THEN excluded.submitted_at
                                     ELSE reports.submitted_at END,
                 draft = excluded.draft",
            params![point.id.0, narrative, now, draft],
        )?;
        tx.execute(
            "DELETE FROM report_indicators WHERE point_id = ?1",
            [&point.id.0],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO report_indicators (point_id, position, name, measure, value, plan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (position, i) in indicators.iter().enumerate() {
                insert.execute(params![
                    point.id.0,
                    i64::try_from(position).expect("at most MAX_INDICATORS positions"),
                    i.name,
                    i.measure,
                    i.value,
                    i.plan,
                ])?;
            }
        }
        let report = load_reports(&tx, Scope::Point(&point.id), true)?
            .pop()
            .expect("the report was stored in this transaction");
        tx.commit()?;
        Ok(report)
    }

    /// The report of a point, if it has submitted one or saved a draft (see
    /// [`Report::draft`]).
    pub fn report(&self, point: &PointId) -> Result<Option<Report>, StoreError> {
        let conn = self.conn();
        Ok(load_reports(&conn, Scope::Point(point), true)?.pop())
    }

    /// Every report submitted to a briefing, in invitation order (the host's first, if it
    /// filed one); drafts are left out. Empty for an unknown briefing.
    pub fn reports(&self, briefing: &BriefingId) -> Result<Vec<Report>, StoreError> {
        let conn = self.conn();
        load_reports(&conn, Scope::Briefing(briefing), false)
    }

    /// The dashboard of a briefing's reports as of now.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn dashboard(&self, briefing: &BriefingId) -> Result<Dashboard, StoreError> {
        let mut conn = self.conn();
        // One read transaction: a report filed meanwhile is either wholly in or wholly out.
        let tx = conn.transaction()?;
        let deadline: String = tx
            .query_row(
                "SELECT COALESCE(report_deadline, scheduled_start) FROM briefings WHERE id = ?1",
                [&briefing.0],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| no_such_briefing(briefing))?;
        let points: Vec<Point> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, briefing_id, name, role, revoked_at IS NOT NULL, unit_code
                 FROM points
                 WHERE briefing_id = ?1 AND role = 'point' AND revoked_at IS NULL
                 ORDER BY position",
            )?;
            let rows = stmt.query_map([&briefing.0], point_from_row)?;
            rows.collect::<Result<_, _>>()?
        };
        let host: Option<String> = tx
            .query_row(
                "SELECT id FROM points WHERE briefing_id = ?1 AND role = 'host'",
                [&briefing.0],
                |row| row.get(0),
            )
            .optional()?;
        let set = crate::indicator_set::load_set(&tx, briefing)?;
        let mut reports: HashMap<PointId, Report> =
            load_reports(&tx, Scope::Briefing(briefing), false)?
                .into_iter()
                .map(|r| (r.point_id.clone(), r))
                .collect();
        tx.commit()?;
        let passed = is_past(&deadline);
        let mut dashboard = build_dashboard(deadline, passed, &points, &set, &mut reports);
        dashboard.host_report = host.and_then(|id| reports.remove(&PointId(id)));
        Ok(dashboard)
    }
}

/// An indicator that passed the checks.
struct ValidIndicator {
    name: String,
    measure: String,
    value: f64,
    plan: Option<f64>,
}

fn validate_indicators(indicators: &[NewIndicator]) -> Result<Vec<ValidIndicator>, StoreError> {
    if indicators.len() > MAX_INDICATORS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooMany)
                .at(Field::Indicators)
                .with("max", MAX_INDICATORS)
                .with("count", indicators.len()),
        ));
    }
    let mut valid = Vec::with_capacity(indicators.len());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, new) in indicators.iter().enumerate() {
        let at = FieldPath::of(Field::Indicators).at(i + 1);
        let (name, measure) =
            crate::indicator_set::checked_name_and_measure(&at, &new.name, &new.measure)?;
        let value = parse_number(&new.value)
            .map_err(|code| number_problem(code, at.clone().then(Field::Value), &new.value))?;
        let plan = match new.plan.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let plan = parse_number(text)
                    .map_err(|code| number_problem(code, at.clone().then(Field::Plan), text))?;
                if plan <= 0.0 {
                    return Err(number_problem(
                        ProblemCode::NotPositive,
                        at.then(Field::Plan),
                        text,
                    ));
                }
                Some(plan)
            }
        };
        if let Some(first) = seen.insert(same_indicator(&name, &measure), i + 1) {
            return Err(StoreError::Invalid(
                Problem::new(ProblemCode::SameIndicator)
                    .at(at)
                    .with("first", first),
            ));
        }
        valid.push(ValidIndicator {
            name,
            measure,
            value,
            plan,
        });
    }
    Ok(valid)
}

/// [`StoreError::Invalid`]: the number `text` at `field` is refused for `code`.
pub(crate) fn number_problem(code: ProblemCode, field: FieldPath, text: &str) -> StoreError {
    StoreError::Invalid(Problem::new(code).at(field).with("value", text.trim()))
}

/// The key under which indicators count as the same: name and measure as they look
/// ([`crate::text::look_alike`]: trimmed, in NFC, without zero-width characters, ignoring case).
pub(crate) fn same_indicator(name: &str, measure: &str) -> (String, String) {
    (
        crate::text::look_alike(name),
        crate::text::look_alike(measure),
    )
}

/// Parses a number as typed (see [`Store::submit_report`]); the error says why it is not one.
pub(crate) fn parse_number(text: &str) -> Result<f64, ProblemCode> {
    const NOT_A_NUMBER: ProblemCode = ProblemCode::NotANumber;
    let s = text.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut separators = s.match_indices(['.', ',']);
    let (int, frac) = match (separators.next(), separators.next()) {
        (None, _) => (s, None),
        (Some((at, sep)), None) => (&s[..at], Some(&s[at + sep.len()..])),
        (Some((_, first)), Some(_)) => {
            return Err(if s.contains('.') && s.contains(',') {
                ProblemCode::AmbiguousNumber
            } else if first == "." {
                ProblemCode::RepeatedDot
            } else {
                ProblemCode::RepeatedComma
            });
        }
    };
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = int.split(is_group_separator).collect();
    if !groups.iter().all(|g| digits(g)) || !frac.is_none_or(digits) {
        return Err(NOT_A_NUMBER);
    }
    if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return Err(ProblemCode::ThousandsGroups);
    }
    // "1.130" is a thousand and thirty to whoever writes Vietnamese, 1.13 to whoever writes
    // English; a wrong guess is off by a factor of a thousand, so ask.
    if groups.len() == 1
        && frac.is_some_and(|f| f.len() == 3)
        && int.len() <= 3
        && int.bytes().any(|b| b != b'0')
    {
        return Err(ProblemCode::AmbiguousNumber);
    }
    let normalised = format!(
        "{}{}.{}",
        if negative { "-" } else { "" },
        groups.concat(),
        frac.unwrap_or("0")
    );
    let value: f64 = normalised.parse().map_err(|_| NOT_A_NUMBER)?;
    if !value.is_finite() || value.abs() > MAX_INDICATOR_MAGNITUDE {
        return Err(ProblemCode::NumberTooLarge);
    }
    Ok(value)
}

fn is_group_separator(c: char) -> bool {
    // Space, no-break space, narrow no-break space (what spreadsheets copy), thin space.
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// `value / plan × 100`, rounded half away from zero to one decimal.
fn percent(value: f64, plan: f64) -> Option<f64> {
    // Scaling the value first keeps halves exact: 0.7 × 1000 / 40 is 17.5, which rounds to
    // 1.8 %, where 0.7 / 40 × 1000 is 17.4999… and would round to 1.7 %.
    let tenths = (value * 1000.0 / plan).round();
    (plan > 0.0 && tenths.is_finite()).then_some(tenths / 10.0)
}

/// A sum of typed decimals without the noise of binary fractions (0.1 + 0.2 is 0.3, not
/// 0.30000000000000004): rounded to six decimals, more than anyone types.
fn tidy(sum: f64) -> f64 {
    let rounded = (sum * 1e6).round() / 1e6;
    if rounded.is_finite() { rounded } else { sum }
}

/// Which reports to load.
enum Scope<'a> {
    Point(&'a PointId),
    Briefing(&'a BriefingId),
}

/// The reports in `scope` in invitation order, with their indicators; drafts only if asked.
fn load_reports(
    conn: &Connection,
    scope: Scope<'_>,
    drafts: bool,
) -> Result<Vec<Report>, StoreError> {
    // The filters are constant clauses; the id is bound.
    let (filter, id) = match scope {
        Scope::Point(p) => ("p.id = ?1", &p.0),
        Scope::Briefing(b) => ("p.briefing_id = ?1", &b.0),
    };
    let draft_filter = if drafts { "" } else { "AND r.draft = 0" };
    let mut indicators: HashMap<PointId, Vec<Indicator>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT i.point_id, i.name, i.measure, i.value, i.plan
             FROM report_indicators i JOIN points p ON p.id = i.point_id
             WHERE {filter}
             ORDER BY i.point_id, i.position"
        ))?;
        let mut rows = stmt.query([id])?;
        while let Some(row) = rows.next()? {
            let (point, indicator) = indicator_from_row(row)?;
            indicators.entry(point).or_default().push(indicator);
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.id, p.name, p.unit_code, r.narrative, r.submitted_at, r.updated_at,
                COALESCE(b.report_deadline, b.scheduled_start), r.draft
         FROM reports r
         JOIN points p ON p.id = r.point_id
         JOIN briefings b ON b.id = p.briefing_id
         WHERE {filter} {draft_filter}
         ORDER BY p.position"
    ))?;
    let rows = stmt.query_map([id], |row| {
        let submitted_at: String = row.get(4)?;
        let deadline: String = row.get(6)?;
        let draft: bool = row.get(7)?;
        Ok(Report {
            point_id: PointId(row.get(0)?),
            point: row.get(1)?,
            unit_code: row.get(2)?,
            narrative: row.get(3)?,
            indicators: Vec::new(),
            on_time: !draft && not_after(&submitted_at, &deadline),
            submitted_at,
            updated_at: row.get(5)?,
            draft,
        })
    })?;
    let mut reports: Vec<Report> = rows.collect::<Result<_, _>>()?;
    for report in &mut reports {
        report.indicators = indicators.remove(&report.point_id).unwrap_or_default();
    }
    Ok(reports)
}

/// Reads `point_id, name, measure, value, plan`.
fn indicator_from_row(row: &Row<'_>) -> rusqlite::Result<(PointId, Indicator)> {
    let value: f64 = row.get(3)?;
    let plan: Option<f64> = row.get(4)?;
    Ok((
        PointId(row.get(0)?),
        Indicator {
            name: row.get(1)?,
            measure: row.get(2)?,
            value,
            plan,
            percent_of_plan: plan.and_then(|p| percent(value, p)),
        },
    ))
}

/// The dashboard of `points` (expected to report, in order) given their `reports` and whether
/// the deadline has passed.
fn build_dashboard(
    report_deadline: String,
    deadline_passed: bool,
    points: &[Point],
    set: &[crate::IndicatorDefinition],
    reports: &mut HashMap<PointId, Report>,
) -> Dashboard {
    let mut dashboard = Dashboard {
        report_deadline,
        points: Vec::with_capacity(points.len()),
        indicators: Vec::new(),
        late: Vec::new(),
        missing: Vec::new(),
        submitted: 0,
        expected: u32::try_from(points.len()).unwrap_or(u32::MAX),
        host_report: None,
    };
    let mut rows: HashMap<(String, String), usize> = HashMap::new();
    // Per row: the values of the points that gave a plan, for the row's percentage.
    let mut planned_values: Vec<f64> = Vec::new();
    for definition in set {
        rows.insert(
            same_indicator(&definition.name, &definition.measure),
            dashboard.indicators.len(),
        );
        dashboard.indicators.push(DashboardIndicator {
            name: definition.name.clone(),
            measure: definition.measure.clone(),
            aggregate: definition.aggregate,
            defined: true,
            total_value: 0.0,
            total_plan: None,
            percent_of_plan: None,
            by_point: Vec::new(),
        });
        planned_values.push(0.0);
    }
    for point in points {
        let report = reports.remove(&point.id);
        let status = match &report {
            Some(r) if r.on_time => ReportStatus::OnTime,
            Some(_) => ReportStatus::Late,
            None if deadline_passed => ReportStatus::Missing,
            None => ReportStatus::Pending,
        };
        match status {
            ReportStatus::Late => dashboard.late.push(point.name.clone()),
            ReportStatus::Missing => dashboard.missing.push(point.name.clone()),
            _ => {}
        }
        dashboard.points.push(DashboardPoint {
            point_id: point.id.clone(),
            point: point.name.clone(),
            unit_code: point.unit_code.as_ref().map(|c| c.as_str().to_owned()),
            status,
            submitted_at: report.as_ref().map(|r| r.submitted_at.clone()),
        });
        let Some(report) = report else { continue };
        dashboard.submitted += 1;
        for indicator in report.indicators {
            let key = same_indicator(&indicator.name, &indicator.measure);
            let row = *rows.entry(key).or_insert_with(|| {
                dashboard.indicators.push(DashboardIndicator {
                    name: indicator.name.clone(),
                    measure: indicator.measure.clone(),
                    aggregate: Aggregate::of_measure(&indicator.measure),
                    defined: false,
                    total_value: 0.0,
                    total_plan: None,
                    percent_of_plan: None,
                    by_point: Vec::new(),
                });
                planned_values.push(0.0);
                dashboard.indicators.len() - 1
            });
            let entry = &mut dashboard.indicators[row];
            entry.total_value += indicator.value;
            if let Some(plan) = indicator.plan {
                *entry.total_plan.get_or_insert(0.0) += plan;
                planned_values[row] += indicator.value;
            }
            entry.by_point.push(PointIndicator {
                point: point.name.clone(),
                value: indicator.value,
                plan: indicator.plan,
                percent_of_plan: indicator.percent_of_plan,
            });
        }
    }
    for (entry, planned) in dashboard.indicators.iter_mut().zip(planned_values) {
        // Fulfilment is the same ratio whether sums or means are compared.
        entry.percent_of_plan = entry
            .total_plan
            .and_then(|p| percent(tidy(planned), tidy(p)));
        if entry.aggregate == Aggregate::Mean && !entry.by_point.is_empty() {
            let plans = entry.by_point.iter().filter(|p| p.plan.is_some()).count();
            entry.total_value /= entry.by_point.len() as f64;
            entry.total_plan = entry.total_plan.map(|p| p / plans as f64);
        }
        entry.total_value = tidy(entry.total_value);
        entry.total_plan = entry.total_plan.map(tidy);
    }
    dashboard
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NGHE_AN, invalid, is_not_found, problem, temp_store};
    use crate::{Briefing, NewBriefing};

    /// A briefing hosted by SO-TTTT with a named point, then Cửa Lò, Nghi Lộc and Vinh;
    /// reports are due in 2099.
    fn briefing(store: &Store) -> (Briefing, Vec<Point>) {
        store.import_units_csv(NGHE_AN).unwrap();
        let briefing = store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT 6 tháng".into(),
                scheduled_start: Some("2099-12-01 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                points: vec!["Phòng họp dự phòng".into()],
                units: vec![
                    "UBND-CUALO".into(),
                    "UBND-NGHILOC".into(),
                    "UBND-VINH".into(),
                ],
                report_deadline: Some("2099-11-30 17:00".into()),
                ..NewBriefing::default()
            })
            .unwrap();
        let points = store.points(&briefing.id).unwrap();
        (briefing, points)
    }

    fn ind(name: &str, measure: &str, value: &str, plan: Option<&str>) -> NewIndicator {
        NewIndicator {
            name: name.into(),
            measure: measure.into(),
            value: value.into(),
            plan: plan.map(Into::into),
        }
    }

    fn set(store: &Store, sql: &str, params: &[&str]) {
        let changed = store
            .conn()
            .execute(sql, rusqlite::params_from_iter(params))
            .unwrap();
        assert!(changed > 0, "{sql}");
    }

    #[test]
    fn numbers_are_read_as_people_type_them() {
        for (text, expected) in [
            ("1130.5", 1130.5),
            ("1130,5", 1130.5),
            ("1 130,5", 1130.5),
            ("1\u{a0}130,5", 1130.5),
            ("1\u{202f}130.5", 1130.5),
            ("1 130 000", 1_130_000.0),
            ("1 130,500", 1130.5),
            (" -12,5 ", -12.5),
            ("+7", 7.0),
            ("0,125", 0.125),
            ("0.125", 0.125),
            ("1.13", 1.13),
            ("1,1300", 1.13),
            ("1234.567", 1234.567),
            ("000", 0.0),
            ("1000000000000000", 1e15),
        ] {
            assert_eq!(parse_number(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        let huge = format!("1{}", "0".repeat(400));
        for (text, reason) in [
            ("abc", ProblemCode::NotANumber),
            ("", ProblemCode::NotANumber),
            ("   ", ProblemCode::NotANumber),
            ("-", ProblemCode::NotANumber),
            ("--1", ProblemCode::NotANumber),
            ("NaN", ProblemCode::NotANumber),
            ("inf", ProblemCode::NotANumber),
            ("1e999", ProblemCode::NotANumber),
            ("1e5", ProblemCode::NotANumber),
            (",5", ProblemCode::NotANumber),
            ("5,", ProblemCode::NotANumber),
            ("1  130", ProblemCode::NotANumber),
            ("١٢", ProblemCode::NotANumber),
            ("1,2,3", ProblemCode::RepeatedComma),
            ("1.130.000", ProblemCode::RepeatedDot),
            ("1.130,5", ProblemCode::AmbiguousNumber),
            ("1,130.5", ProblemCode::AmbiguousNumber),
            ("1.130", ProblemCode::AmbiguousNumber),
            ("12,345", ProblemCode::AmbiguousNumber),
            ("-100.000", ProblemCode::AmbiguousNumber),
            ("1 13", ProblemCode::ThousandsGroups),
            ("1130 000", ProblemCode::ThousandsGroups),
            ("1000000000000001", ProblemCode::NumberTooLarge),
            (huge.as_str(), ProblemCode::NumberTooLarge),
        ] {
            assert_eq!(parse_number(text), Err(reason), "{text:?}");
        }
    }

    #[test]
    fn percent_of_plan_is_rounded_to_one_decimal() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);

        let report = store
            .submit_report(
                &p[2],
                "Báo cáo 6 tháng",
                &[
                    ind("Doanh thu", "tỷ đồng", "1 130,5", Some("1000")),
                    ind("Thuê bao", "", "2", Some("3")),
                    ind("Trạm BTS", "trạm", "1", Some("3")),
                    ind("Sự cố", "vụ", "4", None),
                    ind("Kế hoạch trống", "", "4", Some("  ")),
                    ind("Tỷ lệ phủ sóng", "%", "0,7", Some("40")),
                ],
            )
            .unwrap();

        let percents: Vec<_> = report
            .indicators
            .iter()
            .map(|i| i.percent_of_plan)
            .collect();
        assert_eq!(
            percents,
            [Some(113.1), Some(66.7), Some(33.3), None, None, Some(1.8)],
            "113.05 and 1.75 round up"
        );
        assert_eq!(report.indicators[0].value, 1130.5);
        assert_eq!(report.indicators[0].plan, Some(1000.0));
        assert_eq!(report.indicators[4].plan, None, "a blank plan is no plan");
        assert_eq!(percent(-1.0, 20.0), Some(-5.0));
        assert_eq!(percent(1e15, 1e-300), None);
    }

    #[test]
    fn a_narrative_keeps_its_line_breaks_and_tabs() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);

        let report = store
            .submit_report(&p[2], "  Dòng một\nDòng hai\tcột  ", &[])
            .unwrap();

        assert_eq!(report.narrative, "Dòng một\nDòng hai\tcột");
    }

    #[test]
    fn a_bad_indicator_is_named_and_numbered_from_one() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);
        let submit = |indicators: &[NewIndicator]| store.submit_report(&p[2], "", indicators);

        assert_eq!(
            invalid(submit(&[
                ind("Thuê bao", "", "1", None),
                ind("Doanh thu", "tỷ đồng", "abc", None),
            ])),
            "indicator 2, value: \"abc\" is not a number"
        );
        let wrong_plan = problem(submit(&[ind("Doanh thu", "", "5", Some("1.130.000"))]));
        assert_eq!(wrong_plan.code(), ProblemCode::RepeatedDot);
        assert_eq!(
            wrong_plan.field().map(ToString::to_string).as_deref(),
            Some("indicators.1.plan"),
            "the field as the client reads it"
        );
        assert_eq!(
            invalid(submit(&[ind("Doanh thu", "", "5", Some("0"))])),
            "indicator 1, plan: must be greater than 0, not \"0\""
        );
        assert!(
            invalid(submit(&[ind("Doanh thu", "", "5", Some("x"))]))
                .starts_with("indicator 1, plan: \"x\" is not a number")
        );
        assert_eq!(
            invalid(submit(&[ind("  ", "", "5", None)])),
            "indicator 1, name: must not be empty"
        );
        assert!(invalid(submit(&[ind(&"x".repeat(201), "", "5", None)])).contains("at most 200"));
        assert!(
            invalid(submit(&[ind("Doanh thu", &"đ".repeat(41), "5", None)])).contains("at most 40")
        );
        assert!(
            invalid(submit(&[ind("Doanh\u{7}thu", "", "5", None)]))
                .contains("must not contain control characters")
        );
        let bell = store.submit_report(&p[2], "Báo cáo\u{7}", &[]);
        assert_eq!(
            invalid(bell),
            "narrative: must not contain control characters"
        );
        assert_eq!(
            invalid(submit(&[
                ind("Doanh thu", "tỷ đồng", "1", None),
                ind(" DOANH THU ", "Tỷ đồng ", "2", None),
            ])),
            "indicator 2: indicator 1 has the same name and measure; \
             give each indicator once"
        );
        let many: Vec<_> = (0..=MAX_INDICATORS)
            .map(|i| ind(&format!("Chỉ tiêu {i}"), "", "1", None))
            .collect();
        assert_eq!(invalid(submit(&many)), "indicator: at most 50, not 51");
        assert!(
            invalid(store.submit_report(&p[2], &"a".repeat(20_001), &[])).contains("narrative")
        );
        assert_eq!(store.report(&p[2].id).unwrap(), None, "nothing was stored");
    }

    #[test]
    fn resubmission_keeps_submitted_at_and_replaces_indicators() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);
        store
            .submit_report(
                &p[2],
                "Bản đầu",
                &[
                    ind("Doanh thu", "tỷ đồng", "10", None),
                    ind("Thuê bao", "", "5", None),
                ],
            )
            .unwrap();
        set(
            &store,
            "UPDATE reports SET submitted_at = ?1, updated_at = ?1 WHERE point_id = ?2",
            &["2026-11-01T01:00:00Z", &p[2].id.0],
        );

        let report = store
            .submit_report(&p[2], "  Bản sửa  ", &[ind("Trạm BTS", "trạm", "7", None)])
            .unwrap();

        assert_eq!(report.submitted_at, "2026-11-01T01:00:00Z");
        assert_ne!(report.updated_at, "2026-11-01T01:00:00Z");
        assert_eq!(report.narrative, "Bản sửa");
        assert_eq!(
            report.indicators,
            [Indicator {
                name: "Trạm BTS".into(),
                measure: "trạm".into(),
                value: 7.0,
                plan: None,
                percent_of_plan: None,
            }]
        );
        assert_eq!(store.report(&p[2].id).unwrap(), Some(report));
    }

    #[test]
    fn a_refused_submission_leaves_the_previous_report_intact() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);
        let first = store
            .submit_report(&p[2], "Bản đầu", &[ind("Doanh thu", "", "10", None)])
            .unwrap();

        let refused = store.submit_report(
            &p[2],
            "Bản sửa",
            &[
                ind("Thuê bao", "", "1", None),
                ind("Doanh thu", "", "1.130,5", None),
            ],
        );

        assert!(matches!(refused, Err(StoreError::Invalid(_))));
        assert_eq!(store.report(&p[2].id).unwrap(), Some(first));
    }

    #[test]
    fn an_empty_report_is_refused_and_a_draft_does_not_count() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);

        let empty = store.submit_report(&p[2], "  \n ", &[]);
        assert!(invalid(empty).starts_with("the report is empty"));
        assert_eq!(store.report(&p[2].id).unwrap(), None, "nothing stored");

        let draft = store
            .save_report_draft(&p[2], "", &[ind("Trạm BTS", "trạm", "7", None)])
            .unwrap();
        assert!(draft.draft);
        assert!(!draft.on_time);
        let blank = store.save_report_draft(&p[3], "", &[]).unwrap();
        assert!(blank.draft, "an empty draft may be saved");
        // Only the unit sees its draft: the host's list and the dashboard do not count it.
        assert!(store.report(&p[2].id).unwrap().unwrap().draft);
        assert!(store.reports(&b.id).unwrap().is_empty());
        let dashboard = store.dashboard(&b.id).unwrap();
        assert_eq!(dashboard.submitted, 0);
        assert!(dashboard.indicators.is_empty());

        // Submitting the draft counts it from then on; a submitted report has no draft.
        let submitted = store
            .submit_report(&p[2], "Quý IV", &[ind("Trạm BTS", "trạm", "8", None)])
            .unwrap();
        assert!(!submitted.draft);
        assert!(submitted.submitted_at >= draft.submitted_at);
        assert_eq!(store.dashboard(&b.id).unwrap().submitted, 1);
        assert!(matches!(
            store.save_report_draft(&p[2], "Nháp", &[]),
            Err(StoreError::Conflict(_))
        ));
        assert!(!store.report(&p[2].id).unwrap().unwrap().draft);
    }

    #[test]
    fn a_report_of_an_unknown_point_is_refused() {
        let (_dir, store) = temp_store();
        let (_, p) = briefing(&store);
        let mut ghost = p[2].clone();
        ghost.id = PointId("khongco".into());

        assert!(is_not_found(&store.submit_report(&ghost, "Báo cáo", &[])));
        assert_eq!(store.report(&ghost.id).unwrap(), None);
    }

    #[test]
    fn on_time_until_the_deadline_and_late_after() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);

        let report = store.submit_report(&p[2], "Đúng hạn", &[]).unwrap();
        assert!(report.on_time);

        set(
            &store,
            "UPDATE briefings SET report_deadline = ?1 WHERE id = ?2",
            &["2026-01-01T08:00:00+07:00", &b.id.0],
        );
        assert!(!store.report(&p[2].id).unwrap().unwrap().on_time);
    }

    #[test]
    fn the_deadline_is_compared_as_an_instant_not_as_text() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);
        store.submit_report(&p[2], "Báo cáo", &[]).unwrap();
        store.submit_report(&p[3], "Báo cáo", &[]).unwrap();
        // 08:00 in Vietnam is 01:00 UTC: 01:30Z is late although "…T01:30…" < "…T08:00…".
        set(
            &store,
            "UPDATE briefings SET report_deadline = NULL, scheduled_start = ?1 WHERE id = ?2",
            &["2026-11-20T08:00:00+07:00", &b.id.0],
        );
        set(
            &store,
            "UPDATE reports SET submitted_at = ?1 WHERE point_id = ?2",
            &["2026-11-20T01:30:00Z", &p[2].id.0],
        );
        set(
            &store,
            "UPDATE reports SET submitted_at = ?1 WHERE point_id = ?2",
            &["2026-11-20T01:00:00Z", &p[3].id.0],
        );

        let reports = store.reports(&b.id).unwrap();

        assert_eq!(reports[0].point, "UBND thị xã Cửa Lò");
        assert!(!reports[0].on_time, "30 minutes late");
        assert!(reports[1].on_time, "exactly at the deadline");
    }

    #[test]
    fn reports_come_in_invitation_order() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);
        store.submit_report(&p[4], "Vinh", &[]).unwrap();
        store.submit_report(&p[0], "Chủ trì", &[]).unwrap();
        store.submit_report(&p[2], "Cửa Lò", &[]).unwrap();

        let names: Vec<_> = store
            .reports(&b.id)
            .unwrap()
            .into_iter()
            .map(|r| (r.point, r.unit_code))
            .collect();

        assert_eq!(
            names,
            [
                (
                    "Sở Thông tin và Truyền thông".into(),
                    Some("SO-TTTT".into())
                ),
                ("UBND thị xã Cửa Lò".into(), Some("UBND-CUALO".into())),
                ("UBND thành phố Vinh".into(), Some("UBND-VINH".into())),
            ]
        );
        assert!(
            store
                .reports(&BriefingId("khongco".into()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn dashboard_groups_indicators_and_lists_late_missing_and_pending() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);
        let [host, _named, cualo, nghiloc, vinh] = [0, 1, 2, 3, 4].map(|i| &p[i]);
        store
            .submit_report(host, "", &[ind("Doanh thu", "tỷ đồng", "999", None)])
            .unwrap();
        store
            .submit_report(
                cualo,
                "",
                &[
                    ind("Doanh thu", "tỷ đồng", "100", Some("200")),
                    ind("Thuê bao", "", "10", None),
                    ind("Tỷ lệ", "%", "0,1", None),
                ],
            )
            .unwrap();
        store
            .submit_report(
                nghiloc,
                "",
                &[
                    ind("Thuê bao", "", "5", Some("20")),
                    ind(" doanh THU ", "Tỷ đồng", "50", None),
                    ind("Tỷ lệ", "%", "0,2", None),
                    ind("Doanh thu", "triệu đồng", "7", None),
                ],
            )
            .unwrap();
        store.revoke_point(&b.id, &vinh.name).unwrap();
        // Deadline passed: Cửa Lò filed before it, Nghi Lộc after, the named point not at all.
        set(
            &store,
            "UPDATE briefings SET report_deadline = ?1 WHERE id = ?2",
            &["2026-11-01T08:00:00+07:00", &b.id.0],
        );
        set(
            &store,
            "UPDATE reports SET submitted_at = ?1 WHERE point_id = ?2",
            &["2026-11-01T00:59:59Z", &cualo.id.0],
        );

        let dashboard = store.dashboard(&b.id).unwrap();

        assert_eq!(dashboard.report_deadline, "2026-11-01T08:00:00+07:00");
        let statuses: Vec<_> = dashboard
            .points
            .iter()
            .map(|d| (d.point.as_str(), d.status, d.submitted_at.is_some()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("Phòng họp dự phòng", ReportStatus::Missing, false),
                ("UBND thị xã Cửa Lò", ReportStatus::OnTime, true),
                ("UBND huyện Nghi Lộc", ReportStatus::Late, true),
            ],
            "the host and the revoked point are not expected"
        );
        assert_eq!(dashboard.points[1].unit_code.as_deref(), Some("UBND-CUALO"));
        assert_eq!(dashboard.late, ["UBND huyện Nghi Lộc"]);
        assert_eq!(dashboard.missing, ["Phòng họp dự phòng"]);
        assert_eq!((dashboard.submitted, dashboard.expected), (2, 3));
        let host_report = dashboard
            .host_report
            .as_ref()
            .expect("the host filed a report");
        assert_eq!(host_report.indicators[0].value, 999.0);

        let rows: Vec<_> = dashboard
            .indicators
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.measure.as_str(),
                    r.total_value,
                    r.total_plan,
                    r.percent_of_plan,
                    r.by_point.len(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("Doanh thu", "tỷ đồng", 150.0, Some(200.0), Some(50.0), 2),
                ("Thuê bao", "", 15.0, Some(20.0), Some(25.0), 2),
                ("Tỷ lệ", "%", 0.15, None, None, 2),
                ("Doanh thu", "triệu đồng", 7.0, None, None, 1),
            ]
        );
        let aggregates: Vec<_> = dashboard.indicators.iter().map(|r| r.aggregate).collect();
        assert_eq!(
            aggregates,
            [
                Aggregate::Sum,
                Aggregate::Sum,
                Aggregate::Mean,
                Aggregate::Sum
            ],
            "a rate is averaged, not summed"
        );
        assert_eq!(
            dashboard.indicators[0].by_point,
            [
                PointIndicator {
                    point: "UBND thị xã Cửa Lò".into(),
                    value: 100.0,
                    plan: Some(200.0),
                    percent_of_plan: Some(50.0),
                },
                PointIndicator {
                    point: "UBND huyện Nghi Lộc".into(),
                    value: 50.0,
                    plan: None,
                    percent_of_plan: None,
                },
            ]
        );

        // Before the deadline nobody is missing yet, and a filed report is on time.
        set(
            &store,
            "UPDATE briefings SET report_deadline = ?1 WHERE id = ?2",
            &["2099-11-30T17:00:00+07:00", &b.id.0],
        );
        let dashboard = store.dashboard(&b.id).unwrap();
        let statuses: Vec<_> = dashboard.points.iter().map(|d| d.status).collect();
        assert_eq!(
            statuses,
            [
                ReportStatus::Pending,
                ReportStatus::OnTime,
                ReportStatus::OnTime
            ]
        );
        assert!(dashboard.late.is_empty() && dashboard.missing.is_empty());
    }

    #[test]
    fn dashboard_of_an_unknown_briefing_is_not_found() {
        let (_dir, store) = temp_store();

        assert!(is_not_found(
            &store.dashboard(&BriefingId("khongco".into()))
        ));
    }

    #[test]
    fn json_has_exactly_the_documented_fields() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing(&store);
        let report = store
            .submit_report(
                &p[2],
                "Tốt",
                &[ind("Doanh thu", "tỷ đồng", "5", Some("10"))],
            )
            .unwrap();

        let report = serde_json::to_value(&report).unwrap();
        let dashboard = serde_json::to_value(store.dashboard(&b.id).unwrap()).unwrap();

        let keys = |v: &serde_json::Value| {
            let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&report),
            [
                "draft",
                "indicators",
                "narrative",
                "on_time",
                "point",
                "point_id",
                "submitted_at",
                "unit_code",
                "updated_at"
            ]
        );
        assert_eq!(
            report["indicators"][0],
            serde_json::json!({"name": "Doanh thu", "measure": "tỷ đồng", "value": 5.0,
                               "plan": 10.0, "percent_of_plan": 50.0})
        );
        assert_eq!(
            keys(&dashboard),
            [
                "expected",
                "host_report",
                "indicators",
                "late",
                "missing",
                "points",
                "report_deadline",
                "submitted"
            ]
        );
        assert_eq!(
            keys(&dashboard["points"][0]),
            ["point", "point_id", "status", "submitted_at", "unit_code"]
        );
        assert_eq!(dashboard["points"][0]["status"], "pending");
        assert_eq!(dashboard["points"][1]["status"], "on_time");
        assert_eq!(
            keys(&dashboard["indicators"][0]),
            [
                "aggregate",
                "by_point",
                "defined",
                "measure",
                "name",
                "percent_of_plan",
                "total_plan",
                "total_value"
            ]
        );
        assert_eq!(
            keys(&dashboard["indicators"][0]["by_point"][0]),
            ["percent_of_plan", "plan", "point", "value"]
        );
    }
}
