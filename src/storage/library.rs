//! Library repository: what a user saved (liked tracks, albums) and follows (artists, users),
//! listed per user newest first with a keyset cursor.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SavedKind {
    Track,
    Album,
    Artist,
    User,
}

impl SavedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SavedKind::Track => "track",
            SavedKind::Album => "album",
            SavedKind::Artist => "artist",
            SavedKind::User => "user",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub id: String,
    pub added_at_ms: i64,
}

#[async_trait::async_trait]
pub trait LibraryRepo: Send + Sync {
    /// Saves ids; an id already saved keeps its original `added_at_ms`.
    async fn save(
        &self,
        user_id: &str,
        kind: SavedKind,
        ids: Vec<String>,
        at_ms: i64,
    ) -> StorageResult<()>;
    async fn unsave(&self, user_id: &str, kind: SavedKind, ids: Vec<String>) -> StorageResult<()>;
    /// One bool per id, in order.
    async fn contains(
        &self,
        user_id: &str,
        kind: SavedKind,
        ids: Vec<String>,
    ) -> StorageResult<Vec<bool>>;
    /// Newest first (by `added_at_ms`, then id, descending), strictly before `before` when given.
    async fn list(
        &self,
        user_id: &str,
        kind: SavedKind,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<Saved>>;
    async fn count(&self, user_id: &str, kind: SavedKind) -> StorageResult<u64>;
}
