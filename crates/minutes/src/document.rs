//! The minutes as a sequence of blocks: masthead, title, headings, paragraphs, lists, tables
//! and signatures, with every label worded and every value cleaned.
//!
//! Both renderers draw this one structure, so the PDF and the HTML page say the same thing;
//! they differ only in how they lay it out.

use crate::model::{AttendanceStatus, Minutes};
use crate::text;

/// How a run of text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Style {
    Regular,
    Bold,
    Italic,
}

/// Text in one style. The text is clean: NFC, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub style: Style,
    pub text: String,
}

/// A paragraph: runs set one after the other, wrapped as one.
pub(crate) type Para = Vec<Run>;

/// Horizontal alignment of a paragraph or a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    /// Both edges flush, the last line flush left.
    Justify,
}

/// A table column: its heading, its share of the text width and how its cells align.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub title: &'static str,
    pub share: f32,
    pub align: Align,
}

/// A table cell: one or more paragraphs.
pub(crate) type Cell = Vec<Para>;

/// The top block of an administrative document: the issuing body on the left, the national
/// motto on the right, then the dateline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Masthead {
    pub parent: Option<String>,
    pub organisation: String,
    pub number: Option<String>,
    pub dateline: Option<String>,
}

/// Someone who signs the minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signer {
    pub role: &'static str,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Masthead(Masthead),
    /// The document kind ("BIÊN BẢN") and what it records.
    Title {
        kind: &'static str,
        subject: String,
    },
    /// "I. Thời gian, địa điểm, thành phần".
    Heading(String),
    /// "1. Chương trình".
    Subheading(String),
    Paragraph(Para),
    /// A list item: `label` hangs in the margin, `body` is indented as one block.
    Item {
        label: String,
        body: Vec<Para>,
    },
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<Cell>>,
    },
    Signatures(Vec<Signer>),
}

/// The minutes, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// The document's title for the PDF metadata and the HTML `<title>`.
    pub title: String,
    pub blocks: Vec<Block>,
}

pub(crate) const MOTTO_COUNTRY: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub(crate) const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";
pub(crate) const KIND: &str = "BIÊN BẢN";
pub(crate) const SIGN_HINT: &str = "(Ký, ghi rõ họ tên)";

impl Document {
    pub(crate) fn from_minutes(m: &Minutes) -> Document {
        let subject = text::line(&m.title);
        let mut blocks = vec![
            Block::Masthead(Masthead {
                parent: text::non_empty(m.parent_organisation.as_deref()).map(|p| p.to_uppercase()),
                organisation: text::line(&m.organisation).to_uppercase(),
                number: text::non_empty(m.number.as_deref()),
                dateline: m
                    .locality
                    .as_deref()
                    .and_then(|l| text::dateline(l, &m.started_at)),
            }),
            Block::Title {
                kind: KIND,
                subject: subject.clone(),
            },
        ];
        general(m, &mut blocks);
        proceedings(m, &mut blocks);
        outcome(m, &mut blocks);
        if let Some(end) = text::ended(&m.started_at, &m.ended_at) {
            blocks.push(Block::Paragraph(vec![regular(format!(
                "Buổi giao ban kết thúc lúc {end}./."
            ))]));
        }
        blocks.push(Block::Signatures(vec![
            Signer {
                role: "THƯ KÝ",
                name: text::non_empty(m.secretary.as_deref()),
            },
            Signer {
                role: "CHỦ TRÌ",
                name: text::non_empty(m.chair.as_deref()),
            },
        ]));
        let title = if subject.is_empty() {
            "Biên bản".to_owned()
        } else {
            format!("Biên bản: {subject}")
        };
        Document { title, blocks }
    }
}

