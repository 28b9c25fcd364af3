//! SQLite invite links: the invite row (`playlist_invites`) and who accepted it
//! (`playlist_invite_uses`, one row per user). The use count is the number of use rows, so
//! taking a use and recording who took it is one insert inside the writer's transaction.

use super::optional;
use crate::error::StorageResult;
use crate::storage::playlists::{sort_invites, Invite, InviteUse, InviteUseOutcome};
use rusqlite::{params, Connection, Row};

/// Schema step 2 of the playlists domain: invites gain a creation time and a use limit (both
/// NULL for invites stored before, which keep working without a limit until they expire), and
/// their uses get a table.
pub const MIGRATION_INVITE_LIMITS: &str = "
    ALTER TABLE playlist_invites ADD COLUMN created_at_ms INTEGER;
    ALTER TABLE playlist_invites ADD COLUMN max_uses INTEGER;
    CREATE TABLE playlist_invite_uses (
        token TEXT NOT NULL, user_id TEXT NOT NULL, used_at_ms INTEGER NOT NULL,
        PRIMARY KEY (token, user_id)
    ) WITHOUT ROWID";

const COLS: &str = "token, playlist_id, created_by, expires_at_ms, created_at_ms, max_uses";

fn row_invite(r: &Row) -> rusqlite::Result<Invite> {
    Ok(Invite {
        token: r.get(0)?,
        playlist_id: r.get(1)?,
        created_by: r.get(2)?,
        expires_at_ms: r.get(3)?,
        created_at_ms: r.get(4)?,
        max_uses: r
            .get::<_, Option<i64>>(5)?
            .map(|m| m.clamp(0, u32::MAX as i64) as u32),
        used_by: vec![],
    })
}

fn uses_of(c: &Connection, token: &str) -> StorageResult<Vec<InviteUse>> {
    let mut stmt = c.prepare_cached(
        "SELECT user_id, used_at_ms FROM playlist_invite_uses WHERE token = ?1
         ORDER BY used_at_ms, user_id",
    )?;
    let rows = stmt.query_map([token], |r| {
        Ok(InviteUse {
            user_id: r.get(0)?,
            at_ms: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn create(c: &Connection, i: &Invite) -> StorageResult<()> {
    c.execute(
        &format!("INSERT INTO playlist_invites ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            i.token,
            i.playlist_id,
            i.created_by,
            i.expires_at_ms,
            i.created_at_ms,
            i.max_uses.map(i64::from)
        ],
    )?;
    Ok(())
}

pub fn get(c: &Connection, token: &str) -> StorageResult<Option<Invite>> {
    let Some(mut inv) = optional(c.query_row(
        &format!("SELECT {COLS} FROM playlist_invites WHERE token = ?1"),
        [token],
        row_invite,
    ))?
    else {
        return Ok(None);
    };
    inv.used_by = uses_of(c, token)?;
    Ok(Some(inv))
}

pub fn of_playlist(c: &Connection, playlist_id: &str) -> StorageResult<Vec<Invite>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLS} FROM playlist_invites WHERE playlist_id = ?1"
    ))?;
    let mut out = stmt
        .query_map([playlist_id], row_invite)?
        .collect::<Result<Vec<_>, _>>()?;
    for inv in &mut out {
        inv.used_by = uses_of(c, &inv.token)?;
    }
    sort_invites(&mut out);
    Ok(out)
}

/// Runs inside the single writer's transaction, so the count and the insert cannot interleave
/// with another accept.
pub fn take_use(
    c: &Connection,
    token: &str,
    user_id: &str,
    at_ms: i64,
) -> StorageResult<InviteUseOutcome> {
    let Some(inv) = get(c, token)? else {
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
    c.execute(
        "INSERT INTO playlist_invite_uses (token, user_id, used_at_ms) VALUES (?1, ?2, ?3)",
        params![token, user_id, at_ms],
    )?;
    Ok(InviteUseOutcome::Used)
}

pub fn revoke(c: &Connection, token: &str) -> StorageResult<bool> {
    c.execute("DELETE FROM playlist_invite_uses WHERE token = ?1", [token])?;
    Ok(c.execute("DELETE FROM playlist_invites WHERE token = ?1", [token])? > 0)
}

/// With the playlist: its invites' uses (the invites themselves go with the other tables).
pub fn drop_uses_of_playlist(c: &Connection, playlist_id: &str) -> StorageResult<()> {
    c.execute(
        "DELETE FROM playlist_invite_uses WHERE token IN
           (SELECT token FROM playlist_invites WHERE playlist_id = ?1)",
        [playlist_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invite stored before invites had limits (schema step 1) keeps working after the
    /// upgrade: no creation time, no limit, and its uses are recorded from then on.
    #[test]
    fn invites_from_before_limits_survive_the_migration() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE schema_migrations (
                domain TEXT NOT NULL, version INTEGER NOT NULL, applied_at_ms INTEGER NOT NULL,
                PRIMARY KEY (domain, version))",
        )
        .unwrap();
        c.execute_batch(crate::storage::sqlite::playlists::MIGRATIONS[0])
            .unwrap();
        c.execute(
            "INSERT INTO schema_migrations VALUES ('playlists', 1, 0)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO playlist_invites (token, playlist_id, created_by, expires_at_ms)
             VALUES ('old', 'p1', 'owner', 5000)",
            [],
        )
        .unwrap();
        crate::storage::sqlite::migrate(&mut c).unwrap();
        let inv = get(&c, "old").unwrap().unwrap();
        assert_eq!((inv.playlist_id.as_str(), inv.expires_at_ms), ("p1", 5000));
        assert_eq!((inv.created_at_ms, inv.max_uses), (None, None));
        for user in ["a", "b", "c"] {
            assert_eq!(
                take_use(&c, "old", user, 7).unwrap(),
                InviteUseOutcome::Used
            );
        }
        assert_eq!(of_playlist(&c, "p1").unwrap()[0].used_by.len(), 3);
        // Running the migrations again changes nothing.
        crate::storage::sqlite::migrate(&mut c).unwrap();
        assert_eq!(get(&c, "old").unwrap().unwrap().used_by.len(), 3);
    }
}
