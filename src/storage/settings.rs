//! Per-account settings: the streaming quality a user asked for (`GET|PATCH /v1/me/settings`).

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

/// The quality a user wants; signing picks the best variant their tier allows within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamingQuality {
    Low,
    Normal,
    High,
    /// The best the tier allows (the default).
    #[default]
    Auto,
}

impl StreamingQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamingQuality::Low => "low",
            StreamingQuality::Normal => "normal",
            StreamingQuality::High => "high",
            StreamingQuality::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Option<StreamingQuality> {
        match s {
            "low" => Some(StreamingQuality::Low),
            "normal" => Some(StreamingQuality::Normal),
            "high" => Some(StreamingQuality::High),
            "auto" => Some(StreamingQuality::Auto),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserSettings {
    pub streaming_quality: StreamingQuality,
}

#[async_trait::async_trait]
pub trait SettingsRepo: Send + Sync {
    /// The user's settings; the defaults when none were ever stored.
    async fn get(&self, user_id: &str) -> StorageResult<UserSettings>;
    /// Replaces the user's settings.
    async fn set(&self, user_id: &str, settings: UserSettings) -> StorageResult<()>;
    /// Forgets the user's settings (account deletion); idempotent.
    async fn delete(&self, user_id: &str) -> StorageResult<()>;
}
