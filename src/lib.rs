//! Segue: the real-time heart of a music streaming service.
//!
//! `run(listener, config)` starts the whole server on an already-bound listener; `main` and the
//! tests both go through it.

pub mod account_cache;
pub mod account_delete;
pub mod actors;
pub mod admin;
pub mod auth;
pub mod catalog;
pub mod cdn;
pub mod cli;
pub mod cli_commands;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod fuzzing;
pub mod http;
pub mod log_throttle;
pub mod login_throttle;
pub mod metrics;
pub mod protocol;
pub mod ratelimit;
pub mod search;
pub mod secrets;
pub mod storage;

use actix_web::{web, App, HttpServer};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub state: web::Data<http::AppState>,
    server: actix_web::dev::ServerHandle,
    shutdown_tx: tokio::sync::watch::Sender<bool>,
    grace: std::time::Duration,
}

impl ServerHandle {
    /// Graceful stop: connections are told to reconnect (1012), then the server stops.
    pub async fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
        // Give connection tasks a moment to send their close frames.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Every user's player is stored before the process goes away.
        self.state.players.shutdown().await;
        self.state.search.close().await;
        self.server.stop(true).await;
    }

    pub fn grace(&self) -> std::time::Duration {
        self.grace
    }
}

/// Builds the state, starts the HTTP server on `listener`, and returns its handle and the server
/// future (which must be awaited or spawned). Must be called inside an actix system.
pub async fn run(
    listener: TcpListener,
    config: config::Config,
) -> anyhow::Result<(ServerHandle, actix_web::dev::Server)> {
    run_with_clock(listener, config, clock::system()).await
}

pub async fn run_with_clock(
    listener: TcpListener,
    config: config::Config,
    clock: clock::SharedClock,
) -> anyhow::Result<(ServerHandle, actix_web::dev::Server)> {
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(config.data_dir())?;
    let storage = storage::open(&config).await?;
    let token_secret = if config.auth.token_secret.is_empty() {
        secrets::load_or_create(&config.data_dir().join("keys/token.key"), 32)?
    } else {
        hex::decode(&config.auth.token_secret)?
    };
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let search = search::SearchIndex::open(
        &config.data_dir().join("search"),
        &config.search,
        Some(storage.catalog.clone()),
    )?;
    let config = Arc::new(config);
    let playlists =
        actors::playlist::PlaylistDirectory::new(actors::playlist::PlaylistEnv::from_config(
            &config.playlist,
            storage.playlists.clone(),
            clock.clone(),
        ));
    let state = web::Data::new(http::AppState {
        tokens: auth::TokenSigner::new(&token_secret, config.auth.token_ttl_ms),
        login_throttle: login_throttle::LoginThrottle::new(&config.auth),
        dummy_password_hash: std::sync::OnceLock::new(),
        register_limiter: ratelimit::KeyedLimiter::per_minute(config.auth.registration_per_minute),
        play_limiter: ratelimit::KeyedLimiter::with_burst(
            config.history.play_events_burst,
            config.history.play_events_per_minute,
        ),
        accounts_seen: account_cache::AccountCache::new(
            config.auth.account_cache_size,
            config.auth.account_cache_ttl_ms,
        ),
        conn_limits: http::ws::limits::ConnLimits::new(),
        metrics: Arc::new(metrics::Metrics::default()),
        cdn: cdn::Cdn::new(&config, addr)?,
        search: search.clone(),
        clock,
        storage,
        listen_addr: addr,
        shutdown: shutdown_rx,
        players: actors::directory::Directory::new(),
        sessions: actors::session_dir::SessionDirectory::new(&config),
        playlists,
        config: config.clone(),
    });
    actors::library::spawn_popularity_job(state.clone());
    if config.server.demo {
        demo::load(&state).await?;
    }
    state.sessions.restore(&state).await?;
    actors::session_dir::SessionDirectory::spawn_expiry(state.clone());
    // An empty index over a non-empty catalog is built in the background; search answers meanwhile
    // and `/readyz` says 503 until the build is searchable.
    search.build_in_background_if_empty().await;
    let workers = if config.server.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        config.server.workers
    };
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(
                // `%r` would log signed CDN URLs with their signatures: log a redacted line.
                actix_web::middleware::Logger::new("%{request}xi %s %Dms")
                    .custom_request_replace("request", http::log_redact::request_line)
                    .log_target("segue::http"),
            )
            .wrap(actix_web::middleware::from_fn(metrics::http_middleware))
            .configure(http::configure(app_state.clone()))
            .default_service(web::to(http::not_found))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(config.server.shutdown_grace_ms.div_ceil(1000))
    .listen(listener)?
    .run();
    tracing::info!(%addr, "segue listening");
    Ok((
        ServerHandle {
            addr,
            state,
            server: server.handle(),
            shutdown_tx,
            grace: std::time::Duration::from_millis(config.server.shutdown_grace_ms),
        },
        server,
    ))
}
