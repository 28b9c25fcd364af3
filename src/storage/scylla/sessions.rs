//! CQL group sessions: the versioned session document (`group_sessions`), join-code uniqueness
//! by an `IF NOT EXISTS` claim (`session_join_codes`), and a bucketed index of live sessions
//! (`live_sessions`) so listing them needs no ALLOW FILTERING and no full scan.

use super::{bucket_of, internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::sessions::{SessionRecord, SessionRepo};
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::CqlValue;

/// Buckets of `live_sessions`.
const LIVE_BUCKETS: u32 = 16;

pub struct ScyllaSessions {
    db: ScyllaDb,
    load: Prepared,
    load_serial: Prepared,
    claim_code: Prepared,
    code_owner: Prepared,
    code_owner_serial: Prepared,
    release_code: Prepared,
    insert: Prepared,
    update_if_newer: Prepared,
    delete: Prepared,
    add_live: Prepared,
    remove_live: Prepared,
    list_live: Prepared,
}

type SessionRow = (
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl ScyllaSessions {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaSessions> {
        const LOAD: &str = "SELECT id, join_code, version, state, members, last_active_ms \
                            FROM group_sessions WHERE id = ?";
        const OWNER: &str = "SELECT session_id FROM session_join_codes WHERE code = ?";
        let serial = |mut p: Prepared| {
            p.set_consistency(Consistency::Serial);
            p.set_serial_consistency(Some(SerialConsistency::Serial));
            p
        };
        Ok(ScyllaSessions {
            load: db.prepare(LOAD, true).await?,
            load_serial: serial(db.prepare(LOAD, true).await?),
            code_owner: db.prepare(OWNER, true).await?,
            code_owner_serial: serial(db.prepare(OWNER, true).await?),
            claim_code: db
                .prepare(
                    "INSERT INTO session_join_codes (code, session_id) VALUES (?, ?) \
                     IF NOT EXISTS",
                    false,
                )
                .await?,
            release_code: db
                .prepare(
                    "DELETE FROM session_join_codes WHERE code = ? IF session_id = ?",
                    false,
                )
                .await?,
            insert: db
                .prepare(
                    "INSERT INTO group_sessions (id, join_code, version, state, members, \
                     last_active_ms) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS",
                    false,
                )
                .await?,
            update_if_newer: db
                .prepare(
                    "UPDATE group_sessions SET version = ?, state = ?, members = ?, \
                     last_active_ms = ? WHERE id = ? IF version <= ?",
                    false,
                )
                .await?,
            delete: db
                .prepare("DELETE FROM group_sessions WHERE id = ? IF EXISTS", false)
                .await?,
            add_live: db
                .prepare(
                    "INSERT INTO live_sessions (bucket, session_id) VALUES (?, ?)",
                    true,
                )
                .await?,
            remove_live: db
                .prepare(
                    "DELETE FROM live_sessions WHERE bucket = ? AND session_id = ?",
                    true,
                )
                .await?,
            list_live: db
                .prepare(
                    "SELECT session_id FROM live_sessions WHERE bucket = ?",
                    true,
                )
                .await?,
            db,
        })
    }

    async fn load_with(&self, stmt: &Prepared, id: &str) -> StorageResult<Option<SessionRecord>> {
        let rows = self
            .db
            .execute(stmt, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let Some((session_id, join_code, version, state, members, last_active_ms)) =
            rows.maybe_first_row::<SessionRow>().map_err(internal)?
        else {
            return Ok(None);
        };
        Ok(Some(SessionRecord {
            session_id,
            join_code: join_code.unwrap_or_default(),
            version: version.unwrap_or_default().max(0) as u64,
            state: serde_json::from_str(state.as_deref().unwrap_or("null"))?,
            members: serde_json::from_str(members.as_deref().unwrap_or("[]"))?,
            last_active_ms: last_active_ms.unwrap_or_default(),
        }))
    }

    async fn code_owner_with(&self, stmt: &Prepared, code: &str) -> StorageResult<Option<String>> {
        let rows = self
            .db
            .execute(stmt, (code,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(Option<String>,)>()
            .map_err(internal)?
            .and_then(|(s,)| s))
    }

    /// Claims the join code for the session. `Ok(true)`: ours (also when a retry of our own
    /// claim finds it already ours); `Ok(false)`: another session holds it. An unknown LWT
    /// outcome is settled by a SERIAL read, never by claiming again blindly.
    async fn claim(&self, code: &str, session_id: &str) -> StorageResult<bool> {
        let outcome = self.db.execute(&self.claim_code, (code, session_id)).await;
        match outcome {
            Ok(result) => {
                let (applied, current) = lwt_outcome(result)?;
                Ok(applied
                    || matches!(current.get("session_id"),
                        Some(CqlValue::Text(owner)) if owner == session_id))
            }
            Err(StorageError::Unavailable(why)) => {
                match self.code_owner_with(&self.code_owner_serial, code).await {
                    Ok(Some(owner)) => Ok(owner == session_id),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn release(&self, code: &str, session_id: &str) -> StorageResult<()> {
        match self
            .db
            .execute(&self.release_code, (code, session_id))
            .await
        {
            Ok(_) => Ok(()),
            // Unknown outcome: released when the code is no longer ours (read at SERIAL).
            Err(StorageError::Unavailable(why)) => {
                match self.code_owner_with(&self.code_owner_serial, code).await {
                    Ok(owner) if owner.as_deref() != Some(session_id) => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn live_bucket(session_id: &str) -> i32 {
        bucket_of(session_id, LIVE_BUCKETS)
    }
}

#[async_trait::async_trait]
impl SessionRepo for ScyllaSessions {
    async fn create(&self, r: SessionRecord) -> StorageResult<()> {
        let (state, members) = (
            serde_json::to_string(&r.state)?,
            serde_json::to_string(&r.members)?,
        );
        if !self.claim(&r.join_code, &r.session_id).await? {
            return Err(StorageError::Conflict("join code in use".into()));
        }
        let outcome = self
            .db
            .execute(
                &self.insert,
                (
                    &r.session_id,
                    &r.join_code,
                    r.version as i64,
                    &state,
                    &members,
                    r.last_active_ms,
                ),
            )
            .await;
        let stored = match outcome {
            Ok(result) => {
                let (applied, _) = lwt_outcome(result)?;
                applied
                    || self.load_with(&self.load_serial, &r.session_id).await? == Some(r.clone())
            }
            Err(StorageError::Unavailable(why)) => {
                match self.load_with(&self.load_serial, &r.session_id).await {
                    Ok(Some(stored)) if stored == r => true,
                    _ => return Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => return Err(e),
        };
        if !stored {
            // The session id is taken by another session: give the code back.
            self.release(&r.join_code, &r.session_id).await?;
            return Err(StorageError::Conflict("session id in use".into()));
        }
        self.db
            .execute(
                &self.add_live,
                (Self::live_bucket(&r.session_id), &r.session_id),
            )
            .await?;
        Ok(())
    }

    async fn save(&self, r: SessionRecord) -> StorageResult<()> {
        let (state, members) = (
            serde_json::to_string(&r.state)?,
            serde_json::to_string(&r.members)?,
        );
        let v = r.version as i64;
        let outcome = self
            .db
            .execute(
                &self.update_if_newer,
                (v, &state, &members, r.last_active_ms, &r.session_id, v),
            )
            .await;
        match outcome {
            Ok(result) => {
                let (applied, current) = lwt_outcome(result)?;
                if applied {
                    Ok(())
                } else if matches!(current.get("version"), Some(CqlValue::BigInt(_))) {
                    Err(StorageError::Conflict(
                        "a newer session state is stored".into(),
                    ))
                } else {
                    Err(StorageError::NotFound)
                }
            }
            // Unknown outcome: our exact record stored (read at SERIAL) means it happened.
            Err(StorageError::Unavailable(why)) => {
                match self.load_with(&self.load_serial, &r.session_id).await {
                    Ok(Some(stored)) if stored == r => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn load(&self, session_id: &str) -> StorageResult<Option<SessionRecord>> {
        self.load_with(&self.load, session_id).await
    }

    async fn by_join_code(&self, join_code: &str) -> StorageResult<Option<String>> {
        self.code_owner_with(&self.code_owner, join_code).await
    }

    async fn list(&self) -> StorageResult<Vec<SessionRecord>> {
        let mut out = Vec::new();
        for bucket in 0..LIVE_BUCKETS as i32 {
            let ids: Vec<(String,)> = self.db.read_all(&self.list_live, (bucket,)).await?;
            for (id,) in ids {
                // An index row whose session is gone (a delete interrupted half-way) is skipped.
                if let Some(r) = self.load_with(&self.load, &id).await? {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    async fn delete(&self, session_id: &str) -> StorageResult<()> {
        let Some(r) = self.load_with(&self.load_serial, session_id).await? else {
            // Gone already; drop a leftover index row from an interrupted delete.
            self.db
                .execute(
                    &self.remove_live,
                    (Self::live_bucket(session_id), session_id),
                )
                .await?;
            return Ok(());
        };
        // Code first, the session row last: an interrupted delete leaves the session (and so
        // the way to find its code) in place, and deleting again finishes the job.
        self.release(&r.join_code, session_id).await?;
        self.db
            .execute(
                &self.remove_live,
                (Self::live_bucket(session_id), session_id),
            )
            .await?;
        match self.db.execute(&self.delete, (session_id,)).await {
            Ok(_) => Ok(()),
            // Unknown outcome: gone now (read at SERIAL) means deleted.
            Err(StorageError::Unavailable(why)) => {
                match self.load_with(&self.load_serial, session_id).await {
                    Ok(None) => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }
}
