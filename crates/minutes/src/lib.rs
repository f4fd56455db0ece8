//! The minutes ("biên bản") of a giaoban briefing, as a PDF, as a Word document (DOCX) to edit
//! before signing, and as a printable HTML page.
//!
//! The input is [`Minutes`], plain serde data that the store assembles after a briefing: time,
//! place, host, attendance from the roll-call, agenda, floor grants and screen presentations,
//! concerns with answers, written comments with answers, conclusions and tasks. [`render_pdf`] lays it out on A4 like a Vietnamese administrative
//! record; [`render_docx`] writes the same as a Word document; [`render_html`] gives the same
//! content as a page to view and print. All are pure:
//! no clock, no files, no network; the fonts are compiled in.
//!
//! ```
//! use giaoban_minutes::{Minutes, render_html, render_pdf};
//!
//! let m = Minutes {
//!     title: "Giao ban trực tuyến 6 tháng đầu năm 2025".into(),
//!     organisation: "Sở Thông tin và Truyền thông tỉnh Nghệ An".into(),
//!     started_at: "2025-07-15T08:00:00+07:00".into(),
//!     ..Minutes::default()
//! };
//! let pdf = render_pdf(&m)?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! assert!(render_html(&m).contains("SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NGHỆ AN"));
//! # Ok::<(), giaoban_minutes::MinutesError>(())
//! ```
//!
//! # Why krilla
//!
//! The PDF is written with [krilla](https://docs.rs/krilla), the PDF backend of the Typst
//! typesetter. What matters for Vietnamese minutes is that the text comes out of the PDF as it
//! went in, with every tone mark, and krilla does the whole of that: it embeds TrueType fonts
//! as CID fonts, subsets them to the glyphs used (a page of minutes weighs tens of kilobytes,
//! not the megabyte of three full fonts), and writes a ToUnicode map from each glyph to the
//! exact text it was shaped from, so `pdftotext`, search and copy-paste give back the NFC
//! string. It is actively maintained, pure Rust, and can check its output against PDF/A and
//! PDF/UA. The alternatives fall short here: `printpdf` changed its API wholesale from 0.8 on
//! and builds its text layout on an HTML-to-PDF engine (azul) that would pull a browser-like
//! stack into the server; `genpdf`, which does lay out paragraphs, is stuck at 0.2 on a
//! `printpdf` 0.3.4 that does not subset fonts.
//!
//! krilla draws positioned glyphs, not paragraphs, so this crate brings its own small layout:
//! shaping with rustybuzz (measured and drawn from the same shaping, so widths agree), greedy
//! line breaking at spaces, justified paragraphs, tables whose headings repeat and whose rows
//! break across pages, and page numbers.
//!
//! # Fonts
//!
//! Liberation Serif (regular, bold, italic) from Debian's `fonts-liberation2`, in `fonts/`
//! with its licence: its widths are those of the Times New Roman that Nghị định
//! 30/2020/NĐ-CP prescribes, and it has a precomposed glyph for every Vietnamese letter.

mod document;
mod docx;
mod error;
mod html;
mod model;
mod pdf;
mod text;

pub use docx::render_docx;
pub use error::MinutesError;
pub use html::{escape as escape_html, render_html};
pub use model::{
    AttendanceLine, AttendanceStatus, CommentLine, ConcernLine, Minutes, PresentationLine,
    RecordingLine, SpeakerLine, TaskLine, TaskStatus,
};
pub use pdf::render_pdf;
