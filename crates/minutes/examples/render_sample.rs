//! Renders the sample minutes (the Nghệ An six-month ICT briefing) to look at.
//!
//! `cargo run -p giaoban-minutes --example render_sample -- [--long] [OUT.pdf]` writes the PDF
//! (default `/tmp/minutes-sample.pdf`) and the HTML page next to it.

#[path = "../tests/support/mod.rs"]
mod support;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut long = false;
    let mut out = std::path::PathBuf::from("/tmp/minutes-sample.pdf");
    for arg in std::env::args().skip(1) {
        if arg == "--long" {
            long = true;
        } else {
            out = arg.into();
        }
    }
    let minutes = if long {
        support::long()
    } else {
        support::nghe_an()
    };
    std::fs::write(&out, giaoban_minutes::render_pdf(&minutes)?)?;
    let html = out.with_extension("html");
    std::fs::write(&html, giaoban_minutes::render_html(&minutes))?;
    println!("{}\n{}", out.display(), html.display());
    Ok(())
}
