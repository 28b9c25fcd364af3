//! SQLite accounts.

use super::{optional, SqliteDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::accounts::{Account, AccountRepo, Tier};
use rusqlite::{params, Row};

pub const MIGRATIONS: &[&str] = &["CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        tier TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    )"];

pub struct SqliteAccounts(pub SqliteDb);

const COLS: &str = "id, username, display_name, password_hash, tier, created_at_ms";

fn row_to_account(r: &Row) -> rusqlite::Result<Account> {
    let tier: String = r.get(4)?;
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        password_hash: r.get(3)?,
        tier: Tier::parse(&tier).unwrap_or(Tier::Free),
        created_at_ms: r.get(5)?,
    })
}

fn insert(c: &rusqlite::Connection, a: &Account, or_ignore: bool) -> rusqlite::Result<usize> {
    let verb = if or_ignore {
        "INSERT OR IGNORE"
    } else {
        "INSERT"
    };
    c.execute(
        &format!("{verb} INTO accounts ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            a.id,
            a.username.to_lowercase(),
            a.display_name,
            a.password_hash,
            a.tier.as_str(),
            a.created_at_ms
        ],
    )
}

#[async_trait::async_trait]
impl AccountRepo for SqliteAccounts {
    async fn create(&self, account: Account) -> StorageResult<()> {
        self.0
            .write(move |c| match insert(c, &account, false) {
                Ok(_) => Ok(()),
                Err(e) => match StorageError::from(e) {
                    StorageError::Conflict(_) => {
                        Err(StorageError::Conflict("username is taken".into()))
                    }
                    other => Err(other),
                },
            })
            .await
    }

    async fn create_many(&self, accounts: Vec<Account>) -> StorageResult<usize> {
        self.0
            .write(move |c| {
                let mut n = 0;
                for a in &accounts {
                    n += insert(c, a, true)?;
                }
                Ok(n)
            })
            .await
    }

    async fn by_username(&self, username: &str) -> StorageResult<Option<Account>> {
        let u = username.to_lowercase();
        self.0
            .read(move |c| {
                optional(c.query_row(
                    &format!("SELECT {COLS} FROM accounts WHERE username = ?1"),
                    [u],
                    row_to_account,
                ))
            })
            .await
    }

    async fn by_id(&self, id: &str) -> StorageResult<Option<Account>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                optional(c.query_row(
                    &format!("SELECT {COLS} FROM accounts WHERE id = ?1"),
                    [id],
                    row_to_account,
                ))
            })
            .await
    }

    async fn by_ids(&self, ids: Vec<String>) -> StorageResult<Vec<Account>> {
        self.0
            .read(move |c| {
                let mut stmt =
                    c.prepare_cached(&format!("SELECT {COLS} FROM accounts WHERE id = ?1"))?;
                let mut out = Vec::new();
                for id in ids {
                    if let Some(a) = optional(stmt.query_row([id], row_to_account))? {
                        out.push(a);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn set_tier(&self, username: &str, tier: Tier) -> StorageResult<()> {
        let u = username.to_lowercase();
        self.0
            .write(move |c| {
                let n = c.execute(
                    "UPDATE accounts SET tier = ?1 WHERE username = ?2",
                    params![tier.as_str(), u],
                )?;
                if n == 0 {
                    Err(StorageError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn count(&self) -> StorageResult<u64> {
        self.0
            .read(|c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))?
                        as u64,
                )
            })
            .await
    }

    async fn delete(&self, id: &str) -> StorageResult<bool> {
        let id = id.to_string();
        self.0
            .write(move |c| Ok(c.execute("DELETE FROM accounts WHERE id = ?1", [id])? > 0))
            .await
    }
}
