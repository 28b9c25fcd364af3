//! An in-memory `PlaylistRepo` with the same contract as the durable backends (it passes the
//! same conformance checks); the convergence simulator restarts servers on it thousands of times.

use super::{
    duplicate, sort_invites, sort_uses, EditCommit, Invite, InviteUse, InviteUseOutcome, Member,
    PlaylistMeta, PlaylistRepo, Role,
};
use crate::domain::playlist::{EditResult, LogEntry, Snapshot};
use crate::error::{StorageError, StorageResult};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
struct One {
    meta: Option<PlaylistMeta>,
    log: BTreeMap<u64, LogEntry>,
    snapshots: BTreeMap<u64, Snapshot>,
    results: HashMap<String, EditResult>,
    members: Vec<Member>,
}

#[derive(Default)]
pub struct MemoryPlaylists {
    lists: Mutex<HashMap<String, One>>,
    invites: Mutex<HashMap<String, Invite>>,
}

impl MemoryPlaylists {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl PlaylistRepo for MemoryPlaylists {
    async fn create(&self, meta: PlaylistMeta) -> StorageResult<()> {
        let mut l = self.lists.lock();
        let one = l.entry(meta.id.clone()).or_default();
        if one.meta.is_some() {
            return Err(duplicate("playlist"));
        }
        one.meta = Some(meta);
        Ok(())
    }

    async fn get(&self, id: &str) -> StorageResult<Option<PlaylistMeta>> {
        Ok(self.lists.lock().get(id).and_then(|o| o.meta.clone()))
    }

    async fn set_flags(
        &self,
        id: &str,
        public: Option<bool>,
        collaborative: Option<bool>,
        at_ms: i64,
    ) -> StorageResult<()> {
        let mut l = self.lists.lock();
        let meta = l
            .get_mut(id)
            .and_then(|o| o.meta.as_mut())
            .ok_or(StorageError::NotFound)?;
        if let Some(p) = public {
            meta.public = p;
        }
        if let Some(c) = collaborative {
            meta.collaborative = c;
        }
        meta.updated_at_ms = at_ms;
        Ok(())
    }

    async fn delete(&self, id: &str) -> StorageResult<()> {
        self.lists.lock().remove(id);
        self.invites.lock().retain(|_, i| i.playlist_id != id);
        Ok(())
    }

    async fn commit_edit(&self, c: EditCommit) -> StorageResult<()> {
        let mut l = self.lists.lock();
        let one = l.get_mut(&c.playlist_id).ok_or(StorageError::NotFound)?;
        let Some(meta) = one.meta.as_mut() else {
            return Err(StorageError::NotFound);
        };
        if one.results.contains_key(&c.op_id) {
            return Err(duplicate("op_id"));
        }
        if let Some(e) = &c.entry {
            if one.log.contains_key(&e.version) || e.version <= meta.version {
                return Err(duplicate("version"));
            }
        }
        if let Some(e) = c.entry {
            meta.version = e.version;
            one.log.insert(e.version, e);
        }
        meta.name = c.name;
        meta.description = c.description;
        meta.item_count = c.item_count;
        meta.updated_at_ms = c.at_ms;
        one.results.insert(c.op_id, c.result);
        if let Some(s) = c.snapshot {
            one.snapshots.insert(s.version, s);
        }
        Ok(())
    }

    async fn edit_result(&self, id: &str, op_id: &str) -> StorageResult<Option<EditResult>> {
        Ok(self
            .lists
            .lock()
            .get(id)
            .and_then(|o| o.results.get(op_id).cloned()))
    }

    async fn latest_snapshot(&self, id: &str) -> StorageResult<Option<Snapshot>> {
        Ok(self
            .lists
            .lock()
            .get(id)
            .and_then(|o| o.snapshots.values().next_back().cloned()))
    }

