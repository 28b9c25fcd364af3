//! CQL library: saved items per user and kind, newest first (`library_items`), and the
//! membership index that keeps the first save's time (`library_index`, written by
//! `INSERT ... IF NOT EXISTS`).

use super::{exec_err, internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::StorageResult;
use crate::storage::library::{LibraryRepo, Saved, SavedKind};
use scylla::value::CqlValue;

pub struct ScyllaLibrary {
    db: ScyllaDb,
    claim: Prepared,
    add_item: Prepared,
    index_of: Prepared,
    remove_item: Prepared,
    remove_index: Prepared,
    contains: Prepared,
    list_first: Prepared,
    list_before: Prepared,
    count: Prepared,
}

impl ScyllaLibrary {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaLibrary> {
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
            index_of: db
                .prepare(
                    "SELECT added_at_ms FROM library_index WHERE user_id = ? AND kind = ? \
                     AND item_id = ?",
                    true,
                )
                .await?,
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

    async fn save_one(&self, user: &str, kind: &str, id: &str, at_ms: i64) -> StorageResult<()> {
        let result = self
            .db
            .session
            .execute_unpaged(&self.claim, (user, kind, id, at_ms))
            .await
            .map_err(exec_err)?;
        let (applied, current) = lwt_outcome(result)?;
        // Already saved: (re)write its list row at the original time, which also repairs a
        // save interrupted between the claim and the list row.
        let at = match current.get("added_at_ms") {
            Some(CqlValue::BigInt(t)) if !applied => *t,
            _ => at_ms,
        };
        self.db
            .session
            .execute_unpaged(&self.add_item, (user, kind, at, id))
            .await
            .map_err(exec_err)?;
        Ok(())
    }

    async fn unsave_one(&self, user: &str, kind: &str, id: &str) -> StorageResult<()> {
        let rows = self
            .db
            .session
            .execute_unpaged(&self.index_of, (user, kind, id))
            .await
            .map_err(exec_err)?
            .into_rows_result()
            .map_err(internal)?;
        let Some((Some(at),)) = rows.maybe_first_row::<(Option<i64>,)>().map_err(internal)? else {
            return Ok(());
        };
        // List row first: an interrupted unsave leaves the index row, and unsaving (or saving)
        // again finishes (or repairs) it.
        self.db
            .session
            .execute_unpaged(&self.remove_item, (user, kind, at, id))
            .await
            .map_err(exec_err)?;
        self.db
            .session
            .execute_unpaged(&self.remove_index, (user, kind, id))
            .await
            .map_err(exec_err)?;
        Ok(())
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
            .session
            .execute_unpaged(&self.contains, (user_id, kind.as_str(), &ids))
            .await
            .map_err(exec_err)?
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
                    .session
                    .execute_unpaged(&self.list_first, (user_id, kind, limit))
                    .await
            }
            Some((at, id)) => {
                self.db
                    .session
                    .execute_unpaged(&self.list_before, (user_id, kind, *at, id, limit))
                    .await
            }
        }
        .map_err(exec_err)?;
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
            .session
            .execute_unpaged(&self.count, (user_id, kind.as_str()))
            .await
            .map_err(exec_err)?
            .into_rows_result()
            .map_err(internal)?;
        let (n,) = rows.first_row::<(i64,)>().map_err(internal)?;
        Ok(n.max(0) as u64)
    }
}
