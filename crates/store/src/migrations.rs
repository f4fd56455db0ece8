//! Versioned schema migrations, tracked in SQLite's `PRAGMA user_version`.
//!
//! Migration `i` (0-based) brings the schema from version `i` to `i + 1`. Migrations are only
//! ever appended; an applied one is never edited, because existing data directories have
//! already run it.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The schema, one migration per entry.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: briefings, their invited points, settings and admin login codes.
    "
    CREATE TABLE briefings (
        id              TEXT PRIMARY KEY NOT NULL,
        title           TEXT NOT NULL,
        scheduled_start TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX briefings_by_created_at ON briefings (created_at);

    CREATE TABLE points (
        id          TEXT PRIMARY KEY NOT NULL,
        briefing_id TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('host', 'point')),
        position    INTEGER NOT NULL,
        revoked_at  TEXT NULL,
        UNIQUE (briefing_id, name)
    );
    CREATE INDEX points_by_briefing ON points (briefing_id, position);

    CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );

    CREATE TABLE admin_login_codes (
        code_hash       TEXT PRIMARY KEY NOT NULL,
        created_at_unix INTEGER NOT NULL,
        used_at_unix    INTEGER NULL
    );
    ",
    // 2: directing a briefing: the lock, attendance sessions, roll-call answers and the floor
    // log. Times are Unix milliseconds. AUTOINCREMENT keeps a session or grant id from being
    // reused after its briefing is deleted, so a stale id can never end someone else's row.
    "
    ALTER TABLE briefings ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1));

    CREATE TABLE attendance_sessions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        point_id     TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        joined_at_ms INTEGER NOT NULL,
        left_at_ms   INTEGER NULL CHECK (left_at_ms >= joined_at_ms),
        avg_rtt_ms   REAL NULL,
        avg_loss     REAL NULL,
        CHECK ((avg_rtt_ms IS NULL) = (avg_loss IS NULL))
    );
    CREATE INDEX attendance_sessions_by_point ON attendance_sessions (point_id, joined_at_ms);
    CREATE INDEX attendance_sessions_open ON attendance_sessions (id) WHERE left_at_ms IS NULL;

    CREATE TABLE roll_call_answers (
        point_id       TEXT PRIMARY KEY NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        status         TEXT NOT NULL CHECK (status IN ('present', 'substitute', 'absent')),
        substitute     TEXT NULL,
        reason         TEXT NULL,
        answered_at_ms INTEGER NOT NULL
    );

    CREATE TABLE floor_grants (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        point_id      TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        granted_at_ms INTEGER NOT NULL,
        seconds_limit INTEGER NULL,
        ended_at_ms   INTEGER NULL CHECK (ended_at_ms >= granted_at_ms),
        end_reason    TEXT NULL,
        CHECK ((ended_at_ms IS NULL) = (end_reason IS NULL))
    );
    CREATE INDEX floor_grants_by_point ON floor_grants (point_id, granted_at_ms);
    CREATE INDEX floor_grants_open ON floor_grants (id) WHERE ended_at_ms IS NULL;
    ",
    // 3: units (the province's organisation tree) with their official mailboxes, and the unit
    // a point stands for. The parent key is checked at commit, so that an import may insert a
    // child before its parent; units are never deleted while a point names them.
    "
    CREATE TABLE units (
        code        TEXT PRIMARY KEY NOT NULL,
        name        TEXT NOT NULL,
        parent_code TEXT NULL REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        CHECK (parent_code IS NULL OR parent_code <> code)
    );
    CREATE INDEX units_by_parent ON units (parent_code, code);

    CREATE TABLE unit_emails (
        unit_code TEXT NOT NULL REFERENCES units (code) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        address   TEXT NOT NULL,
        PRIMARY KEY (unit_code, position)
    ) WITHOUT ROWID;

    ALTER TABLE points ADD COLUMN unit_code TEXT NULL REFERENCES units (code);
    CREATE INDEX points_by_unit ON points (unit_code) WHERE unit_code IS NOT NULL;
    ",
    // 4: official mail sent to the units of a briefing, one row per message and recipient
    // address. A reminder goes to an address once per point, whatever restarts happen in
    // between: the partial unique index makes a second insert a no-op.
    "
    CREATE TABLE mail_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        point_id    TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        address     TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder', 'minutes')),
        status      TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_error  TEXT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX mail_log_by_briefing ON mail_log (briefing_id, id);
    CREATE INDEX mail_log_queued ON mail_log (id) WHERE status = 'queued';
    CREATE UNIQUE INDEX mail_log_one_reminder ON mail_log (point_id, address)
        WHERE kind = 'reminder';
    ",
    // 5: the substance of a briefing. A series ties periodic briefings together so that open
    // tasks follow to the next one; the report deadline decides which unit reports are late.
    // Agenda items, documents (content kept in the database, so that a backup of one file
    // holds everything), unit reports with their indicators, concerns and proposals,
    // conclusions, tasks with their owner units and progress reports. Times are RFC 3339 in
    // UTC, deadlines of tasks are dates (`YYYY-MM-DD`).
    "
    ALTER TABLE briefings ADD COLUMN series TEXT NULL;
    ALTER TABLE briefings ADD COLUMN report_deadline TEXT NULL;
    CREATE INDEX briefings_by_series ON briefings (series, scheduled_start)
        WHERE series IS NOT NULL;

    CREATE TABLE agenda_items (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id      TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        position         INTEGER NOT NULL,
        title            TEXT NOT NULL,
        presenter        TEXT NULL,
        duration_minutes INTEGER NULL CHECK (duration_minutes > 0)
    );
    CREATE INDEX agenda_items_by_briefing ON agenda_items (briefing_id, position);

    CREATE TABLE reports (
        point_id     TEXT PRIMARY KEY NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        narrative    TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );

    CREATE TABLE report_indicators (
        point_id TEXT NOT NULL REFERENCES reports (point_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name     TEXT NOT NULL,
        measure  TEXT NOT NULL,
        value    REAL NOT NULL,
        plan     REAL NULL,
        PRIMARY KEY (point_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE concerns (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id    TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        point_id       TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        agenda_item_id INTEGER NULL REFERENCES agenda_items (id) ON DELETE SET NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('concern', 'proposal')),
        text           TEXT NOT NULL,
        raised_at      TEXT NOT NULL,
        answer         TEXT NULL,
        answered_at    TEXT NULL,
        CHECK ((answer IS NULL) = (answered_at IS NULL))
    );
    CREATE INDEX concerns_by_briefing ON concerns (briefing_id, id);

    CREATE TABLE conclusions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        text        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX conclusions_by_briefing ON conclusions (briefing_id, id);

    CREATE TABLE tasks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        concern_id  INTEGER NULL REFERENCES concerns (id) ON DELETE SET NULL,
        text        TEXT NOT NULL,
        deadline    TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
        done_at     TEXT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        CHECK ((status = 'done') = (done_at IS NOT NULL))
    );
    CREATE INDEX tasks_by_briefing ON tasks (briefing_id, id);

    CREATE TABLE task_owners (
        task_id   INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        unit_code TEXT NOT NULL REFERENCES units (code),
        PRIMARY KEY (task_id, position),
        UNIQUE (task_id, unit_code)
    ) WITHOUT ROWID;
    CREATE INDEX task_owners_by_unit ON task_owners (unit_code);

    CREATE TABLE task_progress (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        point_id   TEXT NULL REFERENCES points (id) ON DELETE SET NULL,
        unit_code  TEXT NULL REFERENCES units (code),
        status     TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
        note       TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX task_progress_by_task ON task_progress (task_id, id);

    CREATE TABLE documents (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id    TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        agenda_item_id INTEGER NULL REFERENCES agenda_items (id) ON DELETE SET NULL,
        task_id        INTEGER NULL REFERENCES tasks (id) ON DELETE CASCADE,
        uploaded_by    TEXT NULL REFERENCES points (id) ON DELETE SET NULL,
        file_name      TEXT NOT NULL,
        content_type   TEXT NOT NULL,
        size           INTEGER NOT NULL CHECK (size >= 0),
        sha256         TEXT NOT NULL,
        content        BLOB NOT NULL,
        created_at     TEXT NOT NULL
    );
    CREATE INDEX documents_by_briefing ON documents (briefing_id, id);
    CREATE INDEX documents_by_task ON documents (task_id) WHERE task_id IS NOT NULL;
    ",
    // 6: what the host writes on the minutes beyond what the briefing recorded: the document
    // number, the place, who chaired and who kept them. A missing row or a NULL field means
    // none given, and the minutes fall back to what they print without it.
    "
    CREATE TABLE minutes_details (
        briefing_id TEXT PRIMARY KEY NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        number      TEXT NULL,
        place       TEXT NULL,
        chair       TEXT NULL,
        secretary   TEXT NULL,
        updated_at  TEXT NOT NULL
    );
    ",
    // 7: a session counts the connections that share it. A point whose network drops opens a
    // new connection before the server notices the old one is gone, or comes back within a
    // short gap: both continue the same session, which ends when its last connection does.
    "
    ALTER TABLE attendance_sessions ADD COLUMN connections INTEGER NOT NULL DEFAULT 1;
    ",
    // 8: when the briefing's latest roll-call started. A point that was connected but did not
    // answer is "connected, no answer" only if a roll-call was held; NULL means none was (or,
    // in a database from before this column, that the answers stored tell).
    "
    ALTER TABLE briefings ADD COLUMN roll_call_started_at_ms INTEGER NULL;
    ",
    // 9: a report may be a draft, saved but not submitted, which nothing counts. Reports
    // stored before were all submitted.
    "
    ALTER TABLE reports ADD COLUMN draft INTEGER NOT NULL DEFAULT 0;
    ",
    // 10: the host's indicator set of a briefing: what the units report for the period, how
    // the province's figure is made, and each unit's plan.
    "
    CREATE TABLE briefing_indicators (
        briefing_id TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        measure     TEXT NOT NULL,
        aggregate   TEXT NOT NULL CHECK (aggregate IN ('sum', 'mean')),
        PRIMARY KEY (briefing_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE briefing_indicator_plans (
        briefing_id TEXT NOT NULL,
        position    INTEGER NOT NULL,
        unit_code   TEXT NOT NULL,
        plan        REAL NOT NULL CHECK (plan > 0),
        PRIMARY KEY (briefing_id, position, unit_code),
        FOREIGN KEY (briefing_id, position)
            REFERENCES briefing_indicators (briefing_id, position) ON DELETE CASCADE
    ) WITHOUT ROWID;
    ",
    // 11: written comments ("ý kiến bằng văn bản") that points send during a live briefing,
    // with the host's answer and the concern made from one. Times are Unix milliseconds, like
    // the other live records. A concern comes from at most one comment.
    "
    CREATE TABLE comments (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id    TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        point_id       TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        text           TEXT NOT NULL,
        to_all         INTEGER NOT NULL CHECK (to_all IN (0, 1)),
        created_at_ms  INTEGER NOT NULL,
        pinned         INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
        answer         TEXT NULL,
        answered_at_ms INTEGER NULL,
        concern_id     INTEGER NULL REFERENCES concerns (id) ON DELETE SET NULL,
        CHECK ((answer IS NULL) = (answered_at_ms IS NULL))
    );
    CREATE INDEX comments_by_briefing ON comments (briefing_id, id);
    CREATE INDEX comments_by_point ON comments (point_id);
    CREATE UNIQUE INDEX comments_by_concern ON comments (concern_id)
        WHERE concern_id IS NOT NULL;
    ",
    // 12: screen presentations, for the minutes to say who presented and when. Like the floor
    // log: times are Unix milliseconds, and an end comes with its reason.
    "
    CREATE TABLE presentations (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id   TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        point_id      TEXT NOT NULL REFERENCES points (id) ON DELETE CASCADE,
        started_at_ms INTEGER NOT NULL,
        ended_at_ms   INTEGER NULL CHECK (ended_at_ms >= started_at_ms),
        end_reason    TEXT NULL,
        CHECK ((ended_at_ms IS NULL) = (end_reason IS NULL))
    );
    CREATE INDEX presentations_by_briefing ON presentations (briefing_id, started_at_ms);
    CREATE INDEX presentations_by_point ON presentations (point_id);
    CREATE INDEX presentations_open ON presentations (id) WHERE ended_at_ms IS NULL;
    ",
    // 13: admin accounts with argon2id password hashes, server-side admin sessions (only the
    // SHA-256 of a session's token is stored; a session without an admin was opened with a
    // one-time login code) and the audit log of admin and host actions. The audit log keeps
    // the briefing id as text, not a reference, so that deleting a briefing keeps its record.
    "
    CREATE TABLE admins (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash   TEXT NOT NULL,
        created_at_unix INTEGER NOT NULL,
        disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
    );
    CREATE TABLE admin_sessions (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash      TEXT NOT NULL UNIQUE,
        admin_id        INTEGER NULL REFERENCES admins (id) ON DELETE CASCADE,
        created_at_unix INTEGER NOT NULL,
        expires_at_unix INTEGER NOT NULL,
        last_seen_unix  INTEGER NOT NULL,
        revoked         INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
    );
    CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_id);
    CREATE INDEX admin_sessions_by_expiry ON admin_sessions (expires_at_unix);
    CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms       INTEGER NOT NULL,
        actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('admin', 'host', 'system')),
        actor_name  TEXT NULL,
        briefing_id TEXT NULL,
        action      TEXT NOT NULL,
        details     TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_time ON audit_log (at_ms);
    CREATE INDEX audit_log_by_briefing ON audit_log (briefing_id, at_ms);
    ",
    // 14: the secretary's note of what a point said while it held the floor, printed in the
    // "Nội dung" column of the minutes' speeches.
    "
    ALTER TABLE floor_grants ADD COLUMN note TEXT NULL;
    ",
    // 15: recordings ("ghi hình"): one row per start..stop, its files (one per point and
    // stretch of video, the stage track and the archive copy) under a directory of its own.
    // A recording still open at start was interrupted by a crash; its files are recovered.
    "
    CREATE TABLE recordings (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        briefing_id    TEXT NOT NULL REFERENCES briefings (id) ON DELETE CASCADE,
        dir            TEXT NOT NULL UNIQUE,
        started_at_ms  INTEGER NOT NULL,
        started_by     TEXT NULL,
        ended_at_ms    INTEGER NULL CHECK (ended_at_ms >= started_at_ms),
        end_reason     TEXT NULL,
        archive_status TEXT NOT NULL DEFAULT 'none'
                       CHECK (archive_status IN ('none', 'pending', 'ready', 'failed')),
        archive_error  TEXT NULL,
        CHECK ((ended_at_ms IS NULL) = (end_reason IS NULL))
    );
    CREATE INDEX recordings_by_briefing ON recordings (briefing_id, started_at_ms);
    CREATE UNIQUE INDEX recordings_running ON recordings (briefing_id) WHERE ended_at_ms IS NULL;
    CREATE TABLE recording_files (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        recording_id  INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
        kind          TEXT NOT NULL CHECK (kind IN ('point', 'screen', 'stage', 'archive')),
        point_name    TEXT NULL,
        name          TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        duration_ms   INTEGER NULL,
        bytes         INTEGER NULL,
        has_video     INTEGER NOT NULL CHECK (has_video IN (0, 1)),
        status        TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'closed', 'recovered', 'empty')),
        UNIQUE (recording_id, name)
    );
    CREATE INDEX recording_files_by_recording ON recording_files (recording_id, started_at_ms);
    ",
    // 16: upload quotas count a point's documents in a briefing: look them up by uploader.
    // (Deleted documents give their pages back to the file system: see
    // `ensure_incremental_vacuum`, which runs after the migrations because VACUUM cannot run
    // inside their transactions.)
    "
    CREATE INDEX documents_by_uploader ON documents (uploaded_by) WHERE uploaded_by IS NOT NULL;
    ",
];

