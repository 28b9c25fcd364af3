//! Storage: one async repository trait per domain, implemented by SQLite (embedded default) and
//! ScyllaDB / Cassandra (CQL). Actors and routes only ever see these traits.

pub mod accounts;
pub mod catalog;
pub mod conformance;
pub mod erasure;
pub mod history;
pub mod library;
pub mod players;
pub mod playlists;
pub mod scylla;
pub mod sessions;
pub mod settings;
pub mod sqlite;

use std::sync::Arc;

pub use accounts::{Account, AccountRepo, Tier};
pub use catalog::{Album, Artist, CatalogRepo, Track};
pub use erasure::ErasureRepo;
pub use history::HistoryRepo;
pub use library::LibraryRepo;
pub use players::{DeviceRecord, PlayerRecord, PlayerRepo};
pub use playlists::PlaylistRepo;
pub use sessions::SessionRepo;
pub use settings::SettingsRepo;

/// Every repository, behind its trait. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    pub accounts: Arc<dyn AccountRepo>,
    pub catalog: Arc<dyn CatalogRepo>,
    pub players: Arc<dyn PlayerRepo>,
    pub playlists: Arc<dyn PlaylistRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub library: Arc<dyn LibraryRepo>,
    pub history: Arc<dyn HistoryRepo>,
    /// Per-account settings (streaming quality).
    pub settings: Arc<dyn SettingsRepo>,
    /// Removes a deleted account's personal data.
    pub erasure: Arc<dyn ErasureRepo>,
    /// Answers readiness: can the backend take a read right now?
    pub health: Arc<dyn HealthCheck>,
}

#[async_trait::async_trait]
pub trait HealthCheck: Send + Sync {
    async fn ping(&self) -> crate::error::StorageResult<()>;
}

/// Opens the configured backend.
pub async fn open(config: &crate::config::Config) -> anyhow::Result<Storage> {
    match config.storage.backend {
        crate::config::StorageBackend::Sqlite => {
            let path = {
                let p = std::path::PathBuf::from(&config.storage.sqlite_file);
                if p.is_absolute() {
                    p
                } else {
                    config.data_dir().join(p)
                }
            };
            sqlite::open(&path, &config.storage)
        }
        crate::config::StorageBackend::Scylla => {
            Ok(self::scylla::ScyllaDb::open_repos(&config.storage)
                .await?
                .storage())
        }
    }
}

/// Fresh random id: 22 characters of URL-safe base64 (128 random bits).
pub fn new_id() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
