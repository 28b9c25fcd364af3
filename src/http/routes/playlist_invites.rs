//! Playlist invite links over REST. The owner creates a link with a use limit and a lifetime,
//! lists the live ones with who used them, and revokes any of them; anyone signed in accepts
//! one. Removing a collaborator revokes every invite that person used, so the same link does
//! not let them back in.

use crate::actors::playlist_access::{details_changed, owned};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::playlists::{Invite, InviteUseOutcome, Member, Role};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before `/v1/playlists/{id}/...` so that "invites" is never taken for a playlist id.
    cfg.route(
        "/v1/playlists/invites/{token}/accept",
        web::post().to(accept_invite),
    )
    .route("/v1/playlists/{id}/invites", web::post().to(create_invite))
    .route("/v1/playlists/{id}/invites", web::get().to(list_invites))
    .route(
        "/v1/playlists/{id}/invites/{invite_id}",
        web::delete().to(revoke_invite),
    );
}

/// The public id of an invite: a digest of its token, so that listing and revoking never put
/// the token (the capability itself) in a URL or an access log, and invites stored before ids
/// existed have one too.
pub fn invite_id(token: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("segue-invite-id:{token}").as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12])
}

fn expired(why: &str) -> ApiError {
    ApiError::new(ErrorCode::InviteExpired, why)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    max_uses: Option<u64>,
    expires_in_s: Option<u64>,
}

async fn create_invite(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    owned(&state, &user.user_id, &id).await?;
    let b: CreateBody = if body.iter().all(u8::is_ascii_whitespace) {
        CreateBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
    };
    let c = &state.config.playlist;
    let max_uses = match b.max_uses {
        None => c.invite_default_max_uses,
        Some(n) if n >= 1 && n <= u64::from(c.invite_max_uses) => n as u32,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "max_uses must be between 1 and {}",
                c.invite_max_uses
            )))
        }
    };
    let max_s = (c.invite_max_ttl_ms / 1000).max(0) as u64;
    let ttl_ms = match b.expires_in_s {
        None => c.invite_ttl_ms,
        // Bounded by the config (an i64 of ms), so the product cannot overflow.
        Some(s) if s >= 1 && s <= max_s => (s * 1000) as i64,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "expires_in_s must be between 1 and {max_s}"
            )))
        }
    };
    let now = state.now_ms();
    let invite = Invite {
        token: crate::storage::new_id(),
        playlist_id: id.to_string(),
        created_by: user.user_id.clone(),
        expires_at_ms: now.saturating_add(ttl_ms),
        created_at_ms: Some(now),
        max_uses: Some(max_uses),
        used_by: vec![],
    };
    state
        .storage
        .playlists
        .create_invite(invite.clone())
        .await?;
    let mut reply = describe(&state, &invite, &[]);
    reply["url"] = json!(accept_url(&state, &invite.token));
    Ok(HttpResponse::Created().json(reply))
}

fn accept_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/v1/playlists/invites/{token}/accept",
        state.self_base_url()
    )
}

/// One invite as the owner sees it. `names` maps user ids to display names.
fn describe(state: &AppState, i: &Invite, names: &[(String, String)]) -> Value {
    let used_by: Vec<Value> = i
        .used_by
        .iter()
        .map(|u| {
            let name = names.iter().find(|(id, _)| *id == u.user_id).map(|n| &n.1);
            json!({"user_id": u.user_id, "display_name": name, "at_ms": u.at_ms})
        })
        .collect();
    json!({
        "id": invite_id(&i.token), "token": i.token, "url": accept_url(state, &i.token),
        "created_at_ms": i.created_at_ms, "expires_at_ms": i.expires_at_ms,
        "max_uses": i.max_uses, "uses": i.used_by.len(), "used_by": used_by,
    })
}

/// The owner's live invites (expired ones are left out), oldest first.
async fn list_invites(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    owned(&state, &user.user_id, &id).await?;
    let now = state.now_ms();
    let invites: Vec<Invite> = state
        .storage
        .playlists
        .invites_of(&id)
        .await?
        .into_iter()
        .filter(|i| i.expires_at_ms > now)
        .collect();
    let users: Vec<String> = invites
        .iter()
        .flat_map(|i| i.used_by.iter().map(|u| u.user_id.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let names: Vec<(String, String)> = state
        .storage
        .accounts
        .by_ids(users)
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect();
    let items: Vec<Value> = invites
        .iter()
        .map(|i| describe(&state, i, &names))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn revoke_invite(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, wanted) = path.into_inner();
    owned(&state, &user.user_id, &id).await?;
    let invites = state.storage.playlists.invites_of(&id).await?;
    let token = invites
        .iter()
        .find(|i| invite_id(&i.token) == wanted)
        .map(|i| i.token.clone())
        .ok_or_else(|| ApiError::not_found("no such invite on this playlist"))?;
    if !state.storage.playlists.revoke_invite(&token).await? {
        return Err(ApiError::not_found("no such invite on this playlist"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes the playlist's invites that `user_id` used, and those stored before uses were
/// recorded (anyone, this user included, may have used them). Called before the user's
/// membership is removed, so an accept racing with the removal either finds its invite gone
/// or is undone by the check at the end of `accept_invite`.
pub async fn revoke_used_by(state: &AppState, playlist_id: &str, user_id: &str) -> ApiResult<()> {
    for i in state.storage.playlists.invites_of(playlist_id).await? {
        if i.created_at_ms.is_none() || i.used_by.iter().any(|u| u.user_id == user_id) {
            state.storage.playlists.revoke_invite(&i.token).await?;
        }
    }
    Ok(())
}

async fn accept_invite(
    state: web::Data<AppState>,
    user: AuthUser,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let gone = || ApiError::not_found("invite not found or revoked");
    if !crate::domain::playlist::valid_id(&token) {
        return Err(gone());
    }
    let repo = &state.storage.playlists;
    let invite = repo.invite(&token).await?.ok_or_else(gone)?;
    let now = state.now_ms();
    if invite.expires_at_ms <= now {
        return Err(expired("this invite link has expired"));
    }
    let meta = repo.get(&invite.playlist_id).await?.ok_or_else(gone)?;
    if meta.owner_id == user.user_id {
        // The owner opening their own link takes no use.
        return Ok(HttpResponse::Ok()
            .json(json!({"playlist_id": meta.id, "name": meta.name, "role": "owner"})));
    }
    let joined = || {
        HttpResponse::Ok()
            .json(json!({"playlist_id": meta.id, "name": meta.name, "role": "collaborator"}))
    };
    // A collaborator already takes no use, and is never undone below by a revoke that has
    // nothing to do with their membership.
    let roles = repo.roles_of(&meta.id, &user.user_id).await?;
    if roles.contains(&Role::Collaborator) {
        return Ok(joined());
    }
    match repo.use_invite(&token, &user.user_id, now).await? {
        InviteUseOutcome::Used | InviteUseOutcome::AlreadyUsed => {}
        InviteUseOutcome::Exhausted => {
            return Err(expired("every use of this invite link is taken"))
        }
        InviteUseOutcome::Gone => return Err(gone()),
    }
    let member = Member {
        user_id: user.user_id.clone(),
        role: Role::Collaborator,
        added_at_ms: now,
    };
    repo.add_member(&meta.id, member).await?;
    // A revoke (or this user's removal, which revokes what they used) may have run between
    // the use and the add: the invite must still be there, or the add is undone.
    if repo.invite(&token).await?.is_none() {
        repo.remove_member(&meta.id, &user.user_id, Role::Collaborator)
            .await?;
        return Err(gone());
    }
    details_changed(&state, &meta.id).await;
    Ok(joined())
}
