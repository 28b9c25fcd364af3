//! WebSocket messages of the group-session area (`session_*` types and `buffering`), called by
//! `http::ws` in the order they arrive on a connection. Each returns the `result` of the `ack`,
//! or the error.

use super::session::{Buffering, Manage};
use super::session_dir;
use crate::domain::player::ItemId;
use crate::error::{ApiError, ApiResult};
use crate::http::conn::ConnCtx;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

#[derive(Deserialize)]
pub(crate) struct Create {
    #[serde(default)]
    pub(crate) name: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct JoinMsg {
    pub(crate) join_code: String,
}

#[derive(Deserialize)]
pub(crate) struct Target {
    pub(crate) user_id: String,
}

#[derive(Deserialize)]
pub(crate) struct SettingsMsg {
    #[serde(default)]
    pub(crate) guests_can_control: Option<bool>,
    #[serde(default)]
    pub(crate) guests_can_add: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct BufferingMsg {
    pub(crate) item_id: String,
    #[serde(default)]
    pub(crate) ready: bool,
}

pub(crate) fn body<T: DeserializeOwned>(ty: &str, msg: Value) -> ApiResult<T> {
    serde_json::from_value(msg).map_err(|e| ApiError::bad_request(format!("invalid {ty}: {e}")))
}

/// Handles one message of this area; `ty` is its `type`, `msg` the whole frame.
pub async fn handle(ctx: &Arc<ConnCtx>, ty: &str, msg: Value) -> ApiResult<Value> {
    let app = &ctx.state;
    let user_id = ctx.user_id.to_string();
    match ty {
        "session_create" => {
            let m: Create = body(ty, msg)?;
            session_dir::create(app, ctx, m.name).await
        }
        "session_join" => {
            let m: JoinMsg = body(ty, msg)?;
            session_dir::join(app, ctx, &m.join_code).await
        }
        _ => {
            let session_id = app
                .sessions
                .session_of(&user_id)
                .ok_or_else(|| ApiError::not_found("you are not in a group session"))?;
            let addr = app.sessions.get(app, &session_id).await?;
            let gone = |_| ApiError::unavailable("the session is restarting, try again");
            match ty {
                "session_leave" => addr.send(Manage::Leave { user_id }).await.map_err(gone)?,
                "session_end" => addr.send(Manage::End { by: user_id }).await.map_err(gone)?,
                "session_kick" => {
                    let t: Target = body(ty, msg)?;
                    addr.send(Manage::Kick {
                        by: user_id,
                        target: t.user_id,
                    })
                    .await
                    .map_err(gone)?
                }
                "session_promote" => {
                    let t: Target = body(ty, msg)?;
                    addr.send(Manage::Promote {
                        by: user_id,
                        target: t.user_id,
                    })
                    .await
                    .map_err(gone)?
                }
                "session_settings" => {
                    let s: SettingsMsg = body(ty, msg)?;
                    addr.send(Manage::Settings {
                        by: user_id,
                        guests_can_control: s.guests_can_control,
                        guests_can_add: s.guests_can_add,
                    })
                    .await
                    .map_err(gone)?
                }
                "buffering" => {
                    let b: BufferingMsg = body(ty, msg)?;
                    let item_id: ItemId = b.item_id.parse().map_err(|_| {
                        ApiError::bad_request("item_id is not an item of this player")
                    })?;
                    addr.send(Buffering {
                        user_id,
                        item_id,
                        ready: b.ready,
                    })
                    .await
                    .map_err(gone)?
                }
                other => Err(ApiError::bad_request(format!(
                    "unknown message type `{other}`"
                ))),
            }
        }
    }
}

/// Called once when the connection ends (after hello succeeded). The user's actor detaches the
/// connection from their session, so there is nothing to do here.
pub fn on_disconnect(_ctx: &Arc<ConnCtx>) {}
