//! Deleting an account (`DELETE /v1/me`). What goes and what stays is documented in
//! docs/auth.md ("Deleting an account"); in order:
//!
//! 1. a tombstone in the account cache: from here on this node refuses the account's tokens
//!    (REST and `hello`), new sockets and the activation of its player;
//! 2. it leaves its group session (a host hands over or ends it, as on `session_leave`);
//! 3. its live sockets close with 4004, and its player actor stops without storing anything;
//! 4. playlists it owns are deleted; its collaborations and follows are removed;
//! 5. library, play history, player and devices are erased (`ErasureRepo`);
//! 6. last, the account row itself, which frees the username and makes other nodes refuse
//!    the tokens once their cache entry expires.
//!
//! Every step is idempotent. If one fails, the tombstone is lifted so that the user can retry
//! with the same token, and the account (its row is deleted last) still exists.

use crate::actors::session::Manage;
use crate::error::{ApiError, ApiResult};
use crate::http::outbox::close;
use crate::http::AppState;
use crate::storage::playlists::Role;
use actix_web::web;

/// Deletes the account and everything personal to it.
pub async fn delete_account(app: &web::Data<AppState>, user_id: &str) -> ApiResult<()> {
    app.accounts_seen.mark_deleted(user_id, app.now_ms());
    match erase(app, user_id).await {
        Ok(()) => {
            tracing::info!(user_id, "account deleted");
            app.metrics.describe(
                "segue_accounts_deleted_total",
                "counter",
                "Accounts deleted with DELETE /v1/me",
            );
            app.metrics.inc("segue_accounts_deleted_total");
            Ok(())
        }
        Err(e) => {
            app.accounts_seen.forget(user_id);
            Err(e)
        }
    }
}

async fn erase(app: &web::Data<AppState>, user_id: &str) -> ApiResult<()> {
    if let Some(session_id) = app.sessions.session_of(user_id) {
        let addr = app.sessions.get(app, &session_id).await?;
        // `not_found` (no longer a member) is fine: the goal is to be out.
        let _ = addr
            .send(Manage::Leave {
                user_id: user_id.to_string(),
            })
            .await;
    }
    app.conn_limits.close_user(user_id, close::ACCOUNT_DELETED);
    if let Some(player) = app.players.peek(user_id) {
        let _ = player.send(crate::actors::user::Discard).await;
    }
    for (meta, role) in app.storage.playlists.user_playlists(user_id).await? {
        let id = meta.id.as_str();
        match role {
            Role::Owner => {
                app.playlists.stop(id);
                app.storage.playlists.delete(id).await?;
                crate::actors::playlist_access::notify_search(app, id, None);
            }
            // Unlike removing a collaborator on request, the invites the account used stay:
            // they exist to keep that person out, and a deleted account can never accept one
            // again (its tokens are refused; a new account gets a new id).
            Role::Collaborator | Role::Follower => {
                app.storage
                    .playlists
                    .remove_member(id, user_id, role)
                    .await?;
                crate::actors::playlist_access::details_changed(app, id).await;
                crate::actors::playlist_access::revalidate_subscribers(app, id).await;
            }
        }
    }
    app.storage.erasure.erase_user_data(user_id).await?;
    if !app.storage.accounts.delete(user_id).await? {
        return Err(ApiError::unauthorized("the account does not exist"));
    }
    Ok(())
}
