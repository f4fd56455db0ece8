//! The configuration file of `giaoban serve` (`--config FILE`, or `GIAOBAN_CONFIG`).
//!
//! A TOML file with the options of `serve`, named as the long flags with `_` for `-`:
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! media_port = 50000
//! media_threads = 2                # default: one per CPU core
//! public_ip = ["203.0.113.10"]     # or "203.0.113.10@10.0.0.5" behind a 1:1 NAT
//! turn_url = ["turn:turn.example.gov.vn:3478?transport=udp", "turns:turn.example.gov.vn:5349"]
//! turn_secret = "the static-auth-secret of coturn"
//! data = "/var/lib/giaoban"
//! recordings = "/srv/giaoban/recordings"   # default: DATA/recordings
//! no_recording = false
//! recording_min_free_mb = 2048
//! recording_retention_days = 365  # 0: keep until deleted by hand
//! ffmpeg = "/usr/bin/ffmpeg"
//! base_url = "https://giaoban.example.gov.vn"
//! tls_cert = "/etc/giaoban/fullchain.pem"
//! tls_key = "/etc/giaoban/privkey.pem"
//! redirect_http = "0.0.0.0:80"
//! trust_proxy = false
//! metrics_token = "a long random string"
//! max_connections = 2000
//! point_max_documents = 50
//! point_max_document_mb = 200     # MiB
//! briefing_max_documents = 500
//! briefing_max_document_mb = 2048 # MiB
//! max_uploads = 4
//! max_uploads_per_point = 1
//! max_downloads = 64
//! max_downloads_per_point = 4
//! documents_min_free_mb = 1024
//! smtp_url = "smtp://mail.example.gov.vn:587?tls=required"
//! mail_from = "Sở TT&TT <giaoban@example.gov.vn>"
//! reminder_minutes = 30
//! mail_retry_delays = "1,5"
//! demo = false
//! ```
//!
//! Precedence: a flag on the command line, then the environment (`GIAOBAN_*`), then the file,
//! then the built-in default. The file is read before the command line is parsed and each of
//! its values is put in the environment variable of its option unless that variable is set:
//! so clap's own precedence (flag, environment, default) gives exactly the order above, and a
//! value in the file is checked like the same value given as a flag. Unknown keys and values
//! of the wrong type are errors naming the file, line and key.
//!
//! This module uses only std, serde, toml and anyhow: the fuzz target `serve_config` compiles
//! it from its path (fuzz/fuzz_targets/serve_config.rs).

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "GIAOBAN_CONFIG";

/// Largest configuration file read; a real one is a few hundred bytes.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The options a configuration file may set, with the types of their flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    listen: Option<SocketAddr>,
    media_port: Option<u16>,
    media_threads: Option<u16>,
    public_ip: Option<OneOrMany>,
    turn_url: Option<OneOrMany>,
    turn_secret: Option<String>,
    turn_ttl_minutes: Option<u64>,
    data: Option<PathBuf>,
    recordings: Option<PathBuf>,
    no_recording: Option<bool>,
    recording_min_free_mb: Option<u64>,
    recording_retention_days: Option<u32>,
    ffmpeg: Option<PathBuf>,
    base_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    redirect_http: Option<SocketAddr>,
    trust_proxy: Option<bool>,
    metrics_token: Option<String>,
    max_connections: Option<u32>,
    point_max_documents: Option<u64>,
    point_max_document_mb: Option<u64>,
    briefing_max_documents: Option<u64>,
    briefing_max_document_mb: Option<u64>,
    max_uploads: Option<u32>,
    max_uploads_per_point: Option<u32>,
    max_downloads: Option<u32>,
    max_downloads_per_point: Option<u32>,
    documents_min_free_mb: Option<u64>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    reminder_minutes: Option<u32>,
    mail_retry_delays: Option<String>,
    demo: Option<bool>,
}

/// A value that may be given once or as a list, e.g. `public_ip`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as one comma-separated text, as the flag's environment variable takes them.
    fn joined(self) -> String {
        match self {
            OneOrMany::One(v) => v,
            OneOrMany::Many(vs) => vs.join(","),
        }
    }
}

