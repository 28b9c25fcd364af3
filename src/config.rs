//! Configuration: one struct, defaults documented in `config/default.toml`, precedence
//! defaults < file < `SEGUE_<SECTION>_<KEY>` environment variables < CLI flags, validated at start.
//! Any unknown key or ill-typed value stops start-up with a message naming the key.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// "sqlite" (embedded, one machine) or "scylla".
    pub backend: String,
    pub sqlite_file: String,
    pub group_commit_max: usize,
    pub read_connections: usize,
    pub scylla_nodes: Vec<String>,
    pub scylla_keyspace: String,
    pub scylla_consistency: String,
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
    /// "text" or "json".
    pub format: String,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// Environment variables that start with `SEGUE_` but are not config keys (the test command's
/// own variables are inherited by servers that tests start, so they must not stop start-up).
const NON_CONFIG_ENV: &[&str] = &[
    "SEGUE_LOG",
    "SEGUE_TEST_CQL",
    "SEGUE_TEST_CQL_DIR",
    "SEGUE_REQUIRE_CQL",
    "SEGUE_CI_CLIPPY",
    "SEGUE_KEEP_CASSANDRA",
    "SEGUE_CACHE_DIR",
];

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

    /// Loads defaults < file < env < overrides (dotted key, TOML value), then validates.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[(&str, toml::Value)],
    ) -> Result<Config, ConfigError> {
        let mut tree = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError(format!("internal: defaults do not serialize: {e}")))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            let user: toml::Value = toml::from_str(&text)
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
            merge(&mut tree, &user, "", &path.display().to_string())?;
        }
        let leaves = leaf_keys(&tree);
        for (name, raw) in env {
            if !name.starts_with("SEGUE_") || NON_CONFIG_ENV.contains(&name.as_str()) {
                continue;
            }
            let key = leaves
                .keys()
                .find(|k| env_name(k) == name)
                .cloned()
                .ok_or_else(|| {
                    ConfigError(format!(
                        "unknown environment variable {name}: no such config key"
                    ))
                })?;
            let value = parse_like(&leaves[&key], &raw)
                .map_err(|m| ConfigError(format!("{name} (key `{key}`): {m}")))?;
            set_path(&mut tree, &key, value);
        }
        for (key, value) in overrides {
            let leaf = leaves
                .get(*key)
                .ok_or_else(|| ConfigError(format!("unknown config key `{key}`")))?;
            check_same_type(leaf, value, key)?;
            set_path(&mut tree, key, value.clone());
        }
        let config: Config = tree
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`{key}`: {why}")));
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad("server.listen", "must be HOST:PORT with an IP address");
        }
        if !matches!(self.storage.backend.as_str(), "sqlite" | "scylla") {
            return bad("storage.backend", "must be \"sqlite\" or \"scylla\"");
        }
        if self.storage.group_commit_max == 0 {
            return bad("storage.group_commit_max", "must be at least 1");
        }
        if self.storage.read_connections == 0 {
            return bad("storage.read_connections", "must be at least 1");
        }
        if !matches!(
            self.storage.scylla_consistency.as_str(),
            "one" | "quorum" | "local_quorum" | "local_one" | "all"
        ) {
            return bad(
                "storage.scylla_consistency",
                "must be one, local_one, quorum, local_quorum or all",
            );
        }
        if !(1..=10).contains(&self.storage.scylla_retry_attempts) {
            return bad("storage.scylla_retry_attempts", "must be between 1 and 10");
        }
        if self.storage.scylla_retry_base_ms == 0 {
            return bad("storage.scylla_retry_base_ms", "must be at least 1");
        }
        if self.storage.scylla_retry_max_ms < self.storage.scylla_retry_base_ms {
            return bad(
                "storage.scylla_retry_max_ms",
                "must be at least storage.scylla_retry_base_ms",
            );
        }
        if self.auth.login_attempts_per_minute == 0 {
            return bad("auth.login_attempts_per_minute", "must be at least 1");
        }
        if self.auth.login_failures_per_address_per_minute == 0 {
            return bad(
                "auth.login_failures_per_address_per_minute",
                "must be at least 1",
            );
        }
        if self.auth.login_backoff_base_ms <= 0 {
            return bad("auth.login_backoff_base_ms", "must be positive");
        }
        if self.auth.login_backoff_max_ms < self.auth.login_backoff_base_ms {
            return bad(
                "auth.login_backoff_max_ms",
                "must be at least auth.login_backoff_base_ms",
            );
        }
        if self.auth.login_backoff_reset_ms <= 0 {
            return bad("auth.login_backoff_reset_ms", "must be positive");
        }
        if self.auth.limiter_sweep_keys == 0 {
            return bad("auth.limiter_sweep_keys", "must be at least 1");
        }
        if self.auth.account_cache_size == 0 {
            return bad("auth.account_cache_size", "must be at least 1");
        }
        if self.auth.account_cache_ttl_ms <= 0 {
            return bad("auth.account_cache_ttl_ms", "must be positive");
        }
        for (key, v) in [
            (
                "ws.max_connections_per_user",
                self.ws.max_connections_per_user,
            ),
            (
                "ws.max_connections_per_address",
                self.ws.max_connections_per_address,
            ),
            (
                "ws.max_pending_per_address",
                self.ws.max_pending_per_address,
            ),
        ] {
            if v == 0 {
                return bad(key, "must be at least 1");
            }
        }
        if self.auth.pbkdf2_iterations < 600_000 {
            return bad("auth.pbkdf2_iterations", "must be at least 600000");
        }
        if self.auth.token_ttl_ms <= 0 {
            return bad("auth.token_ttl_ms", "must be positive");
        }
        if !self.auth.token_secret.is_empty() && hex::decode(&self.auth.token_secret).is_err() {
            return bad("auth.token_secret", "must be hex");
        }
        for k in &self.cdn.signing_keys {
            match k.split_once(':') {
                Some((id, secret)) if !id.is_empty() && hex::decode(secret).is_ok() => {}
                _ => return bad("cdn.signing_keys", "entries must be `id:hexsecret`"),
            }
        }
        if !self.cdn.signing_keys.is_empty()
            && !self
                .cdn
                .signing_keys
                .iter()
                .any(|k| k.split(':').next() == Some(self.cdn.active_key_id.as_str()))
        {
            return bad("cdn.active_key_id", "must name one of cdn.signing_keys");
        }
        for u in &self.cdn.base_urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return bad(
                    "cdn.base_urls",
                    "entries must start with http:// or https://",
                );
            }
        }
        if self.cdn.url_ttl_ms <= 0 {
            return bad("cdn.url_ttl_ms", "must be positive");
        }
        if self.ws.max_frame_bytes < 256 {
            return bad("ws.max_frame_bytes", "must be at least 256");
        }
        if self.ws.outbox_capacity == 0 {
            return bad("ws.outbox_capacity", "must be at least 1");
        }
        if self.ws.rate_per_sec == 0 || self.ws.rate_burst == 0 {
            return bad(
                "ws.rate_per_sec",
                "rate_per_sec and rate_burst must be at least 1",
            );
        }
        if self.ws.ping_interval_ms == 0 || self.ws.ping_interval_ms >= self.ws.idle_timeout_ms {
            return bad(
                "ws.ping_interval_ms",
                "must be positive and below ws.idle_timeout_ms",
            );
        }
        if self.history.max_clock_skew_ms < 0 {
            return bad("history.max_clock_skew_ms", "must not be negative");
        }
        if self.history.play_events_per_minute == 0
            || (self.history.play_events_burst as usize) < self.history.max_batch_events.max(1)
        {
            return bad(
                "history.play_events_burst",
                "play_events_per_minute must be at least 1 and play_events_burst at least history.max_batch_events",
            );
        }
        if self.catalog.max_page_limit == 0 {
            return bad("catalog.max_page_limit", "must be at least 1");
        }
        if self.session.track_ended_slack_ms < 0 {
            return bad("session.track_ended_slack_ms", "must not be negative");
        }
        if self.session.capacity < 1 {
            return bad("session.capacity", "must be at least 1");
        }
        if self.session.lead_floor_ms < 0 || self.session.lead_cap_ms < self.session.lead_floor_ms {
            return bad(
                "session.lead_cap_ms",
                "must be at least session.lead_floor_ms >= 0",
            );
        }
        if self.playlist.max_ops_per_edit == 0 || self.playlist.snapshot_every == 0 {
            return bad(
                "playlist.snapshot_every",
                "snapshot_every and max_ops_per_edit must be >= 1",
            );
        }
        self.playlist.validate()?;
        if self.search.max_limit == 0 {
            return bad("search.max_limit", "must be at least 1");
        }
        if self.search.fuzzy_max_expansions == 0 {
            return bad("search.fuzzy_max_expansions", "must be at least 1");
        }
        if self.search.broad_query_docs == 0 {
            return bad("search.broad_query_docs", "must be at least 1");
        }
        let tier = self.search.broad_query_tier_percent;
        if !(tier > 0.0 && tier <= 100.0) {
            return bad(
                "search.broad_query_tier_percent",
                "must be above 0 and at most 100",
            );
        }
        if self.search.max_query_terms == 0 {
            return bad("search.max_query_terms", "must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "must be \"text\" or \"json\"");
        }
        Ok(())
    }
}

