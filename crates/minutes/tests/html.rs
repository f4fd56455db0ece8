//! The minutes as a page: same content as the PDF, every value escaped.

mod support;

use giaoban_minutes::{AttendanceLine, AttendanceStatus, ConcernLine, render_html};

#[test]
fn markup_in_names_and_texts_is_escaped() {
    let mut m = support::nghe_an();
    m.attendance.push(AttendanceLine {
        point: "<script>alert('x')</script>".into(),
        status: AttendanceStatus::Present { detail: None },
        joined_at: None,
        left_at: None,
        minutes_present: None,
    });
    m.concerns.push(ConcernLine {
        point: "UBND \"huyện\" <b>X</b>".into(),
        text: "a & b <img src=x onerror=alert(1)>".into(),
        answer: None,
    });
    m.title = "</title><script>".into();

    let html = render_html(&m);

    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("UBND &quot;huyện&quot; &lt;b&gt;X&lt;/b&gt;"));
    assert!(html.contains("a &amp; b &lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("<title>Biên bản: &lt;/title&gt;&lt;script&gt;</title>"));
}

#[test]
fn page_has_the_same_content_as_the_pdf() {
    let m = support::nghe_an();

    let html = render_html(&m);

    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"vi\">") && html.contains("<meta charset=\"utf-8\">"));
    for expected in [
        "<h1>BIÊN BẢN</h1>",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NGHỆ AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Nghệ An, ngày 12 tháng 7 năm 2024",
        "<h2>III. Kết luận và nhiệm vụ</h2>",
        support::CONCERN,
        "31/12/2024",
        "Quá hạn",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    for unit in support::UNITS {
        assert!(html.contains(unit), "missing {unit:?}");
    }
    for task in support::TASKS {
        assert!(html.contains(task), "missing {task:?}");
    }
}
