//! CQL invite limits and uses (`pl_invite_uses`, schema version 4) beside the invite rows of
//! `playlists_members.rs`. A use is taken with `UPDATE ... IF uses = ?` (compare-and-set on the
//! count, read at SERIAL first), so the last use of an invite goes to exactly one user; the same
//! write records who took it, which removing a collaborator needs.

use super::playlists::{serial, ScyllaPlaylists};
use super::playlists_members::invite_ttl;
use super::{internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::{StorageError, StorageResult};
use crate::storage::playlists::{sort_invites, sort_uses, Invite, InviteUse, InviteUseOutcome};
use std::collections::HashMap;

/// Compare-and-set rounds before an accept gives up as contended (each lost round means another
/// user took a use meanwhile, so this bounds work, not correctness).
const CAS_ATTEMPTS: usize = 16;

pub struct InviteQueries {
    put_state: Prepared,
    put_legacy_state: Prepared,
    state: Prepared,
    state_serial: Prepared,
    take: Prepared,
    del_state: Prepared,
    del_index_row: Prepared,
}

impl InviteQueries {
    pub async fn prepare(db: &ScyllaDb) -> StorageResult<InviteQueries> {
        const STATE: &str = "SELECT created_at_ms, max_uses, uses, used_by FROM pl_invite_uses \
                             WHERE invite_token = ?";
        let p = |cql: &'static str, idempotent: bool| db.prepare(cql, idempotent);
        Ok(InviteQueries {
            put_state: p(
                "INSERT INTO pl_invite_uses (invite_token, created_at_ms, max_uses, uses) \
                 VALUES (?, ?, ?, 0) IF NOT EXISTS USING TTL ?",
                false,
            )
            .await?,
            put_legacy_state: p(
                "INSERT INTO pl_invite_uses (invite_token, uses) VALUES (?, 0) \
                 IF NOT EXISTS USING TTL ?",
                false,
            )
            .await?,
            state: p(STATE, true).await?,
            state_serial: serial(p(STATE, true).await?),
            take: p(
                "UPDATE pl_invite_uses USING TTL ? SET uses = ?, used_by = used_by + ? \
                 WHERE invite_token = ? IF uses = ?",
                false,
            )
            .await?,
            del_state: p(
                "DELETE FROM pl_invite_uses WHERE invite_token = ? IF EXISTS",
                false,
            )
            .await?,
            del_index_row: p(
                "DELETE FROM pl_invites_by_playlist WHERE playlist_id = ? AND invite_token = ?",
                true,
            )
            .await?,
        })
    }
}

/// One `pl_invite_uses` row.
struct UseState {
    created_at_ms: Option<i64>,
    max_uses: Option<u32>,
    uses: i32,
    used_by: Vec<InviteUse>,
}

type StateRow = (
    Option<i64>,
    Option<i32>,
    Option<i32>,
    Option<HashMap<String, i64>>,
);

impl ScyllaPlaylists {
    async fn use_state(&self, stmt: &Prepared, token: &str) -> StorageResult<Option<UseState>> {
        let rows = self
            .db
            .execute(stmt, (token,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows.maybe_first_row::<StateRow>().map_err(internal)?.map(
            |(created, max, uses, used_by)| {
                let mut used_by: Vec<InviteUse> = used_by
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(user_id, at_ms)| InviteUse { user_id, at_ms })
                    .collect();
                sort_uses(&mut used_by);
                UseState {
                    created_at_ms: created,
                    max_uses: max.map(|m| m.max(0) as u32),
                    uses: uses.unwrap_or(0),
                    used_by,
                }
            },
        ))
    }

    /// The invite row merged with its limits row (none: stored before limits).
    async fn invite_full(&self, serial_read: bool, token: &str) -> StorageResult<Option<Invite>> {
        let (row, state) = if serial_read {
            (&self.q.invite_serial, &self.iq.state_serial)
        } else {
            (&self.q.invite, &self.iq.state)
        };
        let Some(mut inv) = self.invite_with(row, token).await? else {
            return Ok(None);
        };
        if let Some(st) = self.use_state(state, token).await? {
            inv.created_at_ms = st.created_at_ms;
            inv.max_uses = st.max_uses;
            inv.used_by = st.used_by;
        }
        Ok(Some(inv))
    }

    /// The limits row first, then the invite row: a token is usable only once its invite row
    /// exists, and must never be seen without its limit (it would read as unlimited).
    pub(super) async fn create_invite_rows(&self, i: Invite) -> StorageResult<()> {
        let ttl = invite_ttl(i.expires_at_ms);
        let max = i.max_uses.map(|m| m.min(i32::MAX as u32) as i32);
        match self
            .db
            .execute(&self.iq.put_state, (&i.token, i.created_at_ms, max, ttl))
            .await
        {
            Ok(r) => {
                if !lwt_outcome(r)?.0 {
                    return Err(StorageError::Conflict("invite token in use".into()));
                }
            }
            // Unknown outcome: stored when our exact fresh row is there (read at SERIAL).
            Err(StorageError::Unavailable(why)) => {
                match self.use_state(&self.iq.state_serial, &i.token).await {
                    Ok(Some(st))
                        if st.created_at_ms == i.created_at_ms
                            && st.max_uses == i.max_uses
                            && st.uses == 0 => {}
                    _ => return Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => return Err(e),
        }
        self.put_invite(i).await
    }

    pub(super) async fn get_invite_full(&self, token: &str) -> StorageResult<Option<Invite>> {
        self.invite_full(false, token).await
    }

    pub(super) async fn invites_of_playlist(&self, id: &str) -> StorageResult<Vec<Invite>> {
        let mut out = vec![];
        for token in self.invite_tokens(id).await? {
            // Index rows outlive revoked or expired invites by a little: skip those.
            if let Some(inv) = self.invite_full(false, &token).await? {
                if inv.playlist_id == id {
                    out.push(inv);
                }
            }
        }
        sort_invites(&mut out);
        Ok(out)
    }

    pub(super) async fn take_invite_use(
        &self,
        token: &str,
        user_id: &str,
        at_ms: i64,
    ) -> StorageResult<InviteUseOutcome> {
        for _ in 0..CAS_ATTEMPTS {
            let Some(inv) = self.invite_with(&self.q.invite_serial, token).await? else {
                return Ok(InviteUseOutcome::Gone);
            };
            let ttl = invite_ttl(inv.expires_at_ms);
            let Some(st) = self.use_state(&self.iq.state_serial, token).await? else {
                // Stored before limits: give it its (unlimited) row, then take the use below.
                match self
                    .db
                    .execute(&self.iq.put_legacy_state, (token, ttl))
                    .await
                {
                    Ok(_) | Err(StorageError::Unavailable(_)) => continue,
                    Err(e) => return Err(e),
                }
            };
            if st.used_by.iter().any(|u| u.user_id == user_id) {
                return Ok(InviteUseOutcome::AlreadyUsed);
            }
            if st
                .max_uses
                .is_some_and(|max| i64::from(st.uses) >= i64::from(max))
            {
                return Ok(InviteUseOutcome::Exhausted);
            }
            let entry: HashMap<&str, i64> = HashMap::from([(user_id, at_ms)]);
            let next = st.uses.saturating_add(1);
            match self
                .db
                .execute(&self.iq.take, (ttl, next, entry, token, st.uses))
                .await
            {
                Ok(r) => {
                    if lwt_outcome(r)?.0 {
                        return Ok(InviteUseOutcome::Used);
                    }
                    // Another accept (or a revoke) moved the row first: read it again.
                }
                // Unknown outcome: taken when our use is there now (read at SERIAL).
                Err(StorageError::Unavailable(why)) => {
                    return match self.use_state(&self.iq.state_serial, token).await {
                        Ok(Some(now)) if now.used_by.iter().any(|u| u.user_id == user_id) => {
                            Ok(InviteUseOutcome::Used)
                        }
                        _ => Err(StorageError::Unavailable(why)),
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Err(StorageError::Unavailable(
            "invite: too many concurrent accepts, try again".into(),
        ))
    }

    /// The invite row first (the token is refused from then on), then its limits row and its
    /// index row; a revoke interrupted after the first step has done what matters, and the TTL
    /// removes the rest.
    pub(super) async fn revoke_invite_rows(&self, token: &str) -> StorageResult<bool> {
        let Some(inv) = self.invite_with(&self.q.invite_serial, token).await? else {
            return Ok(false);
        };
        let deleted = self.delete_invite_row(token).await?;
        self.drop_invite_state(token).await?;
        self.db
            .execute(&self.iq.del_index_row, (&inv.playlist_id, token))
            .await?;
        Ok(deleted)
    }

    /// Deletes the limits row of a deleted invite.
    pub(super) async fn drop_invite_state(&self, token: &str) -> StorageResult<()> {
        match self.db.execute(&self.iq.del_state, (token,)).await {
            Ok(_) => Ok(()),
            // Unknown outcome: gone now (read at SERIAL) means deleted.
            Err(StorageError::Unavailable(why)) => {
                match self.use_state(&self.iq.state_serial, token).await {
                    Ok(None) => Ok(()),
                    _ => Err(StorageError::Unavailable(why)),
                }
            }
            Err(e) => Err(e),
        }
    }
}