/// `ws.idle_timeout_ms` -> `SEGUE_WS_IDLE_TIMEOUT_MS`.
pub fn env_name(key: &str) -> String {
    format!("SEGUE_{}", key.replace('.', "_").to_uppercase())
}

fn leaf_keys(tree: &toml::Value) -> BTreeMap<String, toml::Value> {
    let mut out = BTreeMap::new();
    fn walk(v: &toml::Value, prefix: &str, out: &mut BTreeMap<String, toml::Value>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, &key, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    walk(tree, "", &mut out);
    out
}

fn merge(
    base: &mut toml::Value,
    user: &toml::Value,
    prefix: &str,
    origin: &str,
) -> Result<(), ConfigError> {
    let (toml::Value::Table(b), toml::Value::Table(u)) = (base, user) else {
        return Err(ConfigError(format!("{origin}: `{prefix}` must be a table")));
    };
    for (k, v) in u {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match b.get_mut(k) {
            None => return Err(ConfigError(format!("{origin}: unknown config key `{key}`"))),
            Some(slot @ toml::Value::Table(_)) => merge(slot, v, &key, origin)?,
            Some(slot) => {
                check_same_type(slot, v, &key)?;
                *slot = v.clone();
            }
        }
    }
    Ok(())
}

fn check_same_type(
    expected: &toml::Value,
    got: &toml::Value,
    key: &str,
) -> Result<(), ConfigError> {
    if std::mem::discriminant(expected) != std::mem::discriminant(got) {
        return Err(ConfigError(format!(
            "`{key}` must be a {}, got a {}",
            expected.type_str(),
            got.type_str()
        )));
    }
    Ok(())
}

fn parse_like(expected: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    Ok(match expected {
        toml::Value::String(_) => toml::Value::String(raw.to_string()),
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse::<i64>()
                .map_err(|_| format!("`{raw}` is not an integer"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(format!("`{raw}` is not a boolean")),
        }),
        toml::Value::Float(_) => toml::Value::Float(
            raw.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{raw}` is not a number"))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
        other => {
            return Err(format!(
                "cannot set a {} from the environment",
                other.type_str()
            ))
        }
    })
}

fn set_path(tree: &mut toml::Value, key: &str, value: toml::Value) {
    let mut node = tree;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let toml::Value::Table(t) = node else { return };
        if i == parts.len() - 1 {
            t.insert(part.to_string(), value);
            return;
        }
        match t.get_mut(*part) {
            Some(next) => node = next,
            None => return,
        }
    }
}

mod defaults;
mod playlist_checks;
#[cfg(test)]
mod tests;
