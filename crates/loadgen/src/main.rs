//! `giaoban-loadgen`: headless bridge points for load tests and benchmarks.
//!
//! Every point is a str0m session with its own UDP socket on loopback, driven as a task of one
//! current-thread tokio runtime: the load generator costs one core at most, whatever the
//! number of points, and leaves the other to the server under test. See `run` for how a run
//! goes and `target` for the seam a second server's signalling plugs into.

mod cli;
mod error;
mod giaoban;
mod http;
mod janus;
mod links;
mod media;
mod point;
mod procfs;
mod report;
mod run;
mod scenario;
mod stats;
mod storm;
mod storm_report;
mod target;
mod udp;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LinkSource, Settings, TargetKind};
use crate::error::LoadgenError;
use crate::giaoban::GiaobanTarget;
use crate::janus::JanusTarget;
use crate::links::{Invitation, Link};
use crate::procfs::Process;
use crate::report::Report;
use crate::run::RunConfig;
use crate::storm::{FloodConfig, StormConfig};
use crate::target::Target;

/// Beyond its duration, a run gets this long to stop before it is abandoned.
const HARD_STOP_GRACE: Duration = Duration::from_secs(6);

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run_cli(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("giaoban-loadgen: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_cli(cli: &Cli) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    if let Some(pid) = settings.server_pid {
        let name = Process::Pid(pid)
            .name()
            .map_err(|e| anyhow!("--server-pid {pid}: no such process ({e})"))?;
        let expected = match settings.target {
            TargetKind::Giaoban => "giaoban",
            TargetKind::Janus => "janus",
        };
        if !name.contains(expected) {
            eprintln!("giaoban-loadgen: note: process {pid} is {name:?}, not {expected}");
        }
    }
    str0m::crypto::from_feature_flags().install_process_default();
    let invitations = load_invitations(&settings)?;
    let http = invitations
        .first()
        .map(|i| i.link.http)
        .ok_or_else(|| anyhow!("no invitation links"))?;
    if let Some(other) = invitations.iter().find(|i| i.link.http != http) {
        return Err(anyhow!(
            "the links point at different servers ({http} and {}); a run targets one",
            other.link.http
        ));
    }
    if settings.storm.is_some() {
        return run_storm(&settings, invitations, http);
    }
    let target = match (&settings.target, &settings.source) {
        (TargetKind::Janus, LinkSource::Janus(url)) => {
            Target::Janus(JanusTarget::new(url, settings.n)?)
        }
        _ => Target::Giaoban(GiaobanTarget::new(http)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let local = tokio::task::LocalSet::new();
    let hard_stop = settings.duration + HARD_STOP_GRACE;
    let report = local
        .block_on(&runtime, async {
            tokio::time::timeout(hard_stop, prepare_and_run(target, &settings, invitations)).await
        })
        .map_err(|_| anyhow!("the run did not stop within {hard_stop:?}"))??;
    print!("{}", report::table(&report));
    if let Some(path) = &settings.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn load_invitations(settings: &Settings) -> Result<Vec<Invitation>, LoadgenError> {
    match &settings.source {
        LinkSource::Links(urls) => urls
            .iter()
            .map(|url| {
                Ok(Invitation {
                    // Named by the server before the run.
                    point: String::new(),
                    role: giaoban_model::Role::Point,
                    link: Link::parse(url)?,
                })
            })
            .collect(),
        LinkSource::File(path) => links::read_links_file(path),
        LinkSource::Janus(url) => janus::invitations(url, settings.bridge_points()),
        LinkSource::Create {
            giaoban,
            data,
            base_url,
        } => {
            let points = settings.bridge_points();
            links::create_briefing(giaoban, data, points, base_url.as_deref())
        }
    }
}

/// Runs a join storm: the host first (it opens the briefing, and observes the storm), then
/// the bridge points in link order; the flooder and the non-reader are the last two.
fn run_storm(
    settings: &Settings,
    invitations: Vec<Invitation>,
    http: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let Some(storm) = &settings.storm else {
        return Err(anyhow!("not a join storm"));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(&runtime, async {
        let target = GiaobanTarget::new(http);
        target.check_reachable().await?;
        let mut host = None;
        let mut points = Vec::with_capacity(invitations.len());
        for mut invitation in invitations {
            // Bare links are named by the server; a refused one fails the storm before it
            // starts.
            if matches!(settings.source, LinkSource::Links(_)) {
                let identity = target.identify(&invitation).await?;
                invitation.point = identity.point;
                invitation.role = identity.role;
            }
            match invitation.role {
                giaoban_model::Role::Host if host.is_none() => host = Some(invitation),
                giaoban_model::Role::Point => points.push(invitation),
                _ => {}
            }
        }
        let host = host.ok_or_else(|| {
            LoadgenError::Setup("no host link: the join storm starts with the host".into())
        })?;
        let need = settings.bridge_points();
        if points.len() < need {
            return Err(LoadgenError::NotEnoughLinks {
                have: points.len(),
                need,
            });
        }
        points.truncate(need);
        let flood = match storm.flood {
            Some((rate, duration)) => {
                let non_reader = points.pop().expect("two links beyond N were counted above");
                let flooder = points.pop().expect("two links beyond N were counted above");
                Some(FloodConfig {
                    flooder,
                    non_reader,
                    rate,
                    duration,
                })
            }
            None => None,
        };
        points.insert(0, host);
        let config = StormConfig {
            http,
            points,
            flood,
            within: storm.within,
            join_timeout: settings.join_timeout,
            settle: storm.settle,
            server_pid: settings.server_pid,
            server_rss_limit_kb: storm.server_rss_limit_kb,
        };
        let bound = config.bound() + HARD_STOP_GRACE;
        tokio::time::timeout(bound, storm::run(config))
            .await
            .map_err(|_| LoadgenError::Setup(format!("the storm did not stop within {bound:?}")))?
    })?;
    print!("{}", storm_report::table(&report));
    if let Some(path) = &settings.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Checks the server and the links, lays the scenario out and runs it.
async fn prepare_and_run(
    target: Target,
    settings: &Settings,
    mut invitations: Vec<Invitation>,
) -> Result<Report, LoadgenError> {
    target.check_reachable().await?;
    if matches!(settings.source, LinkSource::Links(_)) {
        for invitation in &mut invitations {
            let identity = target.identify(invitation).await?;
            invitation.point = identity.point;
            invitation.role = identity.role;
        }
    }
    let plan = settings.scenario.plan(
        &invitations,
        settings.n,
        settings.pages,
        settings.floor_every,
    )?;
    // Every link of the plan is checked before anything joins: a bad one fails the run
    // with the server's reason instead of half-way through.
    for spec in std::iter::once(&plan.host).chain(&plan.points) {
        target.identify(&spec.invitation).await?;
    }
    run::run(
        target,
        RunConfig {
            scenario: settings.scenario,
            plan,
            publish: settings.publish.clone(),
            duration: settings.duration,
            ramp: settings.ramp,
            n: settings.n,
            server_pid: settings.server_pid,
            join_concurrency: settings.join_concurrency,
            join_timeout: settings.join_timeout,
            reconnect: settings.reconnect,
            max_loss_percent: settings.max_loss_percent,
            max_p99_ms: settings.max_p99_ms,
        },
    )
    .await
}
