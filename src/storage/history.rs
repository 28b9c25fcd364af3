//! History repository: play events (idempotent by user and event id), a user's recent streams
//! newest first with a keyset cursor, per-user and per-track stream counts.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayEvent {
    pub user_id: String,
    pub event_id: String,
    pub track_id: String,
    pub played_at_ms: i64,
    pub ms_played: i64,
    pub device_id: Option<String>,
    pub context_uri: Option<String>,
    /// Listened long enough to count as a stream (decided by the caller's threshold).
    pub stream: bool,
}

#[async_trait::async_trait]
pub trait HistoryRepo: Send + Sync {
    /// Stores events not seen before (same user and event id = same event) and counts the new
    /// streams; returns how many events were new.
    async fn record(&self, events: Vec<PlayEvent>) -> StorageResult<usize>;
    /// The user's streams, newest first (by `played_at_ms`, then event id, descending),
    /// strictly before `before` when given.
    async fn recent(
        &self,
        user_id: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<PlayEvent>>;
    /// The user's most streamed tracks: (track id, streams), most first.
    async fn top_tracks(&self, user_id: &str, limit: u32) -> StorageResult<Vec<(String, u64)>>;
    /// Every track's total streams, paged by track id (> `after`).
    async fn track_counts_after(
        &self,
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<(String, u64)>>;
}
