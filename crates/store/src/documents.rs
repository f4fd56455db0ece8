//! Documents of a briefing: PDF, office documents, spreadsheets and slides (Microsoft Office,
//! old and new, and OpenDocument) uploaded by the host or the points, optionally tied to an
//! agenda item or attached to a task as a progress document.
//!
//! The content is kept in the database, so that a backup of the one database file holds
//! everything; the database gives the pages of a deleted document back to the file system
//! (`auto_vacuum = INCREMENTAL`, see the migrations). Uploads are counted against a
//! [`DocumentQuota`] per point and per briefing. Only the types the units exchange are accepted, and a file must be what its
//! extension says: the first bytes are checked, so that an executable renamed to `.pdf` is
//! refused.

use std::fmt::Write as _;

use giaoban_model::{BriefingId, Field, PointId, Problem, ProblemCode};
use std::io::Write as _;

use rusqlite::blob::ZeroBlob;
use rusqlite::{MAIN_DB, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::agenda::ensure_on_agenda;
use crate::direction::{ensure_briefing, no_such_point};
use crate::text::no_such;
use crate::{Store, StoreError, schedule};

/// Largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// Longest file name accepted, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// Bytes in a MiB, the unit of quotas and of [`MAX_DOCUMENT_BYTES`] in messages.
const MIB: u64 = 1024 * 1024;

/// How much a point, and all the uploaders of a briefing together, may upload to a briefing.
/// Deleting a document gives its share back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentQuota {
    /// Documents a point may have uploaded to one briefing.
    pub point_documents: u64,
    /// Bytes of those documents.
    pub point_bytes: u64,
    /// Documents of a briefing, whoever uploaded them (the organiser too).
    pub briefing_documents: u64,
    /// Bytes of those documents.
    pub briefing_bytes: u64,
}

impl DocumentQuota {
    /// No limit but [`MAX_DOCUMENT_BYTES`] per document: for the command line and the demo.
    pub const UNLIMITED: DocumentQuota = DocumentQuota {
        point_documents: u64::MAX,
        point_bytes: u64::MAX,
        briefing_documents: u64::MAX,
        briefing_bytes: u64::MAX,
    };

    /// The server's defaults. A unit brings its report, a few annexes and slides to a
    /// briefing: 50 documents and 200 MiB (ten of the largest files) leave it ample room while
    /// one point alone cannot fill the disk. A briefing has up to a few dozen units: 500
    /// documents and 2 GiB hold ten full-sized dossiers' worth, and keep the database small
    /// enough to back up in minutes.
    pub const DEFAULT: DocumentQuota = DocumentQuota {
        point_documents: 50,
        point_bytes: 200 * MIB,
        briefing_documents: 500,
        briefing_bytes: 2048 * MIB,
    };
}

/// A stored document, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: i64,
    pub file_name: String,
    /// The media type, decided by the extension and checked against the content.
    pub content_type: String,
    /// In bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub agenda_item_id: Option<i64>,
    pub task_id: Option<i64>,
    /// The name of the point that uploaded it; `None` for the organiser (or a point that no
    /// longer exists).
    pub uploaded_by: Option<String>,
    /// The point that uploaded it, which may delete it.
    #[serde(skip)]
    pub uploaded_by_point: Option<PointId>,
    /// RFC 3339 in UTC.
    pub created_at: String,
}

/// A document to store.
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    /// Trimmed before it is checked and stored.
    pub file_name: &'a str,
    pub content: &'a [u8],
    /// An item on the agenda of the same briefing.
    pub agenda_item_id: Option<i64>,
    /// Any task; whether the uploader may attach to it is the caller's decision.
    pub task_id: Option<i64>,
    /// A point of the same briefing; `None` for the organiser.
    pub uploaded_by: Option<&'a PointId>,
}

/// Why a file is not accepted as a document.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRejection {
    /// Over [`MAX_DOCUMENT_BYTES`].
    #[error("a document is at most {} MiB", MAX_DOCUMENT_BYTES / (1024 * 1024))]
    TooLarge,
    /// Not an accepted type ([`ACCEPTED_EXTENSIONS`]), or not what its extension says.
    #[error("{0}")]
    UnsupportedType(Problem),
    /// A bad file name, or an empty file.
    #[error("{0}")]
    Invalid(Problem),
}

