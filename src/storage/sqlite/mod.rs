//! SQLite backend: WAL, `synchronous=FULL`, one writer thread with group commit, and a pool of
//! read connections used from the blocking pool so async workers never block on disk.

mod accounts;
mod catalog;
mod erasure;
mod history;
mod library;
mod players;
mod playlist_invites;
mod playlists;
mod sessions;
mod settings;

use crate::config::StorageConfig;
use crate::error::{StorageError, StorageResult};
use crate::storage::{HealthCheck, Storage};
use parking_lot::Mutex;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

type Finisher = Box<dyn FnOnce(StorageResult<()>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Finisher + Send>;

/// Handle to one SQLite database. Cheap to clone.
#[derive(Clone)]
pub struct SqliteDb {
    writer: std::sync::mpsc::SyncSender<WriteJob>,
    readers: Arc<Mutex<Vec<Connection>>>,
    read_permits: Arc<tokio::sync::Semaphore>,
}

/// Each domain's migrations, applied in order and recorded per domain in `schema_migrations`.
/// Append new steps at the end of a domain's list; never edit a released step.
fn all_migrations() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("accounts", accounts::MIGRATIONS),
        ("catalog", catalog::MIGRATIONS),
        ("players", players::MIGRATIONS),
        ("playlists", playlists::MIGRATIONS),
        ("sessions", sessions::MIGRATIONS),
        ("library", library::MIGRATIONS),
        ("history", history::MIGRATIONS),
        ("settings", settings::MIGRATIONS),
    ]
}

fn open_connection(path: &Path) -> StorageResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StorageError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Acknowledged means durable: every commit is fsynced.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

pub fn migrate(conn: &mut Connection) -> StorageResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at_ms INTEGER NOT NULL,
            PRIMARY KEY (domain, version))",
    )?;
    for (domain, steps) in all_migrations() {
        let done: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE domain = ?1",
            [domain],
            |r| r.get(0),
        )?;
        for (i, sql) in steps.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= done {
                continue;
            }
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (domain, version, applied_at_ms) VALUES (?1, ?2, ?3)",
                rusqlite::params![domain, version, { use crate::clock::Clock; crate::clock::SystemClock.now_ms() }],
            )?;
            tx.commit()?;
        }
    }
    Ok(())
}

/// Opens (creating when missing) the database file and every repository on it.
pub fn open(path: &Path, config: &StorageConfig) -> anyhow::Result<Storage> {
    let db = SqliteDb::open(path, config)?;
    Ok(storage_on(db))
}

pub fn storage_on(db: SqliteDb) -> Storage {
    Storage {
        accounts: Arc::new(accounts::SqliteAccounts(db.clone())),
        catalog: Arc::new(catalog::SqliteCatalog(db.clone())),
        players: Arc::new(players::SqlitePlayers(db.clone())),
        playlists: Arc::new(playlists::SqlitePlaylists(db.clone())),
        sessions: Arc::new(sessions::SqliteSessions(db.clone())),
        library: Arc::new(library::SqliteLibrary(db.clone())),
        history: Arc::new(history::SqliteHistory(db.clone())),
        settings: Arc::new(settings::SqliteSettings(db.clone())),
        erasure: Arc::new(erasure::SqliteErasure(db.clone())),
        health: Arc::new(db),
    }
}

impl SqliteDb {
    pub fn open(path: &Path, config: &StorageConfig) -> StorageResult<SqliteDb> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StorageError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut writer_conn = open_connection(path)?;
        migrate(&mut writer_conn)?;
        let mut readers = Vec::new();
        for _ in 0..config.read_connections {
            readers.push(open_connection(path)?);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<WriteJob>(config.group_commit_max * 4);
        let max_batch = config.group_commit_max;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, max_batch))
            .map_err(|e| StorageError::Internal(format!("cannot start writer thread: {e}")))?;
        Ok(SqliteDb {
            writer: tx,
            read_permits: Arc::new(tokio::sync::Semaphore::new(readers.len())),
            readers: Arc::new(Mutex::new(readers)),
        })
    }

    /// Runs `f` inside the next group-commit transaction; resolves only after the commit is
    /// durable. An error from `f` rolls back `f`'s own changes only.
    pub async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<StorageResult<T>>();
        let job: WriteJob = Box::new(move |conn: &Connection| {
            let outcome = run_in_savepoint(conn, f);
            Box::new(move |commit: StorageResult<()>| {
                let result = match (outcome, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(e),
                };
                let _ = done_tx.send(result);
            })
        });
        let sender = self.writer.clone();
        // The channel is bounded: waiting for room must not block an async worker.
        tokio::task::spawn_blocking(move || sender.send(job))
            .await
            .map_err(|e| StorageError::Internal(e.to_string()))?
            .map_err(|_| StorageError::Unavailable("sqlite writer stopped".into()))?;
        done_rx
            .await
            .map_err(|_| StorageError::Unavailable("the write was not committed".into()))?
    }

    /// Runs a read on a pooled connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let permit = self
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StorageError::Unavailable("read pool closed".into()))?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers
                .lock()
                .pop()
                .ok_or_else(|| StorageError::Internal("read pool empty".into()))?;
            let result = f(&conn);
            readers.lock().push(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))?
    }
}

#[async_trait::async_trait]
impl HealthCheck for SqliteDb {
    async fn ping(&self) -> StorageResult<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .map(|_| ())
    }
}

fn run_in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StorageResult<T>,
) -> StorageResult<T> {
    conn.execute_batch("SAVEPOINT job")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE job")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(e)
        }
    }
}

fn writer_loop(conn: Connection, rx: std::sync::mpsc::Receiver<WriteJob>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs drops their reply channels: every waiter gets `Unavailable`.
            tracing::error!(error = %e, "sqlite: cannot begin a transaction");
            drop(batch);
            continue;
        }
        let finishers: Vec<Finisher> = batch.into_iter().map(|job| job(&conn)).collect();
        let commit = conn.execute_batch("COMMIT").map_err(StorageError::from);
        let commit_msg = commit.as_ref().err().map(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishers {
            finish(match &commit_msg {
                None => Ok(()),
                Some(m) => Err(StorageError::Unavailable(m.clone())),
            });
        }
    }
}

/// Helpers for JSON columns.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> StorageResult<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Internal(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StorageResult<T> {
    Ok(serde_json::from_str(s)?)
}

/// Converts "no row" into `None`.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> StorageResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
