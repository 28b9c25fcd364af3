//! The scenarios, each run by every worker process on its share of the connections.

mod connect;
mod fanout;
mod playlist;
mod remote;

use crate::conn::{read_tokens, Account};
use crate::report::WorkerResult;
use crate::{Cli, Scenario};
use std::sync::Arc;
use std::time::Instant;

/// What a worker's scenario gets.
pub struct Ctx {
    pub ws_url: String,
    pub http_url: String,
    pub accounts: Arc<Vec<Account>>,
    pub worker: usize,
    pub workers: usize,
    pub duration: std::time::Duration,
    pub track_id: String,
    pub concurrency: usize,
    /// The monotonic origin for send/receive timestamps shared by this worker's tasks.
    pub epoch: Instant,
}

impl Ctx {
    /// The half-open range of `0..n` this worker owns.
    pub fn share(&self, n: usize) -> std::ops::Range<usize> {
        let per = n.div_ceil(self.workers);
        let start = (self.worker * per).min(n);
        start..((self.worker + 1) * per).min(n)
    }

    pub fn account(&self, i: usize) -> anyhow::Result<&Account> {
        self.accounts.get(i).ok_or_else(|| {
            anyhow::anyhow!(
                "the tokens file has {} accounts; this run needs more (create them with `segue users create-bulk`)",
                self.accounts.len()
            )
        })
    }

    pub fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

pub async fn run_worker(
    cli: &Cli,
    worker: usize,
    ready: impl FnOnce() + Send + 'static,
) -> anyhow::Result<WorkerResult> {
    let ctx = Arc::new(Ctx {
        ws_url: format!("{}/v1/ws", cli.common.url.replacen("http://", "ws://", 1)),
        http_url: cli.common.url.clone(),
        accounts: Arc::new(read_tokens(&cli.common.tokens)?),
        worker,
        workers: cli.common.procs.max(1),
        duration: std::time::Duration::from_secs(cli.common.duration_secs),
        track_id: cli.common.track_id.clone().unwrap_or_default(),
        concurrency: cli.common.connect_concurrency.max(1),
        epoch: Instant::now(),
    });
    let ready = move || {
        let _ = std::thread::spawn(ready).join();
    };
    match cli.scenario.clone() {
        Scenario::Connect { connections } => connect::run(ctx, connections, ready).await,
        Scenario::Remote { users, rate } => remote::run(ctx, users, rate, ready).await,
        Scenario::Fanout {
            sessions,
            members,
            rate,
        } => fanout::run(ctx, sessions, members, rate, ready).await,
        Scenario::Playlist {
            editors,
            readers,
            window,
        } => playlist::run(ctx, editors, readers, window, ready).await,
    }
}

/// Runs `ready` (blocking: prints READY and waits for GO) off the async workers.
pub async fn wait_go(ready: impl FnOnce() + Send + 'static) {
    let _ = tokio::task::spawn_blocking(ready).await;
}

/// The first catalog track, to give players something to play.
pub async fn first_track(http_url: &str) -> anyhow::Result<String> {
    let body: serde_json::Value = reqwest::get(format!("{http_url}/v1/tracks?limit=1"))
        .await?
        .json()
        .await?;
    body["items"][0]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the server's catalog is empty: start it with --demo or pass --track-id"
            )
        })
}

/// Seek positions encode a command's sequence number, so an observer can tell which command a
/// `player_state` answers without any shared clock: position = slot * SLOT_MS.
pub const SLOTS: u64 = 180;
pub const SLOT_MS: i64 = 500;

pub fn slot_position(seq: u64) -> (usize, i64) {
    let slot = seq % SLOTS;
    (slot as usize, slot as i64 * SLOT_MS)
}

pub fn position_slot(position_ms: i64) -> Option<usize> {
    if position_ms >= 0 && position_ms % SLOT_MS == 0 && (position_ms / SLOT_MS) < SLOTS as i64 {
        Some((position_ms / SLOT_MS) as usize)
    } else {
        None
    }
}

/// One observer's last matched command: a later `player_state` that repeats the same position
/// (any state change while paused does) answers no new command and is not counted again.
#[derive(Default)]
pub struct LastMatch(Option<(usize, u64)>);

impl LastMatch {
    /// True the first time this observer sees the command sent at `sent` in `slot`.
    pub fn first(&mut self, slot: usize, sent: u64) -> bool {
        if self.0 == Some((slot, sent)) {
            return false;
        }
        self.0 = Some((slot, sent));
        true
    }
}

/// Send times (µs since the worker's epoch) per slot.
pub struct SlotTimes(Vec<std::sync::atomic::AtomicU64>);

impl SlotTimes {
    pub fn new() -> Self {
        SlotTimes((0..SLOTS).map(|_| Default::default()).collect())
    }
    pub fn set(&self, slot: usize, micros: u64) {
        self.0[slot].store(micros, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn get(&self, slot: usize) -> u64 {
        self.0[slot].load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seek_positions_name_their_slot() {
        for seq in [0u64, 1, 179, 180, 181, 12_345] {
            let (slot, pos) = slot_position(seq);
            assert_eq!(position_slot(pos), Some(slot));
        }
        // Positions no command produced are not taken for one.
        assert_eq!(position_slot(250), None);
        assert_eq!(position_slot(-500), None);
        assert_eq!(position_slot(SLOTS as i64 * SLOT_MS), None);
    }

    #[test]
    fn a_repeated_state_is_matched_once() {
        let mut m = LastMatch::default();
        assert!(m.first(3, 1_000));
        assert!(!m.first(3, 1_000));
        assert!(m.first(4, 1_100));
        // The same slot reused by a later command counts again.
        assert!(m.first(3, 91_000));
    }

    #[test]
    fn shares_cover_every_index_once() {
        for (n, workers) in [(10usize, 3usize), (5, 8), (0, 2), (10_000, 2)] {
            let mut seen = vec![0u8; n];
            for worker in 0..workers {
                let ctx = Ctx {
                    ws_url: String::new(),
                    http_url: String::new(),
                    accounts: Arc::new(vec![]),
                    worker,
                    workers,
                    duration: std::time::Duration::ZERO,
                    track_id: String::new(),
                    concurrency: 1,
                    epoch: Instant::now(),
                };
                for i in ctx.share(n) {
                    seen[i] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "n={n} workers={workers}");
        }
    }
}
