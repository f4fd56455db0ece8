//! Written comments ("ý kiến bằng văn bản") that points send during a live briefing, the
//! host's answers, and the concerns the host makes of them.
//!
//! A comment is stored as it was typed (trimmed): markup in it is text, which every renderer
//! escapes. Who may read a comment (the host and its author, or everyone when the author asked
//! for it with `to_all`) is decided at the HTTP edge.

use giaoban_model::{BriefingId, Field, PointId, Problem, ProblemCode};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::direction::{no_such_point, stored_ms, unix_ms};
use crate::follow_up::insert_concern;
use crate::text::{no_such, valid_text};
use crate::{Concern, ConcernKind, Store, StoreError};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest answer to a comment, in characters.
pub const MAX_COMMENT_ANSWER_CHARS: usize = 2000;
/// Most comments one briefing holds; the next one is refused.
pub const MAX_COMMENTS_PER_BRIEFING: usize = 5000;

/// A written comment of a point, with the host's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: i64,
    /// The point that wrote it.
    pub point_id: PointId,
    /// That point's name.
    pub point_name: String,
    pub text: String,
    /// Whether the author asked to show it to every point, not only to the host.
    pub to_all: bool,
    /// When it was sent, in Unix milliseconds.
    pub created_at_ms: u64,
    /// Whether the host pinned it.
    pub pinned: bool,
    /// The host's answer; `None` while unanswered.
    pub answer: Option<String>,
    /// When the answer was last given, in Unix milliseconds.
    pub answered_at_ms: Option<u64>,
    /// The concern or proposal the host made of it.
    pub concern_id: Option<i64>,
}

impl Store {
    /// Records a comment of `point` sent at `at_ms`.
    ///
    /// The text is trimmed and must have 1 to [`MAX_COMMENT_CHARS`] characters, without control
    /// characters other than line breaks and tabs ([`StoreError::Invalid`]).
    /// [`StoreError::NotFound`] if the point is not one of the briefing's;
    /// [`StoreError::Conflict`] once the briefing holds [`MAX_COMMENTS_PER_BRIEFING`] comments.
    pub fn add_comment(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        text: &str,
        to_all: bool,
        at_ms: u64,
    ) -> Result<Comment, StoreError> {
        let text = valid_text(Field::Text, text, MAX_COMMENT_CHARS)?;
        let at = unix_ms(at_ms)?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM points WHERE id = ?2 AND briefing_id = ?1)",
            params![briefing.0, point.0],
            |row| row.get(0),
        )?;
        if !known {
            return Err(no_such_point(point));
        }
        let count: usize = tx.query_row(
            "SELECT COUNT(*) FROM comments WHERE briefing_id = ?1",
            [&briefing.0],
            |row| row.get(0),
        )?;
        if count >= MAX_COMMENTS_PER_BRIEFING {
            return Err(StoreError::Conflict(
                Problem::new(ProblemCode::CommentsFull).with("max", MAX_COMMENTS_PER_BRIEFING),
            ));
        }
        tx.execute(
            "INSERT INTO comments (briefing_id, point_id, text, to_all, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![briefing.0, point.0, text, to_all, at],
        )?;
        let id = tx.last_insert_rowid();
        let comment = load_comment(&tx, briefing, id)?;
        tx.commit()?;
        comment.ok_or_else(|| no_comment(id))
    }

    /// The comments of a briefing in the order they arrived. Empty for an unknown briefing.
    pub fn comments(&self, briefing: &BriefingId) -> Result<Vec<Comment>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{COMMENT_SELECT} WHERE c.briefing_id = ?1 ORDER BY c.id"
        ))?;
        let rows = stmt.query_map([&briefing.0], comment_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One comment of the briefing; `None` if it has no comment `id` (a comment of another
    /// briefing included).
    pub fn comment(&self, briefing: &BriefingId, id: i64) -> Result<Option<Comment>, StoreError> {
        load_comment(&self.conn(), briefing, id)
    }

    /// How many comments `point` sent in the briefing.
    pub fn count_comments(
        &self,
        briefing: &BriefingId,
        point: &PointId,
    ) -> Result<usize, StoreError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM comments WHERE briefing_id = ?1 AND point_id = ?2",
            params![briefing.0, point.0],
            |row| row.get(0),
        )?)
    }

    /// Answers a comment of the briefing at `at_ms`; answering again replaces the answer and
    /// its time.
    ///
    /// The answer is checked like a comment's text, up to [`MAX_COMMENT_ANSWER_CHARS`]
    /// characters ([`StoreError::Invalid`]). [`StoreError::NotFound`] if the briefing has no
    /// comment `id`.
    pub fn answer_comment(
        &self,
        briefing: &BriefingId,
        id: i64,
        answer: &str,
        at_ms: u64,
    ) -> Result<Comment, StoreError> {
        let answer = valid_text(Field::Answer, answer, MAX_COMMENT_ANSWER_CHARS)?;
        let at = unix_ms(at_ms)?;
        self.update_comment(
            briefing,
            id,
            "UPDATE comments SET answer = ?3, answered_at_ms = ?4
             WHERE briefing_id = ?1 AND id = ?2",
            params![briefing.0, id, answer, at],
        )
    }

    /// Pins a comment of the briefing or unpins it. [`StoreError::NotFound`] if the briefing
    /// has no comment `id`.
    pub fn pin_comment(
        &self,
        briefing: &BriefingId,
        id: i64,
        pinned: bool,
    ) -> Result<Comment, StoreError> {
        self.update_comment(
            briefing,
            id,
            "UPDATE comments SET pinned = ?3 WHERE briefing_id = ?1 AND id = ?2",
            params![briefing.0, id, pinned],
        )
    }

    /// Makes a concern or proposal of the briefing from a comment: the comment's text, raised
    /// by the comment's point, like [`Store::raise_concern`] with no agenda item. The comment
    /// keeps the concern's id.
    ///
    /// A comment becomes at most one concern: converting it again is [`StoreError::Conflict`]
    /// naming the concern it became, whatever the kind asked for. [`StoreError::NotFound`] if
    /// the briefing has no comment `id`.
    pub fn comment_to_concern(
        &self,
        briefing: &BriefingId,
        id: i64,
        kind: ConcernKind,
    ) -> Result<Concern, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, Option<i64>)> = tx
            .query_row(
                "SELECT point_id, text, concern_id FROM comments
                 WHERE briefing_id = ?1 AND id = ?2",
                params![briefing.0, id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((point, text, existing)) = row else {
            return Err(no_comment(id));
        };
        if let Some(concern) = existing {
            return Err(StoreError::Conflict(
                Problem::new(ProblemCode::AlreadyConcern)
                    .with("comment", id)
                    .with("concern", concern),
            ));
        }
        // A comment holds at most MAX_COMMENT_CHARS, which a concern takes as well.
        let concern = insert_concern(&tx, briefing, &PointId(point), kind, &text, None)?;
        tx.execute(
            "UPDATE comments SET concern_id = ?2 WHERE id = ?1",
            params![id, concern.id],
        )?;
        tx.commit()?;
        Ok(concern)
    }

    /// Runs `sql`, an update of comment `id` of the briefing, and returns the comment as
    /// updated.
    fn update_comment(
        &self,
        briefing: &BriefingId,
        id: i64,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Comment, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if tx.execute(sql, params)? == 0 {
            return Err(no_comment(id));
        }
        let comment = load_comment(&tx, briefing, id)?;
        tx.commit()?;
        comment.ok_or_else(|| no_comment(id))
    }
}

