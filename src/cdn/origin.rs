//! The local origin, `GET|HEAD /cdn/<file>`: verifies the stream URL signature exactly as a CDN
//! edge would, then serves the file from the audio dir with HTTP Range support and long-lived
//! caching headers (the bytes behind a path never change).

use crate::error::ApiError;
use crate::http::AppState;
use actix_files::NamedFile;
use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

pub const CDN_REQUESTS: &str = "segue_cdn_requests_total";
pub const CDN_BYTES: &str = "segue_cdn_bytes_served_total";

/// Cached for a year and never revalidated: a path always names the same bytes.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let res = match respond(&req, &state).await {
        Ok(res) => res,
        Err(e) => {
            let mut res = e.error_response();
            // A refusal must not be cached by anything in between.
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
    };
    let m = &state.metrics;
    m.describe(
        CDN_REQUESTS,
        "counter",
        "Requests to the local /cdn/ origin by status class",
    );
    m.describe(
        CDN_BYTES,
        "counter",
        "Audio bytes sent by the local /cdn/ origin",
    );
    m.add_labelled(
        CDN_REQUESTS,
        &[(
            "status",
            crate::metrics::status_class(res.status().as_u16()),
        )],
        1,
    );
    if req.method() != actix_web::http::Method::HEAD && res.status().is_success() {
        if let BodySize::Sized(n) = res.body().size() {
            m.add(CDN_BYTES, i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
    res
}

async fn respond(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    // The raw (still percent-encoded) path is what was signed; the verifier also refuses any
    // path that is not plain segments, so nothing can step outside the audio dir.
    let path = req.uri().path();
    let verified = state
        .cdn
        .verify(path, req.query_string(), state.now_ms())
        .map_err(|d| ApiError::forbidden(format!("stream URL refused: {d}")))?;
    let rel = path
        .strip_prefix("/cdn/")
        .ok_or_else(|| ApiError::forbidden("stream URL refused: invalid path"))?;
    let file_path = state.cdn.audio_dir().join(rel);
    let file = match NamedFile::open_async(&file_path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found(format!("no audio file /cdn/{rel}")));
        }
        Err(e) => {
            tracing::error!(path = %file_path.display(), error = %e, "cannot open audio file");
            return Err(ApiError::internal("cannot open the audio file"));
        }
    };
    if !file.metadata().is_file() {
        return Err(ApiError::not_found(format!("no audio file /cdn/{rel}")));
    }
    tracing::debug!(uid = %verified.uid, kid = %verified.kid, file = rel, "cdn serve");
    let mut res = file
        .set_content_type(content_type(rel))
        .disable_content_disposition()
        .into_response(req);
    // NamedFile answers a range covering the whole file (Chromium's first `bytes=0-`) with 200;
    // media players treat 206 as the proof that seeking by range works, so say 206.
    if res.status() == actix_web::http::StatusCode::OK
        && res.headers().contains_key(header::CONTENT_RANGE)
    {
        *res.status_mut() = actix_web::http::StatusCode::PARTIAL_CONTENT;
    }
    let ok = res.status().is_success();
    let h = res.headers_mut();
    if ok {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
    }
    // Lets a web player on another origin use the audio with Web Audio / crossorigin.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}

/// Content type by extension (browsers need the right one to pick a decoder).
pub fn content_type(file: &str) -> actix_web::mime::Mime {
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let s = match ext.as_str() {
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "m4a" | "mp4" | "aac" => "audio/mp4",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "webm" => "audio/webm",
        _ => "application/octet-stream",
    };
    s.parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM)
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_types() {
        assert_eq!(super::content_type("a/96.mp3").as_ref(), "audio/mpeg");
        assert_eq!(super::content_type("a/96.OGG").as_ref(), "audio/ogg");
        assert_eq!(super::content_type("a/96.opus").as_ref(), "audio/ogg");
        assert_eq!(
            super::content_type("a/x").as_ref(),
            "application/octet-stream"
        );
    }
}
