//! Audio delivery: signed, expiring CDN URLs, and the local origin that serves them on one
//! machine.

use crate::config::Config;
use crate::error::ApiResult;
use crate::storage::{Tier, Track};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `player_state.stream` and the body of `GET /v1/tracks/{id}/stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub url: String,
    pub expires_at_ms: i64,
    pub bitrate_kbps: u32,
    pub format: String,
    pub fallback_urls: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    Low,
    Normal,
    High,
}

/// Signs stream URLs (and verifies them for the local origin).
pub struct Cdn {}

impl Cdn {
    pub fn new(_config: &Config, _listen_addr: SocketAddr) -> anyhow::Result<Cdn> {
        Ok(Cdn {})
    }

    /// A signed URL for `track` at the best quality not above `quality` that `tier` allows.
    /// `Ok(None)` when the track has no audio.
    pub fn stream_for(
        &self,
        _user_id: &str,
        _tier: Tier,
        _track: &Track,
        _quality: Quality,
        _now_ms: i64,
    ) -> ApiResult<Option<StreamInfo>> {
        Ok(None)
    }
}
