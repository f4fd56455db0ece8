//! Participation statistics of the units: how often each was invited and came, filed its
//! report on time, finished the tasks it owns, and raised concerns and proposals; as JSON rows
//! and as a CSV file for Excel.
//!
//! A unit takes part through the points that stand for it. The host of a briefing is not
//! invited to it, and a revoked invitation is no invitation: only the other points count.

use std::collections::HashMap;

use giaoban_model::BriefingId;
use rusqlite::{Row, Transaction};
use serde::Serialize;

use crate::attendance::push_record;
use crate::direction::ensure_briefing;
use crate::schedule::{date_in_vietnam, is_past, not_after};
use crate::{Store, StoreError};

/// One unit's line of the statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitStatistics {
    pub unit_code: String,
    /// The unit's name.
    pub unit: String,
    /// Briefings the unit was invited to whose scheduled start has passed.
    pub briefings_invited: u32,
    /// Of those, the briefings the unit joined (an attendance session) or answered the
    /// roll-call present or by a substitute.
    pub briefings_attended: u32,
    /// `briefings_attended / briefings_invited` rounded half up to three decimals; `None` when
    /// the unit was invited to none.
    pub attendance_rate: Option<f64>,
    /// Briefings the unit was invited to whose report deadline (or, without one, scheduled
    /// start) has passed.
    pub reports_due: u32,
    /// Of those, the ones whose report was first submitted at or before the deadline.
    pub reports_on_time: u32,
    /// Tasks the unit is an owner of, in every briefing.
    pub tasks_owned: u32,
    /// Of those, the ones done.
    pub tasks_done: u32,
    /// Of those, the ones done on or before their deadline (the date in Vietnam).
    pub tasks_done_on_time: u32,
    /// Concerns raised by the unit's points.
    pub concerns_raised: u32,
    /// Proposals raised by the unit's points.
    pub proposals_raised: u32,
}

impl Store {
    /// The statistics of every unit, by code; or, with `only`, of the units invited to that
    /// briefing (the host and revoked points aside), in invitation order. Either way the
    /// figures run across all briefings.
    ///
    /// [`StoreError::NotFound`] if `only` names an unknown briefing.
    pub fn unit_statistics(
        &self,
        only: Option<&BriefingId>,
    ) -> Result<Vec<UnitStatistics>, StoreError> {
        let mut conn = self.conn();
        // One read transaction, so that the figures are of one moment.
        let tx = conn.transaction()?;
        let mut rows = units(&tx, only)?;
        let index: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.unit_code.clone(), i))
            .collect();
        count_invitations(&tx, &index, &mut rows)?;
        count_tasks(&tx, &index, &mut rows)?;
        count_concerns(&tx, &index, &mut rows)?;
        tx.commit()?;
        for row in &mut rows {
            row.attendance_rate = rate(row.briefings_attended, row.briefings_invited);
        }
        Ok(rows)
    }
}

/// The header of the CSV file, in Vietnamese.
const CSV_HEADER: [&str; 12] = [
    "Mã đơn vị",
    "Đơn vị",
    "Số cuộc được mời",
    "Số cuộc tham dự",
    "Tỷ lệ tham dự (%)",
    "Báo cáo phải nộp",
    "Báo cáo đúng hạn",
    "Nhiệm vụ được giao",
    "Nhiệm vụ hoàn thành",
    "Hoàn thành đúng hạn",
    "Vướng mắc nêu",
    "Đề xuất nêu",
];

/// The statistics as a CSV file for Excel, made like the attendance report: UTF-8 with a byte
/// order mark, CRLF line ends, RFC 4180 quoting, a Vietnamese header, and a leading `'` on a
/// field a spreadsheet would take for a formula. The attendance rate is a percentage with one
/// decimal, empty when the unit was invited to nothing.
pub fn statistics_csv(rows: &[UnitStatistics]) -> String {
    let mut out = String::from("\u{feff}");
    push_record(&mut out, CSV_HEADER);
    for row in rows {
        let rate = row
            .attendance_rate
            .map(|r| {
                // The rate has three decimals, so the percentage has exactly one.
                let permille = (r * 1000.0).round() as u64;
                format!("{}.{}", permille / 10, permille % 10)
            })
            .unwrap_or_default();
        let counts = [
            row.briefings_invited,
            row.briefings_attended,
            row.reports_due,
            row.reports_on_time,
            row.tasks_owned,
            row.tasks_done,
            row.tasks_done_on_time,
            row.concerns_raised,
            row.proposals_raised,
        ]
        .map(|n| n.to_string());
        let [
            invited,
            attended,
            due,
            on_time,
            owned,
            done,
            done_on_time,
            concerns,
            proposals,
        ] = &counts;
        push_record(
            &mut out,
            [
                row.unit_code.as_str(),
                &row.unit,
                invited,
                attended,
                &rate,
                due,
                on_time,
                owned,
                done,
                done_on_time,
                concerns,
                proposals,
            ],
        );
    }
    out
}

