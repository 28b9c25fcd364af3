//! Operations: liveness, readiness, Prometheus metrics.

use crate::http::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if *state.shutdown.borrow() {
        return HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"code": "unavailable", "message": "shutting down"}));
    }
    // Until the start-up index build is searchable, searches would answer with nothing.
    if !state.search.is_caught_up() {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "code": "unavailable",
            "message": "search index is catching up",
        }));
    }
    match state.storage.health.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Err(e) => HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "code": "unavailable",
            "message": format!("storage is not ready: {e}"),
        })),
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // Figures owned by other components are collected at scrape time.
    let m = &state.metrics;
    m.describe(
        super::stream::STREAM_URLS,
        "counter",
        "Signed stream URLs issued (REST and player state)",
    );
    m.set(super::stream::STREAM_URLS, state.cdn.urls_issued());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(m.render())
}
