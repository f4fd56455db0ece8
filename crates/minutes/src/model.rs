//! The minutes as plain data: what the store and the briefing core know after a briefing.
//!
//! Every field is text as people typed it or as the server recorded it. Times may be RFC 3339
//! (`2025-07-15T08:00:00+07:00`), which the renderers turn into Vietnamese wording in the
//! offset given (the province's local time), or already formatted text, which is printed as
//! it is. Nothing here is validated: the renderers accept any value, normalise it to NFC and
//! never panic on it.

use serde::{Deserialize, Serialize};

/// The minutes ("biên bản") of one briefing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Minutes {
    /// What the briefing was about, printed under "BIÊN BẢN", e.g. "Giao ban trực tuyến công
    /// tác thông tin và truyền thông 6 tháng đầu năm 2025".
    pub title: String,
    /// The body above the issuing organisation in the top-left block, e.g. "UBND tỉnh Nghệ An".
    /// Printed in capitals; omitted when `None`.
    pub parent_organisation: Option<String>,
    /// The organisation that holds the briefing and issues the minutes, e.g. "SỞ THÔNG TIN VÀ
    /// TRUYỀN THÔNG TỈNH NGHỆ AN". Printed in bold capitals.
    pub organisation: String,
    /// The document number, e.g. "Số: 15/BB-STTTT"; omitted when `None`.
    pub number: Option<String>,
    /// The place name of the dateline, e.g. "Nghệ An" in "Nghệ An, ngày 15 tháng 7 năm 2025".
    /// The date is that of `started_at`; without a locality, or when `started_at` is not RFC
    /// 3339, there is no dateline.
    pub locality: Option<String>,
    /// Where the host point sat, e.g. "Hội trường tầng 3, Sở Thông tin và Truyền thông,
    /// số 16 Trường Thi, thành phố Vinh".
    pub place: String,
    /// When the briefing started: RFC 3339 or formatted text.
    pub started_at: String,
    /// When the briefing ended: RFC 3339 or formatted text.
    pub ended_at: String,
    /// The host point, e.g. "Sở Thông tin và Truyền thông".
    pub host: String,
    /// The person who chaired, with their title, e.g. "Ông Nguyễn Văn A, Giám đốc Sở". Signs
    /// the minutes; when `None` the signature block names no one under "CHỦ TRÌ".
    pub chair: Option<String>,
    /// The person who kept the minutes. Signs them under "THƯ KÝ".
    pub secretary: Option<String>,
    /// One line per invited point, in the order to print.
    pub attendance: Vec<AttendanceLine>,
    /// The agenda items in order.
    pub agenda: Vec<String>,
    /// Who had the floor and when, in order.
    pub speakers: Vec<SpeakerLine>,
    /// Who presented their screen and when, in order.
    pub presentations: Vec<PresentationLine>,
    /// When the briefing was recorded ("ghi hình"), in order.
    #[serde(default)]
    pub recordings: Vec<RecordingLine>,
    /// Concerns and proposals raised, with the host's answers.
    pub concerns: Vec<ConcernLine>,
    /// Written comments ("ý kiến bằng văn bản") the points sent during the briefing, in the
    /// order they arrived, with the host's answers.
    pub comments: Vec<CommentLine>,
    /// The host's conclusions, one paragraph each.
    pub conclusions: Vec<String>,
    /// Key tasks for the next period.
    pub tasks: Vec<TaskLine>,
}

/// One invited point and how it took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceLine {
    /// The point's name, which is its unit's name, e.g. "UBND thị xã Cửa Lò".
    pub point: String,
    /// Present, represented by a substitute, or absent.
    pub status: AttendanceStatus,
    /// When the point first joined (RFC 3339 or text); `None` if it never did.
    #[serde(default)]
    pub joined_at: Option<String>,
    /// When the point last left (RFC 3339 or text); `None` if it stayed to the end.
    #[serde(default)]
    pub left_at: Option<String>,
    /// Minutes the point was connected, summed over reconnections.
    #[serde(default)]
    pub minutes_present: Option<u32>,
}

/// How a point took part: its connections, confirmed by the roll-call.
///
/// Serialised as `{"kind": "host"}`, `{"kind": "present"}`,
/// `{"kind": "substitute", "detail": "…"}`, `{"kind": "no_answer"}` or
/// `{"kind": "absent", "detail": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttendanceStatus {
    /// The host point, present by chairing.
    Host,
    /// The invited representative attended.
    Present {
        /// Who attended, e.g. "Ông Trần Văn B, Phó Chủ tịch UBND".
        #[serde(default)]
        detail: Option<String>,
    },
    /// Someone attended in the representative's place.
    Substitute {
        /// Who attended instead, e.g. "Bà Lê Thị C, Trưởng phòng Văn hóa - Thông tin".
        detail: String,
    },
    /// The point was connected but did not answer the roll-call ("có kết nối, không trả
    /// lời").
    NoAnswer,
    /// The point was never connected.
    Absent {
        /// The reason given, if any.
        #[serde(default)]
        detail: Option<String>,
    },
}

