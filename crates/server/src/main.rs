//! `giaoban`: the server and its command line.

mod api;
mod assets;
mod cli;
mod direction;
mod error;
mod host_api;
mod mail;
mod mail_api;
mod media_loop;
mod registry;
mod serve;
mod signal;
mod state;
mod udp_batch;
mod units_api;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("giaoban: {e:#}");
            ExitCode::FAILURE
        }
    }
}
