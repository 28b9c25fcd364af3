//! The web player: `web-demo/` served at `/` (static files, no build step), plus `/join/{code}`
//! (group session links) and `/invite/{token}` (playlist invites), which the app reads from the URL.
//!
//! Only these pages and the asset folders are claimed, so that every API
//! route, `/v1/ws` and the JSON 404 for unknown paths keep working whatever order they are
//! registered in. The app routes with `#/…` fragments, so it needs no other server paths.

use crate::config::Config;
use crate::http::AppState;
use actix_files::NamedFile;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpRequest, HttpResponse};
use std::path::PathBuf;

/// Asset folders of `web-demo/` served as they are.
const ASSET_DIRS: &[&str] = &["js", "css", "img"];

/// Where the web player's files live: `server.web_dir`, or the source tree's `web-demo/`.
pub fn web_dir(config: &Config) -> PathBuf {
    if config.server.web_dir.is_empty() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web-demo")
    } else {
        PathBuf::from(&config.server.web_dir)
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/index.html", web::get().to(index))
        .route("/join/{code}", web::get().to(index))
        .route("/invite/{token}", web::get().to(index));
    // The folder comes from the live config in app data, so each request resolves it (actix-files'
    // `NamedFile` then does ranges, ETags and content types).
    for dir in ASSET_DIRS {
        cfg.route(&format!("/{dir}/{{file:.*}}"), web::get().to(asset));
    }
}

/// `index.html`, never cached so that a reload always picks up a new build of the player.
async fn index(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let path = web_dir(&state.config).join("index.html");
    match NamedFile::open_async(&path).await {
        Ok(f) => {
            let mut resp = f
                .use_etag(false)
                .use_last_modified(false)
                .into_response(&req);
            resp.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-cache"),
            );
            resp
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "web player is not available");
            HttpResponse::NotFound().json(serde_json::json!({
                "code": "not_found",
                "message": format!("the web player is not installed at {} (server.web_dir)", path.display()),
            }))
        }
    }
}

/// A file under one of the asset folders; `..` and hidden files are refused.
async fn asset(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let rel = req.path().trim_start_matches('/');
    let safe = !rel.is_empty()
        && rel
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.contains('\\'));
    if !safe {
        return not_found(rel);
    }
    let path = web_dir(&state.config).join(rel);
    match NamedFile::open_async(&path).await {
        Ok(f) if path.is_file() => {
            let mut resp = f.prefer_utf8(true).into_response(&req);
            // Revalidate each load (ETag makes that a cheap 304): there is no build step that
            // would give assets content-hashed names.
            let cc = CacheControl(vec![CacheDirective::NoCache]);
            if let Ok(v) = actix_web::http::header::TryIntoHeaderValue::try_into_value(cc) {
                resp.headers_mut()
                    .insert(actix_web::http::header::CACHE_CONTROL, v);
            }
            resp
        }
        _ => not_found(rel),
    }
}

fn not_found(rel: &str) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "code": "not_found",
        "message": format!("no such file: /{rel}"),
    }))
}
