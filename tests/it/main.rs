//! The one integration test binary: real servers on 127.0.0.1:0, real HTTP and WebSocket clients.

mod common;

mod auth;
mod config_cli;
mod library;
mod ops;
mod playlist_sim;
mod playlists;
mod playlists_crash;
mod playlists_handlers;
mod playlists_more;
mod storage_conformance;
