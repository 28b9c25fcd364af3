//! The user actor's side of group sessions: handing the user's connections to a session,
//! and taking the own player back when the user leaves it.

use super::*;

/// The user joins a group session: their devices show the session from now on; the own player
/// pauses (and plays on when they leave). Returns the connections to attach to the session.
#[derive(Message)]
#[rtype(result = "ApiResult<Vec<MemberConn>>")]
pub struct EnterSession {
    pub session_id: Arc<str>,
}

impl Handler<EnterSession> for UserActor {
    type Result = ApiResult<Vec<MemberConn>>;

    fn handle(&mut self, m: EnterSession, ctx: &mut Context<Self>) -> Self::Result {
        if self.passivating {
            return Err(ApiError::unavailable("the player is restarting, try again"));
        }
        self.touch();
        if self.session.as_deref() != Some(&*m.session_id) {
            self.resume_after_session = self.player.playing;
            if self.player.playing {
                if let Ok((_, p)) = self.run(Command::Pause, None, None) {
                    self.publish(ctx, p);
                }
            }
        }
        self.session = Some(m.session_id);
        Ok(self
            .conns
            .iter()
            .map(|c| self.member_conn(c.id, &c.device_id, &c.outbox))
            .collect())
    }
}

/// The user is no longer in a group session: the own player is shown again (newer than any
/// session state the devices saw), and plays on if it was playing when they joined.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LeaveSession {
    pub version_floor: u64,
}

impl Handler<LeaveSession> for UserActor {
    type Result = ();

    fn handle(&mut self, m: LeaveSession, ctx: &mut Context<Self>) {
        if self.session.take().is_none() {
            return;
        }
        self.touch();
        self.player.version = self.player.version.max(m.version_floor);
        let resumed = std::mem::take(&mut self.resume_after_session)
            && self.run(Command::Resume, None, None).is_ok();
        if !resumed {
            self.player.version += 1;
        }
        self.publish(
            ctx,
            Publish {
                player: true,
                devices: true,
                urgent: true,
            },
        );
    }
}

/// A copy of the user's own player (a new group session starts from the host's).
#[derive(Message)]
#[rtype(result = "PlayerState")]
pub struct GetPlayer;

impl Handler<GetPlayer> for UserActor {
    type Result = MessageResult<GetPlayer>;

    fn handle(&mut self, _: GetPlayer, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.player.clone())
    }
}