/// Checks a file offered as a document and returns its media type.
///
/// The name (surrounding whitespace ignored) must be 1 to [`MAX_FILE_NAME_CHARS`] characters
/// without `/`, `\` or control characters; the content 1 to [`MAX_DOCUMENT_BYTES`] bytes of a
/// PDF (`.pdf`, starting `%PDF-`), of an Office Open XML or OpenDocument file (`.docx`,
/// `.xlsx`, `.pptx`, `.odt`, `.ods`, `.odp`: a ZIP archive starting `PK\x03\x04`) or of a
/// legacy Office file (`.doc`, `.xls`, `.ppt`: a compound file starting `D0 CF 11 E0`).
pub fn check_document(file_name: &str, content: &[u8]) -> Result<&'static str, DocumentRejection> {
    let name = file_name.trim();
    if name.is_empty() {
        return Err(DocumentRejection::Invalid(
            Problem::new(ProblemCode::Empty).at(Field::FileName),
        ));
    }
    if name.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(DocumentRejection::Invalid(
            Problem::new(ProblemCode::TooLong)
                .at(Field::FileName)
                .with("max", MAX_FILE_NAME_CHARS)
                .with("value", name),
        ));
    }
    if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(DocumentRejection::Invalid(
            Problem::new(ProblemCode::BadFileName)
                .at(Field::FileName)
                .with("value", name),
        ));
    }
    // "Báo cáo\u{202E}xcod.pdf" shows as "Báo cáofdp.docx": a name must show as it is.
    if name.chars().any(crate::text::is_bidi_control) {
        return Err(DocumentRejection::Invalid(
            Problem::new(ProblemCode::BidiControl)
                .at(Field::FileName)
                .with("value", name),
        ));
    }
    if content.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentRejection::TooLarge);
    }
    if content.is_empty() {
        return Err(DocumentRejection::Invalid(
            Problem::new(ProblemCode::EmptyFile).with("file", name),
        ));
    }

    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let Some(kind) = KINDS.iter().find(|k| k.extension == extension) else {
        return Err(DocumentRejection::UnsupportedType(
            Problem::new(ProblemCode::BadFileType)
                .with("file", name)
                .with("accepted", ACCEPTED_EXTENSIONS),
        ));
    };
    if !content.starts_with(kind.magic) {
        return Err(DocumentRejection::UnsupportedType(
            Problem::new(ProblemCode::BadFileContent)
                .with("file", name)
                .with("kind", kind.label),
        ));
    }
    Ok(kind.content_type)
}

impl Store {
    /// Stores a document of a briefing after [`check_document`] (its rejections are
    /// [`StoreError::Invalid`] here; callers that answer them differently check first).
    ///
    /// The agenda item must be on this briefing's agenda and the uploader one of its points
    /// ([`StoreError::Invalid`] otherwise); the task must exist ([`StoreError::NotFound`]), as
    /// must the briefing.
    pub fn add_document(
        &self,
        briefing: &BriefingId,
        new: &NewDocument<'_>,
    ) -> Result<Document, StoreError> {
        self.add_document_within(briefing, new, &DocumentQuota::UNLIMITED)
    }

    /// Checks, without storing anything, that a document of `size` bytes by `uploader` fits
    /// in `quota`: [`StoreError::Conflict`] with `quota_point` or `quota_briefing` otherwise.
    /// For a refusal before the body is read; [`Store::add_document_within`] checks again.
    pub fn check_document_quota(
        &self,
        briefing: &BriefingId,
        uploader: Option<&PointId>,
        size: u64,
        quota: &DocumentQuota,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_within_quota(&tx, briefing, uploader, size, quota)
    }

