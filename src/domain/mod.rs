//! Domain: pure state machines (no I/O, time passed in). Actors are thin shells around them.

pub mod offline;
pub mod player;
pub mod playlist;
pub mod playlist_labels;
pub mod playlist_model;
pub mod playlist_ops;
pub mod queue;
pub mod recommendations;
pub mod session;
pub mod shuffle;
pub mod text;

#[cfg(test)]
mod props;

use crate::error::{ApiError, ErrorCode};

/// Why a domain command was refused. Maps one-to-one onto wire error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("stale expected_version {expected}: the player is at version {current}")]
    Conflict { expected: u64, current: u64 },
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = match &e {
            DomainError::BadRequest(_) => ErrorCode::BadRequest,
            DomainError::NotFound(_) => ErrorCode::NotFound,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::Conflict { .. } => ErrorCode::Conflict,
        };
        ApiError::new(code, e.to_string())
    }
}
