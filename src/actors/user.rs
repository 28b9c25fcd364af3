//! `UserActor`: one per user, the single writer of that user's devices and player. It applies
//! player commands (the pure `domain::player`), pushes `player_state`/`devices` to every
//! connected device of the user, pauses after the active device has been gone for the grace
//! period, coalesces state writes, and passivates when the user has had no connection for a
//! while.

use super::resolve::{self, Prepared};
use super::session::Attach;
use super::session_dir::MemberConn;
use super::user_view::{self, devices_view, fetch_meta, needed_tracks, player_view, Device};
use super::user_view::{MetaCache, TrackMeta};
use crate::cdn::Listener;
use crate::domain::player::{apply, ApplyCtx, Command, Effect, Limits, PlayerState};
use crate::error::{ApiError, ApiResult};
use crate::http::outbox::{keys, Outbox};
use crate::http::AppState;
use crate::protocol::client::PlayerRequest;
use crate::protocol::codec::encode;
use crate::protocol::server::{DeviceView, DevicesEvent, PlayerStateView, Welcome};
use crate::protocol::RequestId;
use crate::storage::settings::StreamingQuality;
use crate::storage::{DeviceRecord, PlayerRecord, Tier};
use actix::prelude::*;
use actix_web::web;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

mod life;
mod session;
pub use life::Discard;
pub use session::{EnterSession, GetPlayer, LeaveSession};
mod load;
pub use load::load;
mod settings;
pub use settings::SetQuality;

pub struct UserActor {
    app: web::Data<AppState>,
    user_id: Arc<str>,
    tier: Tier,
    /// The streaming quality the user chose (`/v1/me/settings`).
    quality: StreamingQuality,
    player: PlayerState,
    devices: Vec<Device>,
    conns: Vec<Conn>,
    meta: MetaCache,
    persist: Persist,
    grace: Option<SpawnHandle>,
    idle_check: Option<SpawnHandle>,
    last_activity_ms: i64,
    passivating: bool,
    /// The group session this user is in: its shared player replaces this one on the user's
    /// devices until they leave.
    session: Option<Arc<str>>,
    /// The own player was playing when the user joined a session: play on when they leave.
    resume_after_session: bool,
}

struct Conn {
    id: u64,
    device_id: Arc<str>,
    outbox: Arc<Outbox>,
}

#[derive(Default)]
struct Persist {
    dirty: bool,
    urgent: bool,
    in_flight: bool,
    timer: bool,
    last_ms: i64,
}

/// What an actor starts from (read from storage before it starts).
pub struct Loaded {
    player: PlayerState,
    devices: Vec<Device>,
    tier: Tier,
    quality: StreamingQuality,
    meta: Vec<Arc<TrackMeta>>,
    dirty: bool,
}

/// A device connected (after `hello`). The actor pushes `welcome` into the outbox itself so that
/// it is queued before any later `player_state`.
#[derive(Message)]
#[rtype(result = "ApiResult<()>")]
pub struct Connect {
    pub conn_id: u64,
    pub device_id: Arc<str>,
    pub name: String,
    pub kind: String,
    pub outbox: Arc<Outbox>,
    pub hello_id: Option<RequestId>,
    /// In a group session: its player and `session_state`, shown in `welcome` instead of the
    /// user's own player.
    pub session_view: Option<(PlayerStateView, Value)>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    pub conn_id: u64,
}

/// A player command from a device (`issuer`) or from REST (`None`).
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub struct Cmd {
    pub issuer: Option<Arc<str>>,
    pub req: PlayerRequest,
    pub expected_version: Option<u64>,
}

#[derive(Message)]
#[rtype(result = "(PlayerStateView, Vec<DeviceView>)")]
pub struct GetView;

/// The queue followed by the next context items, for `GET /v1/me/player/queue`.
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub struct GetQueue;

/// Store the state now and stop (server shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

/// What to push after a command.
#[derive(Default, Clone, Copy)]
struct Publish {
    player: bool,
    devices: bool,
    urgent: bool,
}

