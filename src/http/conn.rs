//! What a handler knows about the WebSocket connection a message came from.

use super::outbox::Outbox;
use super::AppState;
use actix_web::web;
use std::sync::Arc;

/// One authenticated connection (after `hello`). Handlers for each protocol area
/// (`player`, `session_*`, `playlist_*`) receive it with every message.
pub struct ConnCtx {
    pub conn_id: u64,
    pub user_id: Arc<str>,
    pub device_id: Arc<str>,
    pub outbox: Arc<Outbox>,
    pub state: web::Data<AppState>,
}

impl ConnCtx {
    pub fn new(
        conn_id: u64,
        user_id: Arc<str>,
        device_id: Arc<str>,
        outbox: Arc<Outbox>,
        state: web::Data<AppState>,
    ) -> Self {
        ConnCtx {
            conn_id,
            user_id,
            device_id,
            outbox,
            state,
        }
    }

    /// Smoothed round-trip time in ms from pings and `time_sync` (0 = unknown).
    pub fn rtt_ms(&self) -> u32 {
        self.outbox.rtt_ms()
    }

    pub fn observe_rtt(&self, sample_ms: f64) {
        self.outbox.observe_rtt(sample_ms)
    }
}
