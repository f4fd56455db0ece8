//! `giaoban backup` and `giaoban restore`: a consistent copy of the database taken while the
//! server runs, and putting such a copy back in place.
//!
//! A backup is one SQLite file that holds everything a data directory needs: the database,
//! copied with SQLite's online backup API, and the signing secret in an extra table,
//! `giaoban_backup`. Without the secret every invitation link and admin session issued before
//! the backup would be refused after a restore onto a new machine; keeping it inside the one
//! file means a restore cannot forget it. The backup file is therefore as sensitive as the
//! data directory and is created readable by its owner only.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::lock::{self, Mode};
use crate::migrations::MIGRATIONS;
use crate::secret::{self, SECRET_FILE, SECRET_LEN};
use crate::store::{DB_FILE, create_private_dir, now_unix};
use crate::{StoreError, ids};

/// Name of the table in a backup that carries the signing secret; it never exists in a live
/// database.
const BACKUP_TABLE: &str = "giaoban_backup";

/// Tables every giaoban database has had since schema version 1.
const GIAOBAN_TABLES: &[&str] = &["briefings", "points", "settings", "admin_login_codes"];

/// How long a backup step waits for SQLite's locks (the server checkpointing, say) in all.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema version of the database copied.
    pub schema_version: i64,
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The schema version of the restored database; the next start of the server migrates it
    /// to the newest version if it is older.
    pub schema_version: i64,
    /// Where the database that was replaced is kept, if there was one.
    pub previous: Option<PathBuf>,
    /// What became of the signing secret.
    pub secret: SecretOutcome,
}

/// What a restore did with the signing secret.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOutcome {
    /// The backup's secret is the one already in the data directory.
    Unchanged,
    /// The backup's secret was written; the one replaced, if any, is kept at the path given.
    Restored { previous: Option<PathBuf> },
    /// The backup carries no secret (a copy made by other means): the data directory's is kept,
    /// or made at the next start. Links issued under another secret are refused.
    NotInBackup,
}

/// Copies the database of `data_dir`, with its signing secret, to `file`.
///
/// Safe while a server uses the data directory: the copy is one read transaction, which in WAL
/// mode does not hold up the server's writes. The copy is written beside `file` under a
/// temporary name and renamed into place once complete and checked, so `file` is never
/// half-written. An existing `file` is replaced only with `force`.
pub fn backup(data_dir: &Path, file: &Path, force: bool) -> Result<BackupReport, StoreError> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(StoreError::Refused(format!(
            "there is no giaoban database in {} (looked for {})",
            data_dir.display(),
            db.display()
        )));
    }
    if !force && fs::symlink_metadata(file).is_ok() {
        return Err(StoreError::Refused(format!(
            "{} exists; choose another name, or pass --force to replace it",
            file.display()
        )));
    }
    // Shared, like any user of the store: a restore must not swap the database mid-copy.
    let _lock = lock::lock(data_dir, Mode::Shared)?;
    let secret = read_secret(data_dir)?;

    let tmp = Temporary::beside(file)?;
    let schema_version = {
        let source = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        source.busy_timeout(BUSY_WAIT)?;
        let mut copy = Connection::open(&tmp.path)?;
        copy_database(&source, &mut copy)?;
        // A plain rollback-journal file: one file, nothing beside it, whatever the source's
        // journal mode was.
        copy.pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
            row.get::<_, String>(0)
        })?;
        let version = user_version(&copy)?;
        copy.execute_batch(&format!(
            "CREATE TABLE {BACKUP_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"
        ))?;
        let mut insert = copy.prepare(&format!(
            "INSERT INTO {BACKUP_TABLE} (key, value) VALUES (?1, ?2)"
        ))?;
        if let Some(secret) = secret {
            insert.execute(["secret", &secret::hex_encode(&secret)])?;
        }
        insert.execute(["made_at_unix", &now_unix().to_string()])?;
        drop(insert);
        check_integrity(&copy, file)?;
        copy.close().map_err(|(_, e)| e)?;
        version
    };
    File::open(&tmp.path)?.sync_all()?;
    tmp.persist(file)?;
    Ok(BackupReport {
        path: file.to_path_buf(),
        bytes: fs::metadata(file)?.len(),
        schema_version,
    })
}

