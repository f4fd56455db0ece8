//! Admin access: one-time login codes and the server-side sessions that a login grants.
//!
//! The server prints a login URL with a code at first start and the CLI prints fresh ones on
//! request; whoever can read them is the operator. A code opens a session without an account,
//! enough to create the first admin account ([`crate::AdminAccount`]); an account's name and
//! password open a session under its name.
//!
//! A session is a random token in a cookie; only its SHA-256 is stored, with the account,
//! its expiry and whether it was revoked, so that a logout, a new password or disabling the
//! account ends it at once.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::ids::random_id;
use crate::secret::hex_encode;
use crate::signing;
use crate::store::now_unix;
use crate::{Store, StoreError};

/// How long an unused login code stays valid, in seconds.
pub const ADMIN_CODE_TTL_SECS: u64 = 24 * 60 * 60;

/// How long an admin session lasts from its login, in seconds.
pub const ADMIN_SESSION_TTL_SECS: u64 = 12 * 60 * 60;

/// Length of a login code: 160 random bits, beyond guessing even without rate limits.
const CODE_LEN: usize = 32;

/// Every session token starts with this, so that an invitation token given as a bearer is
/// told apart without a database read.
const SESSION_PREFIX: &str = "gbs_";

/// Random characters of a session token after its prefix: 260 bits.
const SESSION_RANDOM_LEN: usize = 52;

/// `last_seen` is written at most this often per session, in seconds: it says who is logged in,
/// and a write per request would be a write per click.
const LAST_SEEN_STEP_SECS: u64 = 60;

/// An open admin session, as the store keeps it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdminSession {
    pub id: i64,
    /// The account's name; `None` for a session opened with a one-time login code.
    pub admin: Option<String>,
    pub created_at_unix: u64,
    pub last_seen_unix: u64,
    pub expires_at_unix: u64,
}

impl Store {
    /// Creates a one-time admin login code, valid for [`ADMIN_CODE_TTL_SECS`].
    ///
    /// Only its SHA-256 is stored, so a copy of the database does not grant admin access.
    pub fn create_admin_login_code(&self) -> Result<String, StoreError> {
        self.create_admin_login_code_at(now_unix())
    }

    /// [`Store::create_admin_login_code`] at a given time.
    pub fn create_admin_login_code_at(&self, now_unix: u64) -> Result<String, StoreError> {
        let code = random_id(CODE_LEN);
        let now = to_sql(now_unix);
        let conn = self.conn();
        // Expired codes are useless; dropping them here keeps the table small.
        conn.execute(
            "DELETE FROM admin_login_codes WHERE created_at_unix <= ?1",
            [now.saturating_sub(to_sql(ADMIN_CODE_TTL_SECS))],
        )?;
        conn.execute(
            "INSERT INTO admin_login_codes (code_hash, created_at_unix) VALUES (?1, ?2)",
            params![sha256_hex(&code), now],
        )?;
        Ok(code)
    }

    /// Uses up an admin login code. `true` the first time a code created in the last
    /// [`ADMIN_CODE_TTL_SECS`] is redeemed; `false` for a used, expired or unknown code.
    pub fn redeem_admin_login_code(&self, code: &str) -> Result<bool, StoreError> {
        self.redeem_admin_login_code_at(code, now_unix())
    }

    /// [`Store::redeem_admin_login_code`] at a given time.
    pub fn redeem_admin_login_code_at(
        &self,
        code: &str,
        now_unix: u64,
    ) -> Result<bool, StoreError> {
        if code.len() > signing::MAX_TOKEN_LEN {
            return Ok(false);
        }
        let now = to_sql(now_unix);
        // One conditional UPDATE both checks and marks the code, so two processes redeeming
        // the same code at once cannot both succeed.
        let changed = self.conn().execute(
            "UPDATE admin_login_codes SET used_at_unix = ?2
             WHERE code_hash = ?1 AND used_at_unix IS NULL AND created_at_unix > ?3",
            params![
                sha256_hex(code),
                now,
                now.saturating_sub(to_sql(ADMIN_CODE_TTL_SECS))
            ],
        )?;
        Ok(changed == 1)
    }

    /// Redeems a login code and opens a session without an account: the token for the
    /// cookie, or `None` when the code is used, expired or unknown.
    pub fn open_code_session(
        &self,
        code: &str,
        now_unix: u64,
    ) -> Result<Option<String>, StoreError> {
        if !self.redeem_admin_login_code_at(code, now_unix)? {
            return Ok(None);
        }
        self.start_admin_session(None, now_unix).map(Some)
    }

