//! `GET /v1/ws`: one task per WebSocket connection.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
