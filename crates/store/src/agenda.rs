//! The agenda of a briefing: its items in order, each with an optional presenter and duration.
//!
//! The host replaces the whole agenda at once. Items keep their ids across replacements, so
//! that the documents and concerns tied to an item stay tied to it when the items are reordered
//! or renamed; an item left out is deleted and what was tied to it stays, untied (the schema's
//! `ON DELETE SET NULL`).

use std::collections::{HashMap, HashSet};

use giaoban_model::{BriefingId, Field, FieldPath, Problem, ProblemCode};
use rusqlite::{Connection, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::direction::ensure_briefing;
use crate::text::{name, optional_name};
use crate::{Store, StoreError};

/// Most items on one agenda.
pub const MAX_AGENDA_ITEMS: usize = 100;
/// Longest item title, in characters.
pub const MAX_AGENDA_TITLE_CHARS: usize = 300;
/// Longest presenter, in characters.
pub const MAX_PRESENTER_CHARS: usize = 200;
/// Longest duration of one item, in minutes.
pub const MAX_DURATION_MINUTES: i64 = 600;

/// One stored agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaItem {
    pub id: i64,
    /// 1-based place on the agenda.
    pub position: i64,
    pub title: String,
    /// Who presents the item ("người trình bày").
    pub presenter: Option<String>,
    pub duration_minutes: Option<i64>,
}

/// An agenda item as the host sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgendaItem {
    /// The id of an item already on this briefing's agenda, which it keeps; `None` for a new
    /// item.
    #[serde(default)]
    pub id: Option<i64>,
    /// Trimmed, 1 to [`MAX_AGENDA_TITLE_CHARS`] characters.
    pub title: String,
    /// Trimmed, up to [`MAX_PRESENTER_CHARS`] characters; blank means none.
    #[serde(default)]
    pub presenter: Option<String>,
    /// 1 to [`MAX_DURATION_MINUTES`].
    #[serde(default)]
    pub duration_minutes: Option<i64>,
}

impl Store {
    /// The agenda of a briefing in order; empty for an unknown briefing.
    pub fn agenda(&self, briefing: &BriefingId) -> Result<Vec<AgendaItem>, StoreError> {
        load_agenda(&self.conn(), briefing)
    }

    /// Replaces the agenda of a briefing with `items`, in the order given, all or nothing.
    ///
    /// An item with an `id` keeps it; the id must be on this briefing's agenda and appear once,
    /// else [`StoreError::Invalid`] naming the item (1-based). Items without an id are new.
    /// Stored items left out are deleted. [`StoreError::NotFound`] for an unknown briefing.
    pub fn set_agenda(
        &self,
        briefing: &BriefingId,
        items: &[NewAgendaItem],
    ) -> Result<Vec<AgendaItem>, StoreError> {
        let valid = validate(items)?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        let stored: HashSet<i64> = {
            let mut stmt =
                tx.prepare_cached("SELECT id FROM agenda_items WHERE briefing_id = ?1")?;
            let ids = stmt.query_map([&briefing.0], |row| row.get(0))?;
            ids.collect::<Result<_, _>>()?
        };
        let mut kept = HashMap::with_capacity(valid.len());
        for (i, item) in valid.iter().enumerate() {
            let Some(id) = item.id else { continue };
            if !stored.contains(&id) {
                return Err(StoreError::Invalid(
                    Problem::new(ProblemCode::NotOnAgenda)
                        .at(FieldPath::of(Field::Agenda).at(i + 1).then(Field::Id))
                        .with("value", id),
                ));
            }
            if let Some(first) = kept.insert(id, i) {
                return Err(StoreError::Invalid(
                    Problem::new(ProblemCode::Duplicate)
                        .at(FieldPath::of(Field::Agenda).at(i + 1).then(Field::Id))
                        .with("value", id)
                        .with("first", first + 1),
                ));
            }
        }

        {
            let mut delete = tx.prepare_cached("DELETE FROM agenda_items WHERE id = ?1")?;
            for id in stored.iter().filter(|id| !kept.contains_key(id)) {
                delete.execute([id])?;
            }
            let mut update = tx.prepare_cached(
                "UPDATE agenda_items SET position = ?2, title = ?3, presenter = ?4,
                        duration_minutes = ?5
                 WHERE id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO agenda_items (briefing_id, position, title, presenter,
                                           duration_minutes)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (i, item) in valid.iter().enumerate() {
                let position = i64::try_from(i + 1).expect("at most MAX_AGENDA_ITEMS positions");
                match item.id {
                    Some(id) => update.execute(params![
                        id,
                        position,
                        item.title,
                        item.presenter,
                        item.duration_minutes
                    ])?,
                    None => insert.execute(params![
                        briefing.0,
                        position,
                        item.title,
                        item.presenter,
                        item.duration_minutes
                    ])?,
                };
            }
        }
        let agenda = load_agenda(&tx, briefing)?;
        tx.commit()?;
        Ok(agenda)
    }
}

/// [`StoreError::Invalid`] unless `item` is on the agenda of `briefing`: what documents and
/// concerns check of the `agenda_item_id` they are tied to.
pub(crate) fn ensure_on_agenda(
    conn: &Connection,
    briefing: &BriefingId,
    item: i64,
) -> Result<(), StoreError> {
    if on_agenda(conn, briefing, item)? {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            Problem::new(ProblemCode::NotOnAgenda)
                .at(Field::AgendaItem)
                .with("value", item),
        ))
    }
}

