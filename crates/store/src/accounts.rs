//! Admin accounts: a unique name and an argon2id password hash (RFC 9106), each able to log in
//! on its own, to be disabled, and to have its password replaced. See [`crate::admin`] for the
//! sessions a login opens.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use giaoban_model::{Field, Problem, ProblemCode};
use rand::RngCore;
use rusqlite::{OptionalExtension, params};

use crate::admin::to_sql;
use crate::schedule::utc_from_unix_ms;
use crate::store::now_unix;
use crate::text::check_line;
use crate::{Store, StoreError};

/// Longest admin name, in characters.
pub const MAX_ADMIN_NAME_CHARS: usize = 64;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in bytes: argon2 takes any length, but hashing megabytes on request is a
/// way to tie the server up.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An admin account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdminAccount {
    pub id: i64,
    pub name: String,
    /// When it was created, RFC 3339 in UTC.
    pub created_at: String,
    pub disabled: bool,
}

/// Why a login with a name and password was refused. The person is told only that the pair
/// is wrong; the audit log keeps which.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    UnknownName,
    WrongPassword,
    Disabled,
}

impl LoginRefusal {
    /// A stable code for the audit log.
    pub fn code(self) -> &'static str {
        match self {
            LoginRefusal::UnknownName => "unknown_name",
            LoginRefusal::WrongPassword => "wrong_password",
            LoginRefusal::Disabled => "disabled",
        }
    }
}

impl Store {
    /// Creates an admin account. [`StoreError::Conflict`] when the name (compared without
    /// regard to ASCII case) is taken; [`StoreError::Invalid`] for a bad name or password.
    pub fn create_admin(&self, name: &str, password: &str) -> Result<AdminAccount, StoreError> {
        let name = valid_name(name)?;
        let hash = hash_password(password)?;
        let now = to_sql(now_unix());
        let conn = self.conn();
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM admins WHERE name = ?1)",
            [name],
            |row| row.get(0),
        )?;
        if taken {
            return Err(StoreError::Conflict(
                Problem::new(ProblemCode::AlreadyExists)
                    .at(Field::Name)
                    .with("value", name),
            ));
        }
        conn.execute(
            "INSERT INTO admins (name, password_hash, created_at_unix) VALUES (?1, ?2, ?3)",
            params![name, hash, now],
        )?;
        let id = conn.last_insert_rowid();
        drop(conn);
        self.admin_by_id(id)
    }

    /// Every admin account, by name.
    pub fn admins(&self) -> Result<Vec<AdminAccount>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, created_at_unix, disabled FROM admins ORDER BY name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], account_of_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The account named `name`, if any.
    pub fn admin_named(&self, name: &str) -> Result<Option<AdminAccount>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name, created_at_unix, disabled FROM admins WHERE name = ?1",
                [name.trim()],
                account_of_row,
            )
            .optional()?)
    }

    /// Replaces the password of `name`, and ends the account's sessions: whoever knew the old
    /// one is logged out.
    pub fn set_admin_password(&self, name: &str, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE admins SET password_hash = ?2 WHERE name = ?1",
            params![name.trim(), hash],
        )?;
        if changed == 0 {
            return Err(no_admin(name));
        }
        conn.execute(
            "UPDATE admin_sessions SET revoked = 1
             WHERE admin_id = (SELECT id FROM admins WHERE name = ?1)",
            [name.trim()],
        )?;
        Ok(())
    }

    /// Disables (or enables again) the account `name`. Disabling ends its sessions at once.
    pub fn set_admin_disabled(
        &self,
        name: &str,
        disabled: bool,
    ) -> Result<AdminAccount, StoreError> {
        let account = self.admin_named(name)?.ok_or_else(|| no_admin(name))?;
        let conn = self.conn();
        conn.execute(
            "UPDATE admins SET disabled = ?2 WHERE id = ?1",
            params![account.id, disabled],
        )?;
        if disabled {
            conn.execute(
                "UPDATE admin_sessions SET revoked = 1 WHERE admin_id = ?1",
                [account.id],
            )?;
        }
        Ok(AdminAccount {
            disabled,
            ..account
        })
    }

    /// Checks `name` and `password` and opens a session for the account: its token and the
    /// account, or why not. The password is hashed whatever the name, so that the time taken
    /// does not tell whether a name exists.
    pub fn login_admin(
        &self,
        name: &str,
        password: &str,
        now_unix: u64,
    ) -> Result<Result<(String, AdminAccount), LoginRefusal>, StoreError> {
        let found: Option<(AdminAccount, String)> = if name.len() > 4 * MAX_ADMIN_NAME_CHARS {
            None
        } else {
            self.conn()
                .query_row(
                    "SELECT id, name, created_at_unix, disabled, password_hash
                     FROM admins WHERE name = ?1",
                    [name.trim()],
                    |row| Ok((account_of_row(row)?, row.get(4)?)),
                )
                .optional()?
        };
        // The connection is not held while hashing: that takes tens of milliseconds.
        let Some((account, hash)) = found else {
            verify_password(password, dummy_hash());
            return Ok(Err(LoginRefusal::UnknownName));
        };
        if !verify_password(password, &hash) {
            return Ok(Err(LoginRefusal::WrongPassword));
        }
        if account.disabled {
            return Ok(Err(LoginRefusal::Disabled));
        }
        let token = self.start_admin_session(Some(account.id), now_unix)?;
        Ok(Ok((token, account)))
    }

    fn admin_by_id(&self, id: i64) -> Result<AdminAccount, StoreError> {
        Ok(self.conn().query_row(
            "SELECT id, name, created_at_unix, disabled FROM admins WHERE id = ?1",
            [id],
            account_of_row,
        )?)
    }
}

