//! The DOCX as a reader sees it: Python's `zipfile` checks the archive and reads the text of
//! `word/document.xml`, unescaped (python3 is installed by `scripts/test`).

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use giaoban_minutes::render_docx;

/// The text runs of the document, joined by spaces, after checking every entry's CRC.
fn text_of(docx: &[u8]) -> String {
    const READ: &str = r#"
import html, io, re, sys, zipfile, xml.dom.minidom
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
assert bad is None, bad
assert sorted(z.namelist()) == sorted(["[Content_Types].xml", "_rels/.rels",
    "word/_rels/document.xml.rels", "word/styles.xml", "word/header1.xml",
    "word/document.xml"]), z.namelist()
for name in z.namelist():
    xml.dom.minidom.parseString(z.read(name))  # well-formed XML
doc = z.read("word/document.xml").decode("utf-8")
print(" ".join(html.unescape(t) for t in re.findall(r"<w:t[^>]*>([^<]*)</w:t>", doc)))
"#;
    let mut child = Command::new("python3")
        .args(["-c", READ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is installed by scripts/test");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(docx)
        .expect("python3 reads the archive");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

#[test]
fn the_docx_is_a_valid_archive_with_the_minutes_text() {
    let m = support::nghe_an();

    let text = text_of(&render_docx(&m));

    for expected in [
        "BIÊN BẢN",
        m.title.as_str(),
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NGHỆ AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Nghệ An, ngày 12 tháng 7 năm 2024",
        "I. Thời gian, địa điểm, thành phần",
        "III. Kết luận và nhiệm vụ",
        support::CONCERN,
        "Trình chiếu màn hình:",
        support::PRESENTED,
        "4. Ý kiến bằng văn bản",
        "UBND huyện Diễn Châu (08:31):",
        support::COMMENT,
        "Trả lời:",
        support::COMMENT_ANSWER,
        "THƯ KÝ",
        "CHỦ TRÌ",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    for unit in support::UNITS {
        assert!(text.contains(unit), "{unit:?} not in {text}");
    }
}

#[test]
fn hostile_text_still_makes_well_formed_xml() {
    let m = giaoban_minutes::Minutes {
        title: "<w:t>&amp; \"Tiêu đề\" </w:body>\u{7}".into(),
        organisation: "Sở <b>TT&TT</b>".into(),
        ..Default::default()
    };

    let text = text_of(&render_docx(&m));

    assert!(text.contains("<w:t>&amp; \"Tiêu đề\" </w:body>"), "{text}");
    assert!(text.contains("SỞ <B>TT&TT</B>"), "{text}");
}
