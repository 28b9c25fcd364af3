//! ScyllaDB / Cassandra backend: connects with the `scylla` driver (token-aware load balancing,
//! configured consistency, prepared statements), creates the keyspace, applies the schema
//! versions idempotently and builds the CQL repositories. The reference schema is `schema.cql`.

mod accounts;
mod catalog;
mod catalog_write;
mod history;
mod library;
mod players;
mod playlists;
mod playlists_members;
mod sessions;

pub use accounts::ScyllaAccounts;
pub use catalog::ScyllaCatalog;
pub use history::{month_of, ScyllaHistory};
pub use library::ScyllaLibrary;
pub use players::ScyllaPlayers;
pub use playlists::ScyllaPlaylists;
pub use sessions::ScyllaSessions;

use crate::config::StorageConfig;
use crate::error::{StorageError, StorageResult};
use crate::storage::HealthCheck;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::pager::{NextPageError, NextRowError};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{DbError, ExecutionError, PagerExecutionError, RequestAttemptError};
use scylla::policies::timestamp_generator::MonotonicTimestampGenerator;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::{CqlValue, Row};
use std::sync::Arc;
use std::time::Duration;

/// The reference schema; it is also schema version 1.
pub const SCHEMA: &str = include_str!("schema.cql");

/// Schema version 2: the tables of the session, library and history repositories.
pub const SCHEMA_V2: &str = include_str!("schema_v2.cql");

/// Schema versions in order: `(version, CQL)`. Append new versions (ALTER/CREATE ... IF NOT
/// EXISTS statements) at the end; never edit one that has been released.
/// Schema version 3: the tables of the playlist repository.
pub const SCHEMA_V3: &str = include_str!("schema_v3.cql");

pub const SCHEMA_VERSIONS: &[(i32, &str)] = &[(1, SCHEMA), (2, SCHEMA_V2), (3, SCHEMA_V3)];

/// Every CQL repository, sharing one connected session.
pub struct ScyllaRepos {
    pub db: ScyllaDb,
    pub accounts: Arc<ScyllaAccounts>,
    pub catalog: Arc<ScyllaCatalog>,
    pub players: Arc<ScyllaPlayers>,
    pub sessions: Arc<ScyllaSessions>,
    pub library: Arc<ScyllaLibrary>,
    pub history: Arc<ScyllaHistory>,
    pub playlists: Arc<ScyllaPlaylists>,
}

impl ScyllaRepos {
    /// Every repository behind its trait, for `storage::open`.
    pub fn storage(&self) -> crate::storage::Storage {
        crate::storage::Storage {
            accounts: self.accounts.clone(),
            catalog: self.catalog.clone(),
            players: self.players.clone(),
            playlists: self.playlists.clone(),
            sessions: self.sessions.clone(),
            library: self.library.clone(),
            history: self.history.clone(),
            health: Arc::new(self.db.clone()),
        }
    }
}

/// A connected session bound to Segue's keyspace. Cheap to clone.
#[derive(Clone)]
pub struct ScyllaDb {
    pub(crate) session: Arc<Session>,
    keyspace: String,
}

impl ScyllaDb {
    /// Connects to `storage.scylla_nodes`, creates the keyspace when missing and applies the
    /// schema versions not applied yet. An unreachable cluster is an error naming the nodes.
    pub async fn connect(config: &StorageConfig) -> anyhow::Result<ScyllaDb> {
        let keyspace = config.scylla_keyspace.clone();
        if keyspace.is_empty()
            || keyspace.len() > 48
            || !keyspace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            anyhow::bail!(
                "`storage.scylla_keyspace`: `{keyspace}` is not a valid keyspace name \
                 (1-48 letters, digits or _)"
            );
        }
        if config.scylla_nodes.is_empty() {
            anyhow::bail!("`storage.scylla_nodes`: at least one HOST:PORT is needed");
        }
        let timeout = Duration::from_millis(config.scylla_request_timeout_ms.max(1));
        let profile = ExecutionProfile::builder()
            .consistency(consistency(&config.scylla_consistency))
            .serial_consistency(Some(serial_consistency(&config.scylla_consistency)))
            .request_timeout(Some(timeout))
            .build();
        let nodes = config.scylla_nodes.join(", ");
        // The default load balancing policy is token-aware (and shard-aware on ScyllaDB).
        let session = SessionBuilder::new()
            .known_nodes(&config.scylla_nodes)
            .connection_timeout(Duration::from_secs(5))
            // Client-side, monotonic write timestamps: a delete followed by a re-insert of the
            // same row from this process is ordered whichever coordinator serves each.
            .timestamp_generator(Arc::new(MonotonicTimestampGenerator::new()))
            .default_execution_profile_handle(profile.into_handle())
            .build()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the CQL cluster at {nodes}: {e}"))?;
        let replication = match config.scylla_replication_class.as_str() {
            "SimpleStrategy" | "NetworkTopologyStrategy" => format!(
                "{{'class': '{}', 'replication_factor': {}}}",
                config.scylla_replication_class, config.scylla_replication_factor
            ),
            other => anyhow::bail!(
                "`storage.scylla_replication_class`: `{other}` must be SimpleStrategy or \
                 NetworkTopologyStrategy"
            ),
        };
        session
            .query_unpaged(
                format!(
                    "CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication}"
                ),
                &[],
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating keyspace `{keyspace}` at {nodes}: {e}"))?;
        session
            .use_keyspace(&keyspace, false)
            .await
            .map_err(|e| anyhow::anyhow!("using keyspace `{keyspace}` at {nodes}: {e}"))?;
        let db = ScyllaDb {
            session: Arc::new(session),
            keyspace,
        };
        db.migrate()
            .await
            .map_err(|e| anyhow::anyhow!("applying the CQL schema at {nodes}: {e}"))?;
        Ok(db)
    }

