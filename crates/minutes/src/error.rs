//! Errors of rendering minutes.

use thiserror::Error;

/// Why the minutes could not be rendered.
///
/// Neither depends on the minutes' content: any text renders. Both mean a broken build or a
/// bug in the PDF library, and are reported rather than panicking a server thread.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MinutesError {
    /// An embedded font could not be read.
    #[error("the embedded font {0} cannot be read")]
    Font(&'static str),
    /// The PDF library refused to write the document; the text is its reason.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}
