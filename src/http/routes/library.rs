//! Library and history over REST: liked tracks, saved albums, followed artists and users, play
//! events from devices, recently played, top tracks and artists.

use crate::actors::library::{record_plays, PlayInput};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::library::SavedKind;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Liked tracks and saved albums share one set of handlers; the path names the kind.
    const SAVED: &str = "/v1/me/{kind:tracks|albums}";
    cfg.route(SAVED, web::put().to(save))
        .route(SAVED, web::delete().to(unsave))
        .route(SAVED, web::get().to(list_saved))
        .route(
            "/v1/me/{kind:tracks|albums}/contains",
            web::get().to(contains),
        )
        .route("/v1/me/following", web::get().to(list_following))
        .route("/v1/me/following/{kind}/{id}", web::put().to(follow))
        .route("/v1/me/following/{kind}/{id}", web::delete().to(unfollow))
        .route("/v1/me/player/events", web::post().to(play_events))
        .route(
            "/v1/me/player/recently-played",
            web::get().to(recently_played),
        )
        .route("/v1/me/top/{kind}", web::get().to(top));
}

#[derive(Deserialize, Default)]
struct IdsQuery {
    ids: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdsBody {
    ids: Vec<String>,
}

/// `ids` from the JSON body (`{"ids":[…]}`) or the query (`?ids=a,b`), validated and bounded.
fn ids_from(state: &AppState, q: &IdsQuery, body: &web::Bytes) -> ApiResult<Vec<String>> {
    let ids: Vec<String> = if !body.is_empty() {
        serde_json::from_slice::<IdsBody>(body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
            .ids
    } else if let Some(s) = &q.ids {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        return Err(ApiError::bad_request(
            "give ids in the body ({\"ids\":[…]}) or as ?ids=a,b",
        ));
    };
    let max = state.config.history.max_ids_per_request;
    if ids.is_empty() || ids.len() > max {
        return Err(ApiError::bad_request(format!(
            "between 1 and {max} ids per request"
        )));
    }
    if ids.iter().any(|i| !crate::domain::playlist::valid_id(i)) {
        return Err(ApiError::bad_request("ids must be 1-64 characters"));
    }
    Ok(ids)
}

/// All ids must name catalog entries of this kind.
async fn check_exist(state: &AppState, kind: SavedKind, ids: &[String]) -> ApiResult<()> {
    let found: Vec<String> = match kind {
        SavedKind::Track => state
            .storage
            .catalog
            .tracks(ids.to_vec())
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect(),
        SavedKind::Album => state
            .storage
            .catalog
            .albums(ids.to_vec())
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
        SavedKind::Artist => state
            .storage
            .catalog
            .artists(ids.to_vec())
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
        SavedKind::User => state
            .storage
            .accounts
            .by_ids(ids.to_vec())
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
    };
    if let Some(missing) = ids.iter().find(|i| !found.contains(i)) {
        return Err(ApiError::not_found(format!(
            "no {} with id `{missing}`",
            kind.as_str()
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    after: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn page_limit(state: &AppState, limit: Option<u32>) -> ApiResult<u32> {
    let max = state.config.history.max_page_limit as u32;
    let l = limit.unwrap_or(20.min(max));
    if !(1..=max).contains(&l) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {max}"
        )));
    }
    Ok(l)
}

/// Cursors are `<ms>.<id>` of the last entry of the previous page.
fn parse_cursor(c: &Option<String>) -> ApiResult<Option<(i64, String)>> {
    let Some(c) = c else { return Ok(None) };
    let bad = || ApiError::bad_request("after must be a cursor returned by the server");
    let (ms, id) = c.split_once('.').ok_or_else(bad)?;
    Ok(Some((ms.parse().map_err(|_| bad())?, id.to_string())))
}

async fn save(
    state: web::Data<AppState>,
    user: AuthUser,
    kind: web::Path<String>,
    q: web::Query<IdsQuery>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let kind = saved_kind(&kind);
    let ids = ids_from(&state, &q, &body)?;
    check_exist(&state, kind, &ids).await?;
    state
        .storage
        .library
        .save(&user.user_id, kind, ids, state.now_ms())
        .await?;
    Ok(HttpResponse::Ok().json(json!({"saved": true})))
}

async fn unsave(
    state: web::Data<AppState>,
    user: AuthUser,
    kind: web::Path<String>,
    q: web::Query<IdsQuery>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let kind = saved_kind(&kind);
    let ids = ids_from(&state, &q, &body)?;
    state
        .storage
        .library
        .unsave(&user.user_id, kind, ids)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"saved": false})))
}