/// I. Time, place, who took part.
fn general(m: &Minutes, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("I. Thời gian, địa điểm, thành phần".into()));
    let mut n = 0;
    let mut labelled = |label: &str, value: String| {
        n += 1;
        Block::Paragraph(vec![bold(format!("{n}. {label}: ")), regular(value)])
    };
    blocks.push(labelled(
        "Thời gian",
        text::span(&m.started_at, &m.ended_at),
    ));
    blocks.push(labelled("Địa điểm", text::line(&m.place)));
    let host = text::line(&m.host);
    blocks.push(match text::non_empty(m.chair.as_deref()) {
        Some(chair) if host.is_empty() => labelled("Chủ trì", chair),
        Some(chair) => labelled("Chủ trì", format!("{chair}, tại điểm cầu {host}")),
        None => labelled("Điểm cầu chủ trì", host),
    });
    if let Some(secretary) = text::non_empty(m.secretary.as_deref()) {
        blocks.push(labelled("Thư ký", secretary));
    }
    blocks.push(labelled("Thành phần tham dự", attendance_summary(m)));
    for (label, names) in attendance_groups(m) {
        blocks.push(Block::Item {
            label: "-".into(),
            body: vec![vec![italic(format!("{label}: ")), regular(names)]],
        });
    }
    if !m.attendance.is_empty() {
        blocks.push(attendance_table(m));
    }
}

/// II. What was presented, said and asked.
fn proceedings(m: &Minutes, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("II. Nội dung".into()));

    blocks.push(Block::Subheading("1. Chương trình".into()));
    let agenda: Vec<String> = m
        .agenda
        .iter()
        .map(|a| text::line(a))
        .filter(|a| !a.is_empty())
        .collect();
    none_if_empty(blocks, agenda.is_empty());
    for (i, item) in agenda.into_iter().enumerate() {
        blocks.push(Block::Item {
            label: format!("{})", i + 1),
            body: vec![vec![regular(item)]],
        });
    }

    blocks.push(Block::Subheading("2. Phát biểu tại các điểm cầu".into()));
    none_if_empty(blocks, m.speakers.is_empty() && m.presentations.is_empty());
    if !m.speakers.is_empty() {
        let rows = m
            .speakers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vec![
                    cell(regular((i + 1).to_string())),
                    cell(regular(text::line(&s.point))),
                    cell(regular(format!(
                        "{} – {}",
                        text::clock(&s.from),
                        text::clock(&s.to)
                    ))),
                    // The secretary's note may run to several paragraphs.
                    s.topic
                        .as_deref()
                        .map(text::paragraphs)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| vec![regular(p)])
                        .collect(),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            columns: vec![
                column("STT", 0.07, Align::Center),
                column("Điểm cầu", 0.33, Align::Left),
                column("Thời gian", 0.17, Align::Center),
                column("Nội dung", 0.43, Align::Left),
            ],
            rows,
        });
    }
    if !m.presentations.is_empty() {
        blocks.push(presentations(m));
    }
    if !m.recordings.is_empty() {
        blocks.push(recordings(m));
    }

    blocks.push(Block::Subheading(
        "3. Ý kiến, kiến nghị của các điểm cầu".into(),
    ));
    none_if_empty(blocks, m.concerns.is_empty());
    for (i, c) in m.concerns.iter().enumerate() {
        let mut body: Vec<Para> = Vec::new();
        let mut concern = text::paragraphs(&c.text).into_iter();
        body.push(vec![
            bold(format!("{}: ", text::line(&c.point))),
            regular(concern.next().unwrap_or_default()),
        ]);
        body.extend(concern.map(|p| vec![regular(p)]));
        let answer = c
            .answer
            .as_deref()
            .map(text::paragraphs)
            .unwrap_or_default();
        if answer.is_empty() {
            body.push(vec![italic("Chưa trả lời.".into())]);
        }
        push_answer(&mut body, answer);
        blocks.push(Block::Item {
            label: format!("{})", i + 1),
            body,
        });
    }

    comments(m, blocks);
}