    /// [`Store::add_document`] within `quota`, counted in the same transaction as the insert,
    /// so that two uploads at once cannot both take the last place.
    ///
    /// The content is written into the row in place (SQLite's incremental BLOB I/O), without
    /// another copy of it in memory.
    pub fn add_document_within(
        &self,
        briefing: &BriefingId,
        new: &NewDocument<'_>,
        quota: &DocumentQuota,
    ) -> Result<Document, StoreError> {
        let content_type = check_document(new.file_name, new.content).map_err(|e| match e {
            DocumentRejection::TooLarge => StoreError::Invalid(
                Problem::new(ProblemCode::FileTooLarge)
                    .with("max", MAX_DOCUMENT_BYTES / (1024 * 1024)),
            ),
            DocumentRejection::UnsupportedType(p) | DocumentRejection::Invalid(p) => {
                StoreError::Invalid(p)
            }
        })?;
        let file_name = new.file_name.trim();
        let size = i32::try_from(new.content.len()).expect("at most MAX_DOCUMENT_BYTES bytes");
        let sha256 = hex_sha256(new.content);
        let created_at = schedule::now_utc();

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        if let Some(item) = new.agenda_item_id {
            ensure_on_agenda(&tx, briefing, item)?;
        }
        if let Some(task) = new.task_id {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ?1)",
                [task],
                |row| row.get(0),
            )?;
            if !exists {
                return Err(no_such(Field::Task, task));
            }
        }
        let uploaded_by = match new.uploaded_by {
            None => None,
            Some(point) => {
                let name: Option<String> = tx
                    .query_row(
                        "SELECT name FROM points WHERE id = ?1 AND briefing_id = ?2",
                        params![point.0, briefing.0],
                        |row| row.get(0),
                    )
                    .optional()?;
                Some(name.ok_or_else(|| no_such_point(point))?)
            }
        };
        ensure_within_quota(
            &tx,
            briefing,
            new.uploaded_by,
            size.unsigned_abs().into(),
            quota,
        )?;
        tx.execute(
            "INSERT INTO documents (briefing_id, agenda_item_id, task_id, uploaded_by, file_name,
                                    content_type, size, sha256, content, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                briefing.0,
                new.agenda_item_id,
                new.task_id,
                new.uploaded_by.map(|p| &p.0),
                file_name,
                content_type,
                size,
                sha256,
                ZeroBlob(size),
                created_at,
            ],
        )?;
        let id = tx.last_insert_rowid();
        let mut blob = tx.blob_open(MAIN_DB, c"documents", c"content", id, false)?;
        blob.write_all(new.content)?;
        blob.close()?;
        tx.commit()?;
        Ok(Document {
            id,
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
            size: size.unsigned_abs().into(),
            sha256,
            agenda_item_id: new.agenda_item_id,
            task_id: new.task_id,
            uploaded_by,
            uploaded_by_point: new.uploaded_by.cloned(),
            created_at,
        })
    }

    /// The documents of a briefing, oldest first, without their content.
    pub fn documents(&self, briefing: &BriefingId) -> Result<Vec<Document>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS} {FROM_DOCUMENTS} WHERE d.briefing_id = ?1 ORDER BY d.id"
        ))?;
        let rows = stmt.query_map([&briefing.0], document_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The documents attached to a task, from whichever briefing they were uploaded in, oldest
    /// first.
    pub fn documents_of_task(&self, task_id: i64) -> Result<Vec<Document>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS} {FROM_DOCUMENTS} WHERE d.task_id = ?1 ORDER BY d.id"
        ))?;
        let rows = stmt.query_map([task_id], document_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One document of a briefing without its content, if there is one.
    pub fn document(&self, briefing: &BriefingId, id: i64) -> Result<Option<Document>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS} {FROM_DOCUMENTS} WHERE d.id = ?1 AND d.briefing_id = ?2"
        ))?;
        Ok(stmt
            .query_row(params![id, briefing.0], document_from_row)
            .optional()?)
    }

    /// One document of a briefing with its content, if there is one.
    pub fn document_content(
        &self,
        briefing: &BriefingId,
        id: i64,
    ) -> Result<Option<(Document, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS}, d.content {FROM_DOCUMENTS}
             WHERE d.id = ?1 AND d.briefing_id = ?2"
        ))?;
        Ok(stmt
            .query_row(params![id, briefing.0], |row| {
                Ok((document_from_row(row)?, row.get(DOCUMENT_COLUMN_COUNT)?))
            })
            .optional()?)
    }

    /// `len` bytes of a document's content from `offset`, for sending it in pieces: the
    /// database is held for one piece at a time, not for a whole download.
    /// [`StoreError::NotFound`] if the document is gone (deleted since its download started)
    /// or the range lies outside its content.
    pub fn document_chunk(&self, id: i64, offset: u64, len: usize) -> Result<Vec<u8>, StoreError> {
        let conn = self.conn();
        let blob = match conn.blob_open(MAIN_DB, c"documents", c"content", id, true) {
            Ok(blob) => blob,
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::Unknown => {
                return Err(no_such(Field::Document, id));
            }
            Err(e) => return Err(e.into()),
        };
        let end = offset.checked_add(len as u64);
        let Some(start) = usize::try_from(offset)
            .ok()
            .filter(|_| end.is_some_and(|end| end <= blob.len() as u64))
        else {
            return Err(no_such(Field::Document, id));
        };
        let mut chunk = vec![0; len];
        blob.read_at_exact(&mut chunk, start)?;
        Ok(chunk)
    }

    /// Deletes a document of a briefing; [`StoreError::NotFound`] if it has no such document.
    /// The pages it took are given back to the file system.
    pub fn delete_document(&self, briefing: &BriefingId, id: i64) -> Result<(), StoreError> {
        let conn = self.conn();
        let deleted = conn.execute(
            "DELETE FROM documents WHERE id = ?1 AND briefing_id = ?2",
            params![id, briefing.0],
        )?;
        if deleted == 0 {
            return Err(no_such(Field::Document, id));
        }
        // The delete is committed whatever happens here: pages this cannot give back stay on
        // the free list, where the next insert reuses them and the next delete frees them.
        let _ = crate::migrations::incremental_vacuum(&conn);
        Ok(())
    }
}

/// An accepted kind of document.
struct Kind {
    extension: &'static str,
    label: &'static str,
    content_type: &'static str,
    /// How the content starts.
    magic: &'static [u8],
}

/// The accepted extensions, for messages.
pub const ACCEPTED_EXTENSIONS: &str =
    ".pdf, .docx, .xlsx, .pptx, .doc, .xls, .ppt, .odt, .ods, .odp";

/// ZIP's local file header, `PK\x03\x04` (PKWARE APPNOTE 4.3.7): how Office Open XML packages
/// (ECMA-376 Part 2) and OpenDocument packages (ODF 1.2 Part 3) start.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The compound file header of legacy Office files ([MS-CFB] 2.2).
const CFB_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

