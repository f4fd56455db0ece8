//! The command line: `serve`, `briefing create|revoke`, `units import|list`, `admin
//! add|list|disable|enable|passwd|setup-link`, `admin-url`, `demo`, `backup`, `restore`.

mod admin;
pub mod config;
pub mod demo;
mod serve;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use giaoban_model::BriefingId;
use giaoban_store::{NewBriefing, RestoreReport, SecretOutcome, Store, Unit};

use self::serve::ServeArgs;
use crate::links::{BASE_URL_SETTING, admin_login_url, create_briefing, normalise_base_url};

/// giaoban — online briefings ("giao ban trực tuyến") linking a host point with many bridge
/// points, self-hosted in one binary.
#[derive(Debug, Parser)]
#[command(name = "giaoban", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: web client, API, signalling and the media port.
    Serve(Box<ServeArgs>),
    /// Create and manage briefings (works while the server runs on the same data dir).
    #[command(subcommand)]
    Briefing(BriefingCommand),
    /// Keep the province's units ("đơn vị"): import them from CSV, list them.
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Admin accounts: add one (the first one too), list, disable, enable, set a password.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Print a fresh one-time admin login URL: it logs in without an account, enough to
    /// create the first one.
    AdminUrl {
        /// Data directory of the server.
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
    },
    /// Seed an example: a province's ICT briefings with units, agenda, reports with
    /// indicators, proposals, tasks and minutes; prints the links. Seeds once per data dir.
    Demo {
        /// Data directory of the server.
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// Base URL of the links [default: the running server's].
        #[arg(long)]
        base_url: Option<String>,
        /// Print exactly one JSON object instead of a list.
        #[arg(long)]
        json: bool,
    },
    /// Copy the database and the signing secret to one file, consistently, while the server
    /// runs. Restore it with `giaoban restore`.
    Backup {
        /// Data directory of the server.
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// The backup file to write; it is readable by its owner only, since it holds the
        /// signing secret.
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Put a backup in place of the data directory's database (the server must be stopped).
    /// The replaced database is kept beside it as giaoban.sqlite3.before-restore-<time>.
    Restore {
        /// Data directory of the server; created if missing.
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// A file written by `giaoban backup`.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum BriefingCommand {
    /// Create a briefing with its host and bridge points, and print their join links.
    Create {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// Title, e.g. "Giao ban CNTT 6 tháng đầu năm".
        #[arg(long)]
        title: String,
        /// Name of the host point, e.g. "Sở Thông tin và Truyền thông".
        #[arg(
            long,
            required_unless_present = "host_unit",
            conflicts_with = "host_unit"
        )]
        host: Option<String>,
        /// Code of the unit that hosts, e.g. SO-TTTT; the host point takes the unit's name.
        #[arg(long, value_name = "CODE")]
        host_unit: Option<String>,
        /// Name of a bridge point; repeat for each, e.g. --point "UBND thị xã Cửa Lò".
        #[arg(long = "point")]
        points: Vec<String>,
        /// Code of a unit invited as a bridge point under its name; repeat for each,
        /// e.g. --unit UBND-CUALO. Listed after the --point names.
        #[arg(long = "unit", value_name = "CODE")]
        units: Vec<String>,
        /// Scheduled start: RFC 3339, or "YYYY-MM-DD HH:MM" in Vietnam time [default: now].
        #[arg(long)]
        start: Option<String>,
        /// Series of periodic briefings this one belongs to, e.g. cntt-6-thang: open tasks of
        /// the earlier briefings of the series appear on this one.
        #[arg(long)]
        series: Option<String>,
        /// When unit reports are due, in the same forms as --start [default: the start].
        #[arg(long, value_name = "TIME")]
        report_deadline: Option<String>,
        /// Base URL of the links [default: the running server's].
        #[arg(long)]
        base_url: Option<String>,
        /// Print exactly one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a point's link: it is refused from now on.
    Revoke {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// Briefing id.
        #[arg(long)]
        briefing: String,
        /// Point name.
        #[arg(long)]
        point: String,
    },
}

