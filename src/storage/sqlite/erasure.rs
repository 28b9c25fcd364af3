//! SQLite erasure of a deleted account's personal data, in one transaction.

use super::SqliteDb;
use crate::error::StorageResult;
use crate::storage::erasure::ErasureRepo;

pub struct SqliteErasure(pub SqliteDb);

/// Every table keyed by a user's id that holds that user's personal data. `track_streams`
/// (anonymous totals per track) is deliberately not here.
const USER_TABLES: &[&str] = &[
    "library",
    "plays",
    "user_track_streams",
    "players",
    "devices",
    "user_settings",
];

#[async_trait::async_trait]
impl ErasureRepo for SqliteErasure {
    async fn erase_user_data(&self, user_id: &str) -> StorageResult<()> {
        let user_id = user_id.to_string();
        self.0
            .write(move |c| {
                for table in USER_TABLES {
                    c.execute(
                        &format!("DELETE FROM {table} WHERE user_id = ?1"),
                        [&user_id],
                    )?;
                }
                Ok(())
            })
            .await
    }
}
