//! Where group sessions live: live actors by id, join codes, and which session each user is in.
//! Sessions are stored; after a restart they are routed again from storage and their actors
//! activate on first use. Also creating and joining (which involve the member's user actor) and
//! the expiry sweep.

use super::session::{Join, Manage, SessionActor, SessionDoc};
use super::user::{EnterSession, LeaveSession};
use super::user_view::{fetch_meta, needed_tracks};
use crate::domain::session::{new_join_code, normalize_join_code, Member, Role, Roster, Settings};
use crate::error::{ApiError, ApiResult, StorageError};
use crate::http::conn::ConnCtx;
use crate::http::outbox::Outbox;
use crate::http::AppState;
use crate::ratelimit::KeyedLimiter;
use crate::storage::sessions::SessionRecord;
use actix::{Actor, Addr};
use actix_web::web;
use dashmap::DashMap;
use serde_json::Value;
use std::sync::Arc;

/// A member's connection as the session keeps it.
#[derive(Clone)]
pub struct MemberConn {
    pub user_id: Arc<str>,
    pub conn_id: u64,
    pub device_id: Arc<str>,
    pub outbox: Arc<Outbox>,
    /// The member's tier and chosen quality: their stream is signed for them.
    pub listener: crate::cdn::Listener,
}

pub struct SessionDirectory {
    live: DashMap<Arc<str>, Addr<SessionActor>>,
    codes: DashMap<String, Arc<str>>,
    users: DashMap<String, Arc<str>>,
    /// One activation at a time keeps "at most one actor per session" simple.
    activating: tokio::sync::Mutex<()>,
    join_limiter: KeyedLimiter,
}

impl SessionDirectory {
    pub fn new(config: &crate::config::Config) -> Self {
        SessionDirectory {
            live: DashMap::new(),
            codes: DashMap::new(),
            users: DashMap::new(),
            activating: tokio::sync::Mutex::new(()),
            join_limiter: KeyedLimiter::per_minute(config.session.join_attempts_per_minute),
        }
    }

    /// Reads every stored session at start-up: expired ones are removed, the others routed.
    pub async fn restore(&self, app: &AppState) -> anyhow::Result<()> {
        let now = app.now_ms();
        for rec in app.storage.sessions.list().await? {
            if now - rec.last_active_ms >= app.config.session.expire_after_ms {
                app.storage.sessions.delete(&rec.session_id).await?;
                continue;
            }
            let id: Arc<str> = Arc::from(rec.session_id.as_str());
            self.codes.insert(rec.join_code.clone(), id.clone());
            for m in rec.members {
                self.users.insert(m, id.clone());
            }
        }
        Ok(())
    }

    pub fn session_of(&self, user_id: &str) -> Option<Arc<str>> {
        self.users.get(user_id).map(|s| s.clone())
    }

    pub fn peek(&self, session_id: &str) -> Option<Addr<SessionActor>> {
        self.live
            .get(session_id)
            .map(|a| a.clone())
            .filter(|a| a.connected())
    }

    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    /// The session's actor, activating it from storage when needed.
    pub async fn get(
        &self,
        app: &web::Data<AppState>,
        session_id: &str,
    ) -> ApiResult<Addr<SessionActor>> {
        if let Some(a) = self.peek(session_id) {
            return Ok(a);
        }
        let _guard = self.activating.lock().await;
        if let Some(a) = self.peek(session_id) {
            return Ok(a);
        }
        let rec = app
            .storage
            .sessions
            .load(session_id)
            .await?
            .ok_or_else(|| ApiError::not_found("that session has ended"))?;
        let mut doc: SessionDoc = serde_json::from_value(rec.state)
            .map_err(|e| ApiError::internal(format!("stored session is unreadable: {e}")))?;
        // Like a solo player, a session that was playing when the server stopped comes back
        // paused where it had got to.
        let p = &mut doc.player;
        if p.playing {
            let pos = p.live_position(rec.last_active_ms.max(p.position_at_ms));
            p.playing = false;
            p.start_at_ms = None;
            p.position_ms = pos;
            p.position_at_ms = app.now_ms();
            p.version += 1;
        }
        let meta = fetch_meta(app, needed_tracks(&doc.player))
            .await?
            .into_iter()
            .map(|m| (m.track.id.clone(), m))
            .collect();
        let app2 = app.clone();
        let addr = SessionActor::start_in_arbiter(&app.players.arbiter(), move |_| {
            SessionActor::new(app2, doc, meta)
        });
        self.live.insert(Arc::from(session_id), addr.clone());
        Ok(addr)
    }

