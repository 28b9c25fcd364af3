//! SQLite group sessions.

use super::{optional, to_json, SqliteDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::sessions::{SessionRecord, SessionRepo};
use rusqlite::{params, Row};

pub const MIGRATIONS: &[&str] = &["CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        join_code TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        members TEXT NOT NULL,
        last_active_ms INTEGER NOT NULL
    )"];

pub struct SqliteSessions(pub SqliteDb);

const COLS: &str = "session_id, join_code, version, state, members, last_active_ms";

fn row(r: &Row) -> rusqlite::Result<(String, String, i64, String, String, i64)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn finish(
    (session_id, join_code, version, state, members, last_active_ms): (
        String,
        String,
        i64,
        String,
        String,
        i64,
    ),
) -> StorageResult<SessionRecord> {
    Ok(SessionRecord {
        session_id,
        join_code,
        version: version as u64,
        state: serde_json::from_str(&state)?,
        members: serde_json::from_str(&members)?,
        last_active_ms,
    })
}

#[async_trait::async_trait]
impl SessionRepo for SqliteSessions {
    async fn create(&self, r: SessionRecord) -> StorageResult<()> {
        let (state, members) = (to_json(&r.state)?, to_json(&r.members)?);
        self.0
            .write(move |c| {
                c.execute(
                    &format!("INSERT INTO sessions ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                    params![
                        r.session_id,
                        r.join_code,
                        r.version as i64,
                        state,
                        members,
                        r.last_active_ms
                    ],
                )
                .map_err(|e| match StorageError::from(e) {
                    StorageError::Conflict(_) => {
                        StorageError::Conflict("join code or session id in use".into())
                    }
                    other => other,
                })?;
                Ok(())
            })
            .await
    }

    async fn save(&self, r: SessionRecord) -> StorageResult<()> {
        let (state, members) = (to_json(&r.state)?, to_json(&r.members)?);
        self.0
            .write(move |c| {
                let n = c.execute(
                    "UPDATE sessions SET version = ?2, state = ?3, members = ?4, last_active_ms = ?5
                     WHERE session_id = ?1 AND version <= ?2",
                    params![r.session_id, r.version as i64, state, members, r.last_active_ms],
                )?;
                if n == 1 {
                    return Ok(());
                }
                let exists: bool = c.query_row(
                    "SELECT EXISTS(SELECT 1 FROM sessions WHERE session_id = ?1)",
                    [&r.session_id],
                    |row| row.get(0),
                )?;
                Err(if exists {
                    StorageError::Conflict("a newer session state is stored".into())
                } else {
                    StorageError::NotFound
                })
            })
            .await
    }

    async fn load(&self, session_id: &str) -> StorageResult<Option<SessionRecord>> {
        let id = session_id.to_string();
        self.0
            .read(move |c| {
                optional(c.query_row(
                    &format!("SELECT {COLS} FROM sessions WHERE session_id = ?1"),
                    [id],
                    row,
                ))?
                .map(finish)
                .transpose()
            })
            .await
    }

    async fn by_join_code(&self, join_code: &str) -> StorageResult<Option<String>> {
        let code = join_code.to_string();
        self.0
            .read(move |c| {
                optional(c.query_row(
                    "SELECT session_id FROM sessions WHERE join_code = ?1",
                    [code],
                    |r| r.get(0),
                ))
            })
            .await
    }

    async fn list(&self) -> StorageResult<Vec<SessionRecord>> {
        self.0
            .read(|c| {
                let mut stmt = c.prepare(&format!("SELECT {COLS} FROM sessions"))?;
                let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
                rows.into_iter().map(finish).collect()
            })
            .await
    }

    async fn delete(&self, session_id: &str) -> StorageResult<()> {
        let id = session_id.to_string();
        self.0
            .write(move |c| {
                c.execute("DELETE FROM sessions WHERE session_id = ?1", [id])?;
                Ok(())
            })
            .await
    }
}
