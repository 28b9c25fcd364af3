//! WebSocket messages of the playlist area (`playlist_*` types), called by `http::ws` in the order
//! they arrive on a connection. Each returns the `result` of the `ack`, or the error.

use crate::error::{ApiError, ApiResult};
use crate::http::conn::ConnCtx;
use std::sync::Arc;

/// Handles one message of this area; `ty` is its `type`, `msg` the whole frame.
pub async fn handle(
    _ctx: &Arc<ConnCtx>,
    ty: &str,
    _msg: serde_json::Value,
) -> ApiResult<serde_json::Value> {
    Err(ApiError::bad_request(format!(
        "unknown message type `{ty}`"
    )))
}

/// Called once when the connection ends (after hello succeeded).
pub fn on_disconnect(_ctx: &Arc<ConnCtx>) {}

/// The track ids of a playlist, in order, for playing it as a player context (`user_id` must be
/// allowed to read it).
pub async fn context_tracks(
    _state: &crate::http::AppState,
    _user_id: &str,
    playlist_id: &str,
) -> crate::error::ApiResult<Vec<String>> {
    Err(ApiError::not_found(format!("no playlist `{playlist_id}`")))
}
