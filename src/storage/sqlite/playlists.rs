//! SQLite playlists: details, op log, snapshots, per-op_id results, members, invites.

use super::playlist_invites as invites;
use super::{from_json, optional, to_json, SqliteDb};
use crate::domain::playlist::{EditResult, LogEntry, Snapshot};
use crate::error::{StorageError, StorageResult};
use crate::storage::playlists::{
    duplicate, EditCommit, Invite, InviteUseOutcome, Member, PlaylistMeta, PlaylistRepo, Role,
};
use rusqlite::{params, Connection, Row};

pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE playlists (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        public INTEGER NOT NULL,
        collaborative INTEGER NOT NULL,
        version INTEGER NOT NULL,
        item_count INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE INDEX playlists_by_owner ON playlists (owner_id, created_at_ms);
    CREATE TABLE playlist_log (
        playlist_id TEXT NOT NULL, version INTEGER NOT NULL, op_id TEXT NOT NULL,
        author TEXT NOT NULL, at_ms INTEGER NOT NULL, ops TEXT NOT NULL,
        PRIMARY KEY (playlist_id, version)
    ) WITHOUT ROWID;
    CREATE TABLE playlist_snapshots (
        playlist_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (playlist_id, version)
    ) WITHOUT ROWID;
    CREATE TABLE playlist_edits (
        playlist_id TEXT NOT NULL, op_id TEXT NOT NULL, result TEXT NOT NULL,
        PRIMARY KEY (playlist_id, op_id)
    ) WITHOUT ROWID;
    CREATE TABLE playlist_members (
        playlist_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
        added_at_ms INTEGER NOT NULL,
        PRIMARY KEY (playlist_id, user_id, role)
    ) WITHOUT ROWID;
    CREATE INDEX playlist_members_by_user ON playlist_members (user_id);
    CREATE TABLE playlist_invites (
        token TEXT PRIMARY KEY, playlist_id TEXT NOT NULL, created_by TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL
    );
    CREATE INDEX playlist_invites_by_playlist ON playlist_invites (playlist_id)",
    invites::MIGRATION_INVITE_LIMITS,
];

pub struct SqlitePlaylists(pub SqliteDb);

const META_COLS: &str = "id, owner_id, name, description, public, collaborative, version, \
                         item_count, created_at_ms, updated_at_ms";

fn row_meta(r: &Row) -> rusqlite::Result<PlaylistMeta> {
    Ok(PlaylistMeta {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        public: r.get::<_, i64>(4)? != 0,
        collaborative: r.get::<_, i64>(5)? != 0,
        version: r.get::<_, i64>(6)? as u64,
        item_count: r.get::<_, i64>(7)? as u64,
        created_at_ms: r.get(8)?,
        updated_at_ms: r.get(9)?,
    })
}

fn read_log(
    c: &Connection,
    sql: &str,
    id: String,
    v: u64,
    limit: u32,
) -> StorageResult<Vec<LogEntry>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params![id, v as i64, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (version, op_id, author, at_ms, ops) = row?;
        out.push(LogEntry {
            version: version as u64,
            op_id,
            author,
            at_ms,
            ops: from_json(&ops)?,
        });
    }
    Ok(out)
}

