//! Pruning by the text score bound changes nothing: every query gives the same pages and totals
//! with and without it, on an index whose words repeat within names (term frequencies above one),
//! across fields of different lengths and popularities. Debug builds also check that no scored
//! document exceeds the bound (`exec::offer`).

use super::super::exec::rank_pages;
use super::super::fuzzy::Expander;
use super::super::query::{build, build_multi, parse, Ctx};
use super::super::schema::{AlbumDoc, ArtistDoc, Named, SearchDoc, TrackDoc};
use super::super::*;
use super::max_text_score;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const WORDS: &[&str] = &[
    "love", "lover", "night", "nights", "light", "blue", "blues", "heaven", "heavy", "metal",
    "zeppelin", "stairway", "me", "you", "rain",
];

fn name(rng: &mut StdRng) -> String {
    let n = rng.gen_range(1..=5);
    (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn docs(rng: &mut StdRng) -> Vec<SearchDoc> {
    let mut out = Vec::new();
    for i in 0..60 {
        out.push(SearchDoc::Artist(ArtistDoc {
            id: format!("ar{i}"),
            name: name(rng),
            genres: vec!["Rock".into()],
            popularity: rng.gen_range(0..=100),
        }));
    }
    for i in 0..200 {
        out.push(SearchDoc::Album(AlbumDoc {
            id: format!("al{i}"),
            name: name(rng),
            artists: vec![Named {
                id: format!("ar{}", i % 60),
                name: name(rng),
            }],
            release_date: "2001-01-01".into(),
            year: Some(1990 + i % 20),
            genre: Some("Rock".into()),
            popularity: rng.gen_range(0..=100),
            release_ms: None,
        }));
    }
    for i in 0..3000 {
        out.push(SearchDoc::Track(TrackDoc {
            id: format!("tr{i}"),
            name: name(rng),
            artists: vec![Named {
                id: format!("ar{}", i % 60),
                name: name(rng),
            }],
            album: Named {
                id: format!("al{}", i % 200),
                name: name(rng),
            },
            duration_ms: 200_000,
            explicit: false,
            popularity: rng.gen_range(0..=100),
            genre: Some(if i % 3 == 0 { "Jazz" } else { "Rock" }.into()),
            year: Some(1990 + i % 20),
            isrc: Some(format!("QZ{i:010}")),
            release_ms: None,
        }));
    }
    out
}

#[test]
fn pruning_by_the_bound_changes_no_page() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::config::Config::default().search;
    let idx = SearchIndex::open(dir.path(), &config, None).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    idx.upsert_docs_blocking(docs(&mut rng)).unwrap();
    idx.flush_blocking().unwrap();
    let live = idx.shared.live();
    let searcher = live.reader.searcher();
    let expander = Expander {
        searcher: &searcher,
        max_expansions: config.fuzzy_max_expansions,
    };
    let mut analyzer = idx.analyzer.clone();
    let queries = [
        "love",
        "love me",
        "lvoe",
        "heavy metal",
        "nigth blue",
        "you you",
        "\"love me\"",
        "\"rain\" light",
        "stairway heaven zeppelin",
        "love artist:blue",
        "metal artist:\"heavy metal\"",
        "rain genre:jazz year:1995-1999",
        "me album:\"blue rain\"",
        "isrc:qz0000000042",
        "track:lover",
    ];
    let kinds = [Kind::Track, Kind::Artist, Kind::Album];
    let mut pruned_somewhere = false;
    let pruned_before = super::super::exec::PRUNED.with(|n| n.get());
    for q in queries {
        let parsed = parse(q).unwrap();
        let mut ctx = Ctx {
            fields: &idx.shared.fields,
            expander: &expander,
            analyzer: &mut analyzer,
            now_ms: 0,
            user_id: None,
        };
        let bound = max_text_score(&parsed, &mut ctx);
        assert!(bound.is_finite() && bound > 0.0, "{q}: bound {bound}");
        let mut queries: Vec<(Vec<Kind>, Box<dyn tantivy::query::Query>)> = vec![];
        if parsed.filters.is_empty() {
            queries.push((kinds.to_vec(), build_multi(&parsed, &kinds, &mut ctx)));
        }
        for k in kinds {
            if let Some(one) = build(&parsed, k, &mut ctx) {
                queries.push((vec![k], one));
            }
        }
        for (ks, query) in &queries {
            for (limit, offset) in [(1, 0), (5, 0), (10, 3)] {
                let run = |max_text| {
                    rank_pages(
                        &searcher,
                        &**query,
                        ks,
                        limit,
                        offset,
                        &idx.shared,
                        config.broad_query_docs,
                        max_text,
                    )
                    .unwrap()
                };
                let (with, without) = (run(Some(bound)), run(None));
                for (a, b) in with.iter().zip(&without) {
                    assert_eq!(
                        a.hits, b.hits,
                        "{q} ({:?}, limit {limit}, offset {offset})",
                        a.kind
                    );
                    assert_eq!((a.total, a.total_exact), (b.total, b.total_exact), "{q}");
                    pruned_somewhere |= b.total as usize > limit + offset;
                }
            }
        }
    }
    assert!(pruned_somewhere, "no query had more matches than its page");
    let pruned = super::super::exec::PRUNED.with(|n| n.get());
    assert!(
        pruned > pruned_before + 1000,
        "only {} documents left unscored",
        pruned - pruned_before
    );
}
