//! Reading the CSV file of units an organiser imports.
//!
//! The file is RFC 4180 CSV in UTF-8 (a leading byte order mark, as spreadsheet programs write
//! it, is skipped), with LF or CRLF line ends and the header `code,name,parent_code,email`.
//! The `email` field holds any number of addresses separated by `;`.
//!
//! Every field is checked here, as is a code appearing twice; whether a parent exists and
//! whether the tree has a cycle needs the database and is checked by the import itself. Errors
//! name the line (of the file, counting the header as line 1) and the field.

use std::collections::HashMap;

use crate::StoreError;
use crate::error::quoted;
use crate::mailbox;
use crate::units::{MAX_IMPORT_UNITS, MAX_UNIT_EMAILS, MAX_UNIT_NAME_CHARS, UnitCode};

/// The header, field by field.
pub(crate) const HEADER: [&str; 4] = ["code", "name", "parent_code", "email"];

/// One data row of the file, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitRow {
    /// Line of the file the row starts on.
    pub line: u64,
    pub code: UnitCode,
    /// Trimmed.
    pub name: String,
    pub parent: Option<UnitCode>,
    /// Trimmed, in the order given, without repeats.
    pub emails: Vec<String>,
}

/// The rows of a units file, in file order.
///
/// [`StoreError::Invalid`] naming the line and the field at the first problem.
pub(crate) fn parse(text: &str) -> Result<Vec<UnitRow>, StoreError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // Rows of the wrong length are reported by this module, with the line.
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let header = match records.next() {
        Some(record) => record.map_err(csv_error)?,
        None => {
            return Err(invalid_header("the file is empty"));
        }
    };
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found != HEADER {
        let got = found.join(",");
        let mut problem = format!("got {}", quoted(&got));
        if found.len() == 1 && got.contains(';') {
            problem
                .push_str(", with fields separated by \";\": save the file as comma-separated CSV");
        }
        return Err(invalid_header(&problem));
    }

    let mut lines = LineCounter::new(text);
    let mut rows: Vec<UnitRow> = Vec::new();
    let mut seen: HashMap<UnitCode, u64> = HashMap::new();
    for record in records {
        let record = record.map_err(csv_error)?;
        let line = lines.line_of(record.position());
        if rows.len() >= MAX_IMPORT_UNITS {
            return Err(at_line(
                line,
                &format!("a file holds at most {MAX_IMPORT_UNITS} units"),
            ));
        }
        if record.len() != HEADER.len() {
            return Err(at_line(
                line,
                &format!(
                    "expected {} fields ({}), got {}; a field containing a comma must be \
                     in double quotes",
                    HEADER.len(),
                    HEADER.join(","),
                    record.len()
                ),
            ));
        }
        let row = parse_row(line, &record)?;
        if let Some(first) = seen.insert(row.code.clone(), line) {
            return Err(at_field(
                line,
                "code",
                &format!(
                    "{} appears again; it is already on line {first}",
                    quoted(row.code.as_str())
                ),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Finds the line a record starts on.
///
/// The reader's own position of a record lies before the line ends and blank lines that precede
/// it, so its line number can be short by those; the counter skips them and counts line ends
/// itself (LF, CRLF or a lone CR, the terminators the reader accepts).
struct LineCounter<'a> {
    text: &'a [u8],
    /// Byte offset up to which line ends have been counted.
    offset: usize,
    /// Line number at `offset`.
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record the reader placed at `position`; records come in file order.
    fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line;
        };
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .clamp(self.offset, self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        for (i, &b) in self.text[self.offset..start].iter().enumerate() {
            let at = self.offset + i;
            if b == b'\n' || (b == b'\r' && self.text.get(at + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = start;
        self.line
    }
}

/// `message` placed at `line` and `field`, as every import error reads.
pub(crate) fn at_field(line: u64, field: &str, message: &str) -> StoreError {
    StoreError::Invalid(format!("line {line}, {field}: {message}"))
}

fn at_line(line: u64, message: &str) -> StoreError {
    StoreError::Invalid(format!("line {line}: {message}"))
}

fn invalid_header(problem: &str) -> StoreError {
    at_field(
        1,
        "header",
        &format!(
            "the first line must be exactly {}; {problem}",
            HEADER.join(",")
        ),
    )
}

/// The reader only fails on bytes that are not UTF-8, which a `&str` cannot hold; the mapping
/// is there so that a future reader error still names a line instead of panicking.
fn csv_error(e: csv::Error) -> StoreError {
    let line = e.position().map_or(0, csv::Position::line);
    at_line(line, &format!("unreadable CSV: {e}"))
}

fn parse_row(line: u64, record: &csv::StringRecord) -> Result<UnitRow, StoreError> {
    let code = UnitCode::parse(&record[0]).map_err(|m| at_field(line, "code", &m))?;
    let name = check_name(&record[1]).map_err(|m| at_field(line, "name", &m))?;
    let parent = match record[2].trim() {
        "" => None,
        parent => Some(UnitCode::parse(parent).map_err(|m| at_field(line, "parent_code", &m))?),
    };
    let emails = check_emails(&record[3]).map_err(|m| at_field(line, "email", &m))?;
    Ok(UnitRow {
        line,
        code,
        name: name.to_owned(),
        parent,
        emails,
    })
}

/// The trimmed name, or why it is refused.
fn check_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the name must not be empty".into());
    }
    if name.chars().count() > MAX_UNIT_NAME_CHARS {
        return Err(format!(
            "{} is longer than {MAX_UNIT_NAME_CHARS} characters",
            quoted(name)
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "{} must not contain control characters such as line breaks",
            quoted(name)
        ));
    }
    Ok(name)
}

/// The addresses of an `email` field, or why one is refused. Empty entries (`a@x.vn;`) are
/// skipped; an address given twice, in any case, is kept once.
fn check_emails(field: &str) -> Result<Vec<String>, String> {
    let mut emails: Vec<String> = Vec::new();
    for address in field.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        mailbox::check_address(address)
            .map_err(|why| format!("{} is not a valid e-mail address: {why}", quoted(address)))?;
        if emails.iter().any(|e| e.eq_ignore_ascii_case(address)) {
            continue;
        }
        if emails.len() == MAX_UNIT_EMAILS {
            return Err(format!(
                "a unit has at most {MAX_UNIT_EMAILS} e-mail addresses"
            ));
        }
        emails.push(address.to_owned());
    }
    Ok(emails)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn message(result: Result<Vec<UnitRow>, StoreError>) -> String {
        match result {
            Err(StoreError::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn quoted_fields_crlf_and_bom_are_read() {
        let text = "\u{feff}code,name,parent_code,email\r\n\
                    TINH-NA,\"UBND tỉnh Nghệ An\",,\"vanthu@nghean.gov.vn; ubnd@nghean.gov.vn\"\r\n\
                    \r\n\
                    SO-TTTT,\"Sở Thông tin và Truyền thông, tỉnh Nghệ An\",TINH-NA,\r\n\
                    X.1,\"Tên có \"\"ngoặc kép\"\"\",  TINH-NA ,  \r\n";

        let rows = parse(text).unwrap();

        assert_eq!(
            rows,
            [
                UnitRow {
                    line: 2,
                    code: code("TINH-NA"),
                    name: "UBND tỉnh Nghệ An".into(),
                    parent: None,
                    emails: vec!["vanthu@nghean.gov.vn".into(), "ubnd@nghean.gov.vn".into()],
                },
                UnitRow {
                    line: 4,
                    code: code("SO-TTTT"),
                    name: "Sở Thông tin và Truyền thông, tỉnh Nghệ An".into(),
                    parent: Some(code("TINH-NA")),
                    emails: vec![],
                },
                UnitRow {
                    line: 5,
                    code: code("X.1"),
                    name: "Tên có \"ngoặc kép\"".into(),
                    parent: Some(code("TINH-NA")),
                    emails: vec![],
                },
            ]
        );
    }

    #[test]
    fn a_quoted_line_break_is_refused_in_a_name_and_counts_as_a_line() {
        let text = "code,name,parent_code,email\nA,\"Một\nHai\",,\nB,\"\",,\n";

        let m = message(parse(text));

        assert!(m.starts_with("line 2, name:"), "{m}");
        assert!(m.contains("control"), "{m}");

        let text = "code,name,parent_code,email\nA,\"Một\",,\"a@x.vn;\nb@x.vn\"\nB,\"\",,\n";
        let m = message(parse(text));
        assert!(m.starts_with("line 4, name:"), "{m}");
    }

    #[test]
    fn lines_are_counted_across_blank_lines_and_any_line_end() {
        let text = "code,name,parent_code,email\r\n\r\nA,Một,,\n\n\nB,\"Hai\",,\rC,Ba,,\r\nD,,,";

        let m = message(parse(text));

        assert!(m.starts_with("line 8, name:"), "{m}");
        let rows = parse(&text.replace("D,,,", "D,Bốn,,")).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 6, 7, 8]);
    }

    #[test]
    fn repeated_and_empty_addresses_are_dropped() {
        let text = "code,name,parent_code,email\nA,Một,,a@x.vn;;A@X.VN; b@x.vn ;\n";

        let rows = parse(text).unwrap();

        assert_eq!(rows[0].emails, ["a@x.vn", "b@x.vn"]);
    }

    #[test]
    fn header_problems_are_named() {
        for (text, expected) in [
            ("", "the file is empty"),
            ("A,Một,,\n", "got \"A,Một,,\""),
            ("code,name,parent,email\n", "got"),
            ("code;name;parent_code;email\n", "separated by \";\""),
            ("code,name,parent_code\n", "got"),
            ("code,name,parent_code,email,extra\n", "got"),
        ] {
            let m = message(parse(text));
            assert!(m.starts_with("line 1, header:"), "{m}");
            assert!(m.contains(expected), "{text:?}: {m}");
        }
    }

    #[test]
    fn a_header_alone_is_no_units() {
        assert_eq!(parse("code,name,parent_code,email").unwrap(), []);
        assert_eq!(
            parse("\u{feff} code , name,parent_code,email \r\n").unwrap(),
            []
        );
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let long_name = "ă".repeat(MAX_UNIT_NAME_CHARS + 1);
        let many = (0..=MAX_UNIT_EMAILS)
            .map(|i| format!("a{i}@x.vn"))
            .collect::<Vec<_>>()
            .join(";");
        for (row, expected) in [
            ("A,Một,", "line 3: expected 4 fields"),
            ("A,Một,,,", "line 3: expected 4 fields"),
            (",Một,,", "line 3, code:"),
            ("SỞ,Một,,", "line 3, code:"),
            ("A B,Một,,", "line 3, code:"),
            (&format!("{},Một,,", "A".repeat(33)), "line 3, code:"),
            ("A, ,,", "line 3, name:"),
            (&format!("A,{long_name},,"), "line 3, name:"),
            ("A,Một,B C,", "line 3, parent_code:"),
            ("A,Một,,vanthu@", "line 3, email:"),
            ("A,Một,,a@x.vn, b@x.vn", "line 3: expected 4 fields"),
            (&format!("A,Một,,{many}"), "line 3, email:"),
            (
                "OK,Hai,,",
                "line 3, code: \"OK\" appears again; it is already on line 2",
            ),
        ] {
            let text = format!("code,name,parent_code,email\nOK,Một,,\n{row}\n");
            let m = message(parse(&text));
            assert!(m.starts_with(expected), "{row:?}: {m}");
        }
    }

    #[test]
    fn codes_are_case_sensitive() {
        let rows = parse("code,name,parent_code,email\nabc,Một,,\nABC,Hai,abc,\n").unwrap();

        assert_eq!(rows.len(), 2);
    }
}
