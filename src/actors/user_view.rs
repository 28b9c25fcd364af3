//! What a user's actor shows: track metadata for the items it renders, and the `player_state`
//! and `devices` views built from the pure state.

use crate::cdn::Listener;
use crate::domain::player::{Entry, PlayerState};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::protocol::server::{
    AlbumRef, ArtistRef, ContextView, DeviceView, ItemView, PlayerStateView,
};
use crate::storage::Track;
use std::collections::HashMap;
use std::sync::Arc;

/// A track with the names clients display.
#[derive(Debug)]
pub struct TrackMeta {
    pub track: Track,
    pub artists: Vec<ArtistRef>,
    pub album: Option<AlbumRef>,
}

pub type MetaCache = HashMap<String, Arc<TrackMeta>>;

/// Loads metadata for `ids` (unknown ids are skipped).
pub async fn fetch_meta(state: &AppState, mut ids: Vec<String>) -> ApiResult<Vec<Arc<TrackMeta>>> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let catalog = &state.storage.catalog;
    let tracks = catalog.tracks(ids).await?;
    let mut artist_ids: Vec<String> = tracks.iter().flat_map(|t| t.artist_ids.clone()).collect();
    artist_ids.sort_unstable();
    artist_ids.dedup();
    let mut album_ids: Vec<String> = tracks.iter().map(|t| t.album_id.clone()).collect();
    album_ids.sort_unstable();
    album_ids.dedup();
    let artists: HashMap<String, String> = catalog
        .artists(artist_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let albums: HashMap<String, String> = catalog
        .albums(album_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    Ok(tracks
        .into_iter()
        .map(|track| {
            let artists = track
                .artist_ids
                .iter()
                .map(|id| ArtistRef {
                    id: id.clone(),
                    name: artists.get(id).cloned().unwrap_or_default(),
                })
                .collect();
            let album = albums.get(&track.album_id).map(|title| AlbumRef {
                id: track.album_id.clone(),
                title: title.clone(),
            });
            Arc::new(TrackMeta {
                track,
                artists,
                album,
            })
        })
        .collect())
}

/// Track ids the views of `p` need metadata for.
pub fn needed_tracks(p: &PlayerState) -> Vec<String> {
    p.current
        .iter()
        .map(|c| c.entry.track_id.clone())
        .chain(p.queue.iter().map(|e| e.track_id.clone()))
        .collect()
}

pub fn item_view(e: &Entry, meta: &MetaCache) -> ItemView {
    let m = meta.get(&e.track_id);
    ItemView {
        item_id: e.item_id.to_string(),
        track_id: e.track_id.clone(),
        title: m.map(|m| m.track.title.clone()).unwrap_or_default(),
        artists: m.map(|m| m.artists.clone()).unwrap_or_default(),
        album: m.and_then(|m| m.album.clone()),
        duration_ms: e.duration_ms,
        explicit: m.is_some_and(|m| m.track.explicit),
        added_by: None,
    }
}

pub fn player_view(
    state: &AppState,
    user_id: &str,
    listener: Listener,
    p: &PlayerState,
    meta: &MetaCache,
) -> PlayerStateView {
    let now = state.now_ms();
    let stream = p
        .current
        .as_ref()
        .and_then(|c| meta.get(&c.entry.track_id))
        .and_then(|m| {
            match state
                .cdn
                .stream_for(user_id, listener.tier, &m.track, listener.quality(), now)
            {
                Ok(s) => s,
                // Expected for a free listener and a Premium-only asset: no stream, no alarm.
                Err(e) if e.code == crate::error::ErrorCode::PremiumRequired => None,
                Err(e) => {
                    tracing::warn!(error = %e.message, "cannot sign a stream url");
                    None
                }
            }
        });
    PlayerStateView {
        ty: "player_state".into(),
        version: p.version,
        active_device_id: p.active_device_id.clone(),
        playing: p.playing,
        item: p.current.as_ref().map(|c| item_view(&c.entry, meta)),
        position_ms: p.position_ms,
        position_at_ms: p.position_at_ms,
        start_at_ms: p.start_at_ms,
        volume: p.volume,
        shuffle: p.shuffle,
        repeat: p.repeat,
        context: p.context.as_ref().map(|c| ContextView {
            uri: c.uri.clone(),
            length: c.len(),
            position: p.context_pos,
        }),
        queue: p.queue.iter().map(|e| item_view(e, meta)).collect(),
        stream,
    }
}

/// A registered device as the actor keeps it.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: Arc<str>,
    pub name: String,
    pub kind: String,
    pub volume: u8,
    pub last_seen_ms: i64,
    /// Open connections of this device.
    pub conns: u16,
}

pub fn devices_view(devices: &[Device], p: &PlayerState) -> Vec<DeviceView> {
    devices
        .iter()
        .map(|d| {
            let active = p.active_device_id.as_deref() == Some(&*d.id);
            DeviceView {
                device_id: d.id.to_string(),
                name: d.name.clone(),
                kind: d.kind.clone(),
                online: d.conns > 0,
                active,
                volume: if active { p.volume } else { d.volume },
                last_seen_ms: d.last_seen_ms,
            }
        })
        .collect()
}
