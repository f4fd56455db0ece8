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
use crate::mailbox;
use crate::text;
use crate::units::{MAX_IMPORT_UNITS, MAX_UNIT_EMAILS, MAX_UNIT_NAME_CHARS, UnitCode};
use giaoban_model::{Field, FieldPath, Problem, ProblemCode};

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
            return Err(invalid_header(ProblemCode::BadHeader, ""));
        }
    };
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found != HEADER {
        let got = found.join(",");
        let code = if found.len() == 1 && got.contains(';') {
            ProblemCode::SemicolonHeader
        } else {
            ProblemCode::BadHeader
        };
        return Err(invalid_header(code, &got));
    }

    let mut lines = LineCounter::new(text);
    let mut rows: Vec<UnitRow> = Vec::new();
    let mut seen: HashMap<UnitCode, u64> = HashMap::new();
    let mut names: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = record.map_err(csv_error)?;
        let line = lines.line_of(record.position());
        if rows.len() >= MAX_IMPORT_UNITS {
            return Err(at_line(
                line,
                Problem::new(ProblemCode::TooMany)
                    .with("max", MAX_IMPORT_UNITS)
                    .with("count", MAX_IMPORT_UNITS + 1),
            ));
        }
        if record.len() != HEADER.len() {
            return Err(at_line(
                line,
                Problem::new(ProblemCode::FieldCount)
                    .with("expected", HEADER.len())
                    .with("count", record.len()),
            ));
        }
        let row = parse_row(line, &record)?;
        if let Some(first) = seen.insert(row.code.clone(), line) {
            return Err(at_field(
                line,
                Field::Code,
                Problem::new(ProblemCode::RepeatedCode)
                    .with("value", row.code.as_str())
                    .with("first", first),
            ));
        }
        // Two units whose names look the same could not be told apart in a list.
        if names.insert(text::look_alike(&row.name), line).is_some() {
            return Err(at_field(
                line,
                Field::Name,
                Problem::new(ProblemCode::Duplicate).with("value", row.name.as_str()),
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

/// `problem` placed at `line` and `field`, as every import error reads.
pub(crate) fn at_field(line: u64, field: Field, problem: Problem) -> StoreError {
    at_line(line, problem.at(field))
}

fn at_line(line: u64, problem: Problem) -> StoreError {
    StoreError::Invalid(
        problem.at(FieldPath::of(Field::Line).at(usize::try_from(line).unwrap_or(usize::MAX))),
    )
}

fn invalid_header(code: ProblemCode, got: &str) -> StoreError {
    at_line(
        1,
        Problem::new(code)
            .with("expected", HEADER.join(","))
            .with("value", got),
    )
}

/// The reader only fails on bytes that are not UTF-8, which a `&str` cannot hold; the mapping
/// is there so that a future reader error still names a line instead of panicking.
fn csv_error(e: csv::Error) -> StoreError {
    let line = e.position().map_or(0, csv::Position::line);
    at_line(
        line,
        Problem::new(ProblemCode::BadCsv).with("detail", e.to_string()),
    )
}

fn parse_row(line: u64, record: &csv::StringRecord) -> Result<UnitRow, StoreError> {
    let code = UnitCode::parse(&record[0]).map_err(|p| at_field(line, Field::Code, p))?;
    let name = check_name(&record[1]).map_err(|p| at_field(line, Field::Name, p))?;
    let parent = match record[2].trim() {
        "" => None,
        parent => Some(UnitCode::parse(parent).map_err(|p| at_field(line, Field::ParentCode, p))?),
    };
    let emails = check_emails(&record[3]).map_err(|p| at_field(line, Field::Email, p))?;
    Ok(UnitRow {
        line,
        code,
        name,
        parent,
        emails,
    })
}

/// The name as stored (see [`crate::text::name`]), or why it is refused.
fn check_name(name: &str) -> Result<String, Problem> {
    text::name_problem(name, MAX_UNIT_NAME_CHARS)
}

/// The addresses of an `email` field, or why one is refused. Empty entries (`a@x.vn;`) are
/// skipped; an address given twice, in any case, is kept once.
fn check_emails(field: &str) -> Result<Vec<String>, Problem> {
    let mut emails: Vec<String> = Vec::new();
    for address in field.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        mailbox::check_address(address).map_err(|why| {
            Problem::new(ProblemCode::NotAnEmail)
                .with("value", address)
                .with("detail", why)
        })?;
        if emails.iter().any(|e| e.eq_ignore_ascii_case(address)) {
            continue;
        }
        if emails.len() == MAX_UNIT_EMAILS {
            return Err(Problem::new(ProblemCode::TooMany)
                .with("max", MAX_UNIT_EMAILS)
                .with("count", MAX_UNIT_EMAILS + 1));
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
            Err(StoreError::Invalid(m)) => m.to_string(),
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
            ("", "got \"\""),
            ("A,Một,,\n", "got \"A,Một,,\""),
            ("code,name,parent,email\n", "got"),
            ("code;name;parent_code;email\n", "comma-separated"),
            ("code,name,parent_code\n", "got"),
            ("code,name,parent_code,email,extra\n", "got"),
        ] {
            let m = message(parse(text));
            assert!(
                m.starts_with("line 1: the first line must be exactly"),
                "{m}"
            );
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
    fn names_are_stored_in_nfc_and_look_alikes_are_refused() {
        let nfd = "UBND thi\u{323} xa\u{303} Cu\u{31b}\u{309}a Lo\u{300}";
        let rows = parse(&format!(
            "code,name,parent_code,email\nA,\"{nfd}\",,\nB,\u{200B}Sở\u{FEFF} TT&TT,,\n"
        ))
        .unwrap();
        assert_eq!(rows[0].name, "UBND thị xã Cửa Lò");
        assert_eq!(rows[1].name, "Sở TT&TT");

        for (row, expected) in [
            (
                format!("B,\"{nfd}\",,"),
                "line 3, name: \"UBND thị xã Cửa Lò\" is given more than once",
            ),
            (
                "B,UBND thị xã\u{200B} Cửa Lò,,".to_owned(),
                "line 3, name: \"UBND thị xã Cửa Lò\" is given more than once",
            ),
            (
                "B,ubnd THỊ XÃ cửa lò,,".to_owned(),
                "line 3, name: \"ubnd THỊ XÃ cửa lò\" is given more than once",
            ),
            (
                "B,UBND \u{202E}thị xã,,".to_owned(),
                "line 3, name: must not contain characters that change the direction of text",
            ),
            (
                "B,\u{200B}\u{2060} ,,".to_owned(),
                "line 3, name: must not be empty",
            ),
        ] {
            let text = format!("code,name,parent_code,email\nA,UBND thị xã Cửa Lò,,\n{row}\n");
            let m = message(parse(&text));
            assert!(m.starts_with(expected), "{row:?}: {m}");
        }
        let problem = match parse("code,name,parent_code,email\nA,Một,,\nB,M\u{1ED9}t,,\n") {
            Err(StoreError::Invalid(p)) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(problem.code(), ProblemCode::Duplicate);
        assert_eq!(problem.field().unwrap().to_string(), "line.3.name");
    }

    #[test]
    fn codes_are_case_sensitive() {
        let rows = parse("code,name,parent_code,email\nabc,Một,,\nABC,Hai,abc,\n").unwrap();

        assert_eq!(rows.len(), 2);
    }
}