    pub fn keyspace(&self) -> &str {
        &self.keyspace
    }

    /// The driver session (for tools and tests that need raw CQL).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Applies every schema version that `schema_version` does not list yet. Each statement is
    /// `IF NOT EXISTS`, so a run interrupted half-way simply runs again.
    async fn migrate(&self) -> anyhow::Result<()> {
        let s = &self.session;
        // schema_version is the first statement of version 1; make sure it exists before
        // asking it anything.
        if let Some(first) = statements(SCHEMA).into_iter().next() {
            s.query_unpaged(first, &[]).await?;
        }
        let applied: Vec<i32> = s
            .query_unpaged(
                "SELECT version FROM schema_version WHERE domain = 'segue'",
                &[],
            )
            .await?
            .into_rows_result()?
            .rows::<(i32,)>()?
            .map(|r| r.map(|(v,)| v))
            .collect::<Result<_, _>>()?;
        for (version, cql) in SCHEMA_VERSIONS {
            if applied.contains(version) {
                continue;
            }
            for stmt in statements(cql) {
                s.query_unpaged(stmt, &[]).await?;
            }
            s.await_schema_agreement().await?;
            s.query_unpaged(
                "INSERT INTO schema_version (domain, version, applied_at_ms) VALUES ('segue', ?, ?)",
                (*version, now_ms()),
            )
            .await?;
            tracing::info!(keyspace = %self.keyspace, version, "CQL schema version applied");
        }
        Ok(())
    }

    /// Prepares a statement once; `idempotent` marks it safe for the driver to retry on
    /// timeouts (plain reads and upserts: yes; LWTs and counter updates: never).
    pub(crate) async fn prepare(&self, cql: &str, idempotent: bool) -> StorageResult<Prepared> {
        let mut p = self
            .session
            .prepare(cql)
            .await
            .map_err(|e| StorageError::Internal(format!("preparing `{cql}`: {e}")))?;
        p.set_is_idempotent(idempotent);
        Ok(p)
    }

    /// Connects and builds every CQL repository that exists.
    pub async fn open_repos(config: &StorageConfig) -> anyhow::Result<ScyllaRepos> {
        let db = ScyllaDb::connect(config).await?;
        Ok(ScyllaRepos {
            accounts: Arc::new(ScyllaAccounts::new(db.clone()).await?),
            catalog: Arc::new(ScyllaCatalog::new(db.clone()).await?),
            players: Arc::new(ScyllaPlayers::new(db.clone()).await?),
            sessions: Arc::new(ScyllaSessions::new(db.clone()).await?),
            library: Arc::new(ScyllaLibrary::new(db.clone()).await?),
            history: Arc::new(ScyllaHistory::new(db.clone()).await?),
            playlists: Arc::new(ScyllaPlaylists::new(db.clone()).await?),
            db,
        })
    }
}

pub(crate) type Prepared = PreparedStatement;

#[async_trait::async_trait]
impl HealthCheck for ScyllaDb {
    async fn ping(&self) -> StorageResult<()> {
        self.session
            .query_unpaged("SELECT release_version FROM system.local", &[])
            .await
            .map_err(exec_err)?;
        Ok(())
    }
}