async fn contains(
    state: web::Data<AppState>,
    user: AuthUser,
    kind: web::Path<String>,
    q: web::Query<IdsQuery>,
) -> ApiResult<HttpResponse> {
    let kind = saved_kind(&kind);
    let ids = ids_from(&state, &q, &web::Bytes::new())?;
    Ok(HttpResponse::Ok().json(
        state
            .storage
            .library
            .contains(&user.user_id, kind, ids)
            .await?,
    ))
}

/// A page of saved ids of one kind, newest first, each with its catalog object.
/// `tracks` or `albums` (the route only matches those two).
fn saved_kind(path: &str) -> SavedKind {
    if path == "albums" {
        SavedKind::Album
    } else {
        SavedKind::Track
    }
}

async fn list_saved(
    s: web::Data<AppState>,
    u: AuthUser,
    kind: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(list(&s, &u.user_id, saved_kind(&kind), &q).await?))
}

async fn list(state: &AppState, user: &str, kind: SavedKind, q: &PageQuery) -> ApiResult<Value> {
    let limit = page_limit(state, q.limit)?;
    let saved = state
        .storage
        .library
        .list(user, kind, parse_cursor(&q.after)?, limit)
        .await?;
    let ids: Vec<String> = saved.iter().map(|s| s.id.clone()).collect();
    let objects: HashMap<String, Value> = match kind {
        SavedKind::Track => state
            .storage
            .catalog
            .tracks(ids)
            .await?
            .into_iter()
            .map(|t| (t.id.clone(), json!(t)))
            .collect(),
        SavedKind::Album => state
            .storage
            .catalog
            .albums(ids)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), json!(a)))
            .collect(),
        SavedKind::Artist => state
            .storage
            .catalog
            .artists(ids)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), json!(a)))
            .collect(),
        SavedKind::User => state
            .storage
            .accounts
            .by_ids(ids)
            .await?
            .into_iter()
            .map(|a| {
                (
                    a.id.clone(),
                    json!({"id": a.id, "display_name": a.display_name}),
                )
            })
            .collect(),
    };
    let next = (saved.len() as u32 == limit)
        .then(|| saved.last().map(|s| format!("{}.{}", s.added_at_ms, s.id)))
        .flatten();
    let items: Vec<Value> = saved
        .iter()
        .map(|s| json!({"added_at_ms": s.added_at_ms, kind.as_str(): objects.get(&s.id), "id": s.id}))
        .collect();
    let total = state.storage.library.count(user, kind).await?;
    Ok(json!({"items": items, "next": next, "total": total, "limit": limit}))
}

fn follow_kind(k: &str) -> ApiResult<SavedKind> {
    match k {
        "artist" => Ok(SavedKind::Artist),
        "user" => Ok(SavedKind::User),
        other => Err(ApiError::bad_request(format!(
            "can follow `artist` or `user`, not `{other}`"
        ))),
    }
}

async fn follow(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, id) = path.into_inner();
    let kind = follow_kind(&kind)?;
    if kind == SavedKind::User && id == user.user_id {
        return Err(ApiError::bad_request("you cannot follow yourself"));
    }
    check_exist(&state, kind, std::slice::from_ref(&id)).await?;
    state
        .storage
        .library
        .save(&user.user_id, kind, vec![id], state.now_ms())
        .await?;
    Ok(HttpResponse::Ok().json(json!({"following": true})))
}

