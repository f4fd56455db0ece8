//! The web client, embedded in the binary.

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

fn serve(path: &str, no_store: bool) -> Response {
    let Some(file) = Web::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = Response::new(Body::from(file.data.into_owned()));
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
