//! `GET /v1/me/playlists`, paged with `limit`/`offset` like the catalog listings, and the bound
//! on how many playlists one user may own (`playlist.max_per_user`).

use super::summary;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::playlists::Role;
use actix_web::{web, HttpResponse};
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Creates one serialized per user: the count and the create happen under the user's lock, so
/// parallel creates cannot all pass the check. The lock is per process: that makes the bound
/// exact on SQLite (one process); several CQL nodes can overshoot it by the creates racing on
/// other nodes, never without limit.
pub struct CreateGuard {
    user_id: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

type UserLocks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

fn user_locks() -> &'static UserLocks {
    static LOCKS: OnceLock<UserLocks> = OnceLock::new();
    LOCKS.get_or_init(Default::default)
}

impl Drop for CreateGuard {
    fn drop(&mut self) {
        // Forget the user's lock once nobody else holds or waits for it (the map, this guard and
        // its held lock are then the only owners), so the map only holds users creating now.
        let mut locks = user_locks().lock();
        if Arc::strong_count(&self.lock) <= 3 {
            locks.remove(&self.user_id);
        }
    }
}

/// Takes the user's create lock, then refuses a new playlist when the user already owns
/// `playlist.max_per_user` (409 conflict). Keep the guard until the playlist is stored.
pub async fn room_for_one_more(state: &AppState, user_id: &str) -> ApiResult<CreateGuard> {
    let lock = user_locks()
        .lock()
        .entry(user_id.to_string())
        .or_default()
        .clone();
    let held = lock.clone().lock_owned().await;
    let guard = CreateGuard {
        user_id: user_id.to_string(),
        lock,
        _held: held,
    };
    let max = state.config.playlist.max_per_user;
    let owned = state
        .storage
        .playlists
        .user_playlists(user_id)
        .await?
        .iter()
        .filter(|(_, role)| *role == Role::Owner)
        .count();
    if owned >= max {
        return Err(ApiError::conflict(format!(
            "you own {owned} playlists, the most allowed is {max}: delete one first"
        )));
    }
    Ok(guard)
}

#[derive(Deserialize)]
pub struct PageQuery {
    limit: Option<u64>,
    offset: Option<u64>,
}

/// Playlists the user owns, collaborates on or follows, newest first, one page at a time;
/// `total` counts every visible one.
pub async fn my_playlists(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let c = &state.config.playlist;
    let limit = q.limit.unwrap_or(u64::from(c.default_page_limit));
    if limit == 0 || limit > u64::from(c.max_page_limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {}",
            c.max_page_limit
        )));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(ApiError::bad_request("offset is too large"));
    }
    let visible: Vec<_> = state
        .storage
        .playlists
        .user_playlists(&user.user_id)
        .await?
        .into_iter()
        // Followed, then made private: no longer visible.
        .filter(|(meta, role)| matches!(role, Role::Owner | Role::Collaborator) || meta.public)
        .collect();
    let total = visible.len();
    // Both are bounded above, but usize may be narrower than u64: saturate, never wrap.
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut items = Vec::new();
    for (meta, role) in visible.iter().skip(skip).take(take) {
        let mut s = summary(&state, meta).await?;
        s["role"] = json!(role.as_str());
        items.push(s);
    }
    Ok(HttpResponse::Ok().json(json!({
        "total": total, "items": items, "limit": limit, "offset": offset,
    })))
}
