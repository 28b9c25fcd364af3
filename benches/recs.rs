//! Recommendations, measured: quality against the baselines on synthetic listening with a taste
//! structure, the time one request takes (it reads precomputed neighbours), and the time to make a
//! 30-track list for every listener (what a Discover Weekly run does).
//!
//! `cargo bench --bench recs` runs the medium world; `SEGUE_RECS_USERS`, `SEGUE_RECS_TRACKS`
//! scale it (e.g. 100000 and 1000000 for the targets in docs/recommendations.md).

use segue::catalog::listening::{generate, Shape, MS_COUNTED};
use segue::catalog::listening_eval::{compare, eval_plays, model_for};
use segue::domain::recommendations::eval::holdout_last;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let users = env("SEGUE_RECS_USERS", 5_000);
    let tracks = env("SEGUE_RECS_TRACKS", 50_000);
    let shape = Shape {
        users,
        tracks,
        artists: (tracks / 12).max(1),
        genres: 25,
        sessions_per_user: 12,
        tracks_per_session: 10,
        playlists_per_user: 1,
        seed: 11,
    };
    println!("world: {users} listeners, {tracks} tracks, 25 genres");
    let t = Instant::now();
    let r = compare(shape);
    println!(
        "quality (k = 30, last 20% held out), {:.1} s:",
        t.elapsed().as_secs_f64()
    );
    println!("| method | recall@30 | NDCG@30 | coverage |");
    println!("| --- | --- | --- | --- |");
    for (name, s) in [
        ("item-item", r.model),
        ("most popular", r.popular),
        ("random", r.random),
    ] {
        println!(
            "| {name} | {:.4} | {:.4} | {:.3} |",
            s.recall, s.ndcg, s.coverage
        );
    }

    // Timings on the same world: train once, then one request per listener.
    let world = generate(shape);
    let split = holdout_last(&eval_plays(&world), 0.2);
    let t = Instant::now();
    let model = model_for(&world, &split);
    println!("training: {:.1} s", t.elapsed().as_secs_f64());
    let genre_of: Vec<u16> = world.tracks.iter().map(|t| t.genre).collect();
    let mut history: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in &world.plays {
        if p.ms_played >= MS_COUNTED {
            history.entry(p.user).or_default().push(p.item);
        }
    }
    let mut micros: Vec<u128> = Vec::new();
    let all = Instant::now();
    for (_, h) in history.iter() {
        let exclude: HashSet<u32> = h.iter().copied().collect();
        let t = Instant::now();
        let recs = model.for_listener(h, &genre_of, &exclude, 30);
        micros.push(t.elapsed().as_micros());
        assert!(recs.len() <= 30);
    }
    let batch = all.elapsed();
    micros.sort_unstable();
    let q = |p: f64| micros[((micros.len() as f64 - 1.0) * p) as usize];
    println!(
        "one request: p50 {} µs, p99 {} µs, max {} µs ({} listeners)",
        q(0.5),
        q(0.99),
        micros.last().copied().unwrap_or(0),
        micros.len()
    );
    println!(
        "a 30-track list for every listener (one thread): {:.1} s",
        batch.as_secs_f64()
    );
}
