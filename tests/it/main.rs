//! The one integration test binary: real servers on 127.0.0.1:0, real HTTP and WebSocket clients.

mod common;

mod auth;
mod auth_throttle;
mod catalog;
mod cdn;
mod config_cli;
mod fuzz_corpus;
mod library;
mod my_playlists;
mod ops;
mod play_events;
mod player_crash;
mod player_fixture;
mod player_history;
mod player_limits;
mod player_remote;
mod player_rest;
mod playlist_invites;
mod playlist_sim;
mod playlist_ws;
mod playlists;
mod playlists_crash;
mod playlists_handlers;
mod playlists_more;
mod scylla_server;
mod scylla_storage;
mod search;
mod session_plays;
mod session_sync;
mod sessions;
mod storage_conformance;
mod stream_quality;
mod web;
mod ws_frames;
mod ws_protocol;
