//! CQL per-account settings: one row per user in `user_settings` (schema version 5).

use super::{internal, Prepared, ScyllaDb};
use crate::error::StorageResult;
use crate::storage::settings::{SettingsRepo, StreamingQuality, UserSettings};

pub struct ScyllaSettings {
    db: ScyllaDb,
    get: Prepared,
    set: Prepared,
    delete: Prepared,
}

impl ScyllaSettings {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaSettings> {
        Ok(ScyllaSettings {
            get: db
                .prepare(
                    "SELECT streaming_quality FROM user_settings WHERE user_id = ?",
                    true,
                )
                .await?,
            set: db
                .prepare(
                    "INSERT INTO user_settings (user_id, streaming_quality) VALUES (?, ?)",
                    true,
                )
                .await?,
            delete: db
                .prepare("DELETE FROM user_settings WHERE user_id = ?", true)
                .await?,
            db,
        })
    }
}

#[async_trait::async_trait]
impl SettingsRepo for ScyllaSettings {
    async fn get(&self, user_id: &str) -> StorageResult<UserSettings> {
        let rows = self
            .db
            .execute(&self.get, (user_id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let q = rows
            .maybe_first_row::<(Option<String>,)>()
            .map_err(internal)?
            .and_then(|(q,)| q);
        Ok(UserSettings {
            streaming_quality: q
                .as_deref()
                .and_then(StreamingQuality::parse)
                .unwrap_or_default(),
        })
    }

    async fn set(&self, user_id: &str, settings: UserSettings) -> StorageResult<()> {
        self.db
            .execute(&self.set, (user_id, settings.streaming_quality.as_str()))
            .await?;
        Ok(())
    }

    async fn delete(&self, user_id: &str) -> StorageResult<()> {
        self.db.execute(&self.delete, (user_id,)).await?;
        Ok(())
    }
}
