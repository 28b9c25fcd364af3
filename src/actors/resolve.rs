//! Turns a player request into a domain command, doing the catalog look-ups the pure domain
//! cannot do: context URIs to track lists, track ids to durations.

use crate::domain::player::{Command, Offset, TrackRef};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::protocol::client::{PlayerRequest, WireOffset};

/// Top tracks loaded for an artist context.
pub const ARTIST_TOP_TRACKS: u32 = 10;

/// A request ready for the actor.
pub enum Prepared {
    Domain(Command),
    /// `set_volume` naming a device: decided by the actor (player volume or device volume).
    Volume {
        volume: u8,
        device_id: Option<String>,
    },
}

pub async fn prepare(state: &AppState, user_id: &str, req: PlayerRequest) -> ApiResult<Prepared> {
    let cmd = match req {
        PlayerRequest::TimeSync { .. } => {
            return Err(ApiError::bad_request("time_sync is not a player command"))
        }
        PlayerRequest::Play {
            context_uri,
            track_ids,
            offset,
            position_ms,
            device_id,
        } => {
            let offset = offset.map(convert_offset).transpose()?;
            let (uri, tracks) = match (context_uri, track_ids) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::bad_request(
                        "give context_uri or track_ids, not both",
                    ))
                }
                (Some(uri), None) => {
                    let tracks = context_tracks(state, user_id, &uri).await?;
                    (Some(uri), Some(tracks))
                }
                (None, Some(ids)) => {
                    if ids.is_empty() {
                        return Err(ApiError::bad_request("track_ids must not be empty"));
                    }
                    if ids.len() > state.config.player.max_context_tracks {
                        return Err(ApiError::bad_request(format!(
                            "at most {} track_ids",
                            state.config.player.max_context_tracks
                        )));
                    }
                    (None, Some(resolve_tracks(state, ids).await?))
                }
                (None, None) => (None, None),
            };
            Command::Play {
                uri,
                tracks,
                offset,
                position_ms,
                device_id,
            }
        }
        PlayerRequest::Pause {} => Command::Pause,
        PlayerRequest::Resume {} => Command::Resume,
        PlayerRequest::Seek { position_ms } => Command::Seek { position_ms },
        PlayerRequest::Next {} => Command::Next,
        PlayerRequest::Previous {} => Command::Previous,
        PlayerRequest::SetVolume { volume, device_id } => {
            if volume > 100 {
                return Err(ApiError::bad_request("volume must be between 0 and 100"));
            }
            return Ok(Prepared::Volume { volume, device_id });
        }
        PlayerRequest::SetShuffle { on } => Command::SetShuffle { on },
        PlayerRequest::SetRepeat { mode } => Command::SetRepeat { mode },
        PlayerRequest::QueueAdd { track_ids, next } => {
            if track_ids.is_empty() {
                return Err(ApiError::bad_request("track_ids must not be empty"));
            }
            if track_ids.len() > state.config.player.max_queue {
                return Err(ApiError::bad_request(format!(
                    "the queue holds at most {} items",
                    state.config.player.max_queue
                )));
            }
            Command::QueueAdd {
                tracks: resolve_tracks(state, track_ids).await?,
                next,
            }
        }
        PlayerRequest::QueueRemove { item_id } => Command::QueueRemove {
            item_id: item_id.parse()?,
        },
        PlayerRequest::QueueMove {
            item_id,
            after_item_id,
        } => Command::QueueMove {
            item_id: item_id.parse()?,
            after: after_item_id.map(|a| a.parse()).transpose()?,
        },
        PlayerRequest::QueueClear {} => Command::QueueClear,
        PlayerRequest::Transfer { device_id, play } => Command::Transfer { device_id, play },
        PlayerRequest::ReportPosition {
            item_id,
            position_ms,
            playing,
        } => Command::ReportPosition {
            item_id: item_id.parse()?,
            position_ms,
            playing,
        },
        PlayerRequest::TrackEnded { item_id } => Command::TrackEnded {
            item_id: item_id.parse()?,
        },
    };
    Ok(Prepared::Domain(cmd))
}

fn convert_offset(o: WireOffset) -> ApiResult<Offset> {
    Ok(match o {
        WireOffset::Index(i) | WireOffset::Position { position: i } => Offset::Index(i as usize),
        WireOffset::Item { item_id } => Offset::Item(item_id.parse()?),
        WireOffset::Track { track_id } => Offset::Track(track_id),
    })
}

/// Every id must name a catalog track; the order (and repeats) of `ids` is kept.
pub async fn resolve_tracks(state: &AppState, ids: Vec<String>) -> ApiResult<Vec<TrackRef>> {
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    let found = state.storage.catalog.tracks(unique).await?;
    let by_id: std::collections::HashMap<&str, i64> = found
        .iter()
        .map(|t| (t.id.as_str(), t.duration_ms))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in &ids {
        match by_id.get(id.as_str()) {
            Some(d) => out.push(TrackRef {
                track_id: id.clone(),
                duration_ms: *d,
            }),
            None => return Err(ApiError::not_found(format!("no track `{id}`"))),
        }
    }
    Ok(out)
}

/// `segue:album:<id>`, `segue:artist:<id>` (top tracks) or `segue:playlist:<id>`.
pub async fn context_tracks(
    state: &AppState,
    user_id: &str,
    uri: &str,
) -> ApiResult<Vec<TrackRef>> {
    let max = state.config.player.max_context_tracks;
    let mut parts = uri.splitn(3, ':');
    let (scheme, kind, id) = (parts.next(), parts.next(), parts.next());
    let (Some("segue"), Some(kind), Some(id)) = (scheme, kind, id) else {
        return Err(ApiError::bad_request(format!(
            "context_uri `{uri}` is not segue:album:<id>, segue:artist:<id> or segue:playlist:<id>"
        )));
    };
    let catalog = &state.storage.catalog;
    let tracks = match kind {
        "album" => {
            if catalog.album(id).await?.is_none() {
                return Err(ApiError::not_found(format!("no album `{id}`")));
            }
            catalog.album_tracks(id).await?
        }
        "artist" => {
            if catalog.artist(id).await?.is_none() {
                return Err(ApiError::not_found(format!("no artist `{id}`")));
            }
            catalog.artist_top_tracks(id, ARTIST_TOP_TRACKS).await?
        }
        "playlist" => {
            let mut ids = crate::actors::playlist_ws::context_tracks(state, user_id, id).await?;
            ids.truncate(max);
            return resolve_tracks(state, ids).await;
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown context kind `{other}` (album, artist or playlist)"
            )))
        }
    };
    if tracks.is_empty() {
        return Err(ApiError::not_found(format!("`{uri}` has no tracks")));
    }
    Ok(tracks
        .into_iter()
        .take(max)
        .map(|t| TrackRef {
            track_id: t.id,
            duration_ms: t.duration_ms,
        })
        .collect())
}