/// Applies every migration the database has not seen yet, each in its own transaction.
///
/// Safe when several processes open the same fresh database at once: each step takes SQLite's
/// write lock (`BEGIN IMMEDIATE`) before reading `user_version`, so exactly one process applies
/// a given step and the others see it done.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let supported = schema_version(MIGRATIONS.len());
    // Before the first table of a new database, where it takes effect without a rewrite.
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
    for (step, sql) in MIGRATIONS.iter().enumerate() {
        let target = schema_version(step + 1);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if found > supported {
            return Err(StoreError::SchemaTooNew { found, supported });
        }
        if found >= target {
            continue;
        }
        tx.execute_batch(sql)?;
        // PRAGMA takes no bound parameters; `target` is a number we computed.
        tx.execute_batch(&format!("PRAGMA user_version = {target}"))?;
        tx.commit()?;
    }
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    ensure_incremental_vacuum(conn)
}

/// Gives the free pages of the database back to the file system (`auto_vacuum =
/// INCREMENTAL`). The pragma frees a page per step, so it is stepped to the end.
pub(crate) fn incremental_vacuum(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// `PRAGMA auto_vacuum` of a database whose free pages can be given back with
/// `PRAGMA incremental_vacuum`.
const INCREMENTAL: i64 = 2;

/// Sets `auto_vacuum = INCREMENTAL`, so that the pages of deleted rows (documents, above all)
/// can be given back to the file system instead of staying in the file.
///
/// A database created before has `auto_vacuum = NONE`, which only a full `VACUUM` can change:
/// it rewrites the file once, in a transaction of its own (a crash during it leaves the old
/// file), and needs as much free space as the database takes for a while. A new database
/// takes the setting before its first table is created, without a rewrite. Several processes
/// opening the same database at once wait for each other's `VACUUM` (the busy timeout), and
/// only the first one rewrites it.
pub(crate) fn ensure_incremental_vacuum(conn: &Connection) -> Result<(), StoreError> {
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |row| row.get(0))?;
    if mode == INCREMENTAL {
        return Ok(());
    }
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |row| row.get(0))?;
    if mode != INCREMENTAL {
        conn.execute_batch("VACUUM")?;
    }
    Ok(())
}