    /// The session ended: forget it everywhere.
    pub fn forget(&self, session_id: &str, join_code: &str, members: &[String]) {
        self.live.remove(session_id);
        self.codes.remove(join_code);
        for m in members {
            self.users.remove_if(m, |_, s| &**s == session_id);
        }
    }

    pub fn forget_member(&self, session_id: &str, user_id: &str) {
        self.users.remove_if(user_id, |_, s| &**s == session_id);
    }

    /// Periodically ends sessions that have been inactive for `session.expire_after_ms`.
    pub fn spawn_expiry(app: web::Data<AppState>) {
        let every = (app.config.session.expire_after_ms / 10).clamp(1_000, 60_000) as u64;
        actix_rt::spawn(async move {
            let mut shutdown = app.shutdown.clone();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(every)) => {}
                    _ = shutdown.changed() => return,
                }
                let ids: Vec<Arc<str>> = app
                    .sessions
                    .codes
                    .iter()
                    .map(|e| e.value().clone())
                    .collect();
                for id in ids {
                    if let Ok(addr) = app.sessions.get(&app, &id).await {
                        let _ = addr.send(Manage::ExpireIfIdle).await;
                    }
                }
            }
        });
    }
}

async fn display_name(app: &AppState, user_id: &str) -> ApiResult<String> {
    Ok(app
        .storage
        .accounts
        .by_id(user_id)
        .await?
        .map_or_else(|| user_id.to_string(), |a| a.display_name))
}

/// Moves a user's connections under the session; returns them.
async fn enter(
    app: &web::Data<AppState>,
    user_id: &str,
    session_id: &Arc<str>,
) -> ApiResult<Vec<MemberConn>> {
    let addr = super::directory::user_actor(app, user_id).await?;
    addr.send(EnterSession {
        session_id: session_id.clone(),
    })
    .await
    .map_err(|_| ApiError::unavailable("the player is restarting, try again"))?
}

/// After leaving (or the end of) a session, the user's own player takes over again.
pub async fn return_to_own_player(app: &web::Data<AppState>, user_id: &str, version_floor: u64) {
    if let Ok(addr) = super::directory::user_actor(app, user_id).await {
        let _ = addr.send(LeaveSession { version_floor }).await;
    }
}

