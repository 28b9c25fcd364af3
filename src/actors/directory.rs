//! Where each user's actor lives: a map from user id to its address, reachable from every HTTP
//! worker. Actors run on a few dedicated arbiters; an actor is activated (loaded from storage)
//! on first use and removed when it passivates. While one is loading or stopping, callers wait,
//! so there is never more than one actor (one writer) per user.

use super::user::{self, UserActor};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use actix::{Actor, Addr, Arbiter, ArbiterHandle};
use actix_web::web;
use dashmap::DashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

enum Slot {
    Live(Addr<UserActor>),
    /// Loading or stopping: wait for the flag to turn true, then look again.
    Busy(watch::Receiver<bool>),
}

#[derive(Default)]
pub struct Directory {
    map: DashMap<Arc<str>, Slot>,
    arbiters: OnceLock<Vec<ArbiterHandle>>,
    next: AtomicUsize,
}

/// Removes a `Busy` slot if its loader goes away without finishing (cancelled request).
struct LoadGuard<'a> {
    dir: &'a Directory,
    key: Arc<str>,
    tx: watch::Sender<bool>,
    done: bool,
}

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.dir
                .map
                .remove_if(&self.key, |_, s| matches!(s, Slot::Busy(_)));
        }
        let _ = self.tx.send(true);
    }
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn arbiter(&self) -> ArbiterHandle {
        let arbiters = self.arbiters.get_or_init(|| {
            // A few threads are plenty: actors do little work per message and never block.
            let n = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
            (0..n).map(|_| Arbiter::new().handle()).collect()
        });
        let i = self.next.fetch_add(1, Ordering::Relaxed) % arbiters.len();
        arbiters[i].clone()
    }

    /// Number of active user actors.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The user's actor, activating it (loading from storage) when needed.
    pub async fn get(
        &self,
        app: &web::Data<AppState>,
        user_id: &str,
    ) -> ApiResult<Addr<UserActor>> {
        // A deleted account's player must not come back (a session it left hands control
        // back to the own player asynchronously, after the deletion began).
        if app.accounts_seen.is_deleted(user_id, app.now_ms()) {
            return Err(ApiError::unauthorized("the account was deleted"));
        }
        let key: Arc<str> = Arc::from(user_id);
        for _ in 0..100 {
            let mut wait = {
                use dashmap::mapref::entry::Entry;
                match self.map.entry(key.clone()) {
                    Entry::Occupied(e) => match e.get() {
                        Slot::Live(a) if a.connected() => return Ok(a.clone()),
                        Slot::Live(_) => {
                            e.remove();
                            continue;
                        }
                        Slot::Busy(rx) => rx.clone(),
                    },
                    Entry::Vacant(v) => {
                        let (tx, rx) = watch::channel(false);
                        v.insert(Slot::Busy(rx));
                        let mut guard = LoadGuard {
                            dir: self,
                            key: key.clone(),
                            tx,
                            done: false,
                        };
                        let loaded = user::load(app, user_id).await?;
                        let app = app.clone();
                        let uid = key.clone();
                        let addr = UserActor::start_in_arbiter(&self.arbiter(), move |_| {
                            UserActor::new(app, uid, loaded)
                        });
                        self.map.insert(key.clone(), Slot::Live(addr.clone()));
                        guard.done = true;
                        return Ok(addr);
                    }
                }
            };
            let _ = wait.wait_for(|v| *v).await;
        }
        Err(ApiError::unavailable("the player is busy, try again"))
    }

    /// The actor of a user if it is running (no activation).
    pub fn peek(&self, user_id: &str) -> Option<Addr<UserActor>> {
        match self.map.get(user_id).as_deref() {
            Some(Slot::Live(a)) if a.connected() => Some(a.clone()),
            _ => None,
        }
    }

    /// An actor starts passivating: new callers wait until `end_stop`.
    pub(crate) fn begin_stop(
        &self,
        user_id: &Arc<str>,
        addr: &Addr<UserActor>,
    ) -> watch::Sender<bool> {
        let (tx, rx) = watch::channel(false);
        if let Some(mut slot) = self.map.get_mut(user_id) {
            if matches!(&*slot, Slot::Live(a) if a == addr) {
                *slot = Slot::Busy(rx);
            }
        }
        tx
    }

    /// The actor's state is stored: a new actor may load it.
    pub(crate) fn end_stop(&self, user_id: &Arc<str>, tx: watch::Sender<bool>) {
        self.map.remove_if(user_id, |_, s| match s {
            Slot::Busy(rx) => rx.same_channel(&tx.subscribe()),
            Slot::Live(_) => false,
        });
        let _ = tx.send(true);
    }

    /// Server shutdown: every actor stores its state and stops; then the arbiters stop.
    pub async fn shutdown(&self) {
        let addrs: Vec<Addr<UserActor>> = self
            .map
            .iter()
            .filter_map(|e| match e.value() {
                Slot::Live(a) => Some(a.clone()),
                Slot::Busy(_) => None,
            })
            .collect();
        let flushes = addrs.iter().map(|a| a.send(user::Flush));
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            futures_util::future::join_all(flushes),
        )
        .await;
        if let Some(arbiters) = self.arbiters.get() {
            for a in arbiters {
                a.stop();
            }
        }
    }
}

/// The user's actor for `app` (activating it when needed).
pub async fn user_actor(app: &web::Data<AppState>, user_id: &str) -> ApiResult<Addr<UserActor>> {
    app.players.get(app, user_id).await
}