    async fn log_after(&self, id: &str, after: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        Ok(self
            .lists
            .lock()
            .get(id)
            .map(|o| {
                o.log
                    .range(after.saturating_add(1)..)
                    .take(limit as usize)
                    .map(|(_, e)| e.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn log_before(&self, id: &str, before: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        Ok(self
            .lists
            .lock()
            .get(id)
            .map(|o| {
                o.log
                    .range(..before)
                    .rev()
                    .take(limit as usize)
                    .map(|(_, e)| e.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn compact(&self, id: &str, upto: u64) -> StorageResult<()> {
        let mut l = self.lists.lock();
        let Some(one) = l.get_mut(id) else {
            return Ok(());
        };
        let snap = one.snapshots.keys().next_back().copied().unwrap_or(0);
        let cut = upto.min(snap);
        one.log.retain(|v, _| *v > cut);
        one.snapshots.retain(|v, _| *v >= snap);
        Ok(())
    }

    async fn add_member(&self, id: &str, member: Member) -> StorageResult<()> {
        let mut l = self.lists.lock();
        let one = l.get_mut(id).ok_or(StorageError::NotFound)?;
        if one.meta.is_none() {
            return Err(StorageError::NotFound);
        }
        one.members
            .retain(|m| !(m.user_id == member.user_id && m.role == member.role));
        one.members.push(member);
        Ok(())
    }

    async fn remove_member(&self, id: &str, user_id: &str, role: Role) -> StorageResult<()> {
        if let Some(one) = self.lists.lock().get_mut(id) {
            one.members
                .retain(|m| !(m.user_id == user_id && m.role == role));
        }
        Ok(())
    }

    async fn members(&self, id: &str, role: Role) -> StorageResult<Vec<Member>> {
        let mut v: Vec<Member> = self
            .lists
            .lock()
            .get(id)
            .map(|o| {
                o.members
                    .iter()
                    .filter(|m| m.role == role)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| (a.added_at_ms, &a.user_id).cmp(&(b.added_at_ms, &b.user_id)));
        Ok(v)
    }

    async fn roles_of(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>> {
        let mut v: Vec<Role> = self
            .lists
            .lock()
            .get(id)
            .map(|o| {
                o.members
                    .iter()
                    .filter(|m| m.user_id == user_id)
                    .map(|m| m.role)
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|r| r.as_str());
        Ok(v)
    }

    async fn user_playlists(&self, user_id: &str) -> StorageResult<Vec<(PlaylistMeta, Role)>> {
        let l = self.lists.lock();
        let mut out = vec![];
        for one in l.values() {
            let Some(meta) = &one.meta else { continue };
            if meta.owner_id == user_id {
                out.push((meta.clone(), Role::Owner, meta.created_at_ms));
            } else if let Some(m) = one
                .members
                .iter()
                .filter(|m| m.user_id == user_id)
                .min_by_key(|m| m.role != Role::Collaborator)
            {
                out.push((meta.clone(), m.role, m.added_at_ms));
            }
        }
        out.sort_by(|a, b| (b.2, &b.0.id).cmp(&(a.2, &a.0.id)));
        Ok(out.into_iter().map(|(m, r, _)| (m, r)).collect())
    }

    async fn create_invite(&self, invite: Invite) -> StorageResult<()> {
        let mut i = self.invites.lock();
        if i.contains_key(&invite.token) {
            return Err(duplicate("invite"));
        }
        let mut invite = invite;
        invite.used_by.clear();
        i.insert(invite.token.clone(), invite);
        Ok(())
    }

    async fn invite(&self, token: &str) -> StorageResult<Option<Invite>> {
        Ok(self.invites.lock().get(token).cloned())
    }

    async fn invites_of(&self, playlist_id: &str) -> StorageResult<Vec<Invite>> {
        let mut out: Vec<Invite> = self
            .invites
            .lock()
            .values()
            .filter(|i| i.playlist_id == playlist_id)
            .cloned()
            .collect();
        sort_invites(&mut out);
        Ok(out)
    }

    async fn use_invite(
        &self,
        token: &str,
        user_id: &str,
        at_ms: i64,
    ) -> StorageResult<InviteUseOutcome> {
        let mut all = self.invites.lock();
        let Some(inv) = all.get_mut(token) else {
            return Ok(InviteUseOutcome::Gone);
        };
        if inv.used_by.iter().any(|u| u.user_id == user_id) {
            return Ok(InviteUseOutcome::AlreadyUsed);
        }
        if inv
            .max_uses
            .is_some_and(|max| inv.used_by.len() >= max as usize)
        {
            return Ok(InviteUseOutcome::Exhausted);
        }
        inv.used_by.push(InviteUse {
            user_id: user_id.to_string(),
            at_ms,
        });
        sort_uses(&mut inv.used_by);
        Ok(InviteUseOutcome::Used)
    }

    async fn revoke_invite(&self, token: &str) -> StorageResult<bool> {
        Ok(self.invites.lock().remove(token).is_some())
    }
}
