//! Erasure of one user's personal data when their account is deleted (`DELETE /v1/me`): the
//! library, play history and per-user stream counts, the stored player and the devices. What is
//! kept and why is in docs/auth.md ("Deleting an account"). Playlists and group sessions go
//! through their actors instead (see `crate::account_delete`).

use crate::error::StorageResult;

#[async_trait::async_trait]
pub trait ErasureRepo: Send + Sync {
    /// Removes every library item, play event, per-user stream count, the stored player and
    /// every device of the user. Idempotent: erasing twice (a retried deletion) is fine.
    /// Anonymous aggregates (a track's total stream count) are kept.
    async fn erase_user_data(&self, user_id: &str) -> StorageResult<()>;
}
