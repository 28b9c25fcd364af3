//! One table of error codes shared by REST and WebSocket: code -> HTTP status, and the error
//! types of each layer that convert into it.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;

/// Stable, wire-visible error codes (PROTOCOL.md "Replies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    TooLarge,
    Unauthorized,
    Forbidden,
    /// The action needs a Premium account (e.g. hosting a group session).
    PremiumRequired,
    NotFound,
    /// An invite link past its expiry or with every use taken (HTTP 410).
    InviteExpired,
    Conflict,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::PremiumRequired => "premium_required",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InviteExpired => "invite_expired",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn http_status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::PremiumRequired => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InviteExpired => StatusCode::GONE,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The error every API surface returns: a stable code and a human-readable message.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, m)
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, m)
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, m)
    }
    pub fn rate_limited(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::RateLimited, m)
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, m)
    }
    pub fn internal(m: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, m)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.http_status()
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(serde_json::json!({
            "code": self.code.as_str(),
            "message": self.message,
        }))
    }
}

/// Storage-layer failures. `Unavailable` means the write may not have happened and must never be
/// acknowledged; `Conflict` is a failed conditional write (version or uniqueness).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StorageError::NotFound,
            rusqlite::Error::SqliteFailure(f, ref msg)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StorageError::Conflict(msg.clone().unwrap_or_else(|| "constraint".into()))
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::CannotOpen
                ) =>
            {
                StorageError::Unavailable(e.to_string())
            }
            other => StorageError::Internal(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Internal(format!("corrupt stored json: {e}"))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::not_found("not found"),
            // The detail can be the database's own text (e.g. SQLite's "UNIQUE constraint
            // failed: table.column"), which describes the schema, so clients get a fixed
            // message and the detail goes to the log. Routes that know what conflicted map
            // the error themselves (e.g. "username is taken").
            StorageError::Conflict(m) => {
                tracing::warn!(detail = %m, "storage conflict");
                ApiError::conflict("the change conflicts with stored data; reload and try again")
            }
            StorageError::Unavailable(m) => {
                // An outage fails every request alike: one line per interval says it all.
                static WARN: crate::log_throttle::LogThrottle =
                    crate::log_throttle::LogThrottle::new(10_000);
                if let Some(held_back) = WARN.admit() {
                    tracing::warn!(detail = %m, held_back, "storage unavailable");
                }
                ApiError::unavailable("storage is unavailable, try again")
            }
            StorageError::Internal(m) => {
                tracing::error!(error = %m, "storage error");
                ApiError::internal("internal storage error")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
pub type StorageResult<T> = Result<T, StorageError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_unique_violation() -> StorageError {
        let db = rusqlite::Connection::open_in_memory().expect("in-memory sqlite");
        db.execute_batch("CREATE TABLE secret_accounts (handle TEXT UNIQUE)")
            .expect("schema");
        db.execute("INSERT INTO secret_accounts VALUES ('a')", [])
            .expect("first insert");
        let e = db
            .execute("INSERT INTO secret_accounts VALUES ('a')", [])
            .expect_err("duplicate must fail");
        StorageError::from(e)
    }

    #[test]
    fn conflict_from_sqlite_does_not_reach_the_client() {
        let e = sqlite_unique_violation();
        // The storage error still carries the detail for the log...
        assert!(
            matches!(&e, StorageError::Conflict(m) if m.contains("secret_accounts")),
            "{e:?}"
        );
        // ...but the wire error does not.
        let api = ApiError::from(e);
        assert_eq!(api.code, ErrorCode::Conflict);
        assert!(!api.message.contains("secret_accounts"), "{}", api.message);
        assert!(!api.message.contains("UNIQUE"), "{}", api.message);
    }

    #[test]
    fn unavailable_detail_does_not_reach_the_client() {
        let api = ApiError::from(StorageError::Unavailable("database is locked".into()));
        assert_eq!(api.code, ErrorCode::Unavailable);
        assert!(!api.message.contains("locked"), "{}", api.message);
    }
}
