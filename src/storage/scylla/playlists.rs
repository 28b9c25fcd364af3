//! CQL playlists: details and committed version (`pl_meta`), the op log in blocks of 1,000
//! versions (`pl_log`), snapshots, per-op_id results; members, a user's playlists and invites
//! live in `playlists_members.rs`.
//!
//! Committing an edit: the log row, the op_id result and the snapshot are written first
//! (idempotent upserts keyed by playlist and version / op_id), then
//! `UPDATE pl_meta SET version = ? ... IF version = ?` moves the committed version; that LWT is
//! the commit point. Every read is bounded by the committed version read from `pl_meta`: log
//! entries, snapshots and results above it are invisible, so a reader never sees an edit whose
//! commit failed or was interrupted, and the next commit of that version overwrites the
//! leftovers. The per-playlist actor is the only writer of a playlist; if two writers ever raced
//! for the same version, the LWT lets exactly one commit, but the loser's leftover result row
//! could carry the winner's version (a known limit, see docs/storage.md).

use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::domain::playlist::{EditResult, LogEntry, Snapshot};
use crate::error::{StorageError, StorageResult};
use crate::storage::playlists::{
    duplicate, EditCommit, Invite, InviteUseOutcome, Member, PlaylistMeta, PlaylistRepo, Role,
};
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::MaybeUnset;

/// Versions per `pl_log` partition.
pub(super) const BLOCK: u64 = 1000;

pub struct ScyllaPlaylists {
    pub(super) db: ScyllaDb,
    pub(super) q: super::playlists_members::Queries,
    pub(super) iq: super::playlist_invites::InviteQueries,
}

type MetaRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

type LogRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn block(v: u64) -> i64 {
    (v / BLOCK) as i64
}

pub(super) fn serial(mut p: Prepared) -> Prepared {
    p.set_consistency(Consistency::Serial);
    p.set_serial_consistency(Some(SerialConsistency::Serial));
    p
}

impl ScyllaPlaylists {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaPlaylists> {
        Ok(ScyllaPlaylists {
            q: super::playlists_members::Queries::prepare(&db).await?,
            iq: super::playlist_invites::InviteQueries::prepare(&db).await?,
            db,
        })
    }

