//! The one integration test binary: real servers on 127.0.0.1:0, real HTTP and WebSocket clients.

mod common;

mod auth;
mod cdn;
mod catalog;
mod config_cli;
mod ops;
mod storage_conformance;
mod web;
