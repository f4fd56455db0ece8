//! Pages for a browser that followed a link the server refuses: a bad or revoked invitation,
//! a bad, expired or used admin login link. In the site's style, Vietnamese first and English
//! below, never the API's JSON.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An invitation link that is malformed, forged or names no point.
    InvalidLink,
    /// An invitation link the organiser revoked.
    RevokedLink,
    /// An admin login link that is wrong, expired or already used.
    InvalidLoginCode,
    /// The server could not check the link.
    Internal,
}

/// The words of one language.
struct Words {
    title: &'static str,
    text: &'static str,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The stable code, as the API would answer it, for tests and scripts (`data-code`).
    fn code(self) -> &'static str {
        match self {
            Refusal::InvalidLink => "invalid_token",
            Refusal::RevokedLink => "revoked_token",
            Refusal::InvalidLoginCode => "invalid_login_code",
            Refusal::Internal => "internal",
        }
    }

    fn vietnamese(self) -> Words {
        match self {
            Refusal::InvalidLink => Words {
                title: "Liên kết mời không hợp lệ",
                text: "Liên kết này không đúng hoặc đã bị sửa. Hãy mở đúng liên kết trong thư mời, \
                       hoặc liên hệ đơn vị tổ chức cuộc giao ban để được cấp lại.",
            },
            Refusal::RevokedLink => Words {
                title: "Liên kết mời đã bị thu hồi",
                text: "Đơn vị tổ chức đã thu hồi liên kết này nên không dùng được nữa. Hãy liên hệ \
                       đơn vị tổ chức cuộc giao ban để được cấp liên kết mới.",
            },
            Refusal::InvalidLoginCode => Words {
                title: "Liên kết đăng nhập không dùng được",
                text: "Liên kết đăng nhập quản trị này không đúng, đã hết hạn hoặc đã được dùng: \
                       mỗi liên kết chỉ dùng được một lần, trong một ngày. Trên máy chủ, chạy lệnh \
                       giaoban admin-url để lấy liên kết mới.",
            },
            Refusal::Internal => Words {
                title: "Máy chủ gặp sự cố",
                text: "Máy chủ chưa kiểm tra được liên kết này. Vui lòng thử lại sau ít phút.",
            },
        }
    }

    fn english(self) -> Words {
        match self {
            Refusal::InvalidLink => Words {
                title: "This invitation link is not valid",
                text: "The link is wrong or was altered. Open the link of your invitation as you \
                       received it, or ask the organiser of the briefing for a new one.",
            },
            Refusal::RevokedLink => Words {
                title: "This invitation link was revoked",
                text: "The organiser revoked this link; it no longer works. Ask the organiser of \
                       the briefing for a new one.",
            },
            Refusal::InvalidLoginCode => Words {
                title: "This login link cannot be used",
                text: "This admin login link is wrong, expired or already used: each link works \
                       once, within a day. On the server, run giaoban admin-url for a new one.",
            },
            Refusal::Internal => Words {
                title: "The server ran into a problem",
                text: "The server could not check this link. Please try again in a few minutes.",
            },
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status(), html(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Whether the request is a browser's navigation (it asks for HTML) rather than a program's.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The page. Every text is the server's own: nothing from the request is written into it.
fn html(refusal: Refusal) -> String {
    let (vi, en) = (refusal.vietnamese(), refusal.english());
    format!(
        r#"<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <link rel="icon" href="data:,">
  <title>{vi_title} · Giao ban trực tuyến</title>
  <link rel="stylesheet" href="/assets/css/style.css">
</head>
<body class="error-page">
  <header class="topbar">
    <div class="brand">
      <span class="brand__mark" aria-hidden="true"></span>
      <span class="brand__name">Giao ban trực tuyến</span>
    </div>
  </header>
  <main class="page page--error">
    <section class="card error-page__card" data-code="{code}">
      <h1 class="error-page__title">{vi_title}</h1>
      <p class="alert" data-role="error" role="alert">{vi_text}</p>
      <div class="error-page__other" lang="en">
        <h2 class="error-page__title error-page__title--other">{en_title}</h2>
        <p class="muted">{en_text}</p>
      </div>
    </section>
  </main>
</body>
</html>
"#,
        vi_title = vi.title,
        vi_text = vi.text,
        en_title = en.title,
        en_text = en.text,
        code = refusal.code(),
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;

    use super::*;
    use crate::test_app::{Answer, TestApp};

    /// `GET path` as a browser navigating to it.
    async fn navigate(app: &TestApp, path: &str) -> Answer {
        let request = Request::get(path)
            .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
            .body(Body::empty())
            .unwrap();
        app.send_request(request).await
    }

    fn page(answer: &Answer) -> String {
        String::from_utf8(answer.bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_bad_or_revoked_invitation_link_opens_a_page_saying_so() {
        let app = TestApp::new().await;
        let mut forged = app.cualo.clone();
        forged.pop();
        forged.push(if app.cualo.ends_with('A') { 'B' } else { 'A' });
        app.store
            .revoke_point(&app.briefing_id(), "UBND huyện Nghi Lộc")
            .unwrap();

        let good = navigate(&app, &format!("/j/{}", app.cualo)).await;
        let dossier = navigate(&app, &format!("/d/{}", app.cualo)).await;
        let bad = navigate(&app, &format!("/j/{forged}")).await;
        let random = navigate(&app, "/d/khong-phai-lien-ket").await;
        let revoked = navigate(&app, &format!("/j/{}", app.nghiloc)).await;

        assert_eq!(good.status, StatusCode::OK);
        assert!(page(&good).contains("/assets/js/app.js"), "the live room");
        assert_eq!(dossier.status, StatusCode::OK);
        for answer in [&bad, &random] {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            assert_eq!(
                answer.headers[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            assert!(page(answer).contains("Liên kết mời không hợp lệ"));
        }
        assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
        assert!(page(&revoked).contains("Liên kết mời đã bị thu hồi"));
    }

    #[tokio::test]
    async fn a_used_admin_login_link_opens_a_page_and_a_script_gets_json() {
        let app = TestApp::new().await;
        let code = app.store.create_admin_login_code().unwrap();
        let login = format!("/admin/login?code={code}");

        let first = navigate(&app, &login).await;
        let again = navigate(&app, &login).await;
        let scripted = app.send("GET", &login, None, None).await;

        assert_eq!(first.status, StatusCode::SEE_OTHER);
        assert_eq!(again.status, StatusCode::UNAUTHORIZED);
        assert!(page(&again).contains("Liên kết đăng nhập không dùng được"));
        assert!(page(&again).contains(r#"data-code="invalid_login_code""#));
        assert_eq!(scripted.status, StatusCode::UNAUTHORIZED);
        assert_eq!(scripted.code(), "invalid_login_code");
    }

    #[test]
    fn every_page_is_vietnamese_first_in_the_sites_style() {
        for refusal in [
            Refusal::InvalidLink,
            Refusal::RevokedLink,
            Refusal::InvalidLoginCode,
            Refusal::Internal,
        ] {
            let page = html(refusal);
            assert!(page.contains(r#"<html lang="vi">"#));
            assert!(page.contains("/assets/css/style.css"));
            let vi = page.find(refusal.vietnamese().text).unwrap();
            let en = page.find(refusal.english().text).unwrap();
            assert!(vi < en, "{refusal:?}: Vietnamese first");
            assert!(!page.contains('{'), "{refusal:?}: no JSON, no placeholder");
        }
    }
}