/// The argon2id hash of `password` in PHC string form, with a fresh random salt and the
/// crate's default cost (19 MiB, 2 passes, 1 lane: OWASP's recommendation).
fn hash_password(password: &str) -> Result<String, StoreError> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let not_hashed = |e: argon2::password_hash::Error| {
        StoreError::Invalid(
            Problem::new(ProblemCode::Invalid)
                .at(Field::Password)
                .with("detail", format!("the password could not be hashed: {e}")),
        )
    };
    let salt = SaltString::encode_b64(&salt).map_err(not_hashed)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(not_hashed)
}

/// Whether `password` matches the PHC string `hash`; `false` for a hash that does not parse.
fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to check passwords against when the name is unknown, made once.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("not the password of anybody").unwrap_or_default())
}

fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooShort)
                .at(Field::Password)
                .with("min", MIN_PASSWORD_CHARS),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooManyBytes)
                .at(Field::Password)
                .with("max", MAX_PASSWORD_BYTES),
        ));
    }
    Ok(())
}

fn valid_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::text::empty(Field::Name));
    }
    check_line(Field::Name, name, MAX_ADMIN_NAME_CHARS)?;
    Ok(name)
}

fn no_admin(name: &str) -> StoreError {
    StoreError::NotFound(Problem::new(ProblemCode::NoSuchAdmin).with("value", name.trim()))
}

