//! What the host writes on the minutes beyond what the briefing recorded: the document number,
//! the place, who chaired and who kept them. Each is optional; the minutes print without it.

use giaoban_model::{BriefingId, Field};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::direction::ensure_briefing;
use crate::schedule::now_utc;
use crate::text::check_line;
use crate::{Store, StoreError};

/// Longest document number, in characters.
pub const MAX_MINUTES_NUMBER_CHARS: usize = 60;
/// Longest place, in characters.
pub const MAX_MINUTES_PLACE_CHARS: usize = 300;
/// Longest chair or secretary (a name with a title), in characters.
pub const MAX_MINUTES_CHAIR_CHARS: usize = 200;

/// The host's details of the minutes of one briefing; `None` means none given.
///
/// Each is one line, trimmed when stored; a blank one is stored as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinutesDetails {
    /// The document number as printed, e.g. "Số: 15/BB-STTTT"; up to
    /// [`MAX_MINUTES_NUMBER_CHARS`] characters.
    pub number: Option<String>,
    /// Where the host point sat, e.g. "Hội trường tầng 3, Sở Thông tin và Truyền thông"; up to
    /// [`MAX_MINUTES_PLACE_CHARS`] characters.
    pub place: Option<String>,
    /// Who chaired, with their title, e.g. "Ông Nguyễn Văn An, Giám đốc Sở"; up to
    /// [`MAX_MINUTES_CHAIR_CHARS`] characters.
    pub chair: Option<String>,
    /// Who kept the minutes, with their title; up to [`MAX_MINUTES_CHAIR_CHARS`] characters.
    pub secretary: Option<String>,
}

