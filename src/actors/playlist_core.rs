//! The persistent core of one open playlist: the engine's list plus its storage rules. Loads
//! from the latest snapshot and the op log after it; commits each edit (log entry, result under
//! its `op_id`, details, a snapshot every `snapshot_every` versions) before it is acknowledged;
//! answers `since_version` catch-up from the log window. The actor is a thin shell around it,
//! and the convergence simulator drives it directly on an in-memory repository.

use crate::domain::playlist::{EditError, EditResult, Limits, LogEntry, Op, Playlist, Snapshot};
use crate::error::{ApiError, ApiResult, StorageError, StorageResult};
use crate::storage::playlists::{EditCommit, PlaylistRepo};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Results of recent edits kept in memory (older ones are read from storage).
const RECENT_RESULTS: usize = 1024;

pub struct PlaylistCore {
    pub id: String,
    pub doc: Playlist,
    pub limits: Limits,
    snapshot_every: u64,
    repo: Arc<dyn PlaylistRepo>,
    recent: HashMap<String, EditResult>,
    recent_order: VecDeque<String>,
    /// A commit failed and re-loading the durable list failed too: memory may hold an edit
    /// that is not stored, so this core must not serve anything more (the owner loads afresh).
    stale: bool,
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct EditOutcome {
    pub result: EditResult,
    /// The committed entry; None when the edit was a re-send or every op was skipped.
    pub entry: Option<LogEntry>,
}

impl PlaylistCore {
    /// Loads the playlist; `Ok(None)` when it does not exist.
    pub async fn load(
        repo: Arc<dyn PlaylistRepo>,
        id: &str,
        limits: Limits,
        snapshot_every: u64,
    ) -> StorageResult<Option<PlaylistCore>> {
        let Some(meta) = repo.get(id).await? else {
            return Ok(None);
        };
        let snapshot = repo.latest_snapshot(id).await?.unwrap_or(Snapshot {
            version: 0,
            name: meta.name.clone(),
            description: meta.description.clone(),
            items: vec![],
            removed: vec![],
        });
        let mut doc = Playlist::from_snapshot(snapshot, limits.window);
        loop {
            let entries = repo.log_after(id, doc.version(), 1000).await?;
            if entries.is_empty() {
                break;
            }
            for e in &entries {
                doc.apply_logged(e)
                    .map_err(|m| StorageError::Internal(format!("playlist {id}: {m}")))?;
            }
        }
        Ok(Some(PlaylistCore {
            id: id.to_string(),
            doc,
            limits,
            snapshot_every: snapshot_every.max(1),
            repo,
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            stale: false,
        }))
    }

    fn remember(&mut self, op_id: &str, r: &EditResult) {
        if self.recent.insert(op_id.to_string(), r.clone()).is_none() {
            self.recent_order.push_back(op_id.to_string());
            if self.recent_order.len() > RECENT_RESULTS {
                if let Some(old) = self.recent_order.pop_front() {
                    self.recent.remove(&old);
                }
            }
        }
    }

    async fn stored_result(&self, op_id: &str) -> ApiResult<Option<EditResult>> {
        if let Some(r) = self.recent.get(op_id) {
            return Ok(Some(r.clone()));
        }
        Ok(self.repo.edit_result(&self.id, op_id).await?)
    }

    /// Applies and commits one edit. A re-sent `op_id` returns the original result and changes
    /// nothing. `expect_version` (REST `snapshot_id`) must equal the current version.
    pub async fn edit(
        &mut self,
        req: EditRequest,
        at_ms: i64,
        new_id: &mut (dyn FnMut() -> String + Send),
    ) -> ApiResult<EditOutcome> {
        let EditRequest {
            author,
            op_id,
            base_version,
            expect_version,
            ops,
        } = req;
        let (author, op_id) = (author.as_str(), op_id.as_str());
        if !crate::domain::playlist::valid_id(op_id) {
            return Err(ApiError::bad_request("op_id must be 1-64 characters"));
        }
        if let Some(result) = self.stored_result(op_id).await? {
            return Ok(EditOutcome {
                result,
                entry: None,
            });
        }
        if base_version.is_some_and(|b| b > self.doc.version()) {
            return Err(ApiError::bad_request(format!(
                "base_version is ahead of the playlist (version {})",
                self.doc.version()
            )));
        }
        if let Some(v) = expect_version {
            if v != self.doc.version() {
                return Err(ApiError::conflict(format!(
                    "snapshot_id {v} is stale: the playlist is at {}",
                    self.doc.version()
                )));
            }
        }
        let ops = match ops {
            OpsSource::Ops(ops) => ops,
            OpsSource::Build(build) => build(&self.doc)?,
        };
        if ops.is_empty() {
            // A translated request that changes nothing (e.g. moving a range onto itself).
            let result = EditResult {
                version: self.doc.version(),
                skipped: vec![],
            };
            return Ok(EditOutcome {
                result,
                entry: None,
            });
        }
        let applied = self
            .doc
            .apply_edit(author, at_ms, &ops, &self.limits, new_id)
            .map_err(|e| match e {
                EditError::Invalid(m) | EditError::TooMany(m) => ApiError::bad_request(m),
            })?;
        let result = EditResult {
            version: applied.version,
            skipped: applied.skipped,
        };
        let entry = (!applied.ops.is_empty()).then(|| LogEntry {
            version: applied.version,
            op_id: op_id.to_string(),
            author: author.to_string(),
            at_ms,
            ops: applied.ops,
        });
        let snapshot = entry
            .as_ref()
            .filter(|e| e.version % self.snapshot_every == 0)
            .map(|_| self.doc.to_snapshot());
        let snapshotted = snapshot.is_some();
        let commit = EditCommit {
            playlist_id: self.id.clone(),
            op_id: op_id.to_string(),
            result: result.clone(),
            entry: entry.clone(),
            name: self.doc.name().to_string(),
            description: self.doc.description().to_string(),
            item_count: self.doc.len() as u64,
            at_ms,
            snapshot,
        };
        if let Err(e) = self.repo.commit_edit(commit).await {
            // Memory is ahead of storage: go back to what is durable before answering. When
            // storage cannot even be read (it is down), this core is stale and is dropped.
            if self.reload().await.is_err() {
                self.stale = true;
            }
            return Err(e.into());
        }
        self.remember(op_id, &result);
        if snapshotted {
            // Best effort: a failed compaction only leaves more log behind.
            let _ = self.compact().await;
        }
        Ok(EditOutcome { result, entry })
    }