/// `part / whole` rounded half up to three decimals, in integer arithmetic so that 2/3 is
/// exactly `0.667`; `None` when `whole` is 0.
fn rate(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| {
        let permille = (u64::from(part) * 1000 + u64::from(whole) / 2) / u64::from(whole);
        permille as f64 / 1000.0
    })
}

/// The units to report on, with every figure 0.
fn units(
    tx: &Transaction<'_>,
    only: Option<&BriefingId>,
) -> Result<Vec<UnitStatistics>, StoreError> {
    let zero = |(unit_code, unit): (String, String)| UnitStatistics {
        unit_code,
        unit,
        briefings_invited: 0,
        briefings_attended: 0,
        attendance_rate: None,
        reports_due: 0,
        reports_on_time: 0,
        tasks_owned: 0,
        tasks_done: 0,
        tasks_done_on_time: 0,
        concerns_raised: 0,
        proposals_raised: 0,
    };
    let pair = |row: &Row<'_>| Ok((row.get(0)?, row.get(1)?));
    let units: Vec<(String, String)> = match only {
        None => {
            let mut stmt = tx.prepare_cached("SELECT code, name FROM units ORDER BY code")?;
            let rows = stmt.query_map([], pair)?;
            rows.collect::<Result<_, _>>()?
        }
        Some(briefing) => {
            ensure_briefing(tx, briefing)?;
            let mut stmt = tx.prepare_cached(
                "SELECT u.code, u.name FROM points p JOIN units u ON u.code = p.unit_code
                 WHERE p.briefing_id = ?1 AND p.role = 'point' AND p.revoked_at IS NULL
                 ORDER BY p.position",
            )?;
            let rows = stmt.query_map([&briefing.0], pair)?;
            rows.collect::<Result<_, _>>()?
        }
    };
    Ok(units.into_iter().map(zero).collect())
}

/// Invitations, attendance and reports, from every unit's points in every briefing.
fn count_invitations(
    tx: &Transaction<'_>,
    index: &HashMap<String, usize>,
    rows: &mut [UnitStatistics],
) -> Result<(), StoreError> {
    /// One unit at one briefing.
    #[derive(Default)]
    struct Invitation {
        started: bool,
        attended: bool,
        due: bool,
        on_time: bool,
    }
    // A unit is invited to a briefing once, but nothing in the schema says so: count briefings,
    // not points.
    let mut invitations: HashMap<(usize, String), Invitation> = HashMap::new();
    for_each_unit_row(
        tx,
        "SELECT p.unit_code, p.briefing_id, b.scheduled_start,
                COALESCE(b.report_deadline, b.scheduled_start),
                EXISTS (SELECT 1 FROM attendance_sessions s WHERE s.point_id = p.id)
                OR EXISTS (SELECT 1 FROM roll_call_answers a
                           WHERE a.point_id = p.id AND a.status IN ('present', 'substitute')),
                r.submitted_at
         FROM points p
         JOIN briefings b ON b.id = p.briefing_id
         LEFT JOIN reports r ON r.point_id = p.id AND r.draft = 0
         WHERE p.role = 'point' AND p.revoked_at IS NULL AND p.unit_code IS NOT NULL",
        index,
        |i, row| {
            let start: String = row.get(2)?;
            let deadline: String = row.get(3)?;
            let attended: bool = row.get(4)?;
            let submitted_at: Option<String> = row.get(5)?;
            let entry = invitations.entry((i, row.get(1)?)).or_default();
            entry.started |= is_past(&start);
            entry.attended |= attended;
            entry.due |= is_past(&deadline);
            entry.on_time |= submitted_at.is_some_and(|s| not_after(&s, &deadline));
            Ok(())
        },
    )?;
    for ((i, _), inv) in invitations {
        let row = &mut rows[i];
        if inv.started {
            row.briefings_invited += 1;
            row.briefings_attended += u32::from(inv.attended);
        }
        if inv.due {
            row.reports_due += 1;
            row.reports_on_time += u32::from(inv.on_time);
        }
    }
    Ok(())
}

