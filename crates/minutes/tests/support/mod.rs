//! Realistic minutes for the tests and the example: the six-month ICT briefing of the
//! Department of Information and Communications of Nghệ An. The people are invented.

#![allow(dead_code)]

use giaoban_minutes::{
    AttendanceLine, AttendanceStatus, CommentLine, ConcernLine, Minutes, PresentationLine,
    SpeakerLine, TaskLine, TaskStatus,
};

pub const UNITS: [&str; 10] = [
    "UBND thành phố Vinh",
    "UBND thị xã Cửa Lò",
    "UBND thị xã Hoàng Mai",
    "UBND thị xã Thái Hòa",
    "UBND huyện Nghi Lộc",
    "UBND huyện Diễn Châu",
    "UBND huyện Quỳnh Lưu",
    "UBND huyện Quế Phong",
    "UBND huyện Tương Dương",
    "UBND huyện Kỳ Sơn",
];

pub const TASKS: [&str; 5] = [
    "Triển khai đài truyền thanh cơ sở ứng dụng CNTT tại 100% xã",
    "Bảo đảm an toàn, an ninh thông tin mạng cho hệ thống thông tin của các cơ quan nhà nước; \
     diễn tập ứng cứu sự cố ít nhất một lần trong năm",
    "Tăng cường quản lý nhà nước về báo chí, xử lý kịp thời các thông tin phản ánh trên báo chí",
    "Tích hợp 100% dịch vụ công trực tuyến mức độ 3, 4 lên Cổng Dịch vụ công quốc gia",
    "Kiểm tra, thanh tra việc chấp hành pháp luật về bưu chính, viễn thông, tần số vô tuyến điện",
];

pub const CONCERN: &str = "Dịch vụ công trực tuyến mức độ 3 chưa tích hợp lên cổng";

pub const COMMENT: &str =
    "Đề nghị Sở gửi lại bộ số liệu chỉ tiêu chuyển đổi số qua hộp thư công vụ";

pub const COMMENT_ANSWER: &str = "Văn phòng Sở đã gửi lúc 09:00.";

/// What the minutes print after "Trình chiếu màn hình: " for [`nghe_an`]'s screen
/// presentations.
pub const PRESENTED: &str =
    "Sở Thông tin và Truyền thông (08:12 – 08:40); UBND thị xã Cửa Lò (09:04 – 09:10).";

fn at(hm: &str) -> String {
    format!("2024-07-12T{hm}:00+07:00")
}

fn present(point: &str, joined: &str, minutes: u32) -> AttendanceLine {
    AttendanceLine {
        point: point.into(),
        status: AttendanceStatus::Present { detail: None },
        joined_at: Some(at(joined)),
        left_at: None,
        minutes_present: Some(minutes),
    }
}