    /// Whether memory may be ahead of storage (see `stale`): the core must be dropped.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    async fn reload(&mut self) -> ApiResult<()> {
        match Self::load(
            self.repo.clone(),
            &self.id,
            self.limits,
            self.snapshot_every,
        )
        .await?
        {
            Some(fresh) => {
                self.doc = fresh.doc;
                Ok(())
            }
            None => Err(ApiError::not_found("playlist not found")),
        }
    }

    /// Drops log entries older than the window (never past the latest snapshot).
    pub async fn compact(&self) -> StorageResult<()> {
        let upto = self.doc.version().saturating_sub(self.limits.window);
        self.repo.compact(&self.id, upto).await
    }

    /// The committed entries after `since`, when the log still has all of them; None means
    /// the client needs a snapshot.
    pub async fn since(&self, since: u64) -> StorageResult<Option<Vec<LogEntry>>> {
        let now = self.doc.version();
        if since > now {
            return Ok(None);
        }
        if since == now {
            return Ok(Some(vec![]));
        }
        if now - since > self.limits.window {
            return Ok(None);
        }
        let entries = self
            .repo
            .log_after(&self.id, since, (now - since) as u32)
            .await?;
        let complete = entries.len() as u64 == now - since
            && entries.first().is_some_and(|e| e.version == since + 1);
        Ok(complete.then_some(entries))
    }
}

/// Where an edit's ops come from: sent by a client, or built against the current list (REST's
/// index-based requests are translated to id-based ops inside the actor, atomically).
pub enum OpsSource {
    Ops(Vec<Op>),
    Build(OpsBuilder),
}

/// Translates a request into ops against the list as it is when the edit runs.
pub type OpsBuilder = Box<dyn FnOnce(&Playlist) -> ApiResult<Vec<Op>> + Send>;

/// One edit: who, which `op_id`, and its ops. `base_version` (WebSocket) may not be ahead of
/// the playlist; `expect_version` (REST `snapshot_id`) must equal it.
pub struct EditRequest {
    pub author: String,
    pub op_id: String,
    pub base_version: Option<u64>,
    pub expect_version: Option<u64>,
    pub ops: OpsSource,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::playlist::{Op, Snapshot};
    use crate::storage::playlists::{Invite, Member, MemoryPlaylists, PlaylistMeta, Role};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The in-memory repository, with commits and/or reads failing as `Unavailable` on demand
    /// (the database going away between an edit's checks and its commit).
    #[derive(Default)]
    struct Flaky {
        inner: MemoryPlaylists,
        commits_down: AtomicBool,
        reads_down: AtomicBool,
    }

    fn down(flag: &AtomicBool) -> StorageResult<()> {
        if flag.load(Ordering::SeqCst) {
            Err(StorageError::Unavailable("test: the store is away".into()))
        } else {
            Ok(())
        }
    }