/// The tasks each unit owns, in every briefing.
fn count_tasks(
    tx: &Transaction<'_>,
    index: &HashMap<String, usize>,
    rows: &mut [UnitStatistics],
) -> Result<(), StoreError> {
    for_each_unit_row(
        tx,
        "SELECT o.unit_code, t.deadline, t.status = 'done', t.done_at
         FROM task_owners o JOIN tasks t ON t.id = o.task_id",
        index,
        |i, row| {
            let deadline: String = row.get(1)?;
            let done: bool = row.get(2)?;
            let done_at: Option<String> = row.get(3)?;
            let line = &mut rows[i];
            line.tasks_owned += 1;
            if done {
                line.tasks_done += 1;
                // Both are `YYYY-MM-DD`, so text order is date order.
                let on_time = done_at
                    .and_then(|d| date_in_vietnam(&d))
                    .is_some_and(|day| day <= deadline);
                line.tasks_done_on_time += u32::from(on_time);
            }
            Ok(())
        },
    )
}

/// Concerns and proposals raised by each unit's points.
fn count_concerns(
    tx: &Transaction<'_>,
    index: &HashMap<String, usize>,
    rows: &mut [UnitStatistics],
) -> Result<(), StoreError> {
    for_each_unit_row(
        tx,
        "SELECT p.unit_code, SUM(c.kind = 'concern'), SUM(c.kind = 'proposal')
         FROM concerns c JOIN points p ON p.id = c.point_id
         WHERE p.unit_code IS NOT NULL
         GROUP BY p.unit_code",
        index,
        |i, row| {
            rows[i].concerns_raised = row.get(1)?;
            rows[i].proposals_raised = row.get(2)?;
            Ok(())
        },
    )
}

