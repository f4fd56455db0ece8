//! `giaoban serve`: wires the store, the media loop and the HTTP server together.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::info;
use tracing_subscriber::EnvFilter;

use crate::cli::{self, BASE_URL_SETTING, ServeArgs};
use crate::direction::{self, Direction};
use crate::https::Transport;
use crate::limits::SignalLimits;
use crate::mail::{MailConfig, Mailer};
use crate::registry::Registry;
use crate::state::AppState;
use crate::tls::{self, CurrentCertificate, TlsFiles, TlsListener};
use crate::{api, media_addresses, media_loop, revocation, turn};

/// Setting that records that the first-start admin URL was printed.
const ADMIN_URL_PRINTED: &str = "admin_url_printed";

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

    let store = Arc::new(cli::open_store(&args.data)?);
    let base_url = match &args.base_url {
        Some(b) => cli::normalise_base_url(b)?,
        None => format!("{scheme}://{}", args.listen),
    };
    store.set_setting(BASE_URL_SETTING, &base_url)?;

    let media_addresses =
        media_addresses::media_addresses(args.listen.ip(), &args.public_ip, args.media_port)?;
    let advertised: Vec<String> = media_addresses
        .iter()
        .map(|a| a.advertised.ip().to_string())
        .collect();
    let media = media_loop::start(args.media_port, media_addresses)
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
    let closed = store.close_open_sessions(direction::unix_ms())?;
    if closed > 0 {
        info!(
            closed,
            "closed attendance sessions left open by the previous run"
        );
    }
    let registry = Arc::new(Registry::default());
    let direction = Direction::new(store.clone(), media.clone(), registry.clone());
    direction.spawn_tasks();
    revocation::spawn(store.clone(), registry.clone(), revocation::REVOCATION_POLL);
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
        media,
        registry,
        direction,
        base_url: base_url_shared,
        mailer,
        turn,
        transport,
        limits: SignalLimits {
            max_connections: args.max_connections,
            ..SignalLimits::default()
        },
    };

    if store.setting(ADMIN_URL_PRINTED)?.is_none() {
        let code = store.create_admin_login_code()?;
        store.set_setting(ADMIN_URL_PRINTED, "1")?;
        println!(
            "First start. One-time admin login: {}",
            cli::admin_login_url(&base_url, &code)
        );
        println!(
            "(Another one later: giaoban admin-url --data {})",
            args.data.display()
        );
    }
    if args.demo {
        let demo = crate::demo::ensure(&store, &base_url)?;
        crate::demo::print(&demo);
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

    let app = api::router(state);
    let main = async {
        match (certificate, tls_files) {
            (Some((current, stamps)), Some(files)) => {
                tokio::spawn(tls::reload(files, current.clone(), stamps, TLS_RELOAD_POLL));
                let listener = TlsListener::new(listener, tls::server_config(current.clone()))?;
                axum::serve(listener, app).await
            }
            _ => axum::serve(listener, app).await,
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
