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
use scylla::deserialize::row::DeserializeRow;
use scylla::errors::{DbError, ExecutionError, PagerExecutionError, RequestAttemptError};
use scylla::policies::timestamp_generator::MonotonicTimestampGenerator;
use scylla::response::query_result::QueryResult;
use scylla::serialize::row::SerializeRow;
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
///
/// Every repository statement goes through [`ScyllaDb::execute`] or [`ScyllaDb::read_all`]:
/// idempotent statements are retried on transient faults with a bounded exponential backoff
/// ([`RetryPolicy`]); lightweight transactions and counter updates are tried once, and the LWT
/// callers settle an unknown outcome by re-reading the row at `SERIAL`.
#[derive(Clone)]
pub struct ScyllaDb {
    pub(crate) session: Arc<Session>,
    keyspace: String,
    retry: RetryPolicy,
}

/// What a failed request tells about the statement it carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// It never reached a replica (no connection to any node, the coordinator reported too few
    /// live replicas, overload, bootstrapping): nothing was written.
    NotApplied,
    /// It may or may not have been applied: a timeout (client or server side), a connection
    /// broken after the request was sent, a replica write failure, an unknown CAS outcome.
    Unknown,
    /// Anything else (a bad statement, a decoding error): trying again would not help.
    Permanent,
}

impl Fault {
    /// A fault that the cluster coming back (or a later attempt) may cure.
    pub fn is_transient(self) -> bool {
        !matches!(self, Fault::Permanent)
    }
}

/// Classifies a driver error (see [`Fault`]).
pub fn classify(e: &ExecutionError) -> Fault {
    match e {
        ExecutionError::ConnectionPoolError(_) | ExecutionError::EmptyPlan => Fault::NotApplied,
        ExecutionError::RequestTimeout(_) => Fault::Unknown,
        ExecutionError::LastAttemptError(a) => match a {
            RequestAttemptError::UnableToAllocStreamId => Fault::NotApplied,
            RequestAttemptError::BrokenConnectionError(_) => Fault::Unknown,
            RequestAttemptError::DbError(db, _) => match db {
                DbError::Unavailable { .. } | DbError::Overloaded | DbError::IsBootstrapping => {
                    Fault::NotApplied
                }
                DbError::ReadTimeout { .. }
                | DbError::WriteTimeout { .. }
                | DbError::ReadFailure { .. }
                | DbError::WriteFailure { .. }
                | DbError::TruncateError
                // CAS_WRITE_UNKNOWN (protocol v5): the LWT's outcome is unknown.
                | DbError::Other(0x1700) => Fault::Unknown,
                _ => Fault::Permanent,
            },
            _ => Fault::Permanent,
        },
        _ => Fault::Permanent,
    }
}