    pub(super) async fn meta_with(
        &self,
        stmt: &Prepared,
        id: &str,
    ) -> StorageResult<Option<PlaylistMeta>> {
        let rows = self
            .db
            .execute(stmt, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let Some(r) = rows.maybe_first_row::<MetaRow>().map_err(internal)? else {
            return Ok(None);
        };
        Ok(Some(PlaylistMeta {
            id: r.0,
            owner_id: r.1.unwrap_or_default(),
            name: r.2.unwrap_or_default(),
            description: r.3.unwrap_or_default(),
            public: r.4.unwrap_or_default(),
            collaborative: r.5.unwrap_or_default(),
            version: r.6.unwrap_or_default().max(0) as u64,
            item_count: r.7.unwrap_or_default().max(0) as u64,
            created_at_ms: r.8.unwrap_or_default(),
            updated_at_ms: r.9.unwrap_or_default(),
        }))
    }

    async fn committed(&self, id: &str) -> StorageResult<Option<u64>> {
        Ok(self.meta_with(&self.q.meta, id).await?.map(|m| m.version))
    }

    /// Log rows of one block in `(lo, hi]`, ascending or descending, at most `limit`.
    async fn log_block(
        &self,
        id: &str,
        b: i64,
        (lo, hi): (u64, u64),
        desc: bool,
        limit: usize,
    ) -> StorageResult<Vec<LogEntry>> {
        let stmt = if desc {
            &self.q.log_range_desc
        } else {
            &self.q.log_range
        };
        let rows = self
            .db
            .execute(stmt, (id, b, lo as i64, hi as i64, limit as i32))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        rows.rows::<LogRow>()
            .map_err(internal)?
            .map(|r| {
                let (version, op_id, author, at_ms, ops) = r.map_err(internal)?;
                Ok(LogEntry {
                    version: version.max(0) as u64,
                    op_id: op_id.unwrap_or_default(),
                    author: author.unwrap_or_default(),
                    at_ms: at_ms.unwrap_or_default(),
                    ops: serde_json::from_str(ops.as_deref().unwrap_or("[]"))?,
                })
            })
            .collect()
    }

    /// Whether any log row of the block exists (compaction walks down until one does not).
    async fn block_has_rows(&self, id: &str, b: i64) -> StorageResult<bool> {
        Ok(!self
            .log_block(id, b, (0, u64::MAX >> 1), false, 1)
            .await?
            .is_empty())
    }

    /// Deletes the log of blocks `top` down to the first empty block below `top`.
    pub(super) async fn drop_blocks_from(&self, id: &str, top: i64) -> StorageResult<()> {
        let mut b = top;
        while b >= 0 {
            if b < top && !self.block_has_rows(id, b).await? {
                break;
            }
            self.db.execute(&self.q.drop_block, (id, b)).await?;
            b -= 1;
        }
        Ok(())
    }

    async fn snapshot_upto(&self, id: &str, upto: u64) -> StorageResult<Option<Snapshot>> {
        let rows = self
            .db
            .execute(&self.q.snapshot, (id, upto as i64))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        match rows
            .maybe_first_row::<(Option<String>,)>()
            .map_err(internal)?
        {
            Some((Some(doc),)) => Ok(Some(serde_json::from_str(&doc)?)),
            _ => Ok(None),
        }
    }
}

#[async_trait::async_trait]
impl PlaylistRepo for ScyllaPlaylists {
    async fn create(&self, m: PlaylistMeta) -> StorageResult<()> {
        let result = self
            .db
            .execute(
                &self.q.create,
                (
                    &m.id,
                    &m.owner_id,
                    &m.name,
                    &m.description,
                    m.public,
                    m.collaborative,
                    m.version as i64,
                    m.item_count as i64,
                    m.created_at_ms,
                    m.updated_at_ms,
                ),
            )
            .await;
        match result {
            Ok(r) => {
                if !lwt_outcome(r)?.0 {
                    return Err(StorageError::Conflict("playlist id in use".into()));
                }
            }
            // Unknown outcome: created when our exact row is there (read at SERIAL).
            Err(StorageError::Unavailable(why)) => {
                match self.meta_with(&self.q.meta_serial, &m.id).await {
                    Ok(Some(stored)) if stored == m => {}
                    _ => return Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => return Err(e),
        }
        self.add_user_row(&m.owner_id, &m.id, Role::Owner, m.created_at_ms)
            .await
    }

    async fn get(&self, id: &str) -> StorageResult<Option<PlaylistMeta>> {
        self.meta_with(&self.q.meta, id).await
    }

    async fn set_flags(
        &self,
        id: &str,
        public: Option<bool>,
        collaborative: Option<bool>,
        at_ms: i64,
    ) -> StorageResult<()> {
        let set = |v: Option<bool>| v.map_or(MaybeUnset::Unset, MaybeUnset::Set);
        let result = self
            .db
            .execute(
                &self.q.set_flags,
                (set(public), set(collaborative), at_ms, id),
            )
            .await;
        match result {
            Ok(r) => {
                if lwt_outcome(r)?.0 {
                    Ok(())
                } else {
                    Err(StorageError::NotFound)
                }
            }
            // Unknown outcome: applied when the row carries our flags and time (read at SERIAL).
            Err(StorageError::Unavailable(why)) => {
                match self.meta_with(&self.q.meta_serial, id).await {
                    Ok(Some(now))
                        if public.is_none_or(|p| now.public == p)
                            && collaborative.is_none_or(|c| now.collaborative == c)
                            && now.updated_at_ms == at_ms =>
                    {
                        Ok(())
                    }
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, id: &str) -> StorageResult<()> {
        let Some(meta) = self.meta_with(&self.q.meta_serial, id).await? else {
            return Ok(());
        };
        self.delete_members_and_invites(&meta).await?;
        self.drop_blocks_from(id, block(meta.version) + 1).await?;
        for stmt in [&self.q.drop_snapshots, &self.q.drop_results] {
            self.db.execute(stmt, (id,)).await?;
        }
        // The details last: an interrupted delete can be repeated.
        match self.db.execute(&self.q.delete_meta, (id,)).await {
            Ok(_) => Ok(()),
            // Unknown outcome: gone now (read at SERIAL) means deleted.
            Err(StorageError::Unavailable(why)) => {
                match self.meta_with(&self.q.meta_serial, id).await {
                    Ok(None) => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn commit_edit(&self, e: EditCommit) -> StorageResult<()> {
        let meta = self
            .meta_with(&self.q.meta_serial, &e.playlist_id)
            .await?
            .ok_or(StorageError::NotFound)?;
        if self.edit_result(&e.playlist_id, &e.op_id).await?.is_some() {
            return Err(duplicate("op_id"));
        }
        let new_version = match &e.entry {
            Some(entry) if entry.version <= meta.version => return Err(duplicate("version")),
            Some(entry) => entry.version,
            None => meta.version,
        };
        let id = e.playlist_id.as_str();
        let result = serde_json::to_string(&e.result)?;
        if let Some(entry) = &e.entry {
            let ops = serde_json::to_string(&entry.ops)?;
            self.db
                .execute(
                    &self.q.put_log,
                    (
                        id,
                        block(entry.version),
                        entry.version as i64,
                        &entry.op_id,
                        &entry.author,
                        entry.at_ms,
                        &ops,
                    ),
                )
                .await?;
            // Invisible until the commit below (its version is above the committed one).
            self.db
                .execute(
                    &self.q.put_result,
                    (id, &e.op_id, new_version as i64, &result),
                )
                .await?;
        }
        if let Some(s) = &e.snapshot {
            let doc = serde_json::to_string(s)?;
            self.db
                .execute(&self.q.put_snapshot, (id, s.version as i64, &doc))
                .await?;
        }
        let outcome = self
            .db
            .execute(
                &self.q.commit,
                (
                    new_version as i64,
                    &e.name,
                    &e.description,
                    e.item_count as i64,
                    e.at_ms,
                    id,
                    meta.version as i64,
                ),
            )
            .await;
        match outcome {
            Ok(r) => {
                if !lwt_outcome(r)?.0 {
                    return Err(duplicate("version"));
                }
            }
            Err(StorageError::Unavailable(why)) => {
                // Unknown outcome: settled by a SERIAL read of the committed version.
                // With a log entry the new version is ours alone; without one (every op
                // skipped) the details must read exactly as this commit wrote them.
                let now = self.meta_with(&self.q.meta_serial, id).await;
                let ours = matches!(&now, Ok(Some(m)) if m.version == new_version
                    && m.updated_at_ms == e.at_ms
                    && (e.entry.is_some()
                        || (m.name == e.name
                            && m.description == e.description
                            && m.item_count == e.item_count)));
                if !ours {
                    return Err(StorageError::Unavailable(why));
                }
            }
            Err(other) => return Err(other),
        }
        if e.entry.is_none() {
            // Nothing was logged: the result is visible at once, so it is written only after
            // the commit point.
            self.db
                .execute(
                    &self.q.put_result,
                    (id, &e.op_id, new_version as i64, &result),
                )
                .await?;
        }
        Ok(())
    }

    async fn edit_result(&self, id: &str, op_id: &str) -> StorageResult<Option<EditResult>> {
        let rows = self
            .db
            .execute(&self.q.result, (id, op_id))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let Some((Some(version), Some(result))) = rows
            .maybe_first_row::<(Option<i64>, Option<String>)>()
            .map_err(internal)?
        else {
            return Ok(None);
        };
        match self.committed(id).await? {
            Some(c) if version.max(0) as u64 <= c => Ok(Some(serde_json::from_str(&result)?)),
            _ => Ok(None),
        }
    }

    async fn latest_snapshot(&self, id: &str) -> StorageResult<Option<Snapshot>> {
        match self.committed(id).await? {
            Some(c) => self.snapshot_upto(id, c).await,
            None => Ok(None),
        }
    }

    async fn log_after(&self, id: &str, after: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        let Some(committed) = self.committed(id).await? else {
            return Ok(vec![]);
        };
        let limit = limit.clamp(1, 10_000) as usize;
        let mut out = Vec::new();
        let mut b = block(after.saturating_add(1));
        while out.len() < limit && after < committed && b <= block(committed) {
            let more = self
                .log_block(id, b, (after, committed), false, limit - out.len())
                .await?;
            out.extend(more);
            b += 1;
        }
        Ok(out)
    }

    async fn log_before(&self, id: &str, before: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        let Some(committed) = self.committed(id).await? else {
            return Ok(vec![]);
        };
        if before == 0 {
            return Ok(vec![]);
        }
        let hi = (before - 1).min(committed);
        let limit = limit.clamp(1, 10_000) as usize;
        let mut out = Vec::new();
        let mut b = block(hi);
        while out.len() < limit && b >= 0 {
            let more = self
                .log_block(id, b, (0, hi), true, limit - out.len())
                .await?;
            // An empty block below the first one: everything older was compacted away.
            if more.is_empty() && b < block(hi) {
                break;
            }
            out.extend(more);
            b -= 1;
        }
        Ok(out)
    }

    async fn compact(&self, id: &str, upto: u64) -> StorageResult<()> {
        let Some(committed) = self.committed(id).await? else {
            return Ok(());
        };
        let Some(snap) = self.snapshot_upto(id, committed).await?.map(|s| s.version) else {
            return Ok(());
        };
        let cut = upto.min(snap);
        self.db
            .execute(&self.q.trim_block, (id, block(cut), cut as i64))
            .await?;
        if block(cut) > 0 {
            self.drop_blocks_from(id, block(cut) - 1).await?;
        }
        self.db
            .execute(&self.q.trim_snapshots, (id, snap as i64))
            .await?;
        Ok(())
    }

    async fn add_member(&self, id: &str, m: Member) -> StorageResult<()> {
        self.add_member_rows(id, m).await
    }

    async fn remove_member(&self, id: &str, user_id: &str, role: Role) -> StorageResult<()> {
        self.remove_member_rows(id, user_id, role).await
    }

    async fn members(&self, id: &str, role: Role) -> StorageResult<Vec<Member>> {
        self.members_of(id, role).await
    }

    async fn roles_of(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>> {
        self.roles(id, user_id).await
    }

    async fn user_playlists(&self, user_id: &str) -> StorageResult<Vec<(PlaylistMeta, Role)>> {
        self.playlists_of(user_id).await
    }

    async fn create_invite(&self, invite: Invite) -> StorageResult<()> {
        self.create_invite_rows(invite).await
    }

    async fn invite(&self, token: &str) -> StorageResult<Option<Invite>> {
        self.get_invite_full(token).await
    }

    async fn invites_of(&self, playlist_id: &str) -> StorageResult<Vec<Invite>> {
        self.invites_of_playlist(playlist_id).await
    }

    async fn use_invite(
        &self,
        token: &str,
        user_id: &str,
        at_ms: i64,
    ) -> StorageResult<InviteUseOutcome> {
        self.take_invite_use(token, user_id, at_ms).await
    }

    async fn revoke_invite(&self, token: &str) -> StorageResult<bool> {
        self.revoke_invite_rows(token).await
    }
}
