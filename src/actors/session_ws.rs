//! WebSocket messages of the session area (`session_*` types and `buffering`), called by `http::ws` in the order
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
