//! Playlist members over REST: collaborators (added by the owner or through an invite link) and
//! followers.

use crate::actors::playlist_access::{owned, readable};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::playlists::{Member, Role};
use actix_web::{web, HttpResponse};
use serde_json::json;

#[path = "playlist_invites.rs"]
mod invites;

pub fn configure(cfg: &mut web::ServiceConfig) {
    invites::configure(cfg);
    cfg.route(
        "/v1/playlists/{id}/collaborators",
        web::get().to(list_collaborators),
    )
    .route(
        "/v1/playlists/{id}/collaborators/{user_id}",
        web::post().to(add_collaborator),
    )
    .route(
        "/v1/playlists/{id}/collaborators/{user_id}",
        web::delete().to(remove_collaborator),
    )
    .route("/v1/playlists/{id}/followers", web::put().to(follow))
    .route("/v1/playlists/{id}/followers", web::delete().to(unfollow));
}

async fn list_collaborators(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    readable(&state, &user.user_id, &id).await?;
    let members = state
        .storage
        .playlists
        .members(&id, Role::Collaborator)
        .await?;
    let accounts = state
        .storage
        .accounts
        .by_ids(members.iter().map(|m| m.user_id.clone()).collect())
        .await?;
    let items: Vec<_> = members
        .iter()
        .map(|m| {
            let name = accounts
                .iter()
                .find(|a| a.id == m.user_id)
                .map(|a| a.display_name.clone());
            json!({"user_id": m.user_id, "display_name": name, "added_at_ms": m.added_at_ms})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn add_collaborator(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, target) = path.into_inner();
    let access = owned(&state, &user.user_id, &id).await?;
    if target == access.meta.owner_id {
        return Err(ApiError::bad_request(
            "the owner is not a collaborator of their own playlist",
        ));
    }
    if state.storage.accounts.by_id(&target).await?.is_none() {
        return Err(ApiError::not_found(format!("user `{target}` not found")));
    }
    let member = Member {
        user_id: target.clone(),
        role: Role::Collaborator,
        added_at_ms: state.now_ms(),
    };
    state.storage.playlists.add_member(&id, member).await?;
    // Collaborators may find a private playlist in search.
    crate::actors::playlist_access::details_changed(&state, &id).await;
    Ok(HttpResponse::Ok()
        .json(json!({"playlist_id": id, "user_id": target, "role": "collaborator"})))
}

/// The owner removes anyone; a collaborator may remove themselves.
async fn remove_collaborator(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, target) = path.into_inner();
    let access = readable(&state, &user.user_id, &id).await?;
    if !access.owner && target != user.user_id {
        return Err(ApiError::forbidden(
            "only the owner can remove other collaborators",
        ));
    }
    // The invites the person used go first, so the same link cannot let them back in.
    invites::revoke_used_by(&state, &id, &target).await?;
    state
        .storage
        .playlists
        .remove_member(&id, &target, Role::Collaborator)
        .await?;
    crate::actors::playlist_access::details_changed(&state, &id).await;
    crate::actors::playlist_access::revalidate_subscribers(&state, &id).await;
    Ok(HttpResponse::Ok().json(json!({"playlist_id": id, "user_id": target, "removed": true})))
}

async fn follow(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    readable(&state, &user.user_id, &id).await?;
    let member = Member {
        user_id: user.user_id.clone(),
        role: Role::Follower,
        added_at_ms: state.now_ms(),
    };
    state.storage.playlists.add_member(&id, member).await?;
    Ok(HttpResponse::Ok().json(json!({"playlist_id": id.as_str(), "following": true})))
}

async fn unfollow(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    readable(&state, &user.user_id, &id).await?;
    state
        .storage
        .playlists
        .remove_member(&id, &user.user_id, Role::Follower)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"playlist_id": id.as_str(), "following": false})))
}
