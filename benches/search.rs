//! Search benchmark on a synthetic catalog: index build rate, p50/p99 latency of autocomplete,
//! typo search and filtered search, process memory, and freshness (upsert to searchable) on the
//! big index; writes `target/search-report.json`.
//!
//! `cargo bench --bench search` (1M tracks; `SEARCH_BENCH_TRACKS=200000` for a smaller run;
//! `SEARCH_BENCH_DIR=/some/dir` keeps the index for profiling the query phase on its own).
//! The build runs in this process; the queries run in a fresh child process that opens the index
//! the way the server does, so its memory figure is that of a serving process, not of the bulk
//! indexer's heap.

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use segue::search::build::{bulk_writer, finish_bulk, spill_dir};
use segue::search::index::{open_index, write_current};
use segue::search::ranked_bulk::RankedBulk;
use segue::search::schema::{build_schema, AlbumDoc, ArtistDoc, Named, SearchDoc, TrackDoc};
use segue::search::{Kind, SearchIndex, SearchRequest};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "search/freshness.rs"]
mod freshness;

const SEED: u64 = 42;
const GENRES: &[&str] = &[
    "Rock",
    "Pop",
    "Jazz",
    "Metal",
    "Blues",
    "Latin",
    "Reggae",
    "Soundtrack",
    "Classical",
    "Hip Hop",
    "Electronica",
    "Alternative",
    "Punk",
    "Soul",
    "R&B",
    "Country",
    "Folk",
    "World",
    "Ambient",
    "House",
    "Techno",
    "Bossa Nova",
    "Easy Listening",
    "Gospel",
    "Funk",
    "Disco",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "da", "mo", "ri", "el", "an", "or", "is", "be",
    "ch", "st", "tr", "gl", "ou", "ea", "in", "ar", "sh", "th", "li", "ve", "co", "pa", "re", "na",
    "go", "mu", "se", "fi", "ya", "zo", "qu", "br",
];

/// Deterministic catalog shape: Zipf-distributed words, so a few words ("love", "night") are
/// everywhere and most are rare, as in real titles.
struct Synth {
    words: Vec<String>,
    /// Cumulative Zipf weights over `words`.
    cdf: Vec<f64>,
    artists: usize,
    albums: usize,
}

