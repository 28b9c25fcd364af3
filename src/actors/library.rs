//! Play history rules: recording play events (idempotent by event id; a play counts as a stream
//! after `history.stream_threshold_ms`) and the periodic job that folds per-track stream counts
//! into catalog popularity.

use crate::domain::playlist::valid_id;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::storage::history::PlayEvent;
use actix_web::web;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Longest accepted single play (a day): anything longer is a broken client clock.
const MAX_MS_PLAYED: i64 = 24 * 3600 * 1000;

/// A play as a device reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayInput {
    pub event_id: String,
    pub track_id: String,
    pub played_at_ms: i64,
    pub ms_played: i64,
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub context_uri: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejected {
    pub event_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordOutcome {
    /// Events stored now.
    pub accepted: usize,
    /// Events already stored earlier (same event id).
    pub duplicates: usize,
    /// Events naming tracks the catalog does not know.
    pub rejected: Vec<Rejected>,
}

/// Records plays of `user_id` (from `POST /v1/me/player/events`, the player's state transitions
/// and group sessions). Malformed events refuse the whole batch; a user past
/// `history.play_events_*` gets `rate_limited` (nothing stored), so that no account can inflate
/// stream counts; events for unknown tracks or longer than their track are reported back.
pub async fn record_plays(
    state: &AppState,
    user_id: &str,
    events: Vec<PlayInput>,
) -> ApiResult<RecordOutcome> {
    let max = state.config.history.max_batch_events;
    if events.len() > max {
        return Err(ApiError::bad_request(format!(
            "a batch holds at most {max} events"
        )));
    }
    let now = state.now_ms();
    let mut seen = HashSet::new();
    for (i, e) in events.iter().enumerate() {
        let bad = |why: &str| Err(ApiError::bad_request(format!("events[{i}]: {why}")));
        if !valid_id(&e.event_id) {
            return bad("event_id must be 1-64 characters");
        }
        if !valid_id(&e.track_id) {
            return bad("track_id must be 1-64 characters");
        }
        if !(0..=MAX_MS_PLAYED).contains(&e.ms_played) {
            return bad("ms_played must be between 0 and 86400000");
        }
        if e.played_at_ms <= 0
            || e.played_at_ms > now.saturating_add(state.config.history.max_clock_skew_ms)
        {
            return bad("played_at_ms must be a past server-clock time in ms");
        }
        if e.device_id.as_ref().is_some_and(|d| !valid_id(d))
            || e.context_uri.as_ref().is_some_and(|c| c.len() > 256)
        {
            return bad("device_id or context_uri is too long");
        }
        if !seen.insert(e.event_id.as_str()) {
            return bad("event_id appears twice in the batch");
        }
    }
    // Every event counts against the limit, duplicates included: a replayed batch costs the
    // same as a new one, so fresh event ids buy nothing.
    let n = u32::try_from(events.len()).unwrap_or(u32::MAX);
    if n > 0 && !state.play_limiter.check_n(user_id, n, now) {
        let h = &state.config.history;
        return Err(ApiError::rate_limited(format!(
            "too many play events: at most {} at once and {} a minute after that",
            h.play_events_burst, h.play_events_per_minute
        )));
    }
    let ids: Vec<String> = events
        .iter()
        .map(|e| e.track_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let durations: HashMap<String, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        state
            .storage
            .catalog
            .tracks(ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.duration_ms))
            .collect()
    };
    let threshold = state.config.history.stream_threshold_ms;
    let mut rejected = vec![];
    let mut store = vec![];
    for e in events {
        let Some(&duration) = durations.get(&e.track_id) else {
            rejected.push(Rejected {
                event_id: e.event_id,
                reason: format!("unknown track `{}`", e.track_id),
            });
            continue;
        };
        // Refused rather than clamped: a client that claims more than the track holds is
        // wrong about what it played, and the player's own plays never exceed it.
        if e.ms_played > duration.max(0) {
            rejected.push(Rejected {
                event_id: e.event_id,
                reason: format!("ms_played is longer than the track ({duration} ms)"),
            });
            continue;
        }
        store.push(PlayEvent {
            user_id: user_id.to_string(),
            stream: e.ms_played >= threshold,
            event_id: e.event_id,
            track_id: e.track_id,
            played_at_ms: e.played_at_ms,
            ms_played: e.ms_played,
            device_id: e.device_id,
            context_uri: e.context_uri,
        });
    }
    let valid = store.len();
    let accepted = if store.is_empty() {
        0
    } else {
        state.storage.history.record(store).await?
    };
    Ok(RecordOutcome {
        accepted,
        duplicates: valid - accepted,
        rejected,
    })
}