fn schema_version(n: usize) -> i64 {
    i64::try_from(n).expect("the number of migrations fits in an i64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_bring_a_fresh_database_to_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();

        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();

        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, schema_version(MIGRATIONS.len()));
    }

    #[test]
    fn a_version_1_database_keeps_its_briefings_unlocked() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO briefings (id, title, scheduled_start, created_at)
             VALUES ('b', 'Giao ban', '2026-12-01T08:00:00+07:00', '2026-11-30T01:00:00Z');",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let locked: bool = conn
            .query_row("SELECT locked FROM briefings WHERE id = 'b'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert!(!locked);
    }

    #[test]
    fn a_version_2_database_keeps_its_points_without_a_unit() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO briefings (id, title, scheduled_start, created_at)
             VALUES ('b', 'Giao ban', '2026-12-01T08:00:00+07:00', '2026-11-30T01:00:00Z');
             INSERT INTO points (id, briefing_id, name, role, position)
             VALUES ('p', 'b', 'UBND thị xã Cửa Lò', 'point', 1);",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let unit: Option<String> = conn
            .query_row("SELECT unit_code FROM points WHERE id = 'p'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(unit, None);
    }

    #[test]
    fn a_version_5_database_keeps_its_briefings_without_minutes_details() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 5;
             INSERT INTO briefings (id, title, scheduled_start, created_at)
             VALUES ('b', 'Giao ban', '2026-12-01T08:00:00+07:00', '2026-11-30T01:00:00Z');",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let details: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM minutes_details WHERE briefing_id = 'b'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(details, 0);
    }

    fn auto_vacuum(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA auto_vacuum", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_new_database_gives_freed_pages_back_without_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("a.sqlite3")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();

        migrate(&mut conn).unwrap();

        assert_eq!(auto_vacuum(&conn), INCREMENTAL);
    }

    #[test]
    fn an_older_database_is_rewritten_once_for_incremental_vacuum_and_keeps_its_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        for sql in &MIGRATIONS[..15] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 15;
             INSERT INTO briefings (id, title, scheduled_start, created_at)
             VALUES ('b', 'Giao ban', '2026-12-01T08:00:00+07:00', '2026-11-30T01:00:00Z');
             INSERT INTO documents (briefing_id, file_name, content_type, size, sha256, content,
                                    created_at)
             VALUES ('b', 'a.pdf', 'application/pdf', 300000, 'x', zeroblob(300000),
                     '2026-11-30T01:00:00Z');",
        )
        .unwrap();
        assert_eq!(auto_vacuum(&conn), 0);

        migrate(&mut conn).unwrap();

        assert_eq!(auto_vacuum(&conn), INCREMENTAL);
        let kept: i64 = conn
            .query_row("SELECT length(content) FROM documents", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(kept, 300_000);
        let pages = |conn: &Connection| -> i64 {
            conn.query_row("PRAGMA page_count", [], |row| row.get(0))
                .unwrap()
        };
        let before = pages(&conn);
        conn.execute_batch("DELETE FROM documents").unwrap();
        incremental_vacuum(&conn).unwrap();
        assert!(
            pages(&conn) + 60 < before,
            "{} pages after, {before} before",
            pages(&conn)
        );
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();

        let err = migrate(&mut conn).unwrap_err();

        assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }));
    }
}
