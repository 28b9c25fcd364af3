//! Players and devices: each user's live playback state (owned by the domain, stored as a
//! versioned document) and registered devices.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

/// A user's player, stored as the domain's JSON document with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerRecord {
    pub user_id: String,
    pub version: u64,
    pub state: serde_json::Value,
    pub updated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub user_id: String,
    pub device_id: String,
    pub name: String,
    pub kind: String,
    pub volume: u8,
    pub last_seen_ms: i64,
}

#[async_trait::async_trait]
pub trait PlayerRepo: Send + Sync {
    async fn load(&self, user_id: &str) -> StorageResult<Option<PlayerRecord>>;
    /// Stores the record unless a newer version is already stored (then `Conflict`).
    async fn save(&self, record: PlayerRecord) -> StorageResult<()>;
    async fn devices(&self, user_id: &str) -> StorageResult<Vec<DeviceRecord>>;
    async fn upsert_device(&self, device: DeviceRecord) -> StorageResult<()>;
    async fn remove_device(&self, user_id: &str, device_id: &str) -> StorageResult<()>;
}