/// The written comments, each with its author, time and the host's answer if any.
fn comments(m: &Minutes, blocks: &mut Vec<Block>) {
    blocks.push(Block::Subheading("4. Ý kiến bằng văn bản".into()));
    none_if_empty(blocks, m.comments.is_empty());
    for (i, c) in m.comments.iter().enumerate() {
        let point = text::line(&c.point);
        let author = match text::non_empty(Some(&c.sent_at)) {
            Some(at) => format!("{point} ({}): ", text::clock(&at)),
            None => format!("{point}: "),
        };
        let mut body: Vec<Para> = Vec::new();
        let mut comment = text::paragraphs(&c.text).into_iter();
        body.push(vec![
            bold(author),
            regular(comment.next().unwrap_or_default()),
        ]);
        body.extend(comment.map(|p| vec![regular(p)]));
        let answer = c
            .answer
            .as_deref()
            .map(text::paragraphs)
            .unwrap_or_default();
        push_answer(&mut body, answer);
        blocks.push(Block::Item {
            label: format!("{})", i + 1),
            body,
        });
    }
}

/// The host's answer, its first paragraph led by "Trả lời: ".
fn push_answer(body: &mut Vec<Para>, answer: Vec<String>) {
    for (j, p) in answer.into_iter().enumerate() {
        body.push(if j == 0 {
            vec![italic("Trả lời: ".into()), regular(p)]
        } else {
            vec![regular(p)]
        });
    }
}

/// One sentence naming who presented their screen and when, in the speakers' time format:
/// "Trình chiếu màn hình: UBND thị xã Cửa Lò (08:15 – 08:27); …".
fn presentations(m: &Minutes) -> Block {
    let shown: Vec<String> = m
        .presentations
        .iter()
        .map(|p| {
            let from = text::clock(&p.from);
            let to = text::clock(&p.to);
            let when = match (from.is_empty(), to.is_empty()) {
                (false, false) => format!(" ({from} – {to})"),
                (false, true) => format!(" (từ {from})"),
                (true, false) => format!(" (đến {to})"),
                (true, true) => String::new(),
            };
            format!("{}{when}", text::line(&p.point))
        })
        .collect();
    Block::Paragraph(vec![
        italic("Trình chiếu màn hình: ".into()),
        regular(format!("{}.", shown.join("; "))),
    ])
}

/// One sentence saying when the briefing was recorded:
/// "Ghi hình: 08:05 – 09:40; 09:50 – 10:02 (bị gián đoạn)."
fn recordings(m: &Minutes) -> Block {
    let spans: Vec<String> = m
        .recordings
        .iter()
        .map(|r| {
            let from = text::clock(&r.from);
            let to = text::clock(&r.to);
            let mut span = if to.is_empty() {
                format!("từ {from}")
            } else {
                format!("{from} – {to}")
            };
            if r.interrupted {
                span.push_str(" (bị gián đoạn)");
            }
            span
        })
        .collect();
    Block::Paragraph(vec![
        italic("Ghi hình: ".into()),
        regular(format!("{}.", spans.join("; "))),
    ])
}

/// III. Conclusions and the tasks that follow from them.
fn outcome(m: &Minutes, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("III. Kết luận và nhiệm vụ".into()));

    blocks.push(Block::Subheading("1. Kết luận".into()));
    let conclusions: Vec<Vec<Para>> = m
        .conclusions
        .iter()
        .map(|c| {
            text::paragraphs(c)
                .into_iter()
                .map(|p| vec![regular(p)])
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect();
    none_if_empty(blocks, conclusions.is_empty());
    for body in conclusions {
        blocks.push(Block::Item {
            label: "-".into(),
            body,
        });
    }

    blocks.push(Block::Subheading("2. Nhiệm vụ trọng tâm".into()));
    none_if_empty(blocks, m.tasks.is_empty());
    if !m.tasks.is_empty() {
        let rows = m
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                vec![
                    cell(regular((i + 1).to_string())),
                    text::paragraphs(&t.text)
                        .into_iter()
                        .map(|p| vec![regular(p)])
                        .collect(),
                    owners(&t.owners),
                    t.deadline
                        .as_deref()
                        .map(text::short_date)
                        .filter(|d| !d.is_empty())
                        .map(|d| cell(regular(d)))
                        .unwrap_or_default(),
                    cell(regular(t.status.label().into())),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            columns: vec![
                column("STT", 0.06, Align::Center),
                column("Nhiệm vụ", 0.40, Align::Left),
                column("Đơn vị thực hiện", 0.25, Align::Left),
                column("Thời hạn", 0.14, Align::Center),
                column("Tình trạng", 0.15, Align::Center),
            ],
            rows,
        });
    }
}

