//! HTTP: the one actix-web app factory used by `main` and by the tests, and its routes.

pub mod conn;
pub mod extract;
pub mod log_redact;
pub mod outbox;
pub mod routes;
pub mod state;
pub mod ws;

use crate::error::ApiError;
use actix_web::{error::JsonPayloadError, web, HttpRequest, HttpResponse};
pub use state::AppState;

/// Registers every route and the JSON error handlers on an app.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let max_body = state.config.server.max_body_bytes;
        cfg.app_data(state)
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(json_error),
            )
            .app_data(web::PayloadConfig::default().limit(max_body))
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::bad_request(format!("bad query string: {e}")).into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| ApiError::bad_request(format!("bad path: {e}")).into()),
            );
        routes::configure(cfg);
        ws::configure(cfg);
    }
}

fn json_error(e: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                crate::error::ErrorCode::TooLarge,
                "request body is too large",
            )
        }
        JsonPayloadError::ContentType => {
            ApiError::bad_request("expected Content-Type: application/json")
        }
        JsonPayloadError::Deserialize(d) => {
            ApiError::bad_request(format!("invalid JSON body: {d}"))
        }
        other => ApiError::bad_request(format!("invalid JSON body: {other}")),
    };
    api.into()
}

/// Unknown routes answer with a JSON 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::not_found(format!("no route for {} {}", req.method(), req.path())).error_response()
}
