//! Creating playlists (REST and the demo import) and filling them through the actor, so that the
//! op log, snapshots and subscribers see every change the same way.

use super::playlist::Edit;
use super::playlist_access::notify_search;
use super::playlist_core::{EditRequest, OpsSource};
use crate::domain::playlist::{check_description, check_name, EditResult, Op};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::storage::playlists::{PlaylistMeta, Role};

/// Creates an empty playlist owned by `owner_id`.
pub async fn create_playlist(
    state: &AppState,
    owner_id: &str,
    name: &str,
    description: &str,
    public: bool,
    collaborative: bool,
) -> ApiResult<PlaylistMeta> {
    let name = check_name(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let description =
        check_description(description).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let now = state.now_ms();
    let meta = PlaylistMeta {
        id: crate::storage::new_id(),
        owner_id: owner_id.to_string(),
        name,
        description,
        public,
        collaborative,
        version: 0,
        item_count: 0,
        created_at_ms: now,
        updated_at_ms: now,
    };
    state.storage.playlists.create(meta.clone()).await?;
    notify_search(state, &meta.id, Some(&meta));
    Ok(meta)
}

/// Appends tracks (in batches of at most `max_ops_per_edit`-sized edits) as `author`.
pub async fn append_tracks(
    state: &AppState,
    author: &str,
    playlist_id: &str,
    track_ids: Vec<String>,
) -> ApiResult<Option<EditResult>> {
    let mut last = None;
    for chunk in track_ids.chunks(500) {
        let ids = chunk.to_vec();
        let req = EditRequest {
            author: author.to_string(),
            op_id: format!("append-{}", crate::storage::new_id()),
            base_version: None,
            expect_version: None,
            ops: OpsSource::Build(Box::new(move |p| {
                Ok(vec![Op::Insert {
                    after_item_id: p.order().last().map(str::to_string),
                    track_ids: ids,
                    item_ids: None,
                }])
            })),
        };
        last = Some(state.playlists.send(playlist_id, Edit(req)).await??);
    }
    Ok(last)
}

/// `--demo`: imports playlists as public playlists of the curator; names the curator already
/// owns are skipped, so running it again changes nothing. Unknown track ids are dropped.
/// Returns how many playlists were created.
pub async fn import_demo_playlists(
    state: &AppState,
    owner_user_id: &str,
    playlists: Vec<(String, Vec<String>)>,
) -> ApiResult<usize> {
    let owned: std::collections::HashSet<String> = state
        .storage
        .playlists
        .user_playlists(owner_user_id)
        .await?
        .into_iter()
        .filter(|(_, role)| *role == Role::Owner)
        .map(|(m, _)| m.name)
        .collect();
    let max = state.config.playlist.max_items;
    let mut created = 0;
    for (name, track_ids) in playlists {
        if owned.contains(&name) {
            continue;
        }
        let known: std::collections::HashSet<String> = state
            .storage
            .catalog
            .tracks(track_ids.clone())
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut tracks: Vec<String> = track_ids
            .into_iter()
            .filter(|t| known.contains(t))
            .collect();
        tracks.truncate(max);
        let meta = create_playlist(state, owner_user_id, &name, "", true, false).await?;
        if !tracks.is_empty() {
            append_tracks(state, owner_user_id, &meta.id, tracks).await?;
        }
        created += 1;
    }
    Ok(created)
}
