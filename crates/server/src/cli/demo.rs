//! Demo data: the ICT briefings of a province, so that a newcomer sees a whole briefing in
//! one command (`giaoban demo`, or `giaoban serve --demo`).
//!
//! Two briefings of one series, hosted by the Department of Information and Communications:
//! last quarter's, already held (attendance, roll-call, floor grants, concerns answered,
//! conclusions, tasks, one of them done since), and the six-month briefing tomorrow, with its
//! agenda, last quarter's minutes as a document, the units' reports with indicators (two units
//! not in yet), proposals raised ahead of it, and last quarter's open tasks carried over.
//! Dates are relative to the day the demo is seeded.

use anyhow::Context;
use giaoban_model::{BriefingId, PointId};
use giaoban_store::{
    ConcernKind, MinutesDetails, NewAgendaItem, NewBriefing, NewDocument, NewIndicator, NewTask,
    Point, RollCallRecord, Store, TaskState,
};
use serde::Serialize;
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime, Time};

use crate::record;

/// Setting holding the ids of the demo briefings once seeded ("previous current").
const DEMO_SETTING: &str = "demo_briefings";

/// The series of the demo briefings.
const SERIES: &str = "giao-ban-cntt-nghe-an";

/// The province's units: the People's Committee, the Department that hosts, and the towns
/// and districts that are bridge points. The addresses end in `.invalid`, which no mail
/// server delivers to.
const UNITS: &str = "code,name,parent_code,email\n\
    TINH-NA,UBND tỉnh Nghệ An,,vanphong@nghean.giaoban-demo.invalid\n\
    SO-TTTT,Sở Thông tin và Truyền thông,TINH-NA,sotttt@nghean.giaoban-demo.invalid\n\
    TP-VINH,UBND thành phố Vinh,TINH-NA,ubnd@vinh.giaoban-demo.invalid\n\
    TX-CUALO,UBND thị xã Cửa Lò,TINH-NA,ubnd@cualo.giaoban-demo.invalid\n\
    TX-HOANGMAI,UBND thị xã Hoàng Mai,TINH-NA,ubnd@hoangmai.giaoban-demo.invalid\n\
    TX-THAIHOA,UBND thị xã Thái Hòa,TINH-NA,ubnd@thaihoa.giaoban-demo.invalid\n\
    H-NGHILOC,UBND huyện Nghi Lộc,TINH-NA,ubnd@nghiloc.giaoban-demo.invalid\n\
    H-DIENCHAU,UBND huyện Diễn Châu,TINH-NA,ubnd@dienchau.giaoban-demo.invalid\n\
    X-NGHITHIET,UBND xã Nghi Thiết,H-NGHILOC,\n";

/// The bridge points, in the order they are invited.
const POINTS: &[&str] = &[
    "TP-VINH",
    "TX-CUALO",
    "TX-HOANGMAI",
    "TX-THAIHOA",
    "H-NGHILOC",
    "H-DIENCHAU",
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
    let units: Vec<String> = POINTS.iter().map(|&c| c.to_owned()).collect();

    let held = vietnam_day(now, -91, 8);
    let previous = store.create_briefing(&NewBriefing {
        title: format!(
            "Giao ban trực tuyến công tác thông tin và truyền thông quý {} năm {}",
            roman_quarter(held),
            held.year()
        ),
        scheduled_start: Some(stamp(held)),
        host_unit: Some("SO-TTTT".into()),
        units: units.clone(),
        series: Some(SERIES.into()),
        ..NewBriefing::default()
    })?;
    let next = vietnam_day(now, 1, 14);
    let current = store.create_briefing(&NewBriefing {
        title: format!(
            "Giao ban trực tuyến công tác thông tin và truyền thông {}",
            half_year(next)
        ),
        scheduled_start: Some(stamp(next)),
        host_unit: Some("SO-TTTT".into()),
        units,
        series: Some(SERIES.into()),
        report_deadline: Some(stamp(vietnam_day(now, 1, 8))),
        ..NewBriefing::default()
    })?;

    // The details come first: last quarter's minutes are rendered while holding it.
    store.set_minutes_details(&previous.id, &minutes_details("Số: 27/BB-STTTT"))?;
    store.set_minutes_details(&current.id, &minutes_details("Số: 41/BB-STTTT"))?;
    hold_previous(store, &previous.id, held, now)?;
    prepare_current(store, &current.id, &previous.id)?;
    Ok((previous.id, current.id))
}

