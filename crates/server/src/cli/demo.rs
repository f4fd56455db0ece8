//! Demo data: one province's briefings of one series, so that a newcomer sees a whole briefing
//! in one command (`giaoban demo`, or `giaoban serve --demo`).
//!
//! The series spans the reorganisation of 2025. Its previous briefing is the last quarterly ICT
//! briefing of the former structure (Luật Tổ chức chính quyền địa phương 2015): hosted by the
//! Department of Information and Communications for the city, towns and districts, in the
//! fourth quarter of 2024, and held (attendance, roll-call, floor grants with the secretary's
//! notes, concerns answered, conclusions, tasks, minutes). Since then the province has two
//! levels, province and commune or ward, and the Department of Science and Technology took
//! over information and communications. The upcoming briefing, tomorrow, is its six-month
//! briefing down to the communes and wards: agenda, the previous minutes as a document, the
//! Department's indicator set with each unit's plan, the units' reports (four not in yet),
//! proposals raised ahead of it, and the previous briefing's tasks followed up, handed over to
//! the units that succeeded their owners. Other dates are relative to the day of seeding.

use std::collections::BTreeMap;

use anyhow::Context;
use giaoban_model::{BriefingId, PointId};
use giaoban_store::{
    Aggregate, ConcernKind, MinutesDetails, NewAgendaItem, NewBriefing, NewDocument, NewIndicator,
    NewIndicatorDefinition, NewTask, Point, RollCallRecord, Store, TaskPatch, TaskState,
};
use serde::Serialize;
use time::macros::{datetime, format_description, offset};
use time::{Duration, OffsetDateTime, Time};

use crate::record;

/// Setting holding the ids of the demo briefings once seeded ("previous current").
const DEMO_SETTING: &str = "demo_briefings";

/// The series of the demo briefings.
const SERIES: &str = "giao-ban-cntt-nghe-an";

/// When the previous briefing was held: the fourth quarter of 2024, before the Department of
/// Information and Communications merged into the Department of Science and Technology
/// (1 March 2025) and before the districts were abolished (1 July 2025).
const PREVIOUS_HELD: OffsetDateTime = datetime!(2024-12-26 08:00 +7);

/// The province's units: the People's Committee; the two departments, the former host and
/// today's; the city, towns and districts of the former structure; the wards and communes of
/// today's, which the upcoming briefing invites. The addresses end in `.invalid`, which no mail
/// server delivers to.
const UNITS: &str = "code,name,parent_code,email\n\
    TINH-NA,UBND tỉnh Nghệ An,,vanphong@nghean.giaoban-demo.invalid\n\
    SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,\n\
    SO-KHCN,Sở Khoa học và Công nghệ,TINH-NA,sokhcn@nghean.giaoban-demo.invalid\n\
    TP-VINH,UBND thành phố Vinh,TINH-NA,\n\
    TX-CUALO,UBND thị xã Cửa Lò,TINH-NA,\n\
    TX-HOANGMAI,UBND thị xã Hoàng Mai,TINH-NA,\n\
    TX-THAIHOA,UBND thị xã Thái Hòa,TINH-NA,\n\
    H-NGHILOC,UBND huyện Nghi Lộc,TINH-NA,\n\
    H-DIENCHAU,UBND huyện Diễn Châu,TINH-NA,\n\
    P-TRUONGVINH,UBND phường Trường Vinh,TINH-NA,ubnd@truongvinh.giaoban-demo.invalid\n\
    P-THANHVINH,UBND phường Thành Vinh,TINH-NA,ubnd@thanhvinh.giaoban-demo.invalid\n\
    P-VINHHUNG,UBND phường Vinh Hưng,TINH-NA,ubnd@vinhhung.giaoban-demo.invalid\n\
    P-VINHPHU,UBND phường Vinh Phú,TINH-NA,ubnd@vinhphu.giaoban-demo.invalid\n\
    P-CUALO,UBND phường Cửa Lò,TINH-NA,ubnd@cualo.giaoban-demo.invalid\n\
    P-HOANGMAI,UBND phường Hoàng Mai,TINH-NA,ubnd@hoangmai.giaoban-demo.invalid\n\
    P-THAIHOA,UBND phường Thái Hòa,TINH-NA,ubnd@thaihoa.giaoban-demo.invalid\n\
    X-NGHILOC,UBND xã Nghi Lộc,TINH-NA,ubnd@nghiloc.giaoban-demo.invalid\n\
    X-DIENCHAU,UBND xã Diễn Châu,TINH-NA,ubnd@dienchau.giaoban-demo.invalid\n\
    X-HUNGNGUYEN,UBND xã Hưng Nguyên,TINH-NA,ubnd@hungnguyen.giaoban-demo.invalid\n\
    X-NAMDAN,UBND xã Nam Đàn,TINH-NA,ubnd@namdan.giaoban-demo.invalid\n\
    X-DOLUONG,UBND xã Đô Lương,TINH-NA,ubnd@doluong.giaoban-demo.invalid\n\
    X-YENTHANH,UBND xã Yên Thành,TINH-NA,ubnd@yenthanh.giaoban-demo.invalid\n\
    X-CONCUONG,UBND xã Con Cuông,TINH-NA,ubnd@concuong.giaoban-demo.invalid\n\
    X-MUONGXEN,UBND xã Mường Xén,TINH-NA,ubnd@muongxen.giaoban-demo.invalid\n";

