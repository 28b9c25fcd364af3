//! Accounts: register, log in, who am I.

use crate::auth::{hash_password, verify_password};
use crate::error::{ApiError, ApiResult, StorageError};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::{Account, Tier};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/auth/register", web::post().to(register))
        .route("/v1/auth/login", web::post().to(login))
        .route("/v1/me", web::get().to(me))
        .route("/v1/me", web::delete().to(delete_me));
}

/// Longest display name, in characters.
const DISPLAY_NAME_MAX_CHARS: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    username: String,
    password: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

pub fn validate_username(u: &str) -> ApiResult<()> {
    let ok = (3..=32).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "username must be 3-32 characters of letters, digits, '_', '-' or '.'",
        ))
    }
}

fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Hashing costs ~half a second of CPU by design: keep it off the async workers.
async fn hash_off_thread(password: String, iterations: u32) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password, iterations))
        .await
        .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
}

async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RegisterBody>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    if !state
        .register_limiter
        .check(&format!("register:{}", client_ip(&req)), state.now_ms())
    {
        return Err(ApiError::rate_limited(
            "too many registrations, try again later",
        ));
    }
    validate_username(&body.username)?;
    if body.password.chars().count() < state.config.auth.password_min_len {
        return Err(ApiError::bad_request(format!(
            "password must be at least {} characters",
            state.config.auth.password_min_len
        )));
    }
    if body.password.len() > 1024 {
        return Err(ApiError::bad_request("password is too long"));
    }
    let display_name = match &body.display_name {
        Some(d) => crate::domain::text::validate_display_text(d, DISPLAY_NAME_MAX_CHARS)
            .map_err(|e| ApiError::bad_request(format!("display_name {e}")))?,
        None => body.username.clone(),
    };
    if state
        .storage
        .accounts
        .by_username(&body.username)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict("username is taken"));
    }
    let hash = hash_off_thread(body.password, state.config.auth.pbkdf2_iterations).await?;
    let account = Account {
        id: crate::storage::new_id(),
        username: body.username.to_lowercase(),
        display_name,
        password_hash: hash,
        tier: Tier::Free,
        created_at_ms: state.now_ms(),
    };
    state
        .storage
        .accounts
        .create(account.clone())
        .await
        .map_err(|e| match e {
            StorageError::Conflict(_) => ApiError::conflict("username is taken"),
            other => other.into(),
        })?;
    state.metrics.inc("segue_accounts_registered_total");
    let (token, expires_at_ms) = state.tokens.issue(&account.id, state.now_ms());
    Ok(HttpResponse::Created().json(serde_json::json!({
        "user": account_json(&account),
        "token": token,
        "expires_at_ms": expires_at_ms,
    })))
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> ApiResult<HttpResponse> {
    let now = state.now_ms();
    let username = body.username.to_lowercase();
    let address = client_ip(&req);
    // Only failures count (below); this check takes nothing, so logging in never uses up a limit.
    let wait_ms = state.login_throttle.wait_ms(&username, &address, now);
    if wait_ms > 0 {
        return Ok(too_many_logins(wait_ms));
    }
    let account = state.storage.accounts.by_username(&body.username).await?;
    // Unknown names (and accounts without a password) are verified against a dummy hash of the
    // same PBKDF2 cost, so the answer takes as long as for a real account.
    let stored = match &account {
        Some(a) if !a.password_hash.is_empty() => a.password_hash.clone(),
        _ => dummy_hash(&state).await?,
    };
    let password = body.password.clone();
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    state.metrics.inc("segue_login_password_checks_total");
    let account = match account {
        Some(a) if verified && !a.password_hash.is_empty() => a,
        _ => {
            state
                .login_throttle
                .record_failure(&username, &address, state.now_ms());
            return Err(ApiError::unauthorized("wrong username or password"));
        }
    };
    let (token, expires_at_ms) = state.tokens.issue(&account.id, now);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": token,
        "expires_at_ms": expires_at_ms,
        "user": account_json(&account),
    })))
}

/// 429 with `Retry-After` (whole seconds, rounded up) and the usual `{code, message}` body.
fn too_many_logins(wait_ms: i64) -> HttpResponse {
    let secs = (wait_ms.max(1) + 999) / 1000;
    HttpResponse::TooManyRequests()
        .insert_header(("Retry-After", secs.to_string()))
        .json(serde_json::json!({
            "code": "rate_limited",
            "message": format!("too many failed logins, try again in {secs} s"),
        }))
}

/// The dummy hash, made once per process (off the async workers, like every hash).
async fn dummy_hash(state: &AppState) -> ApiResult<String> {
    if let Some(h) = state.dummy_password_hash.get() {
        return Ok(h.clone());
    }
    let h = hash_off_thread(
        "segue dummy password".to_string(),
        state.config.auth.pbkdf2_iterations,
    )
    .await?;
    Ok(state.dummy_password_hash.get_or_init(|| h).clone())
}

async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let account = state
        .storage
        .accounts
        .by_id(&user.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("account no longer exists"))?;
    Ok(HttpResponse::Ok().json(account_json(&account)))
}

/// Deletes the caller's account and its data (docs/auth.md, "Deleting an account").
async fn delete_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    crate::account_delete::delete_account(&state, &user.user_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"deleted": true})))
}

pub fn account_json(a: &Account) -> serde_json::Value {
    serde_json::json!({
        "id": a.id,
        "username": a.username,
        "display_name": a.display_name,
        "tier": a.tier,
        "created_at_ms": a.created_at_ms,
    })
}
