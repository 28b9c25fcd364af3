//! CQL players and devices: the versioned player document is written with lightweight
//! transactions so that a stale writer can never overwrite a newer state.

use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::players::{DeviceRecord, PlayerRecord, PlayerRepo};
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::CqlValue;

/// A conditional write can lose a race with the first insert of the row; it then tries again.
const LWT_ATTEMPTS: usize = 4;

pub struct ScyllaPlayers {
    db: ScyllaDb,
    load: Prepared,
    load_serial: Prepared,
    update_if_newer: Prepared,
    insert_if_absent: Prepared,
    devices: Prepared,
    upsert_device: Prepared,
    remove_device: Prepared,
}

type PlayerRow = (String, Option<i64>, Option<String>, Option<i64>);

impl ScyllaPlayers {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaPlayers> {
        const LOAD: &str =
            "SELECT user_id, version, state, updated_at_ms FROM players WHERE user_id = ?";
        let mut load_serial = db.prepare(LOAD, true).await?;
        load_serial.set_consistency(Consistency::Serial);
        load_serial.set_serial_consistency(Some(SerialConsistency::Serial));
        Ok(ScyllaPlayers {
            load: db.prepare(LOAD, true).await?,
            load_serial,
            update_if_newer: db
                .prepare(
                    "UPDATE players SET version = ?, state = ?, updated_at_ms = ? \
                     WHERE user_id = ? IF version <= ?",
                    false,
                )
                .await?,
            insert_if_absent: db
                .prepare(
                    "INSERT INTO players (user_id, version, state, updated_at_ms) \
                     VALUES (?, ?, ?, ?) IF NOT EXISTS",
                    false,
                )
                .await?,
            devices: db
                .prepare(
                    "SELECT user_id, device_id, name, kind, volume, last_seen_ms FROM devices \
                     WHERE user_id = ?",
                    true,
                )
                .await?,
            upsert_device: db
                .prepare(
                    "INSERT INTO devices (user_id, device_id, name, kind, volume, last_seen_ms) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                    true,
                )
                .await?,
            remove_device: db
                .prepare(
                    "DELETE FROM devices WHERE user_id = ? AND device_id = ?",
                    true,
                )
                .await?,
            db,
        })
    }

    async fn load_with(
        &self,
        stmt: &Prepared,
        user_id: &str,
    ) -> StorageResult<Option<PlayerRecord>> {
        let rows = self
            .db
            .execute(stmt, (user_id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let Some((user_id, version, state, updated_at_ms)) =
            rows.maybe_first_row::<PlayerRow>().map_err(internal)?
        else {
            return Ok(None);
        };
        Ok(Some(PlayerRecord {
            user_id,
            version: version.unwrap_or_default().max(0) as u64,
            state: serde_json::from_str(state.as_deref().unwrap_or("null"))?,
            updated_at_ms: updated_at_ms.unwrap_or_default(),
        }))
    }

    /// One conditional attempt: `Some(true)` stored, `Some(false)` a newer version is stored,
    /// `None` there is no row yet (the caller inserts).
    async fn try_update(&self, r: &PlayerRecord, state: &str) -> StorageResult<Option<bool>> {
        let v = r.version as i64;
        let result = self
            .db
            .execute(
                &self.update_if_newer,
                (v, state, r.updated_at_ms, &r.user_id, v),
            )
            .await?;
        let (applied, current) = lwt_outcome(result)?;
        if applied {
            return Ok(Some(true));
        }
        Ok(match current.get("version") {
            Some(CqlValue::BigInt(_)) => Some(false),
            _ => None,
        })
    }

    async fn try_insert(&self, r: &PlayerRecord, state: &str) -> StorageResult<bool> {
        let result = self
            .db
            .execute(
                &self.insert_if_absent,
                (&r.user_id, r.version as i64, state, r.updated_at_ms),
            )
            .await?;
        Ok(lwt_outcome(result)?.0)
    }

    async fn save_conditionally(&self, r: &PlayerRecord, state: &str) -> StorageResult<()> {
        for _ in 0..LWT_ATTEMPTS {
            match self.try_update(r, state).await? {
                Some(true) => return Ok(()),
                Some(false) => {
                    return Err(StorageError::Conflict(
                        "a newer player state is stored".into(),
                    ))
                }
                None => {
                    if self.try_insert(r, state).await? {
                        return Ok(());
                    }
                    // Someone inserted first: compare versions again.
                }
            }
        }
        Err(StorageError::Unavailable(
            "player state write kept racing with other writers".into(),
        ))
    }
}

#[async_trait::async_trait]
impl PlayerRepo for ScyllaPlayers {
    async fn load(&self, user_id: &str) -> StorageResult<Option<PlayerRecord>> {
        self.load_with(&self.load, user_id).await
    }

    async fn save(&self, record: PlayerRecord) -> StorageResult<()> {
        let state = serde_json::to_string(&record.state)?;
        match self.save_conditionally(&record, &state).await {
            Err(StorageError::Unavailable(why)) => {
                // The outcome of an LWT is unknown: re-read at SERIAL instead of retrying
                // blindly. Our exact record stored means the write happened.
                match self.load_with(&self.load_serial, &record.user_id).await {
                    Ok(Some(stored)) if stored == record => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            other => other,
        }
    }

    async fn devices(&self, user_id: &str) -> StorageResult<Vec<DeviceRecord>> {
        let rows = self
            .db
            .execute(&self.devices, (user_id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        // Bounded by the per-user device limit, so one unpaged read is fine.
        rows.rows::<(
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i32>,
            Option<i64>,
        )>()
        .map_err(internal)?
        .map(|r| {
            let (user_id, device_id, name, kind, volume, last_seen_ms) = r.map_err(internal)?;
            Ok(DeviceRecord {
                user_id,
                device_id,
                name: name.unwrap_or_default(),
                kind: kind.unwrap_or_default(),
                volume: volume.unwrap_or_default().clamp(0, 100) as u8,
                last_seen_ms: last_seen_ms.unwrap_or_default(),
            })
        })
        .collect()
    }

    async fn upsert_device(&self, d: DeviceRecord) -> StorageResult<()> {
        self.db
            .execute(
                &self.upsert_device,
                (
                    &d.user_id,
                    &d.device_id,
                    &d.name,
                    &d.kind,
                    d.volume as i32,
                    d.last_seen_ms,
                ),
            )
            .await?;
        Ok(())
    }

    async fn remove_device(&self, user_id: &str, device_id: &str) -> StorageResult<()> {
        self.db
            .execute(&self.remove_device, (user_id, device_id))
            .await?;
        Ok(())
    }
}
