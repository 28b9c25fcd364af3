//! The built-in defaults of every section (documented key by key in config/default.toml).

use super::*;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: "./data".into(),
            demo: false,
            workers: 0,
            max_body_bytes: 1024 * 1024,
            shutdown_grace_ms: 5000,
            web_dir: String::new(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            backend: StorageBackend::Sqlite,
            sqlite_file: "segue.db".into(),
            group_commit_max: 256,
            read_connections: 4,
            scylla_nodes: vec!["127.0.0.1:9042".into()],
            scylla_keyspace: "segue".into(),
            scylla_consistency: CqlConsistency::LocalQuorum,
            scylla_replication_class: "SimpleStrategy".into(),
            scylla_replication_factor: 1,
            scylla_request_timeout_ms: 5000,
            scylla_retry_attempts: 4,
            scylla_retry_base_ms: 50,
            scylla_retry_max_ms: 1000,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token_secret: String::new(),
            token_ttl_ms: 30 * 24 * 3600 * 1000,
            pbkdf2_iterations: 600_000,
            login_attempts_per_minute: 10,
            password_min_len: 8,
            registration_per_minute: 30,
            login_failures_per_address_per_minute: 30,
            login_backoff_after_failures: 20,
            login_backoff_base_ms: 1_000,
            login_backoff_max_ms: 60_000,
            login_backoff_reset_ms: 15 * 60 * 1000,
            limiter_sweep_keys: 10_000,
            account_cache_size: 100_000,
            account_cache_ttl_ms: 60_000,
        }
    }
}

impl Default for CdnConfig {
    fn default() -> Self {
        CdnConfig {
            base_urls: vec![],
            active_key_id: "k1".into(),
            signing_keys: vec![],
            url_ttl_ms: 3600 * 1000,
            free_max_kbps: 160,
            audio_dir: String::new(),
        }
    }
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_frame_bytes: 64 * 1024,
            hello_timeout_ms: 10_000,
            idle_timeout_ms: 45_000,
            ping_interval_ms: 15_000,
            outbox_capacity: 64,
            invalid_frame_limit: 20,
            invalid_frame_window_ms: 10_000,
            rate_burst: 50,
            rate_per_sec: 20,
            max_connections_per_user: 20,
            max_connections_per_address: 256,
            max_pending_per_address: 32,
        }
    }
}

impl Default for PlayerConfig {
    fn default() -> Self {
        PlayerConfig {
            disconnect_grace_ms: 10_000,
            passivate_after_ms: 60_000,
            persist_coalesce_ms: 1000,
            previous_restart_threshold_ms: 3000,
            max_queue: 1000,
            max_devices: 50,
            max_context_tracks: 10_000,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            capacity: 1000,
            lead_floor_ms: 150,
            lead_cap_ms: 2000,
            buffering_wait_ms: 3000,
            expire_after_ms: 24 * 3600 * 1000,
            join_attempts_per_minute: 10,
            track_ended_slack_ms: 5000,
        }
    }
}

impl Default for PlaylistConfig {
    fn default() -> Self {
        PlaylistConfig {
            max_items: 10_000,
            max_ops_per_edit: 100,
            log_window_versions: 1000,
            snapshot_every: 100,
            passivate_after_ms: 60_000,
            invite_ttl_ms: 7 * 24 * 3600 * 1000,
            invite_max_ttl_ms: 30 * 24 * 3600 * 1000,
            invite_default_max_uses: 1,
            invite_max_uses: 100,
            max_per_user: 1000,
            default_page_limit: 50,
            max_page_limit: 100,
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            writer_heap_bytes: 50_000_000,
            commit_interval_ms: 20,
            max_limit: 50,
            max_query_len: 256,
            max_query_terms: 16,
            max_offset: 1000,
            broad_query_docs: 10_000,
            broad_query_tier_percent: 5.0,
            fuzzy_max_expansions: 50,
        }
    }
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            stream_threshold_ms: 30_000,
            popularity_interval_ms: 300_000,
            max_batch_events: 500,
            max_ids_per_request: 50,
            max_page_limit: 50,
            max_clock_skew_ms: 300_000,
            play_events_burst: 500,
            play_events_per_minute: 30,
        }
    }
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig { max_page_limit: 50 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}