/// Whether `item` is on the agenda of `briefing`.
fn on_agenda(conn: &Connection, briefing: &BriefingId, item: i64) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM agenda_items WHERE id = ?1 AND briefing_id = ?2)",
        params![item, briefing.0],
        |row| row.get(0),
    )?)
}

fn load_agenda(conn: &Connection, briefing: &BriefingId) -> Result<Vec<AgendaItem>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, position, title, presenter, duration_minutes FROM agenda_items
         WHERE briefing_id = ?1 ORDER BY position, id",
    )?;
    let rows = stmt.query_map([&briefing.0], item_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An item that passed the checks that need no database, its texts trimmed.
struct ValidItem {
    id: Option<i64>,
    title: String,
    presenter: Option<String>,
    duration_minutes: Option<i64>,
}

fn validate(items: &[NewAgendaItem]) -> Result<Vec<ValidItem>, StoreError> {
    if items.len() > MAX_AGENDA_ITEMS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooMany)
                .at(Field::Agenda)
                .with("max", MAX_AGENDA_ITEMS)
                .with("count", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = FieldPath::of(Field::Agenda).at(i + 1);
            let title = name(
                at.clone().then(Field::Title),
                &item.title,
                MAX_AGENDA_TITLE_CHARS,
            )?;
            let presenter = match item.presenter.as_deref() {
                None => None,
                Some(presenter) => optional_name(
                    at.clone().then(Field::Presenter),
                    presenter,
                    MAX_PRESENTER_CHARS,
                )?,
            };
            if let Some(minutes) = item.duration_minutes
                && !(1..=MAX_DURATION_MINUTES).contains(&minutes)
            {
                return Err(StoreError::Invalid(
                    Problem::new(ProblemCode::OutOfRange)
                        .at(at.then(Field::Duration))
                        .with("value", minutes)
                        .with("min", 1)
                        .with("max", MAX_DURATION_MINUTES),
                ));
            }
            Ok(ValidItem {
                id: item.id,
                title,
                presenter,
                duration_minutes: item.duration_minutes,
            })
        })
        .collect()
}