/// Selects the columns [`comment_from_row`] reads, from `comments c`.
const COMMENT_SELECT: &str = "SELECT c.id, c.point_id, p.name, c.text, c.to_all,
           c.created_at_ms, c.pinned, c.answer, c.answered_at_ms, c.concern_id
    FROM comments c JOIN points p ON p.id = c.point_id";

fn comment_from_row(row: &Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: row.get(0)?,
        point_id: PointId(row.get(1)?),
        point_name: row.get(2)?,
        text: row.get(3)?,
        to_all: row.get(4)?,
        created_at_ms: stored_unix_ms(row, 5)?,
        pinned: row.get(6)?,
        answer: row.get(7)?,
        answered_at_ms: match row.get::<_, Option<i64>>(8)? {
            None => None,
            Some(_) => Some(stored_unix_ms(row, 8)?),
        },
        concern_id: row.get(9)?,
    })
}

/// A stored time in Unix milliseconds, which the store only ever writes from a `u64`.
fn stored_unix_ms(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let ms = stored_ms(row, idx)?;
    u64::try_from(ms).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Integer,
            format!("time {ms} ms is before 1970").into(),
        )
    })
}

fn load_comment(
    conn: &Connection,
    briefing: &BriefingId,
    id: i64,
) -> Result<Option<Comment>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{COMMENT_SELECT} WHERE c.briefing_id = ?1 AND c.id = ?2"
    ))?;
    Ok(stmt
        .query_row(params![briefing.0, id], comment_from_row)
        .optional()?)
}

