//! Actors: the single writers of live state (one file per actor, its messages beside it).

pub mod directory;
pub mod library;
pub mod playlist;
pub mod playlist_access;
pub mod playlist_admin;
pub mod playlist_core;
pub mod playlist_ws;
pub mod resolve;
pub mod session;
pub mod session_dir;
pub mod session_ws;
pub mod user;
pub mod user_view;