/// The count of each group: the points that took part (the host, present, substitutes and
/// those connected without answering the roll-call), then those absent.
fn attendance_summary(m: &Minutes) -> String {
    let total = m.attendance.len();
    if total == 0 {
        return "Không có số liệu điểm danh.".into();
    }
    let (mut host, mut present, mut substitutes, mut no_answer, mut absent) = (0, 0, 0, 0, 0);
    for line in &m.attendance {
        match line.status {
            AttendanceStatus::Host => host += 1,
            AttendanceStatus::Present { .. } => present += 1,
            AttendanceStatus::Substitute { .. } => substitutes += 1,
            AttendanceStatus::NoAnswer => no_answer += 1,
            AttendanceStatus::Absent { .. } => absent += 1,
        }
    }
    let attended = host + present + substitutes + no_answer;
    let mut s = format!("{attended} trên {total} điểm cầu tham dự");
    let mut parts = Vec::new();
    if host > 0 {
        parts.push("điểm cầu chủ trì".to_owned());
    }
    if present > 0 {
        parts.push(format!("{present} điểm cầu có mặt"));
    }
    if substitutes > 0 {
        parts.push(format!("{substitutes} điểm cầu cử người dự thay"));
    }
    if no_answer > 0 {
        parts.push(format!(
            "{no_answer} điểm cầu có kết nối nhưng không trả lời điểm danh"
        ));
    }
    if !parts.is_empty() {
        s.push_str(&format!(" (gồm {})", parts.join("; ")));
    }
    if absent > 0 {
        s.push_str(&format!(", {absent} điểm cầu vắng mặt"));
    }
    s.push('.');
    s
}

/// The points of the groups that are not simply present, named: those represented by a
/// substitute, those connected without answering, those absent (with their reasons).
fn attendance_groups(m: &Minutes) -> Vec<(&'static str, String)> {
    let (mut substitutes, mut no_answer, mut absent) = (Vec::new(), Vec::new(), Vec::new());
    for line in &m.attendance {
        let point = text::line(&line.point);
        match &line.status {
            AttendanceStatus::Substitute { detail } => {
                substitutes.push(match text::non_empty(Some(detail)) {
                    Some(who) => format!("{point} ({who})"),
                    None => point,
                });
            }
            AttendanceStatus::NoAnswer => no_answer.push(point),
            AttendanceStatus::Absent { detail } => {
                absent.push(match text::non_empty(detail.as_deref()) {
                    Some(why) => format!("{point} ({why})"),
                    None => point,
                });
            }
            _ => {}
        }
    }
    [
        ("Dự thay", substitutes),
        ("Có kết nối, không trả lời điểm danh", no_answer),
        ("Vắng mặt", absent),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(label, names)| (label, format!("{}.", names.join("; "))))
    .collect()
}

