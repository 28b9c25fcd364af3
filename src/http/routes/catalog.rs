//! Catalog routes: paged tracks, one track, an album with its tracks, an artist with albums and
//! top tracks, genres. The catalog is public: these routes need no token (docs/catalog.md).

use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::storage::{Album, Storage, Track};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Page size when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u32 = 20;
/// How many top tracks an artist page shows.
pub const ARTIST_TOP_TRACKS: u32 = 10;
/// Ids longer than this cannot exist (the importer rejects them).
const MAX_ID_LEN: usize = 128;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/tracks", web::get().to(list_tracks))
        .route("/v1/tracks/{id}", web::get().to(get_track))
        .route("/v1/albums/{id}", web::get().to(get_album))
        .route("/v1/artists/{id}", web::get().to(get_artist))
        .route("/v1/genres", web::get().to(genres));
}

#[derive(Deserialize)]
struct Paging {
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn list_tracks(state: web::Data<AppState>, q: web::Query<Paging>) -> ApiResult<HttpResponse> {
    let max = state.config.catalog.max_page_limit;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE_LIMIT.min(max));
    if limit == 0 || limit > max {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {max}"
        )));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(ApiError::bad_request("offset is too large"));
    }
    let (tracks, total) = state.storage.catalog.list_tracks(limit, offset).await?;
    let items = tracks_json(&state.storage, &tracks).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    })))
}

fn check_id(id: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ApiError::bad_request(format!(
            "ids are 1-{MAX_ID_LEN} characters"
        )));
    }
    Ok(())
}

async fn get_track(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    check_id(&id)?;
    let track = state
        .storage
        .catalog
        .track(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no track {:?}", id.as_str())))?;
    let mut items = tracks_json(&state.storage, std::slice::from_ref(&track)).await?;
    Ok(HttpResponse::Ok().json(items.pop().unwrap_or(Value::Null)))
}

async fn get_album(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    check_id(&id)?;
    let album = state
        .storage
        .catalog
        .album(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no album {:?}", id.as_str())))?;
    let tracks = state.storage.catalog.album_tracks(&id).await?;
    let names = artist_names(&state.storage, album.artist_ids.iter()).await?;
    let mut body = album_json(&album, &names);
    body["total_tracks"] = json!(tracks.len());
    body["tracks"] = json!(tracks_json(&state.storage, &tracks).await?);
    Ok(HttpResponse::Ok().json(body))
}

async fn get_artist(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    check_id(&id)?;
    let artist = state
        .storage
        .catalog
        .artist(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no artist {:?}", id.as_str())))?;
    let albums = state.storage.catalog.artist_albums(&id).await?;
    let top = state
        .storage
        .catalog
        .artist_top_tracks(&id, ARTIST_TOP_TRACKS)
        .await?;
    let names = artist_names(
        &state.storage,
        albums.iter().flat_map(|a| a.artist_ids.iter()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": artist.id,
        "name": artist.name,
        "genres": artist.genres,
        "popularity": artist.popularity,
        "albums": albums.iter().map(|a| album_json(a, &names)).collect::<Vec<_>>(),
        "top_tracks": tracks_json(&state.storage, &top).await?,
    })))
}

async fn genres(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let genres = state.storage.catalog.genres().await?;
    let items: Vec<Value> = genres
        .into_iter()
        .map(|(name, n)| json!({"name": name, "track_count": n}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"total": items.len(), "items": items})))
}

/// Names of the given artists (unknown ids are left out).
async fn artist_names<'a>(
    storage: &Storage,
    ids: impl Iterator<Item = &'a String>,
) -> ApiResult<HashMap<String, String>> {
    let mut wanted: Vec<String> = ids.cloned().collect();
    wanted.sort();
    wanted.dedup();
    Ok(storage
        .catalog
        .artists(wanted)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

fn artists_ref(ids: &[String], names: &HashMap<String, String>) -> Value {
    // A dangling artist reference keeps its id with a null name rather than vanishing.
    Value::Array(
        ids.iter()
            .map(|id| json!({"id": id, "name": names.get(id)}))
            .collect(),
    )
}

/// An album without its tracks.
pub fn album_json(a: &Album, artist_names: &HashMap<String, String>) -> Value {
    json!({
        "id": a.id,
        "title": a.title,
        "artists": artists_ref(&a.artist_ids, artist_names),
        "release_date": a.release_date,
        "year": a.year,
        "genre": a.genre,
        "popularity": a.popularity,
        "color": a.color,
    })
}

/// Tracks as clients see them: artists as `[{id, name}]`, the album as `{id, title, color}`,
/// `streamable` instead of the internal audio asset name. Other areas (search, playlists,
/// library) reuse this so every track looks the same everywhere.
pub async fn tracks_json(storage: &Storage, tracks: &[Track]) -> ApiResult<Vec<Value>> {
    let names = artist_names(storage, tracks.iter().flat_map(|t| t.artist_ids.iter())).await?;
    let mut album_ids: Vec<String> = tracks.iter().map(|t| t.album_id.clone()).collect();
    album_ids.sort();
    album_ids.dedup();
    let albums: HashMap<String, Album> = storage
        .catalog
        .albums(album_ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    Ok(tracks
        .iter()
        .map(|t| {
            let album = albums.get(&t.album_id);
            json!({
                "id": t.id,
                "title": t.title,
                "artists": artists_ref(&t.artist_ids, &names),
                "album": {
                    "id": t.album_id,
                    "title": album.map(|a| a.title.as_str()),
                    "color": album.and_then(|a| a.color.as_deref()),
                },
                "track_number": t.track_number,
                "disc_number": t.disc_number,
                "duration_ms": t.duration_ms,
                "genre": t.genre,
                "year": t.year,
                "explicit": t.explicit,
                "popularity": t.popularity,
                "isrc": t.isrc,
                "streamable": t.audio.is_some(),
            })
        })
        .collect())
}
