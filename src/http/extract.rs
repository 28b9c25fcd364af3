//! Request extractors: the authenticated user from a bearer token.
//!
//! `verify_bearer` is the one place a token becomes a user: REST routes reach it through the
//! `AuthUser` extractor and WebSocket `hello` calls it directly. Besides the signature and the
//! expiry it checks that the account still exists (a token outlives a deleted account).

use super::state::AppState;
use crate::error::ApiError;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// The user a request acts for, from `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let user_id = verify_bearer(&state, &token?).await?;
            Ok(AuthUser { user_id })
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
    Ok(token.trim().to_string())
}

/// The user id a bearer token stands for: a valid signature, not expired, and an account that
/// exists (cached, see `account_cache`). `unauthorized` otherwise; `unavailable` when the
/// storage cannot answer.
pub async fn verify_bearer(state: &AppState, token: &str) -> Result<String, ApiError> {
    let now = state.now_ms();
    let claims = state
        .tokens
        .verify(token.trim(), now)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if !state
        .accounts_seen
        .exists(&state.storage, &claims.user_id, now)
        .await?
    {
        return Err(ApiError::unauthorized("the account does not exist"));
    }
    Ok(claims.user_id)
}
