//! See docs/substance.md.
