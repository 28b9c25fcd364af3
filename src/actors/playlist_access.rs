//! Who may see and edit a playlist, shared by the WebSocket handlers and the REST routes:
//! owner and collaborators edit; anyone may read a public playlist; a private one does not exist
//! for anybody else (404). Also the hooks other parts call (play a playlist, search updates).

use crate::domain::playlist::Op;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::storage::playlists::{PlaylistMeta, Role};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Access {
    pub meta: PlaylistMeta,
    pub owner: bool,
    pub collaborator: bool,
    pub follower: bool,
}

impl Access {
    pub fn can_edit(&self) -> bool {
        self.owner || self.collaborator
    }
}

/// The caller's access; `not_found` when the playlist is missing or private to them.
pub async fn readable(state: &AppState, user_id: &str, id: &str) -> ApiResult<Access> {
    let missing = || ApiError::not_found(format!("playlist `{id}` not found"));
    if !crate::domain::playlist::valid_id(id) {
        return Err(missing());
    }
    let meta = state.storage.playlists.get(id).await?.ok_or_else(missing)?;
    let owner = meta.owner_id == user_id;
    let roles = if owner {
        vec![]
    } else {
        state.storage.playlists.roles_of(id, user_id).await?
    };
    let access = Access {
        owner,
        collaborator: roles.contains(&Role::Collaborator),
        follower: roles.contains(&Role::Follower),
        meta,
    };
    if access.owner || access.collaborator || access.meta.public {
        Ok(access)
    } else {
        Err(missing())
    }
}

/// Like `readable`, and the caller must be the owner or a collaborator (403 otherwise).
pub async fn editable(state: &AppState, user_id: &str, id: &str) -> ApiResult<Access> {
    let a = readable(state, user_id, id).await?;
    if a.can_edit() {
        Ok(a)
    } else {
        Err(ApiError::forbidden(
            "only the owner and collaborators can edit this playlist",
        ))
    }
}

/// Like `readable`, and the caller must be the owner (403 otherwise).
pub async fn owned(state: &AppState, user_id: &str, id: &str) -> ApiResult<Access> {
    let a = readable(state, user_id, id).await?;
    if a.owner {
        Ok(a)
    } else {
        Err(ApiError::forbidden("only the owner can do this"))
    }
}

/// Every track an edit inserts must exist in the catalog.
pub async fn check_tracks(state: &AppState, ops: &[Op]) -> ApiResult<()> {
    let wanted: Vec<String> = ops
        .iter()
        .flat_map(|o| match o {
            Op::Insert { track_ids, .. } => track_ids.clone(),
            _ => vec![],
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let found: HashSet<String> = state
        .storage
        .catalog
        .tracks(wanted.clone())
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut unknown: Vec<&String> = wanted.iter().filter(|t| !found.contains(*t)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    unknown.truncate(5);
    Err(ApiError::bad_request(format!(
        "unknown track ids: {}",
        unknown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Search integration point: called whenever a playlist's searchable details change. `Some`
/// means upsert, `None` means the playlist is gone. The index keeps private playlists too and
/// shows them only to their owner and collaborators. Runs in the background: search freshness
/// never delays an edit's acknowledgement.
pub fn notify_search(state: &AppState, playlist_id: &str, meta: Option<&PlaylistMeta>) {
    let search = state.search.clone();
    let storage = state.storage.clone();
    let id = playlist_id.to_string();
    let meta = meta.cloned();
    actix::spawn(async move {
        let result = match meta {
            None => search.remove_playlist(&id).await.map_err(|e| e.to_string()),
            Some(m) => {
                let collaborators = storage
                    .playlists
                    .members(&id, Role::Collaborator)
                    .await
                    .unwrap_or_default();
                let followers = storage
                    .playlists
                    .members(&id, Role::Follower)
                    .await
                    .map_or(0, |f| f.len() as u64);
                let owner_name = storage
                    .accounts
                    .by_id(&m.owner_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|a| a.display_name)
                    .unwrap_or_default();
                search
                    .upsert_playlist(crate::search::PlaylistDoc {
                        id: m.id,
                        name: m.name,
                        description: m.description,
                        owner_id: m.owner_id,
                        owner_name,
                        collaborator_ids: collaborators.into_iter().map(|c| c.user_id).collect(),
                        public: m.public,
                        track_count: m.item_count,
                        follower_count: followers,
                    })
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        if let Err(e) = result {
            tracing::warn!(playlist = %id, error = %e, "cannot update the search index");
        }
    });
}

/// Reads the details again and tells search (after a rename, describe or flag change).
pub async fn details_changed(state: &AppState, id: &str) {
    if let Ok(meta) = state.storage.playlists.get(id).await {
        notify_search(state, id, meta.as_ref());
    }
}

/// True when an edit changes searchable details.
pub fn touches_details(ops: &[Op]) -> bool {
    ops.iter()
        .any(|o| matches!(o, Op::Rename { .. } | Op::Describe { .. }))
}

/// After a permission change (collaborator removed, playlist made private): subscribers who
/// may no longer read the playlist stop receiving it and are told with
/// `{"type":"playlist_revoked","playlist_id":…}`.
pub async fn revalidate_subscribers(state: &AppState, id: &str) {
    let Ok(subs) = state
        .playlists
        .send(id, crate::actors::playlist::Subscribers)
        .await
    else {
        return;
    };
    let mut verdicts: std::collections::HashMap<Arc<str>, bool> = Default::default();
    for (conn_id, user_id, outbox) in subs {
        let allowed = match verdicts.get(&user_id) {
            Some(v) => *v,
            None => {
                let v = readable(state, &user_id, id).await.is_ok();
                verdicts.insert(user_id.clone(), v);
                v
            }
        };
        if !allowed {
            let frame = serde_json::json!({"type": "playlist_revoked", "playlist_id": id});
            outbox.push(bytes::Bytes::from(frame.to_string()));
            let _ = state
                .playlists
                .send(id, crate::actors::playlist::Unsubscribe { conn_id })
                .await;
            state.playlists.note_subscribed(conn_id, id, false);
        }
    }
}