impl UserActor {
    pub fn new(app: web::Data<AppState>, user_id: Arc<str>, l: Loaded) -> Self {
        let now = app.now_ms();
        let session = app.sessions.session_of(&user_id);
        UserActor {
            user_id,
            tier: l.tier,
            quality: l.quality,
            player: l.player,
            devices: l.devices,
            conns: Vec::new(),
            meta: l
                .meta
                .into_iter()
                .map(|m| (m.track.id.clone(), m))
                .collect(),
            persist: Persist {
                dirty: l.dirty,
                urgent: l.dirty,
                ..Persist::default()
            },
            grace: None,
            idle_check: None,
            last_activity_ms: now,
            passivating: false,
            session,
            resume_after_session: false,
            app,
        }
    }

    fn limits(&self) -> Limits {
        let c = &self.app.config.player;
        Limits {
            max_queue: c.max_queue,
            max_context_tracks: c.max_context_tracks,
            previous_restart_threshold_ms: c.previous_restart_threshold_ms,
        }
    }

    fn is_online(&self, device_id: &str) -> bool {
        self.devices
            .iter()
            .any(|d| &*d.id == device_id && d.conns > 0)
    }

    fn view(&self) -> PlayerStateView {
        player_view(
            &self.app,
            &self.user_id,
            self.listener(),
            &self.player,
            &self.meta,
        )
    }

    /// How this user's streams are signed (their own player and their share of a session's).
    fn listener(&self) -> Listener {
        Listener::new(self.tier, self.quality)
    }

    /// This connection as a group session keeps it.
    fn member_conn(&self, conn_id: u64, device_id: &Arc<str>, outbox: &Arc<Outbox>) -> MemberConn {
        MemberConn {
            user_id: self.user_id.clone(),
            conn_id,
            device_id: device_id.clone(),
            outbox: outbox.clone(),
            listener: self.listener(),
        }
    }

    /// Applies a domain command; returns the ack result and what to publish.
    fn run(
        &mut self,
        cmd: Command,
        issuer: Option<&str>,
        expected_version: Option<u64>,
    ) -> ApiResult<(Value, Publish)> {
        let limits = self.limits();
        let now = self.app.now_ms();
        let devices = &self.devices;
        let online = |d: &str| devices.iter().any(|x| &*x.id == d && x.conns > 0);
        let ctx = ApplyCtx {
            issuer,
            is_online: &online,
            limits: &limits,
            random: rand::random(),
            start_lead_ms: None,
        };
        let volume_before = self.player.volume;
        let before = crate::actors::library::Finished::capture(&self.player, now);
        let effects = apply(&mut self.player, cmd, expected_version, now, &ctx)?;
        if effects.contains(&Effect::ItemChanged) {
            if let Some(played) = before {
                self.record_play(played, issuer, now);
            }
        }
        let mut publish = Publish::default();
        let mut result = json!({});
        for e in effects {
            match e {
                Effect::Changed { urgent } => {
                    publish.player = true;
                    publish.urgent = urgent;
                }
                Effect::ActiveDeviceChanged => {
                    publish.devices = true;
                    // The new device takes over the player's volume.
                    let (active, vol) = (self.player.active_device_id.clone(), self.player.volume);
                    if let Some(d) = self
                        .devices
                        .iter_mut()
                        .find(|d| Some(&*d.id) == active.as_deref())
                    {
                        d.volume = vol;
                    }
                }
                Effect::QueueAdded(ids) => {
                    result["item_ids"] =
                        json!(ids.iter().map(|i| i.to_string()).collect::<Vec<_>>());
                }
                Effect::ItemChanged => {}
            }
        }
        if self.player.volume != volume_before {
            publish.devices = true;
        }
        result["version"] = json!(self.player.version);
        Ok((result, publish))
    }

    fn execute(
        &mut self,
        p: Prepared,
        issuer: Option<&str>,
        expected_version: Option<u64>,
    ) -> ApiResult<(Value, Publish)> {
        match p {
            Prepared::Domain(cmd) => self.run(cmd, issuer, expected_version),
            Prepared::Volume { volume, device_id } => {
                let active = self.player.active_device_id.clone();
                match device_id {
                    Some(d) if active.as_deref() != Some(d.as_str()) => {
                        if let Some(ev) = expected_version.filter(|v| *v != self.player.version) {
                            return Err(crate::domain::DomainError::Conflict {
                                expected: ev,
                                current: self.player.version,
                            }
                            .into());
                        }
                        let dev = self
                            .devices
                            .iter_mut()
                            .find(|x| *x.id == *d)
                            .ok_or_else(|| ApiError::not_found(format!("no device `{d}`")))?;
                        dev.volume = volume;
                        let rec = self.device_record(&d);
                        self.store_device(rec);
                        let publish = Publish {
                            devices: true,
                            ..Publish::default()
                        };
                        Ok((json!({"version": self.player.version}), publish))
                    }
                    _ => self.run(Command::SetVolume { volume }, issuer, expected_version),
                }
            }
        }
    }

