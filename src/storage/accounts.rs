//! Accounts: users, their password hashes and tiers.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Free,
    Premium,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Premium => "premium",
        }
    }
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "free" => Some(Tier::Free),
            "premium" => Some(Tier::Premium),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    /// Unique, compared case-insensitively (stored lower-cased).
    pub username: String,
    pub display_name: String,
    /// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; empty for accounts that cannot log in
    /// with a password (bulk load-test accounts get tokens minted by the admin command).
    pub password_hash: String,
    pub tier: Tier,
    pub created_at_ms: i64,
}

#[async_trait::async_trait]
pub trait AccountRepo: Send + Sync {
    /// Fails with `Conflict` when the username is taken.
    async fn create(&self, account: Account) -> StorageResult<()>;
    /// Creates many at once (admin bulk creation); usernames already taken are skipped.
    async fn create_many(&self, accounts: Vec<Account>) -> StorageResult<usize>;
    async fn by_username(&self, username: &str) -> StorageResult<Option<Account>>;
    async fn by_id(&self, id: &str) -> StorageResult<Option<Account>>;
    async fn by_ids(&self, ids: Vec<String>) -> StorageResult<Vec<Account>>;
    /// Fails with `NotFound` when there is no such user.
    async fn set_tier(&self, username: &str, tier: Tier) -> StorageResult<()>;
    async fn count(&self) -> StorageResult<u64>;
    /// Deletes the account and frees its username (a new account may take it, under a new id).
    /// `Ok(false)` when there was no such account.
    async fn delete(&self, id: &str) -> StorageResult<bool>;
}
