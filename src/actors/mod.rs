//! Actors: the single writers of live state (one file per actor, its messages beside it).

pub mod library;
pub mod playlist;
pub mod playlist_access;
pub mod playlist_admin;
pub mod playlist_core;
pub mod playlist_ws;
pub mod session_ws;
