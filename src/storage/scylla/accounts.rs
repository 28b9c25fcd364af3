//! CQL accounts: `accounts` by id, `usernames` as the LWT-guarded uniqueness claim, and an
//! exact account counter.

use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::accounts::{Account, AccountRepo, Tier};
use futures_util::{StreamExt, TryStreamExt};
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::{Counter, CqlValue};

/// How many lookups or claims run at once for the bulk calls.
const PARALLEL: usize = 32;

pub struct ScyllaAccounts {
    db: ScyllaDb,
    claim: Prepared,
    read_claim: Prepared,
    read_claim_serial: Prepared,
    insert: Prepared,
    by_id: Prepared,
    set_tier: Prepared,
    count_incr: Prepared,
    count: Prepared,
    delete: Prepared,
    release_claim: Prepared,
}

type AccountRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl ScyllaAccounts {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaAccounts> {
        let mut read_claim_serial = db
            .prepare("SELECT account_id FROM usernames WHERE username = ?", true)
            .await?;
        // Reading at SERIAL sees the outcome of any in-flight LWT on the row (used to settle an
        // LWT whose result was lost: re-read, never blindly retry).
        read_claim_serial.set_consistency(Consistency::Serial);
        read_claim_serial.set_serial_consistency(Some(SerialConsistency::Serial));
        Ok(ScyllaAccounts {
            claim: db
                .prepare(
                    "INSERT INTO usernames (username, account_id) VALUES (?, ?) IF NOT EXISTS",
                    false,
                )
                .await?,
            read_claim: db
                .prepare("SELECT account_id FROM usernames WHERE username = ?", true)
                .await?,
            read_claim_serial,
            insert: db
                .prepare(
                    "INSERT INTO accounts (id, username, display_name, password_hash, tier, \
                     created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    true,
                )
                .await?,
            by_id: db
                .prepare(
                    "SELECT id, username, display_name, password_hash, tier, created_at_ms \
                     FROM accounts WHERE id = ?",
                    true,
                )
                .await?,
            set_tier: db
                .prepare("UPDATE accounts SET tier = ? WHERE id = ?", true)
                .await?,
            count_incr: db
                .prepare(
                    "UPDATE entity_counts SET n = n + ? WHERE kind = 'accounts'",
                    false,
                )
                .await?,
            count: db
                .prepare("SELECT n FROM entity_counts WHERE kind = 'accounts'", true)
                .await?,
            delete: db
                .prepare("DELETE FROM accounts WHERE id = ?", true)
                .await?,
            // LWT like the claim (the row is only ever written by LWTs), and conditional: a
            // name already taken by a newer account is not released.
            release_claim: db
                .prepare(
                    "DELETE FROM usernames WHERE username = ? IF account_id = ?",
                    false,
                )
                .await?,
            db,
        })
    }

    /// Claims the username for the account. `Ok(true)`: newly claimed; `Ok(false)`: it was
    /// already claimed by this same account (a retry after a lost reply); `Conflict` otherwise.
    async fn claim(&self, username: &str, id: &str) -> StorageResult<bool> {
        match self.db.execute(&self.claim, (username, id)).await {
            Ok(result) => {
                let (applied, row) = lwt_outcome(result)?;
                if applied {
                    return Ok(true);
                }
                // Not applied: the row carries the current claim.
                let holder = match row.get("account_id") {
                    Some(CqlValue::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                if holder.as_deref() == Some(id) {
                    Ok(false)
                } else {
                    Err(StorageError::Conflict("username is taken".into()))
                }
            }
            Err(StorageError::Unavailable(why)) => {
                // Outcome unknown: read the claim at SERIAL to learn what happened.
                let err = StorageError::Unavailable(why);
                match self
                    .read_claim_with(&self.read_claim_serial, username)
                    .await
                {
                    Ok(Some(h)) if h == id => Ok(true),
                    Ok(Some(_)) => Err(StorageError::Conflict("username is taken".into())),
                    Ok(None) | Err(_) => Err(err),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn read_claim_with(
        &self,
        stmt: &Prepared,
        username: &str,
    ) -> StorageResult<Option<String>> {
        let rows = self
            .db
            .execute(stmt, (username,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(Option<String>,)>()
            .map_err(internal)?
            .and_then(|(id,)| id))
    }

    async fn create_one(&self, account: Account) -> StorageResult<bool> {
        let username = account.username.to_lowercase();
        let fresh = self.claim(&username, &account.id).await?;
        self.db
            .execute(
                &self.insert,
                (
                    &account.id,
                    &username,
                    &account.display_name,
                    &account.password_hash,
                    account.tier.as_str(),
                    account.created_at_ms,
                ),
            )
            .await?;
        if fresh {
            self.db.execute(&self.count_incr, (Counter(1),)).await?;
        }
        Ok(fresh)
    }
}

fn to_account(r: AccountRow) -> Account {
    Account {
        id: r.0,
        username: r.1.unwrap_or_default(),
        display_name: r.2.unwrap_or_default(),
        password_hash: r.3.unwrap_or_default(),
        tier: r.4.as_deref().and_then(Tier::parse).unwrap_or(Tier::Free),
        created_at_ms: r.5.unwrap_or_default(),
    }
}

#[async_trait::async_trait]
impl AccountRepo for ScyllaAccounts {
    async fn create(&self, account: Account) -> StorageResult<()> {
        // `false` means this same account already holds the name (an earlier attempt whose
        // reply was lost got through): that is success too.
        self.create_one(account).await.map(|_| ())
    }

    async fn create_many(&self, accounts: Vec<Account>) -> StorageResult<usize> {
        let results: Vec<StorageResult<bool>> = futures_util::stream::iter(accounts)
            .map(|a| self.create_one(a))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut created = 0;
        for r in results {
            match r {
                Ok(true) => created += 1,
                Ok(false) | Err(StorageError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }

    async fn by_username(&self, username: &str) -> StorageResult<Option<Account>> {
        let u = username.to_lowercase();
        let Some(id) = self.read_claim_with(&self.read_claim, &u).await? else {
            return Ok(None);
        };
        // A claim whose account row was never written (creation failed half-way) is no account.
        Ok(self.by_id(&id).await?.filter(|a| a.username == u))
    }

    async fn by_id(&self, id: &str) -> StorageResult<Option<Account>> {
        let rows = self
            .db
            .execute(&self.by_id, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<AccountRow>()
            .map_err(internal)?
            .map(to_account))
    }

    async fn by_ids(&self, ids: Vec<String>) -> StorageResult<Vec<Account>> {
        let found: Vec<Option<Account>> = futures_util::stream::iter(ids)
            .map(|id| async move { self.by_id(&id).await })
            .buffered(PARALLEL)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn set_tier(&self, username: &str, tier: Tier) -> StorageResult<()> {
        let account = self
            .by_username(username)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.db
            .execute(&self.set_tier, (tier.as_str(), &account.id))
            .await?;
        Ok(())
    }

    async fn count(&self) -> StorageResult<u64> {
        let rows = self
            .db
            .execute(&self.count, ())
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(Option<Counter>,)>()
            .map_err(internal)?
            .and_then(|(c,)| c)
            .map_or(0, |c| c.0.max(0) as u64))
    }

    async fn delete(&self, id: &str) -> StorageResult<bool> {
        let Some(account) = self.by_id(id).await? else {
            return Ok(false);
        };
        // The account row first: once it is gone, tokens are refused even if the rest fails
        // (a retried deletion then finds no row and the username stays claimed, which only
        // keeps the name from being reused; never the other way round).
        self.db.execute(&self.delete, (id,)).await?;
        let username = account.username.to_lowercase();
        match self.db.execute(&self.release_claim, (&username, id)).await {
            Ok(result) => {
                lwt_outcome(result)?;
            }
            Err(e) => tracing::warn!(error = %e, "username of a deleted account not released"),
        }
        self.db.execute(&self.count_incr, (Counter(-1),)).await?;
        Ok(true)
    }
}
