//! `giaoban serve`: wires the store, the media loop and the HTTP server together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use clap::Args;
use clap::builder::TypedValueParser;
use giaoban_store::{DocumentQuota, Store};
use tracing::info;
use tracing_subscriber::EnvFilter;

use crate::clock::unix_ms;
use crate::http::{self, transport::Transport};
use crate::links::{BASE_URL_SETTING, admin_login_url, normalise_base_url};
use crate::live::direction::Direction;
use crate::live::limits::SignalLimits;
use crate::live::registry::Registry;
use crate::live::{Live, revocation, trim, turn};
use crate::mail::{MailConfig, Mailer};
use crate::media_io::{addresses as media_addresses, media_loop};
use crate::recording::{RecordingConfig, Recordings};
use crate::state::AppState;
use crate::tls::{self, CurrentCertificate, TlsFiles, TlsListener};
use crate::uploads::{UploadConfig, Uploads};

/// Setting that records that the first-start admin URL was printed.
const ADMIN_URL_PRINTED: &str = "admin_url_printed";

/// Bytes in a MiB, the unit of the document quotas' options.
const MIB: u64 = 1024 * 1024;

/// How often the certificate files are checked for a change.
const TLS_RELOAD_POLL: Duration = Duration::from_secs(5);

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,str0m=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // The certificate is checked first: a wrong path should not wait for the store.
    let tls_files = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let certificate = match &tls_files {
        Some(files) => {
            let loaded = tls::load(files).context("cannot serve HTTPS")?;
            loaded.log_expiry(files, time::OffsetDateTime::now_utc());
            Some((CurrentCertificate::new(loaded.key), loaded.stamps))
        }
        None => None,
    };
    let transport = Transport {
        tls: certificate.is_some(),
        trust_proxy: args.trust_proxy,
    };
    let scheme = if transport.tls { "https" } else { "http" };
    let metrics_token = metrics_token(args.metrics_token.as_deref())?;

    let store = Arc::new(
        Store::open(&args.data)
            .with_context(|| format!("cannot open the data directory {}", args.data.display()))?,
    );
    let base_url = match &args.base_url {
        Some(b) => normalise_base_url(b)?,
        None => format!("{scheme}://{}", args.listen),
    };
    store.set_setting(BASE_URL_SETTING, &base_url)?;

    let media_addresses =
        media_addresses::media_addresses(args.listen.ip(), &args.public_ip, args.media_port)?;
    let advertised: Vec<String> = media_addresses
        .iter()
        .map(|a| a.advertised.ip().to_string())
        .collect();
    let media_threads = args.media_threads.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let media = media_loop::start(args.media_port, media_addresses, media_threads)
        .await
        .with_context(|| format!("cannot open the media port {}", args.media_port))?;

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let redirect_listener = match args.redirect_http {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (--redirect-http)"))?,
        ),
        None => None,
    };
    // Sessions left open by a crash end at this start.
    let closed = store.close_open_sessions(unix_ms())?;
    if closed > 0 {
        info!(
            closed,
            "closed attendance sessions left open by the previous run"
        );
    }
    // Recordings a crash left running are recovered before anyone can start one.
    let (stopped_tx, stopped_rx) = tokio::sync::mpsc::unbounded_channel();
    let recordings = if args.no_recording {
        info!("--no-recording: recording is off");
        None
    } else {
        let config = RecordingConfig {
            dir: args
                .recordings
                .clone()
                .unwrap_or_else(|| args.data.join("recordings")),
            min_free_mb: args.recording_min_free_mb,
            retention_days: args.recording_retention_days,
            ffmpeg: args.ffmpeg.clone(),
        };
        Some(Recordings::start(
            config,
            store.clone(),
            &media,
            stopped_tx,
        )?)
    };
    let registry = Arc::new(Registry::default());
    let direction = Direction::new(store.clone(), media.clone(), registry.clone());
    direction.spawn_tasks();
    crate::recording::tell_stops(stopped_rx, direction.clone(), registry.clone());
    revocation::spawn(store.clone(), registry.clone(), revocation::REVOCATION_POLL);
    trim::spawn(registry.clone(), trim::TRIM_POLL);
    let base_url_shared: Arc<str> = base_url.clone().into();
    let mailer = match (&args.smtp_url, &args.mail_from) {
        (Some(smtp_url), Some(from)) => {
            let config = MailConfig {
                smtp_url: smtp_url.clone(),
                from: from.clone(),
                retry_delays: args.mail_retry_delays.0.clone(),
                reminder_lead: Duration::from_secs(u64::from(args.reminder_minutes) * 60),
                reminder_interval: Duration::try_from_secs_f64(args.reminder_check_seconds)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .context("--reminder-check-seconds must be a positive number")?,
            };
            info!(from = %from, reminder_minutes = args.reminder_minutes, "official mail enabled");
            Some(Mailer::start(
                config,
                store.clone(),
                base_url_shared.clone(),
            )?)
        }
        _ => {
            info!("no --smtp-url: official mail is off");
            None
        }
    };
    let turn = turn::Turn::new(
        &args.turn_url,
        args.turn_secret.as_deref(),
        Duration::from_secs(args.turn_ttl_minutes.saturating_mul(60)),
    )
    .map_err(anyhow::Error::msg)?
    .map(Arc::new);
    if let Some(turn) = &turn {
        info!(?turn, "TURN servers handed to the points");
    }
    let state = AppState {
        store: store.clone(),
        live: Live {
            store: store.clone(),
            media,
            registry,
            direction,
            turn,
            limits: SignalLimits {
                max_connections: args.max_connections,
                ..SignalLimits::default()
            },
        },
        base_url: base_url_shared,
        mailer,
        transport,
        metrics_token,
        login_throttle: Default::default(),
        recordings,
        uploads: Uploads::new(UploadConfig {
            quota: DocumentQuota {
                point_documents: args.point_max_documents,
                point_bytes: args.point_max_document_mb.saturating_mul(MIB),
                briefing_documents: args.briefing_max_documents,
                briefing_bytes: args.briefing_max_document_mb.saturating_mul(MIB),
            },
            max_uploads: args.max_uploads,
            max_uploads_per_point: args.max_uploads_per_point,
            max_downloads: args.max_downloads,
            max_downloads_per_point: args.max_downloads_per_point,
            download_wait: crate::uploads::DOWNLOAD_WAIT,
            min_free_mb: args.documents_min_free_mb,
            data_dir: args.data.clone(),
        }),
    };

    if store.setting(ADMIN_URL_PRINTED)?.is_none() {
        let code = store.create_admin_login_code()?;
        store.set_setting(ADMIN_URL_PRINTED, "1")?;
        println!(
            "First start. One-time admin login: {}",
            admin_login_url(&base_url, &code)
        );
        println!(
            "(Another one later: giaoban admin-url --data {0}. Create an admin account with a \
             password: giaoban admin add --data {0} NAME)",
            args.data.display()
        );
    }
    if args.demo {
        let demo = super::demo::ensure(&store, &base_url)?;
        super::demo::print(&demo);
        println!();
    }
    println!(
        "giaoban listening on {scheme}://{} (media udp {} on {})",
        args.listen,
        args.media_port,
        advertised.join(", ")
    );
    if let Some(addr) = args.redirect_http {
        println!("Redirecting http://{addr} to https");
    }
    info!(listen = %args.listen, media_port = args.media_port, data = %args.data.display(), tls = transport.tls, "serving");

    let app = http::router(state);
    let main = async {
        match (certificate, tls_files) {
            (Some((current, stamps)), Some(files)) => {
                tokio::spawn(tls::reload(files, current.clone(), stamps, TLS_RELOAD_POLL));
                let listener = TlsListener::new(listener, tls::server_config(current.clone()))?
                    // Only to give the handlers the peer's address, as below.
                    .tap_io(|_| ());
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
            }
            _ => {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
            }
        }
    };
    let redirect = async {
        match redirect_listener {
            Some(l) => axum::serve(l, tls::redirect_router(args.listen.port())).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        served = main => served.context("HTTP server failed")?,
        served = redirect => served.context("HTTP redirect server failed")?,
        _ = shutdown_signal() => info!("shutting down"),
    }
    Ok(())
}

