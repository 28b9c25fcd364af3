//! The shared player of a group session: members' player commands and buffering reports.

use super::*;

/// A player command from a member's device.
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub struct PlayerCmd {
    pub user_id: Arc<str>,
    pub device_id: Arc<str>,
    pub req: PlayerRequest,
    pub expected_version: Option<u64>,
}

impl Handler<PlayerCmd> for SessionActor {
    type Result = AtomicResponse<Self, ApiResult<Value>>;

    fn handle(&mut self, m: PlayerCmd, _: &mut Context<Self>) -> Self::Result {
        let early = if self.ended {
            Err(ApiError::not_found("that session has ended"))
        } else if matches!(m.req, PlayerRequest::Transfer { .. }) {
            Err(ApiError::bad_request(
                "transfer is not available in a group session: every member plays on their own device",
            ))
        } else {
            self.check_permission(&m.user_id, &m.req)
        };
        if let Err(e) = early {
            return AtomicResponse::new(Box::pin(actix::fut::ready(Err(e))));
        }
        // The session timeline is the server's: position reports are acknowledged, not applied.
        if matches!(m.req, PlayerRequest::ReportPosition { .. }) {
            let v = json!({"version": self.doc.player.version});
            return AtomicResponse::new(Box::pin(actix::fut::ready(Ok(v))));
        }
        let app = self.app.clone();
        let PlayerCmd {
            user_id,
            device_id,
            req,
            expected_version,
        } = m;
        let uid = user_id.clone();
        let fut = async move { resolve::prepare(&app, &uid, req).await }
            .into_actor(self)
            .then(move |prepared, act, _| {
                let result = prepared.and_then(|p| match p {
                    Prepared::Domain(cmd) => act.run(cmd, &user_id, &device_id, expected_version),
                    Prepared::Volume { volume, .. } => act.run(
                        Command::SetVolume { volume },
                        &user_id,
                        &device_id,
                        expected_version,
                    ),
                });
                let missing: Vec<String> = needed_tracks(&act.doc.player)
                    .into_iter()
                    .filter(|t| !act.meta.contains_key(t))
                    .collect();
                let app = act.app.clone();
                async move {
                    let meta = fetch_meta(&app, missing).await.unwrap_or_default();
                    (result, meta)
                }
                .into_actor(act)
            })
            .map(|(result, meta), act, ctx| {
                for m in meta {
                    act.meta.insert(m.track.id.clone(), m);
                }
                let (value, changed) = result?;
                if changed {
                    act.publish_player(ctx);
                }
                Ok(value)
            });
        AtomicResponse::new(Box::pin(fut))
    }
}

/// `buffering {item_id, ready?}` from a member's device.
#[derive(Message)]
#[rtype(result = "ApiResult<Value>")]
pub struct Buffering {
    pub user_id: String,
    pub item_id: ItemId,
    pub ready: bool,
}

impl Handler<Buffering> for SessionActor {
    type Result = ApiResult<Value>;

    fn handle(&mut self, m: Buffering, ctx: &mut Context<Self>) -> ApiResult<Value> {
        if self.doc.roster.member(&m.user_id).is_none() {
            return Err(ApiError::forbidden("you are not in this session"));
        }
        let current = self.doc.player.current.as_ref().map(|c| c.entry.item_id);
        if current != Some(m.item_id) || !self.doc.player.playing {
            // Stale or irrelevant: nothing to wait for.
            return Ok(json!({"waiting": false}));
        }
        let now = self.app.now_ms();
        if !m.ready {
            let first = self.buffering.is_empty();
            self.buffering.insert(m.user_id);
            if first {
                // Hold the timeline where it is and start again at the deadline at the latest.
                let wait = self.app.config.session.buffering_wait_ms;
                let p = &mut self.doc.player;
                p.bank_played(now);
                p.position_ms = p.live_position(now);
                p.position_at_ms = now + wait as i64;
                p.start_at_ms = Some(now + wait as i64);
                p.version += 1;
                self.publish_player(ctx);
                let handle = ctx.run_later(Duration::from_millis(wait), |act, _| {
                    // Carry on without whoever is still buffering.
                    act.buffering.clear();
                    act.buffering_deadline = None;
                });
                self.buffering_deadline = Some(handle);
            }
            return Ok(json!({"waiting": true}));
        }
        self.buffering.remove(&m.user_id);
        if self.buffering.is_empty() {
            if let Some(h) = self.buffering_deadline.take() {
                ctx.cancel_future(h);
                // Everyone is ready before the deadline: start sooner.
                let start = now + self.lead_ms();
                let p = &mut self.doc.player;
                if p.start_at_ms.is_some_and(|s| s > start) {
                    p.position_at_ms = start;
                    p.start_at_ms = Some(start);
                    p.version += 1;
                    self.publish_player(ctx);
                }
            }
        }
        Ok(json!({"waiting": !self.buffering.is_empty()}))
    }
}
