//! PlaylistActor: one per open playlist, the only thing that decides its order. It owns the
//! `PlaylistCore` (list + storage rules) and the subscribers (connections' outboxes); every
//! committed edit goes out once-serialized as `playlist_ops` to all of them. The directory finds
//! or starts the actor for an id; an actor with no subscribers passivates after
//! `playlist.passivate_after_ms`.

use super::playlist_core::{EditOutcome, EditRequest, PlaylistCore};
use crate::clock::SharedClock;
use crate::domain::playlist::{EditResult, Item, Limits, LogEntry};
use crate::error::{ApiError, ApiResult, StorageError};
use crate::http::outbox::Outbox;
use crate::storage::playlists::PlaylistRepo;
use actix::prelude::*;
use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// What every playlist actor needs.
pub struct PlaylistEnv {
    pub repo: Arc<dyn PlaylistRepo>,
    pub limits: Limits,
    pub snapshot_every: u64,
    pub passivate_after: Duration,
    pub clock: SharedClock,
}

impl PlaylistEnv {
    pub fn from_config(
        c: &crate::config::PlaylistConfig,
        repo: Arc<dyn PlaylistRepo>,
        clock: SharedClock,
    ) -> Self {
        PlaylistEnv {
            repo,
            limits: Limits {
                max_items: c.max_items,
                max_ops_per_edit: c.max_ops_per_edit,
                window: c.log_window_versions.max(1),
            },
            snapshot_every: c.snapshot_every.max(1),
            passivate_after: Duration::from_millis(c.passivate_after_ms.max(1)),
            clock,
        }
    }
}

/// Finds or starts the actor of a playlist; remembers which connection subscribed to what.
pub struct PlaylistDirectory {
    pub env: Arc<PlaylistEnv>,
    actors: Mutex<HashMap<String, Addr<PlaylistActor>>>,
    subscriptions: Mutex<HashMap<u64, HashSet<String>>>,
    me: Weak<PlaylistDirectory>,
}

impl PlaylistDirectory {
    pub fn new(env: PlaylistEnv) -> Arc<Self> {
        Arc::new_cyclic(|me| PlaylistDirectory {
            env: Arc::new(env),
            actors: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(HashMap::new()),
            me: me.clone(),
        })
    }

    /// The running actor for `id`, started when needed. Must be called inside an actix system.
    pub fn actor(&self, id: &str) -> Addr<PlaylistActor> {
        let mut actors = self.actors.lock();
        if let Some(a) = actors.get(id) {
            if a.connected() {
                return a.clone();
            }
        }
        let addr = PlaylistActor {
            id: id.to_string(),
            env: self.env.clone(),
            dir: self.me.clone(),
            core: None,
            subscribers: HashMap::new(),
            last_active: tokio::time::Instant::now(),
        }
        .start();
        actors.insert(id.to_string(), addr.clone());
        addr
    }

    /// Number of running playlist actors.
    pub fn running(&self) -> usize {
        self.actors.lock().len()
    }

    fn forget(&self, id: &str, addr: &Addr<PlaylistActor>) {
        let mut actors = self.actors.lock();
        if actors.get(id).is_some_and(|a| a == addr) {
            actors.remove(id);
        }
    }

    /// Sends a message to the playlist's actor.
    pub async fn send<M>(&self, id: &str, msg: M) -> ApiResult<M::Result>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        PlaylistActor: Handler<M>,
    {
        self.actor(id)
            .send(msg)
            .await
            .map_err(|_| ApiError::unavailable("the playlist is restarting, try again"))
    }

    /// Stops the actor (after the playlist was deleted).
    pub fn stop(&self, id: &str) {
        if let Some(a) = self.actors.lock().remove(id) {
            a.do_send(Stop);
        }
    }

    pub fn note_subscribed(&self, conn_id: u64, id: &str, on: bool) {
        let mut s = self.subscriptions.lock();
        let set = s.entry(conn_id).or_default();
        if on {
            set.insert(id.to_string());
        } else {
            set.remove(id);
            if set.is_empty() {
                s.remove(&conn_id);
            }
        }
    }