impl Store {
    /// The minutes details of a briefing; all `None` when the host gave none or the briefing
    /// is unknown.
    pub fn minutes_details(&self, briefing: &BriefingId) -> Result<MinutesDetails, StoreError> {
        let details = self
            .conn()
            .query_row(
                "SELECT number, place, chair, secretary FROM minutes_details
                 WHERE briefing_id = ?1",
                [&briefing.0],
                |row| {
                    Ok(MinutesDetails {
                        number: row.get(0)?,
                        place: row.get(1)?,
                        chair: row.get(2)?,
                        secretary: row.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(details.unwrap_or_default())
    }

    /// Replaces the minutes details of a briefing and returns them as stored: trimmed, blank
    /// ones as `None`.
    ///
    /// [`StoreError::Invalid`] naming the field when one is too long or holds a control
    /// character; [`StoreError::NotFound`] for an unknown briefing.
    pub fn set_minutes_details(
        &self,
        briefing: &BriefingId,
        details: &MinutesDetails,
    ) -> Result<MinutesDetails, StoreError> {
        let valid = MinutesDetails {
            number: line(
                Field::Number,
                details.number.as_deref(),
                MAX_MINUTES_NUMBER_CHARS,
            )?,
            place: line(
                Field::Place,
                details.place.as_deref(),
                MAX_MINUTES_PLACE_CHARS,
            )?,
            chair: line(
                Field::Chair,
                details.chair.as_deref(),
                MAX_MINUTES_CHAIR_CHARS,
            )?,
            secretary: line(
                Field::Secretary,
                details.secretary.as_deref(),
                MAX_MINUTES_CHAIR_CHARS,
            )?,
        };

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        tx.execute(
            "INSERT INTO minutes_details (briefing_id, number, place, chair, secretary, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (briefing_id) DO UPDATE SET
                 number = excluded.number, place = excluded.place, chair = excluded.chair,
                 secretary = excluded.secretary, updated_at = excluded.updated_at",
            params![
                briefing.0,
                valid.number,
                valid.place,
                valid.chair,
                valid.secretary,
                now_utc()
            ],
        )?;
        tx.commit()?;
        Ok(valid)
    }
}

/// `text` trimmed when it is a valid line, `None` when it is absent or blank.
fn line(field: Field, text: Option<&str>, max_chars: usize) -> Result<Option<String>, StoreError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_line(field, text, max_chars)?;
            Ok(Some(text.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{invalid, is_not_found, new_briefing, temp_store};

    fn briefing(store: &Store) -> BriefingId {
        store
            .create_briefing(&new_briefing(
                "Giao ban CNTT",
                "Sở TT&TT",
                &["UBND thị xã Cửa Lò"],
            ))
            .unwrap()
            .id
    }

    fn details() -> MinutesDetails {
        MinutesDetails {
            number: Some(" Số: 27/BB-STTTT ".into()),
            place: Some("Hội trường tầng 3, Sở Thông tin và Truyền thông".into()),
            chair: Some("Ông Nguyễn Văn An, Giám đốc Sở".into()),
            secretary: Some("Bà Trần Thị Bình, Chánh Văn phòng Sở".into()),
        }
    }

    #[test]
    fn details_read_back_trimmed() {
        let (_dir, store) = temp_store();
        let id = briefing(&store);
        assert_eq!(
            store.minutes_details(&id).unwrap(),
            MinutesDetails::default()
        );

        let set = store.set_minutes_details(&id, &details()).unwrap();

        assert_eq!(set.number.as_deref(), Some("Số: 27/BB-STTTT"));
        assert_eq!(set.chair, details().chair);
        assert_eq!(store.minutes_details(&id).unwrap(), set);
    }

    #[test]
    fn blank_details_clear_what_was_given() {
        let (_dir, store) = temp_store();
        let id = briefing(&store);
        store.set_minutes_details(&id, &details()).unwrap();

        let set = store
            .set_minutes_details(
                &id,
                &MinutesDetails {
                    number: Some("   ".into()),
                    chair: Some(String::new()),
                    ..details()
                },
            )
            .unwrap();

        assert_eq!(set.number, None);
        assert_eq!(set.chair, None);
        assert_eq!(set.place, details().place);
        assert_eq!(store.minutes_details(&id).unwrap(), set);
        store
            .set_minutes_details(&id, &MinutesDetails::default())
            .unwrap();
        assert_eq!(
            store.minutes_details(&id).unwrap(),
            MinutesDetails::default()
        );
    }

    #[test]
    fn limits_and_control_characters_are_refused_and_nothing_changes() {
        let (_dir, store) = temp_store();
        let id = briefing(&store);
        let before = store.set_minutes_details(&id, &details()).unwrap();
        assert!(
            store
                .set_minutes_details(
                    &id,
                    &MinutesDetails {
                        number: Some("ử".repeat(MAX_MINUTES_NUMBER_CHARS)),
                        place: Some("ử".repeat(MAX_MINUTES_PLACE_CHARS)),
                        chair: Some("ử".repeat(MAX_MINUTES_CHAIR_CHARS)),
                        secretary: Some("ử".repeat(MAX_MINUTES_CHAIR_CHARS)),
                    },
                )
                .is_ok()
        );
        store.set_minutes_details(&id, &before).unwrap();

        let long_chair = invalid(store.set_minutes_details(
            &id,
            &MinutesDetails {
                chair: Some("a".repeat(MAX_MINUTES_CHAIR_CHARS + 1)),
                ..details()
            },
        ));
        let long_number = invalid(store.set_minutes_details(
            &id,
            &MinutesDetails {
                number: Some("1".repeat(MAX_MINUTES_NUMBER_CHARS + 1)),
                ..details()
            },
        ));
        let long_place = invalid(store.set_minutes_details(
            &id,
            &MinutesDetails {
                place: Some("p".repeat(MAX_MINUTES_PLACE_CHARS + 1)),
                ..details()
            },
        ));
        let control = invalid(store.set_minutes_details(
            &id,
            &MinutesDetails {
                secretary: Some("Bà Trần\nThị Bình".into()),
                ..details()
            },
        ));

        assert!(
            long_chair == "chair: must be at most 200 characters",
            "{long_chair}"
        );
        assert!(long_number.ends_with("60 characters"), "{long_number}");
        assert!(long_place.starts_with("place: "), "{long_place}");
        assert_eq!(control, "secretary: must not contain control characters");
        assert_eq!(store.minutes_details(&id).unwrap(), before);
    }

    #[test]
    fn an_unknown_briefing_is_not_found() {
        let (_dir, store) = temp_store();
        let unknown = BriefingId("khongco".into());

        let result = store.set_minutes_details(&unknown, &details());

        assert!(is_not_found(&result), "{result:?}");
        assert_eq!(
            store.minutes_details(&unknown).unwrap(),
            MinutesDetails::default()
        );
    }

    #[test]
    fn deleting_the_briefing_deletes_its_minutes_details() {
        let (_dir, store) = temp_store();
        let id = briefing(&store);
        store.set_minutes_details(&id, &details()).unwrap();

        store
            .conn()
            .execute("DELETE FROM briefings WHERE id = ?1", [&id.0])
            .unwrap();

        let rows: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM minutes_details", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn unknown_fields_are_refused_and_missing_ones_are_none() {
        let parsed: MinutesDetails = serde_json::from_str(r#"{"chair": "Ông An"}"#).unwrap();

        assert_eq!(parsed.chair.as_deref(), Some("Ông An"));
        assert_eq!(parsed.number, None);
        assert!(serde_json::from_str::<MinutesDetails>(r#"{"chairman": "Ông An"}"#).is_err());
    }
}