fn no_comment(id: i64) -> StoreError {
    no_such(Field::Comment, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::MAX_UNIX_MS;
    use crate::test_support::{T0, briefing_with, invalid, is_not_found, problem, temp_store};

    #[test]
    fn comments_are_trimmed_and_listed_in_arrival_order() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["UBND huyện Kỳ Sơn", "UBND thị xã Cửa Lò"]);
        let (other, op) = briefing_with(&store, &["UBND huyện Kỳ Sơn"]);

        let first = store
            .add_comment(&b.id, &p[2].id, "  Đề nghị chiếu lại\nbiểu đồ\t ", true, T0)
            .unwrap();
        store
            .add_comment(&other.id, &op[1].id, "Khác", false, T0)
            .unwrap();
        let second = store
            .add_comment(&b.id, &p[1].id, "Mất tiếng", false, T0 + 1_000)
            .unwrap();

        assert_eq!(
            first,
            Comment {
                id: first.id,
                point_id: p[2].id.clone(),
                point_name: "UBND thị xã Cửa Lò".into(),
                text: "Đề nghị chiếu lại\nbiểu đồ".into(),
                to_all: true,
                created_at_ms: T0,
                pinned: false,
                answer: None,
                answered_at_ms: None,
                concern_id: None,
            }
        );
        assert!(!second.to_all);
        assert_eq!(store.comments(&b.id).unwrap(), [first.clone(), second]);
        assert_eq!(store.comment(&b.id, first.id).unwrap(), Some(first));
        assert_eq!(store.count_comments(&b.id, &p[2].id).unwrap(), 1);
        assert_eq!(store.count_comments(&b.id, &p[0].id).unwrap(), 0);
        assert!(
            store
                .comments(&BriefingId("khong-co".into()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn comment_text_has_1_to_2000_characters() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let add = |text: &str| store.add_comment(&b.id, &p[1].id, text, false, T0);

        assert_eq!(invalid(add("")), "text: must not be empty");
        assert_eq!(invalid(add(" \n\t ")), "text: must not be empty");
        assert_eq!(
            invalid(add(&"ử".repeat(MAX_COMMENT_CHARS + 1))),
            "text: must be at most 2000 characters"
        );
        assert_eq!(
            invalid(add("a\u{7}b")),
            "text: must not contain control characters"
        );
        assert_eq!(
            problem(store.add_comment(&b.id, &p[1].id, "Ý kiến", false, MAX_UNIX_MS + 1)).code(),
            ProblemCode::OutOfRange
        );
        assert!(store.comments(&b.id).unwrap().is_empty());
        assert_eq!(
            add(&"ử".repeat(MAX_COMMENT_CHARS))
                .unwrap()
                .text
                .chars()
                .count(),
            MAX_COMMENT_CHARS
        );
    }

    #[test]
    fn markup_is_stored_as_typed() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let typed = "<script>alert('x')</script> & <b>đậm</b>";

        let comment = store.add_comment(&b.id, &p[1].id, typed, true, T0).unwrap();
        let answered = store
            .answer_comment(&b.id, comment.id, "<i>Đã nhận</i>", T0 + 1)
            .unwrap();

        assert_eq!(comment.text, typed);
        assert_eq!(answered.answer.as_deref(), Some("<i>Đã nhận</i>"));
        assert_eq!(store.comments(&b.id).unwrap()[0].text, typed);
    }

    #[test]
    fn a_point_of_another_briefing_may_not_comment() {
        let (_dir, store) = temp_store();
        let (a, _) = briefing_with(&store, &["A"]);
        let (_, pb) = briefing_with(&store, &["A"]);

        let foreign = store.add_comment(&a.id, &pb[1].id, "Ý kiến", false, T0);
        let unknown = store.add_comment(&BriefingId("khong-co".into()), &pb[1].id, "Ý", false, T0);

        assert!(is_not_found(&foreign), "{foreign:?}");
        assert!(is_not_found(&unknown), "{unknown:?}");
        assert!(store.comments(&a.id).unwrap().is_empty());
    }

    #[test]
    fn a_comment_of_another_briefing_is_not_found() {
        let (_dir, store) = temp_store();
        let (a, _) = briefing_with(&store, &["A"]);
        let (b, pb) = briefing_with(&store, &["A"]);
        let theirs = store
            .add_comment(&b.id, &pb[1].id, "Ý kiến", false, T0)
            .unwrap();

        assert_eq!(store.comment(&a.id, theirs.id).unwrap(), None);
        assert_eq!(store.comment(&b.id, theirs.id + 1).unwrap(), None);
        assert!(is_not_found(&store.answer_comment(
            &a.id,
            theirs.id,
            "Trả lời",
            T0
        )));
        assert!(is_not_found(&store.pin_comment(&a.id, theirs.id, true)));
        assert!(is_not_found(&store.comment_to_concern(
            &a.id,
            theirs.id,
            ConcernKind::Concern
        )));
        assert!(is_not_found(&store.pin_comment(&b.id, 9999, true)));
        assert_eq!(store.comment(&b.id, theirs.id).unwrap(), Some(theirs));
    }

    #[test]
    fn answering_again_replaces_the_answer() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let comment = store
            .add_comment(&b.id, &p[1].id, "Xin tài liệu", false, T0)
            .unwrap();

        let first = store
            .answer_comment(&b.id, comment.id, " Đã gửi qua hộp thư ", T0 + 60_000)
            .unwrap();
        let second = store
            .answer_comment(&b.id, comment.id, "Đã gửi lại", T0 + 120_000)
            .unwrap();

        assert_eq!(first.answer.as_deref(), Some("Đã gửi qua hộp thư"));
        assert_eq!(first.answered_at_ms, Some(T0 + 60_000));
        assert_eq!(second.answer.as_deref(), Some("Đã gửi lại"));
        assert_eq!(second.answered_at_ms, Some(T0 + 120_000));
        assert_eq!(
            store.comments(&b.id).unwrap(),
            std::slice::from_ref(&second)
        );
        assert_eq!(
            invalid(store.answer_comment(&b.id, comment.id, "  ", T0)),
            "answer: must not be empty"
        );
        assert_eq!(
            invalid(store.answer_comment(
                &b.id,
                comment.id,
                &"a".repeat(MAX_COMMENT_ANSWER_CHARS + 1),
                T0
            )),
            "answer: must be at most 2000 characters"
        );
        assert_eq!(store.comment(&b.id, comment.id).unwrap(), Some(second));
    }

    #[test]
    fn pinning_is_set_and_cleared() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let comment = store
            .add_comment(&b.id, &p[1].id, "Ý kiến", true, T0)
            .unwrap();

        assert!(store.pin_comment(&b.id, comment.id, true).unwrap().pinned);
        assert!(store.pin_comment(&b.id, comment.id, true).unwrap().pinned);
        assert!(store.comments(&b.id).unwrap()[0].pinned);
        assert!(!store.pin_comment(&b.id, comment.id, false).unwrap().pinned);
    }

    #[test]
    fn a_comment_becomes_one_concern_of_its_point() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A", "UBND thị xã Cửa Lò"]);
        let comment = store
            .add_comment(&b.id, &p[2].id, "Đề nghị hỗ trợ kinh phí", false, T0)
            .unwrap();

        let concern = store
            .comment_to_concern(&b.id, comment.id, ConcernKind::Proposal)
            .unwrap();
        let again = store.comment_to_concern(&b.id, comment.id, ConcernKind::Concern);

        assert_eq!(concern.point_id, p[2].id);
        assert_eq!(concern.point, "UBND thị xã Cửa Lò");
        assert_eq!(concern.kind, ConcernKind::Proposal);
        assert_eq!(concern.text, "Đề nghị hỗ trợ kinh phí");
        assert_eq!(concern.agenda_item_id, None);
        match again {
            Err(StoreError::Conflict(problem)) => assert_eq!(
                problem.to_string(),
                format!(
                    "comment {} already became concern {}",
                    comment.id, concern.id
                )
            ),
            other => panic!("expected Conflict, got {other:?}"),
        }
        assert_eq!(
            store.concerns(&b.id).unwrap(),
            std::slice::from_ref(&concern)
        );
        assert_eq!(
            store
                .comment(&b.id, comment.id)
                .unwrap()
                .unwrap()
                .concern_id,
            Some(concern.id)
        );
    }

    #[test]
    fn a_full_briefing_refuses_the_next_comment() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let (other, op) = briefing_with(&store, &["A"]);
        let limit = i64::try_from(MAX_COMMENTS_PER_BRIEFING).unwrap();
        store
            .conn()
            .execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
                 INSERT INTO comments (briefing_id, point_id, text, to_all, created_at_ms)
                 SELECT ?1, ?2, 'Ý kiến ' || i, 0, ?4 FROM n",
                params![b.id.0, p[1].id.0, limit, i64::try_from(T0).unwrap()],
            )
            .unwrap();

        let refused = store.add_comment(&b.id, &p[1].id, "Thêm", false, T0);

        match refused {
            Err(StoreError::Conflict(problem)) => {
                assert_eq!(problem.code(), ProblemCode::CommentsFull);
                assert!(problem.to_string().contains("at most 5000 comments"));
            }
            other => panic!("expected Conflict, got {other:?}"),
        }
        assert_eq!(
            store.count_comments(&b.id, &p[1].id).unwrap(),
            MAX_COMMENTS_PER_BRIEFING
        );
        assert!(
            store
                .add_comment(&other.id, &op[1].id, "Khác", false, T0)
                .is_ok()
        );
    }

    #[test]
    fn comments_go_with_their_briefing() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        store
            .add_comment(&b.id, &p[1].id, "Ý kiến", false, T0)
            .unwrap();

        store
            .conn()
            .execute("DELETE FROM briefings WHERE id = ?1", [&b.id.0])
            .unwrap();

        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM comments", [], |row| row.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