impl ConfigFile {
    /// Each value given, as `(environment variable, text)`.
    fn entries(self) -> Vec<(&'static str, String)> {
        fn text<T: ToString>(value: Option<T>) -> Option<String> {
            value.map(|v| v.to_string())
        }
        [
            ("GIAOBAN_LISTEN", text(self.listen)),
            ("GIAOBAN_MEDIA_PORT", text(self.media_port)),
            ("GIAOBAN_MEDIA_THREADS", text(self.media_threads)),
            ("GIAOBAN_PUBLIC_IP", self.public_ip.map(OneOrMany::joined)),
            ("GIAOBAN_TURN_URL", self.turn_url.map(OneOrMany::joined)),
            ("GIAOBAN_TURN_SECRET", self.turn_secret),
            ("GIAOBAN_TURN_TTL_MINUTES", text(self.turn_ttl_minutes)),
            ("GIAOBAN_DATA", self.data.map(|p| p.display().to_string())),
            (
                "GIAOBAN_RECORDINGS",
                self.recordings.map(|p| p.display().to_string()),
            ),
            ("GIAOBAN_NO_RECORDING", text(self.no_recording)),
            (
                "GIAOBAN_RECORDING_MIN_FREE_MB",
                text(self.recording_min_free_mb),
            ),
            (
                "GIAOBAN_RECORDING_RETENTION_DAYS",
                text(self.recording_retention_days),
            ),
            (
                "GIAOBAN_FFMPEG",
                self.ffmpeg.map(|p| p.display().to_string()),
            ),
            ("GIAOBAN_BASE_URL", self.base_url),
            (
                "GIAOBAN_TLS_CERT",
                self.tls_cert.map(|p| p.display().to_string()),
            ),
            (
                "GIAOBAN_TLS_KEY",
                self.tls_key.map(|p| p.display().to_string()),
            ),
            ("GIAOBAN_REDIRECT_HTTP", text(self.redirect_http)),
            ("GIAOBAN_TRUST_PROXY", text(self.trust_proxy)),
            ("GIAOBAN_METRICS_TOKEN", self.metrics_token),
            ("GIAOBAN_MAX_CONNECTIONS", text(self.max_connections)),
            (
                "GIAOBAN_POINT_MAX_DOCUMENTS",
                text(self.point_max_documents),
            ),
            (
                "GIAOBAN_POINT_MAX_DOCUMENT_MB",
                text(self.point_max_document_mb),
            ),
            (
                "GIAOBAN_BRIEFING_MAX_DOCUMENTS",
                text(self.briefing_max_documents),
            ),
            (
                "GIAOBAN_BRIEFING_MAX_DOCUMENT_MB",
                text(self.briefing_max_document_mb),
            ),
            ("GIAOBAN_MAX_UPLOADS", text(self.max_uploads)),
            (
                "GIAOBAN_MAX_UPLOADS_PER_POINT",
                text(self.max_uploads_per_point),
            ),
            ("GIAOBAN_MAX_DOWNLOADS", text(self.max_downloads)),
            (
                "GIAOBAN_MAX_DOWNLOADS_PER_POINT",
                text(self.max_downloads_per_point),
            ),
            (
                "GIAOBAN_DOCUMENTS_MIN_FREE_MB",
                text(self.documents_min_free_mb),
            ),
            ("GIAOBAN_SMTP_URL", self.smtp_url),
            ("GIAOBAN_MAIL_FROM", self.mail_from),
            ("GIAOBAN_REMINDER_MINUTES", text(self.reminder_minutes)),
            ("GIAOBAN_MAIL_RETRY_DELAYS", self.mail_retry_delays),
            ("GIAOBAN_DEMO", text(self.demo)),
        ]
        .into_iter()
        .filter_map(|(var, value)| value.map(|v| (var, v)))
        .collect()
    }
}

/// The configuration file named by `serve --config FILE` (or `--config=FILE`) in `args`, or
/// by `GIAOBAN_CONFIG`; `None` for other commands or without one.
pub fn config_path(args: &[OsString], env: Option<OsString>) -> Option<PathBuf> {
    if args.get(1).is_none_or(|a| a != "serve") {
        return None;
    }
    let mut rest = args.iter().skip(2);
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return rest.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    env.map(PathBuf::from)
}