#[derive(Debug, Subcommand)]
enum UnitsCommand {
    /// Import units from a CSV file with the header code,name,parent_code,email (UTF-8;
    /// several e-mails separated by ";"). New codes are added, known ones updated; on any
    /// error nothing is changed.
    Import {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// The CSV file, or - for standard input.
        file: PathBuf,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the units as a tree, each unit above its children.
    List {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// Print a JSON array instead of the tree.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Briefing(BriefingCommand::Create {
            data,
            title,
            host,
            host_unit,
            points,
            units,
            start,
            series,
            report_deadline,
            base_url,
            json,
        }) => {
            let store = open_store(&data)?;
            let base = match base_url {
                Some(b) => normalise_base_url(&b)?,
                None => stored_base_url(&store)?,
            };
            let new = NewBriefing {
                title,
                scheduled_start: start,
                host: host.unwrap_or_default(),
                host_unit,
                points,
                units,
                series,
                report_deadline,
            };
            let created = create_briefing(&store, &new, &base)?;
            if json {
                println!("{}", serde_json::to_string(&created)?);
            } else {
                println!("Briefing {} created. Join links:", created.id);
                for link in &created.links {
                    let unit = link
                        .unit_code
                        .as_ref()
                        .map(|code| format!(" ({code})"))
                        .unwrap_or_default();
                    println!("  [{}] {}{unit}\n      {}", link.role, link.point, link.url);
                }
            }
            Ok(())
        }
        Command::Briefing(BriefingCommand::Revoke {
            data,
            briefing,
            point,
        }) => {
            let store = open_store(&data)?;
            store.revoke_point(&BriefingId(briefing.clone()), &point)?;
            println!("Revoked the link of \"{point}\" in briefing {briefing}.");
            Ok(())
        }
        Command::Units(UnitsCommand::Import { data, file, json }) => {
            let csv = read_csv(&file)?;
            let store = open_store(&data)?;
            let source = source_name(&file);
            let report = store
                .import_units_csv(&csv)
                .with_context(|| format!("nothing imported from {source}"))?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "Imported {source}: {} inserted, {} updated, {} unchanged.",
                    report.inserted, report.updated, report.unchanged
                );
            }
            Ok(())
        }
        Command::Units(UnitsCommand::List { data, json }) => {
            let store = open_store(&data)?;
            let units = store.units()?;
            if json {
                println!("{}", serde_json::to_string(&units)?);
            } else if units.is_empty() {
                println!(
                    "No units yet. Import them: giaoban units import --data {} FILE.csv",
                    data.display()
                );
            } else {
                print!("{}", unit_tree(&units));
            }
            Ok(())
        }
        Command::Admin(command) => admin::run(command, &mut std::io::stdin().lock()),
        Command::AdminUrl { data } => {
            let store = open_store(&data)?;
            let base = stored_base_url(&store)?;
            let code = store.create_admin_login_code()?;
            println!("{}", admin_login_url(&base, &code));
            Ok(())
        }
        Command::Demo {
            data,
            base_url,
            json,
        } => {
            let store = open_store(&data)?;
            let base = match base_url {
                Some(b) => normalise_base_url(&b)?,
                None => stored_base_url(&store)?,
            };
            let demo = demo::ensure(&store, &base)?;
            if json {
                println!("{}", serde_json::to_string(&demo)?);
            } else {
                demo::print(&demo);
                println!(
                    "\nStart the server on this data dir (giaoban serve --data {}) and open a \
                     dossier link.",
                    data.display()
                );
            }
            Ok(())
        }
        Command::Backup { data, file, force } => {
            let report = giaoban_store::backup(&data, &file, force)
                .with_context(|| format!("no backup of {} written", data.display()))?;
            println!(
                "Wrote {}: {} ({} bytes), schema version {}, with the signing secret.",
                report.path.display(),
                human_size(report.bytes),
                report.bytes,
                report.schema_version
            );
            Ok(())
        }
        Command::Restore { data, file } => {
            let report = giaoban_store::restore(&data, &file)
                .with_context(|| format!("{} not restored", file.display()))?;
            print!("{}", restore_summary(&data, &file, &report));
            Ok(())
        }
    }
}