/// Splits a CQL script into statements: drops `--` comments, splits on `;`.
pub fn statements(script: &str) -> Vec<String> {
    let without_comments: String = script
        .lines()
        .map(|l| match l.find("--") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn consistency(name: &str) -> Consistency {
    match name {
        "one" => Consistency::One,
        "local_one" => Consistency::LocalOne,
        "quorum" => Consistency::Quorum,
        "all" => Consistency::All,
        _ => Consistency::LocalQuorum,
    }
}

/// LWTs use the serial level that matches the configured scope (local DC or whole cluster).
fn serial_consistency(name: &str) -> SerialConsistency {
    match name {
        "quorum" | "all" => SerialConsistency::Serial,
        _ => SerialConsistency::LocalSerial,
    }
}

pub(crate) fn now_ms() -> i64 {
    use crate::clock::Clock;
    crate::clock::SystemClock.now_ms()
}

/// Maps a driver error: anything that means "the cluster could not answer (in time)" becomes
/// `Unavailable` (the write may or may not have happened); the rest is `Internal`.
pub(crate) fn exec_err(e: ExecutionError) -> StorageError {
    let transient = match &e {
        ExecutionError::ConnectionPoolError(_)
        | ExecutionError::RequestTimeout(_)
        | ExecutionError::EmptyPlan => true,
        ExecutionError::LastAttemptError(a) => match a {
            RequestAttemptError::BrokenConnectionError(_)
            | RequestAttemptError::UnableToAllocStreamId => true,
            RequestAttemptError::DbError(db, _) => matches!(
                db,
                DbError::Unavailable { .. }
                    | DbError::Overloaded
                    | DbError::IsBootstrapping
                    | DbError::ReadTimeout { .. }
                    | DbError::WriteTimeout { .. }
                    | DbError::ReadFailure { .. }
                    | DbError::WriteFailure { .. }
                    | DbError::TruncateError
            ),
            _ => false,
        },
        _ => false,
    };
    if transient {
        StorageError::Unavailable(e.to_string())
    } else {
        StorageError::Internal(e.to_string())
    }
}

/// Paged reads: a failed page request is mapped like any request; the rest is internal.
pub(crate) fn pager_err(e: PagerExecutionError) -> StorageError {
    match e {
        PagerExecutionError::NextPageError(p) => page_err(p),
        other => internal(other),
    }
}

pub(crate) fn row_err(e: NextRowError) -> StorageError {
    match e {
        NextRowError::NextPageError(p) => page_err(p),
        other => internal(other),
    }
}

fn page_err(e: NextPageError) -> StorageError {
    match e {
        NextPageError::RequestFailure(r) => exec_err(r.into_execution_error()),
        other => internal(other),
    }
}

/// Any other driver-side failure (decoding rows, paging): the data or the code is wrong.
pub(crate) fn internal(e: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("cql: {e}"))
}

/// The current values a lightweight transaction returned, by column name.
pub(crate) struct LwtRow(Vec<(String, Option<CqlValue>)>);

impl LwtRow {
    pub(crate) fn get(&self, column: &str) -> Option<&CqlValue> {
        self.0
            .iter()
            .find(|(name, _)| name == column)
            .and_then(|(_, v)| v.as_ref())
    }
}

/// Whether a lightweight transaction was applied: the first column of its single result row
/// is `[applied]`. When it was not, the row also carries the current values of the row (or
/// of the conditioned columns), which callers read by name.
pub(crate) fn lwt_outcome(result: QueryResult) -> StorageResult<(bool, LwtRow)> {
    let rows = result.into_rows_result().map_err(internal)?;
    let names: Vec<String> = rows
        .column_specs()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let row: Row = rows.first_row::<Row>().map_err(internal)?;
    let applied = match row.columns.first() {
        Some(Some(CqlValue::Boolean(applied))) => *applied,
        other => {
            return Err(internal(format!(
                "LWT result without [applied] column: {other:?}"
            )))
        }
    };
    Ok((
        applied,
        LwtRow(names.into_iter().zip(row.columns).collect()),
    ))
}

/// A stable bucket for an id (FNV-1a, 32 bits) so bucketed tables spread ids evenly and every
/// node computes the same bucket.
pub fn bucket_of(id: &str, buckets: u32) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.as_bytes() {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % buckets) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_splits_into_create_statements_without_filtering() {
        let stmts = statements(SCHEMA);
        assert!(stmts.len() > 30, "{}", stmts.len());
        assert!(stmts[0].starts_with("CREATE TABLE IF NOT EXISTS schema_version"));
        for s in stmts
            .iter()
            .chain(&statements(SCHEMA_V2))
            .chain(&statements(SCHEMA_V3))
        {
            assert!(s.starts_with("CREATE TABLE IF NOT EXISTS "), "{s}");
            assert!(!s.to_uppercase().contains("ALLOW FILTERING"), "{s}");
        }
    }

    #[test]
    fn buckets_are_stable_and_in_range() {
        assert_eq!(bucket_of("abc", 32), bucket_of("abc", 32));
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            let b = bucket_of(&format!("track-{i}"), 32);
            assert!((0..32).contains(&b));
            seen.insert(b);
        }
        assert_eq!(seen.len(), 32, "1000 ids reach every bucket");
    }
}