    /// Whether `token` has the form of an admin session token (it may still be unknown).
    pub fn looks_like_admin_session(token: &str) -> bool {
        token.starts_with(SESSION_PREFIX)
            && token.len() == SESSION_PREFIX.len() + SESSION_RANDOM_LEN
    }

    /// The session of `token` when it is open at `now_unix`: not expired, not revoked, and its
    /// account (if any) not disabled. Never fails on bad input; only the database can fail.
    pub fn admin_session(
        &self,
        token: &str,
        now_unix: u64,
    ) -> Result<Option<AdminSession>, StoreError> {
        if !Self::looks_like_admin_session(token) {
            return Ok(None);
        }
        let now = to_sql(now_unix);
        let conn = self.conn();
        let session = conn
            .query_row(
                "SELECT s.id, a.name, s.created_at_unix, s.last_seen_unix, s.expires_at_unix
                 FROM admin_sessions s LEFT JOIN admins a ON a.id = s.admin_id
                 WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at_unix > ?2
                   AND (s.admin_id IS NULL OR a.disabled = 0)",
                params![sha256_hex(token), now],
                session_of_row,
            )
            .optional()?;
        let Some(mut session) = session else {
            return Ok(None);
        };
        if now_unix >= session.last_seen_unix.saturating_add(LAST_SEEN_STEP_SECS) {
            conn.execute(
                "UPDATE admin_sessions SET last_seen_unix = ?2 WHERE id = ?1",
                params![session.id, now],
            )?;
            session.last_seen_unix = now_unix;
        }
        Ok(Some(session))
    }

    /// Ends the session of `token` (a logout): it is refused from now on. Returns the session
    /// it ended, `None` when it was not open.
    pub fn end_admin_session(
        &self,
        token: &str,
        now_unix: u64,
    ) -> Result<Option<AdminSession>, StoreError> {
        let Some(session) = self.admin_session(token, now_unix)? else {
            return Ok(None);
        };
        self.conn().execute(
            "UPDATE admin_sessions SET revoked = 1 WHERE id = ?1",
            [session.id],
        )?;
        Ok(Some(session))
    }

    /// The sessions open at `now_unix`, the most recently seen first: who is logged in.
    pub fn open_admin_sessions(&self, now_unix: u64) -> Result<Vec<AdminSession>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT s.id, a.name, s.created_at_unix, s.last_seen_unix, s.expires_at_unix
             FROM admin_sessions s LEFT JOIN admins a ON a.id = s.admin_id
             WHERE s.revoked = 0 AND s.expires_at_unix > ?1
               AND (s.admin_id IS NULL OR a.disabled = 0)
             ORDER BY s.last_seen_unix DESC, s.id DESC",
        )?;
        let rows = stmt.query_map([to_sql(now_unix)], session_of_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Opens a session for the account `admin_id` (`None`: opened with a login code) and
    /// returns its token. Expired and revoked sessions are dropped on the way.
    pub(crate) fn start_admin_session(
        &self,
        admin_id: Option<i64>,
        now_unix: u64,
    ) -> Result<String, StoreError> {
        let token = format!("{SESSION_PREFIX}{}", random_id(SESSION_RANDOM_LEN));
        let now = to_sql(now_unix);
        let conn = self.conn();
        conn.execute(
            "DELETE FROM admin_sessions WHERE expires_at_unix <= ?1 OR revoked = 1",
            [now],
        )?;
        conn.execute(
            "INSERT INTO admin_sessions
                 (token_hash, admin_id, created_at_unix, expires_at_unix, last_seen_unix)
             VALUES (?1, ?2, ?3, ?4, ?3)",
            params![
                sha256_hex(&token),
                admin_id,
                now,
                to_sql(now_unix.saturating_add(ADMIN_SESSION_TTL_SECS))
            ],
        )?;
        Ok(token)
    }
}

fn session_of_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AdminSession> {
    Ok(AdminSession {
        id: row.get(0)?,
        admin: row.get(1)?,
        created_at_unix: from_sql(row.get(2)?),
        last_seen_unix: from_sql(row.get(3)?),
        expires_at_unix: from_sql(row.get(4)?),
    })
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex_encode(&Sha256::digest(text.as_bytes()))
}

