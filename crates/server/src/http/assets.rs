//! The web client, embedded in the binary.
//!
//! For work on the client, `GIAOBAN_WEB_DIR=path/to/web` makes the server read the files from
//! that folder at each request instead, so that a change shows on reload without a rebuild.
//! Only plain relative paths below the folder are read.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
#[exclude = "*.json"]
#[exclude = "*.md"]
struct Web;

/// `GET /assets/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    serve(&path, false)
}

/// A page of the client (`index.html`, `admin.html`), never cached: it carries the latest
/// asset references.
pub fn page(name: &str) -> Response {
    serve(name, true)
}

/// The folder `GIAOBAN_WEB_DIR` names, read once.
fn web_dir() -> Option<&'static std::path::Path> {
    static DIR: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("GIAOBAN_WEB_DIR").map(Into::into))
        .as_deref()
}

/// The file's bytes: from `GIAOBAN_WEB_DIR` when set, else from the binary.
fn read(path: &str) -> Option<Vec<u8>> {
    match web_dir() {
        Some(dir) => {
            let plain = std::path::Path::new(path)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !plain || path.ends_with(".json") || path.ends_with(".md") {
                return None;
            }
            std::fs::read(dir.join(path)).ok()
        }
        None => Web::get(path).map(|file| file.data.into_owned()),
    }
}

fn serve(path: &str, no_store: bool) -> Response {
    let Some(data) = read(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = Response::new(Body::from(data));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if no_store { "no-store" } else { "no-cache" }),
    );
    response
}
