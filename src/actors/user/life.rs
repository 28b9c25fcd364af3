//! The user actor's lifecycle: coalesced persistence, the disconnect grace pause, and
//! passivation when the user has had no connection for a while; and the handlers that read
//! the queue or store the state at shutdown.

use super::*;

impl UserActor {
    // ---- persistence: coalesced, one write in flight, urgent changes written at once ----

    pub(super) fn schedule_persist(&mut self, ctx: &mut Context<Self>, urgent: bool) {
        self.persist.dirty = true;
        self.persist.urgent |= urgent;
        if self.persist.in_flight || self.persist.timer {
            return;
        }
        let now = self.app.now_ms();
        let wait = (self.persist.last_ms + self.app.config.player.persist_coalesce_ms as i64) - now;
        if self.persist.urgent || wait <= 0 {
            self.start_persist(ctx);
        } else {
            self.persist.timer = true;
            ctx.run_later(Duration::from_millis(wait as u64), |act, ctx| {
                act.persist.timer = false;
                if act.persist.dirty && !act.persist.in_flight {
                    act.start_persist(ctx);
                }
            });
        }
    }

    pub(super) fn record(&self) -> ApiResult<PlayerRecord> {
        Ok(PlayerRecord {
            user_id: self.user_id.to_string(),
            version: self.player.version,
            state: serde_json::to_value(&self.player)
                .map_err(|e| ApiError::internal(format!("cannot encode player state: {e}")))?,
            updated_at_ms: self.app.now_ms(),
        })
    }

    pub(super) fn start_persist(&mut self, ctx: &mut Context<Self>) {
        let Ok(rec) = self.record() else { return };
        self.persist.dirty = false;
        self.persist.urgent = false;
        self.persist.in_flight = true;
        let storage = self.app.storage.clone();
        ctx.spawn(
            async move { storage.players.save(rec).await }
                .into_actor(self)
                .map(|res, act, ctx| {
                    act.persist.in_flight = false;
                    act.persist.last_ms = act.app.now_ms();
                    match res {
                        Ok(()) | Err(crate::error::StorageError::Conflict(_)) => {}
                        Err(e) => {
                            // Every player retries during an outage; one line per interval.
                            static WARN: crate::log_throttle::LogThrottle =
                                crate::log_throttle::LogThrottle::new(10_000);
                            if let Some(held_back) = WARN.admit() {
                                tracing::warn!(error = %e, held_back, "cannot store player state; will retry");
                            }
                            act.persist.dirty = true;
                        }
                    }
                    if act.persist.dirty {
                        let urgent = act.persist.urgent;
                        act.schedule_persist(ctx, urgent);
                    }
                }),
        );
    }

    // ---- timers: disconnect grace and passivation ----

    /// Pauses and clears the active device after the grace period when the active device is
    /// offline while playing.
    pub(super) fn check_grace(&mut self, ctx: &mut Context<Self>) {
        let active_offline = self
            .player
            .active_device_id
            .as_deref()
            .is_some_and(|d| !self.is_online(d));
        if active_offline && self.player.playing {
            if self.grace.is_none() {
                let grace = Duration::from_millis(self.app.config.player.disconnect_grace_ms);
                self.grace = Some(ctx.run_later(grace, |act, ctx| {
                    act.grace = None;
                    let gone = act
                        .player
                        .active_device_id
                        .clone()
                        .filter(|d| !act.is_online(d));
                    if let Some(device_id) = gone.filter(|_| act.player.playing) {
                        // Pause and release the device: other devices then show that nothing
                        // plays and may take over, rather than pointing at one that is gone.
                        if let Ok((_, p)) = act.run(Command::DeviceGone { device_id }, None, None) {
                            act.publish(ctx, p);
                        }
                    }
                }));
            }
        } else if let Some(h) = self.grace.take() {
            ctx.cancel_future(h);
        }
    }

    pub(super) fn check_idle(&mut self, ctx: &mut Context<Self>, after_ms: u64) {
        if !self.conns.is_empty() || self.idle_check.is_some() || self.passivating {
            return;
        }
        self.idle_check = Some(ctx.run_later(Duration::from_millis(after_ms), |act, ctx| {
            act.idle_check = None;
            if !act.conns.is_empty() {
                return;
            }
            let limit = act.app.config.player.passivate_after_ms as i64;
            let idle = act.app.now_ms() - act.last_activity_ms;
            if idle >= limit {
                act.passivate(ctx);
            } else {
                act.check_idle(ctx, (limit - idle).max(1) as u64);
            }
        }));
    }

    /// Stores the state, leaves the directory and stops.
    pub(super) fn passivate(&mut self, ctx: &mut Context<Self>) {
        self.passivating = true;
        let tx = self.app.players.begin_stop(&self.user_id, &ctx.address());
        let rec = self.record();
        let storage = self.app.storage.clone();
        ctx.wait(
            async move {
                if let Ok(rec) = rec {
                    if let Err(e) = storage.players.save(rec).await {
                        tracing::warn!(error = %e, "cannot store player state on passivation");
                    }
                }
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                act.app.players.end_stop(&act.user_id, tx);
                ctx.stop();
            }),
        );
    }
}

/// Upcoming context items shown after the queue by `GET /v1/me/player/queue`.
const QUEUE_PREVIEW: usize = 20;

impl Handler<GetQueue> for UserActor {
    type Result = AtomicResponse<Self, ApiResult<Value>>;

    fn handle(&mut self, _: GetQueue, _ctx: &mut Context<Self>) -> Self::Result {
        self.touch();
        let upcoming = self.player.upcoming_context(QUEUE_PREVIEW);
        let missing: Vec<String> = upcoming
            .iter()
            .map(|e| e.track_id.clone())
            .filter(|t| !self.meta.contains_key(t))
            .collect();
        let app = self.app.clone();
        let fut = async move { fetch_meta(&app, missing).await }
            .into_actor(self)
            .map(move |meta, act, _| {
                for m in meta? {
                    act.meta.insert(m.track.id.clone(), m);
                }
                let view = act.view();
                let mut queue = view.queue.clone();
                queue.extend(upcoming.iter().map(|e| user_view::item_view(e, &act.meta)));
                Ok(json!({"currently_playing": view.item, "queue": queue}))
            });
        AtomicResponse::new(Box::pin(fut))
    }
}

impl Handler<Flush> for UserActor {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, _: Flush, _ctx: &mut Context<Self>) -> Self::Result {
        self.passivating = true;
        let rec = self.record();
        let storage = self.app.storage.clone();
        let fut = async move {
            if let Ok(rec) = rec {
                if let Err(e) = storage.players.save(rec).await {
                    tracing::warn!(error = %e, "cannot store player state at shutdown");
                }
            }
        }
        .into_actor(self)
        .map(|_, _, ctx| ctx.stop());
        AtomicResponse::new(Box::pin(fut))
    }
}

/// The account is being deleted: stop at once and store nothing (its data is being erased).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Discard;

impl Handler<Discard> for UserActor {
    type Result = ();

    fn handle(&mut self, _: Discard, ctx: &mut Context<Self>) {
        self.passivating = true;
        self.persist.dirty = false;
        let tx = self.app.players.begin_stop(&self.user_id, &ctx.address());
        self.app.players.end_stop(&self.user_id, tx);
        ctx.stop();
    }
}