/// The bounded retry of idempotent statements (`storage.scylla_retry_attempts`,
/// `storage.scylla_retry_base_ms`, `storage.scylla_retry_max_ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub attempts: u32,
    /// The pause before the first retry; it doubles for each further retry...
    pub base_backoff: Duration,
    /// ...up to this bound.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    pub fn from_config(config: &StorageConfig) -> RetryPolicy {
        RetryPolicy {
            attempts: config.scylla_retry_attempts.max(1),
            base_backoff: Duration::from_millis(config.scylla_retry_base_ms),
            max_backoff: Duration::from_millis(
                config.scylla_retry_max_ms.max(config.scylla_retry_base_ms),
            ),
        }
    }

    /// After attempt number `attempt` (1-based) failed with `fault`: how long to pause before
    /// the next attempt, or `None` to give up and report the error. Only idempotent statements
    /// are retried, only on transient faults, and at most `attempts` times in all. The pause is
    /// `base * 2^(attempt-1)`, capped at `max`, then spread by `jitter` (in `[0, 1)`) over
    /// `[cap/2, cap)` so that many clients do not retry in lock-step.
    pub fn delay(
        &self,
        attempt: u32,
        idempotent: bool,
        fault: Fault,
        jitter: f64,
    ) -> Option<Duration> {
        if !idempotent || !fault.is_transient() || attempt >= self.attempts {
            return None;
        }
        let step = self
            .base_backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.max_backoff);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(step.mul_f64(0.5 + 0.5 * jitter).min(self.max_backoff))
    }

    /// The longest an idempotent statement can spend in pauses between its attempts.
    pub fn worst_case_backoff(&self) -> Duration {
        (1..self.attempts)
            .map(|a| self.delay(a, true, Fault::Unknown, 1.0).unwrap_or_default())
            .sum()
    }
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
            retry: RetryPolicy::from_config(config),
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

    /// Runs a prepared statement (one page of results). Idempotent statements are retried on
    /// transient faults within the [`RetryPolicy`]; the rest are tried once. The error is
    /// mapped by [`exec_err`]: `Unavailable` means the write may or may not have happened.
    pub(crate) async fn execute(
        &self,
        stmt: &Prepared,
        values: impl SerializeRow,
    ) -> StorageResult<QueryResult> {
        let idempotent = stmt.get_is_idempotent();
        let mut attempt = 1;
        loop {
            match self.session.execute_unpaged(stmt, &values).await {
                Ok(result) => return Ok(result),
                Err(e) => {
                    let fault = classify(&e);
                    let Some(pause) = self.retry.delay(attempt, idempotent, fault, jitter()) else {
                        return Err(exec_err(e));
                    };
                    tracing::debug!(error = %e, attempt, ?pause, "CQL statement retried");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Every row of a paged read (bounded partitions only), decoded as `R`. A read is
    /// idempotent: a transient fault on any page restarts the whole read within the
    /// [`RetryPolicy`].
    pub(crate) async fn read_all<R>(
        &self,
        stmt: &Prepared,
        values: impl SerializeRow,
    ) -> StorageResult<Vec<R>>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        use futures_util::TryStreamExt;
        let mut attempt = 1;
        loop {
            let fault = match self.session.execute_iter(stmt.clone(), &values).await {
                Ok(pager) => {
                    match pager
                        .rows_stream::<R>()
                        .map_err(internal)?
                        .try_collect::<Vec<R>>()
                        .await
                    {
                        Ok(rows) => return Ok(rows),
                        Err(NextRowError::NextPageError(NextPageError::RequestFailure(r))) => {
                            r.into_execution_error()
                        }
                        Err(other) => return Err(internal(other)),
                    }
                }
                Err(PagerExecutionError::NextPageError(NextPageError::RequestFailure(r))) => {
                    r.into_execution_error()
                }
                Err(other) => return Err(internal(other)),
            };
            let Some(pause) = self.retry.delay(
                attempt,
                stmt.get_is_idempotent(),
                classify(&fault),
                jitter(),
            ) else {
                return Err(exec_err(fault));
            };
            tracing::debug!(error = %fault, attempt, ?pause, "CQL paged read retried");
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// Prepares a statement once; `idempotent` marks it safe to retry on transient faults
    /// (plain reads and upserts: yes; LWTs and counter updates: never).
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
    if classify(&e).is_transient() {
        StorageError::Unavailable(e.to_string())
    } else {
        StorageError::Internal(e.to_string())
    }
}

/// A number in `[0, 1)` for spreading retry pauses.
fn jitter() -> f64 {
    rand::random::<f64>()
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

    mod faults {
        use super::super::*;
        use scylla::errors::{
            BrokenConnectionErrorKind, ConnectionError, ConnectionPoolError, WriteType,
        };

        fn db(e: DbError) -> ExecutionError {
            ExecutionError::LastAttemptError(RequestAttemptError::DbError(e, "test".into()))
        }

        fn broken_connection() -> ExecutionError {
            let kind = BrokenConnectionErrorKind::KeepaliveTimeout([127, 0, 0, 1].into());
            ExecutionError::LastAttemptError(RequestAttemptError::BrokenConnectionError(
                kind.into(),
            ))
        }

        fn pool_down() -> ExecutionError {
            ExecutionError::ConnectionPoolError(ConnectionPoolError::Broken {
                last_connection_error: ConnectionError::ConnectTimeout,
            })
        }

        #[test]
        fn driver_errors_are_classified() {
            let unavailable = DbError::Unavailable {
                consistency: Consistency::LocalQuorum,
                required: 1,
                alive: 0,
            };
            let cas_timeout = DbError::WriteTimeout {
                consistency: Consistency::LocalSerial,
                received: 0,
                required: 1,
                write_type: WriteType::Cas,
            };
            let cases = [
                (pool_down(), Fault::NotApplied),
                (ExecutionError::EmptyPlan, Fault::NotApplied),
                (db(unavailable), Fault::NotApplied),
                (db(DbError::Overloaded), Fault::NotApplied),
                (db(DbError::IsBootstrapping), Fault::NotApplied),
                (
                    ExecutionError::RequestTimeout(Duration::from_secs(5)),
                    Fault::Unknown,
                ),
                (broken_connection(), Fault::Unknown),
                (db(cas_timeout), Fault::Unknown),
                (db(DbError::Other(0x1700)), Fault::Unknown),
                (db(DbError::SyntaxError), Fault::Permanent),
                (db(DbError::Invalid), Fault::Permanent),
                (db(DbError::Unauthorized), Fault::Permanent),
            ];
            for (e, want) in cases {
                assert_eq!(classify(&e), want, "{e}");
            }
        }

        #[test]
        fn transient_faults_map_to_unavailable_and_the_rest_to_internal() {
            for e in [
                pool_down(),
                ExecutionError::EmptyPlan,
                ExecutionError::RequestTimeout(Duration::from_secs(5)),
                broken_connection(),
                db(DbError::Overloaded),
            ] {
                assert!(
                    matches!(exec_err(e.clone()), StorageError::Unavailable(_)),
                    "{e}"
                );
            }
            for e in [db(DbError::SyntaxError), db(DbError::Invalid)] {
                assert!(
                    matches!(exec_err(e.clone()), StorageError::Internal(_)),
                    "{e}"
                );
            }
        }

        const POLICY: RetryPolicy = RetryPolicy {
            attempts: 4,
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(120),
        };

        #[test]
        fn only_idempotent_statements_with_transient_faults_are_retried() {
            for fault in [Fault::NotApplied, Fault::Unknown] {
                assert!(POLICY.delay(1, true, fault, 0.0).is_some());
                // LWTs and counter updates: never, even when nothing was applied.
                assert_eq!(POLICY.delay(1, false, fault, 0.0), None);
            }
            assert_eq!(POLICY.delay(1, true, Fault::Permanent, 0.0), None);
        }

        #[test]
        fn retries_are_bounded() {
            assert!(POLICY.delay(3, true, Fault::Unknown, 0.5).is_some());
            assert_eq!(POLICY.delay(4, true, Fault::Unknown, 0.5), None);
            assert_eq!(POLICY.delay(40, true, Fault::Unknown, 0.5), None);
            let never = RetryPolicy {
                attempts: 1,
                ..POLICY
            };
            assert_eq!(never.delay(1, true, Fault::NotApplied, 0.5), None);
        }

        #[test]
        fn backoff_doubles_up_to_the_maximum_with_jitter_in_the_upper_half() {
            let ms = |attempt, jitter| {
                POLICY
                    .delay(attempt, true, Fault::Unknown, jitter)
                    .unwrap()
                    .as_millis()
            };
            // Full step at jitter 1, half of it at jitter 0.
            assert_eq!((ms(1, 1.0), ms(1, 0.0)), (50, 25));
            assert_eq!((ms(2, 1.0), ms(2, 0.0)), (100, 50));
            // 200 ms capped at 120.
            assert_eq!((ms(3, 1.0), ms(3, 0.0)), (120, 60));
            for j in [0.0, 0.3, 0.99] {
                assert!((60..=120).contains(&ms(3, j)));
            }
            // Out-of-range jitter is clamped, and huge attempt numbers do not overflow.
            let long = RetryPolicy {
                attempts: u32::MAX,
                ..POLICY
            };
            assert_eq!(
                long.delay(1, true, Fault::Unknown, 7.0),
                Some(Duration::from_millis(50))
            );
            assert_eq!(
                long.delay(1000, true, Fault::Unknown, 1.0),
                Some(Duration::from_millis(120))
            );
            assert_eq!(
                POLICY.worst_case_backoff(),
                Duration::from_millis(50 + 100 + 120)
            );
        }

        #[test]
        fn policy_comes_from_the_config() {
            let c = crate::config::Config::default();
            let p = RetryPolicy::from_config(&c.storage);
            assert_eq!(p.attempts, c.storage.scylla_retry_attempts);
            assert_eq!(
                p.base_backoff,
                Duration::from_millis(c.storage.scylla_retry_base_ms)
            );
            assert_eq!(
                p.max_backoff,
                Duration::from_millis(c.storage.scylla_retry_max_ms)
            );
        }
    }
}
