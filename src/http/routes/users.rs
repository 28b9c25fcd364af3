//! Public profile of a user: `GET /v1/users/{id}` -> `{"user_id","display_name"}`, so that clients
//! show names where the protocol carries only user ids (`added_by`, playlist authors, session
//! members). Any signed-in user may ask; the username, tier and everything else stay private.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/users/{id}", web::get().to(profile));
}

async fn profile(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let account = state
        .storage
        .accounts
        .by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "user_id": account.id,
        "display_name": account.display_name,
    })))
}