/// One floor grant: a point that spoke, from when to when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerLine {
    /// The point that had the floor.
    pub point: String,
    /// When it was given the floor (RFC 3339 or text).
    pub from: String,
    /// When the floor was taken back (RFC 3339 or text).
    pub to: String,
    /// What it said, as the secretary noted it, if recorded; printed under "Nội dung", one
    /// paragraph per line.
    #[serde(default)]
    pub topic: Option<String>,
}

/// One screen presentation: a point that showed its screen, from when to when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentationLine {
    /// The point that presented.
    pub point: String,
    /// When it started presenting (RFC 3339 or text).
    pub from: String,
    /// When it stopped (RFC 3339 or text); empty if it never did.
    #[serde(default)]
    pub to: String,
}

/// One recording of the briefing: from its start to its stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingLine {
    /// When it started (RFC 3339 or text).
    pub from: String,
    /// When it stopped (RFC 3339 or text); empty while it runs.
    #[serde(default)]
    pub to: String,
    /// The server stopped mid-recording (a crash); the files hold what came before.
    #[serde(default)]
    pub interrupted: bool,
}

/// A written comment sent by a point, and the host's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentLine {
    /// The point that wrote it.
    pub point: String,
    /// When it was sent (RFC 3339 or text).
    #[serde(default)]
    pub sent_at: String,
    /// The comment as written.
    pub text: String,
    /// The host's answer; `None` while unanswered.
    #[serde(default)]
    pub answer: Option<String>,
}

/// A concern or proposal raised by a point, and the host's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernLine {
    /// The point that raised it.
    pub point: String,
    /// The concern as raised, e.g. "Dịch vụ công trực tuyến mức độ 3 chưa tích hợp lên cổng".
    pub text: String,
    /// The host's answer; `None` while unanswered.
    #[serde(default)]
    pub answer: Option<String>,
}

/// A key task concluded at the briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLine {
    /// What is to be done.
    pub text: String,
    /// The units responsible, lead unit first.
    #[serde(default)]
    pub owners: Vec<String>,
    /// The deadline: a date (`2025-12-31`), RFC 3339, or text such as "Thường xuyên".
    #[serde(default)]
    pub deadline: Option<String>,
    /// Where the task stands when the minutes are drawn up.
    #[serde(default)]
    pub status: TaskStatus,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskStatus {
    /// Not started.
    #[default]
    Open,
    /// Started, not done.
    InProgress,
    /// Done.
    Done,
    /// Not done and past its deadline.
    Overdue,
}

impl TaskStatus {
    /// The Vietnamese label printed in the minutes.
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "Chưa thực hiện",
            TaskStatus::InProgress => "Đang thực hiện",
            TaskStatus::Done => "Hoàn thành",
            TaskStatus::Overdue => "Quá hạn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_status_is_tagged_by_kind() {
        let json = r#"{"point":"UBND huyện Nghi Lộc",
                       "status":{"kind":"substitute","detail":"Bà Lê Thị C"}}"#;
        let line: AttendanceLine = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(
            line.status,
            AttendanceStatus::Substitute {
                detail: "Bà Lê Thị C".into()
            }
        );
        assert_eq!(line.joined_at, None);
        let back = serde_json::to_value(&line).expect("serialisable");
        assert_eq!(back["status"]["kind"], "substitute");
    }

    #[test]
    fn missing_fields_take_defaults() {
        let m: Minutes = serde_json::from_str(r#"{"title":"Giao ban"}"#).expect("valid JSON");
        assert_eq!(m.title, "Giao ban");
        assert!(m.tasks.is_empty());
        let t: TaskLine = serde_json::from_str(r#"{"text":"Kiểm tra"}"#).expect("valid JSON");
        assert_eq!(t.status, TaskStatus::Open);
    }

    #[test]
    fn minutes_from_before_comments_and_presentations_still_read() {
        let json = r#"{"title":"Giao ban","speakers":[{"point":"A","from":"08:00","to":"08:10"}],
                       "concerns":[{"point":"A","text":"Ý kiến"}]}"#;

        let m: Minutes = serde_json::from_str(json).expect("valid JSON");

        assert_eq!(m.speakers.len(), 1);
        assert!(m.comments.is_empty());
        assert!(m.presentations.is_empty());
        let c: CommentLine =
            serde_json::from_str(r#"{"point":"A","text":"Xin tài liệu"}"#).expect("valid JSON");
        assert_eq!((c.sent_at.as_str(), c.answer), ("", None));
        let p: PresentationLine =
            serde_json::from_str(r#"{"point":"A","from":"08:15"}"#).expect("valid JSON");
        assert_eq!(p.to, "");
    }
}