    /// Play history from player transitions: when the item changes, the one before it was
    /// listened to for the time it actually played (history decides whether that is a stream).
    fn record_play(&self, f: crate::actors::library::Finished, issuer: Option<&str>, now: i64) {
        let event_id = format!("player-{}-{}-{}", self.user_id, f.item_id, f.version);
        let ms = f.ms_played;
        f.spawn_record(
            &self.app,
            &self.user_id,
            event_id,
            ms,
            issuer.map(str::to_string),
            now,
        );
    }

    fn device_record(&self, device_id: &str) -> Option<DeviceRecord> {
        let d = self.devices.iter().find(|d| &*d.id == device_id)?;
        Some(DeviceRecord {
            user_id: self.user_id.to_string(),
            device_id: d.id.to_string(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            volume: d.volume,
            last_seen_ms: d.last_seen_ms,
        })
    }

    fn store_device(&self, rec: Option<DeviceRecord>) {
        let Some(rec) = rec else { return };
        let storage = self.app.storage.clone();
        actix::spawn(async move {
            if let Err(e) = storage.players.upsert_device(rec).await {
                tracing::warn!(error = %e, "cannot store a device");
            }
        });
    }

    fn push_all(&self, key: u32, frame: &bytes::Bytes) {
        for c in &self.conns {
            c.outbox.push_keyed(key, frame.clone());
        }
    }

    fn push_devices(&self) {
        let devices = devices_view(&self.devices, &self.player);
        let frame = encode(&DevicesEvent {
            ty: "devices",
            devices: &devices,
        });
        self.push_all(keys::DEVICES, &frame);
    }

    fn publish(&mut self, ctx: &mut Context<Self>, p: Publish) {
        if p.player {
            if self.session.is_none() {
                let frame = encode(&self.view());
                self.push_all(keys::PLAYER_STATE, &frame);
            }
            self.schedule_persist(ctx, p.urgent);
            self.check_grace(ctx);
        }
        if p.devices {
            self.push_devices();
        }
        // Keep metadata only for what the views show (plus a little slack).
        let needed = needed_tracks(&self.player);
        if self.meta.len() > needed.len() + 64 {
            self.meta.retain(|k, _| needed.contains(k));
        }
    }

    fn missing_meta(&self) -> Vec<String> {
        needed_tracks(&self.player)
            .into_iter()
            .filter(|t| !self.meta.contains_key(t))
            .collect()
    }

    fn touch(&mut self) {
        self.last_activity_ms = self.app.now_ms();
    }
}

impl Actor for UserActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.persist.dirty {
            self.schedule_persist(ctx, true);
        }
        let after = self.app.config.player.passivate_after_ms;
        self.check_idle(ctx, after);
    }
}

impl Handler<Connect> for UserActor {
    type Result = ApiResult<()>;

