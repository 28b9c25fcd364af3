//! SQLite per-account settings.

use super::{optional, SqliteDb};
use crate::error::StorageResult;
use crate::storage::settings::{SettingsRepo, StreamingQuality, UserSettings};
use rusqlite::params;

pub const MIGRATIONS: &[&str] = &["CREATE TABLE user_settings (
        user_id TEXT PRIMARY KEY,
        streaming_quality TEXT NOT NULL
    ) WITHOUT ROWID"];

pub struct SqliteSettings(pub SqliteDb);

#[async_trait::async_trait]
impl SettingsRepo for SqliteSettings {
    async fn get(&self, user_id: &str) -> StorageResult<UserSettings> {
        let id = user_id.to_string();
        let q: Option<String> = self
            .0
            .read(move |c| {
                optional(c.query_row(
                    "SELECT streaming_quality FROM user_settings WHERE user_id = ?1",
                    [id],
                    |r| r.get(0),
                ))
            })
            .await?;
        Ok(UserSettings {
            streaming_quality: q
                .as_deref()
                .and_then(StreamingQuality::parse)
                .unwrap_or_default(),
        })
    }

    async fn set(&self, user_id: &str, settings: UserSettings) -> StorageResult<()> {
        let id = user_id.to_string();
        self.0
            .write(move |c| {
                c.execute(
                    "INSERT INTO user_settings (user_id, streaming_quality) VALUES (?1, ?2)
                     ON CONFLICT(user_id) DO UPDATE SET streaming_quality = excluded.streaming_quality",
                    params![id, settings.streaming_quality.as_str()],
                )?;
                Ok(())
            })
            .await
    }

    async fn delete(&self, user_id: &str) -> StorageResult<()> {
        let id = user_id.to_string();
        self.0
            .write(move |c| {
                c.execute("DELETE FROM user_settings WHERE user_id = ?1", [id])?;
                Ok(())
            })
            .await
    }
}
