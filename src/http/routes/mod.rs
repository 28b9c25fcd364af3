//! REST routes, one module per area.

pub mod auth;
pub mod catalog;
pub mod health;
pub mod library;
pub mod player;
pub mod playlists;
pub mod search;
pub mod settings;
pub mod stream;
pub mod users;
// `web.rs` is named `web_player` here so that it does not clash with `actix_web::web`.
#[path = "web.rs"]
pub mod web_player;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    auth::configure(cfg);
    catalog::configure(cfg);
    stream::configure(cfg);
    // Library routes live under /v1/me/player/ too (events, recently-played): they must be
    // registered before the player's scope, which would otherwise claim the whole prefix.
    library::configure(cfg);
    player::configure(cfg);
    playlists::configure(cfg);
    search::configure(cfg);
    users::configure(cfg);
    settings::configure(cfg);
    // Last, so that API routes win over the web player's pages.
    web_player::configure(cfg);
}
