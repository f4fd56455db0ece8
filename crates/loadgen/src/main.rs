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
        LinkSource::Janus(url) => {
            janus::invitations(url, settings.scenario.bridge_points(settings.n))
        }
        LinkSource::Create {
            giaoban,
            data,
            base_url,
        } => {
            let points = settings.scenario.bridge_points(settings.n);
            links::create_briefing(giaoban, data, points, base_url.as_deref())
        }
    }
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
            max_loss_percent: settings.max_loss_percent,
            max_p99_ms: settings.max_p99_ms,
        },
    )
    .await
}
