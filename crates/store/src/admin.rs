//! Admin access: one-time login codes and the signed session that a redeemed code grants.
//!
//! The server prints a login URL with a code at first start and the CLI prints fresh ones on
//! request; whoever can read them is the operator. Redeeming a code gives a session token for
//! a cookie.

use rusqlite::params;
use sha2::{Digest, Sha256};

use crate::ids::random_id;
use crate::secret::hex_encode;
use crate::signing;
use crate::store::now_unix;
use crate::{Store, StoreError};

/// How long an unused login code stays valid, in seconds.
pub const ADMIN_CODE_TTL_SECS: u64 = 24 * 60 * 60;

/// How long an admin session lasts, in seconds.
pub const ADMIN_SESSION_TTL_SECS: u64 = 12 * 60 * 60;

/// Length of a login code: 160 random bits, beyond guessing even without rate limits.
const CODE_LEN: usize = 32;

/// Domain separation for admin sessions; see [`crate::signing`].
const SESSION_DOMAIN: &[u8] = b"giaoban-admin-session-v1\0";

/// Prefix of a session's payload, followed by its expiry in Unix seconds.
const SESSION_PREFIX: &str = "admin|";

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
            params![code_hash(&code), now],
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
                code_hash(code),
                now,
                now.saturating_sub(to_sql(ADMIN_CODE_TTL_SECS))
            ],
        )?;
        Ok(changed == 1)
    }

    /// A signed admin session token, valid for [`ADMIN_SESSION_TTL_SECS`] after `now_unix`.
    ///
    /// Sessions are not stored: they end by expiring, or all at once when `secret.key` is
    /// replaced.
    pub fn admin_session_token(&self, now_unix: u64) -> String {
        let expiry = now_unix.saturating_add(ADMIN_SESSION_TTL_SECS);
        let payload = format!("{SESSION_PREFIX}{expiry}");
        signing::seal(&self.secret, SESSION_DOMAIN, payload.as_bytes())
    }

    /// Whether `token` is an admin session made by this server that has not expired at
    /// `now_unix`. Never panics, whatever the input.
    pub fn verify_admin_session(&self, token: &str, now_unix: u64) -> bool {
        let Ok(payload) = signing::unseal(&self.secret, SESSION_DOMAIN, token) else {
            return false;
        };
        std::str::from_utf8(&payload)
            .ok()
            .and_then(|text| text.strip_prefix(SESSION_PREFIX))
            .and_then(|expiry| expiry.parse::<u64>().ok())
            .is_some_and(|expiry| now_unix < expiry)
    }
}

fn code_hash(code: &str) -> String {
    hex_encode(&Sha256::digest(code.as_bytes()))
}

/// SQLite integers are signed; times beyond `i64::MAX` seconds are clamped, harmlessly.
fn to_sql(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{new_briefing, temp_store};

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
    fn codes_are_stored_only_as_hashes() {
        let (_dir, store) = temp_store();
        let code = store.create_admin_login_code().unwrap();

        let stored: String = store
            .conn()
            .query_row("SELECT code_hash FROM admin_login_codes", [], |row| {
                row.get(0)
            })
            .unwrap();

        assert_ne!(stored, code);
        assert_eq!(stored, code_hash(&code));
    }

    #[test]
    fn session_is_valid_until_it_expires() {
        let (_dir, store) = temp_store();
        let token = store.admin_session_token(T0);

        assert!(store.verify_admin_session(&token, T0));
        assert!(store.verify_admin_session(&token, T0 + ADMIN_SESSION_TTL_SECS - 1));
        assert!(!store.verify_admin_session(&token, T0 + ADMIN_SESSION_TTL_SECS));
    }

    #[test]
    fn altered_or_foreign_sessions_are_refused() {
        let (_dir, store) = temp_store();
        let (_other_dir, other) = temp_store();
        let token = store.admin_session_token(T0);
        let briefing = store.create_briefing(&new_briefing("t", "A", &[])).unwrap();
        let invitation = store.token_for(&store.points(&briefing.id).unwrap()[0]);
        let later = signing::seal(&store.secret, b"giaoban-token-v1\0", b"admin|99999999999");

        assert!(!other.verify_admin_session(&token, T0), "other secret");
        assert!(
            !store.verify_admin_session(&invitation, T0),
            "invitation token"
        );
        assert!(!store.verify_admin_session(&later, T0), "invitation domain");
        assert!(
            matches!(
                store.verify_token(&token),
                Err(crate::AuthError::Forged | crate::AuthError::Malformed)
            ),
            "a session is not an invitation"
        );
        for (i, _) in token.char_indices() {
            let mut altered = token.clone();
            let replacement = if token[i..].starts_with('A') {
                "B"
            } else {
                "A"
            };
            altered.replace_range(i..=i, replacement);
            assert!(!store.verify_admin_session(&altered, T0), "{altered}");
        }
        for junk in ["", ".", "admin|9999999999", &"x".repeat(1 << 16)] {
            assert!(!store.verify_admin_session(junk, T0), "{junk}");
        }
    }
}
