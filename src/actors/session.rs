//! `SessionActor`: one per group session, the single writer of its roster and shared player.
//! Player commands from members run through the same pure player (`domain::player::apply`)
//! with starts scheduled `lead` ahead (`start_at_ms`), where `lead` comes from the members'
//! measured round trips. State events are serialized once and pushed straight into every
//! member connection's outbox.

mod playback;
pub use playback::{Buffering, PlayerCmd};
mod members;
pub use members::MemberSnapshot;

use super::resolve::{self, Prepared};
use super::session_dir::MemberConn;
use super::user_view::{fetch_meta, needed_tracks, player_view, MetaCache};
use crate::cdn::Listener;
use crate::domain::player::{apply, ApplyCtx, Command, Effect, ItemId, Limits, PlayerState};
use crate::domain::session::{start_lead_ms, Departure, Member, Roster};
use crate::error::{ApiError, ApiResult, StorageError};
use crate::http::outbox::keys;
use crate::http::AppState;
use crate::protocol::client::PlayerRequest;
use crate::protocol::codec::encode;
use crate::protocol::server::PlayerStateView;
use crate::storage::sessions::SessionRecord;
use crate::storage::settings::StreamingQuality;
use crate::storage::Tier;
use actix::prelude::*;
use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// What is stored for a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionDoc {
    pub roster: Roster,
    pub player: PlayerState,
    /// Queue item id -> user who added it.
    #[serde(default)]
    pub added_by: HashMap<u64, String>,
    pub last_active_ms: i64,
}

pub struct SessionActor {
    app: web::Data<AppState>,
    id: Arc<str>,
    doc: SessionDoc,
    meta: MetaCache,
    conns: Vec<MemberConn>,
    /// Members whose device is still buffering the current item, and until when we wait.
    buffering: HashSet<String>,
    buffering_deadline: Option<SpawnHandle>,
    persist_in_flight: bool,
    persist_dirty: bool,
    ended: bool,
    /// A roster broadcast is scheduled (see `publish_roster`).
    roster_pending: bool,
    /// Each member's tier and quality as last heard from their user actor (with their
    /// connections): a reconnecting member's `welcome` is signed for them.
    listeners: HashMap<Arc<str>, Listener>,
}

const ROSTER_DEBOUNCE: Duration = Duration::from_millis(100);

impl SessionActor {
    pub fn new(app: web::Data<AppState>, doc: SessionDoc, meta: MetaCache) -> Self {
        SessionActor {
            id: Arc::from(doc.roster.session_id.as_str()),
            app,
            doc,
            meta,
            conns: Vec::new(),
            buffering: HashSet::new(),
            buffering_deadline: None,
            persist_in_flight: false,
            persist_dirty: false,
            ended: false,
            roster_pending: false,
            listeners: HashMap::new(),
        }
    }

    pub fn record(&self) -> ApiResult<SessionRecord> {
        Ok(SessionRecord {
            session_id: self.id.to_string(),
            join_code: self.doc.roster.join_code.clone(),
            version: self.doc.player.version,
            state: serde_json::to_value(&self.doc)
                .map_err(|e| ApiError::internal(format!("cannot encode session: {e}")))?,
            members: self
                .doc
                .roster
                .members
                .iter()
                .map(|m| m.user_id.clone())
                .collect(),
            last_active_ms: self.doc.last_active_ms,
        })
    }

    /// `session_state` as every member sees it.
    pub fn state_view(&self) -> Value {
        let r = &self.doc.roster;
        json!({
            "type": "session_state",
            "active": true,
            "session_id": r.session_id,
            "join_code": r.join_code,
            "name": r.name,
            "host_user_id": r.host_user_id(),
            "members": r.members.iter().map(|m| json!({
                "user_id": m.user_id,
                "display_name": m.display_name,
                "role": m.role,
            })).collect::<Vec<_>>(),
            "settings": r.settings,
        })
    }

    fn push_all(&self, key: u32, frame: &bytes::Bytes) {
        for c in &self.conns {
            c.outbox.push_keyed(key, frame.clone());
        }
    }

