//! The user's settings as their actor applies them: a new streaming quality re-signs the
//! stream of the own player and of the group session the user is in.

use super::*;

/// The user changed their streaming quality (already stored).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetQuality(pub StreamingQuality);

impl Handler<SetQuality> for UserActor {
    type Result = ();

    fn handle(&mut self, m: SetQuality, _: &mut Context<Self>) {
        if self.quality == m.0 {
            return;
        }
        self.quality = m.0;
        let Some(session_id) = self.session.clone() else {
            let frame = encode(&self.view());
            self.push_all(keys::PLAYER_STATE, &frame);
            return;
        };
        // Re-attaching the connections hands the session the new quality; it answers each
        // with a `player_state` signed for it.
        let conns: Vec<MemberConn> = self
            .conns
            .iter()
            .map(|c| self.member_conn(c.id, &c.device_id, &c.outbox))
            .collect();
        let app = self.app.clone();
        actix::spawn(async move {
            if let Ok(addr) = app.sessions.get(&app, &session_id).await {
                for c in conns {
                    addr.do_send(Attach::Add(c));
                }
            }
        });
    }
}
