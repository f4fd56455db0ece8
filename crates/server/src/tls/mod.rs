//! Built-in HTTPS for `giaoban serve --tls-cert FILE --tls-key FILE`.
//!
//! The certificate and key are read from PEM files into one [`CertifiedKey`] held by
//! [`CurrentCertificate`], which rustls asks for the certificate at every handshake. A
//! [`reload`] task reads the files again on SIGHUP and when their modification time changes,
//! so a renewal (certbot, acme.sh) takes effect without a restart; a reload that fails keeps
//! the certificate in use and logs why.

mod expiry;
mod listener;
mod redirect;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use time::OffsetDateTime;
use tracing::{error, info, warn};

pub use listener::TlsListener;
pub use redirect::redirect_router;

/// Largest certificate or key file read; a chain of a few certificates is a few KiB.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The two files of `--tls-cert` and `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// The private key of the first certificate.
    pub key: PathBuf,
}

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    // The I/O error is part of the message rather than a `source`, so that it is said once
    // whether the error is shown alone (a failed reload) or as a chain (at start).
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is {size} bytes; a certificate or key file is at most {MAX_PEM_BYTES}")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path} is not valid PEM: {reason}")]
    BadPem { path: PathBuf, reason: String },
    #[error("{path} holds no certificate (expected a PEM block \"BEGIN CERTIFICATE\")")]
    NoCertificate { path: PathBuf },
    #[error(
        "{path} holds no private key (expected a PEM block \"BEGIN PRIVATE KEY\", \
         \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\")"
    )]
    NoKey { path: PathBuf },
    #[error("the private key in {path} cannot be used: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("the certificate in {path} cannot be used: {reason}")]
    BadCertificate { path: PathBuf, reason: String },
    #[error("the private key {key} does not belong to the certificate {cert}")]
    KeyMismatch { cert: PathBuf, key: PathBuf },
}

/// A certificate and key read from their files.
#[derive(Debug)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    /// When the server's own certificate expires; `None` if its date could not be read.
    pub not_after: Option<OffsetDateTime>,
    /// The modification times of the files, taken before they were read.
    pub stamps: Stamps,
}

impl Loaded {
    /// Logs when the certificate expires; a warning if it has expired at `now`. An expired
    /// certificate is still served: browsers refuse it, but a renewal written over the files
    /// is picked up without a restart, which refusing to start would prevent.
    pub fn log_expiry(&self, files: &TlsFiles, now: OffsetDateTime) {
        let cert = files.cert.display();
        match self.not_after {
            Some(t) if t <= now => warn!(
                cert = %cert,
                expired = %expiry::date(t),
                "the TLS certificate has expired; browsers will refuse it until it is renewed"
            ),
            Some(t) => info!(cert = %cert, expires = %expiry::date(t), "TLS certificate loaded"),
            None => info!(cert = %cert, "TLS certificate loaded (expiry date not readable)"),
        }
    }
}

/// Reads and checks the certificate chain and private key of `files`.
pub fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let stamps = stamps(files);
    let cert_pem = read_small(&files.cert)?;
    let key_pem = read_small(&files.key)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: files.cert.clone(),
            reason: e.to_string(),
        })?;
    let Some(first) = chain.first() else {
        return Err(TlsError::NoCertificate {
            path: files.cert.clone(),
        });
    };
    let not_after = expiry::not_after(first);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: files.key.clone(),
        },
        e => TlsError::BadPem {
            path: files.key.clone(),
            reason: e.to_string(),
        },
    })?;
    let signing_key =
        provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::BadKey {
                path: files.key.clone(),
                reason: e.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // A key type whose public half rustls cannot derive cannot be compared; the
        // handshake then fails visibly rather than the start.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(_)) => {
            return Err(TlsError::KeyMismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
            });
        }
        Err(e) => {
            return Err(TlsError::BadCertificate {
                path: files.cert.clone(),
                reason: e.to_string(),
            });
        }
    }
    Ok(Loaded {
        key: Arc::new(certified),
        not_after,
        stamps,
    })
}

/// The certificate handed to every handshake; replaced by a reload.
pub struct CurrentCertificate(RwLock<Arc<CertifiedKey>>);

impl CurrentCertificate {
    pub fn new(key: Arc<CertifiedKey>) -> Arc<CurrentCertificate> {
        Arc::new(CurrentCertificate(RwLock::new(key)))
    }

    /// The certificate in use.
    pub fn get(&self) -> Arc<CertifiedKey> {
        // The lock only guards an `Arc` swap, which cannot leave it inconsistent.
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = key;
    }
}

impl fmt::Debug for CurrentCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurrentCertificate")
    }
}

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// The rustls settings of the HTTPS listener: TLS 1.2 and 1.3 with the aws-lc-rs provider,
/// the certificate from `current`, HTTP/1.1 only (the server speaks no HTTP/2).
pub fn server_config(current: Arc<CurrentCertificate>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the aws-lc-rs provider supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(current);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Reads the files again on SIGHUP and whenever the modification time of either changes from
/// `seen` (checked every `poll`), and puts the new certificate in `current`. Runs until the
/// runtime stops.
pub async fn reload(
    files: TlsFiles,
    current: Arc<CurrentCertificate>,
    mut seen: Stamps,
    poll: Duration,
) {
    let mut hangup = hangup_signal();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let why = tokio::select! {
            _ = tick.tick() => {
                let now = stamps(&files);
                if now == seen {
                    continue;
                }
                // Remembered even if the reload fails: a half-written pair is tried again when
                // the other file is written, not at every tick.
                seen = now;
                "the files changed"
            }
            Some(()) = recv(&mut hangup) => "SIGHUP",
        };
        if let Err(e) = reload_now(&files, &current) {
            error!(
                reason = why,
                "TLS certificate not reloaded, the old one stays: {e}"
            );
        } else {
            info!(reason = why, "TLS certificate reloaded");
        }
    }
}

/// Reads the files and, if they hold a usable certificate and key, puts them in `current`;
/// on an error `current` keeps what it had.
pub fn reload_now(files: &TlsFiles, current: &CurrentCertificate) -> Result<(), TlsError> {
    let loaded = load(files)?;
    current.set(loaded.key.clone());
    loaded.log_expiry(files, OffsetDateTime::now_utc());
    Ok(())
}

/// The crypto provider of every TLS connection of the server (aws-lc-rs, which the media
/// and mail stacks use too).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read_small(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read_error = |error| TlsError::Read {
        path: path.to_path_buf(),
        error,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    std::fs::read(path).map_err(read_error)
}

/// Modification times of the certificate and key files.
pub type Stamps = [Option<SystemTime>; 2];

/// Modification times of the two files; `None` for a file that cannot be read now (being
/// replaced). Follows symbolic links, so a certbot `live/` link moved to a new file counts.
fn stamps(files: &TlsFiles) -> Stamps {
    [&files.cert, &files.key].map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(
                "cannot listen for SIGHUP, the certificate reloads only when its files change: {e}"
            );
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> Hangup {}

/// The next SIGHUP; never, where there is none.
#[cfg(unix)]
async fn recv(hangup: &mut Hangup) -> Option<()> {
    match hangup {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv(_: &mut Hangup) -> Option<()> {
    std::future::pending().await
}

#[cfg(test)]
pub(crate) mod tests;
