//! What a session does per member: the stream signed for them (`player_view_for`,
//! `MemberSnapshot`), their `track_ended` reports, and the plays recorded in their history.

use super::*;
use crate::actors::library::Finished;

impl SessionActor {
    /// The shared `player_state` when the listener is not known (free tier, normal quality:
    /// 160 kbps, within every tier); members get `player_view_for` their own tier and setting.
    pub fn player_view(&self) -> PlayerStateView {
        self.player_view_for(Listener::new(Tier::Free, StreamingQuality::Normal))
    }

    /// The shared `player_state` as `listener` receives it: the same for every member except
    /// the stream, signed (for the session) at the best quality that listener's tier and
    /// setting allow. Queue items say who added them.
    pub fn player_view_for(&self, listener: Listener) -> PlayerStateView {
        let uid = format!("session-{}", self.id);
        let mut view = player_view(&self.app, &uid, listener, &self.doc.player, &self.meta);
        view.active_device_id = None;
        for item in &mut view.queue {
            if let Ok(id) = item.item_id.parse::<u64>() {
                item.added_by = self.doc.added_by.get(&id).cloned();
            }
        }
        view
    }

    /// Pushes the shared player to every member connection, encoded once per distinct
    /// listener (tier and setting: a handful), not once per member.
    pub(super) fn publish_player(&mut self, ctx: &mut Context<Self>) {
        let mut frames: Vec<(Listener, bytes::Bytes)> = Vec::new();
        for c in &self.conns {
            let frame = match frames.iter().find(|(l, _)| *l == c.listener) {
                Some((_, f)) => f.clone(),
                None => {
                    let f = encode(&self.player_view_for(c.listener));
                    frames.push((c.listener, f.clone()));
                    f
                }
            };
            c.outbox.push_keyed(keys::PLAYER_STATE, frame);
        }
        self.app
            .metrics
            .add("segue_session_deliveries_total", self.conns.len() as i64);
        self.touch_and_persist(ctx);
    }

    /// Any member may end the current item (`track_ended`): the session's timeline is the
    /// server's, so the report is applied as if from the device holding it. A guest who may not
    /// control playback can only end it within `session.track_ended_slack_ms` of its end (else
    /// a guest could skip with it); a stale item id passes through as a no-op.
    pub(super) fn track_end_issuer(
        &self,
        user_id: &str,
        device_id: &str,
        item_id: ItemId,
        now: i64,
    ) -> ApiResult<String> {
        let p = &self.doc.player;
        let current = p.current.as_ref().map(|c| c.entry.item_id) == Some(item_id);
        let slack = self.app.config.session.track_ended_slack_ms;
        if current
            && !self.doc.roster.can_control(user_id)
            && p.duration_ms() - p.live_position(now) > slack
        {
            return Err(ApiError::forbidden(format!(
                "the current item has not ended: guests may end it only within {slack} ms of its end"
            )));
        }
        Ok(p.active_device_id
            .clone()
            .unwrap_or_else(|| device_id.to_string()))
    }

    /// The current item as a play of the listening members (`only`: of that member), when they
    /// stop hearing it without the item changing (they leave, or the session ends). Its event id
    /// is the one an item change would use, so nothing is counted twice.
    pub(super) fn record_current_plays(&self, only: Option<&str>) {
        let now = self.app.now_ms();
        if let Some(f) = Finished::capture(&self.doc.player, now) {
            self.record_plays_of(&f, now, only);
        }
    }

    /// The item `f` stopped: a play in the history of every member listening (a device
    /// connected to the session), for the time it played since they joined.
    pub(super) fn record_member_plays(&self, f: &Finished, now: i64) {
        self.record_plays_of(f, now, None);
    }

    fn record_plays_of(&self, f: &Finished, now: i64, only: Option<&str>) {
        let mut seen = HashSet::new();
        for c in &self.conns {
            if only.is_some_and(|u| u != &*c.user_id) || !seen.insert(c.user_id.clone()) {
                continue;
            }
            let Some(m) = self.doc.roster.member(&c.user_id) else {
                continue;
            };
            let ms = f.ms_played.min(now - m.joined_at_ms);
            let event_id = format!("s-{}-{}-{}", self.id, f.item_id, f.version);
            f.spawn_record(
                &self.app,
                &c.user_id,
                event_id,
                ms,
                Some(c.device_id.to_string()),
                now,
            );
        }
    }
}

/// The snapshot a (re)connecting member's `welcome` carries, with the stream signed for that
/// member (as last known; their connection's attach follows with the current one).
#[derive(Message)]
#[rtype(result = "(PlayerStateView, Value)")]
pub struct MemberSnapshot(pub Arc<str>);

impl Handler<MemberSnapshot> for SessionActor {
    type Result = MessageResult<MemberSnapshot>;

    fn handle(&mut self, m: MemberSnapshot, _: &mut Context<Self>) -> Self::Result {
        let player = match self.listeners.get(&m.0) {
            Some(l) => self.player_view_for(*l),
            None => self.player_view(),
        };
        MessageResult((player, self.state_view()))
    }
}