const KINDS: &[Kind] = &[
    Kind {
        extension: "pdf",
        label: "PDF",
        content_type: "application/pdf",
        // ISO 32000-1 §7.5.2: the file begins with the header `%PDF-1.n`.
        magic: b"%PDF-",
    },
    Kind {
        extension: "docx",
        label: "DOCX",
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        magic: ZIP_MAGIC,
    },
    Kind {
        extension: "xlsx",
        label: "XLSX",
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        magic: ZIP_MAGIC,
    },
    Kind {
        extension: "pptx",
        label: "PPTX",
        content_type: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        magic: ZIP_MAGIC,
    },
    Kind {
        extension: "doc",
        label: "DOC",
        content_type: "application/msword",
        magic: CFB_MAGIC,
    },
    Kind {
        extension: "xls",
        label: "XLS",
        content_type: "application/vnd.ms-excel",
        magic: CFB_MAGIC,
    },
    Kind {
        extension: "ppt",
        label: "PPT",
        content_type: "application/vnd.ms-powerpoint",
        magic: CFB_MAGIC,
    },
    Kind {
        extension: "odt",
        label: "ODT",
        content_type: "application/vnd.oasis.opendocument.text",
        magic: ZIP_MAGIC,
    },
    Kind {
        extension: "ods",
        label: "ODS",
        content_type: "application/vnd.oasis.opendocument.spreadsheet",
        magic: ZIP_MAGIC,
    },
    Kind {
        extension: "odp",
        label: "ODP",
        content_type: "application/vnd.oasis.opendocument.presentation",
        magic: ZIP_MAGIC,
    },
];

/// The columns [`document_from_row`] reads, from [`FROM_DOCUMENTS`]; a query may select more
/// after them.
const DOCUMENT_COLUMNS: &str = "d.id, d.file_name, d.content_type, d.size, d.sha256,
    d.agenda_item_id, d.task_id, p.name, d.uploaded_by, d.created_at";

/// How many columns [`DOCUMENT_COLUMNS`] names.
const DOCUMENT_COLUMN_COUNT: usize = 10;

const FROM_DOCUMENTS: &str = "FROM documents d LEFT JOIN points p ON p.id = d.uploaded_by";

fn document_from_row(row: &Row<'_>) -> rusqlite::Result<Document> {
    let size: i64 = row.get(3)?;
    Ok(Document {
        id: row.get(0)?,
        file_name: row.get(1)?,
        content_type: row.get(2)?,
        // The schema checks `size >= 0`.
        size: size.unsigned_abs(),
        sha256: row.get(4)?,
        agenda_item_id: row.get(5)?,
        task_id: row.get(6)?,
        uploaded_by: row.get(7)?,
        uploaded_by_point: row.get::<_, Option<String>>(8)?.map(PointId),
        created_at: row.get(9)?,
    })
}

/// [`StoreError::Conflict`] unless one more document of `size` bytes by `uploader` (a point,
/// or the organiser for `None`) fits in `quota`; the point's own quota is checked first.
fn ensure_within_quota(
    tx: &Transaction<'_>,
    briefing: &BriefingId,
    uploader: Option<&PointId>,
    size: u64,
    quota: &DocumentQuota,
) -> Result<(), StoreError> {
    let usage = |sql: &str, key: &str| -> rusqlite::Result<(u64, u64)> {
        tx.query_row(sql, [key], |row| {
            let (count, bytes): (i64, i64) = (row.get(0)?, row.get(1)?);
            Ok((count.unsigned_abs(), bytes.unsigned_abs()))
        })
    };
    if let Some(point) = uploader {
        // A point belongs to one briefing, so its documents are all in this one.
        let used = usage(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM documents WHERE uploaded_by = ?1",
            &point.0,
        )?;
        over_quota(
            ProblemCode::QuotaPoint,
            used,
            size,
            quota.point_documents,
            quota.point_bytes,
        )?;
    }
    let used = usage(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM documents WHERE briefing_id = ?1",
        &briefing.0,
    )?;
    over_quota(
        ProblemCode::QuotaBriefing,
        used,
        size,
        quota.briefing_documents,
        quota.briefing_bytes,
    )
}

/// The refusal `code` if `(documents, bytes)` used and one more of `size` bytes exceed either
/// maximum.
fn over_quota(
    code: ProblemCode,
    (documents, bytes): (u64, u64),
    size: u64,
    max_documents: u64,
    max_bytes: u64,
) -> Result<(), StoreError> {
    if documents < max_documents && bytes.saturating_add(size) <= max_bytes {
        return Ok(());
    }
    Err(StoreError::Conflict(
        Problem::new(code)
            .with("max_documents", max_documents)
            .with("max_mb", max_bytes / MIB)
            .with("used_documents", documents)
            .with("used_mb", bytes.div_ceil(MIB))
            .with("size_mb", size.div_ceil(MIB)),
    ))
}