    /// Roster changes are sent at most every `ROSTER_DEBOUNCE`: when hundreds of members join
    /// at once, each member gets one `session_state` per window instead of one per join (the
    /// member list grows with the session, so per-join broadcasts would cost O(n²) bytes).
    fn publish_roster(&mut self, ctx: &mut Context<Self>) {
        self.touch_and_persist(ctx);
        if self.roster_pending {
            return;
        }
        self.roster_pending = true;
        ctx.run_later(ROSTER_DEBOUNCE, |act, _| {
            act.roster_pending = false;
            if !act.ended {
                let frame = encode(&act.state_view());
                act.push_all(keys::SESSION_STATE, &frame);
            }
        });
    }

    fn lead_ms(&self) -> i64 {
        let c = &self.app.config.session;
        start_lead_ms(
            self.conns.iter().map(|m| m.outbox.rtt_ms()),
            c.lead_floor_ms,
            c.lead_cap_ms,
        )
    }

    fn touch_and_persist(&mut self, ctx: &mut Context<Self>) {
        self.doc.last_active_ms = self.app.now_ms();
        self.persist_dirty = true;
        if !self.persist_in_flight && !self.ended {
            self.start_persist(ctx);
        }
    }

    fn start_persist(&mut self, ctx: &mut Context<Self>) {
        let Ok(rec) = self.record() else { return };
        self.persist_dirty = false;
        self.persist_in_flight = true;
        let storage = self.app.storage.clone();
        ctx.spawn(
            async move { storage.sessions.save(rec).await }
                .into_actor(self)
                .map(|res, act, ctx| {
                    act.persist_in_flight = false;
                    match res {
                        Ok(()) | Err(StorageError::Conflict(_)) | Err(StorageError::NotFound) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot store session; will retry");
                            act.persist_dirty = true;
                        }
                    }
                    if act.persist_dirty && !act.ended {
                        act.start_persist(ctx);
                    }
                }),
        );
    }

    fn limits(&self) -> Limits {
        let c = &self.app.config.player;
        Limits {
            max_queue: c.max_queue,
            max_context_tracks: c.max_context_tracks,
            previous_restart_threshold_ms: c.previous_restart_threshold_ms,
        }
    }

    /// Runs a domain command on the shared player.
    fn run(
        &mut self,
        cmd: Command,
        user_id: &str,
        device_id: &str,
        expected_version: Option<u64>,
    ) -> ApiResult<(Value, bool)> {
        let limits = self.limits();
        let lead = self.lead_ms();
        let online = |_: &str| true;
        let now = self.app.now_ms();
        let issuer = match &cmd {
            Command::TrackEnded { item_id } => {
                self.track_end_issuer(user_id, device_id, *item_id, now)?
            }
            _ => device_id.to_string(),
        };
        let actx = ApplyCtx {
            issuer: Some(&issuer),
            is_online: &online,
            limits: &limits,
            random: rand::random(),
            start_lead_ms: Some(lead),
        };
        let finished = crate::actors::library::Finished::capture(&self.doc.player, now);
        let effects = apply(&mut self.doc.player, cmd, expected_version, now, &actx)?;
        let mut result = json!({});
        let mut changed = false;
        for e in effects {
            match e {
                Effect::Changed { .. } => changed = true,
                Effect::QueueAdded(ids) => {
                    for id in &ids {
                        self.doc.added_by.insert(id.0, user_id.to_string());
                    }
                    result["item_ids"] =
                        json!(ids.iter().map(|i| i.to_string()).collect::<Vec<_>>());
                }
                Effect::ItemChanged => {
                    // A new item: nobody is buffering it yet.
                    self.buffering.clear();
                    if let Some(f) = &finished {
                        self.record_member_plays(f, now);
                    }
                }
                Effect::ActiveDeviceChanged => {}
            }
        }
        // Forget attributions of items no longer queued.
        let queued: HashSet<u64> = self.doc.player.queue.iter().map(|e| e.item_id.0).collect();
        self.doc.added_by.retain(|k, _| queued.contains(k));
        result["version"] = json!(self.doc.player.version);
        Ok((result, changed))
    }

    fn check_permission(&self, user_id: &str, req: &PlayerRequest) -> ApiResult<()> {
        let r = &self.doc.roster;
        if r.member(user_id).is_none() {
            return Err(ApiError::forbidden("you are not in this session"));
        }
        let allowed = match req {
            PlayerRequest::QueueAdd { .. } => r.can_add(user_id),
            // Progress reports from any member's device keep the shared timeline moving.
            PlayerRequest::TrackEnded { .. } | PlayerRequest::ReportPosition { .. } => true,
            _ => r.can_control(user_id),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "the host has not allowed guests to do that in this session",
            ))
        }
    }

    /// Everyone leaves: members' own players come back.
    fn end(&mut self, ctx: &mut Context<Self>, reason: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        // Whatever was heard of the current item counts for everyone still listening.
        self.record_current_plays(None);
        let frame = encode(&json!({
            "type": "session_state", "active": false, "session_id": &*self.id, "reason": reason,
        }));
        self.push_all(keys::SESSION_STATE, &frame);
        let members: Vec<String> = self
            .doc
            .roster
            .members
            .iter()
            .map(|m| m.user_id.clone())
            .collect();
        // Forget it at once, so that nobody finds the code or routes to it while it stops.
        self.app
            .sessions
            .forget(&self.id, &self.doc.roster.join_code, &members);
        let app = self.app.clone();
        let id = self.id.clone();
        let version = self.doc.player.version;
        ctx.wait(
            async move {
                for m in &members {
                    super::session_dir::return_to_own_player(&app, m, version).await;
                }
                if let Err(e) = app.storage.sessions.delete(&id).await {
                    tracing::warn!(error = %e, "cannot delete an ended session");
                }
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        );
    }

    fn depart(&mut self, ctx: &mut Context<Self>, user_id: &str, reason: &str) -> Departure {
        // What the member heard of the current item before leaving counts for them.
        self.record_current_plays(Some(user_id));
        let d = self.doc.roster.leave(user_id);
        if d == Departure::NotAMember {
            return d;
        }
        // Their connections stop receiving the session, and are told so.
        let frame = encode(&json!({
            "type": "session_state", "active": false, "session_id": &*self.id, "reason": reason,
        }));
        for c in self.conns.iter().filter(|c| &*c.user_id == user_id) {
            c.outbox.push_keyed(keys::SESSION_STATE, frame.clone());
        }
        self.conns.retain(|c| &*c.user_id != user_id);
        self.listeners.remove(user_id);
        self.buffering.remove(user_id);
        if d == Departure::Ended {
            self.end(ctx, "ended");
            return d;
        }
        let app = self.app.clone();
        let (uid, id, version) = (
            user_id.to_string(),
            self.id.clone(),
            self.doc.player.version,
        );
        actix::spawn(async move {
            app.sessions.forget_member(&id, &uid);
            super::session_dir::return_to_own_player(&app, &uid, version).await;
        });
        self.publish_roster(ctx);
        d
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;
}

/// A member joins (or a member's new connections attach).
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub struct Join {
    pub member: Member,
    pub conns: Vec<MemberConn>,
}

impl Handler<Join> for SessionActor {
    type Result = ApiResult<Value>;

    fn handle(&mut self, m: Join, ctx: &mut Context<Self>) -> ApiResult<Value> {
        if self.ended {
            return Err(ApiError::not_found("that session has ended"));
        }
        let user_id = m.member.user_id.clone();
        let new = self
            .doc
            .roster
            .join(m.member)
            .map_err(|e| ApiError::forbidden(e.to_string()))?;
        for c in m.conns {
            self.listeners.insert(c.user_id.clone(), c.listener);
            if !self.conns.iter().any(|x| x.conn_id == c.conn_id) {
                self.conns.push(c);
            }
        }
        // The joiner gets the current timeline at once; the others learn of the new member.
        let listener = self
            .conns
            .iter()
            .find(|c| *c.user_id == *user_id)
            .map(|c| c.listener);
        let joiner_view = match listener {
            Some(l) => self.player_view_for(l),
            None => self.player_view(),
        };
        let player = encode(&joiner_view);
        for c in self.conns.iter().filter(|c| *c.user_id == *user_id) {
            c.outbox.push_keyed(keys::PLAYER_STATE, player.clone());
        }
        if new {
            self.publish_roster(ctx);
        } else {
            let frame = encode(&self.state_view());
            for c in self.conns.iter().filter(|c| *c.user_id == *user_id) {
                c.outbox.push_keyed(keys::SESSION_STATE, frame.clone());
            }
        }
        Ok(json!({
            "session_id": &*self.id,
            "join_code": self.doc.roster.join_code,
            "session": self.state_view(),
            "player": joiner_view,
        }))
    }
}

/// A member's device connected or went away.
#[derive(Message)]
#[rtype(result = "()")]
pub enum Attach {
    Add(MemberConn),
    Remove(u64),
}

impl Handler<Attach> for SessionActor {
    type Result = ();

    fn handle(&mut self, m: Attach, _: &mut Context<Self>) {
        match m {
            Attach::Add(c) => {
                if self.doc.roster.member(&c.user_id).is_none() {
                    return;
                }
                c.outbox
                    .push_keyed(keys::SESSION_STATE, encode(&self.state_view()));
                c.outbox.push_keyed(
                    keys::PLAYER_STATE,
                    encode(&self.player_view_for(c.listener)),
                );
                self.listeners.insert(c.user_id.clone(), c.listener);
                self.conns.retain(|x| x.conn_id != c.conn_id);
                self.conns.push(c);
            }
            Attach::Remove(conn_id) => self.conns.retain(|x| x.conn_id != conn_id),
        }
    }
}

/// Host and membership operations.
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub enum Manage {
    Leave {
        user_id: String,
    },
    End {
        by: String,
    },
    Kick {
        by: String,
        target: String,
    },
    Promote {
        by: String,
        target: String,
    },
    Settings {
        by: String,
        guests_can_control: Option<bool>,
        guests_can_add: Option<bool>,
    },
    /// Expiry sweep: ends the session when inactive for `expire_after_ms`.
    ExpireIfIdle,
}

impl Handler<Manage> for SessionActor {
    type Result = ApiResult<Value>;

    fn handle(&mut self, m: Manage, ctx: &mut Context<Self>) -> ApiResult<Value> {
        if self.ended {
            return Err(ApiError::not_found("that session has ended"));
        }
        let r = &mut self.doc.roster;
        match m {
            Manage::Leave { user_id } => match self.depart(ctx, &user_id, "left") {
                Departure::NotAMember => Err(ApiError::not_found("you are not in this session")),
                _ => Ok(json!({})),
            },
            Manage::End { by } => {
                if !r.is_host(&by) {
                    return Err(ApiError::forbidden("only the host can end the session"));
                }
                self.end(ctx, "ended");
                Ok(json!({}))
            }
            Manage::Kick { by, target } => {
                if !r.is_host(&by) {
                    return Err(ApiError::forbidden("only the host can remove members"));
                }
                if by == target {
                    return Err(ApiError::bad_request("use session_leave to leave"));
                }
                match self.depart(ctx, &target, "kicked") {
                    Departure::NotAMember => Err(ApiError::not_found("no such member")),
                    _ => Ok(json!({})),
                }
            }
            Manage::Promote { by, target } => {
                r.promote(&by, &target).map_err(|e| match e {
                    crate::domain::session::SessionError::NotMember => {
                        ApiError::not_found(e.to_string())
                    }
                    crate::domain::session::SessionError::SelfTarget => {
                        ApiError::bad_request(e.to_string())
                    }
                    _ => ApiError::forbidden(e.to_string()),
                })?;
                self.publish_roster(ctx);
                Ok(json!({}))
            }
            Manage::Settings {
                by,
                guests_can_control,
                guests_can_add,
            } => {
                if !r.is_host(&by) {
                    return Err(ApiError::forbidden("only the host can change settings"));
                }
                if let Some(v) = guests_can_control {
                    r.settings.guests_can_control = v;
                }
                if let Some(v) = guests_can_add {
                    r.settings.guests_can_add = v;
                }
                let settings = serde_json::to_value(&r.settings).unwrap_or_default();
                self.publish_roster(ctx);
                Ok(json!({ "settings": settings }))
            }
            Manage::ExpireIfIdle => {
                let idle = self.app.now_ms() - self.doc.last_active_ms;
                if idle >= self.app.config.session.expire_after_ms && self.conns.is_empty() {
                    self.end(ctx, "expired");
                }
                Ok(json!({}))
            }
        }
    }
}
