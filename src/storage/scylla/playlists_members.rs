//! CQL playlists, part two: the prepared statements of the playlist repository, and its
//! members (`pl_members`), a user's playlists (`pl_user`) and invite links (`pl_invites`).

use super::playlists::{serial, ScyllaPlaylists};
use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::playlists::{Invite, Member, PlaylistMeta, Role};
use std::collections::HashMap;

/// Invite rows outlive their expiry by a day (the caller checks `expires_at_ms`), then expire.
const INVITE_GRACE_S: i64 = 86_400;
/// The largest TTL CQL accepts (20 years).
const MAX_TTL_S: i64 = 630_720_000;

/// The TTL (seconds) of an invite's rows: until its expiry plus the grace.
pub(super) fn invite_ttl(expires_at_ms: i64) -> i32 {
    let remaining_s = expires_at_ms.saturating_sub(super::now_ms()).max(0) / 1000;
    remaining_s.saturating_add(INVITE_GRACE_S).min(MAX_TTL_S) as i32
}

pub struct Queries {
    pub meta: Prepared,
    pub meta_serial: Prepared,
    pub create: Prepared,
    pub set_flags: Prepared,
    pub commit: Prepared,
    pub delete_meta: Prepared,
    pub put_log: Prepared,
    pub log_range: Prepared,
    pub log_range_desc: Prepared,
    pub drop_block: Prepared,
    pub trim_block: Prepared,
    pub put_snapshot: Prepared,
    pub snapshot: Prepared,
    pub trim_snapshots: Prepared,
    pub drop_snapshots: Prepared,
    pub put_result: Prepared,
    pub result: Prepared,
    pub drop_results: Prepared,
    put_member: Prepared,
    del_member: Prepared,
    members: Prepared,
    all_members: Prepared,
    has_role: Prepared,
    drop_members: Prepared,
    put_user: Prepared,
    del_user: Prepared,
    user_rows: Prepared,
    put_invite: Prepared,
    put_invite_index: Prepared,
    pub(super) invite: Prepared,
    pub(super) invite_serial: Prepared,
    invites_of: Prepared,
    del_invite: Prepared,
    drop_invite_index: Prepared,
}