fn hex_sha256(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;
    use crate::test_support::{agenda_item, is_not_found, new_briefing, temp_store};

    /// The start of a PDF 1.7 file: header, then a binary comment (ISO 32000-1 §7.5.2).
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    /// A ZIP local file header for `[Content_Types].xml`, as a DOCX or XLSX starts.
    const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml";
    const DOCX_TYPE: &str =
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    fn briefing(store: &Store, title: &str) -> (BriefingId, Vec<Point>) {
        let id = store
            .create_briefing(&new_briefing(
                title,
                "Sở TT&TT",
                &["UBND thị xã Cửa Lò", "UBND huyện Nghi Lộc"],
            ))
            .unwrap()
            .id;
        let points = store.points(&id).unwrap();
        (id, points)
    }

    fn new<'a>(file_name: &'a str, content: &'a [u8]) -> NewDocument<'a> {
        NewDocument {
            file_name,
            content,
            agenda_item_id: None,
            task_id: None,
            uploaded_by: None,
        }
    }

    /// A task of `briefing`, written directly: tasks are made by another module.
    fn task(store: &Store, briefing: &BriefingId) -> i64 {
        let conn = store.conn();
        conn.execute(
            "INSERT INTO tasks (briefing_id, text, deadline, status, created_at, updated_at)
             VALUES (?1, 'Triển khai chữ ký số', '2099-12-31', 'open', ?2, ?2)",
            params![briefing.0, schedule::now_utc()],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    fn first_uploader(store: &Store, id: &BriefingId) -> Option<String> {
        store.documents(id).unwrap().remove(0).uploaded_by
    }

    #[test]
    fn the_three_accepted_types_are_recognised_by_extension_and_content() {
        assert_eq!(check_document("Báo cáo.pdf", PDF), Ok("application/pdf"));
        assert_eq!(check_document(" Báo cáo.PDF ", PDF), Ok("application/pdf"));
        assert_eq!(check_document("Kế hoạch.docx", ZIP), Ok(DOCX_TYPE));
        assert_eq!(check_document("Số liệu.XLSX", ZIP), Ok(XLSX_TYPE));
        let cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest".as_slice();
        for (name, content, expected) in [
            ("Báo cáo.pptx", ZIP, "presentationml"),
            ("Báo cáo cũ.doc", cfb, "application/msword"),
            ("Số liệu cũ.xls", cfb, "application/vnd.ms-excel"),
            ("Trình chiếu cũ.ppt", cfb, "application/vnd.ms-powerpoint"),
            ("Văn bản.odt", ZIP, "opendocument.text"),
            ("Bảng tính.ods", ZIP, "opendocument.spreadsheet"),
            ("Trình chiếu.odp", ZIP, "opendocument.presentation"),
        ] {
            let got = check_document(name, content);
            assert!(
                got.as_ref().is_ok_and(|t| t.contains(expected)),
                "{name}: {got:?}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_what_its_name_says_is_an_unsupported_type() {
        for (name, content, expected) in [
            (
                "Báo cáo.pdf",
                ZIP,
                "\"Báo cáo.pdf\" does not hold what its name says (\"PDF\")",
            ),
            (
                "Kế hoạch.docx",
                PDF,
                "\"Kế hoạch.docx\" does not hold what its name says (\"DOCX\")",
            ),
            (
                "setup.exe",
                b"MZ\x90\x00".as_slice(),
                "\"setup.exe\" is not an accepted document",
            ),
            (
                "Báo cáo.doc",
                ZIP,
                "\"Báo cáo.doc\" does not hold what its name says (\"DOC\")",
            ),
            (
                "Trình chiếu.pptx",
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".as_slice(),
                "\"Trình chiếu.pptx\" does not hold what its name says (\"PPTX\")",
            ),
            ("pdf", PDF, "\"pdf\" is not an accepted document"),
            ("Báo cáo.pdf.exe", PDF, "\"Báo cáo.pdf.exe\" is not"),
        ] {
            match check_document(name, content) {
                Err(DocumentRejection::UnsupportedType(message)) => {
                    assert!(
                        message.to_string().starts_with(expected),
                        "{name}: {message}"
                    );
                }
                other => panic!("{name}: expected UnsupportedType, got {other:?}"),
            }
        }
    }

    #[test]
    fn bad_names_and_empty_files_are_invalid() {
        let long = format!("{}.pdf", "ả".repeat(MAX_FILE_NAME_CHARS - 3));
        for (name, content, expected) in [
            ("  ", PDF, "file name: must not be empty"),
            (
                "../giaoban.sqlite3.pdf",
                PDF,
                "file name: \"../giaoban.sqlite3.pdf\" must not",
            ),
            (
                "C:\\Báo cáo.pdf",
                PDF,
                "file name: \"C:\\\\Báo cáo.pdf\" must not",
            ),
            ("Báo\ncáo.pdf", PDF, "file name: \"Báo\\ncáo.pdf\" must not"),
            (&long, PDF, "file name: must be at most"),
            (
                "Báo cáo.pdf",
                b"".as_slice(),
                "the file \"Báo cáo.pdf\" is empty",
            ),
        ] {
            match check_document(name, content) {
                Err(DocumentRejection::Invalid(message)) => {
                    assert!(
                        message.to_string().starts_with(expected),
                        "{name:?}: {message}"
                    );
                }
                other => panic!("{name:?}: expected Invalid, got {other:?}"),
            }
        }
        assert!(
            check_document(&long["ả".len()..], PDF).is_ok(),
            "200 characters"
        );
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        let mut content = PDF.to_vec();
        content.resize(MAX_DOCUMENT_BYTES, b' ');

        assert_eq!(check_document("a.pdf", &content), Ok("application/pdf"));
        content.push(b' ');
        assert_eq!(
            check_document("a.pdf", &content),
            Err(DocumentRejection::TooLarge)
        );
        assert_eq!(
            DocumentRejection::TooLarge.to_string(),
            "a document is at most 20 MiB"
        );
    }

    #[test]
    fn a_document_round_trips_with_its_content_and_sha256() {
        let (_dir, store) = temp_store();
        let (id, points) = briefing(&store, "Giao ban CNTT");
        let item = agenda_item(&store, &id, "Báo cáo");

        let stored = store
            .add_document(
                &id,
                &NewDocument {
                    agenda_item_id: Some(item),
                    uploaded_by: Some(&points[1].id),
                    ..new(" Báo cáo 6 tháng – Cửa Lò.pdf ", b"%PDF-1.4\n")
                },
            )
            .unwrap();

        assert_eq!(stored.file_name, "Báo cáo 6 tháng – Cửa Lò.pdf");
        assert_eq!(stored.content_type, "application/pdf");
        assert_eq!(stored.size, 9);
        // `printf '%%PDF-1.4\n' | sha256sum`
        assert_eq!(
            stored.sha256,
            "e5c62df5dab5c87b6a015ef3d43597074d1eec433b15f51aec63b8582d0e4ab4"
        );
        assert_eq!(stored.agenda_item_id, Some(item));
        assert_eq!(stored.uploaded_by.as_deref(), Some("UBND thị xã Cửa Lò"));
        assert_eq!(stored.uploaded_by_point.as_ref(), Some(&points[1].id));
        assert_eq!(store.documents(&id).unwrap(), std::slice::from_ref(&stored));
        assert_eq!(
            store.document(&id, stored.id).unwrap(),
            Some(stored.clone())
        );
        assert_eq!(
            store.document_content(&id, stored.id).unwrap(),
            Some((stored.clone(), b"%PDF-1.4\n".to_vec()))
        );
        let json = serde_json::to_value(&stored).unwrap();
        assert_eq!(json["uploaded_by"], "UBND thị xã Cửa Lò");
        assert!(json.get("uploaded_by_point").is_none(), "{json}");
    }

    #[test]
    fn documents_are_listed_oldest_first_and_only_in_their_briefing() {
        let (_dir, store) = temp_store();
        let (id, _) = briefing(&store, "Giao ban CNTT");
        let (other, _) = briefing(&store, "Giao ban Nội vụ");

        let first = store.add_document(&id, &new("Giấy mời.pdf", PDF)).unwrap();
        let foreign = store.add_document(&other, &new("Khác.pdf", PDF)).unwrap();
        let second = store.add_document(&id, &new("Số liệu.xlsx", ZIP)).unwrap();

        assert_eq!(store.documents(&id).unwrap(), [first, second]);
        assert_eq!(
            store.documents(&other).unwrap(),
            std::slice::from_ref(&foreign)
        );
        assert_eq!(first_uploader(&store, &id), None, "the organiser");
        assert_eq!(store.document(&id, foreign.id).unwrap(), None);
        assert_eq!(store.document_content(&id, foreign.id).unwrap(), None);
        assert!(is_not_found(&store.delete_document(&id, foreign.id)));
        assert_eq!(store.documents(&other).unwrap(), [foreign]);
    }

    #[test]
    fn add_document_refuses_what_check_document_refuses_and_foreign_references() {
        let (_dir, store) = temp_store();
        let (id, _) = briefing(&store, "Giao ban CNTT");
        let (other, other_points) = briefing(&store, "Giao ban Nội vụ");
        let foreign_item = agenda_item(&store, &other, "Khai mạc");
        let too_large = vec![b'%'; MAX_DOCUMENT_BYTES + 1];

        for (new, expected) in [
            (
                new("setup.exe", b"MZ"),
                "\"setup.exe\" is not an accepted document",
            ),
            (new("a.pdf", &too_large), "a file is at most 20 MiB"),
            (new("a/b.pdf", PDF), "file name: \"a/b.pdf\""),
            (
                new("Báo cáo\u{202E}xcod.pdf", PDF),
                "file name: must not contain characters that change the direction",
            ),
            (
                NewDocument {
                    agenda_item_id: Some(foreign_item),
                    ..new("a.pdf", PDF)
                },
                "agenda item: ",
            ),
        ] {
            match store.add_document(&id, &new) {
                Err(StoreError::Invalid(message)) => {
                    assert!(message.to_string().starts_with(expected), "{message}");
                }
                other => panic!("expected Invalid, got {other:?}"),
            }
        }
        for new in [
            NewDocument {
                task_id: Some(999),
                ..new("a.pdf", PDF)
            },
            NewDocument {
                uploaded_by: Some(&other_points[1].id),
                ..new("a.pdf", PDF)
            },
        ] {
            let result = store.add_document(&id, &new);
            assert!(is_not_found(&result), "{result:?}");
        }
        let result = store.add_document(&BriefingId("khongco".into()), &new("a.pdf", PDF));
        assert!(is_not_found(&result), "{result:?}");
        assert!(store.documents(&id).unwrap().is_empty());
    }

    #[test]
    fn task_documents_come_from_any_briefing() {
        let (_dir, store) = temp_store();
        let (earlier, _) = briefing(&store, "Giao ban CNTT quý I");
        let (later, later_points) = briefing(&store, "Giao ban CNTT quý II");
        let task = task(&store, &earlier);
        let untied = store.add_document(&earlier, &new("Khác.pdf", PDF)).unwrap();

        let first = store
            .add_document(
                &earlier,
                &NewDocument {
                    task_id: Some(task),
                    ..new("Tiến độ tháng 3.pdf", PDF)
                },
            )
            .unwrap();
        let second = store
            .add_document(
                &later,
                &NewDocument {
                    task_id: Some(task),
                    uploaded_by: Some(&later_points[2].id),
                    ..new("Tiến độ tháng 6.docx", ZIP)
                },
            )
            .unwrap();

        assert_eq!(store.documents_of_task(task).unwrap(), [first, second]);
        assert!(!store.documents_of_task(task).unwrap().contains(&untied));
        assert!(store.documents_of_task(task + 1).unwrap().is_empty());
    }

    #[test]
    fn deleting_a_document_removes_it_and_its_content() {
        let (_dir, store) = temp_store();
        let (id, _) = briefing(&store, "Giao ban CNTT");
        let kept = store.add_document(&id, &new("Giấy mời.pdf", PDF)).unwrap();
        let gone = store.add_document(&id, &new("Nhầm.pdf", PDF)).unwrap();

        store.delete_document(&id, gone.id).unwrap();

        assert_eq!(store.documents(&id).unwrap(), [kept]);
        assert_eq!(store.document_content(&id, gone.id).unwrap(), None);
        assert!(is_not_found(&store.delete_document(&id, gone.id)));
    }

    #[test]
    fn removing_an_agenda_item_unties_its_documents_and_the_briefing_takes_them_all() {
        let (_dir, store) = temp_store();
        let (id, points) = briefing(&store, "Giao ban CNTT");
        let item = agenda_item(&store, &id, "Báo cáo");
        let tied = store
            .add_document(
                &id,
                &NewDocument {
                    agenda_item_id: Some(item),
                    uploaded_by: Some(&points[1].id),
                    ..new("Báo cáo.pdf", PDF)
                },
            )
            .unwrap();

        store.set_agenda(&id, &[]).unwrap();
        let untied = store.document(&id, tied.id).unwrap().unwrap();
        store
            .conn()
            .execute("DELETE FROM briefings WHERE id = ?1", [&id.0])
            .unwrap();

        assert_eq!(untied.agenda_item_id, None);
        assert_eq!(untied.uploaded_by, tied.uploaded_by);
        assert!(store.documents(&id).unwrap().is_empty());
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM documents", [], |row| row.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    fn quota_problem(result: Result<Document, StoreError>) -> Problem {
        match result {
            Err(StoreError::Conflict(p)) => p,
            other => panic!("expected a quota refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_point_uploads_up_to_its_quota_in_documents_and_bytes() {
        let (_dir, store) = temp_store();
        let (id, points) = briefing(&store, "Giao ban CNTT");
        let cualo = &points[1].id;
        let nghiloc = &points[2].id;
        let mib = vec![b'%'; MIB as usize];
        let mut big = PDF.to_vec();
        big.extend_from_slice(&mib);
        let quota = DocumentQuota {
            point_documents: 2,
            point_bytes: 3 * MIB,
            ..DocumentQuota::UNLIMITED
        };
        let by = |point, content| NewDocument {
            uploaded_by: Some(point),
            ..new("Báo cáo.pdf", content)
        };

        store
            .add_document_within(&id, &by(cualo, PDF), &quota)
            .unwrap();
        store
            .add_document_within(&id, &by(cualo, PDF), &quota)
            .unwrap();
        let third = quota_problem(store.add_document_within(&id, &by(cualo, PDF), &quota));
        let precheck = store.check_document_quota(&id, Some(cualo), 1, &quota);
        store
            .add_document_within(&id, &by(nghiloc, &big), &quota)
            .unwrap();
        let listed = store.documents(&id).unwrap();
        let second_big = {
            let quota = DocumentQuota {
                point_documents: 10,
                ..quota
            };
            store
                .add_document_within(&id, &by(nghiloc, &big), &quota)
                .unwrap();
            quota_problem(store.add_document_within(&id, &by(nghiloc, &big), &quota))
        };
        let by_organiser = store.add_document_within(&id, &new("Kế hoạch.pdf", &big), &quota);

        assert_eq!(third.code(), ProblemCode::QuotaPoint);
        assert_eq!(
            third.to_string(),
            "a point may upload at most 2 documents and 3 MiB to a briefing; it has uploaded 2 \
             documents, 1 MiB: delete some to upload this one (1 MiB)"
        );
        assert!(matches!(precheck, Err(StoreError::Conflict(_))));
        assert_eq!(listed.len(), 3);
        assert_eq!(second_big.code(), ProblemCode::QuotaPoint);
        assert!(
            second_big
                .to_string()
                .contains("it has uploaded 2 documents, 3 MiB"),
            "{second_big}"
        );
        // The organiser is no point: only the briefing's quota, unlimited here, applies.
        assert!(by_organiser.is_ok());
        // Deleting gives the point its place back.
        let first = store.documents(&id).unwrap()[0].id;
        store.delete_document(&id, first).unwrap();
        store
            .add_document_within(&id, &by(cualo, PDF), &quota)
            .unwrap();
    }

    #[test]
    fn a_briefing_holds_up_to_its_quota_whoever_uploads() {
        let (_dir, store) = temp_store();
        let (id, points) = briefing(&store, "Giao ban CNTT");
        let (other, other_points) = briefing(&store, "Giao ban Nội vụ");
        let quota = DocumentQuota {
            briefing_documents: 2,
            ..DocumentQuota::DEFAULT
        };
        let by = |point| NewDocument {
            uploaded_by: Some(point),
            ..new("Báo cáo.pdf", PDF)
        };

        store
            .add_document_within(&id, &by(&points[1].id), &quota)
            .unwrap();
        store
            .add_document_within(&id, &new("Kế hoạch.pdf", PDF), &quota)
            .unwrap();
        let full = quota_problem(store.add_document_within(&id, &by(&points[2].id), &quota));
        let elsewhere = store.add_document_within(&other, &by(&other_points[1].id), &quota);
        let bytes = DocumentQuota {
            briefing_bytes: 2 * PDF.len() as u64 + 10,
            ..DocumentQuota::DEFAULT
        };
        let over_bytes = quota_problem(store.add_document_within(&id, &by(&points[2].id), &bytes));

        assert_eq!(full.code(), ProblemCode::QuotaBriefing);
        assert_eq!(
            full.to_string(),
            "a briefing holds at most 2 documents and 2048 MiB; this one has 2 documents, 1 \
             MiB: delete some to upload this one (1 MiB)"
        );
        assert!(elsewhere.is_ok());
        assert_eq!(over_bytes.code(), ProblemCode::QuotaBriefing);
        assert_eq!(store.documents(&id).unwrap().len(), 2);
    }

    fn pages(store: &Store) -> (i64, i64) {
        let conn = store.conn();
        let count = conn
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .unwrap();
        let free = conn
            .query_row("PRAGMA freelist_count", [], |row| row.get(0))
            .unwrap();
        (count, free)
    }

    #[test]
    fn deleting_a_document_gives_its_space_back() {
        let (dir, store) = temp_store();
        let (id, _) = briefing(&store, "Giao ban CNTT");
        let mut content = PDF.to_vec();
        content.resize(5 * MIB as usize, b' ');
        let db_bytes = |store: &Store| {
            store
                .conn()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
            std::fs::metadata(dir.path().join(crate::DB_FILE))
                .unwrap()
                .len()
        };
        let (empty, _) = pages(&store);
        let empty_bytes = db_bytes(&store);

        let stored = store
            .add_document(&id, &new("Phụ lục.pdf", &content))
            .unwrap();
        let (full, _) = pages(&store);
        let full_bytes = db_bytes(&store);
        let (_, read) = store.document_content(&id, stored.id).unwrap().unwrap();
        store.delete_document(&id, stored.id).unwrap();
        let (after, free_after) = pages(&store);
        let after_bytes = db_bytes(&store);

        assert_eq!(read, content);
        assert!(full > empty + 1000, "{empty} pages, then {full}");
        assert!(
            after < empty + 10,
            "{empty} pages empty, {after} after the delete"
        );
        assert_eq!(free_after, 0);
        assert!(
            full_bytes > empty_bytes + 5_000_000,
            "{empty_bytes} then {full_bytes}"
        );
        assert!(
            after_bytes < empty_bytes + 100_000,
            "{empty_bytes} bytes empty, {after_bytes} after the delete"
        );
    }

    #[test]
    fn a_document_is_read_back_in_pieces_and_a_gone_one_is_not_found() {
        let (_dir, store) = temp_store();
        let (id, _) = briefing(&store, "Giao ban CNTT");
        let mut content = PDF.to_vec();
        content.extend((0..300_000u32).map(|i| (i % 251) as u8));
        let stored = store
            .add_document(&id, &new("Báo cáo.pdf", &content))
            .unwrap();

        let mut read = Vec::new();
        let mut offset = 0;
        while offset < content.len() {
            let len = (content.len() - offset).min(65_536);
            read.extend(store.document_chunk(stored.id, offset as u64, len).unwrap());
            offset += len;
        }
        let past_end = store.document_chunk(stored.id, content.len() as u64 - 10, 11);
        let huge = store.document_chunk(stored.id, u64::MAX, 1);
        store.delete_document(&id, stored.id).unwrap();
        let gone = store.document_chunk(stored.id, 0, 10);

        assert_eq!(read, content);
        assert!(is_not_found(&past_end));
        assert!(is_not_found(&huge));
        assert!(is_not_found(&gone));
    }
}
