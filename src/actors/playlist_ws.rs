//! WebSocket messages of the playlist area (`playlist_subscribe`, `playlist_edit`,
//! `playlist_unsubscribe`), called by `http::ws` in the order they arrive on a connection. Each
//! returns the `result` of the `ack`, or the error. Also `context_tracks`, which the player calls
//! to play a playlist.

use super::playlist::{Edit, Read, Subscribe, Unsubscribe};
use super::playlist_access::{check_tracks, details_changed, editable, readable, touches_details};
use super::playlist_core::{EditRequest, OpsSource};
use crate::domain::playlist::Op;
use crate::error::{ApiError, ApiResult};
use crate::http::conn::ConnCtx;
use crate::http::AppState;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
struct SubscribeMsg {
    playlist_id: String,
    #[serde(default)]
    since_version: Option<u64>,
}

#[derive(Deserialize)]
struct UnsubscribeMsg {
    playlist_id: String,
}

#[derive(Deserialize)]
struct EditMsg {
    playlist_id: String,
    base_version: u64,
    ops: Vec<Op>,
    op_id: String,
}

fn parse<T: serde::de::DeserializeOwned>(ty: &str, msg: Value) -> ApiResult<T> {
    serde_json::from_value(msg).map_err(|e| ApiError::bad_request(format!("{ty}: {e}")))
}

/// Handles one message of this area; `ty` is its `type`, `msg` the whole frame.
pub async fn handle(ctx: &Arc<ConnCtx>, ty: &str, msg: Value) -> ApiResult<Value> {
    let state = &ctx.state;
    let dir = &state.playlists;
    match ty {
        "playlist_subscribe" => {
            let m: SubscribeMsg = parse(ty, msg)?;
            readable(state, &ctx.user_id, &m.playlist_id).await?;
            let sub = Subscribe {
                conn_id: ctx.conn_id,
                user_id: ctx.user_id.clone(),
                outbox: ctx.outbox.clone(),
                since_version: m.since_version,
            };
            let result = dir.send(&m.playlist_id, sub).await??;
            dir.note_subscribed(ctx.conn_id, &m.playlist_id, true);
            Ok(result)
        }
        "playlist_unsubscribe" => {
            let m: UnsubscribeMsg = parse(ty, msg)?;
            dir.note_subscribed(ctx.conn_id, &m.playlist_id, false);
            let unsub = Unsubscribe {
                conn_id: ctx.conn_id,
            };
            dir.send(&m.playlist_id, unsub).await?;
            Ok(json!({}))
        }
        "playlist_edit" => {
            let m: EditMsg = parse(ty, msg)?;
            let result = edit(
                state,
                &ctx.user_id,
                &m.playlist_id,
                m.base_version,
                m.op_id,
                m.ops,
            )
            .await?;
            Ok(serde_json::to_value(result).map_err(|e| ApiError::internal(e.to_string()))?)
        }
        _ => Err(ApiError::bad_request(format!(
            "unknown message type `{ty}`"
        ))),
    }
}

/// One id-based edit by `user_id` (WebSocket), acknowledged after it is committed.
pub async fn edit(
    state: &AppState,
    user_id: &str,
    playlist_id: &str,
    base_version: u64,
    op_id: String,
    ops: Vec<Op>,
) -> ApiResult<crate::domain::playlist::EditResult> {
    if ops.is_empty() {
        return Err(ApiError::bad_request("ops must not be empty"));
    }
    editable(state, user_id, playlist_id).await?;
    check_tracks(state, &ops).await?;
    let details = touches_details(&ops);
    let msg = Edit(EditRequest {
        author: user_id.to_string(),
        op_id,
        base_version: Some(base_version),
        expect_version: None,
        ops: OpsSource::Ops(ops),
    });
    let result = state.playlists.send(playlist_id, msg).await??;
    if details {
        details_changed(state, playlist_id).await;
    }
    Ok(result)
}

/// Called once when the connection ends (after hello succeeded).
pub fn on_disconnect(ctx: &Arc<ConnCtx>) {
    ctx.state.playlists.connection_closed(ctx.conn_id);
}

/// The playlist's track ids in order, if `user_id` may read it (to play it as a context).
pub async fn context_tracks(
    state: &AppState,
    user_id: &str,
    playlist_id: &str,
) -> ApiResult<Vec<String>> {
    readable(state, user_id, playlist_id).await?;
    let view = state.playlists.send(playlist_id, Read).await??;
    Ok(view.items.into_iter().map(|i| i.track_id).collect())
}
