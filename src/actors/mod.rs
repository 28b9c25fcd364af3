//! Actors: the single writers of live state (one file per actor, its messages beside it).

pub mod playlist_ws;
pub mod session_ws;
