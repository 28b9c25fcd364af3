//! Configuration: one struct, defaults documented in `config/default.toml`, precedence
//! defaults < file < `SEGUE_<SECTION>_<KEY>` environment variables < CLI flags, validated at start.
//! Any unknown key or ill-typed value stops start-up with a message naming the key.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub auth: AuthConfig,
    pub cdn: CdnConfig,
    pub ws: WsConfig,
    pub player: PlayerConfig,
    pub session: SessionConfig,
    pub playlist: PlaylistConfig,
    pub search: SearchConfig,
    pub history: HistoryConfig,
    pub log: LogConfig,
    pub catalog: CatalogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    pub data_dir: String,
    /// Load the bundled demo catalog, audio, playlists and accounts at start.
    pub demo: bool,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_grace_ms: u64,
    /// Folder of the web player served at `/`; empty means the source tree's `web-demo/`.
    pub web_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `sqlite` (embedded, one machine) or `scylla`.
    pub backend: StorageBackend,
    pub sqlite_file: String,
    pub group_commit_max: usize,
    pub read_connections: usize,
    pub scylla_nodes: Vec<String>,
    pub scylla_keyspace: String,
    pub scylla_consistency: CqlConsistency,
    pub scylla_replication_class: String,
    pub scylla_replication_factor: u32,
    pub scylla_request_timeout_ms: u64,
    /// Attempts in all (the first included) for an idempotent CQL statement that meets a
    /// timeout, an unavailable cluster or a broken connection; 1 = never retry.
    pub scylla_retry_attempts: u32,
    /// Pause before the first retry; it doubles per retry (with jitter) up to the maximum.
    pub scylla_retry_base_ms: u64,
    pub scylla_retry_max_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Hex secret for signing bearer tokens; empty means generate one and keep it in the data dir.
    pub token_secret: String,
    pub token_ttl_ms: i64,
    pub pbkdf2_iterations: u32,
    /// Failed logins allowed per (username, client address) each minute.
    pub login_attempts_per_minute: u32,
    pub password_min_len: usize,
    pub registration_per_minute: u32,
    /// Failed logins allowed per client address each minute, over all usernames.
    pub login_failures_per_address_per_minute: u32,
    /// Failures of one username (from any address) before its logins are slowed down.
    pub login_backoff_after_failures: u32,
    /// First slow-down window; it doubles with each further failure.
    pub login_backoff_base_ms: i64,
    /// Longest slow-down window: an account is delayed, never locked.
    pub login_backoff_max_ms: i64,
    /// A username's failure count is forgotten after this long without a failure.
    pub login_backoff_reset_ms: i64,
    /// Rate-limiter maps sweep out idle keys once they hold this many.
    pub limiter_sweep_keys: usize,
    /// Accounts remembered as existing (checked on every authenticated request), and for how
    /// long; a deletion on another node is noticed here after at most the TTL.
    pub account_cache_size: usize,
    pub account_cache_ttl_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CdnConfig {
    /// CDN base URLs in failover order; empty means this server's own `/cdn/` route.
    pub base_urls: Vec<String>,
    /// Key id used to sign new URLs; must be one of `signing_keys`.
    pub active_key_id: String,
    /// `id:hexsecret` entries; empty means generate one key and keep it in the data dir.
    pub signing_keys: Vec<String>,
    pub url_ttl_ms: i64,
    pub free_max_kbps: u32,
    /// Folder of audio files served by `/cdn/`; empty means `<data_dir>/audio`.
    pub audio_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WsConfig {
    pub max_frame_bytes: usize,
    pub hello_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub ping_interval_ms: u64,
    pub outbox_capacity: usize,
    pub invalid_frame_limit: u32,
    pub invalid_frame_window_ms: u64,
    pub rate_burst: u32,
    pub rate_per_sec: u32,
    /// Welcomed sockets per user (close 4005 beyond), sockets per client address (4006), and
    /// sockets per address that have not sent `hello` yet (4007).
    pub max_connections_per_user: u32,
    pub max_connections_per_address: u32,
    pub max_pending_per_address: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlayerConfig {
    pub disconnect_grace_ms: u64,
    pub passivate_after_ms: u64,
    pub persist_coalesce_ms: u64,
    pub previous_restart_threshold_ms: i64,
    pub max_queue: usize,
    pub max_devices: usize,
    pub max_context_tracks: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    pub capacity: usize,
    pub lead_floor_ms: i64,
    pub lead_cap_ms: i64,
    pub buffering_wait_ms: u64,
    pub expire_after_ms: i64,
    pub join_attempts_per_minute: u32,
    /// How close to its end a guest without control may end the current item (`track_ended`).
    pub track_ended_slack_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlaylistConfig {
    pub max_items: usize,
    pub max_ops_per_edit: usize,
    pub log_window_versions: u64,
    pub snapshot_every: u64,
    pub passivate_after_ms: u64,
    /// Lifetime of an invite link when its owner does not choose one.
    pub invite_ttl_ms: i64,
    /// Longest lifetime an owner may choose for an invite link (`expires_in_s`).
    pub invite_max_ttl_ms: i64,
    /// Accepts an invite link allows when its owner does not choose (`max_uses`).
    pub invite_default_max_uses: u32,
    /// Most accepts an owner may allow on one invite link.
    pub invite_max_uses: u32,
    /// Most playlists one user may own.
    pub max_per_user: usize,
    /// `GET /v1/me/playlists`: page size without `limit`, and the largest `limit`.
    pub default_page_limit: u32,
    pub max_page_limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    pub writer_heap_bytes: usize,
    pub commit_interval_ms: u64,
    pub max_limit: usize,
    pub max_query_len: usize,
    /// Most words and phrases in one query (each costs a fuzzy term lookup).
    pub max_query_terms: usize,
    /// Largest offset accepted by /v1/search.
    pub max_offset: usize,
    /// A query that may match more documents of a large segment is broad (see search/tier.rs).
    pub broad_query_docs: u64,
    /// Share of a large segment's documents, best static rank first, that a broad query ranks.
    pub broad_query_tier_percent: f64,
    /// Most index terms one misspelt word expands to.
    pub fuzzy_max_expansions: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    pub stream_threshold_ms: i64,
    pub popularity_interval_ms: u64,
    pub max_batch_events: usize,
    pub max_ids_per_request: usize,
    pub max_page_limit: usize,
    /// How far in the future (server clock) a play event's `played_at_ms` may be.
    pub max_clock_skew_ms: i64,
    /// Play events one user may record at once (an offline device's backlog) ...
    pub play_events_burst: u32,
    /// ... and per minute after that (every source: REST, the player, group sessions).
    pub play_events_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// Largest `limit` accepted by the catalog listings (`GET /v1/tracks`).
    pub max_page_limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. "info" or "segue=debug".
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageBackend {
    Sqlite,
    Scylla,
}

/// The CQL consistency of reads and writes (lightweight transactions use the matching serial
/// level: `LOCAL_SERIAL` for the local levels, `SERIAL` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CqlConsistency {
    One,
    LocalOne,
    Quorum,
    LocalQuorum,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults for tests: fast password hashing is NOT used (tests exercise the real cost), but
    /// everything lives under the given data dir and listens on an ephemeral port.
    pub fn for_test(data_dir: &Path) -> Config {
        let mut c = Config::default();
        c.server.listen = "127.0.0.1:0".into();
        c.server.data_dir = data_dir.to_string_lossy().into_owned();
        c.server.workers = 2;
        c.log.level = "warn".into();
        c
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.server.data_dir)
    }

    pub fn audio_dir(&self) -> PathBuf {
        if self.cdn.audio_dir.is_empty() {
            self.data_dir().join("audio")
        } else {
            PathBuf::from(&self.cdn.audio_dir)
        }
    }
}

pub use load::env_name;

mod defaults;
mod load;
mod playlist_checks;
#[cfg(test)]
mod tests;
mod validate;