impl Synth {
    fn new(tracks: usize) -> Synth {
        let mut rng = StdRng::seed_from_u64(SEED);
        let mut words = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while words.len() < 40_000 {
            let n = rng.gen_range(2..=5);
            let w: String = (0..n)
                .map(|_| SYLLABLES[rng.gen_range(0..SYLLABLES.len())])
                .collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut acc = 0.0;
        let cdf = (1..=words.len())
            .map(|r| {
                acc += 1.0 / (r as f64).powf(1.07);
                acc
            })
            .collect();
        Synth {
            words,
            cdf,
            artists: (tracks / 20).max(10),
            albums: (tracks / 10).max(10),
        }
    }

    fn word(&self, rng: &mut StdRng) -> &str {
        let total = self.cdf[self.cdf.len() - 1];
        let x = rng.gen::<f64>() * total;
        let i = self.cdf.partition_point(|c| *c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    fn title(&self, rng: &mut StdRng, max_words: usize) -> String {
        let n = rng.gen_range(1..=max_words);
        let mut t = String::new();
        for i in 0..n {
            if i > 0 {
                t.push(' ');
            }
            let w = self.word(rng);
            let mut c = w.chars();
            if let Some(f) = c.next() {
                t.extend(f.to_uppercase());
                t.push_str(c.as_str());
            }
        }
        t
    }

    /// Entity names are a pure function of their number, so both processes agree.
    fn artist_name(&self, i: usize) -> String {
        self.title(&mut StdRng::seed_from_u64(SEED ^ (i as u64 * 7919 + 1)), 3)
    }
    fn album_title(&self, i: usize) -> String {
        self.title(
            &mut StdRng::seed_from_u64(SEED ^ (i as u64 * 104_729 + 2)),
            4,
        )
    }
    fn album_artist(&self, i: usize) -> usize {
        (i * 2_654_435_761) % self.artists
    }
    fn track_title(&self, i: usize) -> String {
        self.title(
            &mut StdRng::seed_from_u64(SEED ^ (i as u64 * 1_299_709 + 3)),
            5,
        )
    }
    fn popularity(rng: &mut StdRng) -> u32 {
        // Long tail: most things are obscure.
        (100.0 * rng.gen::<f64>().powi(4)) as u32
    }

    fn docs(&self, tracks: usize, mut emit: impl FnMut(SearchDoc)) {
        let mut rng = StdRng::seed_from_u64(SEED + 1);
        for i in 0..self.artists {
            emit(SearchDoc::Artist(ArtistDoc {
                id: format!("ar{i}"),
                name: self.artist_name(i),
                genres: vec![GENRES[i % GENRES.len()].into()],
                popularity: Self::popularity(&mut rng),
            }));
        }
        for i in 0..self.albums {
            let a = self.album_artist(i);
            let year = 1950 + (i % 76) as i32;
            emit(SearchDoc::Album(AlbumDoc {
                id: format!("al{i}"),
                name: self.album_title(i),
                artists: vec![Named {
                    id: format!("ar{a}"),
                    name: self.artist_name(a),
                }],
                release_date: format!("{year}-01-01"),
                year: Some(year),
                genre: Some(GENRES[a % GENRES.len()].into()),
                popularity: Self::popularity(&mut rng),
                release_ms: None,
            }));
        }
        for i in 0..tracks {
            let al = i % self.albums;
            let a = self.album_artist(al);
            emit(SearchDoc::Track(TrackDoc {
                id: format!("tr{i}"),
                name: self.track_title(i),
                artists: vec![Named {
                    id: format!("ar{a}"),
                    name: self.artist_name(a),
                }],
                album: Named {
                    id: format!("al{al}"),
                    name: self.album_title(al),
                },
                duration_ms: rng.gen_range(90_000..420_000),
                explicit: rng.gen_bool(0.1),
                popularity: Self::popularity(&mut rng),
                genre: Some(GENRES[a % GENRES.len()].into()),
                year: Some(1950 + (al % 76) as i32),
                isrc: Some(format!("QZ{:010}", i)),
                release_ms: None,
            }));
        }
    }
}

fn rss_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn build(root: &Path, tracks: usize) -> anyhow::Result<serde_json::Value> {
    let synth = Synth::new(tracks);
    let fields = build_schema();
    let dir = root.join("g000001");
    let index = open_index(&dir, &fields)?;
    let mut writer = bulk_writer(&index, 400_000_000)?;
    let started = Instant::now();
    // As `segue reindex` does: spill in static-rank order, then index best first.
    let mut bulk = RankedBulk::new(&spill_dir(&dir))?;
    let mut err = None;
    synth.docs(tracks, |d| {
        if let Err(e) = bulk.push(&d) {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let n = bulk.index_into(&writer, &fields)?;
    writer.commit()?;
    let indexed = started.elapsed().as_secs_f64();
    finish_bulk(writer)?;
    let total = started.elapsed().as_secs_f64();
    write_current(root, "g000001")?;
    let size: u64 = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    Ok(json!({
        "documents": n,
        "tracks": tracks,
        "artists": synth.artists,
        "albums": synth.albums,
        "index_and_commit_s": indexed,
        "merge_to_one_segment_s": total - indexed,
        "total_s": total,
        "tracks_per_s_index_and_commit": tracks as f64 / indexed,
        "tracks_per_s_including_merge": tracks as f64 / total,
        "index_bytes_on_disk": size,
        "builder_peak_rss_mb": rss_kb("VmHWM:") / 1024,
    }))
}

fn typo(rng: &mut StdRng, w: &str) -> String {
    let mut c: Vec<char> = w.to_lowercase().chars().collect();
    let edits = if c.len() > 5 { 2 } else { 1 };
    for _ in 0..edits {
        let i = rng.gen_range(1..c.len());
        match rng.gen_range(0..3) {
            0 => c[i] = (b'a' + rng.gen_range(0..26u8)) as char,
            1 if c.len() > 3 => {
                c.remove(i);
            }
            _ => c.insert(i, (b'a' + rng.gen_range(0..26u8)) as char),
        }
    }
    c.into_iter().collect()
}

fn thread_cpu_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    #[allow(unsafe_code)]
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts)
    };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn histo() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

fn stats(h: &Histogram<u64>) -> serde_json::Value {
    json!({
        "count": h.len(),
        "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
        "max_ms": h.max() as f64 / 1000.0,
    })
}

/// A fixed CPU workload (sorting 4,096 pseudo-random numbers, 500 times), timed in ms: the
/// host's speed at that moment, so that runs on a shared host whose speed drifts can be compared.
/// It stays on the stack: a large heap allocation would move glibc's mmap threshold and change
/// the memory figures this bench reports.
fn calibrate() -> f64 {
    let t = Instant::now();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut v = [0u64; 4096];
    for _ in 0..500 {
        for e in v.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *e = x;
        }
        v.sort_unstable();
        std::hint::black_box(&v);
    }
    t.elapsed().as_secs_f64() * 1000.0
}

fn queries(root: &Path, tracks: usize, n: usize) -> anyhow::Result<serde_json::Value> {
    let calibration_before = calibrate();
    let synth = Synth::new(tracks);
    let rss_before = rss_kb("VmRSS:");
    let config = segue::config::Config::default().search;
    let idx = SearchIndex::open(root, &config, None)?;
    let mut rng = StdRng::seed_from_u64(SEED + 99);
    let pick_name = |rng: &mut StdRng| match rng.gen_range(0..3) {
        0 => synth.artist_name(rng.gen_range(0..synth.artists)),
        1 => synth.album_title(rng.gen_range(0..synth.albums)),
        _ => synth.track_title(rng.gen_range(0..tracks)),
    };
    // The slowest queries of each kind go into the report: they are what the p99 is made of.
    let mut slowest: [Vec<(u64, String)>; 3] = Default::default();
    // CPU time of the querying thread, beside wall time: on a shared machine a query that is
    // descheduled waits for another process, which wall time counts and CPU time does not.
    let mut cpu: [Histogram<u64>; 3] = [histo(), histo(), histo()];
    let mut wall: [Histogram<u64>; 3] = [histo(), histo(), histo()];
    let mut run =
        |measured: bool, kind: usize, q: &str, f: &mut dyn FnMut() -> anyhow::Result<usize>| {
            let t = Instant::now();
            let c = thread_cpu_us();
            let hits = f()?;
            let cpu_us = thread_cpu_us().saturating_sub(c).max(1);
            let us = (t.elapsed().as_micros() as u64).max(1);
            if measured {
                wall[kind].record(us)?;
                cpu[kind].record(cpu_us)?;
            }
            if measured {
                let list = &mut slowest[kind];
                list.push((us, q.to_string()));
                list.sort_by_key(|e| std::cmp::Reverse(e.0));
                list.truncate(8);
            }
            anyhow::Ok(hits)
        };
    let search = |q: String, types: Vec<Kind>| {
        let req = SearchRequest {
            q,
            types,
            limit: 20,
            offset: 0,
            user_id: None,
            now_ms: 0,
        };
        idx.search(&req)
            .map(|p| p.iter().map(|(_, page)| page.items.len()).sum::<usize>())
            .map_err(anyhow::Error::from)
    };
    let all = vec![Kind::Track, Kind::Artist, Kind::Album];
    let (mut auto_hits, mut typo_found) = (0usize, 0usize);
    for round in 0..(n + n / 10) {
        let measured = round >= n / 10; // the first tenth warms caches and is not recorded
                                        // Autocomplete: what a user has typed so far of some name.
        let name = pick_name(&mut rng);
        let words: Vec<&str> = name.split(' ').collect();
        let wi = rng.gen_range(0..words.len());
        let w = words[wi];
        let cut = rng.gen_range(1..=w.chars().count().min(6));
        let typed: String = words[..wi]
            .iter()
            .map(|x| format!("{x} "))
            .chain(std::iter::once(w.chars().take(cut).collect()))
            .collect();
        auto_hits += run(measured, 0, &typed, &mut || {
            Ok(idx.suggest(&typed, 10)?.len())
        })?;
        // Typo search: a whole name with one or two letters wrong in one word.
        let name = pick_name(&mut rng);
        let mut words: Vec<String> = name.split(' ').map(str::to_lowercase).collect();
        if let Some(i) = (0..words.len()).find(|i| words[*i].chars().count() >= 4) {
            words[i] = typo(&mut rng, &words[i]);
        }
        let q = words.join(" ");
        let found = run(measured, 1, &q, &mut || search(q.clone(), all.clone()))?;
        typo_found += usize::from(found > 0);
        // Filtered search: a word plus genre and year range, or an artist filter.
        let q = if rng.gen_bool(0.5) {
            let y = rng.gen_range(1950..2016);
            format!(
                "{} genre:{} year:{}-{}",
                synth.word(&mut rng),
                GENRES[rng.gen_range(0..GENRES.len())]
                    .split(' ')
                    .next()
                    .unwrap_or("rock"),
                y,
                y + 9
            )
        } else {
            let a = synth.artist_name(rng.gen_range(0..synth.artists));
            format!("artist:\"{}\" {}", a, synth.word(&mut rng))
        };
        run(measured, 2, &q, &mut || {
            search(q.clone(), vec![Kind::Track, Kind::Album])
        })?;
    }
    let slowest_report: serde_json::Map<String, serde_json::Value> =
        ["autocomplete", "typo", "filtered"]
            .iter()
            .zip(slowest.iter())
            .map(|(k, l)| {
                let list = l.iter().map(|(us, q)| json!([*us as f64 / 1000.0, q]));
                (k.to_string(), serde_json::Value::from_iter(list))
            })
            .collect();
    let mut report = json!({
        "host_calibration_ms": [calibration_before, calibrate()],
        "queries_per_kind": n,
        "autocomplete": stats(&wall[0]),
        "autocomplete_cpu": stats(&cpu[0]),
        "autocomplete_avg_suggestions": auto_hits as f64 / (n + n / 10) as f64,
        "typo_search_track_artist_album": stats(&wall[1]),
        "typo_search_cpu": stats(&cpu[1]),
        "typo_search_found_ratio": typo_found as f64 / (n + n / 10) as f64,
        "filtered_search_track_album": stats(&wall[2]),
        "filtered_search_cpu": stats(&cpu[2]),
        "rss_mb_before_open": rss_before / 1024,
        "rss_mb_after_queries": rss_kb("VmRSS:") / 1024,
        // Heap versus pages of the memory-mapped index files (the kernel can drop the latter).
        "rss_anon_mb_after_queries": rss_kb("RssAnon:") / 1024,
        "rss_file_mb_after_queries": rss_kb("RssFile:") / 1024,
        "peak_rss_mb": rss_kb("VmHWM:") / 1024,
        "num_docs": idx.num_docs(),
        "slowest_ms": slowest_report,
    });
    // After the memory figures: the live writer's heap is not part of a reading process.
    let fresh: usize = std::env::var("SEARCH_BENCH_FRESH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    eprintln!("freshness: {fresh} upserts ...");
    report["freshness"] = freshness::measure(&idx, fresh)?;
    Ok(report)
}

fn main() -> anyhow::Result<()> {
    let tracks: usize = std::env::var("SEARCH_BENCH_TRACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let n: usize = std::env::var("SEARCH_BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    if let Ok(root) = std::env::var("SEARCH_BENCH_QUERY_ROOT") {
        let report = queries(&PathBuf::from(root), tracks, n)?;
        println!("{report}");
        return Ok(());
    }
    // SEARCH_BENCH_DIR keeps the built index there (to profile queries on it again with
    // SEARCH_BENCH_QUERY_ROOT=<dir>/search); by default it lives in a temporary directory.
    let tmp = tempfile::tempdir()?;
    let root = match std::env::var("SEARCH_BENCH_DIR") {
        Ok(d) => PathBuf::from(d).join("search"),
        Err(_) => tmp.path().join("search"),
    };
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    eprintln!("building {tracks} synthetic tracks ...");
    let build = build(&root, tracks)?;
    eprintln!("{build}");
    eprintln!("querying in a fresh process ...");
    let out = std::process::Command::new(std::env::current_exe()?)
        .env("SEARCH_BENCH_QUERY_ROOT", &root)
        .env("SEARCH_BENCH_TRACKS", tracks.to_string())
        .env("SEARCH_BENCH_QUERIES", n.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(out.status.success(), "query phase failed");
    let queries: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let report = json!({
        "machine": { "cores": cores, "load_avg": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim() },
        "targets": {
            "autocomplete_p99_ms": 5, "typo_p99_ms": 10, "filtered_p99_ms": 15,
            "build_tracks_per_s": 50_000, "rss_mb_at_1m": 200,
            "freshness_p95_ms": 100
        },
        "build": build,
        "queries": queries,
    });
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/search-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!("report written to {}", path.display());
    Ok(())
}