/// Reads the configuration file and returns the environment variables it sets, leaving out
/// those `is_set` says are set already.
pub fn environment_of(
    path: &Path,
    is_set: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the configuration file {shown}"))?
        .len();
    if size > MAX_CONFIG_BYTES {
        anyhow::bail!(
            "the configuration file {shown} is {size} bytes; at most {MAX_CONFIG_BYTES} are read"
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {shown} (UTF-8 text)"))?;
    let entries = parse(&text).map_err(|e| anyhow::anyhow!("configuration file {shown}: {e}"))?;
    Ok(entries
        .into_iter()
        .filter(|(var, _)| !is_set(var))
        .collect())
}

/// The environment variables a configuration file's text sets, in the order of the options
/// in [`ConfigFile`]; the error names the line and the key.
pub fn parse(text: &str) -> Result<Vec<(&'static str, String)>, toml::de::Error> {
    let config: ConfigFile = toml::from_str(text)?;
    Ok(config.entries())
}

/// Applies the configuration file of `serve`, if one is named, to this process's environment.
/// Runs before the command line is parsed and before any thread is started.
pub fn apply(args: &[OsString]) -> anyhow::Result<()> {
    let Some(path) = config_path(args, std::env::var_os(CONFIG_ENV)) else {
        return Ok(());
    };
    for (var, value) in environment_of(&path, |var| std::env::var_os(var).is_some())? {
        // SAFETY: called from `main` before the runtime or any other thread exists, so no
        // other thread reads or writes the environment concurrently.
        unsafe { std::env::set_var(var, value) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("giaoban.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn the_file_is_named_by_the_flag_or_the_environment_for_serve_only() {
        let env = Some(OsString::from("/etc/giaoban.toml"));
        assert_eq!(
            config_path(
                &args(&["giaoban", "serve", "--config", "a.toml"]),
                env.clone()
            ),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            config_path(&args(&["giaoban", "serve", "--config=b.toml"]), None),
            Some(PathBuf::from("b.toml"))
        );
        assert_eq!(
            config_path(&args(&["giaoban", "serve"]), env.clone()),
            Some(PathBuf::from("/etc/giaoban.toml"))
        );
        assert_eq!(config_path(&args(&["giaoban", "serve"]), None), None);
        assert_eq!(
            config_path(&args(&["giaoban", "demo", "--config", "a.toml"]), env),
            None
        );
    }

    #[test]
    fn values_become_the_environment_of_their_flags_unless_set() {
        let (_dir, path) = write(
            "listen = \"0.0.0.0:8080\"\nmedia_port = 50001\nmedia_threads = 3\n\
             data = \"/var/lib/giaoban\"\n\
             mail_from = \"Sở TT&TT <giaoban@example.gov.vn>\"\ndemo = true\n",
        );

        let env = environment_of(&path, |var| var == "GIAOBAN_DATA").unwrap();

        assert_eq!(
            env,
            [
                ("GIAOBAN_LISTEN", "0.0.0.0:8080".to_owned()),
                ("GIAOBAN_MEDIA_PORT", "50001".to_owned()),
                ("GIAOBAN_MEDIA_THREADS", "3".to_owned()),
                (
                    "GIAOBAN_MAIL_FROM",
                    "Sở TT&TT <giaoban@example.gov.vn>".to_owned()
                ),
                ("GIAOBAN_DEMO", "true".to_owned()),
            ]
        );
    }

    #[test]
    fn https_keys_become_the_environment_of_their_flags() {
        let (_dir, path) = write(
            "tls_cert = \"/etc/giaoban/fullchain.pem\"\ntls_key = \"/etc/giaoban/privkey.pem\"\n\
             redirect_http = \"0.0.0.0:80\"\ntrust_proxy = true\n",
        );

        let env = environment_of(&path, |_| false).unwrap();

        assert_eq!(
            env,
            [
                ("GIAOBAN_TLS_CERT", "/etc/giaoban/fullchain.pem".to_owned()),
                ("GIAOBAN_TLS_KEY", "/etc/giaoban/privkey.pem".to_owned()),
                ("GIAOBAN_REDIRECT_HTTP", "0.0.0.0:80".to_owned()),
                ("GIAOBAN_TRUST_PROXY", "true".to_owned()),
            ]
        );
        let (_dir2, bad) = write("redirect_http = \"port 80\"\n");
        let bad = environment_of(&bad, |_| false).unwrap_err().to_string();
        assert!(bad.contains("redirect_http"), "{bad}");
    }

    #[test]
    fn the_sample_in_the_module_documentation_is_a_valid_file() {
        let doc = include_str!("config.rs");
        let sample: String = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("//! ```").next())
            .unwrap()
            .lines()
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let (_dir, path) = write(&sample);

        let env = environment_of(&path, |_| false).unwrap();

        assert!(env.contains(&("GIAOBAN_TLS_KEY", "/etc/giaoban/privkey.pem".to_owned())));
        assert!(env.contains(&("GIAOBAN_TRUST_PROXY", "false".to_owned())));
        assert!(env.contains(&("GIAOBAN_MAX_CONNECTIONS", "2000".to_owned())));
        for (var, value) in [
            ("GIAOBAN_POINT_MAX_DOCUMENTS", "50"),
            ("GIAOBAN_POINT_MAX_DOCUMENT_MB", "200"),
            ("GIAOBAN_BRIEFING_MAX_DOCUMENTS", "500"),
            ("GIAOBAN_BRIEFING_MAX_DOCUMENT_MB", "2048"),
            ("GIAOBAN_MAX_UPLOADS", "4"),
            ("GIAOBAN_MAX_UPLOADS_PER_POINT", "1"),
            ("GIAOBAN_DOCUMENTS_MIN_FREE_MB", "1024"),
        ] {
            assert!(env.contains(&(var, value.to_owned())), "{var}");
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_file_and_the_key() {
        let (_dir, unknown) = write("listen = \"127.0.0.1:8080\"\nmedia-port = 5\n");
        let (_dir2, wrong) = write("media_port = 70000\n");
        let (_dir3, broken) = write("listen = \n");

        let unknown = environment_of(&unknown, |_| false).unwrap_err().to_string();
        let wrong = environment_of(&wrong, |_| false).unwrap_err().to_string();
        let broken = environment_of(&broken, |_| false).unwrap_err().to_string();

        assert!(unknown.contains("giaoban.toml"), "{unknown}");
        assert!(unknown.contains("media-port"), "{unknown}");
        assert!(
            wrong.contains("media_port") || wrong.contains("70000"),
            "{wrong}"
        );
        assert!(broken.contains("line 1"), "{broken}");
        let missing = environment_of(Path::new("/nonexistent/giaoban.toml"), |_| false)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/giaoban.toml"), "{missing}");
    }
}