/// A briefing as it is typically recorded: ten points, a few concerns, five tasks.
pub fn nghe_an() -> Minutes {
    let mut attendance: Vec<AttendanceLine> = UNITS
        .iter()
        .enumerate()
        .map(|(i, u)| present(u, &format!("07:{:02}", 50 + i), 212 - i as u32))
        .collect();
    attendance[1].status = AttendanceStatus::Present {
        detail: Some("Ông Phan Văn Dũng, Phó Chủ tịch UBND thị xã".into()),
    };
    attendance[4].status = AttendanceStatus::Substitute {
        detail: "Bà Lê Thị Mai Anh, Trưởng phòng Văn hóa và Thông tin".into(),
    };
    attendance[7].left_at = Some(at("10:05"));
    attendance[7].minutes_present = Some(121);
    attendance[9] = AttendanceLine {
        point: UNITS[9].into(),
        status: AttendanceStatus::Absent {
            detail: Some("Mất kết nối đường truyền do mưa lũ".into()),
        },
        joined_at: None,
        left_at: None,
        minutes_present: None,
    };
    Minutes {
        title: "Giao ban trực tuyến công tác thông tin và truyền thông 6 tháng đầu năm, \
                triển khai nhiệm vụ 6 tháng cuối năm 2024"
            .into(),
        parent_organisation: Some("UBND tỉnh Nghệ An".into()),
        organisation: "Sở Thông tin và Truyền thông tỉnh Nghệ An".into(),
        number: Some("Số: 27/BB-STTTT".into()),
        locality: Some("Nghệ An".into()),
        place: "Hội trường tầng 3, Sở Thông tin và Truyền thông, số 16 đường Trường Thi, \
                thành phố Vinh; kết nối trực tuyến đến các điểm cầu huyện, thành phố, thị xã"
            .into(),
        started_at: at("08:00"),
        ended_at: at("11:30"),
        host: "Sở Thông tin và Truyền thông".into(),
        chair: Some("Ông Hoàng Văn Nam, Giám đốc Sở Thông tin và Truyền thông".into()),
        secretary: Some("Bà Nguyễn Thị Thu Hà, Chuyên viên Văn phòng Sở".into()),
        attendance,
        agenda: vec![
            "Báo cáo kết quả công tác thông tin và truyền thông 6 tháng đầu năm, phương hướng, \
             nhiệm vụ 6 tháng cuối năm 2024"
                .into(),
            "Ý kiến, kiến nghị của các điểm cầu".into(),
            "Kết luận của Giám đốc Sở".into(),
        ],
        speakers: vec![
            SpeakerLine {
                point: "Sở Thông tin và Truyền thông".into(),
                from: at("08:10"),
                to: at("08:45"),
                topic: Some(
                    "Doanh thu bưu chính, viễn thông và công nghệ thông tin đạt 1.130 tỷ đồng, \
                     bằng gần 34% kế hoạch năm"
                        .into(),
                ),
            },
            SpeakerLine {
                point: UNITS[1].into(),
                from: at("09:02"),
                to: at("09:12"),
                topic: Some("Tích hợp dịch vụ công trực tuyến".into()),
            },
            SpeakerLine {
                point: UNITS[7].into(),
                from: at("09:12"),
                to: at("09:20"),
                topic: Some("Kinh phí ứng dụng công nghệ thông tin".into()),
            },
            SpeakerLine {
                point: UNITS[8].into(),
                from: at("09:20"),
                to: at("09:31"),
                topic: None,
            },
        ],
        recordings: vec![giaoban_minutes::RecordingLine {
            from: "2026-12-01T01:05:00Z".into(),
            to: "2026-12-01T02:40:00Z".into(),
            interrupted: false,
        }],
        presentations: vec![
            PresentationLine {
                point: "Sở Thông tin và Truyền thông".into(),
                from: at("08:12"),
                to: at("08:40"),
            },
            PresentationLine {
                point: UNITS[1].into(),
                from: at("09:04"),
                to: at("09:10"),
            },
        ],
        comments: vec![
            CommentLine {
                point: UNITS[5].into(),
                sent_at: at("08:31"),
                text: COMMENT.into(),
                answer: Some(COMMENT_ANSWER.into()),
            },
            CommentLine {
                point: UNITS[6].into(),
                sent_at: at("09:15"),
                text: "Điểm cầu huyện Quỳnh Lưu nghe rõ, hình ảnh tốt.".into(),
                answer: None,
            },
        ],
        concerns: vec![
            ConcernLine {
                point: UNITS[1].into(),
                text: CONCERN.into(),
                answer: Some(
                    "Sở phối hợp với Văn phòng UBND tỉnh hoàn thành tích hợp trong quý III.".into(),
                ),
            },
            ConcernLine {
                point: UNITS[7].into(),
                text: "Kinh phí đầu tư cho ứng dụng công nghệ thông tin còn thấp, chưa đáp ứng \
                       yêu cầu chuyển đổi số cấp huyện, cấp xã."
                    .into(),
                answer: Some(
                    "Đề nghị huyện bố trí từ nguồn sự nghiệp; Sở tổng hợp, tham mưu UBND tỉnh hỗ \
                     trợ các huyện miền núi."
                        .into(),
                ),
            },
            ConcernLine {
                point: UNITS[4].into(),
                text: "Một số đơn vị chưa tổ chức giao ban trực tuyến, chưa sử dụng hộp thư công \
                       vụ trong trao đổi văn bản."
                    .into(),
                answer: None,
            },
            ConcernLine {
                point: UNITS[8].into(),
                text: "Đài Truyền thanh - Truyền hình huyện thiếu biên chế, thiết bị xuống cấp."
                    .into(),
                answer: Some("Sở tổng hợp, báo cáo Sở Nội vụ.".into()),
            },
        ],
        conclusions: vec![
            "Sáu tháng đầu năm, ngành thông tin và truyền thông đã hoàn thành cơ bản các chỉ \
             tiêu; doanh thu đạt 1.130 tỷ đồng, bằng gần 34% kế hoạch năm."
                .into(),
            "Các địa phương cần quan tâm bố trí kinh phí cho ứng dụng công nghệ thông tin, chuyển \
             đổi số; sử dụng hộp thư công vụ và hệ thống giao ban trực tuyến thường xuyên."
                .into(),
        ],
        tasks: vec![
            TaskLine {
                text: TASKS[0].into(),
                owners: vec![
                    "UBND các huyện, thành phố, thị xã".into(),
                    "Sở Thông tin và Truyền thông".into(),
                ],
                deadline: Some("2024-12-31".into()),
                status: TaskStatus::InProgress,
            },
            TaskLine {
                text: TASKS[1].into(),
                owners: vec!["Sở Thông tin và Truyền thông".into()],
                deadline: Some("Thường xuyên".into()),
                status: TaskStatus::InProgress,
            },
            TaskLine {
                text: TASKS[2].into(),
                owners: vec![
                    "Sở Thông tin và Truyền thông".into(),
                    "Các cơ quan báo chí trên địa bàn".into(),
                ],
                deadline: Some("Thường xuyên".into()),
                status: TaskStatus::Open,
            },
            TaskLine {
                text: TASKS[3].into(),
                owners: vec![UNITS[1].into(), "Văn phòng UBND tỉnh".into()],
                deadline: Some("2024-09-30".into()),
                status: TaskStatus::Overdue,
            },
            TaskLine {
                text: TASKS[4].into(),
                owners: vec!["Thanh tra Sở".into()],
                deadline: Some("2024-11-30".into()),
                status: TaskStatus::Done,
            },
        ],
    }
}

