//! The first frame of a connection: `hello {token, protocol, device}` -> `welcome`.

use super::{Conn, Stop};
use crate::actors::user::Connect;
use crate::error::{ApiError, ErrorCode};
use crate::http::conn::ConnCtx;
use crate::http::outbox::close;
use crate::protocol::client::{Envelope, Hello};
use crate::protocol::{codec, PROTOCOL_VERSION};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Longest accepted `device.id` and `device.name`.
pub const MAX_DEVICE_ID: usize = 64;
pub const MAX_DEVICE_NAME: usize = 100;

static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

impl Conn {
    /// Handles the first frame. Any failure answers with an `error` and closes with 4001.
    pub(super) async fn on_hello(&mut self, env: Envelope<'_>, text: &str) -> Option<Stop> {
        match self.hello(&env, text).await {
            Ok(()) => None,
            Err(e) => {
                self.last_words = Some(codec::error(env.id.as_ref(), &e));
                let code = match (self.hello_close.take(), e.code) {
                    (Some(code), _) => code,
                    (None, ErrorCode::Unavailable | ErrorCode::Internal) => 1011,
                    (None, _) => close::UNAUTHORIZED,
                };
                Some(Stop::Close(code, "hello failed"))
            }
        }
    }

    async fn hello(&mut self, env: &Envelope<'_>, text: &str) -> Result<(), ApiError> {
        if env.ty != "hello" {
            return Err(ApiError::unauthorized(format!(
                "the first message must be hello, not `{}`",
                codec::echo(&env.ty)
            )));
        }
        let h: Hello = codec::decode_body(text)?;
        if h.protocol != PROTOCOL_VERSION {
            return Err(ApiError::bad_request(format!(
                "protocol {} is not supported (this server speaks {PROTOCOL_VERSION})",
                h.protocol
            )));
        }
        let d = &h.device;
        if d.id.is_empty() || d.id.len() > MAX_DEVICE_ID || d.id.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "device.id must be 1..{MAX_DEVICE_ID} printable characters"
            )));
        }
        if d.name.chars().count() > MAX_DEVICE_NAME || d.name.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "device.name must be at most {MAX_DEVICE_NAME} printable characters"
            )));
        }
        let user_id = crate::http::extract::verify_bearer(&self.state, &h.token).await?;
        let user_id: Arc<str> = Arc::from(user_id);
        let device_id: Arc<str> = Arc::from(h.device.id.as_str());
        let ctx = Arc::new(ConnCtx::new(
            NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            user_id.clone(),
            device_id.clone(),
            self.outbox.clone(),
            self.state.clone(),
        ));
        // Counted against the user before the player hears of it; given back when this
        // connection ends (the slot is dropped with `self`, or here if hello fails later).
        let now = self.state.now_ms();
        let user_slot = self
            .state
            .conn_limits
            .welcome(
                &user_id,
                ctx.conn_id,
                &self.outbox,
                self.state.config.ws.max_connections_per_user,
                || self.state.accounts_seen.is_deleted(&user_id, now),
            )
            .map_err(|r| {
                r.count(&self.state.metrics);
                self.hello_close = Some(r.code);
                ApiError::new(ErrorCode::RateLimited, r.message)
            })?;
        let addr = crate::actors::directory::user_actor(&self.state, &user_id).await?;
        let name = if h.device.name.is_empty() {
            h.device.kind.as_str().to_string()
        } else {
            h.device.name
        };
        // A member of a group session sees the session's player in `welcome`.
        let session_view = match self.state.sessions.session_of(&user_id) {
            Some(sid) => match self.state.sessions.get(&self.state, &sid).await {
                Ok(s) => s
                    .send(crate::actors::session::MemberSnapshot(user_id.clone()))
                    .await
                    .ok(),
                Err(_) => None,
            },
            None => None,
        };
        addr.send(Connect {
            session_view,
            conn_id: ctx.conn_id,
            device_id,
            name,
            kind: h.device.kind.as_str().to_string(),
            outbox: self.outbox.clone(),
            hello_id: env.id.clone(),
        })
        .await
        .map_err(|_| ApiError::unavailable("the player is restarting, try again"))??;
        self.ctx = Some(ctx);
        self.user_slot = Some(user_slot);
        if let Some(slot) = self.addr_slot.as_mut() {
            slot.welcomed();
        }
        Ok(())
    }
}
