//! The advisory lock on a data directory, held in `giaoban.lock`.
//!
//! Every [`Store`](crate::Store) holds it shared for as long as it is open — the server for its
//! whole run, a command such as `briefing create` for its few milliseconds — so any number of
//! them can work side by side, as SQLite allows. A restore takes it exclusively: it replaces
//! the database file under the feet of anyone who has it open, so it must be alone, and while
//! it runs nobody else may open the store. `flock(2)` locks belong to the open file, so they
//! are released when the process exits, however it exits: a crashed server leaves no stale lock.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::Path;

use crate::StoreError;

/// File name of the lock inside the data directory. It stays empty.
pub const LOCK_FILE: &str = "giaoban.lock";

/// How the data directory is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Using the store; others may use it too.
    Shared,
    /// Replacing the database; nobody else may have it open.
    Exclusive,
}

/// A held lock on a data directory, released when dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

/// Takes the lock of `dir` in `mode` without waiting, or says who holds it.
pub(crate) fn lock(dir: &Path, mode: Mode) -> Result<DirLock, StoreError> {
    let file = open(dir)?;
    if try_flock(&file, mode)? {
        return Ok(DirLock { _file: file });
    }
    let shown = dir.display();
    Err(StoreError::InUse(match mode {
        Mode::Shared => format!(
            "a restore is replacing the database in {shown}; try again when it has finished"
        ),
        Mode::Exclusive => format!(
            "the data directory {shown} is in use by a running giaoban (the server, or a \
             command); stop it first, e.g. systemctl stop giaoban"
        ),
    }))
}

/// Opens the lock file, creating it if needed.
///
/// Read access is enough for `flock(2)`. The file is made readable by all (it holds nothing)
/// so that one created by root — `giaoban restore` run with sudo, say — can still be opened by
/// the server's own user.
fn open(dir: &Path) -> io::Result<File> {
    let path = dir.join(LOCK_FILE);
    match File::open(&path) {
        Ok(file) => return Ok(file),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    drop(options.open(&path)?);
    File::open(&path)
}

/// Tries to lock `file`; `Ok(false)` when someone else holds a conflicting lock.
#[cfg(unix)]
fn try_flock(file: &File, mode: Mode) -> io::Result<bool> {
    use std::os::fd::AsRawFd;

    let operation = match mode {
        Mode::Shared => libc::LOCK_SH,
        Mode::Exclusive => libc::LOCK_EX,
    } | libc::LOCK_NB;
    loop {
        // SAFETY: `flock` only reads the descriptor, which `file` keeps open during the call.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(error),
        }
    }
}

/// Without `flock(2)` the directory is not locked; giaoban is deployed on Linux.
#[cfg(not(unix))]
fn try_flock(_file: &File, _mode: Mode) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_locks_coexist_and_exclude_an_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), Mode::Shared).unwrap();
        let second = lock(dir.path(), Mode::Shared).unwrap();

        let refused = lock(dir.path(), Mode::Exclusive).unwrap_err();

        assert!(matches!(refused, StoreError::InUse(_)), "{refused}");
        drop((first, second));
        let exclusive = lock(dir.path(), Mode::Exclusive).unwrap();
        let refused = lock(dir.path(), Mode::Shared).unwrap_err();
        assert!(refused.to_string().contains("restore"), "{refused}");
        drop(exclusive);
        lock(dir.path(), Mode::Shared).unwrap();
    }
}