/// Puts the backup `file` in place as the database of `data_dir`.
///
/// Refuses while anyone has the store open (the server, a command), and refuses a file that is
/// not a sound giaoban database of a schema version this build knows. The database replaced is
/// kept beside as `giaoban.sqlite3.before-restore-<UTC time>`, and so is a replaced secret.
/// When run as root, the files put in place are given to the owner of the data directory, so
/// that the server's own user can open them.
pub fn restore(data_dir: &Path, file: &Path) -> Result<RestoreReport, StoreError> {
    if !file.is_file() {
        return Err(StoreError::Refused(format!(
            "there is no backup file {}",
            file.display()
        )));
    }
    create_private_dir(data_dir)?;
    let _lock = lock::lock(data_dir, Mode::Exclusive)?;

    let staged = Temporary::beside(&data_dir.join(DB_FILE))?;
    let (schema_version, secret) = {
        let source = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| not_giaoban(file, &e.to_string()))?;
        let mut copy = Connection::open(&staged.path)?;
        copy_database(&source, &mut copy).map_err(|e| match e {
            StoreError::Sqlite(e) => not_giaoban(file, &e.to_string()),
            e => e,
        })?;
        drop(source);
        let version = check_giaoban(&copy, file)?;
        let secret = backup_secret(&copy, file)?;
        copy.execute_batch(&format!("DROP TABLE IF EXISTS {BACKUP_TABLE}"))?;
        copy.pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
            row.get::<_, String>(0)
        })?;
        copy.close().map_err(|(_, e)| e)?;
        (version, secret)
    };
    File::open(&staged.path)?.sync_all()?;

    let stamp = utc_stamp();
    let previous = set_aside_database(data_dir, &stamp)?;
    let db = data_dir.join(DB_FILE);
    staged.persist(&db)?;
    let secret = match secret {
        None => SecretOutcome::NotInBackup,
        Some(secret) if read_secret(data_dir)? == Some(secret) => SecretOutcome::Unchanged,
        Some(secret) => {
            let current = data_dir.join(SECRET_FILE);
            let previous = if current.exists() {
                let kept = data_dir.join(format!("{SECRET_FILE}.before-restore-{stamp}"));
                fs::hard_link(&current, &kept)?;
                Some(kept)
            } else {
                None
            };
            secret::replace(data_dir, &secret)?;
            SecretOutcome::Restored { previous }
        }
    };
    sync_dir(data_dir)?;
    give_to_owner_of(data_dir, &[&db, &data_dir.join(SECRET_FILE)])?;
    Ok(RestoreReport {
        schema_version,
        previous,
        secret,
    })
}

/// Copies all of `source` into `dest` in one step: one read transaction on the source, so the
/// copy is of a single moment however much the server writes meanwhile (a copy made page by
/// page would start over at every write from another connection).
fn copy_database(source: &Connection, dest: &mut Connection) -> Result<(), StoreError> {
    let backup = Backup::new(source, dest)?;
    let deadline = Instant::now() + BUSY_WAIT;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked
                if Instant::now() < deadline =>
            {
                thread::sleep(Duration::from_millis(50));
            }
            _ => {
                return Err(StoreError::InUse(format!(
                    "the database stayed locked for {} s; try again",
                    BUSY_WAIT.as_secs()
                )));
            }
        }
    }
}

/// Checks that `conn` holds a sound giaoban database this build can open; returns its schema
/// version.
fn check_giaoban(conn: &Connection, file: &Path) -> Result<i64, StoreError> {
    check_integrity(conn, file)?;
    let version = user_version(conn)?;
    let mut missing = Vec::new();
    for table in GIAOBAN_TABLES {
        if !has_table(conn, table)? {
            missing.push(*table);
        }
    }
    if version < 1 || !missing.is_empty() {
        return Err(not_giaoban(
            file,
            &format!(
                "schema version {version}, tables missing: {}",
                missing.join(", ")
            ),
        ));
    }
    let supported = i64::try_from(MIGRATIONS.len()).expect("the number of migrations fits");
    if version > supported {
        return Err(StoreError::Refused(format!(
            "{} has schema version {version}, newer than the {supported} this giaoban knows; \
             restore it with the giaoban version that made it, or a newer one",
            file.display()
        )));
    }
    Ok(version)
}

