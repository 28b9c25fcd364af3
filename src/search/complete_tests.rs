//! The autocomplete tables against a brute-force oracle that scores every document: same
//! scores, in the same order, with lists in use (terms above `LISTED_MIN_DOCS`), after deletes
//! and replacements, and after popularity changes.

use super::complete::{LISTED_MIN_DOCS, PREFIX, TYPO, WHOLE_WORD};
use super::query::auto_fuzziness;
use super::ranking::{kind_weight, popularity_factor};
use super::schema::{AlbumDoc, ArtistDoc, MAX_GRAM};
use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const WORDS: &[&str] = &[
    "love",
    "lover",
    "lost",
    "night",
    "nights",
    "light",
    "zeppelin",
    "metal",
    "metallica",
    "meta",
    "mellow",
    "kaleidoscope",
    "ka",
    "k",
    "stairway",
    "heaven",
    "heavy",
    "blue",
    "blues",
    "bleu",
];

/// Restricted Damerau-Levenshtein (optimal string alignment), as the automaton counts edits.
fn osa(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// What the tables must compute, for one document.
fn oracle_score(name: &str, kind: Kind, popularity: u32, prefix: &str) -> f32 {
    let words: Vec<String> = name.split(' ').map(str::to_lowercase).collect();
    let d = usize::from(auto_fuzziness(prefix));
    let tier = if words.iter().any(|w| w == prefix) {
        WHOLE_WORD
    } else if words.iter().any(|w| w.starts_with(prefix)) {
        PREFIX
    } else if d > 0
        && words.iter().any(|w| {
            let chars: Vec<char> = w.chars().collect();
            (1..=chars.len().min(MAX_GRAM))
                .any(|n| osa(&chars[..n].iter().collect::<String>(), prefix) <= d)
        })
    {
        TYPO
    } else {
        return 0.0;
    };
    tier * popularity_factor(u64::from(popularity)) * kind_weight(kind.code())
}

struct Doc {
    id: String,
    name: String,
    kind: Kind,
    popularity: u32,
}

fn search_doc(d: &Doc) -> SearchDoc {
    match d.kind {
        Kind::Artist => SearchDoc::Artist(ArtistDoc {
            id: d.id.clone(),
            name: d.name.clone(),
            genres: vec![],
            popularity: d.popularity,
        }),
        _ => SearchDoc::Album(AlbumDoc {
            id: d.id.clone(),
            name: d.name.clone(),
            artists: vec![],
            release_date: "2001-01-01".into(),
            year: Some(2001),
            genre: None,
            popularity: d.popularity,
            release_ms: None,
        }),
    }
}

fn check(idx: &SearchIndex, docs: &HashMap<String, Doc>, prefix: &str, limit: usize) {
    let live = idx.shared.live();
    let searcher = live.reader.searcher();
    let got = idx
        .shared
        .tables
        .suggest(&searcher, &idx.shared.overlay, prefix, limit)
        .unwrap();
    let mut want: Vec<f32> = docs
        .values()
        .map(|d| oracle_score(&d.name, d.kind, d.popularity, prefix))
        .filter(|s| *s > 0.0)
        .collect();
    want.sort_by(|a, b| b.total_cmp(a));
    want.truncate(limit);
    let got_scores: Vec<f32> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        got_scores.len(),
        want.len(),
        "{prefix}: {got_scores:?} vs {want:?}"
    );
    for (g, w) in got_scores.iter().zip(&want) {
        assert!((g - w).abs() < 1e-4, "{prefix}: {got_scores:?} vs {want:?}");
    }
    // Each returned document really has the score it was ranked with.
    for (score, addr) in got {
        let doc: TantivyDocument = searcher.doc(addr).unwrap();
        let v = idx.payload(&doc).unwrap();
        let d = &docs[v["id"].as_str().unwrap()];
        let expected = oracle_score(&d.name, d.kind, d.popularity, prefix);
        assert!(
            (score - expected).abs() < 1e-4,
            "{prefix}: {} {score}",
            d.name
        );
    }
}

#[test]
fn tables_rank_like_scoring_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::config::Config::default().search;
    let idx = SearchIndex::open(dir.path(), &config, None).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut docs: HashMap<String, Doc> = HashMap::new();
    let n = (LISTED_MIN_DOCS as usize) * 4;
    let make = |rng: &mut StdRng, i: usize| {
        let words = rng.gen_range(1..=3);
        let name: Vec<&str> = (0..words)
            .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
            .collect();
        Doc {
            id: format!("d{i}"),
            name: name.join(" "),
            kind: if i % 3 == 0 {
                Kind::Artist
            } else {
                Kind::Album
            },
            popularity: rng.gen_range(0..=100),
        }
    };
    for i in 0..n {
        let d = make(&mut rng, i);
        docs.insert(d.id.clone(), d);
    }
    idx.upsert_docs_blocking(docs.values().map(search_doc).collect())
        .unwrap();
    idx.flush_blocking().unwrap();
    let prefixes = [
        "l",
        "lo",
        "lov",
        "love",
        "lovr",
        "ni",
        "nigth",
        "zep",
        "zepelin",
        "metalica",
        "k",
        "ka",
        "kaleidoscpe",
        "blu",
        "bleu",
        "x",
    ];
    for p in prefixes {
        check(&idx, &docs, p, 10);
        check(&idx, &docs, p, 50);
    }
    // Replacements and deletions leave dead documents in the listed segment.
    let mut replaced = Vec::new();
    for i in (0..n).step_by(3) {
        let d = make(&mut rng, i);
        replaced.push(search_doc(&d));
        docs.insert(d.id.clone(), d);
    }
    idx.upsert_docs_blocking(replaced).unwrap();
    idx.flush_blocking().unwrap();
    for p in prefixes {
        check(&idx, &docs, p, 10);
    }
    // Popularity changes without re-indexing: the tables follow the overlay.
    let updates: Vec<(String, u32)> = docs
        .values()
        .filter(|d| d.kind == Kind::Album)
        .map(|d| (d.id.clone(), 100 - d.popularity))
        .collect();
    idx.set_popularity(Kind::Album, &updates);
    for (id, p) in &updates {
        if let Some(d) = docs.get_mut(id) {
            d.popularity = *p;
        }
    }
    for p in prefixes {
        check(&idx, &docs, p, 10);
    }
}