    fn handle(&mut self, m: Connect, ctx: &mut Context<Self>) -> ApiResult<()> {
        if self.passivating {
            return Err(ApiError::unavailable("the player is restarting, try again"));
        }
        self.touch();
        let now = self.app.now_ms();
        if !self.devices.iter().any(|d| d.id == m.device_id) {
            if self.devices.len() >= self.app.config.player.max_devices {
                // Make room by forgetting the device unseen for longest (never an online one).
                let oldest = self
                    .devices
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        d.conns == 0 && self.player.active_device_id.as_deref() != Some(&*d.id)
                    })
                    .min_by_key(|(_, d)| d.last_seen_ms)
                    .map(|(i, _)| i);
                let Some(i) = oldest else {
                    return Err(ApiError::forbidden(format!(
                        "at most {} devices per user",
                        self.app.config.player.max_devices
                    )));
                };
                let gone = self.devices.remove(i);
                let (storage, uid) = (self.app.storage.clone(), self.user_id.clone());
                actix::spawn(async move {
                    let _ = storage.players.remove_device(&uid, &gone.id).await;
                });
            }
            self.devices.push(Device {
                id: m.device_id.clone(),
                name: String::new(),
                kind: String::new(),
                volume: 100,
                last_seen_ms: now,
                conns: 0,
            });
        }
        if let Some(d) = self.devices.iter_mut().find(|d| d.id == m.device_id) {
            d.name = m.name;
            d.kind = m.kind;
            d.last_seen_ms = now;
            d.conns = d.conns.saturating_add(1);
        }
        self.store_device(self.device_record(&m.device_id));
        self.conns.push(Conn {
            id: m.conn_id,
            device_id: m.device_id.clone(),
            outbox: m.outbox.clone(),
        });
        if let Some(h) = self.idle_check.take() {
            ctx.cancel_future(h);
        }
        self.check_grace(ctx);
        let (view, session) = match m.session_view {
            Some((player, session)) if self.session.is_some() => (player, Some(session)),
            _ => (self.view(), None),
        };
        let devices = devices_view(&self.devices, &self.player);
        m.outbox.push(encode(&Welcome {
            ty: "welcome",
            id: m.hello_id.as_ref(),
            user_id: &self.user_id,
            device_id: &m.device_id,
            server_time_ms: now,
            player: &view,
            devices: &devices,
            session,
        }));
        if let Some(session_id) = self.session.clone() {
            let conn = self.member_conn(m.conn_id, &m.device_id, &m.outbox);
            let app = self.app.clone();
            actix::spawn(async move {
                if let Ok(addr) = app.sessions.get(&app, &session_id).await {
                    addr.do_send(Attach::Add(conn));
                }
            });
        }
        let frame = encode(&DevicesEvent {
            ty: "devices",
            devices: &devices,
        });
        for c in self.conns.iter().filter(|c| c.id != m.conn_id) {
            c.outbox.push_keyed(keys::DEVICES, frame.clone());
        }
        Ok(())
    }
}

impl Handler<Disconnect> for UserActor {
    type Result = ();

    fn handle(&mut self, m: Disconnect, ctx: &mut Context<Self>) {
        let Some(i) = self.conns.iter().position(|c| c.id == m.conn_id) else {
            return;
        };
        let conn = self.conns.swap_remove(i);
        if let Some(addr) = self
            .session
            .as_deref()
            .and_then(|s| self.app.sessions.peek(s))
        {
            addr.do_send(Attach::Remove(conn.id));
        }
        self.touch();
        let now = self.app.now_ms();
        if let Some(d) = self.devices.iter_mut().find(|d| d.id == conn.device_id) {
            d.conns = d.conns.saturating_sub(1);
            d.last_seen_ms = now;
            if d.conns == 0 {
                self.push_devices();
            }
        }
        self.check_grace(ctx);
        let after = self.app.config.player.passivate_after_ms;
        self.check_idle(ctx, after);
    }
}

impl Handler<Cmd> for UserActor {
    type Result = AtomicResponse<Self, ApiResult<Value>>;

    fn handle(&mut self, m: Cmd, _ctx: &mut Context<Self>) -> Self::Result {
        self.touch();
        if self.passivating {
            let err = Err(ApiError::unavailable("the player is restarting, try again"));
            return AtomicResponse::new(Box::pin(actix::fut::ready(err)));
        }
        let (app, uid) = (self.app.clone(), self.user_id.clone());
        let Cmd {
            issuer,
            req,
            expected_version,
        } = m;
        let fut = async move { resolve::prepare(&app, &uid, req).await }
            .into_actor(self)
            .then(move |prepared, act, _ctx| {
                let result =
                    prepared.and_then(|p| act.execute(p, issuer.as_deref(), expected_version));
                let missing = act.missing_meta();
                let app = act.app.clone();
                async move {
                    let meta = if missing.is_empty() {
                        Ok(vec![])
                    } else {
                        fetch_meta(&app, missing).await
                    };
                    (result, meta)
                }
                .into_actor(act)
            })
            .map(|(result, meta), act, ctx| {
                for m in meta.unwrap_or_default() {
                    act.meta.insert(m.track.id.clone(), m);
                }
                let (value, publish) = result?;
                act.publish(ctx, publish);
                Ok(value)
            });
        AtomicResponse::new(Box::pin(fut))
    }
}

impl Handler<GetView> for UserActor {
    type Result = MessageResult<GetView>;

    fn handle(&mut self, _: GetView, ctx: &mut Context<Self>) -> Self::Result {
        self.touch();
        self.check_idle(ctx, self.app.config.player.passivate_after_ms);
        MessageResult((self.view(), devices_view(&self.devices, &self.player)))
    }
}