impl Queries {
    pub async fn prepare(db: &ScyllaDb) -> StorageResult<Queries> {
        const META: &str = "SELECT id, owner_id, name, description, public, collaborative, \
                            version, item_count, created_at_ms, updated_at_ms FROM pl_meta \
                            WHERE id = ?";
        const LOG: &str = "SELECT version, op_id, author, at_ms, ops FROM pl_log \
                           WHERE playlist_id = ? AND block = ? AND version > ? AND version <= ?";
        const INVITE: &str = "SELECT invite_token, playlist_id, created_by, expires_at_ms \
                              FROM pl_invites WHERE invite_token = ?";
        let p = |cql: &'static str, idempotent: bool| db.prepare(cql, idempotent);
        Ok(Queries {
            meta: p(META, true).await?,
            meta_serial: serial(p(META, true).await?),
            create: p(
                "INSERT INTO pl_meta (id, owner_id, name, description, public, collaborative, \
                 version, item_count, created_at_ms, updated_at_ms) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
                false,
            )
            .await?,
            set_flags: p(
                "UPDATE pl_meta SET public = ?, collaborative = ?, updated_at_ms = ? \
                 WHERE id = ? IF EXISTS",
                false,
            )
            .await?,
            commit: p(
                "UPDATE pl_meta SET version = ?, name = ?, description = ?, item_count = ?, \
                 updated_at_ms = ? WHERE id = ? IF version = ?",
                false,
            )
            .await?,
            delete_meta: p("DELETE FROM pl_meta WHERE id = ? IF EXISTS", false).await?,
            put_log: p(
                "INSERT INTO pl_log (playlist_id, block, version, op_id, author, at_ms, ops) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                true,
            )
            .await?,
            log_range: db
                .prepare(&format!("{LOG} ORDER BY version ASC LIMIT ?"), true)
                .await?,
            log_range_desc: db
                .prepare(&format!("{LOG} ORDER BY version DESC LIMIT ?"), true)
                .await?,
            drop_block: p(
                "DELETE FROM pl_log WHERE playlist_id = ? AND block = ?",
                true,
            )
            .await?,
            trim_block: p(
                "DELETE FROM pl_log WHERE playlist_id = ? AND block = ? AND version <= ?",
                true,
            )
            .await?,
            put_snapshot: p(
                "INSERT INTO pl_snapshots (playlist_id, version, doc) VALUES (?, ?, ?)",
                true,
            )
            .await?,
            snapshot: p(
                "SELECT doc FROM pl_snapshots WHERE playlist_id = ? AND version <= ? LIMIT 1",
                true,
            )
            .await?,
            trim_snapshots: p(
                "DELETE FROM pl_snapshots WHERE playlist_id = ? AND version < ?",
                true,
            )
            .await?,
            drop_snapshots: p("DELETE FROM pl_snapshots WHERE playlist_id = ?", true).await?,
            put_result: p(
                "INSERT INTO pl_results (playlist_id, op_id, version, result) VALUES (?, ?, ?, ?)",
                true,
            )
            .await?,
            result: p(
                "SELECT version, result FROM pl_results WHERE playlist_id = ? AND op_id = ?",
                true,
            )
            .await?,
            drop_results: p("DELETE FROM pl_results WHERE playlist_id = ?", true).await?,
            put_member: p(
                "INSERT INTO pl_members (playlist_id, role, user_id, added_at_ms) \
                 VALUES (?, ?, ?, ?)",
                true,
            )
            .await?,
            del_member: p(
                "DELETE FROM pl_members WHERE playlist_id = ? AND role = ? AND user_id = ?",
                true,
            )
            .await?,
            members: p(
                "SELECT user_id, added_at_ms FROM pl_members WHERE playlist_id = ? AND role = ?",
                true,
            )
            .await?,
            all_members: p(
                "SELECT role, user_id FROM pl_members WHERE playlist_id = ?",
                true,
            )
            .await?,
            has_role: p(
                "SELECT user_id FROM pl_members WHERE playlist_id = ? AND role = ? \
                 AND user_id = ?",
                true,
            )
            .await?,
            drop_members: p("DELETE FROM pl_members WHERE playlist_id = ?", true).await?,
            put_user: p(
                "INSERT INTO pl_user (user_id, playlist_id, role, added_at_ms) \
                 VALUES (?, ?, ?, ?)",
                true,
            )
            .await?,
            del_user: p(
                "DELETE FROM pl_user WHERE user_id = ? AND playlist_id = ? AND role = ?",
                true,
            )
            .await?,
            user_rows: p(
                "SELECT playlist_id, role, added_at_ms FROM pl_user WHERE user_id = ?",
                true,
            )
            .await?,
            put_invite: p(
                "INSERT INTO pl_invites (invite_token, playlist_id, created_by, expires_at_ms) \
                 VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?",
                false,
            )
            .await?,
            put_invite_index: p(
                "INSERT INTO pl_invites_by_playlist (playlist_id, invite_token) VALUES (?, ?) \
                 USING TTL ?",
                true,
            )
            .await?,
            invite: p(INVITE, true).await?,
            invite_serial: serial(p(INVITE, true).await?),
            invites_of: p(
                "SELECT invite_token FROM pl_invites_by_playlist WHERE playlist_id = ?",
                true,
            )
            .await?,
            del_invite: p(
                "DELETE FROM pl_invites WHERE invite_token = ? IF EXISTS",
                false,
            )
            .await?,
            drop_invite_index: p(
                "DELETE FROM pl_invites_by_playlist WHERE playlist_id = ?",
                true,
            )
            .await?,
        })
    }
}

