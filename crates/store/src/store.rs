//! The [`Store`] handle: opening the data directory and sharing its connection.

use std::fmt;
use std::fs::DirBuilder;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::lock::{self, DirLock};
use crate::{StoreError, migrations, secret};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "giaoban.sqlite3";

/// How long a write waits for another connection (the CLI next to a running server, say)
/// to release SQLite's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// giaoban's persistent state in one data directory: the SQLite database and the secret that
/// signs invitation tokens.
///
/// One `Store` is shared by all tasks of a process (it is `Sync`; calls are serialised on one
/// connection). Several processes may open the same directory at once; SQLite's locking keeps
/// them consistent.
pub struct Store {
    conn: Mutex<Connection>,
    pub(crate) secret: [u8; secret::SECRET_LEN],
    data_dir: PathBuf,
    /// Held shared while the store is open, so that a restore cannot swap the database.
    _lock: DirLock,
}

impl Store {
    /// Opens the store in `data_dir`, creating the directory, the database and the secret if
    /// they do not exist yet, and bringing the schema up to date.
    ///
    /// Fails with [`StoreError::InUse`] while `giaoban restore` is replacing the database.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        create_private_dir(data_dir)?;
        let lock = lock::lock(data_dir, lock::Mode::Shared)?;
        let secret = secret::load_or_create(data_dir)?;

        let mut conn = Connection::open(data_dir.join(DB_FILE))?;
        // The timeout comes first so that the statements below wait for a concurrent opener
        // instead of failing with SQLITE_BUSY.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets the server keep reading while the CLI writes, and makes NORMAL
        // synchronisation safe against corruption (a power cut loses at most the last commits).
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrations::migrate(&mut conn)?;

        Ok(Store {
            conn: Mutex::new(conn),
            secret,
            data_dir: data_dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The connection, for one operation at a time.
    ///
    /// A panic while holding the lock cannot leave the database half-written (an unfinished
    /// transaction rolls back when dropped), so a poisoned lock is simply taken over.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Store {
    // Hand-written so that the secret never ends up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch, by the system clock.
pub(crate) fn now_unix() -> u64 {
    // A clock set before 1970 is broken; treating it as 1970 makes codes look old, which
    // fails safe.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Creates `dir` and its missing parents, readable only by the owner since it holds the secret.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};
    use std::thread;

    use super::*;
    use crate::test_support::new_briefing;

    /// Set in child processes spawned by [`processes_opening_one_fresh_dir_at_once_agree`].
    const CHILD_DIR_VAR: &str = "GIAOBAN_STORE_TEST_CHILD_DIR";
    const CHILD_NAME_VAR: &str = "GIAOBAN_STORE_TEST_CHILD_NAME";
    const WRITES_PER_WRITER: usize = 20;

    /// Writes briefings as one of several concurrent writers, then records the token of the
    /// last briefing's host in the settings under the writer's name.
    fn write_as(store: &Store, writer: &str) {
        let mut last = None;
        for i in 0..WRITES_PER_WRITER {
            let briefing = store
                .create_briefing(&new_briefing(
                    &format!("{writer} {i}"),
                    "Sở TT&TT",
                    &["UBND thị xã Cửa Lò"],
                ))
                .unwrap();
            last = Some(briefing);
        }
        let last = last.unwrap();
        let host = store.points(&last.id).unwrap().remove(0);
        store.set_setting(writer, &store.token_for(&host)).unwrap();
    }

    #[test]
    fn open_creates_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");

        let store = Store::open(&nested).unwrap();

        assert!(format!("{store:?}").contains("a/b"));
        assert!(nested.join(DB_FILE).is_file());
        assert!(nested.join(secret::SECRET_FILE).is_file());
    }

    #[test]
    fn data_and_secret_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let briefing = store
            .create_briefing(&new_briefing(
                "Giao ban",
                "Sở TT&TT",
                &["UBND huyện Kỳ Sơn"],
            ))
            .unwrap();
        let points = store.points(&briefing.id).unwrap();
        let tokens: Vec<_> = points.iter().map(|p| store.token_for(p)).collect();
        store
            .set_setting("base_url", "http://127.0.0.1:8080")
            .unwrap();
        let code = store.create_admin_login_code_at(1_800_000_000).unwrap();
        let session = store
            .open_code_session(&code, 1_800_000_000)
            .unwrap()
            .unwrap();
        drop(store);

        let store = Store::open(dir.path()).unwrap();

        assert_eq!(store.list_briefings().unwrap(), [briefing]);
        assert_eq!(store.points(&points[0].briefing_id).unwrap(), points);
        for (point, token) in points.iter().zip(&tokens) {
            assert_eq!(&store.verify_token(token).unwrap().point, point);
            assert_eq!(&store.token_for(point), token);
        }
        assert!(
            store
                .admin_session(&session, 1_800_000_000)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store.setting("base_url").unwrap().as_deref(),
            Some("http://127.0.0.1:8080")
        );
    }

    #[test]
    fn two_stores_on_one_dir_write_concurrently() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let second = Store::open(dir.path()).unwrap();

        thread::scope(|s| {
            s.spawn(|| write_as(&first, "first"));
            s.spawn(|| write_as(&second, "second"));
        });

        assert_eq!(first.list_briefings().unwrap().len(), 2 * WRITES_PER_WRITER);
        for writer in ["first", "second"] {
            let token = second.setting(writer).unwrap().unwrap();
            assert!(first.verify_token(&token).is_ok(), "{writer}");
        }
    }

    #[test]
    fn processes_opening_one_fresh_dir_at_once_agree() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("fresh");
        let writers = ["child-1", "child-2", "child-3"];
        let exe = std::env::current_exe().unwrap();

        // All children are spawned before any is waited for, so that they race to create the
        // directory, the secret and the schema.
        let children: Vec<_> = writers
            .iter()
            .map(|name| {
                Command::new(&exe)
                    .args(["--exact", "store::tests::child_writer", "--test-threads=1"])
                    .env(CHILD_DIR_VAR, &data)
                    .env(CHILD_NAME_VAR, name)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
        }

        let store = Store::open(&data).unwrap();
        assert_eq!(
            store.list_briefings().unwrap().len(),
            writers.len() * WRITES_PER_WRITER
        );
        for writer in writers {
            let token = store.setting(writer).unwrap().unwrap();
            assert!(store.verify_token(&token).is_ok(), "{writer}");
        }
    }

    /// The body of a child process of [`processes_opening_one_fresh_dir_at_once_agree`]; does
    /// nothing when run as an ordinary test.
    #[test]
    fn child_writer() {
        let (Some(dir), Some(name)) = (
            std::env::var_os(CHILD_DIR_VAR),
            std::env::var(CHILD_NAME_VAR).ok(),
        ) else {
            return;
        };
        let store = Store::open(Path::new(&dir)).unwrap();
        write_as(&store, &name);
    }
}
