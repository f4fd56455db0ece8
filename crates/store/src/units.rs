//! Units ("đơn vị"): the province's organisation tree — province, departments and districts,
//! communes and wards — with each unit's official mailboxes ("hộp thư công vụ").
//!
//! Units come from a CSV file the organiser keeps (see [`Store::import_units_csv`]); importing
//! it again updates what changed, so the file can stay the single place where the tree is
//! maintained. A briefing invites units by code, and the unit's name becomes its point's name.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use giaoban_model::{Field, Problem, ProblemCode};

use crate::units_csv::{self, UnitRow, at_field};
use crate::{Store, StoreError, schedule};

/// Longest unit code, in characters.
pub const MAX_UNIT_CODE_CHARS: usize = 32;

/// Longest unit name, in characters.
pub const MAX_UNIT_NAME_CHARS: usize = 200;

/// Most official e-mail addresses of one unit.
pub const MAX_UNIT_EMAILS: usize = 10;

/// Most units in one imported file. A province down to its communes has about a thousand.
pub const MAX_IMPORT_UNITS: usize = 20_000;

/// The code of a unit, e.g. `SO-TTTT` or `UBND-CUALO`: 1 to [`MAX_UNIT_CODE_CHARS`] of ASCII
/// letters, digits, `-`, `_` and `.`. Case-sensitive.
///
/// Codes are what scripts, the CSV file and the command line use to name a unit, so they are
/// kept to characters that need no quoting anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    /// The code in `code` (surrounding whitespace ignored), or why it is not one: the problem
    /// [`ProblemCode::Empty`] or [`ProblemCode::BadUnitCode`], about no field yet.
    pub fn parse(code: &str) -> Result<UnitCode, Problem> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Problem::new(ProblemCode::Empty));
        }
        if code.chars().count() > MAX_UNIT_CODE_CHARS
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(Problem::new(ProblemCode::BadUnitCode)
                .with("value", code)
                .with("max", MAX_UNIT_CODE_CHARS));
        }
        Ok(UnitCode(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A code read back from the database, where only checked codes are written.
    pub(crate) fn from_stored(code: String) -> UnitCode {
        UnitCode(code)
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub code: UnitCode,
    /// Trimmed, 1 to [`MAX_UNIT_NAME_CHARS`] characters, e.g. "UBND thị xã Cửa Lò".
    pub name: String,
    /// The unit above this one; `None` for a root such as the province.
    pub parent_code: Option<UnitCode>,
    /// Official mailboxes, in the order given.
    pub emails: Vec<String>,
    /// RFC 3339 in UTC.
    pub created_at: String,
    /// RFC 3339 in UTC: the last import that changed the unit.
    pub updated_at: String,
}

/// What an import did, unit by unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Units that did not exist.
    pub inserted: usize,
    /// Units whose name, parent or e-mail addresses changed.
    pub updated: usize,
    /// Units the file describes exactly as stored.
    pub unchanged: usize,
}

impl Store {
    /// Imports units from CSV text with the header `code,name,parent_code,email`, inserting new
    /// codes and updating known ones; units the file does not mention are kept as they are.
    ///
    /// A parent must be stored already or be in the same file, in any order; the resulting tree
    /// must have no cycle. All or nothing: on any problem [`StoreError::Invalid`] names the line
    /// and the field, and nothing is changed. See the `units_csv` module for the format.
    pub fn import_units_csv(&self, csv: &str) -> Result<ImportReport, StoreError> {
        let rows = units_csv::parse(csv)?;
        let now = schedule::now_utc();

        let mut conn = self.conn();
        // IMMEDIATE: what is compared against is what gets written, even with another process
        // importing at the same time.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: HashMap<UnitCode, Unit> = load_units(&tx)?
            .into_iter()
            .map(|unit| (unit.code.clone(), unit))
            .collect();
        check_parents(&rows, &stored)?;
        check_cycles(&rows, &stored)?;
        check_names(&rows, &stored)?;

        let mut report = ImportReport::default();
        for row in &rows {
            match stored.get(&row.code) {
                None => {
                    tx.execute(
                        "INSERT INTO units (code, name, parent_code, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![
                            row.code.as_str(),
                            row.name,
                            row.parent.as_ref().map(UnitCode::as_str),
                            now
                        ],
                    )?;
                    insert_emails(&tx, row)?;
                    report.inserted += 1;
                }
                Some(unit)
                    if unit.name == row.name
                        && unit.parent_code == row.parent
                        && unit.emails == row.emails =>
                {
                    report.unchanged += 1;
                }
                Some(_) => {
                    tx.execute(
                        "UPDATE units SET name = ?2, parent_code = ?3, updated_at = ?4
                         WHERE code = ?1",
                        params![
                            row.code.as_str(),
                            row.name,
                            row.parent.as_ref().map(UnitCode::as_str),
                            now
                        ],
                    )?;
                    tx.execute(
                        "DELETE FROM unit_emails WHERE unit_code = ?1",
                        [row.code.as_str()],
                    )?;
                    insert_emails(&tx, row)?;
                    report.updated += 1;
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }

    /// Every unit in tree order: each unit before its children, siblings by code.
    pub fn units(&self) -> Result<Vec<Unit>, StoreError> {
        let units = load_units(&self.conn())?;
        Ok(tree_order(units))
    }

    /// The unit with this code, if there is one.
    pub fn unit(&self, code: &str) -> Result<Option<Unit>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT code, name, parent_code, created_at, updated_at FROM units WHERE code = ?1",
        )?;
        let Some(mut unit) = stmt.query_row([code], unit_from_row).optional()? else {
            return Ok(None);
        };
        unit.emails = emails_of(&conn, unit.code.as_str())?;
        Ok(Some(unit))
    }
}

/// Every unit by code, with its e-mail addresses.
fn load_units(conn: &Connection) -> Result<Vec<Unit>, StoreError> {
    let mut units = {
        let mut stmt = conn.prepare_cached(
            "SELECT code, name, parent_code, created_at, updated_at FROM units ORDER BY code",
        )?;
        stmt.query_map([], unit_from_row)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut emails: HashMap<String, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT unit_code, address FROM unit_emails ORDER BY unit_code, position",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        for row in rows {
            let (code, address): (String, String) = row?;
            emails.entry(code).or_default().push(address);
        }
    }
    for unit in &mut units {
        unit.emails = emails.remove(unit.code.as_str()).unwrap_or_default();
    }
    Ok(units)
}

