//! What a handler knows about the WebSocket connection a message came from.

use super::outbox::Outbox;
use super::AppState;
use actix_web::web;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// One authenticated connection (after `hello`). Handlers for each protocol area
/// (`player`, `session_*`, `playlist_*`) receive it with every message.
pub struct ConnCtx {
    pub conn_id: u64,
    pub user_id: Arc<str>,
    pub device_id: Arc<str>,
    pub outbox: Arc<Outbox>,
    pub state: web::Data<AppState>,
    /// Smoothed round-trip time in ms from pings and `time_sync` (0 = unknown).
    rtt_ms: AtomicU32,
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
            rtt_ms: AtomicU32::new(0),
        }
    }

    pub fn rtt_ms(&self) -> u32 {
        self.rtt_ms.load(Ordering::Relaxed)
    }

    /// Folds a new RTT sample into the estimate (EWMA with weight 1/8, like TCP's SRTT).
    pub fn observe_rtt(&self, sample_ms: f64) {
        let sample = sample_ms.clamp(0.0, 60_000.0) as u32;
        let old = self.rtt_ms.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample.max(1)
        } else {
            ((old as u64 * 7 + sample as u64) / 8).max(1) as u32
        };
        self.rtt_ms.store(new, Ordering::Relaxed);
    }
}
