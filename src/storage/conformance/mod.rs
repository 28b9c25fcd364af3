//! The storage conformance suite: the same assertions for every backend. Each check uses fresh
//! ids so that it can run against a shared database (a CQL node used by a whole test run).
//! Integration tests call `run_all` once per backend.

pub mod accounts;
pub mod catalog;
pub mod erasure;
pub mod history;
pub mod library;
pub mod players;
pub mod playlist_invites;
pub mod playlists;
pub mod sessions;
pub mod settings;

use crate::storage::Storage;

/// Panics (with the failing check's message) when the backend does not conform.
pub async fn run_all(storage: &Storage) {
    accounts::check(storage).await;
    catalog::check(storage).await;
    players::check(storage).await;
    sessions::check(storage).await;
    playlists::check(storage).await;
    library::check(storage).await;
    history::check(storage).await;
    settings::check(storage).await;
    erasure::check(storage).await;
}

/// A fresh id with a readable prefix, unique per call.
pub fn fresh(prefix: &str) -> String {
    format!("{prefix}-{}", crate::storage::new_id())
}