fn account_of_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AdminAccount> {
    let created: i64 = row.get(2)?;
    Ok(AdminAccount {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: utc_from_unix_ms(created.saturating_mul(1000)).unwrap_or_default(),
        disabled: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{invalid, temp_store};

    const T0: u64 = 1_800_000_000;
    const PASSWORD: &str = "mật khẩu đủ dài";

    #[test]
    fn the_right_password_opens_a_session_under_the_admin_name() {
        let (_dir, store) = temp_store();
        store.create_admin("Nguyễn Văn An", PASSWORD).unwrap();

        let (token, account) = store
            .login_admin(" Nguyễn Văn An ", PASSWORD, T0)
            .unwrap()
            .unwrap();

        assert_eq!(account.name, "Nguyễn Văn An");
        let session = store.admin_session(&token, T0).unwrap().unwrap();
        assert_eq!(session.admin.as_deref(), Some("Nguyễn Văn An"));
    }

    #[test]
    fn the_hash_is_argon2id_and_not_the_password() {
        let (_dir, store) = temp_store();
        store.create_admin("an", PASSWORD).unwrap();

        let hash: String = store
            .conn()
            .query_row("SELECT password_hash FROM admins", [], |row| row.get(0))
            .unwrap();

        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
        assert!(verify_password(PASSWORD, &hash));
        assert!(!verify_password("mật khẩu đủ dài!", &hash));
    }

    #[test]
    fn a_wrong_password_or_unknown_name_is_refused() {
        let (_dir, store) = temp_store();
        store.create_admin("an", PASSWORD).unwrap();

        let wrong = store.login_admin("an", "mật khẩu sai rồi", T0).unwrap();
        let unknown = store.login_admin("bình", PASSWORD, T0).unwrap();
        let huge = store
            .login_admin(&"x".repeat(100_000), PASSWORD, T0)
            .unwrap();
        let huge_password = store.login_admin("an", &"x".repeat(100_000), T0).unwrap();

        assert_eq!(wrong, Err(LoginRefusal::WrongPassword));
        assert_eq!(unknown, Err(LoginRefusal::UnknownName));
        assert_eq!(huge, Err(LoginRefusal::UnknownName));
        assert_eq!(huge_password, Err(LoginRefusal::WrongPassword));
        assert!(store.open_admin_sessions(T0).unwrap().is_empty());
    }

    #[test]
    fn a_disabled_admin_cannot_log_in_and_is_logged_out_at_once() {
        let (_dir, store) = temp_store();
        store.create_admin("an", PASSWORD).unwrap();
        let (token, _) = store.login_admin("an", PASSWORD, T0).unwrap().unwrap();

        let account = store.set_admin_disabled("an", true).unwrap();

        assert!(account.disabled);
        assert_eq!(store.admin_session(&token, T0).unwrap(), None);
        assert_eq!(
            store.login_admin("an", PASSWORD, T0).unwrap(),
            Err(LoginRefusal::Disabled)
        );
        store.set_admin_disabled("an", false).unwrap();
        assert_eq!(
            store.admin_session(&token, T0).unwrap(),
            None,
            "stays ended"
        );
        assert!(store.login_admin("an", PASSWORD, T0).unwrap().is_ok());
    }

    #[test]
    fn a_new_password_replaces_the_old_and_ends_the_sessions() {
        let (_dir, store) = temp_store();
        store.create_admin("an", PASSWORD).unwrap();
        let (token, _) = store.login_admin("an", PASSWORD, T0).unwrap().unwrap();

        store.set_admin_password("an", "một mật khẩu mới").unwrap();

        assert_eq!(store.admin_session(&token, T0).unwrap(), None);
        assert_eq!(
            store.login_admin("an", PASSWORD, T0).unwrap(),
            Err(LoginRefusal::WrongPassword)
        );
        assert!(
            store
                .login_admin("an", "một mật khẩu mới", T0)
                .unwrap()
                .is_ok()
        );
        assert!(matches!(
            store.set_admin_password("bình", PASSWORD),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn names_are_unique_checked_and_passwords_long_enough() {
        let (_dir, store) = temp_store();
        store.create_admin("An", PASSWORD).unwrap();

        assert!(matches!(
            store.create_admin("an", PASSWORD),
            Err(StoreError::Conflict(_))
        ));
        assert!(invalid(store.create_admin("bình", "ngắn")).contains("at least 8"));
        assert!(invalid(store.create_admin("  ", PASSWORD)).contains("empty"));
        assert!(invalid(store.create_admin("a\nb", PASSWORD)).contains("control"));
        assert!(invalid(store.create_admin(&"x".repeat(65), PASSWORD)).contains("at most 64"));
        let names: Vec<_> = store
            .admins()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["An"]);
    }

    #[test]
    fn sessions_of_several_admins_are_told_apart() {
        let (_dir, store) = temp_store();
        store.create_admin("an", PASSWORD).unwrap();
        store.create_admin("bình", PASSWORD).unwrap();
        let (a, _) = store.login_admin("an", PASSWORD, T0).unwrap().unwrap();
        let (b, _) = store
            .login_admin("bình", PASSWORD, T0 + 5)
            .unwrap()
            .unwrap();

        store.end_admin_session(&a, T0 + 6).unwrap();

        let open = store.open_admin_sessions(T0 + 6).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].admin.as_deref(), Some("bình"));
        assert!(store.admin_session(&b, T0 + 6).unwrap().is_some());
    }
}
