//! `giaoban`: the server and its command line.

mod access;
mod agenda_api;
mod api;
mod assets;
mod cli;
mod config;
mod demo;
mod direction;
mod documents_api;
mod error;
mod follow_up_api;
mod host_api;
mod https;
mod limits;
mod mail;
mod mail_api;
mod media_addresses;
mod media_loop;
mod media_tcp;
mod minutes_api;
mod rate;
mod registry;
mod reports_api;
mod revocation;
mod serve;
mod signal;
mod state;
mod statistics_api;
#[cfg(test)]
mod test_app;
mod tls;
mod turn;
mod udp_batch;
mod units_api;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if let Err(e) = config::apply(&args) {
        eprintln!("giaoban: {e:#}");
        return ExitCode::FAILURE;
    }
    let cli = cli::Cli::parse_from(args);
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("giaoban: {e:#}");
            ExitCode::FAILURE
        }
    }
}