    #[async_trait::async_trait]
    impl PlaylistRepo for Flaky {
        async fn create(&self, meta: PlaylistMeta) -> StorageResult<()> {
            self.inner.create(meta).await
        }
        async fn get(&self, id: &str) -> StorageResult<Option<PlaylistMeta>> {
            down(&self.reads_down)?;
            self.inner.get(id).await
        }
        async fn set_flags(
            &self,
            id: &str,
            public: Option<bool>,
            collaborative: Option<bool>,
            at_ms: i64,
        ) -> StorageResult<()> {
            self.inner.set_flags(id, public, collaborative, at_ms).await
        }
        async fn delete(&self, id: &str) -> StorageResult<()> {
            self.inner.delete(id).await
        }
        async fn commit_edit(&self, commit: EditCommit) -> StorageResult<()> {
            down(&self.commits_down)?;
            self.inner.commit_edit(commit).await
        }
        async fn edit_result(&self, id: &str, op_id: &str) -> StorageResult<Option<EditResult>> {
            self.inner.edit_result(id, op_id).await
        }
        async fn latest_snapshot(&self, id: &str) -> StorageResult<Option<Snapshot>> {
            down(&self.reads_down)?;
            self.inner.latest_snapshot(id).await
        }
        async fn log_after(
            &self,
            id: &str,
            after: u64,
            limit: u32,
        ) -> StorageResult<Vec<LogEntry>> {
            down(&self.reads_down)?;
            self.inner.log_after(id, after, limit).await
        }
        async fn log_before(
            &self,
            id: &str,
            before: u64,
            limit: u32,
        ) -> StorageResult<Vec<LogEntry>> {
            self.inner.log_before(id, before, limit).await
        }
        async fn compact(&self, id: &str, upto: u64) -> StorageResult<()> {
            self.inner.compact(id, upto).await
        }
        async fn add_member(&self, id: &str, member: Member) -> StorageResult<()> {
            self.inner.add_member(id, member).await
        }
        async fn remove_member(&self, id: &str, user_id: &str, role: Role) -> StorageResult<()> {
            self.inner.remove_member(id, user_id, role).await
        }
        async fn members(&self, id: &str, role: Role) -> StorageResult<Vec<Member>> {
            self.inner.members(id, role).await
        }
        async fn roles_of(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>> {
            self.inner.roles_of(id, user_id).await
        }
        async fn user_playlists(&self, user_id: &str) -> StorageResult<Vec<(PlaylistMeta, Role)>> {
            self.inner.user_playlists(user_id).await
        }
        async fn create_invite(&self, invite: Invite) -> StorageResult<()> {
            self.inner.create_invite(invite).await
        }
        async fn invite(&self, token: &str) -> StorageResult<Option<Invite>> {
            self.inner.invite(token).await
        }
        async fn invites_of(&self, id: &str) -> StorageResult<Vec<Invite>> {
            self.inner.invites_of(id).await
        }
        async fn use_invite(
            &self,
            token: &str,
            user_id: &str,
            at_ms: i64,
        ) -> StorageResult<crate::storage::playlists::InviteUseOutcome> {
            self.inner.use_invite(token, user_id, at_ms).await
        }
        async fn revoke_invite(&self, token: &str) -> StorageResult<bool> {
            self.inner.revoke_invite(token).await
        }
    }

    fn insert(item: &str) -> EditRequest {
        EditRequest {
            author: "u".into(),
            op_id: format!("op-{item}"),
            base_version: Some(0),
            expect_version: None,
            ops: OpsSource::Ops(vec![Op::Insert {
                after_item_id: None,
                track_ids: vec!["t".into()],
                item_ids: Some(vec![item.into()]),
            }]),
        }
    }

    fn item_ids(core: &PlaylistCore) -> Vec<String> {
        core.doc.items().map(|i| i.item_id.clone()).collect()
    }

    async fn setup() -> (Arc<Flaky>, PlaylistCore) {
        let repo = Arc::new(Flaky::default());
        repo.create(PlaylistMeta {
            id: "p".into(),
            owner_id: "u".into(),
            name: "P".into(),
            description: String::new(),
            public: false,
            collaborative: false,
            version: 0,
            item_count: 0,
            created_at_ms: 0,
            updated_at_ms: 0,
        })
        .await
        .unwrap();
        let limits = Limits {
            max_items: 100,
            max_ops_per_edit: 10,
            window: 10,
        };
        let core = PlaylistCore::load(repo.clone(), "p", limits, 100)
            .await
            .unwrap()
            .unwrap();
        (repo, core)
    }

    #[tokio::test]
    async fn a_failed_commit_is_rolled_back_from_memory() {
        let (repo, mut core) = setup().await;
        let mut gen = crate::storage::new_id;
        core.edit(insert("a"), 1, &mut gen).await.unwrap();
        repo.commits_down.store(true, Ordering::SeqCst);
        let e = core.edit(insert("b"), 2, &mut gen).await.unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::Unavailable);
        assert_eq!(
            item_ids(&core),
            ["a"],
            "the unstored edit is gone from memory"
        );
        assert!(!core.is_stale());
    }

    #[tokio::test]
    async fn a_failed_commit_that_cannot_be_rolled_back_marks_the_core_stale() {
        let (repo, mut core) = setup().await;
        let mut gen = crate::storage::new_id;
        core.edit(insert("a"), 1, &mut gen).await.unwrap();
        repo.commits_down.store(true, Ordering::SeqCst);
        repo.reads_down.store(true, Ordering::SeqCst);
        let e = core.edit(insert("b"), 2, &mut gen).await.unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::Unavailable);
        assert!(
            core.is_stale(),
            "memory holds the unstored edit and storage cannot be read: the core must go"
        );
        // What the owner then does: load afresh once the store is back.
        repo.commits_down.store(false, Ordering::SeqCst);
        repo.reads_down.store(false, Ordering::SeqCst);
        let fresh = PlaylistCore::load(repo.clone(), "p", core.limits, 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item_ids(&fresh), ["a"]);
    }
}
