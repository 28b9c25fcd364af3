//! Validation of a loaded configuration: every key's bounds, with a message naming the key.

use super::{Config, ConfigError};

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`{key}`: {why}")));
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad("server.listen", "must be HOST:PORT with an IP address");
        }
        if self.storage.group_commit_max == 0 {
            return bad("storage.group_commit_max", "must be at least 1");
        }
        if self.storage.read_connections == 0 {
            return bad("storage.read_connections", "must be at least 1");
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
        Ok(())
    }
}