/// Reads `id, position, title, presenter, duration_minutes` starting at column 0.
fn item_from_row(row: &Row<'_>) -> rusqlite::Result<AgendaItem> {
    Ok(AgendaItem {
        id: row.get(0)?,
        position: row.get(1)?,
        title: row.get(2)?,
        presenter: row.get(3)?,
        duration_minutes: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{invalid, is_not_found, new_briefing, temp_store};

    fn item(title: &str) -> NewAgendaItem {
        NewAgendaItem {
            title: title.into(),
            ..NewAgendaItem::default()
        }
    }

    fn keep(id: i64, title: &str) -> NewAgendaItem {
        NewAgendaItem {
            id: Some(id),
            ..item(title)
        }
    }

    fn exists(store: &Store, briefing: &BriefingId, item: i64) -> bool {
        on_agenda(&store.conn(), briefing, item).unwrap()
    }

    fn briefing(store: &Store, title: &str) -> BriefingId {
        store
            .create_briefing(&new_briefing(title, "Sở TT&TT", &["UBND thị xã Cửa Lò"]))
            .unwrap()
            .id
    }

    #[test]
    fn agenda_reads_back_in_the_order_given() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");

        let set = store
            .set_agenda(
                &id,
                &[
                    NewAgendaItem {
                        presenter: Some(" Giám đốc Sở TT&TT ".into()),
                        duration_minutes: Some(15),
                        ..item(" Khai mạc ")
                    },
                    NewAgendaItem {
                        presenter: Some("  ".into()),
                        ..item("Báo cáo chuyển đổi số 6 tháng")
                    },
                    item("Kết luận"),
                ],
            )
            .unwrap();

        assert_eq!(store.agenda(&id).unwrap(), set);
        let shown: Vec<_> = set
            .iter()
            .map(|i| {
                (
                    i.position,
                    i.title.as_str(),
                    i.presenter.as_deref(),
                    i.duration_minutes,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (1, "Khai mạc", Some("Giám đốc Sở TT&TT"), Some(15)),
                (2, "Báo cáo chuyển đổi số 6 tháng", None, None),
                (3, "Kết luận", None, None),
            ]
        );
        assert!(store.agenda(&briefing(&store, "Khác")).unwrap().is_empty());
    }

    #[test]
    fn replacing_keeps_ids_reorders_and_deletes_the_items_left_out() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");
        let first = store
            .set_agenda(&id, &[item("Khai mạc"), item("Báo cáo"), item("Kết luận")])
            .unwrap();
        let (opening, report, closing) = (first[0].id, first[1].id, first[2].id);

        let second = store
            .set_agenda(
                &id,
                &[
                    keep(report, "Báo cáo của các đơn vị"),
                    item("Thảo luận"),
                    keep(opening, "Khai mạc"),
                ],
            )
            .unwrap();

        let shown: Vec<_> = second
            .iter()
            .map(|i| (i.position, i.title.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (1, "Báo cáo của các đơn vị"),
                (2, "Thảo luận"),
                (3, "Khai mạc")
            ]
        );
        assert_eq!(second[0].id, report);
        assert_eq!(second[2].id, opening);
        assert!(![opening, report, closing].contains(&second[1].id));
        assert!(!exists(&store, &id, closing));
        assert!(exists(&store, &id, report));
        assert!(store.set_agenda(&id, &[]).unwrap().is_empty());
        assert!(store.agenda(&id).unwrap().is_empty());
    }

    #[test]
    fn an_unknown_or_repeated_id_is_refused_and_nothing_changes() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");
        let other = briefing(&store, "Giao ban Nội vụ");
        let foreign = store.set_agenda(&other, &[item("Khai mạc")]).unwrap()[0].id;
        let before = store
            .set_agenda(&id, &[item("Khai mạc"), item("Kết luận")])
            .unwrap();

        let unknown = invalid(store.set_agenda(
            &id,
            &[
                item("Mới"),
                keep(before[0].id, "Khai mạc"),
                keep(foreign, "Lạ"),
            ],
        ));
        let repeated =
            invalid(store.set_agenda(&id, &[keep(before[0].id, "A"), keep(before[0].id, "B")]));

        assert_eq!(
            unknown,
            format!("agenda item 3, id: {foreign} is not on this briefing's agenda")
        );
        assert_eq!(
            repeated,
            format!(
                "agenda item 2, id: {} is given more than once",
                before[0].id
            )
        );
        assert_eq!(store.agenda(&id).unwrap(), before);
        assert!(!exists(&store, &id, foreign));
        assert_eq!(store.agenda(&other).unwrap()[0].id, foreign);
    }

    #[test]
    fn titles_are_names_stored_as_they_look() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");

        let agenda = store
            .set_agenda(
                &id,
                &[NewAgendaItem {
                    presenter: Some("\u{200B} \u{FEFF}".into()),
                    ..item("Khai ma\u{323}c\u{200B}")
                }],
            )
            .unwrap();

        assert_eq!(agenda[0].title, "Khai mạc");
        assert_eq!(agenda[0].presenter, None);
        for (items, expected) in [
            (
                vec![item("A"), item("\u{2066}Khai mạc\u{2069}")],
                "agenda item 2, title: must not contain characters that change the direction",
            ),
            (
                vec![item("\u{200D}\u{2060}")],
                "agenda item 1, title: must not be empty",
            ),
            (
                vec![NewAgendaItem {
                    presenter: Some("Ông \u{202D}An".into()),
                    ..item("A")
                }],
                "agenda item 1, presenter: must not contain characters that change",
            ),
        ] {
            let message = invalid(store.set_agenda(&id, &items));
            assert!(message.starts_with(expected), "{message}");
        }
        assert_eq!(store.agenda(&id).unwrap(), agenda);
    }

    #[test]
    fn limits_are_checked_naming_the_item() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");
        let before = store.set_agenda(&id, &[item("Khai mạc")]).unwrap();
        let long_title = "ả".repeat(MAX_AGENDA_TITLE_CHARS + 1);
        let long_presenter = "ả".repeat(MAX_PRESENTER_CHARS + 1);

        for (items, expected) in [
            (
                vec![item("A"), item(" ")],
                "agenda item 2, title: must not be empty",
            ),
            (vec![item(&long_title)], "agenda item 1, title:"),
            (
                vec![item("Khai\nmạc")],
                "agenda item 1, title: must not contain",
            ),
            (
                vec![NewAgendaItem {
                    presenter: Some(long_presenter),
                    ..item("A")
                }],
                "agenda item 1, presenter:",
            ),
            (
                vec![
                    item("A"),
                    item("B"),
                    NewAgendaItem {
                        duration_minutes: Some(0),
                        ..item("C")
                    },
                ],
                "agenda item 3, duration in minutes: 0 is out of range",
            ),
            (
                vec![NewAgendaItem {
                    duration_minutes: Some(MAX_DURATION_MINUTES + 1),
                    ..item("A")
                }],
                "agenda item 1, duration in minutes: 601",
            ),
            (
                vec![item("A"); MAX_AGENDA_ITEMS + 1],
                "agenda item: at most 100, not 101",
            ),
        ] {
            let message = invalid(store.set_agenda(&id, &items));
            assert!(message.starts_with(expected), "{message}");
        }
        assert_eq!(store.agenda(&id).unwrap(), before);

        let most = vec![
            NewAgendaItem {
                presenter: Some("ả".repeat(MAX_PRESENTER_CHARS)),
                duration_minutes: Some(MAX_DURATION_MINUTES),
                ..item(&"ả".repeat(MAX_AGENDA_TITLE_CHARS))
            };
            MAX_AGENDA_ITEMS
        ];
        assert_eq!(
            store.set_agenda(&id, &most).unwrap().len(),
            MAX_AGENDA_ITEMS
        );
    }

    #[test]
    fn an_unknown_briefing_is_not_found() {
        let (_dir, store) = temp_store();

        let result = store.set_agenda(&BriefingId("khongco".into()), &[item("A")]);

        assert!(is_not_found(&result), "{result:?}");
    }

    #[test]
    fn deleting_the_briefing_deletes_its_agenda() {
        let (_dir, store) = temp_store();
        let id = briefing(&store, "Giao ban CNTT");
        let items = store.set_agenda(&id, &[item("Khai mạc")]).unwrap();

        store
            .conn()
            .execute("DELETE FROM briefings WHERE id = ?1", [&id.0])
            .unwrap();

        assert!(store.agenda(&id).unwrap().is_empty());
        assert!(!exists(&store, &id, items[0].id));
    }
}