/// `PRAGMA integrity_check`, which reads every page.
fn check_integrity(conn: &Connection, file: &Path) -> Result<(), StoreError> {
    let result: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    if result != "ok" {
        return Err(StoreError::Refused(format!(
            "{} is damaged (SQLite integrity check: {result})",
            file.display()
        )));
    }
    Ok(())
}

/// Whether the database has a table of this name.
fn has_table(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [name],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// The secret a backup carries, if it has the table and the row.
fn backup_secret(conn: &Connection, file: &Path) -> Result<Option<[u8; SECRET_LEN]>, StoreError> {
    if !has_table(conn, BACKUP_TABLE)? {
        return Ok(None);
    }
    let hex: Option<String> = conn
        .query_row(
            &format!("SELECT value FROM {BACKUP_TABLE} WHERE key = 'secret'"),
            [],
            |row| row.get(0),
        )
        .optional()?;
    hex.map(|hex| {
        secret::hex_decode(hex.trim()).ok_or_else(|| {
            StoreError::Refused(format!(
                "{} carries a damaged signing secret; it was not made by giaoban backup",
                file.display()
            ))
        })
    })
    .transpose()
}

fn not_giaoban(file: &Path, detail: &str) -> StoreError {
    StoreError::Refused(format!(
        "{} is not a giaoban database ({detail})",
        file.display()
    ))
}

/// The secret in `data_dir`, if there is one.
fn read_secret(data_dir: &Path) -> Result<Option<[u8; SECRET_LEN]>, StoreError> {
    if !data_dir.join(SECRET_FILE).exists() {
        return Ok(None);
    }
    Ok(Some(secret::load_or_create(data_dir)?))
}

/// Moves the database of `data_dir`, if any, to `<name>.before-restore-<stamp>`, first folding
/// its write-ahead log into it so that the kept file is whole on its own. A `-wal` file left
/// beside the new database would be replayed into it, so none may remain.
fn set_aside_database(data_dir: &Path, stamp: &str) -> Result<Option<PathBuf>, StoreError> {
    let db = data_dir.join(DB_FILE);
    if !db.exists() {
        return Ok(None);
    }
    let kept = data_dir.join(format!("{DB_FILE}.before-restore-{stamp}"));
    if kept.exists() {
        return Err(StoreError::Refused(format!(
            "{} exists already; try again in a second",
            kept.display()
        )));
    }
    {
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.busy_timeout(BUSY_WAIT)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        conn.close().map_err(|(_, e)| e)?;
    }
    fs::rename(&db, &kept)?;
    for suffix in ["-wal", "-shm"] {
        let side = data_dir.join(format!("{DB_FILE}{suffix}"));
        if side.exists() {
            fs::rename(
                &side,
                data_dir.join(format!("{DB_FILE}.before-restore-{stamp}{suffix}")),
            )?;
        }
    }
    Ok(Some(kept))
}

/// The current UTC time as `20260412T083000Z`, for the names of kept files.
fn utc_stamp() -> String {
    let now = time::OffsetDateTime::from_unix_timestamp(i64::try_from(now_unix()).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    now.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .expect("the format has only numeric components")
}

/// A file being written under a temporary name beside its final one; removed if dropped before
/// [`Temporary::persist`].
struct Temporary {
    path: PathBuf,
    persisted: bool,
}

impl Temporary {
    /// Creates an empty private file beside `target` (an empty file is an empty database to
    /// SQLite).
    fn beside(target: &Path) -> Result<Temporary, StoreError> {
        let name = target.file_name().ok_or_else(|| {
            StoreError::Refused(format!("{} does not name a file", target.display()))
        })?;
        let path = target.with_file_name(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            ids::random_id(12)
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&path).map_err(|e| {
            StoreError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", path.display()),
            ))
        })?;
        Ok(Temporary {
            path,
            persisted: false,
        })
    }

    /// Renames the file to `target`, replacing it, and makes the rename durable.
    fn persist(mut self, target: &Path) -> Result<(), StoreError> {
        fs::rename(&self.path, target)?;
        self.persisted = true;
        if let Some(dir) = target.parent() {
            sync_dir(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })?;
        }
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.persisted {
            // Only our own half-written file; nothing else to do if it cannot be removed.
            let _ = fs::remove_file(&self.path);
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut side = self.path.clone().into_os_string();
                side.push(suffix);
                let _ = fs::remove_file(side);
            }
        }
    }
}