/// The bridge points of the previous briefing: the city, towns and districts, in the order
/// they were invited.
const FORMER_POINTS: &[&str] = &[
    "TP-VINH",
    "TX-CUALO",
    "TX-HOANGMAI",
    "TX-THAIHOA",
    "H-NGHILOC",
    "H-DIENCHAU",
];

/// The bridge points of the upcoming briefing: the wards and communes, in the order they are
/// invited.
const POINTS: &[&str] = &[
    "P-TRUONGVINH",
    "P-THANHVINH",
    "P-VINHHUNG",
    "P-VINHPHU",
    "P-CUALO",
    "P-HOANGMAI",
    "P-THAIHOA",
    "X-NGHILOC",
    "X-DIENCHAU",
    "X-HUNGNGUYEN",
    "X-NAMDAN",
    "X-DOLUONG",
    "X-YENTHANH",
    "X-CONCUONG",
    "X-MUONGXEN",
];

/// One link printed for the newcomer.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLink {
    pub briefing: String,
    pub point: String,
    pub role: String,
    /// The live briefing (`/j/…`).
    pub join: String,
    /// The dossier: agenda, reports, proposals, tasks, minutes (`/d/…`).
    pub dossier: String,
}

/// What the demo seeded (or found seeded).
#[derive(Debug, Clone, Serialize)]
pub struct Demo {
    pub previous: String,
    pub current: String,
    /// Whether this call seeded the data (false: it was there already).
    pub seeded: bool,
    pub links: Vec<DemoLink>,
}

/// Seeds the demo into `store` unless it is there already, and returns its links.
pub fn ensure(store: &Store, base_url: &str) -> anyhow::Result<Demo> {
    let (previous, current, seeded) = match store.setting(DEMO_SETTING)? {
        Some(ids) => {
            let (previous, current) = ids
                .split_once(' ')
                .context("the demo setting of this data directory is damaged")?;
            (previous.to_owned(), current.to_owned(), false)
        }
        None => {
            let (previous, current) = seed(store, OffsetDateTime::now_utc())?;
            store.set_setting(DEMO_SETTING, &format!("{} {}", previous.0, current.0))?;
            (previous.0, current.0, true)
        }
    };
    let mut links = Vec::new();
    for id in [&current, &previous] {
        let id = BriefingId(id.clone());
        let briefing = store
            .briefing(&id)?
            .context("a demo briefing was deleted; seed the demo into a fresh data directory")?;
        for point in store.points(&id)? {
            let token = store.token_for(&point);
            links.push(DemoLink {
                briefing: briefing.title.clone(),
                point: point.name,
                role: point.role.as_str().to_owned(),
                join: format!("{base_url}/j/{token}"),
                dossier: format!("{base_url}/d/{token}"),
            });
        }
    }
    Ok(Demo {
        previous,
        current,
        seeded,
        links,
    })
}

/// Prints the demo's links for a person.
pub fn print(demo: &Demo) {
    if demo.seeded {
        println!("Demo data seeded: two briefings of the series {SERIES}.");
    } else {
        println!("Demo data already present.");
    }
    let mut last = "";
    for link in &demo.links {
        if link.briefing != last {
            println!("\n{}", link.briefing);
            last = &link.briefing;
        }
        println!(
            "  {:<32} {:<6} hồ sơ: {}\n  {:<32} {:<6} họp:  {}",
            link.point, link.role, link.dossier, "", "", link.join
        );
    }
}