/// Runs `sql`, whose first column is a unit code, and calls `each` with the place of that
/// unit's line in `index` and the row; rows of the units not reported on are passed over.
fn for_each_unit_row(
    tx: &Transaction<'_>,
    sql: &str,
    index: &HashMap<String, usize>,
    mut each: impl FnMut(usize, &Row<'_>) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut query = stmt.query([])?;
    while let Some(row) = query.next()? {
        let unit: String = row.get(0)?;
        if let Some(&i) = index.get(&unit) {
            each(i, row)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NGHE_AN, is_not_found, temp_store};
    use crate::{Briefing, NewBriefing, Point, RollCallRecord};

    /// 2026-11-20T01:00:00Z.
    const T0: u64 = 1_795_654_800_000;

    fn briefing(store: &Store, units: &[&str], start: &str) -> (Briefing, Vec<Point>) {
        let briefing = store
            .create_briefing(&NewBriefing {
                title: "Giao ban".into(),
                scheduled_start: Some("2099-12-01 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                units: units.iter().map(|&u| u.into()).collect(),
                ..NewBriefing::default()
            })
            .unwrap();
        // Briefings cannot be created in the past; the statistics are about past ones.
        run(
            store,
            "UPDATE briefings SET scheduled_start = ?1 WHERE id = ?2",
            &[start, &briefing.id.0],
        );
        let points = store.points(&briefing.id).unwrap();
        (briefing, points)
    }

    fn run(store: &Store, sql: &str, params: &[&str]) {
        store
            .conn()
            .execute(sql, rusqlite::params_from_iter(params))
            .unwrap();
    }

    fn answer(store: &Store, point: &Point, status: &str) {
        store
            .record_roll_call(
                &point.briefing_id,
                &point.id,
                &RollCallRecord {
                    status: status.into(),
                    substitute: (status == "substitute").then(|| "Phó Chủ tịch".into()),
                    reason: None,
                },
                T0,
            )
            .unwrap();
    }

    /// Files `point`'s report as if at `at`.
    fn report(store: &Store, point: &Point, at: &str) {
        store.submit_report(point, "Báo cáo", &[]).unwrap();
        run(
            store,
            "UPDATE reports SET submitted_at = ?1 WHERE point_id = ?2",
            &[at, &point.id.0],
        );
    }

    fn task(store: &Store, briefing: &Briefing, owners: &[&str], deadline: &str, done_at: &str) {
        let status = if done_at.is_empty() { "open" } else { "done" };
        let conn = store.conn();
        conn.execute(
            "INSERT INTO tasks (briefing_id, text, deadline, status, done_at, created_at,
                                updated_at)
             VALUES (?1, 'Nhiệm vụ', ?2, ?3, NULLIF(?4, ''), ?5, ?5)",
            rusqlite::params![
                briefing.id.0,
                deadline,
                status,
                done_at,
                "2026-11-01T01:00:00Z"
            ],
        )
        .unwrap();
        let task = conn.last_insert_rowid();
        for (position, owner) in owners.iter().enumerate() {
            conn.execute(
                "INSERT INTO task_owners (task_id, position, unit_code) VALUES (?1, ?2, ?3)",
                rusqlite::params![task, position as i64, owner],
            )
            .unwrap();
        }
    }

    fn concern(store: &Store, point: &Point, kind: &str) {
        run(
            store,
            "INSERT INTO concerns (briefing_id, point_id, kind, text, raised_at)
             VALUES (?1, ?2, ?3, 'Kiến nghị', '2026-11-01T01:00:00Z')",
            &[&point.briefing_id.0, &point.id.0, kind],
        );
    }

    /// (code, invited, attended, rate, due, on time, owned, done, done on time, concerns,
    /// proposals)
    type Figures<'a> = (
        &'a str,
        u32,
        u32,
        Option<f64>,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
    );

    fn figures(rows: &[UnitStatistics]) -> Vec<Figures<'_>> {
        rows.iter()
            .map(|r| {
                (
                    r.unit_code.as_str(),
                    r.briefings_invited,
                    r.briefings_attended,
                    r.attendance_rate,
                    r.reports_due,
                    r.reports_on_time,
                    r.tasks_owned,
                    r.tasks_done,
                    r.tasks_done_on_time,
                    r.concerns_raised,
                    r.proposals_raised,
                )
            })
            .collect()
    }

    #[test]
    fn statistics_count_attendance_reports_tasks_and_concerns_across_briefings() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        // Points: [host, Cửa Lò, Nghi Lộc, Vinh].
        let (b1, p1) = briefing(
            &store,
            &["UBND-CUALO", "UBND-NGHILOC", "UBND-VINH"],
            "2026-11-10T08:00:00+07:00",
        );
        // Points: [host, Cửa Lò, Nghi Lộc].
        let (b2, p2) = briefing(
            &store,
            &["UBND-CUALO", "UBND-NGHILOC"],
            "2026-11-17T01:00:00Z",
        );
        // Points: [host, Cửa Lò, Hưng Bình (revoked)].
        let (b3, p3) = briefing(
            &store,
            &["UBND-CUALO", "P-HUNGBINH"],
            "2026-11-20T08:00:00+07:00",
        );
        store.revoke_point(&b3.id, &p3[2].name).unwrap();
        // Not started yet: neither invited nor due.
        let (_, p4) = briefing(&store, &["UBND-CUALO"], "2099-12-01T08:00:00+07:00");
        store
            .record_join(&p4[1].briefing_id, &p4[1].id, T0)
            .unwrap();

        // Attendance: Cửa Lò joined b1 and answered b2 present, missed b3; Nghi Lộc sent a
        // substitute to b1 and missed b2; Vinh answered absent; Hưng Bình came but was
        // revoked.
        store.record_join(&b1.id, &p1[1].id, T0).unwrap();
        answer(&store, &p2[1], "present");
        answer(&store, &p1[2], "substitute");
        answer(&store, &p1[3], "absent");
        store.record_join(&b3.id, &p3[2].id, T0).unwrap();

        // Reports, due at each start: 07:59 in Vietnam is on time for b1, 08:00:01 is late.
        report(&store, &p1[1], "2026-11-10T00:59:00Z");
        report(&store, &p1[2], "2026-11-10T01:00:01Z");
        report(&store, &p2[1], "2026-11-17T02:00:00Z");
        report(&store, &p2[2], "2026-11-17T01:00:00Z");
        report(&store, &p4[1], "2026-11-17T01:00:00Z");

        // Tasks: done at 00:30 on the 11th in Vietnam is late for a deadline of the 10th,
        // although it is still the 10th in UTC.
        task(
            &store,
            &b1,
            &["UBND-CUALO", "UBND-NGHILOC"],
            "2026-11-10",
            "2026-11-10T17:30:00Z",
        );
        task(
            &store,
            &b1,
            &["UBND-CUALO"],
            "2026-11-10",
            "2026-11-10T16:59:59Z",
        );
        task(&store, &b2, &["UBND-CUALO"], "2026-11-30", "");
        task(&store, &b2, &["UBND-NGHILOC"], "2026-11-30", "");

        concern(&store, &p1[1], "concern");
        concern(&store, &p1[1], "concern");
        concern(&store, &p1[1], "proposal");
        concern(&store, &p2[1], "proposal");
        concern(&store, &p2[2], "concern");
        concern(&store, &p1[0], "concern");

        let all = store.unit_statistics(None).unwrap();

        assert_eq!(
            figures(&all),
            [
                ("P-HUNGBINH", 0, 0, None, 0, 0, 0, 0, 0, 0, 0),
                ("P-NGHIHOA", 0, 0, None, 0, 0, 0, 0, 0, 0, 0),
                ("P-NGHITHUY", 0, 0, None, 0, 0, 0, 0, 0, 0, 0),
                ("SO-TTTT", 0, 0, None, 0, 0, 0, 0, 0, 1, 0),
                ("TINH-NA", 0, 0, None, 0, 0, 0, 0, 0, 0, 0),
                ("UBND-CUALO", 3, 2, Some(0.667), 3, 1, 3, 2, 1, 2, 2),
                ("UBND-NGHILOC", 2, 1, Some(0.5), 2, 1, 2, 1, 0, 1, 0),
                ("UBND-VINH", 1, 0, Some(0.0), 1, 0, 0, 0, 0, 0, 0),
                ("X-NGHITHIET", 0, 0, None, 0, 0, 0, 0, 0, 0, 0),
            ]
        );
        assert_eq!(all[5].unit, "UBND thị xã Cửa Lò");

        let only = store.unit_statistics(Some(&b2.id)).unwrap();
        assert_eq!(figures(&only), figures(&all[5..7]), "invitation order");
        assert!(
            store.unit_statistics(Some(&b3.id)).unwrap().len() == 1,
            "the revoked unit is not invited"
        );
        assert!(is_not_found(
            &store.unit_statistics(Some(&BriefingId("khongco".into())))
        ));
    }

    #[test]
    fn rates_are_rounded_half_up_to_three_decimals() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(0, 3), Some(0.0));
        assert_eq!(rate(1, 3), Some(0.333));
        assert_eq!(rate(2, 3), Some(0.667));
        assert_eq!(rate(1, 8), Some(0.125));
        assert_eq!(rate(1, 2000), Some(0.001), "0.0005 rounds up");
        assert_eq!(rate(u32::MAX, u32::MAX), Some(1.0));
    }

    fn row(unit_code: &str, unit: &str, rate: Option<f64>) -> UnitStatistics {
        UnitStatistics {
            unit_code: unit_code.into(),
            unit: unit.into(),
            briefings_invited: 3,
            briefings_attended: 2,
            attendance_rate: rate,
            reports_due: 3,
            reports_on_time: 1,
            tasks_owned: 4,
            tasks_done: 2,
            tasks_done_on_time: 1,
            concerns_raised: 5,
            proposals_raised: 6,
        }
    }

    #[test]
    fn csv_has_bom_vietnamese_header_and_defused_names() {
        let rows = [
            row("UBND-CUALO", "UBND thị xã Cửa Lò", Some(0.667)),
            row("X-1", "=HYPERLINK(\"http://x\"), Cửa Lò", Some(1.0)),
            row("-X", "@SUM(A1)", None),
        ];

        let csv = statistics_csv(&rows);

        let expected = [
            "\u{feff}",
            "Mã đơn vị,Đơn vị,Số cuộc được mời,Số cuộc tham dự,Tỷ lệ tham dự (%),\
             Báo cáo phải nộp,Báo cáo đúng hạn,Nhiệm vụ được giao,Nhiệm vụ hoàn thành,\
             Hoàn thành đúng hạn,Vướng mắc nêu,Đề xuất nêu\r\n",
            "UBND-CUALO,UBND thị xã Cửa Lò,3,2,66.7,3,1,4,2,1,5,6\r\n",
            "X-1,\"'=HYPERLINK(\"\"http://x\"\"), Cửa Lò\",3,2,100.0,3,1,4,2,1,5,6\r\n",
            "'-X,'@SUM(A1),3,2,,3,1,4,2,1,5,6\r\n",
        ]
        .concat();
        assert_eq!(csv, expected);
        assert!(csv.as_bytes().starts_with(b"\xef\xbb\xbf"));
    }

    #[test]
    fn csv_of_no_units_is_the_header() {
        let csv = statistics_csv(&[]);

        assert_eq!(csv.matches("\r\n").count(), 1);
        assert!(csv.starts_with("\u{feff}Mã đơn vị,"));
    }
}
