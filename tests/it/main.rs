//! The one integration test binary: real servers on 127.0.0.1:0, real HTTP and WebSocket clients.

mod common;

mod auth;
mod catalog;
mod cdn;
mod config_cli;
mod ops;
mod player_crash;
mod player_fixture;
mod player_remote;
mod player_rest;
mod scylla_storage;
mod session_sync;
mod sessions;
mod storage_conformance;
mod web;
mod ws_protocol;