async fn unfollow(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, id) = path.into_inner();
    let kind = follow_kind(&kind)?;
    state
        .storage
        .library
        .unsave(&user.user_id, kind, vec![id])
        .await?;
    Ok(HttpResponse::Ok().json(json!({"following": false})))
}

async fn list_following(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let kind = follow_kind(q.kind.as_deref().unwrap_or("artist"))?;
    Ok(HttpResponse::Ok().json(list(&state, &user.user_id, kind, &q).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsBody {
    events: Vec<PlayInput>,
}

async fn play_events(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<EventsBody>,
) -> ApiResult<HttpResponse> {
    let out = record_plays(&state, &user.user_id, body.into_inner().events).await?;
    Ok(HttpResponse::Ok().json(out))
}

async fn recently_played(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let limit = page_limit(&state, q.limit)?;
    let plays = state
        .storage
        .history
        .recent(&user.user_id, parse_cursor(&q.after)?, limit)
        .await?;
    let tracks = state
        .storage
        .catalog
        .tracks(plays.iter().map(|p| p.track_id.clone()).collect())
        .await?;
    let items: Vec<Value> = plays
        .iter()
        .map(|p| {
            json!({"event_id": p.event_id, "played_at_ms": p.played_at_ms, "ms_played": p.ms_played,
                   "context_uri": p.context_uri, "device_id": p.device_id,
                   "track": tracks.iter().find(|t| t.id == p.track_id)})
        })
        .collect();
    let next = (plays.len() as u32 == limit)
        .then(|| {
            plays
                .last()
                .map(|p| format!("{}.{}", p.played_at_ms, p.event_id))
        })
        .flatten();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": next, "limit": limit})))
}

async fn top(
    state: web::Data<AppState>,
    user: AuthUser,
    kind: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let limit = page_limit(&state, q.limit)?;
    match kind.as_str() {
        "tracks" => {
            let counts = state
                .storage
                .history
                .top_tracks(&user.user_id, limit)
                .await?;
            let tracks = state
                .storage
                .catalog
                .tracks(counts.iter().map(|c| c.0.clone()).collect())
                .await?;
            let items: Vec<Value> = counts
                .iter()
                .filter_map(|(id, n)| {
                    tracks
                        .iter()
                        .find(|t| &t.id == id)
                        .map(|t| json!({"track": t, "streams": n}))
                })
                .collect();
            Ok(HttpResponse::Ok().json(json!({"items": items})))
        }
        "artists" => {
            let counts = state.storage.history.top_tracks(&user.user_id, 500).await?;
            let tracks = state
                .storage
                .catalog
                .tracks(counts.iter().map(|c| c.0.clone()).collect())
                .await?;
            let mut per_artist: HashMap<String, u64> = HashMap::new();
            for (id, n) in &counts {
                if let Some(t) = tracks.iter().find(|t| &t.id == id) {
                    for a in &t.artist_ids {
                        *per_artist.entry(a.clone()).or_default() += n;
                    }
                }
            }
            let mut ranked: Vec<(String, u64)> = per_artist.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(limit as usize);
            let artists = state
                .storage
                .catalog
                .artists(ranked.iter().map(|r| r.0.clone()).collect())
                .await?;
            let items: Vec<Value> = ranked
                .iter()
                .filter_map(|(id, n)| {
                    artists
                        .iter()
                        .find(|a| &a.id == id)
                        .map(|a| json!({"artist": a, "streams": n}))
                })
                .collect();
            Ok(HttpResponse::Ok().json(json!({"items": items})))
        }
        other => Err(ApiError::not_found(format!(
            "no top list `{other}`: use tracks or artists"
        ))),
    }
}
