//! `giaoban`: the server and its command line.

// Layers, each importing only from those below it:
//   cli                 the command line, its configuration, `serve`
//   http                routes, auth, one file per resource
//   state               what the HTTP handlers share
//   live                one task per briefing, signalling sessions, presence
//   media_io            the media port: UDP/TCP sockets, the media threads
//   mail, tls           background workers and the TLS listener
//   clock, links, record, wording  domain helpers shared by http, live, mail and cli
mod cli;
mod clock;
mod disk;
mod http;
mod links;
mod live;
mod mail;
mod media_io;
mod record;
mod recording;
mod state;
#[cfg(test)]
mod test_app;
mod tls;
mod uploads;
mod wording;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if let Err(e) = cli::config::apply(&args) {
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