/// A broad query on a tiered segment, built best first (the tier is doc id ranges, counting
/// stops early) or in arbitrary order (the tier is found document by document, every match
/// counted): the page is the best of the top tier, and a type the tier cannot fill is ranked and
/// counted over all its matches.
#[test]
fn broad_queries_rank_the_top_tier() {
    broad_query_case(true);
    broad_query_case(false);
}

fn broad_query_case(ordered: bool) {
    use super::tier::TIERED_MIN_DOCS;
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default().search;
    config.broad_query_docs = 1000;
    let idx = SearchIndex::open(dir.path(), &config, None).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let n = TIERED_MIN_DOCS + 5000;
    let mut docs: Vec<Doc> = (0..n)
        .map(|i| Doc {
            id: format!("d{i}"),
            name: format!("{} {}", WORDS[i % 4], WORDS[4 + rng.gen_range(0..10)]),
            kind: Kind::Artist,
            popularity: rng.gen_range(0..=100),
        })
        .collect();
    // A few unpopular albums: the tier holds none of them.
    for i in 0..5 {
        docs.push(Doc {
            id: format!("al{i}"),
            name: "love ballads".into(),
            kind: Kind::Album,
            popularity: 0,
        });
    }
    // One segment, as a bulk build leaves it.
    let fields = idx.fields().clone();
    let gen_dir = dir.path().join("bulk");
    let index = super::index::open_index(&gen_dir, &fields).unwrap();
    let w = super::build::bulk_writer(&index, 100_000_000).unwrap();
    if ordered {
        let mut bulk = super::ranked_bulk::RankedBulk::new(&dir.path().join("spill")).unwrap();
        for d in &docs {
            bulk.push(&search_doc(d)).unwrap();
        }
        assert_eq!(bulk.index_into(&w, &fields).unwrap(), docs.len() as u64);
    } else {
        for d in &docs {
            w.add_document(super::schema::to_tantivy(&fields, &search_doc(d)))
                .unwrap();
        }
    }
    super::build::finish_bulk(w).unwrap();
    drop(index);
    let (tx, rx) = tokio::sync::oneshot::channel();
    idx.tx
        .send(super::index::Op::Adopt {
            dir: gen_dir,
            done: tx,
        })
        .unwrap();
    rx.blocking_recv().unwrap().unwrap();
    {
        let live = idx.shared.live();
        let searcher = live.reader.searcher();
        let seg = &searcher.segment_readers()[0];
        let tables = idx.shared.tables.of(seg, &idx.shared.overlay).unwrap();
        let tier = tables.tier(super::complete::TierKind::Search);
        assert_eq!(tier.is_some_and(|t| t.ranges.is_some()), ordered);
        // The tier holds the configured share of the segment (5%), give or take one popularity.
        let cut = tier.map(|t| t.cut).unwrap_or(f32::MAX);
        let share = (0..n as u32).filter(|d| tables.rank(*d) >= cut).count() as f64 / n as f64;
        assert!((0.04..0.07).contains(&share), "{share}");
    }
    let req = SearchRequest {
        q: "love".into(),
        types: vec![Kind::Artist, Kind::Album],
        limit: 10,
        offset: 0,
        user_id: None,
        now_ms: 0,
    };
    let pages = idx.search(&req).unwrap();
    // Typo tolerance: "lover" is one edit away.
    let matching = |kind: Kind| {
        docs.iter()
            .filter(|d| d.kind == kind && d.name.split(' ').any(|w| osa(w, "love") <= 1))
            .count() as u64
    };
    let artists = &pages[0].1;
    if ordered {
        assert!(!artists.total_exact);
        assert!(artists.total >= 1000 && artists.total < matching(Kind::Artist));
    } else {
        assert!(artists.total_exact);
        assert_eq!(artists.total, matching(Kind::Artist));
    }
    // The albums are outside the tier, yet their page is full and their count exact.
    let albums = &pages[1].1;
    assert_eq!((albums.total, albums.total_exact), (5, true));
    assert_eq!(albums.items.len(), 5);
    // Artists: the best of the tier, which holds the most popular ones.
    let pops: Vec<u64> = artists
        .items
        .iter()
        .map(|v| v["popularity"].as_u64().unwrap())
        .collect();
    assert_eq!(pops.len(), 10);
    assert!(pops.iter().all(|p| *p >= 85), "{pops:?}");
}
