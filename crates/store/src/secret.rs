//! The server's signing secret, kept as `secret.key` in the data directory.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::Path;

use rand::RngCore;

/// File name of the secret inside the data directory.
pub(crate) const SECRET_FILE: &str = "secret.key";

/// Length of the secret in bytes.
pub(crate) const SECRET_LEN: usize = 32;

/// Reads the secret from `dir`, creating it first if it does not exist yet.
///
/// Creation is race-free between processes: the secret is written completely to a private
/// temporary file, then hard-linked to its final name, which fails if another process got there
/// first. A reader therefore never sees a half-written key, and every process ends up with the
/// same one.
pub(crate) fn load_or_create(dir: &Path) -> io::Result<[u8; SECRET_LEN]> {
    let path = dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => return parse(&text, &path),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }

    let mut secret = [0u8; SECRET_LEN];
    rand::rng().fill_bytes(&mut secret);
    let tmp = dir.join(format!(".{SECRET_FILE}.{}.tmp", crate::ids::random_id(16)));
    let written = write_private(&tmp, format!("{}\n", hex_encode(&secret)).as_bytes())
        .and_then(|()| fs::hard_link(&tmp, &path));
    // The temporary name is ours alone; failing to remove it leaves only a stray file.
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => parse(&fs::read_to_string(&path)?, &path),
        Err(e) => Err(e),
    }
}

/// Puts `secret` in `dir` in place of the one there, if any, in one atomic rename.
pub(crate) fn replace(dir: &Path, secret: &[u8; SECRET_LEN]) -> io::Result<()> {
    let path = dir.join(SECRET_FILE);
    let tmp = dir.join(format!(".{SECRET_FILE}.{}.tmp", crate::ids::random_id(16)));
    let written = write_private(&tmp, format!("{}\n", hex_encode(secret)).as_bytes())
        .and_then(|()| fs::rename(&tmp, &path));
    if written.is_err() {
        // The temporary name is ours alone; failing to remove it leaves only a stray file.
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Writes `contents` to a new file that only the owner may read.
fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn parse(text: &str, path: &Path) -> io::Result<[u8; SECRET_LEN]> {
    hex_decode(text.trim()).ok_or_else(|| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "{} must hold {} hexadecimal digits; delete it to make a new one \
                 (this invalidates every invitation link and admin session)",
                path.display(),
                SECRET_LEN * 2
            ),
        )
    })
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

pub(crate) fn hex_decode(text: &str) -> Option<[u8; SECRET_LEN]> {
    let digits = text.as_bytes();
    if digits.len() != SECRET_LEN * 2 {
        return None;
    }
    let mut out = [0u8; SECRET_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from((hi << 4) | lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();

        let first = load_or_create(dir.path()).unwrap();
        let second = load_or_create(dir.path()).unwrap();

        assert_eq!(first, second);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [SECRET_FILE], "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn secret_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();

        load_or_create(dir.path()).unwrap();

        let mode = fs::metadata(dir.path().join(SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_secret_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SECRET_FILE), "not hex\n").unwrap();

        let err = load_or_create(dir.path()).unwrap_err();

        assert_eq!(err.kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn hex_round_trips() {
        let bytes: [u8; SECRET_LEN] = std::array::from_fn(|i| (i * 37) as u8);

        assert_eq!(hex_decode(&hex_encode(&bytes)), Some(bytes));
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode(&"é".repeat(SECRET_LEN)), None);
    }
}
