//! Playlists repository: details and permissions, the op log of resolved edits, periodic
//! snapshots, per-`op_id` results (de-duplication), members and invite links. Queries are
//! partition-friendly: everything of one playlist by its id (log by version range), a user's
//! playlists by user id.

use crate::domain::playlist::{EditResult, LogEntry, Snapshot};
use crate::error::{StorageError, StorageResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistMeta {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub collaborative: bool,
    pub version: u64,
    pub item_count: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// How a user relates to a playlist (for `GET /v1/me/playlists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Collaborator,
    Follower,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Collaborator => "collaborator",
            Role::Follower => "follower",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "collaborator" => Some(Role::Collaborator),
            "follower" => Some(Role::Follower),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub role: Role,
    pub added_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub token: String,
    pub playlist_id: String,
    pub created_by: String,
    pub expires_at_ms: i64,
    /// None for invites stored before invites had limits: who used those is unknown.
    pub created_at_ms: Option<i64>,
    /// Most accepts; None (invites stored before limits) means no limit until expiry.
    pub max_uses: Option<u32>,
    /// Who accepted it, oldest first (one entry per user).
    pub used_by: Vec<InviteUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteUse {
    pub user_id: String,
    pub at_ms: i64,
}

/// What `use_invite` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteUseOutcome {
    /// One use recorded for the user.
    Used,
    /// The user had used this invite before: nothing recorded, no use taken.
    AlreadyUsed,
    /// Every use is taken.
    Exhausted,
    /// No such invite (never created, revoked, or dropped with its playlist).
    Gone,
}

/// Sorts uses oldest first (ties by user id), the order every backend returns.
pub fn sort_uses(uses: &mut [InviteUse]) {
    uses.sort_by(|a, b| (a.at_ms, &a.user_id).cmp(&(b.at_ms, &b.user_id)));
}

/// Sorts invites oldest first (ones from before limits first, ties by token).
pub fn sort_invites(invites: &mut [Invite]) {
    invites.sort_by(|a, b| (a.created_at_ms, &a.token).cmp(&(b.created_at_ms, &b.token)));
}

/// Everything one committed edit writes, in one durable commit.
#[derive(Debug, Clone)]
pub struct EditCommit {
    pub playlist_id: String,
    pub op_id: String,
    pub result: EditResult,
    /// None when every op was skipped (only the result is recorded).
    pub entry: Option<LogEntry>,
    pub name: String,
    pub description: String,
    pub item_count: u64,
    pub at_ms: i64,
    pub snapshot: Option<Snapshot>,
}

#[async_trait::async_trait]
pub trait PlaylistRepo: Send + Sync {
    /// Creates a playlist at version 0 (no items); `Conflict` when the id exists.
    async fn create(&self, meta: PlaylistMeta) -> StorageResult<()>;
    async fn get(&self, id: &str) -> StorageResult<Option<PlaylistMeta>>;
    /// `NotFound` when there is no such playlist.
    async fn set_flags(
        &self,
        id: &str,
        public: Option<bool>,
        collaborative: Option<bool>,
        at_ms: i64,
    ) -> StorageResult<()>;
    /// Removes the playlist with its log, snapshots, results, members and invites.
    async fn delete(&self, id: &str) -> StorageResult<()>;

    /// Commits an edit atomically: log entry, result under `op_id`, details, optional snapshot.
    /// `Conflict` when the `op_id` or the version is already stored (nothing is written then).
    async fn commit_edit(&self, commit: EditCommit) -> StorageResult<()>;
    /// The stored result of an earlier edit with this `op_id`.
    async fn edit_result(&self, id: &str, op_id: &str) -> StorageResult<Option<EditResult>>;
    async fn latest_snapshot(&self, id: &str) -> StorageResult<Option<Snapshot>>;
    /// Log entries with version > `after`, ascending, at most `limit`.
    async fn log_after(&self, id: &str, after: u64, limit: u32) -> StorageResult<Vec<LogEntry>>;
    /// Log entries with version < `before`, newest first, at most `limit` (activity).
    async fn log_before(&self, id: &str, before: u64, limit: u32) -> StorageResult<Vec<LogEntry>>;
    /// Drops log entries with version <= min(`upto`, latest snapshot version) and every
    /// snapshot but the latest, so a snapshot plus the remaining log always rebuilds the list.
    async fn compact(&self, id: &str, upto: u64) -> StorageResult<()>;

    /// Adds (or refreshes) a collaborator or follower.
    async fn add_member(&self, id: &str, member: Member) -> StorageResult<()>;
    async fn remove_member(&self, id: &str, user_id: &str, role: Role) -> StorageResult<()>;
    async fn members(&self, id: &str, role: Role) -> StorageResult<Vec<Member>>;
    /// The user's roles on the playlist other than ownership.
    async fn roles_of(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>>;
    /// Playlists the user owns, collaborates on or follows (newest first), with the role.
    async fn user_playlists(&self, user_id: &str) -> StorageResult<Vec<(PlaylistMeta, Role)>>;

    /// Stores a new invite; its `used_by` is ignored (a new invite has no uses). `Conflict`
    /// when the token exists.
    async fn create_invite(&self, invite: Invite) -> StorageResult<()>;
    /// The invite with its uses; None when unknown or revoked. Expiry is the caller's check.
    async fn invite(&self, token: &str) -> StorageResult<Option<Invite>>;
    /// The playlist's stored invites, oldest first (see `sort_invites`). Expired ones may still
    /// be listed until the backend drops them; callers filter by `expires_at_ms`.
    async fn invites_of(&self, playlist_id: &str) -> StorageResult<Vec<Invite>>;
    /// Records that `user_id` accepted the invite, atomically against `max_uses`: two users
    /// racing for the last use get one `Used` and one `Exhausted`.
    async fn use_invite(
        &self,
        token: &str,
        user_id: &str,
        at_ms: i64,
    ) -> StorageResult<InviteUseOutcome>;
    /// Deletes the invite and its uses; false when there was no such invite.
    async fn revoke_invite(&self, token: &str) -> StorageResult<bool>;
}

/// Builds the `EditCommit` conflict error with a message.
pub fn duplicate(what: &str) -> StorageError {
    StorageError::Conflict(format!("{what} already stored"))
}

pub mod memory;
pub use memory::MemoryPlaylists;
