//! Player-state writes per second that reach the store: `PlayerRepo::save` called directly, on
//! SQLite or on CQL, with a realistic player document. The server coalesces a user's player
//! writes (`player.persist_coalesce_ms`), so this measures what the store itself takes, not
//! commands per second.
//!
//! ```sh
//! cargo bench --bench store_writes                                   # SQLite in a temp dir
//! STORE_BENCH_BACKEND=scylla STORE_BENCH_CQL=127.0.0.1:9042 cargo bench --bench store_writes
//! ```
//!
//! Environment: `STORE_BENCH_SECS` (default 10), `STORE_BENCH_USERS` (2000),
//! `STORE_BENCH_CONCURRENCY` (writes in flight, 64). Each in-flight writer owns its own users, so
//! every write is a new version of its user's state (no conflicts), as in the server, where one
//! actor owns a user.

use hdrhistogram::Histogram;
use segue::domain::player::{apply, ApplyCtx, Command, Limits, PlayerState, TrackRef};
use segue::storage::PlayerRecord;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env<T: std::str::FromStr>(k: &str, default: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A player playing a 50-track album with 10 tracks queued: the document a user actor stores.
fn player_document() -> serde_json::Value {
    let tracks = |prefix: &str, n: usize| -> Vec<TrackRef> {
        (0..n)
            .map(|i| TrackRef {
                track_id: format!("{prefix}-{i:06}"),
                duration_ms: 200_000,
            })
            .collect()
    };
    let limits = Limits {
        max_queue: 1000,
        max_context_tracks: 10_000,
        previous_restart_threshold_ms: 3000,
    };
    let online = |_: &str| true;
    let ctx = ApplyCtx {
        issuer: Some("phone"),
        is_online: &online,
        limits: &limits,
        random: 7,
        start_lead_ms: None,
    };
    let mut s = PlayerState::default();
    let play = Command::Play {
        uri: Some("segue:album:bench".into()),
        tracks: Some(tracks("album", 50)),
        offset: None,
        position_ms: None,
        device_id: None,
    };
    apply(&mut s, play, None, 0, &ctx).unwrap();
    let queue = Command::QueueAdd {
        tracks: tracks("queued", 10),
        next: false,
    };
    apply(&mut s, queue, None, 0, &ctx).unwrap();
    serde_json::to_value(&s).unwrap()
}

fn main() {
    let backend = std::env::var("STORE_BENCH_BACKEND").unwrap_or_else(|_| "sqlite".into());
    let secs: u64 = env("STORE_BENCH_SECS", 10);
    let users: usize = env("STORE_BENCH_USERS", 2000);
    let concurrency: usize = env("STORE_BENCH_CONCURRENCY", 64).clamp(1, users);
    let dir = tempfile::tempdir().unwrap();
    let mut config = segue::config::Config::for_test(dir.path());
    config.storage.backend = if backend == "scylla" {
        segue::config::StorageBackend::Scylla
    } else {
        segue::config::StorageBackend::Sqlite
    };
    if backend == "scylla" {
        let nodes = std::env::var("STORE_BENCH_CQL").expect("STORE_BENCH_CQL=HOST:PORT");
        config.storage.scylla_nodes = nodes.split(',').map(str::to_string).collect();
        config.storage.scylla_keyspace = "segue_bench".into();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let storage = segue::storage::open(&config).await.expect("open the store");
        let doc = Arc::new(player_document());
        let doc_bytes = serde_json::to_string(&*doc).unwrap().len();
        let run = format!("b{}", segue::storage::new_id().replace(['-', '_'], "x"));
        let deadline = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let mut tasks = vec![];
        for w in 0..concurrency {
            let (storage, doc, run) = (storage.clone(), doc.clone(), run.clone());
            tasks.push(tokio::spawn(async move {
                let mine: Vec<String> = (w..users)
                    .step_by(concurrency)
                    .map(|u| format!("{run}-u{u}"))
                    .collect();
                let mut versions = vec![0u64; mine.len()];
                let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let (mut ok, mut failed, mut i) = (0u64, 0u64, 0usize);
                while Instant::now() < deadline {
                    let k = i % mine.len();
                    i += 1;
                    versions[k] += 1;
                    let record = PlayerRecord {
                        user_id: mine[k].clone(),
                        version: versions[k],
                        state: (*doc).clone(),
                        updated_at_ms: segue::clock::Clock::now_ms(&segue::clock::SystemClock),
                    };
                    let t = Instant::now();
                    match storage.players.save(record).await {
                        Ok(()) => {
                            ok += 1;
                            hist.record(t.elapsed().as_micros().max(1) as u64).unwrap();
                        }
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed, hist)
            }));
        }
        let (mut ok, mut failed) = (0u64, 0u64);
        let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for t in tasks {
            let (o, f, h) = t.await.unwrap();
            ok += o;
            failed += f;
            hist.add(h).unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "store_writes backend={backend} users={users} in_flight={concurrency} \
             doc_bytes={doc_bytes} secs={elapsed:.1}"
        );
        println!(
            "player-state writes: {ok} ok, {failed} failed, {:.0} writes/s; latency ms p50 {:.2} \
             p99 {:.2} max {:.2}",
            ok as f64 / elapsed,
            ms(0.5),
            ms(0.99),
            hist.max() as f64 / 1000.0
        );
    });
}
