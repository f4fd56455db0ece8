//! The minutes as a page: same content as the PDF, every value escaped.

mod support;

use giaoban_minutes::{
    AttendanceLine, AttendanceStatus, CommentLine, ConcernLine, PresentationLine, render_html,
};

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
        "<h3>4. Ý kiến bằng văn bản</h3>",
        "<em>Trình chiếu màn hình: </em>",
        support::PRESENTED,
        "<strong>UBND huyện Diễn Châu (08:31): </strong>",
        "<em>Trả lời: </em>",
        support::COMMENT,
        support::COMMENT_ANSWER,
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

#[test]
fn markup_in_comments_and_presentations_is_escaped() {
    let mut m = support::nghe_an();
    m.comments = vec![CommentLine {
        point: "<b>UBND</b> & \"Cửa Lò\"".into(),
        sent_at: "<i>08:00</i>".into(),
        text: "<script>alert('x')</script>".into(),
        answer: Some("<img src=x onerror=alert(1)>".into()),
    }];
    m.presentations = vec![PresentationLine {
        point: "<script>document.cookie</script>".into(),
        from: "2024-07-12T08:15:00+07:00".into(),
        to: "<u>end</u>".into(),
    }];

    let html = render_html(&m);

    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<i>08") && !html.contains("<u>"), "{html}");
    assert!(
        html.contains(
            "&lt;b&gt;UBND&lt;/b&gt; &amp; &quot;Cửa Lò&quot; (&lt;i&gt;08:00&lt;/i&gt;): "
        )
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains(
        "&lt;script&gt;document.cookie&lt;/script&gt; (08:15 – &lt;u&gt;end&lt;/u&gt;)."
    ));
}
