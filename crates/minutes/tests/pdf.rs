//! The PDF as a reader sees it: text extracted by poppler's `pdftotext`, pages counted by
//! `pdfinfo`, fonts listed by `pdffonts`. These tools come with Debian's `poppler-utils`.

mod support;

use std::process::Command;

use giaoban_minutes::{AttendanceLine, AttendanceStatus, Minutes, TaskLine, render_pdf};
use unicode_normalization::UnicodeNormalization;

#[test]
fn extracted_text_has_title_units_and_tasks_with_diacritics() {
    let m = support::nghe_an();

    let text = extract(&render_pdf(&m).expect("renders"));

    for expected in [
        "BIÊN BẢN",
        m.title.as_str(),
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NGHỆ AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Nghệ An, ngày 12 tháng 7 năm 2024",
        "I. Thời gian, địa điểm, thành phần",
        "II. Nội dung",
        "III. Kết luận và nhiệm vụ",
        "Từ 08 giờ 00 phút đến 11 giờ 30 phút, ngày 12 tháng 7 năm 2024",
        support::CONCERN,
        "Bà Nguyễn Thị Thu Hà, Chuyên viên Văn phòng Sở",
        &format!("Trình chiếu màn hình: {}", support::PRESENTED),
        "4. Ý kiến bằng văn bản",
        &format!("UBND huyện Diễn Châu (08:31): {}", support::COMMENT),
        &format!("Trả lời: {}", support::COMMENT_ANSWER),
    ] {
        assert_contains(&text, expected);
    }
    for unit in support::UNITS {
        assert_contains(&text, unit);
    }
    for task in support::TASKS {
        assert_contains(&text, task);
    }
}

#[test]
fn decomposed_input_is_extracted_as_typed_precomposed_text() {
    let nfd: String = "UBND huyện Nghi Lộc".nfd().collect();
    assert_ne!(nfd, "UBND huyện Nghi Lộc");
    let m = Minutes {
        attendance: vec![AttendanceLine {
            point: nfd,
            status: AttendanceStatus::Present { detail: None },
            joined_at: None,
            left_at: None,
            minutes_present: None,
        }],
        ..support::nghe_an()
    };

    let raw = pdftotext(&render_pdf(&m).expect("renders"));

    assert!(raw.contains("UBND huyện Nghi Lộc"), "NFC in the PDF: {raw}");
}

#[test]
fn long_minutes_span_several_pages_and_lose_nothing() {
    let m = support::long();

    let pdf = render_pdf(&m).expect("renders");

    let pages = pdfinfo_pages(&pdf);
    assert!(pages > 3, "{pages} pages");
    let text = extract(&pdf);
    for name in support::long_names() {
        assert_contains(&text, &name);
    }
    for task in support::TASKS {
        assert_contains(&text, task);
    }
    // The long conclusion, wrapped over many lines, reads back whole.
    assert_contains(&text, m.conclusions.last().expect("a conclusion").trim());
    // Page numbers from the second page on.
    for n in 2..=pages {
        assert!(
            pdftotext_page(&pdf, n)
                .trim_start()
                .starts_with(&n.to_string()),
            "page {n} starts with its number"
        );
    }
}

#[test]
fn fonts_are_embedded_subset_and_mapped_to_unicode() {
    let pdf = render_pdf(&support::nghe_an()).expect("renders");
    let file = write_temp(&pdf);

    let listing = run("pdffonts", [path(&file)]);

    let fonts: Vec<&str> = listing
        .lines()
        .filter(|l| l.contains("LiberationSerif"))
        .collect();
    assert_eq!(fonts.len(), 3, "{listing}");
    for line in fonts {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // name type... encoding emb sub uni object-id generation
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "{line}");
        // A subset's name carries a six-letter tag: ABCDEF+LiberationSerif.
        assert_eq!(cols[0].find('+'), Some(6), "{line}");
    }
    assert!(
        pdf.len() < 200_000,
        "subset fonts keep the file small: {}",
        pdf.len()
    );
}

/// The embedded fonts are Debian's `fonts-liberation2`, unmodified (`scripts/test` installs
/// the package).
#[test]
fn the_embedded_fonts_are_debians_liberation_serif() {
    let dir = std::path::Path::new("/usr/share/fonts/truetype/liberation2");
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    for name in [
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationSerif-Italic.ttf",
    ] {
        let debian = std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            panic!("{name} from fonts-liberation2 (scripts/test installs it): {e}")
        });
        let embedded = std::fs::read(ours.join(name)).expect("the crate's font");
        assert!(debian == embedded, "{name} differs from Debian's");
    }
}

#[test]
fn hostile_and_empty_text_still_renders() {
    let huge_word = "x".repeat(5_000);
    let m = Minutes {
        title: format!("\u{0}\u{7}Tiêu đề\u{200B} 😀 漢字 {huge_word}"),
        organisation: "\u{FEFF}".into(),
        attendance: vec![AttendanceLine {
            point: format!("<script>alert(1)</script>\r\n{}", "Điểm cầu ".repeat(300)),
            status: AttendanceStatus::Absent {
                detail: Some(String::new()),
            },
            joined_at: Some("not a time".into()),
            left_at: Some("2024-13-45T99:99:99Z".into()),
            minutes_present: Some(u32::MAX),
        }],
        tasks: vec![TaskLine {
            text: String::new(),
            owners: vec![String::new(), "\t".into()],
            deadline: Some(String::new()),
            status: Default::default(),
        }],
        ..Minutes::default()
    };

    for minutes in [Minutes::default(), m] {
        let pdf = render_pdf(&minutes).expect("renders");
        assert!(pdfinfo_pages(&pdf) >= 1);
        assert_contains(&extract(&pdf), "BIÊN BẢN");
    }
}

#[test]
fn the_same_minutes_give_the_same_bytes() {
    let m = support::nghe_an();
    assert_eq!(
        render_pdf(&m).expect("renders"),
        render_pdf(&m).expect("renders")
    );
}

/// Extracted text, NFC, white space folded to single spaces: line breaks from wrapping
/// become the spaces they replaced.
fn extract(pdf: &[u8]) -> String {
    fold(&pdftotext(pdf))
}

fn fold(text: &str) -> String {
    text.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_contains(haystack: &str, needle: &str) {
    let needle = fold(needle);
    assert!(
        haystack.contains(&needle),
        "missing from the PDF text: {needle:?}\n--- text ---\n{haystack}"
    );
}

/// The text in content-stream order (`-raw`), so that a table cell's wrapped lines come out
/// one after the other.
fn pdftotext(pdf: &[u8]) -> String {
    let file = write_temp(pdf);
    run("pdftotext", ["-raw", "-enc", "UTF-8", path(&file), "-"])
}

fn pdftotext_page(pdf: &[u8], page: usize) -> String {
    let file = write_temp(pdf);
    let n = page.to_string();
    run("pdftotext", ["-raw", "-f", &n, "-l", &n, path(&file), "-"])
}

fn pdfinfo_pages(pdf: &[u8]) -> usize {
    let file = write_temp(pdf);
    let info = run("pdfinfo", [path(&file)]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo output:\n{info}"))
}

fn path(file: &tempfile::NamedTempFile) -> &str {
    file.path().to_str().expect("temp paths are UTF-8")
}

fn write_temp(pdf: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temp file");
    std::fs::write(file.path(), pdf).expect("write PDF");
    file
}

fn run<const N: usize>(tool: &str, args: [&str; N]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}): install Debian's poppler-utils (apt-get install -y poppler-utils)")
    });
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}