fn emails_of(conn: &Connection, code: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT address FROM unit_emails WHERE unit_code = ?1 ORDER BY position")?;
    let rows = stmt.query_map([code], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn insert_emails(conn: &Connection, row: &UnitRow) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO unit_emails (unit_code, position, address) VALUES (?1, ?2, ?3)",
    )?;
    for (position, address) in row.emails.iter().enumerate() {
        let position = i64::try_from(position).expect("at most MAX_UNIT_EMAILS addresses");
        insert.execute(params![row.code.as_str(), position, address])?;
    }
    Ok(())
}

/// Reads `code, name, parent_code, created_at, updated_at`; the e-mails are left empty.
fn unit_from_row(row: &Row<'_>) -> rusqlite::Result<Unit> {
    Ok(Unit {
        code: UnitCode(row.get(0)?),
        name: row.get(1)?,
        parent_code: row.get::<_, Option<String>>(2)?.map(UnitCode),
        emails: Vec::new(),
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

/// Every parent named in the file is stored or in the file.
fn check_parents(rows: &[UnitRow], stored: &HashMap<UnitCode, Unit>) -> Result<(), StoreError> {
    let in_file: HashSet<&UnitCode> = rows.iter().map(|row| &row.code).collect();
    for row in rows {
        if let Some(parent) = &row.parent
            && !in_file.contains(parent)
            && !stored.contains_key(parent)
        {
            return Err(at_field(
                row.line,
                Field::ParentCode,
                Problem::new(ProblemCode::UnknownParent).with("value", parent.as_str()),
            ));
        }
    }
    Ok(())
}

/// No row names a unit like a stored unit of another code that the file leaves as it is: the
/// list after the import could not tell the two apart ([`crate::text::look_alike`]). The file's
/// own rows were compared with each other when it was read.
fn check_names(rows: &[UnitRow], stored: &HashMap<UnitCode, Unit>) -> Result<(), StoreError> {
    let in_file: HashSet<&UnitCode> = rows.iter().map(|row| &row.code).collect();
    let kept: HashMap<String, &UnitCode> = stored
        .values()
        .filter(|unit| !in_file.contains(&unit.code))
        .map(|unit| (crate::text::look_alike(&unit.name), &unit.code))
        .collect();
    for row in rows {
        if let Some(code) = kept.get(&crate::text::look_alike(&row.name)) {
            return Err(at_field(
                row.line,
                Field::Name,
                Problem::new(ProblemCode::NameTaken)
                    .with("value", row.name.as_str())
                    .with("code", code.as_str()),
            ));
        }
    }
    Ok(())
}

/// The tree the import would leave — the stored units with the file's rows applied — has no
/// cycle.
///
/// The stored tree has none, so every cycle runs through a row of the file that gives a unit a
/// new parent; it is reported on the earliest such line. Each unit is walked towards its root once (memoised), so a deep
/// tree of thousands of units costs linear time.
fn check_cycles(rows: &[UnitRow], stored: &HashMap<UnitCode, Unit>) -> Result<(), StoreError> {
    let rows_by_code: HashMap<&UnitCode, &UnitRow> =
        rows.iter().map(|row| (&row.code, row)).collect();
    let parent_of = |code: &UnitCode| -> Option<&UnitCode> {
        match rows_by_code.get(code) {
            Some(row) => row.parent.as_ref(),
            None => stored.get(code).and_then(|unit| unit.parent_code.as_ref()),
        }
    };

    // Units known to reach a root.
    let mut rooted: HashSet<&UnitCode> = HashSet::new();
    for row in rows {
        let mut path: Vec<&UnitCode> = Vec::new();
        let mut on_path: HashSet<&UnitCode> = HashSet::new();
        let mut current = Some(&row.code);
        while let Some(code) = current {
            if rooted.contains(code) {
                break;
            }
            if !on_path.insert(code) {
                let start = path
                    .iter()
                    .position(|c| *c == code)
                    .expect("a code on the path is in the path");
                return Err(cycle_error(&path[start..], &rows_by_code, stored));
            }
            path.push(code);
            current = parent_of(code);
        }
        rooted.extend(path);
    }
    Ok(())
}

/// The error for `cycle`, the codes of a cycle in child-to-parent order, reported on the
/// earliest line that gives a unit of the cycle a new parent: that row closed it.
fn cycle_error(
    cycle: &[&UnitCode],
    rows_by_code: &HashMap<&UnitCode, &UnitRow>,
    stored: &HashMap<UnitCode, Unit>,
) -> StoreError {
    let reparents = |row: &&&UnitRow| {
        stored
            .get(&row.code)
            .is_none_or(|unit| unit.parent_code != row.parent)
    };
    let row = cycle
        .iter()
        .filter_map(|code| rows_by_code.get(code))
        .filter(reparents)
        .min_by_key(|row| row.line)
        .expect("a stored tree has no cycle, so a row of the file closed this one");
    let parent = row.parent.as_ref().expect("a unit on a cycle has a parent");
    // The cycle written from the reported unit round to itself.
    let at = cycle
        .iter()
        .position(|code| *code == &row.code)
        .expect("the reported unit is on the cycle");
    let mut chain: Vec<&str> = cycle[at..]
        .iter()
        .chain(&cycle[..at])
        .map(|code| code.as_str())
        .collect();
    chain.push(row.code.as_str());
    at_field(
        row.line,
        Field::ParentCode,
        Problem::new(ProblemCode::Cycle)
            .with("value", parent.as_str())
            .with("chain", chain.join(" → ")),
    )
}

/// `units`, sorted by code, in tree order: each unit before its children, siblings by code.
/// A unit whose parent is missing counts as a root, so that no unit is ever left out.
fn tree_order(units: Vec<Unit>) -> Vec<Unit> {
    let index: HashMap<&UnitCode, usize> = units
        .iter()
        .enumerate()
        .map(|(i, unit)| (&unit.code, i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    let mut roots: Vec<usize> = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        match unit.parent_code.as_ref().and_then(|p| index.get(p)) {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
    }

    let mut order: Vec<usize> = Vec::with_capacity(units.len());
    let mut visited = vec![false; units.len()];
    // Depth first with an explicit stack: a deep tree cannot overflow the call stack.
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue;
        }
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    // Only a cycle in the database, which imports refuse, could leave units unvisited.
    order.extend((0..units.len()).filter(|&i| !visited[i]));

    let mut slots: Vec<Option<Unit>> = units.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NGHE_AN, invalid, temp_store};

    const TREE_ORDER: &[&str] = &[
        "TINH-NA",
        "SO-TTTT",
        "UBND-CUALO",
        "P-NGHIHOA",
        "P-NGHITHUY",
        "UBND-NGHILOC",
        "X-NGHITHIET",
        "UBND-VINH",
        "P-HUNGBINH",
    ];

    fn codes(units: &[Unit]) -> Vec<&str> {
        units.iter().map(|u| u.code.as_str()).collect()
    }

    /// The units directly below `code`, by code.
    fn children(store: &Store, code: &str) -> Vec<Unit> {
        let mut below: Vec<Unit> = store
            .units()
            .unwrap()
            .into_iter()
            .filter(|u| u.parent_code.as_ref().is_some_and(|p| p.as_str() == code))
            .collect();
        below.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        below
    }

    #[test]
    fn nghe_an_sample_imports_in_tree_order() {
        let (_dir, store) = temp_store();

        let report = store.import_units_csv(NGHE_AN).unwrap();

        assert_eq!(
            report,
            ImportReport {
                inserted: 9,
                updated: 0,
                unchanged: 0
            }
        );
        let units = store.units().unwrap();
        assert_eq!(codes(&units), TREE_ORDER);
        let province = &units[0];
        assert_eq!(province.name, "UBND tỉnh Nghệ An");
        assert_eq!(province.parent_code, None);
        assert_eq!(
            province.emails,
            ["vpubnd@nghean.gov.vn", "ubnd@nghean.gov.vn"]
        );
        assert_eq!(province.created_at, province.updated_at);
        let cua_lo = store.unit("UBND-CUALO").unwrap().unwrap();
        assert_eq!(cua_lo.name, "UBND thị xã Cửa Lò");
        assert_eq!(cua_lo.parent_code.as_ref().unwrap().as_str(), "TINH-NA");
        assert_eq!(
            cua_lo.emails,
            ["ubnd@cualo.nghean.gov.vn", "vanthu.cualo@nghean.gov.vn"]
        );
        let wards = children(&store, "UBND-CUALO");
        assert_eq!(codes(&wards), ["P-NGHIHOA", "P-NGHITHUY"]);
        assert_eq!(wards[1].name, "UBND phường Nghi Thủy");
        assert_eq!(wards[0].emails, Vec::<String>::new());
        assert!(children(&store, "P-NGHITHUY").is_empty());
        assert!(children(&store, "KHONG-CO").is_empty());
        assert_eq!(store.unit("KHONG-CO").unwrap(), None);
        assert_eq!(
            store.unit("ubnd-cualo").unwrap(),
            None,
            "codes are case-sensitive"
        );
    }

    #[test]
    fn importing_the_same_file_again_changes_nothing() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let before = store.units().unwrap();

        let report = store.import_units_csv(NGHE_AN).unwrap();

        assert_eq!(
            report,
            ImportReport {
                inserted: 0,
                updated: 0,
                unchanged: 9
            }
        );
        assert_eq!(store.units().unwrap(), before);
    }

    #[test]
    fn a_new_unit_named_like_a_stored_one_is_refused_and_nothing_is_written() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let before = store.units().unwrap();
        // Another code, the stored name in other case and with a zero-width space.
        let file = "code,name,parent_code,email\n\
                    X-MOI,UBND phường Mới,TINH-NA,\n\
                    X-CUALO,ubnd thị xã\u{200B} cửa lò,TINH-NA,\n";

        let refused = invalid(store.import_units_csv(file));
        // The same name given by the unit that bears it, or taken over in the same file by
        // another code while the first is renamed, is fine.
        let renamed = "code,name,parent_code,email\n\
                       UBND-CUALO,UBND thị xã Cửa Lò (cũ),TINH-NA,\n\
                       X-CUALO,UBND thị xã Cửa Lò,TINH-NA,\n";
        let unchanged = store.units().unwrap();
        let report = store.import_units_csv(renamed);

        assert!(refused.starts_with("line 3, name: "), "{refused}");
        assert!(refused.contains("stored unit \"UBND-CUALO\""), "{refused}");
        assert_eq!(unchanged, before);
        assert_eq!(report.unwrap().inserted, 1);
    }

    #[test]
    fn a_changed_name_parent_or_mailbox_updates_only_that_unit() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let before = store.unit("UBND-CUALO").unwrap().unwrap();
        let file = "code,name,parent_code,email\n\
                    UBND-CUALO,UBND thị xã Cửa Lò (mới),TINH-NA,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\n\
                    P-NGHIHOA,UBND phường Nghi Hòa,UBND-NGHILOC,\n\
                    SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,\n\
                    UBND-VINH,UBND thành phố Vinh,TINH-NA,ubnd@vinh.nghean.gov.vn\n\
                    X-NGHIXUAN,UBND xã Nghi Xuân,UBND-NGHILOC,\n";

        let report = store.import_units_csv(file).unwrap();

        assert_eq!(
            report,
            ImportReport {
                inserted: 1,
                updated: 3,
                unchanged: 1
            }
        );
        let cua_lo = store.unit("UBND-CUALO").unwrap().unwrap();
        assert_eq!(cua_lo.name, "UBND thị xã Cửa Lò (mới)");
        assert_eq!(cua_lo.emails, before.emails);
        assert_eq!(cua_lo.created_at, before.created_at);
        assert!(cua_lo.updated_at >= before.updated_at);
        assert!(store.unit("SO-TTTT").unwrap().unwrap().emails.is_empty());
        assert_eq!(
            codes(&children(&store, "UBND-NGHILOC")),
            ["P-NGHIHOA", "X-NGHITHIET", "X-NGHIXUAN"]
        );
        assert_eq!(
            store.units().unwrap().len(),
            10,
            "unmentioned units are kept"
        );
    }

    #[test]
    fn every_bad_input_leaves_the_units_unchanged() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let before = store.units().unwrap();
        // Each file starts with a good row that would update a unit, so that a half-done
        // import would show.
        let good = "UBND-VINH,UBND thành phố Vinh (đổi tên),TINH-NA,\n";

        for (bad, expected) in [
            (",Một,,", "line 3, code:"),
            ("A", "line 3: expected 4 fields"),
            ("A,Một,TINH-NA,,", "line 3: expected 4 fields"),
            ("Á,Một,,", "line 3, code:"),
            ("A,  ,,", "line 3, name:"),
            ("A,Một,,không phải thư", "line 3, email:"),
            (
                "A,Một,KHONG-CO,",
                "line 3, parent_code: no unit has the code \"KHONG-CO\"",
            ),
            (
                "UBND-VINH,Hai lần,,",
                "line 3, code: \"UBND-VINH\" appears again",
            ),
            (
                "TINH-NA,UBND tỉnh Nghệ An,P-HUNGBINH,",
                "line 3, parent_code:",
            ),
        ] {
            let file = format!("code,name,parent_code,email\n{good}{bad}\n");
            let m = invalid(store.import_units_csv(&file));
            assert!(m.starts_with(expected), "{bad:?}: {m}");
            assert_eq!(store.units().unwrap(), before, "{bad:?}");
        }
        for (file, expected) in [
            ("", "line 1: the first line"),
            ("ma,ten,cha,thu\n", "line 1: the first line"),
        ] {
            let m = invalid(store.import_units_csv(file));
            assert!(m.starts_with(expected), "{file:?}: {m}");
        }
        assert_eq!(store.units().unwrap(), before);
    }

    #[test]
    fn cycles_are_refused_whether_in_the_file_or_through_stored_units() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let before = store.units().unwrap();

        for (file, expected) in [
            (
                "A,Một,A,\n",
                "line 2, parent_code: \"A\" would make a cycle: A → A",
            ),
            (
                "A,Một,B,\nB,Hai,C,\nC,Ba,A,\n",
                "line 2, parent_code: \"B\" would make a cycle: A → B → C → A",
            ),
            (
                "D,Bốn,A,\nA,Một,B,\nB,Hai,A,\n",
                "line 3, parent_code: \"B\" would make a cycle: A → B → A",
            ),
            // The province under one of its own wards: the cycle runs through stored units.
            (
                "TINH-NA,UBND tỉnh Nghệ An,P-NGHITHUY,\n",
                "line 2, parent_code: \"P-NGHITHUY\" would make a cycle: \
                 TINH-NA → P-NGHITHUY → UBND-CUALO → TINH-NA",
            ),
        ] {
            let file = format!("code,name,parent_code,email\n{file}");
            let m = invalid(store.import_units_csv(&file));
            assert_eq!(m, expected);
            assert_eq!(store.units().unwrap(), before);
        }
    }

    #[test]
    fn moving_a_subtree_is_not_a_cycle() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        // Cửa Lò under Vinh, and a ward of Cửa Lò re-listed: a deeper tree, no cycle.
        let file = "code,name,parent_code,email\n\
                    P-NGHITHUY,UBND phường Nghi Thủy,UBND-CUALO,nghithuy.cualo@nghean.gov.vn\n\
                    UBND-CUALO,UBND thị xã Cửa Lò,UBND-VINH,ubnd@cualo.nghean.gov.vn;vanthu.cualo@nghean.gov.vn\n";

        let report = store.import_units_csv(file).unwrap();

        assert_eq!((report.updated, report.unchanged), (1, 1));
        assert_eq!(
            codes(&store.units().unwrap()),
            [
                "TINH-NA",
                "SO-TTTT",
                "UBND-NGHILOC",
                "X-NGHITHIET",
                "UBND-VINH",
                "P-HUNGBINH",
                "UBND-CUALO",
                "P-NGHIHOA",
                "P-NGHITHUY",
            ]
        );
    }

    #[test]
    fn a_long_chain_imports_without_a_deep_walk() {
        let (_dir, store) = temp_store();
        let mut file = String::from("code,name,parent_code,email\n");
        // Listed leaf first, so that every parent is seen after its child.
        for i in (0..5000).rev() {
            let parent = if i == 0 {
                String::new()
            } else {
                format!("U{}", i - 1)
            };
            file.push_str(&format!("U{i},Đơn vị {i},{parent},\n"));
        }

        let report = store.import_units_csv(&file).unwrap();

        assert_eq!(report.inserted, 5000);
        let units = store.units().unwrap();
        assert_eq!(units[0].code.as_str(), "U0");
        assert_eq!(units[4999].code.as_str(), "U4999");
    }

    #[test]
    fn unit_codes_are_checked() {
        assert_eq!(UnitCode::parse(" SO-TTTT ").unwrap().as_str(), "SO-TTTT");
        assert!(UnitCode::parse("a.b_c-9").is_ok());
        assert!(UnitCode::parse(&"A".repeat(MAX_UNIT_CODE_CHARS)).is_ok());
        for bad in ["", "  ", "SỞ", "A B", "A/B", "A;B", "A,B"] {
            assert!(UnitCode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(UnitCode::parse(&"A".repeat(MAX_UNIT_CODE_CHARS + 1)).is_err());
    }
}