/// The item a player moved away from, as its play will be recorded.
#[derive(Debug, Clone)]
pub struct Finished {
    pub track_id: String,
    pub item_id: crate::domain::player::ItemId,
    /// The player's version before the change: with the item id, it names this play (an item
    /// id comes back when a context repeats).
    pub version: u64,
    /// Time actually played (seeks excluded), at most the item's duration.
    pub ms_played: i64,
    pub context_uri: Option<String>,
}

impl Finished {
    /// What `p` is playing, as a play if it ended at `now_ms`.
    pub fn capture(p: &crate::domain::player::PlayerState, now_ms: i64) -> Option<Finished> {
        let c = p.current.as_ref()?;
        Some(Finished {
            track_id: c.entry.track_id.clone(),
            item_id: c.entry.item_id,
            version: p.version,
            ms_played: p.played_total(now_ms).min(p.duration_ms()),
            context_uri: p.context.as_ref().and_then(|x| x.uri.clone()),
        })
    }

    /// Records it in `user_id`'s history in the background (`ms_played` of this listener,
    /// `event_id` unique for the play). Nothing is recorded for a play of no time.
    pub fn spawn_record(
        &self,
        app: &web::Data<AppState>,
        user_id: &str,
        event_id: String,
        ms_played: i64,
        device_id: Option<String>,
        now_ms: i64,
    ) {
        let ms_played = ms_played.min(self.ms_played);
        if ms_played <= 0 {
            return;
        }
        let event = PlayInput {
            event_id,
            track_id: self.track_id.clone(),
            played_at_ms: now_ms - ms_played,
            ms_played,
            device_id,
            context_uri: self.context_uri.clone(),
        };
        let (app, uid) = (app.clone(), user_id.to_string());
        actix::spawn(async move {
            if let Err(e) = record_plays(&app, &uid, vec![event]).await {
                tracing::warn!(error = %e.message, "cannot record a play");
            }
        });
    }
}

/// Starts the popularity job on its own task; it stops when the server shuts down.
pub fn spawn_popularity_job(state: web::Data<AppState>) {
    let every = Duration::from_millis(state.config.history.popularity_interval_ms.max(10));
    let mut shutdown = state.shutdown.clone();
    actix_rt::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = fold_popularity(&state).await {
                tracing::warn!(error = %e, "popularity job failed; will retry");
            }
        }
    });
}

/// Sets each streamed track's popularity (0..=100) from its total streams, on a log scale
/// relative to the most streamed track. Returns how many tracks were updated.
pub async fn fold_popularity(state: &AppState) -> ApiResult<usize> {
    let mut counts = vec![];
    let mut after = String::new();
    loop {
        let page = state
            .storage
            .history
            .track_counts_after(&after, 1000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        counts.extend(page);
    }
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    if max == 0 {
        return Ok(0);
    }
    let scale = (1.0 + max as f64).ln();
    let updates: Vec<(String, u32)> = counts
        .into_iter()
        .map(|(t, n)| {
            (
                t,
                ((1.0 + n as f64).ln() / scale * 100.0)
                    .round()
                    .clamp(0.0, 100.0) as u32,
            )
        })
        .collect();
    let n = updates.len();
    for chunk in updates.chunks(500) {
        state
            .storage
            .catalog
            .set_track_popularity(chunk.to_vec())
            .await?;
    }
    Ok(n)
}