fn attendance_table(m: &Minutes) -> Block {
    let rows = m
        .attendance
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let status = match &a.status {
                AttendanceStatus::Host => cell(regular("Chủ trì".into())),
                AttendanceStatus::Present { detail } => {
                    with_detail("Có mặt", text::non_empty(detail.as_deref()))
                }
                AttendanceStatus::Substitute { detail } => {
                    with_detail("Dự thay", text::non_empty(Some(detail)))
                }
                AttendanceStatus::NoAnswer => cell(regular("Có kết nối, không trả lời".into())),
                AttendanceStatus::Absent { detail } => {
                    with_detail("Vắng mặt", text::non_empty(detail.as_deref()))
                }
            };
            let time = |t: &Option<String>| {
                text::non_empty(t.as_deref())
                    .map(|t| cell(regular(text::clock(&t))))
                    .unwrap_or_default()
            };
            vec![
                cell(regular((i + 1).to_string())),
                cell(regular(text::line(&a.point))),
                status,
                time(&a.joined_at),
                time(&a.left_at),
                a.minutes_present
                    .map(|n| cell(regular(n.to_string())))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Block::Table {
        columns: vec![
            column("STT", 0.07, Align::Center),
            column("Điểm cầu", 0.36, Align::Left),
            column("Điểm danh", 0.27, Align::Left),
            column("Vào", 0.09, Align::Center),
            column("Ra", 0.09, Align::Center),
            column("Số phút", 0.12, Align::Center),
        ],
        rows,
    }
}

/// "Có mặt" over the person's name in italics.
fn with_detail(status: &str, detail: Option<String>) -> Cell {
    let mut c = cell(regular(status.into()));
    if let Some(d) = detail {
        c.push(vec![italic(d)]);
    }
    c
}

/// The lead unit, then those that assist.
fn owners(owners: &[String]) -> Cell {
    let owners: Vec<String> = owners
        .iter()
        .map(|o| text::line(o))
        .filter(|o| !o.is_empty())
        .collect();
    match owners.as_slice() {
        [] => Cell::new(),
        [only] => cell(regular(only.clone())),
        [lead, rest @ ..] => vec![
            vec![italic("Chủ trì: ".into()), regular(lead.clone())],
            vec![italic("Phối hợp: ".into()), regular(rest.join(", "))],
        ],
    }
}

fn none_if_empty(blocks: &mut Vec<Block>, empty: bool) {
    if empty {
        blocks.push(Block::Paragraph(vec![italic("Không có.".into())]));
    }
}

fn column(title: &'static str, share: f32, align: Align) -> Column {
    Column {
        title,
        share,
        align,
    }
}

fn cell(run: Run) -> Cell {
    vec![vec![run]]
}

fn regular(text: String) -> Run {
    Run {
        style: Style::Regular,
        text,
    }
}

fn bold(text: String) -> Run {
    Run {
        style: Style::Bold,
        text,
    }
}

fn italic(text: String) -> Run {
    Run {
        style: Style::Italic,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AttendanceLine, CommentLine, PresentationLine, SpeakerLine, TaskLine, TaskStatus,
    };

    fn plain(blocks: &[Block]) -> String {
        format!("{blocks:?}")
    }

    #[test]
    fn empty_minutes_still_have_every_section_and_signatures() {
        let doc = Document::from_minutes(&Minutes::default());
        let headings: Vec<&str> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(h) => Some(h.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            headings,
            [
                "I. Thời gian, địa điểm, thành phần",
                "II. Nội dung",
                "III. Kết luận và nhiệm vụ"
            ]
        );
        let subheadings: Vec<&str> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Subheading(h) => Some(h.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            subheadings,
            [
                "1. Chương trình",
                "2. Phát biểu tại các điểm cầu",
                "3. Ý kiến, kiến nghị của các điểm cầu",
                "4. Ý kiến bằng văn bản",
                "1. Kết luận",
                "2. Nhiệm vụ trọng tâm"
            ]
        );
        let nones = doc
            .blocks
            .iter()
            .filter(|b| **b == Block::Paragraph(vec![italic("Không có.".into())]))
            .count();
        assert_eq!(nones, subheadings.len());
        assert!(matches!(doc.blocks.last(), Some(Block::Signatures(s)) if s.len() == 2));
        assert_eq!(doc.title, "Biên bản");
    }

    #[test]
    fn presentations_follow_the_speakers_in_their_time_format() {
        let at = |hm: &str| format!("2025-07-15T{hm}:00+07:00");
        let m = Minutes {
            speakers: vec![SpeakerLine {
                point: "UBND thị xã Cửa Lò".into(),
                from: at("08:10"),
                to: at("08:30"),
                topic: None,
            }],
            recordings: Vec::new(),
            presentations: vec![
                PresentationLine {
                    point: "UBND thị xã Cửa Lò".into(),
                    from: at("08:15"),
                    to: at("08:27"),
                },
                PresentationLine {
                    point: " UBND huyện\nNghi Lộc ".into(),
                    from: at("09:02"),
                    to: String::new(),
                },
            ],
            ..Minutes::default()
        };

        let blocks = Document::from_minutes(&m).blocks;

        let speakers = blocks
            .iter()
            .position(|b| matches!(b, Block::Subheading(h) if h.starts_with("2. ")))
            .expect("the speakers' subsection");
        assert!(matches!(blocks[speakers + 1], Block::Table { .. }));
        assert_eq!(
            blocks[speakers + 2],
            Block::Paragraph(vec![
                italic("Trình chiếu màn hình: ".into()),
                regular(
                    "UBND thị xã Cửa Lò (08:15 – 08:27); UBND huyện Nghi Lộc (từ 09:02).".into()
                ),
            ])
        );
        assert!(plain(&blocks).contains("\"08:10 – 08:30\""));
    }

    #[test]
    fn the_note_of_a_speech_fills_its_content_one_paragraph_per_line() {
        let m = Minutes {
            speakers: vec![
                SpeakerLine {
                    point: "UBND phường Trường Vinh".into(),
                    from: "08:10".into(),
                    to: "08:20".into(),
                    topic: Some(
                        "Báo cáo kết quả chuyển đổi số.\n\n Đề nghị hỗ trợ kinh phí. ".into(),
                    ),
                },
                SpeakerLine {
                    point: "UBND xã Hưng Nguyên".into(),
                    from: "08:20".into(),
                    to: "08:25".into(),
                    topic: Some(" \n ".into()),
                },
            ],
            ..Minutes::default()
        };

        let blocks = Document::from_minutes(&m).blocks;

        let rows = blocks
            .iter()
            .find_map(|b| match b {
                Block::Table { columns, rows } if columns[3].title == "Nội dung" => Some(rows),
                _ => None,
            })
            .expect("the speakers' table");
        assert_eq!(
            rows[0][3],
            vec![
                vec![regular("Báo cáo kết quả chuyển đổi số.".into())],
                vec![regular("Đề nghị hỗ trợ kinh phí.".into())],
            ]
        );
        assert!(rows[1][3].is_empty(), "a blank note leaves the cell empty");
    }

    #[test]
    fn presentations_alone_are_not_none() {
        let m = Minutes {
            recordings: Vec::new(),
            presentations: vec![PresentationLine {
                point: "Sở TT&TT".into(),
                from: "08:15".into(),
                to: "08:20".into(),
            }],
            ..Minutes::default()
        };

        let text = plain(&Document::from_minutes(&m).blocks);

        assert!(text.contains("Sở TT&TT (08:15 – 08:20)."), "{text}");
        assert_eq!(text.matches("Không có.").count(), 5, "{text}");
    }

    #[test]
    fn comments_name_their_point_and_time_and_the_answer() {
        let m = Minutes {
            comments: vec![
                CommentLine {
                    point: "UBND thị xã Cửa Lò".into(),
                    sent_at: "2025-07-15T08:21:30+07:00".into(),
                    text: "Đề nghị gửi lại tài liệu.\nBản cũ bị lỗi phông.".into(),
                    answer: Some("Văn phòng Sở đã gửi lại.".into()),
                },
                CommentLine {
                    point: "UBND huyện Nghi Lộc".into(),
                    sent_at: String::new(),
                    text: "Mất tiếng điểm cầu chủ trì".into(),
                    answer: Some("  ".into()),
                },
            ],
            ..Minutes::default()
        };

        let blocks = Document::from_minutes(&m).blocks;

        let items: Vec<&Block> = blocks
            .iter()
            .skip_while(|b| !matches!(b, Block::Subheading(h) if h == "4. Ý kiến bằng văn bản"))
            .skip(1)
            .take_while(|b| matches!(b, Block::Item { .. }))
            .collect();
        assert_eq!(
            items,
            [
                &Block::Item {
                    label: "1)".into(),
                    body: vec![
                        vec![
                            bold("UBND thị xã Cửa Lò (08:21): ".into()),
                            regular("Đề nghị gửi lại tài liệu.".into()),
                        ],
                        vec![regular("Bản cũ bị lỗi phông.".into())],
                        vec![
                            italic("Trả lời: ".into()),
                            regular("Văn phòng Sở đã gửi lại.".into()),
                        ],
                    ],
                },
                &Block::Item {
                    label: "2)".into(),
                    body: vec![vec![
                        bold("UBND huyện Nghi Lộc: ".into()),
                        regular("Mất tiếng điểm cầu chủ trì".into()),
                    ]],
                },
            ]
        );
    }

    #[test]
    fn attendance_is_counted_and_tabled() {
        let line = |point: &str, status| AttendanceLine {
            point: point.into(),
            status,
            joined_at: None,
            left_at: None,
            minutes_present: None,
        };
        let m = Minutes {
            attendance: vec![
                line("Sở Khoa học và Công nghệ", AttendanceStatus::Host),
                AttendanceLine {
                    point: "UBND thị xã Cửa Lò".into(),
                    status: AttendanceStatus::Present { detail: None },
                    joined_at: Some("2025-07-15T07:58:00+07:00".into()),
                    left_at: None,
                    minutes_present: Some(212),
                },
                AttendanceLine {
                    point: "UBND huyện Nghi Lộc".into(),
                    status: AttendanceStatus::Substitute {
                        detail: "Bà Lê Thị C".into(),
                    },
                    joined_at: None,
                    left_at: None,
                    minutes_present: None,
                },
                line("UBND thị xã Hoàng Mai", AttendanceStatus::NoAnswer),
                line(
                    "UBND huyện Quế Phong",
                    AttendanceStatus::Absent { detail: None },
                ),
                line(
                    "UBND huyện Kỳ Sơn",
                    AttendanceStatus::Absent {
                        detail: Some("Mất điện do bão".into()),
                    },
                ),
            ],
            ..Minutes::default()
        };
        let doc = Document::from_minutes(&m);
        let text = plain(&doc.blocks);
        assert!(
            text.contains(
                "4 trên 6 điểm cầu tham dự (gồm điểm cầu chủ trì; 1 điểm cầu có mặt; \
                 1 điểm cầu cử người dự thay; 1 điểm cầu có kết nối nhưng không trả lời \
                 điểm danh), 2 điểm cầu vắng mặt."
            ),
            "{text}"
        );
        assert!(text.contains("\"UBND huyện Nghi Lộc (Bà Lê Thị C).\""));
        assert!(text.contains("\"UBND thị xã Hoàng Mai.\""));
        assert!(text.contains("\"UBND huyện Quế Phong; UBND huyện Kỳ Sơn (Mất điện do bão).\""));
        assert!(text.contains("\"Có kết nối, không trả lời\""));
        assert!(text.contains("\"Điểm danh\""));
        assert!(text.contains("\"07:58\""));
        assert!(text.contains("\"212\""));
    }

    #[test]
    fn tasks_name_lead_and_assisting_units() {
        let m = Minutes {
            tasks: vec![TaskLine {
                text: "Kiểm tra an toàn thông tin".into(),
                owners: vec![
                    "Sở TT&TT".into(),
                    "Công an tỉnh".into(),
                    "UBND TP Vinh".into(),
                ],
                deadline: Some("2025-12-31".into()),
                status: TaskStatus::InProgress,
            }],
            ..Minutes::default()
        };
        let text = plain(&Document::from_minutes(&m).blocks);
        assert!(text.contains("\"Công an tỉnh, UBND TP Vinh\""));
        assert!(text.contains("\"31/12/2025\""));
        assert!(text.contains("\"Đang thực hiện\""));
    }
}
