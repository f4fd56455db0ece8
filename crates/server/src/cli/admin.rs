//! `giaoban admin add|list|disable|enable|passwd|setup-link`: the admin accounts, from the
//! server's shell. Works while the server runs on the same data dir; every change is in the
//! audit log as the system's.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use giaoban_store::{ActorKind, AuditEntry, Store};
use serde_json::json;

use super::{open_store, stored_base_url};
use crate::clock::unix_ms;
use crate::links::admin_login_url;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin account; the password is asked twice on the terminal, without echo.
    Add {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// The account's name, used to log in, e.g. "Nguyễn Văn An".
        name: String,
        /// Read the password from the first line of standard input instead, for scripts.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the admin accounts.
    List {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot log in, and its sessions end at once.
    Disable {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        name: String,
    },
    /// Set an account's password (asked twice, or --password-stdin); its sessions end.
    Passwd {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
        name: String,
        /// Read the password from the first line of standard input instead, for scripts.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a one-time link that logs in without an account, to create the first admin
    /// account from the browser (the same as `giaoban admin-url`).
    SetupLink {
        #[arg(long, default_value = "./giaoban-data", env = "GIAOBAN_DATA")]
        data: PathBuf,
    },
}

/// Runs `command`; a password with `--password-stdin` is read from `stdin`.
pub fn run(command: AdminCommand, stdin: &mut dyn BufRead) -> anyhow::Result<()> {
    match command {
        AdminCommand::Add {
            data,
            name,
            password_stdin,
        } => {
            let store = open_store(&data)?;
            let password = password(password_stdin, stdin)?;
            let account = store
                .create_admin(&name, &password)
                .context("no admin account created")?;
            audit(&store, "account.create", &account.name);
            println!(
                "Admin \"{}\" created. Log in at {}/admin/login",
                account.name,
                stored_base_url(&store)?
            );
        }
        AdminCommand::List { data, json } => {
            let store = open_store(&data)?;
            let admins = store.admins()?;
            if json {
                println!("{}", serde_json::to_string(&admins)?);
            } else if admins.is_empty() {
                println!(
                    "No admin accounts yet. Create one: giaoban admin add --data {} NAME",
                    data.display()
                );
            } else {
                for admin in admins {
                    let state = if admin.disabled { "  (disabled)" } else { "" };
                    println!("{}  created {}{state}", admin.name, admin.created_at);
                }
            }
        }
        AdminCommand::Disable { data, name } => {
            let store = open_store(&data)?;
            let account = store.set_admin_disabled(&name, true)?;
            audit(&store, "account.disable", &account.name);
            println!(
                "Admin \"{}\" disabled; its sessions have ended.",
                account.name
            );
        }
        AdminCommand::Enable { data, name } => {
            let store = open_store(&data)?;
            let account = store.set_admin_disabled(&name, false)?;
            audit(&store, "account.enable", &account.name);
            println!("Admin \"{}\" enabled.", account.name);
        }
        AdminCommand::Passwd {
            data,
            name,
            password_stdin,
        } => {
            let store = open_store(&data)?;
            if store.admin_named(&name)?.is_none() {
                bail!("there is no admin named {:?}", name.trim());
            }
            let password = password(password_stdin, stdin)?;
            store.set_admin_password(&name, &password)?;
            audit(&store, "account.password", name.trim());
            println!(
                "Password of \"{}\" set; its sessions have ended.",
                name.trim()
            );
        }
        AdminCommand::SetupLink { data } => {
            let store = open_store(&data)?;
            let base = stored_base_url(&store)?;
            let code = store.create_admin_login_code()?;
            println!("{}", admin_login_url(&base, &code));
        }
    }
    Ok(())
}

/// The password: the first line of `stdin`, or asked twice on the terminal without echo.
fn password(from_stdin: bool, stdin: &mut dyn BufRead) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        stdin
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = rpassword::prompt_password("Mật khẩu / Password: ")
        .context("cannot read the password from the terminal; use --password-stdin")?;
    let second = rpassword::prompt_password("Nhập lại / Again: ")
        .context("cannot read the password from the terminal; use --password-stdin")?;
    if first != second {
        bail!("the two passwords differ; nothing changed");
    }
    Ok(first)
}

/// Records an account change made on the command line.
fn audit(store: &Store, action: &str, account: &str) {
    let entry = AuditEntry {
        actor_kind: ActorKind::System,
        actor_name: Some("giaoban admin".into()),
        briefing_id: None,
        action: action.into(),
        details: json!({ "account": account }),
    };
    let at = i64::try_from(unix_ms()).unwrap_or(i64::MAX);
    if let Err(e) = store.record_audit_at(&entry, at) {
        tracing::error!("audit entry not recorded: {e}");
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use giaoban_store::AuditFilter;

    use super::*;

    fn admin(words: &[&str], stdin: &str) -> anyhow::Result<()> {
        use clap::Parser;
        #[derive(Parser)]
        struct Words {
            #[command(subcommand)]
            command: AdminCommand,
        }
        run(
            Words::try_parse_from(words)?.command,
            &mut Cursor::new(stdin.as_bytes()),
        )
    }

    #[test]
    fn add_disable_and_passwd_on_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();

        admin(
            &["a", "add", "--data", data, "--password-stdin", "An"],
            "mật khẩu 1\n",
        )
        .unwrap();
        let duplicate = admin(
            &["a", "add", "--data", data, "--password-stdin", "an"],
            "mật khẩu 1\n",
        );
        let short = admin(
            &["a", "add", "--data", data, "--password-stdin", "Bình"],
            "ngắn\n",
        );
        admin(
            &["a", "passwd", "--data", data, "--password-stdin", "An"],
            "mật khẩu 2\r\n",
        )
        .unwrap();
        admin(&["a", "disable", "--data", data, "An"], "").unwrap();
        let unknown = admin(&["a", "disable", "--data", data, "Bình"], "");

        assert!(format!("{:#}", duplicate.unwrap_err()).contains("exists already"));
        assert!(format!("{:#}", short.unwrap_err()).contains("at least 8"));
        assert!(format!("{:#}", unknown.unwrap_err()).contains("no admin named"));
        let store = open_store(dir.path()).unwrap();
        assert!(store.admin_named("an").unwrap().unwrap().disabled);
        store.set_admin_disabled("An", false).unwrap();
        assert!(store.login_admin("An", "mật khẩu 2", 1).unwrap().is_ok());
        let actions: Vec<_> = store
            .audit_log(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            ["account.disable", "account.password", "account.create"]
        );
    }
}
