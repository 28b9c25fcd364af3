//! Shared application state handed to every route and connection.

use crate::auth::TokenSigner;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::ratelimit::KeyedLimiter;
use crate::storage::Storage;
use std::net::SocketAddr;
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub storage: Storage,
    pub tokens: TokenSigner,
    pub login_throttle: crate::login_throttle::LoginThrottle,
    /// Verified against for unknown usernames, so a login costs the same whether or not the
    /// account exists (no timing oracle). Same PBKDF2 cost as real hashes.
    pub dummy_password_hash: std::sync::OnceLock<String>,
    pub register_limiter: KeyedLimiter,
    /// Play events per user (`history.play_events_*`), whatever their source.
    pub play_limiter: KeyedLimiter,
    /// Which accounts exist: checked on every authenticated request (`http::extract`).
    pub accounts_seen: crate::account_cache::AccountCache,
    /// WebSocket connection counts per address and per user (`http::ws::limits`).
    pub conn_limits: Arc<crate::http::ws::limits::ConnLimits>,
    pub metrics: Arc<Metrics>,
    pub cdn: crate::cdn::Cdn,
    /// The search index (tantivy), kept fresh by catalog importers and playlists.
    pub search: Arc<crate::search::SearchIndex>,
    /// The address the server actually listens on (port 0 resolved).
    pub listen_addr: SocketAddr,
    /// Flips to true when the server begins shutting down: connections close with 1012.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Every user's actor (devices and player), found from any worker.
    pub players: crate::actors::directory::Directory,
    pub sessions: crate::actors::session_dir::SessionDirectory,
    /// Finds or starts the actor of each open playlist.
    pub playlists: Arc<crate::actors::playlist::PlaylistDirectory>,
}

impl AppState {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Base URL of this server as clients reach it, e.g. `http://127.0.0.1:8080`.
    pub fn self_base_url(&self) -> String {
        format!("http://{}", self.listen_addr)
    }
}
