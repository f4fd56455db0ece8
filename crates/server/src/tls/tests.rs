//! Certificates made on the spot with rcgen, loaded, served over a real socket and reloaded.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::StatusCode;
use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::*;
use crate::http::transport::Transport;
use crate::test_app::TestServer;

/// A self-signed certificate for `localhost` valid until the start of `until_year`.
pub(crate) struct TestCert {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

pub(crate) fn self_signed(until_year: i32) -> TestCert {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(until_year, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        cert_der: cert.der().to_vec(),
        cert_pem: pem("CERTIFICATE", cert.der()),
        key_pem: pem("PRIVATE KEY", &key.serialize_der()),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The files of `cert` in `dir`.
fn write_files(dir: &Path, cert: &TestCert) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("fullchain.pem"),
        key: dir.join("privkey.pem"),
    };
    std::fs::write(&files.cert, &cert.cert_pem).unwrap();
    std::fs::write(&files.key, &cert.key_pem).unwrap();
    files
}

/// Moves the modification time of both files `seconds` ahead, so that a rewrite within the
/// file system's timestamp granularity still counts as a change.
fn touch_ahead(files: &TlsFiles, seconds: u64) {
    let later = SystemTime::now() + Duration::from_secs(seconds);
    for path in [&files.cert, &files.key] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(later)
            .unwrap();
    }
}

/// The application over built-in TLS with the certificate `current`, on a free port.
async fn https_server(current: Arc<CurrentCertificate>) -> (TestServer, SocketAddr) {
    let server = TestServer::with_transport(Transport {
        tls: true,
        trust_proxy: false,
    })
    .await;
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener::new(tcp, server_config(current)).unwrap();
    let router = server.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (server, addr)
}

/// `GET path` over HTTPS to `localhost` at `addr`, trusting only `roots`: the raw answer and
/// the certificate the server presented.
async fn https_get(addr: SocketAddr, path: &str, roots: &[&TestCert]) -> (String, Vec<u8>) {
    let mut store = RootCertStore::empty();
    for cert in roots {
        store
            .add(CertificateDer::from(cert.cert_der.clone()))
            .unwrap();
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let presented = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    (answer, presented)
}

#[test]
fn a_certificate_and_its_key_load_with_their_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path(), &self_signed(2099));

    let loaded = load(&files).unwrap();

    assert_eq!(
        loaded.not_after.map(expiry::date).as_deref(),
        Some("2099-01-01 00:00:00 UTC")
    );
}

#[test]
fn an_expired_certificate_loads_and_reports_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path(), &self_signed(2021));

    let loaded = load(&files).unwrap();

    assert!(
        loaded
            .not_after
            .is_some_and(|t| t < OffsetDateTime::now_utc())
    );
}

#[test]
fn a_key_of_another_certificate_is_refused_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path(), &self_signed(2099));
    std::fs::write(&files.key, self_signed(2099).key_pem).unwrap();

    let error = load(&files).unwrap_err();

    assert!(matches!(error, TlsError::KeyMismatch { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("fullchain.pem") && text.contains("privkey.pem"),
        "{text}"
    );
}

#[test]
fn garbage_missing_and_swapped_files_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let good = self_signed(2099);
    let files = write_files(dir.path(), &good);

    std::fs::write(&files.cert, "not a certificate\n").unwrap();
    let no_cert = load(&files).unwrap_err();
    std::fs::write(
        &files.cert,
        "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad_base64 = load(&files).unwrap_err();
    std::fs::write(&files.cert, &good.key_pem).unwrap();
    std::fs::write(&files.key, &good.cert_pem).unwrap();
    let swapped = load(&files).unwrap_err();
    let missing = load(&TlsFiles {
        cert: dir.path().join("nowhere.pem"),
        key: files.key.clone(),
    })
    .unwrap_err();

    assert!(
        matches!(no_cert, TlsError::NoCertificate { .. }),
        "{no_cert:?}"
    );
    assert!(
        no_cert.to_string().contains("BEGIN CERTIFICATE"),
        "{no_cert}"
    );
    assert!(
        matches!(bad_base64, TlsError::BadPem { .. }),
        "{bad_base64:?}"
    );
    assert!(
        matches!(swapped, TlsError::NoCertificate { .. }),
        "{swapped:?}"
    );
    assert!(matches!(missing, TlsError::Read { .. }), "{missing:?}");
    assert!(missing.to_string().contains("nowhere.pem"), "{missing}");
}

#[test]
fn a_key_file_without_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = self_signed(2099);
    let files = write_files(dir.path(), &good);
    std::fs::write(&files.key, &good.cert_pem).unwrap();

    let error = load(&files).unwrap_err();

    assert!(matches!(error, TlsError::NoKey { .. }), "{error:?}");
    assert!(error.to_string().contains("privkey.pem"), "{error}");
}

#[test]
fn a_certificate_without_a_key_is_a_command_line_error() {
    use clap::Parser;
    for args in [
        &["giaoban", "serve", "--tls-cert", "cert.pem"][..],
        &["giaoban", "serve", "--tls-key", "key.pem"][..],
        &["giaoban", "serve", "--redirect-http", "127.0.0.1:80"][..],
    ] {
        let error = crate::cli::Cli::try_parse_from(args).unwrap_err();

        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument,
            "{args:?}: {error}"
        );
        assert!(error.to_string().contains("--tls-"), "{error}");
    }
    assert!(
        crate::cli::Cli::try_parse_from([
            "giaoban",
            "serve",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--redirect-http",
            "0.0.0.0:80",
            "--trust-proxy",
        ])
        .is_ok()
    );
}

#[tokio::test]
async fn https_requests_are_served_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(2099);
    let files = write_files(dir.path(), &cert);
    let current = CurrentCertificate::new(load(&files).unwrap().key);
    let (_server, addr) = https_server(current).await;

    let (answer, presented) = https_get(addr, "/healthz", &[&cert]).await;

    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nstrict-transport-security: max-age=31536000\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
    assert_eq!(presented, cert.cert_der);
}

#[tokio::test]
async fn a_replaced_certificate_is_served_after_the_files_change() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (self_signed(2098), self_signed(2099));
    let files = write_files(dir.path(), &old);
    let loaded = load(&files).unwrap();
    let current = CurrentCertificate::new(loaded.key);
    let (_server, addr) = https_server(current.clone()).await;
    tokio::spawn(reload(
        files.clone(),
        current.clone(),
        loaded.stamps,
        Duration::from_millis(20),
    ));
    assert_eq!(https_get(addr, "/healthz", &[&old]).await.1, old.cert_der);

    write_files(dir.path(), &new);
    touch_ahead(&files, 10);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (answer, presented) = https_get(addr, "/healthz", &[&old, &new]).await;
        if presented == new.cert_der {
            assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failed_reload_keeps_the_certificate_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let (good, other) = (self_signed(2099), self_signed(2099));
    let files = write_files(dir.path(), &good);
    let current = CurrentCertificate::new(load(&files).unwrap().key);
    let (_server, addr) = https_server(current.clone()).await;

    std::fs::write(&files.key, &other.key_pem).unwrap();
    let mismatched = reload_now(&files, &current);
    std::fs::write(&files.cert, "garbage").unwrap();
    let garbage = reload_now(&files, &current);

    assert!(matches!(mismatched, Err(TlsError::KeyMismatch { .. })));
    assert!(matches!(garbage, Err(TlsError::NoCertificate { .. })));
    let (answer, presented) = https_get(addr, "/healthz", &[&good]).await;
    assert_eq!(presented, good.cert_der);
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {}", StatusCode::OK)),
        "{answer}"
    );
}
