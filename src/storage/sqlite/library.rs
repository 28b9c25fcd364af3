//! SQLite library: saved tracks and albums, followed artists and users.

use super::SqliteDb;
use crate::error::StorageResult;
use crate::storage::library::{LibraryRepo, Saved, SavedKind};
use rusqlite::params;

pub const MIGRATIONS: &[&str] = &["CREATE TABLE library (
        user_id TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT NOT NULL,
        added_at_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, kind, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX library_by_time ON library (user_id, kind, added_at_ms DESC, item_id DESC)"];

pub struct SqliteLibrary(pub SqliteDb);

#[async_trait::async_trait]
impl LibraryRepo for SqliteLibrary {
    async fn save(
        &self,
        user: &str,
        kind: SavedKind,
        ids: Vec<String>,
        at_ms: i64,
    ) -> StorageResult<()> {
        let user = user.to_string();
        self.0
            .write(move |c| {
                let mut stmt = c.prepare_cached(
                    "INSERT OR IGNORE INTO library (user_id, kind, item_id, added_at_ms) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for id in ids {
                    stmt.execute(params![user, kind.as_str(), id, at_ms])?;
                }
                Ok(())
            })
            .await
    }

    async fn unsave(&self, user: &str, kind: SavedKind, ids: Vec<String>) -> StorageResult<()> {
        let user = user.to_string();
        self.0
            .write(move |c| {
                let mut stmt = c.prepare_cached(
                    "DELETE FROM library WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3",
                )?;
                for id in ids {
                    stmt.execute(params![user, kind.as_str(), id])?;
                }
                Ok(())
            })
            .await
    }

    async fn contains(
        &self,
        user: &str,
        kind: SavedKind,
        ids: Vec<String>,
    ) -> StorageResult<Vec<bool>> {
        let user = user.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM library WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3)",
                )?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(stmt.query_row(params![user, kind.as_str(), id], |r| r.get::<_, bool>(0))?);
                }
                Ok(out)
            })
            .await
    }

    async fn list(
        &self,
        user: &str,
        kind: SavedKind,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<Saved>> {
        let user = user.to_string();
        self.0
            .read(move |c| {
                let (at, id) = before.unwrap_or((i64::MAX, String::new()));
                let mut stmt = c.prepare_cached(
                    "SELECT item_id, added_at_ms FROM library
                     WHERE user_id = ?1 AND kind = ?2
                       AND (added_at_ms < ?3 OR (added_at_ms = ?3 AND (?4 = '' OR item_id < ?4)))
                     ORDER BY added_at_ms DESC, item_id DESC LIMIT ?5",
                )?;
                let rows = stmt.query_map(params![user, kind.as_str(), at, id, limit], |r| {
                    Ok(Saved {
                        id: r.get(0)?,
                        added_at_ms: r.get(1)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn count(&self, user: &str, kind: SavedKind) -> StorageResult<u64> {
        let user = user.to_string();
        self.0
            .read(move |c| {
                let n: i64 = c.query_row(
                    "SELECT COUNT(*) FROM library WHERE user_id = ?1 AND kind = ?2",
                    params![user, kind.as_str()],
                    |r| r.get(0),
                )?;
                Ok(n as u64)
            })
            .await
    }
}