/// Makes renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// When running as root, gives `paths` to the owner of `dir`.
fn give_to_owner_of(dir: &Path, paths: &[&Path]) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(());
        }
        let owner = fs::metadata(dir)?;
        for path in paths.iter().filter(|p| p.exists()) {
            std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, paths);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::Store;
    use crate::test_support::{new_briefing, temp_store};

    /// The message of a [`StoreError::Refused`]; panics on anything else.
    fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
        match result {
            Err(StoreError::Refused(message)) => message,
            other => panic!("expected Refused, got {other:?}"),
        }
    }

    fn briefing_in(store: &Store, title: &str) {
        store
            .create_briefing(&new_briefing(title, "Sở TT&TT", &["UBND thị xã Cửa Lò"]))
            .unwrap();
    }

    /// Every briefing of `store` with its two points: they are written in one transaction, so a
    /// consistent copy never has one without the other.
    fn assert_whole(store: &Store) -> usize {
        let briefings = store.list_briefings().unwrap();
        for briefing in &briefings {
            assert_eq!(store.points(&briefing.id).unwrap().len(), 2, "{briefing:?}");
        }
        briefings.len()
    }

    #[test]
    fn backup_while_another_connection_writes_is_a_consistent_copy() {
        let (dir, store) = temp_store();
        for i in 0..20 {
            briefing_in(&store, &format!("Giao ban {i}"));
        }
        let writer = Store::open(dir.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(false);

        let reports = thread::scope(|s| {
            s.spawn(|| {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    briefing_in(&writer, &format!("Trong khi sao lưu {i}"));
                    i += 1;
                }
            });
            let reports: Vec<_> = (0..5)
                .map(|n| backup(dir.path(), &out.path().join(format!("{n}.db")), false).unwrap())
                .collect();
            stop.store(true, Ordering::Relaxed);
            reports
        });

        let mut counts = Vec::new();
        for report in &reports {
            assert_eq!(report.bytes, fs::metadata(&report.path).unwrap().len());
            assert_eq!(report.schema_version, MIGRATIONS.len() as i64);
            let mut wal = report.path.clone().into_os_string();
            wal.push("-wal");
            assert!(!Path::new(&wal).exists(), "a backup is one file");
            let restored = tempfile::tempdir().unwrap();
            restore(restored.path(), &report.path).unwrap();
            counts.push(assert_whole(&Store::open(restored.path()).unwrap()));
        }
        assert!(counts.iter().all(|&n| n >= 20), "{counts:?}");
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
        let left: Vec<_> = fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    #[test]
    fn restore_round_trip_keeps_data_links_and_the_previous_database() {
        let (source_dir, source) = temp_store();
        briefing_in(&source, "Giao ban CNTT 6 tháng");
        let briefing = source.list_briefings().unwrap().remove(0);
        let points = source.points(&briefing.id).unwrap();
        let token = source.token_for(&points[1]);
        drop(source);
        let file = tempfile::tempdir().unwrap();
        let file = file.path().join("giaoban-backup.db");
        backup(source_dir.path(), &file, false).unwrap();
        let (target_dir, target) = temp_store();
        briefing_in(&target, "Dữ liệu cũ");
        drop(target);

        let report = restore(target_dir.path(), &file).unwrap();

        let restored = Store::open(target_dir.path()).unwrap();
        assert_eq!(restored.list_briefings().unwrap(), [briefing]);
        assert_eq!(restored.verify_token(&token).unwrap().point, points[1]);
        let previous = report.previous.expect("the replaced database is kept");
        assert!(
            previous
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("giaoban.sqlite3.before-restore-"),
            "{previous:?}"
        );
        let kept = Connection::open(&previous).unwrap();
        let title: String = kept
            .query_row("SELECT title FROM briefings", [], |row| row.get(0))
            .unwrap();
        assert_eq!(title, "Dữ liệu cũ");
        let SecretOutcome::Restored {
            previous: Some(old_secret),
        } = report.secret
        else {
            panic!("the backup's secret replaces another: {:?}", report.secret);
        };
        assert!(old_secret.is_file());
        let tables: i64 = restored
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
                [BACKUP_TABLE],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "the secret does not stay in the live database");
    }

    #[test]
    fn restore_of_its_own_backup_leaves_the_secret_alone() {
        let (dir, store) = temp_store();
        briefing_in(&store, "Giao ban");
        drop(store);
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("b.db");
        backup(dir.path(), &file, false).unwrap();

        let report = restore(dir.path(), &file).unwrap();

        assert_eq!(report.secret, SecretOutcome::Unchanged);
        assert_eq!(assert_whole(&Store::open(dir.path()).unwrap()), 1);
    }

    #[test]
    fn backup_replaces_an_existing_file_only_when_forced() {
        let (dir, store) = temp_store();
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("b.db");
        fs::write(&file, "something else").unwrap();

        let refused = backup(dir.path(), &file, false);
        let forced = backup(dir.path(), &file, true);

        assert!(
            matches!(refused, Err(StoreError::Refused(_))),
            "{refused:?}"
        );
        assert!(forced.is_ok(), "{forced:?}");
        drop(store);
        let restored = tempfile::tempdir().unwrap();
        restore(restored.path(), &file).unwrap();
    }

    #[test]
    fn backup_of_a_directory_without_a_database_is_refused() {
        let empty = tempfile::tempdir().unwrap();

        let result = backup(empty.path(), &empty.path().join("b.db"), false);

        assert!(matches!(result, Err(StoreError::Refused(_))), "{result:?}");
    }

    #[test]
    fn restore_refuses_what_is_not_a_giaoban_database() {
        let (dir, store) = temp_store();
        briefing_in(&store, "Giao ban");
        drop(store);
        let out = tempfile::tempdir().unwrap();
        let text = out.path().join("notes.txt");
        fs::write(&text, "giao ban ".repeat(1000)).unwrap();
        let other = out.path().join("other.sqlite3");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 3;")
            .unwrap();

        let text = refused(restore(dir.path(), &text));
        let other = refused(restore(dir.path(), &other));
        let missing = restore(dir.path(), &out.path().join("missing.db"));

        assert!(
            text.contains("notes.txt is not a giaoban database"),
            "{text}"
        );
        assert!(
            other.contains("other.sqlite3 is not a giaoban database"),
            "{other}"
        );
        assert!(other.contains("briefings"), "{other}");
        assert!(
            matches!(missing, Err(StoreError::Refused(_))),
            "{missing:?}"
        );
        assert_untouched(dir.path());
    }

    #[test]
    fn restore_refuses_a_newer_schema() {
        let (dir, store) = temp_store();
        briefing_in(&store, "Giao ban");
        drop(store);
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("b.db");
        backup(dir.path(), &file, false).unwrap();
        Connection::open(&file)
            .unwrap()
            .execute_batch("PRAGMA user_version = 999")
            .unwrap();

        let message = refused(restore(dir.path(), &file));

        assert!(message.contains("schema version 999"), "{message}");
        assert_untouched(dir.path());
    }

    #[test]
    fn restore_refuses_a_data_directory_in_use() {
        let (dir, store) = temp_store();
        briefing_in(&store, "Giao ban");
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("b.db");
        backup(dir.path(), &file, false).unwrap();
        briefing_in(&store, "Sau sao lưu");

        let result = restore(dir.path(), &file);

        assert!(
            matches!(&result, Err(StoreError::InUse(m)) if m.contains("in use")),
            "{result:?}"
        );
        assert_eq!(assert_whole(&store), 2);
        drop(store);
        assert_untouched(dir.path());
    }

    #[test]
    fn the_store_cannot_open_while_a_restore_holds_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let _restoring = lock::lock(dir.path(), Mode::Exclusive).unwrap();

        let result = Store::open(dir.path());

        assert!(matches!(result, Err(StoreError::InUse(_))), "{result:?}");
    }

    /// The data directory holds its database, secret and lock, and nothing a restore leaves.
    fn assert_untouched(dir: &Path) {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [lock::LOCK_FILE, DB_FILE, SECRET_FILE]);
    }
}