pub async fn create(
    app: &web::Data<AppState>,
    ctx: &ConnCtx,
    name: Option<String>,
) -> ApiResult<Value> {
    let user_id = ctx.user_id.to_string();
    if app.sessions.session_of(&user_id).is_some() {
        return Err(ApiError::conflict(
            "you are already in a group session; leave it first",
        ));
    }
    // Hosting is a Premium feature (free accounts may still join); the tier is read from
    // storage, not the connection, so an upgrade or downgrade applies at once.
    let account = app
        .storage
        .accounts
        .by_id(&user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    if account.tier != crate::storage::Tier::Premium {
        return Err(ApiError::new(
            crate::error::ErrorCode::PremiumRequired,
            "hosting a group session needs Premium; free accounts can join one with a code",
        ));
    }
    let display = account.display_name;
    let name = name.unwrap_or_else(|| format!("{display}'s session"));
    if name.chars().count() > 100 {
        return Err(ApiError::bad_request("name must be at most 100 characters"));
    }
    let now = app.now_ms();
    let session_id: Arc<str> = Arc::from(crate::storage::new_id());
    let host = Member {
        user_id: user_id.clone(),
        display_name: display,
        role: Role::Host,
        joined_at_ms: now,
    };
    let settings = Settings {
        guests_can_control: true,
        guests_can_add: true,
        capacity: app.config.session.capacity,
    };
    // The shared player starts from the host's own player (paused by `enter`).
    let own = super::directory::user_actor(app, &user_id)
        .await?
        .send(super::user::GetPlayer)
        .await
        .map_err(|_| ApiError::unavailable("the player is restarting, try again"))?;
    let mut code = String::new();
    let mut doc = None;
    for _ in 0..8 {
        code = new_join_code(rand::random);
        let roster = Roster::new(
            session_id.to_string(),
            code.clone(),
            name.clone(),
            host.clone(),
            settings.clone(),
        );
        let mut player = own.clone();
        player.playing = false;
        player.start_at_ms = None;
        player.active_device_id = None;
        let d = SessionDoc {
            roster,
            player,
            added_by: Default::default(),
            last_active_ms: now,
        };
        let rec = SessionRecord {
            session_id: session_id.to_string(),
            join_code: code.clone(),
            version: d.player.version,
            state: serde_json::to_value(&d).map_err(|e| ApiError::internal(e.to_string()))?,
            members: vec![user_id.clone()],
            last_active_ms: now,
        };
        match app.storage.sessions.create(rec).await {
            Ok(()) => {
                doc = Some(d);
                break;
            }
            Err(StorageError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let doc = doc.ok_or_else(|| ApiError::unavailable("could not allocate a join code"))?;
    let meta = fetch_meta(app, needed_tracks(&doc.player))
        .await?
        .into_iter()
        .map(|m| (m.track.id.clone(), m))
        .collect();
    let app2 = app.clone();
    let addr = SessionActor::start_in_arbiter(&app.players.arbiter(), move |_| {
        SessionActor::new(app2, doc, meta)
    });
    let dir = &app.sessions;
    dir.live.insert(session_id.clone(), addr.clone());
    dir.codes.insert(code, session_id.clone());
    dir.users.insert(user_id.clone(), session_id.clone());
    let conns = enter(app, &user_id, &session_id).await?;
    addr.send(Join {
        member: host,
        conns,
    })
    .await
    .map_err(|_| ApiError::unavailable("the session is restarting, try again"))?
}

pub async fn join(app: &web::Data<AppState>, ctx: &ConnCtx, code: &str) -> ApiResult<Value> {
    let user_id = ctx.user_id.to_string();
    if !app
        .sessions
        .join_limiter
        .check(&format!("join:{user_id}"), app.now_ms())
    {
        return Err(ApiError::rate_limited(
            "too many join attempts; wait a minute",
        ));
    }
    let code = normalize_join_code(code)
        .ok_or_else(|| ApiError::not_found("no session has that join code"))?;
    let session_id = app
        .sessions
        .codes
        .get(&code)
        .map(|s| s.clone())
        .ok_or_else(|| ApiError::not_found("no session has that join code"))?;
    match app.sessions.session_of(&user_id) {
        Some(s) if s == session_id => {}
        Some(_) => {
            return Err(ApiError::conflict(
                "you are already in another group session; leave it first",
            ))
        }
        None => {}
    }
    let addr = app.sessions.get(app, &session_id).await?;
    let member = Member {
        user_id: user_id.clone(),
        display_name: display_name(app, &user_id).await?,
        role: Role::Guest,
        joined_at_ms: app.now_ms(),
    };
    app.sessions
        .users
        .insert(user_id.clone(), session_id.clone());
    let conns = enter(app, &user_id, &session_id).await?;
    let result = addr
        .send(Join { member, conns })
        .await
        .unwrap_or_else(|_| Err(ApiError::not_found("that session has ended")));
    if result.is_err() {
        // Full (or ended): undo.
        app.sessions.forget_member(&session_id, &user_id);
        return_to_own_player(app, &user_id, 0).await;
    }
    result
}

/// Routes a player command: to the user's group session while they are in one (volume stays
/// personal), else to their own player. `device_id` is None for REST.
pub async fn player_command(
    app: &web::Data<AppState>,
    user_id: &Arc<str>,
    device_id: Option<Arc<str>>,
    req: crate::protocol::client::PlayerRequest,
    expected_version: Option<u64>,
) -> ApiResult<Value> {
    use crate::protocol::client::PlayerRequest;
    if let Some(session_id) = app.sessions.session_of(user_id) {
        if !matches!(req, PlayerRequest::SetVolume { .. }) {
            let addr = app.sessions.get(app, &session_id).await?;
            return addr
                .send(super::session::PlayerCmd {
                    user_id: user_id.clone(),
                    device_id: device_id.unwrap_or_else(|| Arc::from("web-api")),
                    req,
                    expected_version,
                })
                .await
                .map_err(|_| ApiError::unavailable("the session is restarting, try again"))?;
        }
    }
    let addr = super::directory::user_actor(app, user_id).await?;
    addr.send(super::user::Cmd {
        issuer: device_id,
        req,
        expected_version,
    })
    .await
    .map_err(|_| ApiError::unavailable("the player is restarting, try again"))?
}
