//! Stream routes: `GET /v1/tracks/{id}/stream` hands out a signed URL; `GET|HEAD /cdn/{file}` is
//! the local origin that verifies and serves it.

use crate::cdn::{origin, Quality, StreamInfo};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub const STREAM_URLS: &str = "segue_stream_urls_issued_total";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/tracks/{id}/stream", web::get().to(stream))
        .service(
            web::resource("/cdn/{file:.*}")
                .route(web::get().to(origin::serve))
                .route(web::head().to(origin::serve)),
        );
}

#[derive(Deserialize)]
struct StreamQuery {
    quality: Option<String>,
}

async fn stream(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    let asked = match query.quality.as_deref() {
        None => None,
        Some(q) => Some(Quality::parse(q).ok_or_else(|| {
            ApiError::bad_request(format!("quality must be low, normal or high (got `{q}`)"))
        })?),
    };
    let account = state
        .storage
        .accounts
        .by_id(&user.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account of this token no longer exists"))?;
    // Without `quality`, the account's streaming-quality setting decides, as for the player.
    let quality = match asked {
        Some(q) => q,
        None => {
            let settings = state.storage.settings.get(&account.id).await?;
            crate::cdn::Listener::new(account.tier, settings.streaming_quality).quality()
        }
    };
    let track = state
        .storage
        .catalog
        .track(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no track {id}")))?;
    let Some(asset) = track.audio.as_deref() else {
        return Err(ApiError::not_found(format!("track {id} has no audio")));
    };
    let info: StreamInfo = state
        .cdn
        .stream_for(&account.id, account.tier, &track, quality, state.now_ms())?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "the audio of track {id} (`{asset}`) is not available on this server"
            ))
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(info))
}