pub fn open_store(data: &Path) -> anyhow::Result<Store> {
    Store::open(data).with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// What `giaoban restore` prints.
fn restore_summary(data: &Path, file: &Path, report: &RestoreReport) -> String {
    let mut out = format!(
        "Restored {} into {} (schema version {}).\n",
        file.display(),
        data.display(),
        report.schema_version
    );
    if let Some(previous) = &report.previous {
        out.push_str(&format!(
            "The database it replaced is kept as {}.\n",
            previous.display()
        ));
    }
    match &report.secret {
        SecretOutcome::Unchanged => {}
        SecretOutcome::Restored {
            previous: Some(previous),
        } => out.push_str(&format!(
            "The signing secret of the backup is in place; the replaced one is kept as {}.\n",
            previous.display()
        )),
        SecretOutcome::Restored { previous: None } => {
            out.push_str("The signing secret of the backup is in place.\n");
        }
        _ => out.push_str(
            "The file carries no signing secret: the data directory's own is kept, and links \
             issued under another secret will be refused.\n",
        ),
    }
    out.push_str("Start the server; it brings the schema up to date if needed.\n");
    out
}

/// `bytes` in KiB, MiB or GiB, for people.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The text of a units file, from `path` or standard input for `-`.
fn read_csv(path: &Path) -> anyhow::Result<String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        bytes
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {}); save it as \"CSV UTF-8\"",
            source_name(path),
            e.utf8_error().valid_up_to()
        )
    })
}

/// How messages name the file at `path`.
fn source_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

/// Units in tree order, one a line, indented by depth: code, name and e-mail addresses.
fn unit_tree(units: &[Unit]) -> String {
    let mut depth: HashMap<&str, usize> = HashMap::new();
    let mut out = String::new();
    for unit in units {
        let d = unit
            .parent_code
            .as_ref()
            .and_then(|p| depth.get(p.as_str()))
            .map_or(0, |d| d + 1);
        depth.insert(unit.code.as_str(), d);
        out.push_str(&format!("{}{}  {}", "  ".repeat(d), unit.code, unit.name));
        if !unit.emails.is_empty() {
            out.push_str(&format!("  <{}>", unit.emails.join(", ")));
        }
        out.push('\n');
    }
    out
}

fn stored_base_url(store: &Store) -> anyhow::Result<String> {
    Ok(store
        .setting(BASE_URL_SETTING)?
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::links_of;

    fn run_words(words: &[&str]) -> anyhow::Result<()> {
        run(Cli::try_parse_from(words)?)
    }

    #[test]
    fn backup_then_restore_on_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let (data, copy) = (dir.path().join("data"), dir.path().join("copy"));
        let file = dir.path().join("giaoban.backup");
        let (data, copy, file) = (
            data.to_str().unwrap(),
            copy.to_str().unwrap(),
            file.to_str().unwrap(),
        );
        let store = open_store(Path::new(data)).unwrap();
        let new = NewBriefing {
            title: "Giao ban CNTT".into(),
            host: "Sở TT&TT".into(),
            points: vec!["UBND thị xã Cửa Lò".into()],
            ..Default::default()
        };
        let created = create_briefing(&store, &new, "http://127.0.0.1:8080").unwrap();

        run_words(&["giaoban", "backup", "--data", data, file]).unwrap();
        let again = run_words(&["giaoban", "backup", "--data", data, file]).unwrap_err();
        run_words(&["giaoban", "restore", "--data", copy, file]).unwrap();
        let busy = run_words(&["giaoban", "restore", "--data", data, file]).unwrap_err();

        assert!(format!("{again:#}").contains("--force"), "{again:#}");
        assert!(format!("{busy:#}").contains("in use"), "{busy:#}");
        let restored = open_store(Path::new(copy)).unwrap();
        let links = links_of(
            &restored,
            &BriefingId(created.id.clone()),
            "http://127.0.0.1:8080",
        )
        .unwrap();
        let urls: Vec<_> = links.iter().map(|l| &l.url).collect();
        let expected: Vec<_> = created.links.iter().map(|l| &l.url).collect();
        assert_eq!(urls, expected, "the same links work after the restore");
    }

    #[test]
    fn sizes_are_shown_in_binary_units() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(176 * 1024 * 1024), "176.0 MiB");
    }
}
