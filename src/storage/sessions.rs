//! Group sessions: each session's state (roster, shared player, who added what) as a versioned
//! document, its unique join code, and which session each user is in.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    /// Unique among live sessions.
    pub join_code: String,
    pub version: u64,
    /// The session actor's document (roster, player, attribution).
    pub state: serde_json::Value,
    /// The member user ids (so a restarted server knows who is in which session).
    pub members: Vec<String>,
    pub last_active_ms: i64,
}

#[async_trait::async_trait]
pub trait SessionRepo: Send + Sync {
    /// Fails with `Conflict` when the join code is in use by another live session.
    async fn create(&self, record: SessionRecord) -> StorageResult<()>;
    /// Stores the record unless a newer version is stored (then `Conflict`); `NotFound` when the
    /// session was deleted.
    async fn save(&self, record: SessionRecord) -> StorageResult<()>;
    async fn load(&self, session_id: &str) -> StorageResult<Option<SessionRecord>>;
    async fn by_join_code(&self, join_code: &str) -> StorageResult<Option<String>>;
    /// Every live session (read once at start-up to route members back to their sessions).
    async fn list(&self) -> StorageResult<Vec<SessionRecord>>;
    /// Ends a session: the record and its join code are gone.
    async fn delete(&self, session_id: &str) -> StorageResult<()>;
}
