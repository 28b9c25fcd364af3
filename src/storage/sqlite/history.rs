//! SQLite history: play events, per-user and per-track stream counts.

use super::SqliteDb;
use crate::error::StorageResult;
use crate::storage::history::{HistoryRepo, PlayEvent};
use rusqlite::{params, Row};

pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE plays (
        user_id TEXT NOT NULL, event_id TEXT NOT NULL, track_id TEXT NOT NULL,
        played_at_ms INTEGER NOT NULL, ms_played INTEGER NOT NULL,
        device_id TEXT, context_uri TEXT, stream INTEGER NOT NULL,
        PRIMARY KEY (user_id, event_id)
    ) WITHOUT ROWID;
    CREATE INDEX plays_streams_by_time ON plays (user_id, played_at_ms DESC, event_id DESC)
        WHERE stream = 1;
    CREATE TABLE user_track_streams (
        user_id TEXT NOT NULL, track_id TEXT NOT NULL, streams INTEGER NOT NULL,
        PRIMARY KEY (user_id, track_id)
    ) WITHOUT ROWID;
    CREATE TABLE track_streams (track_id TEXT PRIMARY KEY, streams INTEGER NOT NULL) WITHOUT ROWID",
];

pub struct SqliteHistory(pub SqliteDb);

const COLS: &str =
    "user_id, event_id, track_id, played_at_ms, ms_played, device_id, context_uri, stream";

fn row_event(r: &Row) -> rusqlite::Result<PlayEvent> {
    Ok(PlayEvent {
        user_id: r.get(0)?,
        event_id: r.get(1)?,
        track_id: r.get(2)?,
        played_at_ms: r.get(3)?,
        ms_played: r.get(4)?,
        device_id: r.get(5)?,
        context_uri: r.get(6)?,
        stream: r.get::<_, i64>(7)? != 0,
    })
}

#[async_trait::async_trait]
impl HistoryRepo for SqliteHistory {
    async fn record(&self, events: Vec<PlayEvent>) -> StorageResult<usize> {
        self.0
            .write(move |c| {
                let mut ins = c.prepare_cached(&format!(
                    "INSERT OR IGNORE INTO plays ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ))?;
                let mut per_user = c.prepare_cached(
                    "INSERT INTO user_track_streams (user_id, track_id, streams) VALUES (?1, ?2, 1)
                     ON CONFLICT(user_id, track_id) DO UPDATE SET streams = streams + 1",
                )?;
                let mut per_track = c.prepare_cached(
                    "INSERT INTO track_streams (track_id, streams) VALUES (?1, 1)
                     ON CONFLICT(track_id) DO UPDATE SET streams = streams + 1",
                )?;
                let mut new = 0;
                for e in events {
                    let n = ins.execute(params![
                        e.user_id,
                        e.event_id,
                        e.track_id,
                        e.played_at_ms,
                        e.ms_played,
                        e.device_id,
                        e.context_uri,
                        e.stream as i64
                    ])?;
                    if n == 1 {
                        new += 1;
                        if e.stream {
                            per_user.execute(params![e.user_id, e.track_id])?;
                            per_track.execute(params![e.track_id])?;
                        }
                    }
                }
                Ok(new)
            })
            .await
    }

    async fn recent(
        &self,
        user: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<PlayEvent>> {
        let user = user.to_string();
        self.0
            .read(move |c| {
                let (at, id) = before.unwrap_or((i64::MAX, String::new()));
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {COLS} FROM plays WHERE user_id = ?1 AND stream = 1
                       AND (played_at_ms < ?2 OR (played_at_ms = ?2 AND (?3 = '' OR event_id < ?3)))
                     ORDER BY played_at_ms DESC, event_id DESC LIMIT ?4"
                ))?;
                let rows = stmt.query_map(params![user, at, id, limit], row_event)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn top_tracks(&self, user: &str, limit: u32) -> StorageResult<Vec<(String, u64)>> {
        let user = user.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT track_id, streams FROM user_track_streams WHERE user_id = ?1
                     ORDER BY streams DESC, track_id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![user, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn track_counts_after(
        &self,
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<(String, u64)>> {
        let after = after.to_string();
        self.0
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT track_id, streams FROM track_streams WHERE track_id > ?1
                     ORDER BY track_id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
