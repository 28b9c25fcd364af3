//! Unit tests of `SearchIndex` on a temporary directory, without the HTTP layer.

use super::schema::{ArtistDoc, SearchDoc};
use super::*;

fn artist(id: &str, name: &str, popularity: u32) -> SearchDoc {
    SearchDoc::Artist(ArtistDoc {
        id: id.into(),
        name: name.into(),
        genres: vec![],
        popularity,
    })
}

fn ids(idx: &SearchIndex, q: &str) -> Vec<String> {
    let req = SearchRequest {
        q: q.into(),
        types: vec![Kind::Artist],
        limit: 10,
        offset: 0,
        user_id: None,
        now_ms: 0,
    };
    let pages = idx.search(&req).unwrap();
    pages[0]
        .1
        .items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn popularity_overlay_reorders_results() {
    let dir = tempfile::tempdir().unwrap();
    let idx =
        SearchIndex::open(dir.path(), &crate::config::Config::default().search, None).unwrap();
    idx.upsert_docs_blocking(vec![
        artist("a", "Vantablack", 5),
        artist("b", "Vantablack", 60),
    ])
    .unwrap();
    idx.flush_blocking().unwrap();
    assert_eq!(ids(&idx, "vantablack"), ["b", "a"]);
    idx.set_popularity(Kind::Artist, &[("a".into(), 100), ("b".into(), 0)]);
    assert_eq!(ids(&idx, "vantablack"), ["a", "b"]);
}