impl ScyllaPlaylists {
    pub(super) async fn add_user_row(
        &self,
        user_id: &str,
        id: &str,
        role: Role,
        at_ms: i64,
    ) -> StorageResult<()> {
        self.db
            .execute(&self.q.put_user, (user_id, id, role.as_str(), at_ms))
            .await?;
        Ok(())
    }

    pub(super) async fn add_member_rows(&self, id: &str, m: Member) -> StorageResult<()> {
        if self.meta_with(&self.q.meta, id).await?.is_none() {
            return Err(StorageError::NotFound);
        }
        // The user's row first: a user row without a member row is skipped by readers that
        // check membership, while a member row is what grants rights.
        self.add_user_row(&m.user_id, id, m.role, m.added_at_ms)
            .await?;
        self.db
            .execute(
                &self.q.put_member,
                (id, m.role.as_str(), &m.user_id, m.added_at_ms),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn remove_member_rows(
        &self,
        id: &str,
        user_id: &str,
        role: Role,
    ) -> StorageResult<()> {
        self.db
            .execute(&self.q.del_member, (id, role.as_str(), user_id))
            .await?;
        self.db
            .execute(&self.q.del_user, (user_id, id, role.as_str()))
            .await?;
        Ok(())
    }

    pub(super) async fn members_of(&self, id: &str, role: Role) -> StorageResult<Vec<Member>> {
        let rows = self
            .db
            .execute(&self.q.members, (id, role.as_str()))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let mut out = rows
            .rows::<(String, Option<i64>)>()
            .map_err(internal)?
            .map(|r| {
                let (user_id, at) = r.map_err(internal)?;
                Ok(Member {
                    user_id,
                    role,
                    added_at_ms: at.unwrap_or_default(),
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        out.sort_by(|a, b| (a.added_at_ms, &a.user_id).cmp(&(b.added_at_ms, &b.user_id)));
        Ok(out)
    }

    pub(super) async fn roles(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>> {
        let mut out = vec![];
        for role in [Role::Collaborator, Role::Follower] {
            let rows = self
                .db
                .execute(&self.q.has_role, (id, role.as_str(), user_id))
                .await?
                .into_rows_result()
                .map_err(internal)?;
            if rows.rows_num() > 0 {
                out.push(role);
            }
        }
        Ok(out)
    }

    pub(super) async fn playlists_of(
        &self,
        user_id: &str,
    ) -> StorageResult<Vec<(PlaylistMeta, Role)>> {
        let rows = self
            .db
            .execute(&self.q.user_rows, (user_id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        // Per playlist: the owner role wins, else the first role by name (as SQLite's MIN).
        let mut best: HashMap<String, (String, i64)> = HashMap::new();
        for r in rows
            .rows::<(String, String, Option<i64>)>()
            .map_err(internal)?
        {
            let (pid, role, at) = r.map_err(internal)?;
            let at = at.unwrap_or_default();
            let e = best.entry(pid).or_insert_with(|| (role.clone(), at));
            let rank = |r: &str| (r != "owner", r.to_string());
            if rank(&role) < rank(&e.0) {
                e.0 = role;
            }
            if e.0 != "owner" {
                e.1 = e.1.min(at);
            }
        }
        let metas = futures_util::future::try_join_all(
            best.keys().map(|pid| self.meta_with(&self.q.meta, pid)),
        )
        .await?;
        let mut out = vec![];
        for meta in metas.into_iter().flatten() {
            let Some((role, at)) = best.get(&meta.id) else {
                continue;
            };
            let role = Role::parse(role).unwrap_or(Role::Follower);
            // A leftover owner row (a create that lost on the id) names someone else's list.
            if (role == Role::Owner) != (meta.owner_id == user_id) {
                continue;
            }
            let at = if role == Role::Owner {
                meta.created_at_ms
            } else {
                *at
            };
            out.push((meta, role, at));
        }
        out.sort_by(|a, b| (b.2, &b.0.id).cmp(&(a.2, &a.0.id)));
        Ok(out.into_iter().map(|(m, r, _)| (m, r)).collect())
    }

    /// Deletes members (with their user rows), the owner's row and the invites.
    pub(super) async fn delete_members_and_invites(
        &self,
        meta: &PlaylistMeta,
    ) -> StorageResult<()> {
        let id = meta.id.as_str();
        let rows = self
            .db
            .execute(&self.q.all_members, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let mut user_rows = vec![(meta.owner_id.clone(), "owner".to_string())];
        for r in rows.rows::<(String, String)>().map_err(internal)? {
            let (role, user) = r.map_err(internal)?;
            user_rows.push((user, role));
        }
        for (user, role) in &user_rows {
            self.db.execute(&self.q.del_user, (user, id, role)).await?;
        }
        self.db.execute(&self.q.drop_members, (id,)).await?;
        for token in self.invite_tokens(id).await? {
            self.delete_invite_row(&token).await?;
            self.drop_invite_state(&token).await?;
        }
        self.db.execute(&self.q.drop_invite_index, (id,)).await?;
        Ok(())
    }

    /// The tokens of a playlist's invites (index rows; some invites may be gone already).
    pub(super) async fn invite_tokens(&self, id: &str) -> StorageResult<Vec<String>> {
        let rows = self
            .db
            .execute(&self.q.invites_of, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        let mut out = vec![];
        for r in rows.rows::<(String,)>().map_err(internal)? {
            out.push(r.map_err(internal)?.0);
        }
        Ok(out)
    }

    /// Deletes one invite row; false when it was not there.
    pub(super) async fn delete_invite_row(&self, token: &str) -> StorageResult<bool> {
        match self.db.execute(&self.q.del_invite, (token,)).await {
            Ok(r) => Ok(lwt_outcome(r)?.0),
            // Unknown outcome: gone now (read at SERIAL) means deleted.
            Err(StorageError::Unavailable(why)) => {
                match self.invite_with(&self.q.invite_serial, token).await {
                    Ok(None) => Ok(true),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the invite row and its index row (the limits row is written before, by
    /// `create_invite_rows`).
    pub(super) async fn put_invite(&self, i: Invite) -> StorageResult<()> {
        let ttl = invite_ttl(i.expires_at_ms);
        // The index row first, so deleting the playlist finds every invite that exists.
        self.db
            .execute(&self.q.put_invite_index, (&i.playlist_id, &i.token, ttl))
            .await?;
        let result = self
            .db
            .execute(
                &self.q.put_invite,
                (
                    &i.token,
                    &i.playlist_id,
                    &i.created_by,
                    i.expires_at_ms,
                    ttl,
                ),
            )
            .await;
        match result {
            Ok(r) => {
                if lwt_outcome(r)?.0 {
                    Ok(())
                } else {
                    Err(StorageError::Conflict("invite token in use".into()))
                }
            }
            // Unknown outcome: stored when our exact invite is there (read at SERIAL).
            Err(StorageError::Unavailable(why)) => {
                match self.invite_with(&self.q.invite_serial, &i.token).await {
                    Ok(Some(stored))
                        if stored.playlist_id == i.playlist_id
                            && stored.created_by == i.created_by
                            && stored.expires_at_ms == i.expires_at_ms =>
                    {
                        Ok(())
                    }
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The invite row alone (limits and uses live in `pl_invite_uses`).
    pub(super) async fn invite_with(
        &self,
        stmt: &Prepared,
        token: &str,
    ) -> StorageResult<Option<Invite>> {
        let rows = self
            .db
            .execute(stmt, (token,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(String, Option<String>, Option<String>, Option<i64>)>()
            .map_err(internal)?
            .map(|(token, playlist_id, created_by, expires)| Invite {
                token,
                playlist_id: playlist_id.unwrap_or_default(),
                created_by: created_by.unwrap_or_default(),
                expires_at_ms: expires.unwrap_or_default(),
                created_at_ms: None,
                max_uses: None,
                used_by: vec![],
            }))
    }
}
