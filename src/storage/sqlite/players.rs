//! SQLite players and devices.

use super::{optional, to_json, SqliteDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::players::{DeviceRecord, PlayerRecord, PlayerRepo};
use rusqlite::params;

pub const MIGRATIONS: &[&str] = &["CREATE TABLE players (
        user_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE TABLE devices (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        volume INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id)
    )"];

pub struct SqlitePlayers(pub SqliteDb);

#[async_trait::async_trait]
impl PlayerRepo for SqlitePlayers {
    async fn load(&self, user_id: &str) -> StorageResult<Option<PlayerRecord>> {
        let id = user_id.to_string();
        let row = self
            .0
            .read(move |c| {
                optional(c.query_row(
                    "SELECT user_id, version, state, updated_at_ms FROM players WHERE user_id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    },
                ))
            })
            .await?;
        match row {
            None => Ok(None),
            Some((user_id, version, state, updated_at_ms)) => Ok(Some(PlayerRecord {
                user_id,
                version: version as u64,
                state: serde_json::from_str(&state)?,
                updated_at_ms,
            })),
        }
    }

    async fn save(&self, record: PlayerRecord) -> StorageResult<()> {
        let state = to_json(&record.state)?;
        self.0
            .write(move |c| {
                // Only move forward: a stale writer must not overwrite a newer state.
                let n = c.execute(
                    "INSERT INTO players (user_id, version, state, updated_at_ms)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(user_id) DO UPDATE SET
                        version = excluded.version, state = excluded.state,
                        updated_at_ms = excluded.updated_at_ms
                     WHERE excluded.version >= players.version",
                    params![
                        record.user_id,
                        record.version as i64,
                        state,
                        record.updated_at_ms
                    ],
                )?;
                if n == 0 {
                    Err(StorageError::Conflict(
                        "a newer player state is stored".into(),
                    ))
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn devices(&self, user_id: &str) -> StorageResult<Vec<DeviceRecord>> {
        let id = user_id.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT user_id, device_id, name, kind, volume, last_seen_ms FROM devices
                     WHERE user_id = ?1 ORDER BY device_id",
                )?;
                let rows = stmt.query_map([id], |r| {
                    Ok(DeviceRecord {
                        user_id: r.get(0)?,
                        device_id: r.get(1)?,
                        name: r.get(2)?,
                        kind: r.get(3)?,
                        volume: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
                        last_seen_ms: r.get(5)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn upsert_device(&self, d: DeviceRecord) -> StorageResult<()> {
        self.0
            .write(move |c| {
                c.execute(
                    "INSERT INTO devices (user_id, device_id, name, kind, volume, last_seen_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(user_id, device_id) DO UPDATE SET name = excluded.name,
                        kind = excluded.kind, volume = excluded.volume,
                        last_seen_ms = excluded.last_seen_ms",
                    params![
                        d.user_id,
                        d.device_id,
                        d.name,
                        d.kind,
                        d.volume as i64,
                        d.last_seen_ms
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn remove_device(&self, user_id: &str, device_id: &str) -> StorageResult<()> {
        let (u, d) = (user_id.to_string(), device_id.to_string());
        self.0
            .write(move |c| {
                c.execute(
                    "DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2",
                    params![u, d],
                )?;
                Ok(())
            })
            .await
    }
}
