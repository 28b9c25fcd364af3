//! CQL library: saved items per user and kind, newest first (`library_items`), and the
//! membership index that keeps the first save's time (`library_index`, written by
//! `INSERT ... IF NOT EXISTS`).

use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::library::{LibraryRepo, Saved, SavedKind};
use scylla::value::CqlValue;

pub struct ScyllaLibrary {
    db: ScyllaDb,
    claim: Prepared,
    add_item: Prepared,
    index_of: Prepared,
    index_of_serial: Prepared,
    remove_item: Prepared,
    remove_index: Prepared,
    contains: Prepared,
    list_first: Prepared,
    list_before: Prepared,
    count: Prepared,
}

impl ScyllaLibrary {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaLibrary> {
        const INDEX_OF: &str = "SELECT added_at_ms FROM library_index WHERE user_id = ? \
                                AND kind = ? AND item_id = ?";
        Ok(ScyllaLibrary {
            claim: db
                .prepare(
                    "INSERT INTO library_index (user_id, kind, item_id, added_at_ms) \
                     VALUES (?, ?, ?, ?) IF NOT EXISTS",
                    false,
                )
                .await?,
            add_item: db
                .prepare(
                    "INSERT INTO library_items (user_id, kind, added_at_ms, item_id) \
                     VALUES (?, ?, ?, ?)",
                    true,
                )
                .await?,
            index_of: db.prepare(INDEX_OF, true).await?,
            // Settles an unknown LWT outcome on the index.
            index_of_serial: super::playlists::serial(db.prepare(INDEX_OF, true).await?),
            remove_item: db
                .prepare(
                    "DELETE FROM library_items WHERE user_id = ? AND kind = ? \
                     AND added_at_ms = ? AND item_id = ?",
                    true,
                )
                .await?,
            // LWT like the claim: the index row is only ever written by LWTs.
            remove_index: db
                .prepare(
                    "DELETE FROM library_index WHERE user_id = ? AND kind = ? AND item_id = ? \
                     IF EXISTS",
                    false,
                )
                .await?,
            contains: db
                .prepare(
                    "SELECT item_id FROM library_index WHERE user_id = ? AND kind = ? \
                     AND item_id IN ?",
                    true,
                )
                .await?,
            list_first: db
                .prepare(
                    "SELECT added_at_ms, item_id FROM library_items WHERE user_id = ? \
                     AND kind = ? LIMIT ?",
                    true,
                )
                .await?,
            list_before: db
                .prepare(
                    "SELECT added_at_ms, item_id FROM library_items WHERE user_id = ? \
                     AND kind = ? AND (added_at_ms, item_id) < (?, ?) LIMIT ?",
                    true,
                )
                .await?,
            count: db
                .prepare(
                    "SELECT COUNT(*) FROM library_index WHERE user_id = ? AND kind = ?",
                    true,
                )
                .await?,
            db,
        })
    }

    /// The first save's time of an item, `None` when it is not saved.
    async fn saved_at(
        &self,
        stmt: &Prepared,
        user: &str,
        kind: &str,
        id: &str,
    ) -> StorageResult<Option<i64>> {
        let rows = self
            .db
            .execute(stmt, (user, kind, id))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(Option<i64>,)>()
            .map_err(internal)?
            .and_then(|(at,)| at))
    }

    async fn save_one(&self, user: &str, kind: &str, id: &str, at_ms: i64) -> StorageResult<()> {
        let at = match self.db.execute(&self.claim, (user, kind, id, at_ms)).await {
            Ok(result) => {
                let (applied, current) = lwt_outcome(result)?;
                // Already saved: (re)write its list row at the original time, which also
                // repairs a save interrupted between the claim and the list row.
                match current.get("added_at_ms") {
                    Some(CqlValue::BigInt(t)) if !applied => *t,
                    _ => at_ms,
                }
            }
            // Unknown outcome: the index row as it is now (read at SERIAL) decides.
            Err(StorageError::Unavailable(why)) => {
                match self.saved_at(&self.index_of_serial, user, kind, id).await {
                    Ok(Some(at)) => at,
                    _ => return Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => return Err(e),
        };
        self.db
            .execute(&self.add_item, (user, kind, at, id))
            .await?;
        Ok(())
    }

    async fn unsave_one(&self, user: &str, kind: &str, id: &str) -> StorageResult<()> {
        let Some(at) = self.saved_at(&self.index_of, user, kind, id).await? else {
            return Ok(());
        };
        // List row first: an interrupted unsave leaves the index row, and unsaving (or saving)
        // again finishes (or repairs) it.
        self.db
            .execute(&self.remove_item, (user, kind, at, id))
            .await?;
        match self.db.execute(&self.remove_index, (user, kind, id)).await {
            Ok(_) => Ok(()),
            // Unknown outcome: gone now (read at SERIAL) means done.
            Err(StorageError::Unavailable(why)) => {
                match self.saved_at(&self.index_of_serial, user, kind, id).await {
                    Ok(None) => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }
}
#[async_trait::async_trait]
impl LibraryRepo for ScyllaLibrary {
    async fn save(
        &self,
        user_id: &str,
        kind: SavedKind,
        ids: Vec<String>,
        at_ms: i64,
    ) -> StorageResult<()> {
        let kind = kind.as_str();
        let writes = ids.iter().map(|id| self.save_one(user_id, kind, id, at_ms));
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }

    async fn unsave(&self, user_id: &str, kind: SavedKind, ids: Vec<String>) -> StorageResult<()> {
        let kind = kind.as_str();
        let writes = ids.iter().map(|id| self.unsave_one(user_id, kind, id));
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }

    async fn contains(
        &self,
        user_id: &str,
        kind: SavedKind,
        ids: Vec<String>,
    ) -> StorageResult<Vec<bool>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = self
            .db
            .execute(&self.contains, (user_id, kind.as_str(), &ids))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let found: std::collections::HashSet<String> = rows
            .rows::<(String,)>()
            .map_err(internal)?
            .map(|r| r.map(|(id,)| id).map_err(internal))
            .collect::<StorageResult<_>>()?;
        Ok(ids.iter().map(|id| found.contains(id)).collect())
    }

    async fn list(
        &self,
        user_id: &str,
        kind: SavedKind,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<Saved>> {
        let limit = limit.clamp(1, 10_000) as i32;
        let kind = kind.as_str();
        let result = match &before {
            None => {
                self.db
                    .execute(&self.list_first, (user_id, kind, limit))
                    .await
            }
            Some((at, id)) => {
                self.db
                    .execute(&self.list_before, (user_id, kind, *at, id, limit))
                    .await
            }
        }?;
        let rows = result.into_rows_result().map_err(internal)?;
        rows.rows::<(i64, String)>()
            .map_err(internal)?
            .map(|r| {
                let (added_at_ms, id) = r.map_err(internal)?;
                Ok(Saved { id, added_at_ms })
            })
            .collect()
    }

    async fn count(&self, user_id: &str, kind: SavedKind) -> StorageResult<u64> {
        let rows = self
            .db
            .execute(&self.count, (user_id, kind.as_str()))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let (n,) = rows.first_row::<(i64,)>().map_err(internal)?;
        Ok(n.max(0) as u64)
    }
}