/// Communes with long names, used to make the minutes span several pages.
pub fn long_names() -> Vec<String> {
    let communes = [
        "Nghi Phong",
        "Nghi Thái",
        "Nghi Xuân",
        "Diễn Hồng",
        "Diễn Kỷ",
        "Quỳnh Bảng",
        "Quỳnh Thạch",
        "Châu Kim",
        "Mường Nọc",
        "Tri Lễ",
        "Hạnh Dịch",
        "Nậm Giải",
        "Tam Quang",
        "Yên Tĩnh",
        "Hữu Khuông",
        "Mỹ Lý",
        "Bắc Lý",
        "Mường Lống",
        "Nậm Cắn",
        "Huồi Tụ",
    ];
    communes
        .iter()
        .map(|c| {
            format!(
                "Ủy ban nhân dân xã {c} – Trung tâm Văn hóa, Thể thao và Truyền thông kết hợp \
                 đài truyền thanh cơ sở"
            )
        })
        .collect()
}

/// Forty more points, long concerns and conclusions: several pages.
pub fn long() -> Minutes {
    let mut m = nghe_an();
    for (i, name) in long_names().into_iter().enumerate() {
        m.attendance
            .push(present(&name, &format!("08:{:02}", i), 180));
        m.concerns.push(ConcernLine {
            point: name,
            text: format!(
                "Hệ thống truyền thanh cơ sở số {i} đã xuống cấp, nhiều cụm loa không hoạt động \
                 sau mùa mưa bão; đề nghị tỉnh hỗ trợ kinh phí chuyển đổi sang truyền thanh ứng \
                 dụng công nghệ thông tin - viễn thông, đồng thời tập huấn cho cán bộ phụ trách.\n\
                 Việc cập nhật thông tin lên Cổng thông tin điện tử của xã còn chậm do thiếu \
                 nhân lực có chuyên môn."
            ),
            answer: (i % 3 != 0).then(|| {
                "Sở ghi nhận, tổng hợp vào kế hoạch năm sau và hướng dẫn địa phương lồng ghép \
                 nguồn vốn Chương trình mục tiêu quốc gia xây dựng nông thôn mới."
                    .to_string()
            }),
        });
    }
    m.conclusions.push(
        "Yêu cầu các đơn vị nghiêm túc thực hiện chế độ báo cáo định kỳ; tăng cường công tác \
         tuyên truyền về chuyển đổi số, an toàn thông tin; chủ động rà soát hạ tầng, thiết bị tại \
         các điểm cầu giao ban trực tuyến cấp huyện, cấp xã, bảo đảm đường truyền thông suốt \
         phục vụ chỉ đạo, điều hành của Tỉnh ủy, HĐND, UBND tỉnh. "
            .repeat(4),
    );
    m
}