    /// A connection ended: drop it from every playlist it watched.
    pub fn connection_closed(&self, conn_id: u64) {
        let ids = self
            .subscriptions
            .lock()
            .remove(&conn_id)
            .unwrap_or_default();
        let actors = self.actors.lock();
        for id in ids {
            if let Some(a) = actors.get(&id) {
                a.do_send(Unsubscribe { conn_id });
            }
        }
    }
}

pub struct PlaylistActor {
    id: String,
    env: Arc<PlaylistEnv>,
    dir: Weak<PlaylistDirectory>,
    /// None until loaded (and while an atomic step holds it).
    core: Option<PlaylistCore>,
    /// Connection id -> (its user, its outbox).
    subscribers: HashMap<u64, (Arc<str>, Arc<Outbox>)>,
    last_active: tokio::time::Instant,
}

type Step<R> = Pin<Box<dyn Future<Output = (PlaylistCore, ApiResult<R>)>>>;

impl Actor for PlaylistActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let every = (self.env.passivate_after / 4).max(Duration::from_millis(20));
        ctx.run_interval(every, |act, ctx| {
            if act.subscribers.is_empty() && act.last_active.elapsed() >= act.env.passivate_after {
                ctx.stop();
            }
        });
    }

    fn stopping(&mut self, ctx: &mut Self::Context) -> Running {
        if let Some(dir) = self.dir.upgrade() {
            dir.forget(&self.id, &ctx.address());
        }
        Running::Stop
    }
}

impl PlaylistActor {
    /// Runs `step` on the loaded core with no other message in between (the mailbox waits), then
    /// `after` on the actor with the result (to reach subscribers).
    fn atomic<R: 'static, O: 'static>(
        &mut self,
        step: impl FnOnce(PlaylistCore) -> Step<R> + 'static,
        finish: impl FnOnce(&mut Self, ApiResult<R>) -> ApiResult<O> + 'static,
    ) -> AtomicResponse<Self, ApiResult<O>> {
        let taken = self.core.take();
        let env = self.env.clone();
        let id = self.id.clone();
        let fut = async move {
            let core = match taken {
                Some(c) => c,
                None => {
                    match PlaylistCore::load(env.repo.clone(), &id, env.limits, env.snapshot_every)
                        .await
                    {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            return (None, Err(ApiError::not_found("playlist not found")), true)
                        }
                        // Storage down: keep the actor (and its subscribers) and try again on
                        // the next request; anything else is unreadable: start afresh.
                        Err(e) => {
                            let down = matches!(e, StorageError::Unavailable(_));
                            return (None, Err(e.into()), !down);
                        }
                    }
                }
            };
            let (core, r) = step(core).await;
            // A stale core (memory ahead of storage after a failed commit) is dropped, and the
            // next request loads the durable list again; the actor and its subscribers stay.
            (Some(core).filter(|c| !c.is_stale()), r, false)
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            move |(core, r, missing), act, ctx| {
                act.core = core;
                act.last_active = tokio::time::Instant::now();
                if missing {
                    // Nothing to serve (deleted or unreadable): let the next request start afresh.
                    ctx.stop();
                }
                finish(act, r)
            },
        )))
    }

    fn broadcast(&mut self, frame: Bytes) {
        self.subscribers
            .retain(|_, (_, outbox)| outbox.push(frame.clone()));
    }
}

/// The `playlist_ops` event for one committed entry.
pub fn ops_event(playlist_id: &str, e: &LogEntry) -> Value {
    json!({
        "type": "playlist_ops",
        "playlist_id": playlist_id,
        "version": e.version,
        "op_id": e.op_id,
        "author": e.author,
        "at_ms": e.at_ms,
        "ops": e.ops,
    })
}

/// One edit (WebSocket `playlist_edit` or a translated REST request).
pub struct Edit(pub EditRequest);

impl Message for Edit {
    type Result = ApiResult<EditResult>;
}

impl Handler<Edit> for PlaylistActor {
    type Result = AtomicResponse<Self, ApiResult<EditResult>>;

    fn handle(&mut self, m: Edit, _: &mut Self::Context) -> Self::Result {
        let now = self.env.clock.now_ms();
        let id = self.id.clone();
        self.atomic(
            move |mut core| {
                Box::pin(async move {
                    let mut gen = crate::storage::new_id;
                    let r = core.edit(m.0, now, &mut gen).await;
                    (core, r)
                })
            },
            move |act, r: ApiResult<EditOutcome>| {
                let out = r?;
                if let Some(e) = &out.entry {
                    let frame = Bytes::from(ops_event(&id, e).to_string());
                    act.broadcast(frame);
                }
                Ok(out.result)
            },
        )
    }
}

