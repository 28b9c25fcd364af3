//! Autocomplete: completed words match like search words; the word being typed matches the
//! per-word edge n-grams of names (exactly, or within AUTO fuzziness). Tracks, artists and
//! albums are mixed in one ranking. One- and two-letter prefixes match a large share of the
//! catalog, so their results are cached per index generation (refreshed at most once a second
//! while the index keeps changing).

use super::query::{auto_fuzziness, word_clause, Parsed};
use super::schema::{fold_words, Fields, MAX_GRAM};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// Prefixes up to this many characters (as the only word) are served from the cache.
pub const CACHED_PREFIX_CHARS: usize = 2;
const CACHE_MAX_ENTRIES: usize = 4096;
const CACHE_MAX_STALENESS: Duration = Duration::from_secs(1);

/// Builds the autocomplete query; None when nothing searchable is left after folding.
pub fn build(
    parsed: &Parsed,
    fields: &Fields,
    analyzer: &mut TextAnalyzer,
) -> Option<Box<dyn Query>> {
    let f = fields;
    let mut terms: Vec<String> = Vec::new();
    for w in parsed.words.iter().chain(parsed.phrases.iter()) {
        terms.extend(fold_words(analyzer, w));
    }
    let last = if parsed.open_last_word && parsed.phrases.is_empty() {
        terms.pop()
    } else {
        None
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|t| (Occur::Must, word_clause(f, t)))
        .collect();
    if let Some(prefix) = last {
        let prefix: String = prefix.chars().take(MAX_GRAM).collect();
        let edge = Term::from_field_text(f.name_edge, &prefix);
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(edge.clone(), IndexRecordOption::Basic)),
                    3.0,
                )),
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.name, &prefix),
                        IndexRecordOption::WithFreqs,
                    )),
                    1.0,
                )),
            ),
        ];
        let d = auto_fuzziness(&prefix);
        if d > 0 {
            any.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(edge, d, true)),
                    1.0,
                )),
            ));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    if clauses.is_empty() {
        return None;
    }
    clauses.push((
        Occur::MustNot,
        Box::new(TermQuery::new(
            Term::from_field_text(f.kind, "playlist"),
            IndexRecordOption::Basic,
        )),
    ));
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// The cache key when this query is a very short lone prefix.
pub fn cache_key(parsed: &Parsed, analyzer: &mut TextAnalyzer, limit: usize) -> Option<String> {
    if parsed.words.len() != 1 || !parsed.phrases.is_empty() || !parsed.open_last_word {
        return None;
    }
    let terms = fold_words(analyzer, &parsed.words[0]);
    match terms.as_slice() {
        [t] if t.chars().count() <= CACHED_PREFIX_CHARS => Some(format!("{t}/{limit}")),
        _ => None,
    }
}

type Entry = (u64, Instant, Arc<Vec<serde_json::Value>>);

/// Results of very short prefixes, tagged with the index generation they were computed on.
#[derive(Default)]
pub struct PrefixCache {
    map: Mutex<HashMap<String, Entry>>,
}

impl PrefixCache {
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<Vec<serde_json::Value>>> {
        let map = self.map.lock();
        let (g, at, v) = map.get(key)?;
        (*g == generation || at.elapsed() < CACHE_MAX_STALENESS).then(|| v.clone())
    }

    pub fn put(&self, key: String, generation: u64, value: Arc<Vec<serde_json::Value>>) {
        let mut map = self.map.lock();
        if map.len() >= CACHE_MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (generation, Instant::now(), value));
    }

    pub fn clear(&self) {
        self.map.lock().clear();
    }
}
