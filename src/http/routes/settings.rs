//! `GET|PATCH /v1/me/settings`: per-account settings (the streaming quality).

use crate::actors::user::SetQuality;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::settings::{StreamingQuality, UserSettings};
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/me/settings", web::get().to(get))
        .route("/v1/me/settings", web::patch().to(patch));
}

fn view(s: &UserSettings) -> Value {
    json!({"streaming_quality": s.streaming_quality.as_str()})
}

async fn get(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let s = state.storage.settings.get(&user.user_id).await?;
    Ok(HttpResponse::Ok().json(view(&s)))
}

/// Changes the given settings (absent fields keep their value). A free account may ask for
/// `high`: it streams at its tier's best, which is what the setting means within the cap.
async fn patch(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the body must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| *k != "streaming_quality") {
        let k: String = k.chars().take(40).collect();
        return Err(ApiError::bad_request(format!("unknown setting `{k}`")));
    }
    let mut s = state.storage.settings.get(&user.user_id).await?;
    if let Some(v) = obj.get("streaming_quality") {
        s.streaming_quality = v
            .as_str()
            .and_then(StreamingQuality::parse)
            .ok_or_else(|| {
                ApiError::bad_request("streaming_quality must be low, normal, high or auto")
            })?;
    }
    state.storage.settings.set(&user.user_id, s).await?;
    // A running player re-signs its stream at once; a stopped one reads the setting on start.
    if let Some(addr) = state.players.peek(&user.user_id) {
        addr.do_send(SetQuality(s.streaming_quality));
    }
    Ok(HttpResponse::Ok().json(view(&s)))
}
