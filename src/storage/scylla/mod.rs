//! ScyllaDB / Cassandra backend: connects with the `scylla` driver (token-aware load balancing,
//! configured consistency, prepared statements), creates the keyspace, applies the schema
//! versions idempotently and builds the CQL repositories. The reference schema is `schema.cql`.
//!
//! Schema versions and their application live in `migrate`, fault classification and the retry
//! of idempotent statements in `retry`; the repositories each have their own file.

mod accounts;
mod catalog;
mod catalog_write;
mod erasure;
mod history;
mod library;
mod migrate;
mod players;
mod playlist_invites;
mod playlists;
mod playlists_members;
mod retry;
mod sessions;
mod settings;

pub use accounts::ScyllaAccounts;
pub use catalog::ScyllaCatalog;
pub use history::{month_of, ScyllaHistory};
pub use library::ScyllaLibrary;
pub use migrate::{
    statements, SCHEMA, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_VERSIONS,
};
pub use players::ScyllaPlayers;
pub use playlists::ScyllaPlaylists;
pub use retry::{classify, Fault, RetryPolicy};
pub use sessions::ScyllaSessions;

use crate::config::CqlConsistency;
use crate::config::StorageConfig;
use crate::error::{StorageError, StorageResult};
use crate::storage::HealthCheck;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::ExecutionError;
use scylla::policies::timestamp_generator::MonotonicTimestampGenerator;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::{CqlValue, Row};
use std::sync::Arc;
use std::time::Duration;

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
    pub settings: Arc<settings::ScyllaSettings>,
    pub erasure: Arc<erasure::ScyllaErasure>,
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
            settings: self.settings.clone(),
            erasure: self.erasure.clone(),
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
            .consistency(consistency(config.scylla_consistency))
            .serial_consistency(Some(serial_consistency(config.scylla_consistency)))
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
            settings: Arc::new(settings::ScyllaSettings::new(db.clone()).await?),
            erasure: Arc::new(erasure::ScyllaErasure::new(db.clone()).await?),
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

fn consistency(level: CqlConsistency) -> Consistency {
    match level {
        CqlConsistency::One => Consistency::One,
        CqlConsistency::LocalOne => Consistency::LocalOne,
        CqlConsistency::Quorum => Consistency::Quorum,
        CqlConsistency::All => Consistency::All,
        CqlConsistency::LocalQuorum => Consistency::LocalQuorum,
    }
}

/// LWTs use the serial level that matches the configured scope (local DC or whole cluster).
fn serial_consistency(level: CqlConsistency) -> SerialConsistency {
    match level {
        CqlConsistency::Quorum | CqlConsistency::All => SerialConsistency::Serial,
        CqlConsistency::One | CqlConsistency::LocalOne | CqlConsistency::LocalQuorum => {
            SerialConsistency::LocalSerial
        }
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
