//! A small key/value table for state that is not worth a table of its own, such as the base
//! URL `serve` publishes for the CLI.

use rusqlite::{OptionalExtension, params};

use crate::{Store, StoreError};

impl Store {
    /// Sets `key` to `value`, replacing any earlier value.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The value of `key`, if it was ever set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::temp_store;

    #[test]
    fn settings_are_set_replaced_and_read() {
        let (_dir, store) = temp_store();

        assert_eq!(store.setting("base_url").unwrap(), None);
        store
            .set_setting("base_url", "http://127.0.0.1:8080")
            .unwrap();
        store
            .set_setting("base_url", "https://giaoban.nghean.gov.vn")
            .unwrap();

        assert_eq!(
            store.setting("base_url").unwrap().as_deref(),
            Some("https://giaoban.nghean.gov.vn")
        );
    }
}