#[async_trait::async_trait]
impl PlaylistRepo for SqlitePlaylists {
    async fn create(&self, m: PlaylistMeta) -> StorageResult<()> {
        self.0
            .write(move |c| {
                c.execute(
                    &format!("INSERT INTO playlists ({META_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"),
                    params![
                        m.id, m.owner_id, m.name, m.description, m.public as i64,
                        m.collaborative as i64, m.version as i64, m.item_count as i64,
                        m.created_at_ms, m.updated_at_ms
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &str) -> StorageResult<Option<PlaylistMeta>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                optional(c.query_row(
                    &format!("SELECT {META_COLS} FROM playlists WHERE id = ?1"),
                    [id],
                    row_meta,
                ))
            })
            .await
    }

    async fn set_flags(
        &self,
        id: &str,
        public: Option<bool>,
        collaborative: Option<bool>,
        at_ms: i64,
    ) -> StorageResult<()> {
        let id = id.to_string();
        self.0
            .write(move |c| {
                let n = c.execute(
                    "UPDATE playlists SET public = COALESCE(?2, public),
                        collaborative = COALESCE(?3, collaborative), updated_at_ms = ?4
                     WHERE id = ?1",
                    params![
                        id,
                        public.map(|b| b as i64),
                        collaborative.map(|b| b as i64),
                        at_ms
                    ],
                )?;
                if n == 0 {
                    Err(StorageError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn delete(&self, id: &str) -> StorageResult<()> {
        let id = id.to_string();
        self.0
            .write(move |c| {
                invites::drop_uses_of_playlist(c, &id)?;
                for table in [
                    "playlist_log",
                    "playlist_snapshots",
                    "playlist_edits",
                    "playlist_members",
                    "playlist_invites",
                ] {
                    c.execute(
                        &format!("DELETE FROM {table} WHERE playlist_id = ?1"),
                        [&id],
                    )?;
                }
                c.execute("DELETE FROM playlists WHERE id = ?1", [&id])?;
                Ok(())
            })
            .await
    }

    async fn commit_edit(&self, e: EditCommit) -> StorageResult<()> {
        let result = to_json(&e.result)?;
        let ops = match &e.entry {
            Some(entry) => Some(to_json(&entry.ops)?),
            None => None,
        };
        let snapshot = match &e.snapshot {
            Some(s) => Some((s.version, to_json(s)?)),
            None => None,
        };
        self.0
            .write(move |c| {
                let current: Option<i64> = optional(c.query_row(
                    "SELECT version FROM playlists WHERE id = ?1",
                    [&e.playlist_id],
                    |r| r.get(0),
                ))?;
                let current = current.ok_or(StorageError::NotFound)? as u64;
                let inserted = c.execute(
                    "INSERT OR IGNORE INTO playlist_edits (playlist_id, op_id, result) VALUES (?1, ?2, ?3)",
                    params![e.playlist_id, e.op_id, result],
                )?;
                if inserted == 0 {
                    return Err(duplicate("op_id"));
                }
                let mut version = current;
                if let (Some(entry), Some(ops)) = (&e.entry, &ops) {
                    if entry.version <= current {
                        return Err(duplicate("version"));
                    }
                    c.execute(
                        "INSERT INTO playlist_log (playlist_id, version, op_id, author, at_ms, ops)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![e.playlist_id, entry.version as i64, entry.op_id, entry.author, entry.at_ms, ops],
                    )?;
                    version = entry.version;
                }
                c.execute(
                    "UPDATE playlists SET version = ?2, name = ?3, description = ?4, item_count = ?5,
                        updated_at_ms = ?6 WHERE id = ?1",
                    params![e.playlist_id, version as i64, e.name, e.description, e.item_count as i64, e.at_ms],
                )?;
                if let Some((v, doc)) = snapshot {
                    c.execute(
                        "INSERT OR REPLACE INTO playlist_snapshots (playlist_id, version, doc) VALUES (?1, ?2, ?3)",
                        params![e.playlist_id, v as i64, doc],
                    )?;
                }
                Ok(())
            })
            .await
    }

    async fn edit_result(&self, id: &str, op_id: &str) -> StorageResult<Option<EditResult>> {
        let (id, op) = (id.to_string(), op_id.to_string());
        let raw: Option<String> = self
            .0
            .read(move |c| {
                optional(c.query_row(
                    "SELECT result FROM playlist_edits WHERE playlist_id = ?1 AND op_id = ?2",
                    params![id, op],
                    |r| r.get(0),
                ))
            })
            .await?;
        raw.map(|s| from_json(&s)).transpose()
    }

    async fn latest_snapshot(&self, id: &str) -> StorageResult<Option<Snapshot>> {
        let id = id.to_string();
        let raw: Option<String> = self
            .0
            .read(move |c| {
                optional(c.query_row(
                    "SELECT doc FROM playlist_snapshots WHERE playlist_id = ?1
                     ORDER BY version DESC LIMIT 1",
                    [id],
                    |r| r.get(0),
                ))
            })
            .await?;
        raw.map(|s| from_json(&s)).transpose()
    }

    async fn log_after(&self, id: &str, after: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                read_log(
                    c,
                    "SELECT version, op_id, author, at_ms, ops FROM playlist_log
                     WHERE playlist_id = ?1 AND version > ?2 ORDER BY version LIMIT ?3",
                    id,
                    after.min(i64::MAX as u64),
                    limit,
                )
            })
            .await
    }

    async fn log_before(&self, id: &str, before: u64, limit: u32) -> StorageResult<Vec<LogEntry>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                read_log(
                    c,
                    "SELECT version, op_id, author, at_ms, ops FROM playlist_log
                     WHERE playlist_id = ?1 AND version < ?2 ORDER BY version DESC LIMIT ?3",
                    id,
                    before.min(i64::MAX as u64),
                    limit,
                )
            })
            .await
    }

    async fn compact(&self, id: &str, upto: u64) -> StorageResult<()> {
        let id = id.to_string();
        self.0
            .write(move |c| {
                let snap: i64 = c.query_row(
                    "SELECT COALESCE(MAX(version), 0) FROM playlist_snapshots WHERE playlist_id = ?1",
                    [&id],
                    |r| r.get(0),
                )?;
                let cut = (upto.min(i64::MAX as u64) as i64).min(snap);
                c.execute(
                    "DELETE FROM playlist_log WHERE playlist_id = ?1 AND version <= ?2",
                    params![id, cut],
                )?;
                c.execute(
                    "DELETE FROM playlist_snapshots WHERE playlist_id = ?1 AND version < ?2",
                    params![id, snap],
                )?;
                Ok(())
            })
            .await
    }

    async fn add_member(&self, id: &str, m: Member) -> StorageResult<()> {
        let id = id.to_string();
        self.0
            .write(move |c| {
                let exists: Option<i64> = optional(c.query_row(
                    "SELECT 1 FROM playlists WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                ))?;
                if exists.is_none() {
                    return Err(StorageError::NotFound);
                }
                c.execute(
                    "INSERT OR REPLACE INTO playlist_members (playlist_id, user_id, role, added_at_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, m.user_id, m.role.as_str(), m.added_at_ms],
                )?;
                Ok(())
            })
            .await
    }

    async fn remove_member(&self, id: &str, user_id: &str, role: Role) -> StorageResult<()> {
        let (id, user) = (id.to_string(), user_id.to_string());
        self.0
            .write(move |c| {
                c.execute(
                    "DELETE FROM playlist_members WHERE playlist_id = ?1 AND user_id = ?2 AND role = ?3",
                    params![id, user, role.as_str()],
                )?;
                Ok(())
            })
            .await
    }

    async fn members(&self, id: &str, role: Role) -> StorageResult<Vec<Member>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT user_id, added_at_ms FROM playlist_members
                     WHERE playlist_id = ?1 AND role = ?2 ORDER BY added_at_ms, user_id",
                )?;
                let rows = stmt.query_map(params![id, role.as_str()], |r| {
                    Ok(Member {
                        user_id: r.get(0)?,
                        role,
                        added_at_ms: r.get(1)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn roles_of(&self, id: &str, user_id: &str) -> StorageResult<Vec<Role>> {
        let (id, user) = (id.to_string(), user_id.to_string());
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT role FROM playlist_members WHERE playlist_id = ?1 AND user_id = ?2
                     ORDER BY role",
                )?;
                let rows = stmt.query_map(params![id, user], |r| r.get::<_, String>(0))?;
                let mut out = vec![];
                for r in rows {
                    if let Some(role) = Role::parse(&r?) {
                        out.push(role);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn user_playlists(&self, user_id: &str) -> StorageResult<Vec<(PlaylistMeta, Role)>> {
        let user = user_id.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {META_COLS}, 'owner', created_at_ms FROM playlists WHERE owner_id = ?1
                     UNION ALL
                     SELECT {cols}, MIN(m.role), MIN(m.added_at_ms) FROM playlist_members m
                       JOIN playlists p ON p.id = m.playlist_id
                       WHERE m.user_id = ?1 AND p.owner_id != ?1 GROUP BY p.id",
                    cols = META_COLS
                        .split(", ")
                        .map(|c| format!("p.{}", c.trim()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))?;
                let rows = stmt.query_map([user], |r| {
                    Ok((row_meta(r)?, r.get::<_, String>(10)?, r.get::<_, i64>(11)?))
                })?;
                let mut out = vec![];
                for row in rows {
                    let (meta, role, at) = row?;
                    out.push((meta, Role::parse(&role).unwrap_or(Role::Follower), at));
                }
                out.sort_by(|a, b| (b.2, &b.0.id).cmp(&(a.2, &a.0.id)));
                Ok(out.into_iter().map(|(m, r, _)| (m, r)).collect())
            })
            .await
    }

    async fn create_invite(&self, i: Invite) -> StorageResult<()> {
        self.0.write(move |c| invites::create(c, &i)).await
    }

    async fn invite(&self, token: &str) -> StorageResult<Option<Invite>> {
        let token = token.to_string();
        self.0.read(move |c| invites::get(c, &token)).await
    }

    async fn invites_of(&self, playlist_id: &str) -> StorageResult<Vec<Invite>> {
        let id = playlist_id.to_string();
        self.0.read(move |c| invites::of_playlist(c, &id)).await
    }

    async fn use_invite(
        &self,
        token: &str,
        user_id: &str,
        at_ms: i64,
    ) -> StorageResult<InviteUseOutcome> {
        let (token, user) = (token.to_string(), user_id.to_string());
        self.0
            .write(move |c| invites::take_use(c, &token, &user, at_ms))
            .await
    }

    async fn revoke_invite(&self, token: &str) -> StorageResult<bool> {
        let token = token.to_string();
        self.0.write(move |c| invites::revoke(c, &token)).await
    }
}