/// The host's details of the minutes of a briefing numbered `number`: the same hall, chair
/// and secretary each time.
fn minutes_details(number: &str) -> MinutesDetails {
    MinutesDetails {
        number: Some(number.into()),
        place: Some("Hội trường tầng 3, Sở Thông tin và Truyền thông".into()),
        chair: Some("Ông Nguyễn Văn An, Giám đốc Sở".into()),
        secretary: Some("Bà Trần Thị Bình, Chánh Văn phòng Sở".into()),
    }
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

/// Last quarter's briefing, as held.
fn hold_previous(
    store: &Store,
    id: &BriefingId,
    start: OffsetDateTime,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
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
    for (point, _, _) in sessions.iter().skip(1) {
        let thai_hoa = point_of(&points, "TX-THAIHOA")?.id;
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
    for (code, from, minutes) in [
        ("TP-VINH", 30, 8),
        ("H-NGHILOC", 40, 6),
        ("TX-CUALO", 48, 7),
    ] {
        let point: PointId = point_of(&points, code)?.id;
        let grant =
            store.record_floor_start(id, &point, ms(start + Duration::minutes(from)), Some(600))?;
        store.record_floor_end(
            grant,
            ms(start + Duration::minutes(from + minutes)),
            "revoked",
        )?;
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
    store.task_from_concern(
        id,
        c3.id,
        Some("Bổ sung nhân lực kỹ thuật cho đài truyền thanh thị xã Cửa Lò."),
        &["TX-CUALO".into()],
        None,
        &in_days(60),
    )?;
    store.create_task(
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

    // Last quarter's minutes as they were drawn up after it, attached to it for the record.
    let briefing = store
        .briefing(id)?
        .context("the briefing just created is missing")?;
    let minutes = record::assemble(store, &briefing)?;
    let pdf = giaoban_minutes::render_pdf(&minutes)?;
    store.add_document(
        id,
        &NewDocument {
            file_name: "Biên bản giao ban quý.pdf",
            content: &pdf,
            agenda_item_id: None,
            task_id: None,
            uploaded_by: Some(&host.id),
        },
    )?;

    // Since then, the units have worked on their tasks.
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
    Ok(())
}

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

/// Tomorrow's six-month briefing, as it stands the day before.
fn prepare_current(store: &Store, id: &BriefingId, previous: &BriefingId) -> anyhow::Result<()> {
    let points = store.points(id)?;
    let host = &points[0];
    let items = store.set_agenda(
        id,
        &[
            agenda("Khai mạc, điểm danh các điểm cầu", Some("Văn phòng Sở"), 5),
            agenda(
                "Báo cáo kết quả công tác thông tin và truyền thông 6 tháng, nhiệm vụ 6 tháng \
                 cuối năm",
                Some("Giám đốc Sở"),
                20,
            ),
            agenda(
                "Kiểm điểm việc thực hiện kết luận kỳ trước",
                Some("Phó Giám đốc Sở"),
                15,
            ),
            agenda("Ý kiến, kiến nghị của các địa phương", None, 60),
            agenda("Kết luận của chủ trì", Some("Giám đốc Sở"), 15),
        ],
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
    // Unit, narrative, and (value, plan) of: online procedures, radio stations, official mail.
    type UnitReport = (
        &'static str,
        &'static str,
        [(&'static str, &'static str); 3],
    );
    let reports: [UnitReport; 4] = [
        (
            "TP-VINH",
            "Thành phố duy trì giao ban trực tuyến hằng tháng; 100% văn bản đi, đến được gửi \
             nhận qua hộp thư công vụ và hệ thống quản lý văn bản.",
            [("92,5", "95"), ("21", "24"), ("98", "100")],
        ),
        (
            "TX-CUALO",
            "Thị xã đã hoàn thành nâng cấp đài truyền thanh tại 5/7 phường. Nhân lực kỹ thuật của \
             đài còn thiếu.",
            [("81", "90"), ("5", "7"), ("90", "100")],
        ),
        (
            "H-NGHILOC",
            "Huyện tiếp tục rà soát hệ thống đài truyền thanh cơ sở; kinh phí đầu tư cho công nghệ \
             thông tin còn hạn chế.",
            [("76,4", "90"), ("18", "30"), ("85", "100")],
        ),
        (
            "TX-HOANGMAI",
            "Thị xã đã đưa vào vận hành bộ phận một cửa hiện đại; một số xã chưa sử dụng thường \
             xuyên hộp thư công vụ.",
            [("88", "90"), ("8", "10"), ("79", "100")],
        ),
    ];
    for (code, narrative, values) in reports {
        let point = point_of(&points, code)?;
        let [
            (online, online_plan),
            (radio, radio_plan),
            (mail, mail_plan),
        ] = values;
        store.submit_report(
            &point,
            narrative,
            &[
                indicator(
                    "Tỷ lệ hồ sơ TTHC nộp trực tuyến",
                    "%",
                    online,
                    Some(online_plan),
                ),
                indicator(
                    "Đài truyền thanh cơ sở ứng dụng CNTT-VT",
                    "đài",
                    radio,
                    Some(radio_plan),
                ),
                indicator(
                    "Văn bản gửi nhận qua hộp thư công vụ",
                    "%",
                    mail,
                    Some(mail_plan),
                ),
            ],
        )?;
    }

    let proposals_item = items.get(3).map(|i| i.id);
    let nghi_loc = point_of(&points, "H-NGHILOC")?;
    let hoang_mai = point_of(&points, "TX-HOANGMAI")?;
    let vinh = point_of(&points, "TP-VINH")?;
    store.raise_concern(
        &nghi_loc,
        ConcernKind::Proposal,
        "Đề nghị tỉnh hỗ trợ kinh phí nâng cấp đài truyền thanh cho 12 xã còn lại.",
        proposals_item,
    )?;
    store.raise_concern(
        &hoang_mai,
        ConcernKind::Concern,
        "Báo chí phản ánh chậm được xử lý do chưa có đầu mối tiếp nhận tại các phòng, ban.",
        proposals_item,
    )?;
    store.raise_concern(
        &vinh,
        ConcernKind::Proposal,
        "Đề nghị tổ chức giao ban trực tuyến đến cấp xã từ quý tới.",
        None,
    )?;

    // Last quarter's minutes, for the follow-up item of the agenda.
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
        let dashboard = serde_json::to_value(store.dashboard(&current).unwrap()).unwrap();
        assert_eq!(dashboard["submitted"], 4, "{dashboard}");
        assert_eq!(dashboard["expected"], 6, "{dashboard}");
        assert_eq!(store.concerns(&current).unwrap().len(), 3);
        let tasks = store.tasks(&current).unwrap();
        assert!(tasks.iter().all(|t| t.carried_over), "{tasks:?}");
        // Four tasks last quarter; the portal one was done since, and shows once more.
        assert_eq!(tasks.len(), 4);
        assert!(tasks.iter().any(|t| t.status == TaskStatus::Done));
        assert_eq!(store.documents(&current).unwrap().len(), 1);
        let minutes =
            record::assemble(&store, &store.briefing(&previous).unwrap().unwrap()).unwrap();
        assert_eq!(minutes.speakers.len(), 3);
        assert_eq!(minutes.attendance.len(), 7);
        assert_eq!(minutes.tasks.len(), 4);
        assert_eq!(minutes.locality.as_deref(), Some("Nghệ An"));
        assert_eq!(minutes.number.as_deref(), Some("Số: 27/BB-STTTT"));
        assert_eq!(
            minutes.chair.as_deref(),
            Some("Ông Nguyễn Văn An, Giám đốc Sở")
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
        assert_eq!(demo.links.len(), 14);
    }
}
