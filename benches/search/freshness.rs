//! Freshness on the big index: how long after an upsert a search finds the change, with the live
//! writer committing in batches (`search.commit_interval_ms`) and reloading the reader after each
//! commit, as the server runs it.

use super::{histo, stats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use segue::search::schema::{Named, SearchDoc, TrackDoc};
use segue::search::{Kind, SearchIndex, SearchRequest};
use std::time::{Duration, Instant};

/// How long a change may take before the phase gives up on it (a bug, not a slow commit).
const GIVE_UP: Duration = Duration::from_secs(10);

/// `n` upserts of a track with a title nobody else has, each polled for every millisecond until a
/// search returns it. Upserts are spaced by a random pause so that they land at every phase of
/// the commit interval.
pub fn measure(idx: &SearchIndex, n: usize) -> anyhow::Result<serde_json::Value> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut waits = histo();
    let mut polls = 0u64;
    for i in 0..n {
        // Letters only, so the title is one word of its own.
        let word: String = format!("{i:06}")
            .chars()
            .map(|c| (b'f' + (c as u8 - b'0')) as char)
            .collect();
        let title = format!("zqx{word} fresh");
        let doc = SearchDoc::Track(TrackDoc {
            id: format!("fresh{i}"),
            name: title.clone(),
            artists: vec![Named {
                id: "ar0".into(),
                name: "Fresh Artist".into(),
            }],
            album: Named {
                id: "al0".into(),
                name: "Fresh Album".into(),
            },
            duration_ms: 200_000,
            explicit: false,
            popularity: 10,
            genre: None,
            year: None,
            isrc: None,
            release_ms: None,
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..40)));
        let started = Instant::now();
        idx.upsert_docs_blocking(vec![doc])?;
        loop {
            polls += 1;
            let req = SearchRequest {
                q: format!("zqx{word}"),
                types: vec![Kind::Track],
                limit: 1,
                offset: 0,
                user_id: None,
                now_ms: 0,
            };
            let found = idx.search(&req)?.iter().any(|(_, p)| !p.items.is_empty());
            if found {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < GIVE_UP,
                "upsert {i} not searchable after {GIVE_UP:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        waits.record((started.elapsed().as_micros() as u64).max(1))?;
    }
    let mut report = stats(&waits);
    report["p95_ms"] = serde_json::json!(waits.value_at_quantile(0.95) as f64 / 1000.0);
    report["searches_while_waiting"] = serde_json::json!(polls);
    Ok(report)
}