/// SQLite integers are signed; times beyond `i64::MAX` seconds are clamped, harmlessly.
pub(crate) fn to_sql(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn from_sql(secs: i64) -> u64 {
    u64::try_from(secs).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::temp_store;

    const T0: u64 = 1_800_000_000;

    #[test]
    fn login_code_works_once() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code().unwrap();

        assert!(store.redeem_admin_login_code(&code).unwrap());
        assert!(!store.redeem_admin_login_code(&code).unwrap());
    }

    #[test]
    fn unknown_or_absurd_codes_are_refused() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code().unwrap();

        for bad in [
            "",
            "x",
            &code.to_uppercase(),
            &format!("{code} "),
            &"é".repeat(100_000),
        ] {
            assert!(!store.redeem_admin_login_code(bad).unwrap(), "{bad}");
        }
        assert!(store.redeem_admin_login_code(&code).unwrap());
    }

    #[test]
    fn login_code_expires_after_a_day() {
        let (_dir, store) = temp_store();
        let fresh = store.create_admin_login_code_at(T0).unwrap();
        let stale = store.create_admin_login_code_at(T0).unwrap();

        assert!(
            store
                .redeem_admin_login_code_at(&fresh, T0 + ADMIN_CODE_TTL_SECS - 1)
                .unwrap()
        );
        assert!(
            !store
                .redeem_admin_login_code_at(&stale, T0 + ADMIN_CODE_TTL_SECS)
                .unwrap()
        );
    }

    #[test]
    fn codes_and_sessions_are_stored_only_as_hashes() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code_at(T0).unwrap();
        let session = store.open_code_session(&code, T0).unwrap().unwrap();
        let conn = store.conn();

        let stored_code: String = conn
            .query_row("SELECT code_hash FROM admin_login_codes", [], |row| {
                row.get(0)
            })
            .unwrap();
        let stored_session: String = conn
            .query_row("SELECT token_hash FROM admin_sessions", [], |row| {
                row.get(0)
            })
            .unwrap();

        assert_eq!(stored_code, sha256_hex(&code));
        assert_eq!(stored_session, sha256_hex(&session));
        assert_ne!(stored_session, session);
    }

    #[test]
    fn a_code_session_is_open_until_it_expires() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code_at(T0).unwrap();
        let token = store.open_code_session(&code, T0).unwrap().unwrap();

        let session = store.admin_session(&token, T0).unwrap().unwrap();
        assert_eq!(session.admin, None);
        assert!(
            store
                .admin_session(&token, T0 + ADMIN_SESSION_TTL_SECS - 1)
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .admin_session(&token, T0 + ADMIN_SESSION_TTL_SECS)
                .unwrap()
                .is_none()
        );
        assert_eq!(store.open_code_session(&code, T0).unwrap(), None, "used");
    }

    #[test]
    fn a_logout_ends_the_session_at_once() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code_at(T0).unwrap();
        let token = store.open_code_session(&code, T0).unwrap().unwrap();
        let other_code = store.create_admin_login_code_at(T0).unwrap();
        let other = store.open_code_session(&other_code, T0).unwrap().unwrap();

        assert!(store.end_admin_session(&token, T0 + 1).unwrap().is_some());

        assert_eq!(store.admin_session(&token, T0 + 1).unwrap(), None);
        assert_eq!(store.end_admin_session(&token, T0 + 1).unwrap(), None);
        assert!(store.admin_session(&other, T0 + 1).unwrap().is_some());
        assert_eq!(store.open_admin_sessions(T0 + 1).unwrap().len(), 1);
    }

    #[test]
    fn last_seen_moves_by_the_minute() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code_at(T0).unwrap();
        let token = store.open_code_session(&code, T0).unwrap().unwrap();

        let soon = store.admin_session(&token, T0 + 30).unwrap().unwrap();
        let later = store.admin_session(&token, T0 + 90).unwrap().unwrap();

        assert_eq!(soon.last_seen_unix, T0);
        assert_eq!(later.last_seen_unix, T0 + 90);
        assert_eq!(
            store.open_admin_sessions(T0 + 91).unwrap()[0].last_seen_unix,
            T0 + 90
        );
    }

    #[test]
    fn altered_foreign_or_junk_sessions_are_refused() {
        let (_dir, store) = temp_store();
        let (_other_dir, other) = temp_store();
        let code = store.create_admin_login_code_at(T0).unwrap();
        let token = store.open_code_session(&code, T0).unwrap().unwrap();

        assert_eq!(
            other.admin_session(&token, T0).unwrap(),
            None,
            "other store"
        );
        for (i, _) in token.char_indices().skip(SESSION_PREFIX.len()) {
            let mut altered = token.clone();
            let replacement = if token[i..].starts_with('a') {
                "b"
            } else {
                "a"
            };
            altered.replace_range(i..=i, replacement);
            assert_eq!(
                store.admin_session(&altered, T0).unwrap(),
                None,
                "{altered}"
            );
        }
        for junk in [
            "",
            ".",
            SESSION_PREFIX,
            &"x".repeat(1 << 16),
            &"é".repeat(30),
        ] {
            assert_eq!(store.admin_session(junk, T0).unwrap(), None, "{junk}");
        }
        assert!(store.admin_session(&token, T0).unwrap().is_some());
    }
}