/// Shortest `--metrics-token`: a guessable token would open `/metrics` to the Internet.
const MIN_METRICS_TOKEN_CHARS: usize = 16;

/// The `--metrics-token` given, trimmed; an error when it is too short to be a secret.
fn metrics_token(given: Option<&str>) -> anyhow::Result<Option<Arc<str>>> {
    match given.map(str::trim) {
        Some(t) if t.chars().count() < MIN_METRICS_TOKEN_CHARS => anyhow::bail!(
            "--metrics-token must be at least {MIN_METRICS_TOKEN_CHARS} characters long"
        ),
        t => Ok(t.map(Into::into)),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Options of `giaoban serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address of the HTTP server (web client, API, WebSocket).
    #[arg(long, default_value = "127.0.0.1:8080", env = "GIAOBAN_LISTEN")]
    pub listen: SocketAddr,
    /// The one UDP port that carries all media.
    #[arg(long, default_value_t = 50000, env = "GIAOBAN_MEDIA_PORT")]
    pub media_port: u16,
    /// Media threads, each carrying whole briefings (1 to 64) [default: one per CPU core].
    #[arg(long, env = "GIAOBAN_MEDIA_THREADS", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=crate::media_io::media_loop::MAX_MEDIA_THREADS as i64))]
    pub media_threads: Option<u16>,
    /// Addresses browsers reach the media port at, each advertised as an ICE candidate:
    /// `IP`, or `PUBLIC@LOCAL` behind a 1:1 NAT (PUBLIC advertised, the datagrams arrive on
    /// LOCAL); repeat the flag or separate with commas. [default: the --listen address, or
    /// every address of the machine when --listen is a wildcard such as 0.0.0.0]
    #[arg(
        long,
        env = "GIAOBAN_PUBLIC_IP",
        value_delimiter = ',',
        value_name = "IP|PUBLIC@LOCAL"
    )]
    pub public_ip: Vec<crate::media_io::addresses::PublicIp>,
    /// TURN server for points whose network blocks UDP and TCP to the media port:
    /// turn:HOST:3478?transport=udp, turn:HOST:3478?transport=tcp or turns:HOST:5349; repeat
    /// the flag or separate with commas. Needs --turn-secret.
    #[arg(
        long,
        env = "GIAOBAN_TURN_URL",
        value_delimiter = ',',
        requires = "turn_secret",
        value_name = "URL"
    )]
    pub turn_url: Vec<crate::live::turn::TurnUrl>,
    /// The secret shared with the TURN server (coturn: use-auth-secret, static-auth-secret):
    /// each point gets fresh time-limited credentials made with it.
    #[arg(
        long,
        env = "GIAOBAN_TURN_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub turn_secret: Option<String>,
    /// Minutes the TURN credentials of a join stay valid.
    #[arg(long, env = "GIAOBAN_TURN_TTL_MINUTES", default_value_t = crate::live::turn::DEFAULT_TTL_MINUTES)]
    pub turn_ttl_minutes: u64,
    /// Data directory: database, signing secret.
    #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
    pub data: PathBuf,
    /// Directory of the recordings [default: DATA/recordings].
    #[arg(long, env = "GIAOBAN_RECORDINGS", value_name = "DIR")]
    pub recordings: Option<PathBuf>,
    /// Turn recording off: the host cannot start one.
    #[arg(long, env = "GIAOBAN_NO_RECORDING")]
    pub no_recording: bool,
    /// Free disk space, in MB, below which recording does not start, and stops.
    #[arg(long, env = "GIAOBAN_RECORDING_MIN_FREE_MB", default_value_t = crate::recording::DEFAULT_MIN_FREE_MB, value_name = "MB")]
    pub recording_min_free_mb: u64,
    /// Days a recording is kept after it ends; 0 keeps recordings until deleted by hand.
    #[arg(long, env = "GIAOBAN_RECORDING_RETENTION_DAYS", default_value_t = crate::recording::DEFAULT_RETENTION_DAYS, value_name = "DAYS")]
    pub recording_retention_days: u32,
    /// The ffmpeg program that makes the archive copy of a recording (Debian package ffmpeg).
    #[arg(
        long,
        env = "GIAOBAN_FFMPEG",
        default_value = "ffmpeg",
        value_name = "PATH"
    )]
    pub ffmpeg: PathBuf,
    /// Base URL of invitation links [default: http://<listen>, or https://<listen> with
    /// --tls-cert].
    #[arg(long, env = "GIAOBAN_BASE_URL")]
    pub base_url: Option<String>,
    /// Certificate chain (PEM, the server's certificate first) for HTTPS on --listen. Read
    /// again on SIGHUP and when the file changes.
    #[arg(
        long,
        env = "GIAOBAN_TLS_CERT",
        requires = "tls_key",
        value_name = "FILE"
    )]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of the --tls-cert certificate.
    #[arg(
        long,
        env = "GIAOBAN_TLS_KEY",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_key: Option<PathBuf>,
    /// Also listen for plain HTTP at ADDR (e.g. 0.0.0.0:80) and redirect every request to
    /// HTTPS (308, same host, path and query, the port of --listen).
    #[arg(
        long,
        env = "GIAOBAN_REDIRECT_HTTP",
        requires = "tls_cert",
        value_name = "ADDR"
    )]
    pub redirect_http: Option<SocketAddr>,
    /// The server is behind a reverse proxy that sets X-Forwarded-Proto: believe it (for the
    /// admin cookie's Secure attribute). Without this the X-Forwarded-* headers are ignored.
    #[arg(long, env = "GIAOBAN_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Lets a scraper on another machine read /metrics with `Authorization: Bearer TOKEN`.
    /// Without it /metrics answers only requests from the machine itself.
    #[arg(
        long,
        env = "GIAOBAN_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Documents a point may upload to one briefing; deleting one gives its place back.
    #[arg(long, env = "GIAOBAN_POINT_MAX_DOCUMENTS", value_name = "N",
          default_value_t = DocumentQuota::DEFAULT.point_documents)]
    pub point_max_documents: u64,
    /// MiB of documents a point may upload to one briefing.
    #[arg(long, env = "GIAOBAN_POINT_MAX_DOCUMENT_MB", value_name = "MIB",
          default_value_t = DocumentQuota::DEFAULT.point_bytes / MIB)]
    pub point_max_document_mb: u64,
    /// Documents a briefing holds, whoever uploaded them.
    #[arg(long, env = "GIAOBAN_BRIEFING_MAX_DOCUMENTS", value_name = "N",
          default_value_t = DocumentQuota::DEFAULT.briefing_documents)]
    pub briefing_max_documents: u64,
    /// MiB of documents a briefing holds.
    #[arg(long, env = "GIAOBAN_BRIEFING_MAX_DOCUMENT_MB", value_name = "MIB",
          default_value_t = DocumentQuota::DEFAULT.briefing_bytes / MIB)]
    pub briefing_max_document_mb: u64,
    /// Documents the server receives at once; more are refused at once with uploads_busy.
    #[arg(
        long,
        default_value_t = crate::uploads::DEFAULT_MAX_UPLOADS,
        env = "GIAOBAN_MAX_UPLOADS",
        value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize),
        value_name = "N"
    )]
    pub max_uploads: usize,
    /// Documents one point sends at once; more are refused at once with upload_in_progress.
    #[arg(
        long,
        default_value_t = crate::uploads::DEFAULT_MAX_UPLOADS_PER_POINT,
        env = "GIAOBAN_MAX_UPLOADS_PER_POINT",
        value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize),
        value_name = "N"
    )]
    pub max_uploads_per_point: usize,
    /// Documents the server sends at once; more wait their turn (up to 30 s, then downloads_busy).
    #[arg(
        long,
        default_value_t = crate::uploads::DEFAULT_MAX_DOWNLOADS,
        env = "GIAOBAN_MAX_DOWNLOADS",
        value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize),
        value_name = "N"
    )]
    pub max_downloads: usize,
    /// Documents one point downloads at once; more are refused at once with download_in_progress.
    #[arg(
        long,
        default_value_t = crate::uploads::DEFAULT_MAX_DOWNLOADS_PER_POINT,
        env = "GIAOBAN_MAX_DOWNLOADS_PER_POINT",
        value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize),
        value_name = "N"
    )]
    pub max_downloads_per_point: usize,
    /// Free disk space of the data directory, in MB, below which documents are refused.
    #[arg(long, env = "GIAOBAN_DOCUMENTS_MIN_FREE_MB", value_name = "MB",
          default_value_t = crate::uploads::DEFAULT_MIN_FREE_MB)]
    pub documents_min_free_mb: u64,
    /// Most signalling WebSockets open at once; more are refused with too_many_connections.
    #[arg(
        long,
        default_value_t = crate::live::limits::MAX_CONNECTIONS,
        env = "GIAOBAN_MAX_CONNECTIONS",
        value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize),
        value_name = "N"
    )]
    pub max_connections: usize,
    /// SMTP server for official mail: smtp://HOST:PORT (plain), smtp://HOST:PORT?tls=required
    /// (STARTTLS) or smtps://HOST:PORT (TLS); a login goes before the host, as
    /// smtp://USER:PASSWORD@HOST:PORT. Without it the server sends no mail.
    #[arg(
        long,
        env = "GIAOBAN_SMTP_URL",
        requires = "mail_from",
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// Sender of official mail: an address, or "Name <address>".
    #[arg(long, env = "GIAOBAN_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Minutes before the scheduled start at which invited units get a reminder; 0 sends none.
    #[arg(long, default_value_t = 30, env = "GIAOBAN_REMINDER_MINUTES")]
    pub reminder_minutes: u32,
    /// Seconds to wait between attempts to send a message, comma-separated; one attempt more
    /// than waits.
    #[arg(
        long,
        default_value = "1,5",
        env = "GIAOBAN_MAIL_RETRY_DELAYS",
        value_name = "SECONDS,..."
    )]
    pub mail_retry_delays: crate::mail::RetryDelays,
    /// Seconds between two looks for briefings due a reminder.
    #[arg(
        long,
        default_value_t = 60.0,
        env = "GIAOBAN_REMINDER_CHECK_SECONDS",
        hide = true
    )]
    pub reminder_check_seconds: f64,
    /// Configuration file (TOML) with these options, named as the flags with `_` for `-`
    /// (e.g. `media_port = 50000`); flags and GIAOBAN_* variables take precedence over it.
    #[arg(long, env = "GIAOBAN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed the demo briefings (see `giaoban demo`) into the data dir if they are not there
    /// yet, and print their links before serving.
    #[arg(long, env = "GIAOBAN_DEMO")]
    pub demo: bool,
}

#[cfg(test)]
mod tests {
    use super::metrics_token;

    #[test]
    fn a_metrics_token_is_long_enough_to_be_a_secret() {
        let token = metrics_token(Some(" 0123456789abcdef\n")).unwrap();

        assert_eq!(token.as_deref(), Some("0123456789abcdef"));
        assert!(metrics_token(None).unwrap().is_none());
        for short in ["", "   ", "0123456789abcde", " secret "] {
            assert!(metrics_token(Some(short)).is_err(), "{short:?}");
        }
    }
}
