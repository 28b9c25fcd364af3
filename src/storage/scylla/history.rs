//! CQL play history: events claimed once by `INSERT ... IF NOT EXISTS` (`play_events`), streams
//! newest first in per-user, per-month partitions (`user_streams`, walked via
//! `user_stream_months`), per-user and per-track stream counters.

use super::{bucket_of, internal, lwt_outcome, Prepared, ScyllaDb};
use crate::error::StorageResult;
use crate::storage::history::{HistoryRepo, PlayEvent};
use scylla::value::{Counter, CqlValue};

/// Buckets of `track_play_counts` (schema version 1: FNV-1a(track_id) mod 32).
const COUNT_BUCKETS: u32 = 32;

/// The UTC calendar month of a time as YYYYMM (civil-from-days, proleptic Gregorian).
pub fn month_of(ms: i64) -> i32 {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y * 100 + m) as i32
}

pub struct ScyllaHistory {
    db: ScyllaDb,
    claim: Prepared,
    add_stream: Prepared,
    add_month: Prepared,
    count_user: Prepared,
    count_track: Prepared,
    months: Prepared,
    months_upto: Prepared,
    streams_first: Prepared,
    streams_before: Prepared,
    user_counts: Prepared,
    track_counts: Prepared,
}

type StreamRow = (
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

impl ScyllaHistory {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaHistory> {
        const STREAM_COLS: &str =
            "played_at_ms, event_id, track_id, ms_played, device_id, context_uri";
        Ok(ScyllaHistory {
            claim: db
                .prepare(
                    "INSERT INTO play_events (user_id, event_id, played_at_ms, track_id, \
                     ms_played, device_id, context_uri, stream) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                     IF NOT EXISTS",
                    false,
                )
                .await?,
            add_stream: db
                .prepare(
                    &format!(
                        "INSERT INTO user_streams (user_id, month, {STREAM_COLS}) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    true,
                )
                .await?,
            add_month: db
                .prepare(
                    "INSERT INTO user_stream_months (user_id, month) VALUES (?, ?)",
                    true,
                )
                .await?,
            // Counter updates are not idempotent: never retried by the driver.
            count_user: db
                .prepare(
                    "UPDATE user_track_streams SET streams = streams + 1 \
                     WHERE user_id = ? AND track_id = ?",
                    false,
                )
                .await?,
            count_track: db
                .prepare(
                    "UPDATE track_play_counts SET streams = streams + 1 \
                     WHERE bucket = ? AND track_id = ?",
                    false,
                )
                .await?,
            months: db
                .prepare(
                    "SELECT month FROM user_stream_months WHERE user_id = ?",
                    true,
                )
                .await?,
            months_upto: db
                .prepare(
                    "SELECT month FROM user_stream_months WHERE user_id = ? AND month <= ?",
                    true,
                )
                .await?,
            streams_first: db
                .prepare(
                    &format!(
                        "SELECT {STREAM_COLS} FROM user_streams WHERE user_id = ? AND month = ? \
                         LIMIT ?"
                    ),
                    true,
                )
                .await?,
            streams_before: db
                .prepare(
                    &format!(
                        "SELECT {STREAM_COLS} FROM user_streams WHERE user_id = ? AND month = ? \
                         AND (played_at_ms, event_id) < (?, ?) LIMIT ?"
                    ),
                    true,
                )
                .await?,
            user_counts: db
                .prepare(
                    "SELECT track_id, streams FROM user_track_streams WHERE user_id = ?",
                    true,
                )
                .await?,
            track_counts: db
                .prepare(
                    "SELECT track_id, streams FROM track_play_counts WHERE bucket = ? \
                     AND track_id > ? LIMIT ?",
                    true,
                )
                .await?,
            db,
        })
    }

    /// Records one event; `true` when it was new.
    async fn record_one(&self, e: &PlayEvent) -> StorageResult<bool> {
        let result = self
            .db
            .execute(
                &self.claim,
                (
                    &e.user_id,
                    &e.event_id,
                    e.played_at_ms,
                    &e.track_id,
                    e.ms_played,
                    &e.device_id,
                    &e.context_uri,
                    e.stream,
                ),
            )
            .await?;
        let (applied, current) = lwt_outcome(result)?;
        // A re-reported event rewrites its stream row from the first report (idempotent), which
        // repairs a record interrupted after the claim; it is not counted again.
        let (at, stream) = if applied {
            (e.played_at_ms, e.stream)
        } else {
            let at = match current.get("played_at_ms") {
                Some(CqlValue::BigInt(t)) => *t,
                _ => e.played_at_ms,
            };
            let stream = matches!(current.get("stream"), Some(CqlValue::Boolean(true)));
            (at, stream)
        };
        if stream {
            let month = month_of(at);
            self.db
                .execute(
                    &self.add_stream,
                    (
                        &e.user_id,
                        month,
                        at,
                        &e.event_id,
                        &e.track_id,
                        e.ms_played,
                        &e.device_id,
                        &e.context_uri,
                    ),
                )
                .await?;
            self.db
                .execute(&self.add_month, (&e.user_id, month))
                .await?;
        }
        if applied && e.stream {
            self.db
                .execute(&self.count_user, (&e.user_id, &e.track_id))
                .await?;
            self.db
                .execute(
                    &self.count_track,
                    (bucket_of(&e.track_id, COUNT_BUCKETS), &e.track_id),
                )
                .await?;
        }
        Ok(applied)
    }

    async fn user_months(&self, user_id: &str, upto: Option<i32>) -> StorageResult<Vec<i32>> {
        let result = match upto {
            None => self.db.execute(&self.months, (user_id,)).await,
            Some(m) => self.db.execute(&self.months_upto, (user_id, m)).await,
        }?;
        let rows = result.into_rows_result().map_err(internal)?;
        rows.rows::<(i32,)>()
            .map_err(internal)?
            .map(|r| r.map(|(m,)| m).map_err(internal))
            .collect()
    }
}

#[async_trait::async_trait]
impl HistoryRepo for ScyllaHistory {
    async fn record(&self, events: Vec<PlayEvent>) -> StorageResult<usize> {
        // One event at a time: a batch may repeat an event id, and the claim decides.
        let mut new = 0;
        for e in &events {
            if self.record_one(e).await? {
                new += 1;
            }
        }
        Ok(new)
    }

    async fn recent(
        &self,
        user_id: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> StorageResult<Vec<PlayEvent>> {
        let limit = limit.clamp(1, 1_000) as usize;
        let months = self
            .user_months(user_id, before.as_ref().map(|(at, _)| month_of(*at)))
            .await?;
        let mut out = Vec::new();
        for month in months {
            let want = (limit - out.len()) as i32;
            let result = match &before {
                Some((at, id)) if month_of(*at) == month => {
                    self.db
                        .execute(&self.streams_before, (user_id, month, *at, id, want))
                        .await
                }
                _ => {
                    self.db
                        .execute(&self.streams_first, (user_id, month, want))
                        .await
                }
            }?;
            let rows = result.into_rows_result().map_err(internal)?;
            for r in rows.rows::<StreamRow>().map_err(internal)? {
                let (played_at_ms, event_id, track_id, ms_played, device_id, context_uri) =
                    r.map_err(internal)?;
                out.push(PlayEvent {
                    user_id: user_id.to_string(),
                    event_id,
                    track_id: track_id.unwrap_or_default(),
                    played_at_ms,
                    ms_played: ms_played.unwrap_or_default(),
                    device_id,
                    context_uri,
                    stream: true,
                });
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    async fn top_tracks(&self, user_id: &str, limit: u32) -> StorageResult<Vec<(String, u64)>> {
        let rows: Vec<(String, Option<Counter>)> =
            self.db.read_all(&self.user_counts, (user_id,)).await?;
        let mut all: Vec<(String, u64)> = rows
            .into_iter()
            .map(|(t, n)| (t, n.map_or(0, |c| c.0.max(0) as u64)))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(limit as usize);
        Ok(all)
    }

    async fn track_counts_after(
        &self,
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<(String, u64)>> {
        let limit = limit.clamp(1, 10_000);
        // Each bucket is ordered by track id; the first `limit` of each, merged, are the page.
        let reads = (0..COUNT_BUCKETS as i32).map(|bucket| async move {
            let rows = self
                .db
                .execute(&self.track_counts, (bucket, after, limit as i32))
                .await?
                .into_rows_result()
                .map_err(internal)?;
            rows.rows::<(String, Option<Counter>)>()
                .map_err(internal)?
                .map(|r| {
                    r.map(|(t, n)| (t, n.map_or(0, |c| c.0.max(0) as u64)))
                        .map_err(internal)
                })
                .collect::<StorageResult<Vec<_>>>()
        });
        let mut all: Vec<(String, u64)> = futures_util::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.truncate(limit as usize);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::month_of;

    #[test]
    fn months_are_utc_calendar_months() {
        assert_eq!(month_of(0), 197001);
        assert_eq!(month_of(-1), 196912);
        // 2024-02-29T23:59:59.999Z and the next millisecond.
        assert_eq!(month_of(1_709_251_199_999), 202402);
        assert_eq!(month_of(1_709_251_200_000), 202403);
    }
}
