//! Search routes: `GET /v1/search` (results per type with totals) and `GET /v1/search/suggest`
//! (autocomplete). Both take an optional bearer token: with it, the user's private and
//! collaborative playlists are searchable too.

use crate::error::ApiError;
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::search::{Kind, SearchRequest};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/search", web::get().to(search))
        .route("/v1/search/suggest", web::get().to(suggest));
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    types: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Deserialize)]
struct SuggestParams {
    q: Option<String>,
    limit: Option<String>,
}

const DEFAULT_LIMIT: usize = 20;
const DEFAULT_SUGGEST_LIMIT: usize = 10;

fn number(
    name: &str,
    raw: Option<&str>,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    let n: usize = raw.trim().parse().map_err(|_| {
        ApiError::bad_request(format!("`{name}` must be a whole number, not `{raw}`"))
    })?;
    if n < min || n > max {
        return Err(ApiError::bad_request(format!(
            "`{name}` must be between {min} and {max}, not {n}"
        )));
    }
    Ok(n)
}

fn query_text(q: Option<String>) -> Result<String, ApiError> {
    let q = q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "`q` is required: the words to search for, optionally with filters such as artist:NAME",
        ));
    }
    Ok(q)
}

fn parse_types(raw: Option<&str>) -> Result<Vec<Kind>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(vec![Kind::Track, Kind::Artist, Kind::Album, Kind::Playlist]);
    };
    let mut out = Vec::new();
    for t in raw.split(',').map(str::trim) {
        let k = Kind::parse(t).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown type `{t}`: use a comma-separated list of track, artist, album, playlist"
            ))
        })?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// Anonymous when there is no Authorization header; a bad token is still an error.
async fn optional_user(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    if !req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return Ok(None);
    }
    let user = AuthUser::extract(req).await?;
    Ok(Some(user.user_id))
}

fn plural(k: Kind) -> &'static str {
    match k {
        Kind::Track => "tracks",
        Kind::Artist => "artists",
        Kind::Album => "albums",
        Kind::Playlist => "playlists",
    }
}

async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let cfg = &state.config.search;
    let request = SearchRequest {
        q: query_text(p.q)?,
        types: parse_types(p.types.as_deref())?,
        limit: number(
            "limit",
            p.limit.as_deref(),
            DEFAULT_LIMIT.min(cfg.max_limit),
            1,
            cfg.max_limit,
        )?,
        offset: number("offset", p.offset.as_deref(), 0, 0, cfg.max_offset)?,
        user_id: optional_user(&req).await?,
        now_ms: state.now_ms(),
    };
    let index = state.search.clone();
    let pages = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|_| ApiError::internal("search task failed"))??;
    let mut body = serde_json::Map::new();
    for (kind, page) in pages {
        body.insert(
            plural(kind).to_string(),
            serde_json::to_value(page).map_err(|e| ApiError::internal(e.to_string()))?,
        );
    }
    Ok(HttpResponse::Ok().json(body))
}

async fn suggest(
    state: web::Data<AppState>,
    params: web::Query<SuggestParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let cfg = &state.config.search;
    let q = query_text(p.q)?;
    let limit = number(
        "limit",
        p.limit.as_deref(),
        DEFAULT_SUGGEST_LIMIT.min(cfg.max_limit),
        1,
        cfg.max_limit,
    )?;
    let index = state.search.clone();
    let items = tokio::task::spawn_blocking(move || index.suggest(&q, limit))
        .await
        .map_err(|_| ApiError::internal("suggest task failed"))??;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "suggestions": &*items })))
}