/// Subscribes a connection; answers with a snapshot or the entries after `since_version`.
pub struct Subscribe {
    pub conn_id: u64,
    pub user_id: Arc<str>,
    pub outbox: Arc<Outbox>,
    pub since_version: Option<u64>,
}

impl Message for Subscribe {
    type Result = ApiResult<Value>;
}

impl Handler<Subscribe> for PlaylistActor {
    type Result = AtomicResponse<Self, ApiResult<Value>>;

    fn handle(&mut self, m: Subscribe, _: &mut Self::Context) -> Self::Result {
        let id = self.id.clone();
        let (conn_id, user_id, outbox) = (m.conn_id, m.user_id.clone(), m.outbox.clone());
        self.atomic(
            move |core| {
                Box::pin(async move {
                    let r = subscribe_result(&core, &id, m.since_version).await;
                    (core, r)
                })
            },
            move |act, r| {
                if r.is_ok() {
                    act.subscribers.insert(conn_id, (user_id, outbox));
                }
                r
            },
        )
    }
}

async fn subscribe_result(core: &PlaylistCore, id: &str, since: Option<u64>) -> ApiResult<Value> {
    let doc = &core.doc;
    if let Some(since) = since {
        if let Some(entries) = core.since(since).await? {
            let ops: Vec<Value> = entries
                .iter()
                .map(|e| json!({"version": e.version, "op_id": e.op_id, "author": e.author, "at_ms": e.at_ms, "ops": e.ops}))
                .collect();
            return Ok(json!({
                "playlist_id": id, "version": doc.version(), "since_version": since, "ops": ops,
            }));
        }
    }
    let items: Vec<&Item> = doc.items().collect();
    Ok(json!({
        "playlist_id": id, "version": doc.version(), "name": doc.name(),
        "description": doc.description(), "items": items,
    }))
}

/// The current subscribers (to re-check their access after a permission change).
pub struct Subscribers;

impl Message for Subscribers {
    type Result = Vec<(u64, Arc<str>, Arc<Outbox>)>;
}

impl Handler<Subscribers> for PlaylistActor {
    type Result = MessageResult<Subscribers>;
    fn handle(&mut self, _: Subscribers, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.subscribers
                .iter()
                .map(|(c, (u, o))| (*c, u.clone(), o.clone()))
                .collect(),
        )
    }
}

pub struct Unsubscribe {
    pub conn_id: u64,
}

impl Message for Unsubscribe {
    type Result = ();
}

impl Handler<Unsubscribe> for PlaylistActor {
    type Result = ();
    fn handle(&mut self, m: Unsubscribe, _: &mut Self::Context) {
        self.subscribers.remove(&m.conn_id);
        self.last_active = tokio::time::Instant::now();
    }
}

/// The current list (REST reads, playing a playlist context).
pub struct Read;

/// A consistent copy of the list at one version.
#[derive(Debug, Clone)]
pub struct ReadView {
    pub version: u64,
    pub name: String,
    pub description: String,
    pub items: Vec<Item>,
}

impl Message for Read {
    type Result = ApiResult<ReadView>;
}

impl Handler<Read> for PlaylistActor {
    type Result = AtomicResponse<Self, ApiResult<ReadView>>;
    fn handle(&mut self, _: Read, _: &mut Self::Context) -> Self::Result {
        self.atomic(
            |core| {
                Box::pin(async move {
                    let d = &core.doc;
                    let view = ReadView {
                        version: d.version(),
                        name: d.name().to_string(),
                        description: d.description().to_string(),
                        items: d.items().cloned().collect(),
                    };
                    (core, Ok(view))
                })
            },
            |_, r| r,
        )
    }
}

/// Stops the actor at once (the playlist was deleted).
pub struct Stop;

impl Message for Stop {
    type Result = ();
}

impl Handler<Stop> for PlaylistActor {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        self.subscribers.clear();
        ctx.stop();
    }
}
