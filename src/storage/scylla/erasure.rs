//! CQL erasure of a deleted account's personal data: whole-partition deletes of every table
//! keyed by the user (library per kind, play events, streams per month, the month list, the
//! per-user stream counters, the player, the devices and the settings). `track_play_counts` (anonymous totals
//! per track) is kept. Each delete is idempotent, so a retried erasure finishes the job.
//!
//! Several of these tables are written by lightweight transactions, whose cell timestamps come
//! from the coordinators' Paxos ballots rather than from this client's clock. A plain delete
//! could then carry an older timestamp than a write it follows and fail to shadow it. So the
//! tombstones are written `USING TIMESTAMP` an hour ahead: they shadow every earlier write of
//! the user, and any straggling one (a device stored just as the account went). User ids are
//! random and never reused, so nothing legitimate is ever written under them again. Counter
//! tables take no custom timestamp; they are only incremented, never by LWTs.

use super::{now_ms, Prepared, ScyllaDb};
use crate::error::StorageResult;
use crate::storage::erasure::ErasureRepo;
use crate::storage::library::SavedKind;

pub struct ScyllaErasure {
    db: ScyllaDb,
    months: Prepared,
    /// Partitions keyed by `(user_id, kind)`.
    per_kind: Vec<Prepared>,
    /// Partitions keyed by `(user_id, month)`.
    per_month: Prepared,
    /// Partitions keyed by `user_id` alone; the month list last, since it finds the months.
    per_user: Vec<Prepared>,
    /// Counter partitions keyed by `user_id` (no custom timestamp allowed).
    counters: Prepared,
}

/// How far ahead of now the erasure's tombstones are stamped (see the module comment).
const TOMBSTONE_LEAD_MICROS: i64 = 3600 * 1_000_000;

const KINDS: [SavedKind; 4] = [
    SavedKind::Track,
    SavedKind::Album,
    SavedKind::Artist,
    SavedKind::User,
];

impl ScyllaErasure {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaErasure> {
        let mut per_kind = Vec::new();
        for table in ["library_items", "library_index"] {
            let cql =
                format!("DELETE FROM {table} USING TIMESTAMP ? WHERE user_id = ? AND kind = ?");
            per_kind.push(db.prepare(&cql, true).await?);
        }
        let mut per_user = Vec::new();
        for table in [
            "play_events",
            "players",
            "devices",
            "user_settings",
            "user_stream_months",
        ] {
            let cql = format!("DELETE FROM {table} USING TIMESTAMP ? WHERE user_id = ?");
            per_user.push(db.prepare(&cql, true).await?);
        }
        Ok(ScyllaErasure {
            months: db
                .prepare(
                    "SELECT month FROM user_stream_months WHERE user_id = ?",
                    true,
                )
                .await?,
            per_kind,
            per_month: db
                .prepare(
                    "DELETE FROM user_streams USING TIMESTAMP ? WHERE user_id = ? AND month = ?",
                    true,
                )
                .await?,
            per_user,
            counters: db
                .prepare("DELETE FROM user_track_streams WHERE user_id = ?", true)
                .await?,
            db,
        })
    }
}

#[async_trait::async_trait]
impl ErasureRepo for ScyllaErasure {
    async fn erase_user_data(&self, user_id: &str) -> StorageResult<()> {
        let at = now_ms().saturating_mul(1000) + TOMBSTONE_LEAD_MICROS;
        for stmt in &self.per_kind {
            for kind in KINDS {
                self.db.execute(stmt, (at, user_id, kind.as_str())).await?;
            }
        }
        let months: Vec<(i32,)> = self.db.read_all(&self.months, (user_id,)).await?;
        for (month,) in months {
            self.db
                .execute(&self.per_month, (at, user_id, month))
                .await?;
        }
        self.db.execute(&self.counters, (user_id,)).await?;
        for stmt in &self.per_user {
            self.db.execute(stmt, (at, user_id)).await?;
        }
        Ok(())
    }
}