/// A day `days` from `now`'s date in Vietnam, at `hour:00` Vietnam time.
fn vietnam_day(now: OffsetDateTime, days: i64, hour: u8) -> OffsetDateTime {
    let date = now.to_offset(offset!(+7)).date() + Duration::days(days);
    date.with_time(Time::from_hms(hour, 0, 0).expect("a valid hour"))
        .assume_offset(offset!(+7))
}

fn stamp(t: OffsetDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .expect("a date formats")
}

fn date(t: OffsetDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day]"))
        .expect("a date formats")
}

fn ms(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Seeds the two briefings; returns (previous, current).
fn seed(store: &Store, now: OffsetDateTime) -> anyhow::Result<(BriefingId, BriefingId)> {
    store.import_units_csv(UNITS)?;

    let held = PREVIOUS_HELD;
    let previous = store.create_briefing(&NewBriefing {
        title: format!(
            "Giao ban trực tuyến công tác thông tin và truyền thông quý {} năm {}",
            roman_quarter(held),
            held.year()
        ),
        scheduled_start: Some(stamp(held)),
        host_unit: Some("SO-TTTT".into()),
        units: FORMER_POINTS.iter().map(|&c| c.to_owned()).collect(),
        series: Some(SERIES.into()),
        ..NewBriefing::default()
    })?;
    let next = vietnam_day(now, 1, 14);
    let current = store.create_briefing(&NewBriefing {
        title: format!(
            "Giao ban trực tuyến công tác khoa học, công nghệ và chuyển đổi số {} với các xã, \
             phường",
            half_year(next)
        ),
        scheduled_start: Some(stamp(next)),
        host_unit: Some("SO-KHCN".into()),
        units: POINTS.iter().map(|&c| c.to_owned()).collect(),
        series: Some(SERIES.into()),
        report_deadline: Some(stamp(vietnam_day(now, 1, 8))),
        ..NewBriefing::default()
    })?;

    // The details come first: the previous minutes are rendered while holding it.
    store.set_minutes_details(
        &previous.id,
        &MinutesDetails {
            number: Some("Số: 27/BB-STTTT".into()),
            place: Some("Hội trường tầng 3, Sở Thông tin và Truyền thông".into()),
            chair: Some("Ông Nguyễn Văn An, Giám đốc Sở".into()),
            secretary: Some("Bà Trần Thị Bình, Chánh Văn phòng Sở".into()),
        },
    )?;
    store.set_minutes_details(
        &current.id,
        &MinutesDetails {
            number: Some("Số: 41/BB-SKHCN".into()),
            place: Some("Hội trường tầng 2, Sở Khoa học và Công nghệ".into()),
            chair: Some("Ông Nguyễn Văn An, Giám đốc Sở Khoa học và Công nghệ".into()),
            secretary: Some("Bà Trần Thị Bình, Chánh Văn phòng Sở".into()),
        },
    )?;
    let tasks = hold_previous(store, &previous.id, held, now)?;
    prepare_current(store, &current.id, &previous.id, &tasks)?;
    Ok((previous.id, current.id))
}

/// The previous briefing's tasks, for the upcoming one to follow up.
struct PreviousTasks {
    radio: i64,
    portal: i64,
    staff: i64,
    security: i64,
}

/// The previous briefing, the last of the former structure, as held.
fn hold_previous(
    store: &Store,
    id: &BriefingId,
    start: OffsetDateTime,
    now: OffsetDateTime,
) -> anyhow::Result<PreviousTasks> {
    let points = store.points(id)?;
    store.set_agenda(
        id,
        &[
            agenda("Khai mạc, điểm danh các điểm cầu", Some("Văn phòng Sở"), 5),
            agenda(
                "Báo cáo kết quả công tác thông tin và truyền thông quý",
                Some("Giám đốc Sở"),
                20,
            ),
            agenda("Ý kiến của các địa phương", None, 60),
            agenda("Kết luận của chủ trì", Some("Giám đốc Sở"), 15),
        ],
    )?;

    // Everyone but Diễn Châu joined; Thái Hòa sent a deputy.
    let host = &points[0];
    let mut sessions = vec![(host.id.clone(), 0, 125)];
    for (i, code) in [
        "TP-VINH",
        "TX-CUALO",
        "TX-HOANGMAI",
        "TX-THAIHOA",
        "H-NGHILOC",
    ]
    .iter()
    .enumerate()
    {
        let point = point_of(&points, code)?;
        let late = i64::try_from(i).unwrap_or(0) * 2;
        sessions.push((point.id, late, 120));
    }
    for (point, from_min, to_min) in &sessions {
        let s = store.record_join(id, point, ms(start + Duration::minutes(*from_min)))?;
        store.record_leave(s, ms(start + Duration::minutes(*to_min)), None)?;
    }
    let roll_call_at = ms(start + Duration::minutes(5));
    store.start_roll_call(id, roll_call_at)?;
    // The host chairs: it is not asked.
    let thai_hoa = point_of(&points, "TX-THAIHOA")?.id;
    for (point, _, _) in sessions.iter().skip(1) {
        let answer = if *point == thai_hoa {
            RollCallRecord {
                status: "substitute".into(),
                substitute: Some("Bà Nguyễn Thị Hoa, Phó Chủ tịch UBND thị xã".into()),
                reason: None,
            }
        } else {
            RollCallRecord {
                status: "present".into(),
                substitute: None,
                reason: None,
            }
        };
        store.record_roll_call(id, point, &answer, roll_call_at)?;
    }
    let dien_chau = point_of(&points, "H-DIENCHAU")?;
    store.record_roll_call(
        id,
        &dien_chau.id,
        &RollCallRecord {
            status: "absent".into(),
            substitute: None,
            reason: Some("Mất kết nối đường truyền".into()),
        },
        roll_call_at,
    )?;
    // Who spoke, and what the secretary noted of it for the minutes.
    for (code, from, minutes, note) in [
        (
            "TP-VINH",
            30,
            8,
            "Báo cáo kết quả quý IV: 100% văn bản đi, đến được gửi nhận qua hộp thư công vụ; \
             đề nghị Sở hướng dẫn tích hợp dịch vụ công trực tuyến lên Cổng của tỉnh.",
        ),
        (
            "H-NGHILOC",
            40,
            6,
            "Kinh phí cho ứng dụng công nghệ thông tin cấp huyện còn thấp; đã rà soát đài \
             truyền thanh tại 12/30 xã.",
        ),
        (
            "TX-CUALO",
            48,
            7,
            "Đài truyền thanh thị xã thiếu nhân lực kỹ thuật; đề nghị hỗ trợ đào tạo.",
        ),
    ] {
        let point: PointId = point_of(&points, code)?.id;
        let grant =
            store.record_floor_start(id, &point, ms(start + Duration::minutes(from)), Some(600))?;
        store.record_floor_end(
            grant,
            ms(start + Duration::minutes(from + minutes)),
            "revoked",
        )?;
        store.set_floor_note(id, grant, note)?;
    }

    let nghi_loc = point_of(&points, "H-NGHILOC")?;
    let vinh = point_of(&points, "TP-VINH")?;
    let cua_lo = point_of(&points, "TX-CUALO")?;
    let c1 = store.raise_concern(
        &nghi_loc,
        ConcernKind::Concern,
        "Kinh phí đầu tư cho ứng dụng công nghệ thông tin cấp huyện còn thấp, chưa đáp ứng yêu \
         cầu chuyển đổi số.",
        None,
    )?;
    store.answer_concern(
        id,
        c1.id,
        "Sở tổng hợp, tham mưu UBND tỉnh bố trí kinh phí trong kế hoạch năm sau.",
    )?;
    let c2 = store.raise_concern(
        &vinh,
        ConcernKind::Proposal,
        "Đề nghị Sở hướng dẫn tích hợp dịch vụ công trực tuyến mức độ 3 lên Cổng dịch vụ công \
         của tỉnh.",
        None,
    )?;
    store.answer_concern(id, c2.id, "Sở sẽ tổ chức tập huấn trong tháng tới.")?;
    let c3 = store.raise_concern(
        &cua_lo,
        ConcernKind::Concern,
        "Đài truyền thanh thị xã thiếu nhân lực có chuyên môn kỹ thuật.",
        None,
    )?;
    store.add_conclusion(
        id,
        "Các địa phương tập trung hoàn thành chỉ tiêu hồ sơ thủ tục hành chính trực tuyến; sử \
         dụng hộp thư công vụ trong trao đổi văn bản.",
    )?;
    store.add_conclusion(
        id,
        "Sở Thông tin và Truyền thông hướng dẫn, kiểm tra việc tích hợp dịch vụ công trực tuyến \
         mức độ 3.",
    )?;

    // A deadline is never in the past when it is set: these are the ones the tasks carry
    // today, as the Department of Science and Technology set them again when it took them over.
    let in_days = |days| date(now + Duration::days(days));
    let radio = store.create_task(
        id,
        &NewTask {
            text: "Hoàn thành rà soát hệ thống đài truyền thanh cơ sở ứng dụng công nghệ thông \
                   tin - viễn thông tại các xã, phường."
                .into(),
            owners: vec!["H-NGHILOC".into(), "TX-CUALO".into()],
            lead: Some("H-NGHILOC".into()),
            deadline: in_days(20),
        },
    )?;
    let portal = store.create_task(
        id,
        &NewTask {
            text: "Tích hợp 100% dịch vụ công trực tuyến mức độ 3 lên Cổng dịch vụ công của tỉnh."
                .into(),
            owners: vec!["TP-VINH".into(), "SO-TTTT".into()],
            lead: Some("SO-TTTT".into()),
            deadline: in_days(45),
        },
    )?;
    let staff = store.task_from_concern(
        id,
        c3.id,
        Some("Bổ sung nhân lực kỹ thuật cho đài truyền thanh thị xã Cửa Lò."),
        &["TX-CUALO".into()],
        None,
        &in_days(60),
    )?;
    let security = store.create_task(
        id,
        &NewTask {
            text: "Kiểm tra công tác bảo đảm an toàn thông tin tại các cơ quan nhà nước cấp \
                   huyện."
                .into(),
            owners: vec!["SO-TTTT".into()],
            lead: None,
            deadline: in_days(75),
        },
    )?;

    // The minutes as they were drawn up after it, attached to it for the record.
    let briefing = store
        .briefing(id)?
        .context("the briefing just created is missing")?;
    let minutes = record::assemble(store, &briefing)?;
    let pdf = giaoban_minutes::render_pdf(&minutes)?;
    store.add_document(
        id,
        &NewDocument {
            file_name: MINUTES_DOCUMENT,
            content: &pdf,
            agenda_item_id: None,
            task_id: None,
            uploaded_by: Some(&host.id),
        },
    )?;

    // Before the reorganisation, the towns and districts worked on their tasks.
    store.report_progress(
        id,
        radio.id,
        Some(&nghi_loc),
        TaskState::InProgress,
        "Đã rà soát 18/30 xã; dự kiến hoàn thành đúng hạn.",
    )?;
    store.report_progress(
        id,
        portal.id,
        Some(&vinh),
        TaskState::Done,
        "Đã tích hợp 126/126 dịch vụ.",
    )?;
    Ok(PreviousTasks {
        radio: radio.id,
        portal: portal.id,
        staff: staff.id,
        security: security.id,
    })
}

/// The file name of the previous minutes among the documents.
const MINUTES_DOCUMENT: &str = "Biên bản giao ban quý IV năm 2024.pdf";

fn agenda(title: &str, presenter: Option<&str>, minutes: i64) -> NewAgendaItem {
    NewAgendaItem {
        id: None,
        title: title.into(),
        presenter: presenter.map(str::to_owned),
        duration_minutes: Some(minutes),
    }
}

fn indicator(name: &str, measure: &str, value: &str, plan: Option<&str>) -> NewIndicator {
    NewIndicator {
        name: name.into(),
        measure: measure.into(),
        value: value.into(),
        plan: plan.map(str::to_owned),
    }
}

/// The Department's indicator set: name, measure, how the province's figure is made.
const INDICATORS: [(&str, &str, Aggregate); 4] = [
    ("Tỷ lệ hồ sơ TTHC nộp trực tuyến", "%", Aggregate::Mean),
    (
        "Cụm loa truyền thanh ứng dụng CNTT-VT",
        "cụm",
        Aggregate::Sum,
    ),
    ("Văn bản gửi nhận qua hộp thư công vụ", "%", Aggregate::Mean),
    (
        "Người dân có tài khoản định danh điện tử mức 2",
        "người",
        Aggregate::Sum,
    ),
];

/// Each ward's and commune's plan for the indicators of [`INDICATORS`], in its order.
const PLANS: [(&str, [&str; 4]); 15] = [
    ("P-TRUONGVINH", ["95", "24", "100", "48000"]),
    ("P-THANHVINH", ["95", "20", "100", "41000"]),
    ("P-VINHHUNG", ["92", "16", "100", "30500"]),
    ("P-VINHPHU", ["92", "14", "100", "27000"]),
    ("P-CUALO", ["90", "7", "100", "22000"]),
    ("P-HOANGMAI", ["90", "10", "100", "25500"]),
    ("P-THAIHOA", ["90", "9", "100", "21000"]),
    ("X-NGHILOC", ["85", "30", "100", "26000"]),
    ("X-DIENCHAU", ["85", "28", "100", "29500"]),
    ("X-HUNGNGUYEN", ["85", "18", "100", "19000"]),
    ("X-NAMDAN", ["85", "20", "100", "20500"]),
    ("X-DOLUONG", ["85", "22", "100", "23000"]),
    ("X-YENTHANH", ["85", "26", "100", "24500"]),
    ("X-CONCUONG", ["75", "12", "95", "9000"]),
    ("X-MUONGXEN", ["70", "8", "90", "6500"]),
];

/// Tomorrow's six-month briefing with the wards and communes, as it stands the day before.
fn prepare_current(
    store: &Store,
    id: &BriefingId,
    previous: &BriefingId,
    tasks: &PreviousTasks,
) -> anyhow::Result<()> {
    let points = store.points(id)?;
    let host = &points[0];
    let items = store.set_agenda(
        id,
        &[
            agenda(
                "Khai mạc, điểm danh các điểm cầu xã, phường",
                Some("Văn phòng Sở"),
                5,
            ),
            agenda(
                "Báo cáo kết quả khoa học, công nghệ và chuyển đổi số 6 tháng, nhiệm vụ 6 tháng \
                 tới",
                Some("Giám đốc Sở"),
                20,
            ),
            agenda(
                "Kiểm điểm việc thực hiện kết luận kỳ trước",
                Some("Phó Giám đốc Sở"),
                15,
            ),
            agenda("Ý kiến, kiến nghị của các xã, phường", None, 60),
            agenda("Kết luận của chủ trì", Some("Giám đốc Sở"), 15),
        ],
    )?;

    store.set_indicator_set(
        id,
        &INDICATORS
            .iter()
            .enumerate()
            .map(|(i, (name, measure, aggregate))| NewIndicatorDefinition {
                name: (*name).into(),
                measure: (*measure).into(),
                aggregate: Some(*aggregate),
                plans: PLANS
                    .iter()
                    .map(|(code, plans)| ((*code).to_owned(), plans[i].to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            })
            .collect::<Vec<_>>(),
    )?;

    // The Department's own report: the figures it presents against the year's plan.
    store.submit_report(
        host,
        "Doanh thu bưu chính, viễn thông và công nghệ thông tin toàn tỉnh ước đạt 1.130 tỷ đồng, \
         gần 34% kế hoạch năm. Hạ tầng viễn thông tiếp tục được mở rộng; tỷ lệ hồ sơ thủ tục \
         hành chính trực tuyến tăng so với cùng kỳ.",
        &[
            indicator(
                "Doanh thu bưu chính, viễn thông và CNTT",
                "tỷ đồng",
                "1130",
                Some("3350"),
            ),
            indicator("Trạm BTS phát triển mới", "trạm", "214", Some("400")),
        ],
    )?;
    // Ward or commune, narrative, and its values for the indicators of the set; the plans are
    // the Department's. Four have not reported yet: Vinh Phú, Thái Hòa, Con Cuông, Mường Xén.
    let reports: [(&str, &str, [&str; 4]); 11] = [
        (
            "P-TRUONGVINH",
            "Phường duy trì giao ban trực tuyến hằng tháng với các khối; 100% văn bản đi, đến \
             được gửi nhận qua hộp thư công vụ.",
            ["92,5", "21", "98", "45210"],
        ),
        (
            "P-THANHVINH",
            "Bộ phận một cửa của phường vận hành ổn định; người dân được hướng dẫn kích hoạt \
             định danh điện tử tại chỗ.",
            ["93,8", "19", "99", "40125"],
        ),
        (
            "P-VINHHUNG",
            "Phường đã số hóa kết quả giải quyết thủ tục hành chính còn hiệu lực.",
            ["90,1", "15", "97", "28760"],
        ),
        (
            "P-CUALO",
            "Phường đã hoàn thành nâng cấp đài truyền thanh tại 5/7 cụm loa. Nhân lực kỹ thuật \
             của đài còn thiếu.",
            ["81", "5", "90", "18330"],
        ),
        (
            "P-HOANGMAI",
            "Phường đã đưa vào vận hành bộ phận một cửa hiện đại; một số khối phố chưa có \
             Wi-Fi công cộng.",
            ["88", "8", "79", "21450"],
        ),
        (
            "X-NGHILOC",
            "Xã tiếp tục rà soát hệ thống đài truyền thanh cơ sở; kinh phí đầu tư cho công nghệ \
             thông tin còn hạn chế.",
            ["76,4", "18", "85", "20115"],
        ),
        (
            "X-DIENCHAU",
            "Xã đã phủ sóng 4G tới toàn bộ các thôn; tỷ lệ hồ sơ trực tuyến tăng so với quý \
             trước.",
            ["79,5", "24", "88", "25640"],
        ),
        (
            "X-HUNGNGUYEN",
            "Tổ công nghệ số cộng đồng hoạt động ở 100% thôn, xóm.",
            ["82", "16", "92", "17480"],
        ),
        (
            "X-NAMDAN",
            "Xã triển khai thanh toán không dùng tiền mặt tại chợ trung tâm và khu di tích.",
            ["80,7", "17", "90", "18020"],
        ),
        (
            "X-DOLUONG",
            "Xã hoàn thành chuyển đổi hộp thư công vụ cho toàn bộ cán bộ, công chức.",
            ["78", "19", "100", "19870"],
        ),
        (
            "X-YENTHANH",
            "Hạ tầng mạng tại trụ sở xã mới hợp nhất chưa đồng bộ, ảnh hưởng họp trực tuyến.",
            ["74,6", "20", "83", "20990"],
        ),
    ];
    for (code, narrative, values) in reports {
        let point = point_of(&points, code)?;
        let indicators: Vec<NewIndicator> = INDICATORS
            .iter()
            .zip(values)
            .map(|((name, measure, _), value)| indicator(name, measure, value, None))
            .collect();
        store.submit_report(&point, narrative, &indicators)?;
    }

    let proposals_item = items.get(3).map(|i| i.id);
    let nghi_loc = point_of(&points, "X-NGHILOC")?;
    let hoang_mai = point_of(&points, "P-HOANGMAI")?;
    let truong_vinh = point_of(&points, "P-TRUONGVINH")?;
    let yen_thanh = point_of(&points, "X-YENTHANH")?;
    store.raise_concern(
        &nghi_loc,
        ConcernKind::Proposal,
        "Đề nghị tỉnh hỗ trợ kinh phí nâng cấp cụm loa truyền thanh cho 12 thôn còn lại.",
        proposals_item,
    )?;
    store.raise_concern(
        &hoang_mai,
        ConcernKind::Concern,
        "Phản ánh của người dân trên ứng dụng chậm được xử lý do chưa có đầu mối tiếp nhận tại \
         các khối phố.",
        proposals_item,
    )?;
    store.raise_concern(
        &truong_vinh,
        ConcernKind::Proposal,
        "Đề nghị tổ chức giao ban trực tuyến đến thôn, khối phố từ quý tới.",
        None,
    )?;
    store.raise_concern(
        &yen_thanh,
        ConcernKind::Concern,
        "Trụ sở xã sau hợp nhất chưa có đường truyền số liệu chuyên dùng.",
        proposals_item,
    )?;

    // The follow-up: the Department took over the previous briefing's tasks and handed those
    // of the abolished districts and towns to the communes and wards that succeeded them.
    let handed_over = |task: i64, owners: &[&str], lead: &str| {
        store.update_task(
            id,
            task,
            &TaskPatch {
                owners: Some(owners.iter().map(|&o| o.to_owned()).collect()),
                lead: Some(lead.into()),
                ..TaskPatch::default()
            },
        )
    };
    handed_over(tasks.radio, &["X-NGHILOC", "P-CUALO"], "X-NGHILOC")?;
    handed_over(tasks.portal, &["SO-KHCN", "P-TRUONGVINH"], "SO-KHCN")?;
    handed_over(tasks.staff, &["P-CUALO"], "P-CUALO")?;
    handed_over(tasks.security, &["SO-KHCN"], "SO-KHCN")?;
    let cua_lo = point_of(&points, "P-CUALO")?;
    store.report_progress(
        id,
        tasks.radio,
        Some(&nghi_loc),
        TaskState::InProgress,
        "Xã Nghi Lộc tiếp nhận từ huyện: đã rà soát 26/30 cụm loa; phường Cửa Lò đã rà soát \
         xong.",
    )?;
    store.report_progress(
        id,
        tasks.staff,
        Some(&cua_lo),
        TaskState::InProgress,
        "Đã tuyển dụng 01 viên chức kỹ thuật; đang đào tạo vận hành hệ thống.",
    )?;

    // The previous minutes, for the follow-up item of the agenda.
    if let Some(doc) = store.documents(previous)?.into_iter().next()
        && let Some((_, content)) = store.document_content(previous, doc.id)?
    {
        store.add_document(
            id,
            &NewDocument {
                file_name: &doc.file_name,
                content: &content,
                agenda_item_id: items.get(2).map(|i| i.id),
                task_id: None,
                uploaded_by: Some(&host.id),
            },
        )?;
    }
    Ok(())
}

/// The half-year a six-month briefing held at `t` reviews: the first half from June on, the
/// second half of the year before until May.
fn half_year(t: OffsetDateTime) -> String {
    if u8::from(t.month()) >= 6 {
        format!("6 tháng đầu năm {}", t.year())
    } else {
        format!("6 tháng cuối năm {}", t.year() - 1)
    }
}

fn roman_quarter(t: OffsetDateTime) -> &'static str {
    ["I", "II", "III", "IV"][usize::from(u8::from(t.month()) - 1) / 3]
}

/// The point of `briefing` that stands for unit `code`.
fn point_of(points: &[Point], code: &str) -> anyhow::Result<Point> {
    points
        .iter()
        .find(|p| p.unit_code.as_ref().is_some_and(|c| c.as_str() == code))
        .cloned()
        .with_context(|| format!("the demo briefing has no point for {code}"))
}

#[cfg(test)]
mod tests {
    use giaoban_store::TaskStatus;

    use super::*;

    #[test]
    fn the_demo_is_a_whole_briefing_and_seeding_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();

        let demo = ensure(&store, "http://127.0.0.1:8080").unwrap();
        let again = ensure(&store, "http://127.0.0.1:8080").unwrap();

        assert!(demo.seeded);
        assert!(!again.seeded);
        assert_eq!(store.list_briefings().unwrap().len(), 2);
        let current = BriefingId(demo.current.clone());
        let previous = BriefingId(demo.previous.clone());
        assert_eq!(store.agenda(&current).unwrap().len(), 5);
        assert_eq!(store.indicator_set(&current).unwrap().len(), 4);
        let dashboard = serde_json::to_value(store.dashboard(&current).unwrap()).unwrap();
        assert_eq!(dashboard["submitted"], 11, "{dashboard}");
        assert_eq!(dashboard["expected"], 15, "{dashboard}");
        assert_eq!(store.concerns(&current).unwrap().len(), 4);
        let tasks = store.tasks(&current).unwrap();
        assert!(tasks.iter().all(|t| t.carried_over), "{tasks:?}");
        // Four tasks at the previous briefing; the portal one was done since, and shows once
        // more. None is left with a unit of the former structure.
        assert_eq!(tasks.len(), 4);
        assert!(tasks.iter().any(|t| t.status == TaskStatus::Done));
        for task in &tasks {
            for owner in &task.owners {
                assert!(
                    ["SO-KHCN", "P-", "X-"]
                        .iter()
                        .any(|p| owner.code.starts_with(p)),
                    "{owner:?} of {task:?}"
                );
            }
        }
        assert_eq!(store.documents(&current).unwrap().len(), 1);
        let minutes =
            record::assemble(&store, &store.briefing(&previous).unwrap().unwrap()).unwrap();
        assert_eq!(minutes.speakers.len(), 3);
        assert!(minutes.speakers.iter().all(|s| s.topic.is_some()));
        assert_eq!(minutes.attendance.len(), 7);
        assert_eq!(minutes.tasks.len(), 4);
        assert_eq!(minutes.organisation, "Sở Thông tin và Truyền thông");
        assert_eq!(minutes.locality.as_deref(), Some("Nghệ An"));
        assert_eq!(minutes.number.as_deref(), Some("Số: 27/BB-STTTT"));
        assert!(
            minutes.started_at.starts_with("2024-12-26T08:00"),
            "{}",
            minutes.started_at
        );
        let upcoming =
            record::assemble(&store, &store.briefing(&current).unwrap().unwrap()).unwrap();
        assert_eq!(upcoming.organisation, "Sở Khoa học và Công nghệ");
        assert_eq!(upcoming.attendance.len(), 16);
        assert!(
            upcoming
                .attendance
                .iter()
                .all(|a| !a.point.contains("huyện") && !a.point.contains("thị xã")),
            "{:?}",
            upcoming.attendance
        );
        assert_eq!(
            store
                .minutes_details(&current)
                .unwrap()
                .secretary
                .as_deref(),
            Some("Bà Trần Thị Bình, Chánh Văn phòng Sở")
        );
        assert!(demo.links.iter().all(|l| l.dossier.contains("/d/")));
        assert_eq!(demo.links.len(), 16 + 7);
    }
}
