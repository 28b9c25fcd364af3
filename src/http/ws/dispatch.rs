//! Requests after `hello`: rate limit, decode, and dispatch by type to the player (the user's
//! actor), `time_sync`, or the session and playlist areas. Replies go out in arrival order
//! because the connection handles one request at a time.

use super::{Conn, Stop};
use crate::error::ApiError;
use crate::http::outbox::close;
use crate::protocol::client::{PlayerRequest, PLAYER_TYPES, PLAYLIST_TYPES, SESSION_TYPES};
use crate::protocol::codec;
use crate::protocol::server::TimeSync;
use serde_json::Value;

impl Conn {
    pub(super) async fn on_text(&mut self, text: &str) -> Option<Stop> {
        let t1 = self.state.clock.now_ms_f64();
        let ws = &self.state.config.ws;
        let max = ws.max_frame_bytes;
        let env = match codec::decode_envelope(text, max) {
            Ok(env) => env,
            Err(e) => return self.invalid_frame(None, &e),
        };
        if self.ctx.is_none() {
            return self.on_hello(env, text).await;
        }
        if !self.bucket.try_take(self.state.now_ms() as f64) {
            let n = self
                .rejected
                .hit(self.state.now_ms(), ws.invalid_frame_window_ms as i64);
            let e = ApiError::rate_limited(format!(
                "more than {} messages per second; slow down",
                ws.rate_per_sec
            ));
            // Every request with an `id` gets one reply, the one that tips the connection over
            // too: it is queued, and queued frames go out before the close frame.
            self.outbox.push(codec::error(env.id.as_ref(), &e));
            // A client that keeps hammering after being told is cut off.
            if n > ws.rate_burst {
                return Some(Stop::Close(close::RATE_LIMITED, "rate limited"));
            }
            return None;
        }
        let ty: &str = &env.ty;
        let id = env.id.clone();
        let ctx = self.ctx.clone()?;
        let result: Result<Value, ApiError> = if ty == "time_sync" {
            match codec::decode_body::<PlayerRequest>(text) {
                Ok(PlayerRequest::TimeSync { t0, rtt_ms }) => {
                    if let Some(rtt) = rtt_ms.filter(|r| r.is_finite() && *r >= 0.0) {
                        ctx.observe_rtt(rtt);
                    }
                    let t2 = self.state.clock.now_ms_f64();
                    serde_json::to_value(TimeSync { t0, t1, t2 })
                        .map_err(|e| ApiError::internal(e.to_string()))
                }
                Ok(_) => Err(ApiError::bad_request("invalid time_sync")),
                Err(e) => return self.invalid_frame(id.as_ref(), &e),
            }
        } else if PLAYER_TYPES.contains(&ty) {
            let req = match codec::decode_body::<PlayerRequest>(text) {
                Ok(r) => r,
                Err(e) => return self.invalid_frame(id.as_ref(), &e),
            };
            crate::actors::session_dir::player_command(
                &self.state,
                &ctx.user_id,
                Some(ctx.device_id.clone()),
                req,
                env.expected_version,
            )
            .await
        } else if SESSION_TYPES.contains(&ty) {
            match serde_json::from_str::<Value>(text) {
                Ok(msg) => crate::actors::session_ws::handle(&ctx, ty, msg).await,
                Err(e) => Err(ApiError::bad_request(format!("invalid message: {e}"))),
            }
        } else if PLAYLIST_TYPES.contains(&ty) {
            match serde_json::from_str::<Value>(text) {
                Ok(msg) => crate::actors::playlist_ws::handle(&ctx, ty, msg).await,
                Err(e) => Err(ApiError::bad_request(format!("invalid message: {e}"))),
            }
        } else if ty == "hello" {
            return self.invalid_frame(id.as_ref(), &ApiError::bad_request("already said hello"));
        } else {
            let e = ApiError::bad_request(format!("unknown message type `{}`", codec::echo(ty)));
            return self.invalid_frame(id.as_ref(), &e);
        };
        self.reply(id.as_ref(), result);
        None
    }
}
