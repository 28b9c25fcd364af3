//! Typo tolerance by explicit expansion, as Elasticsearch's fuzzy queries do: the terms of a field
//! within AUTO fuzziness of a query word are looked up with a Levenshtein automaton over every
//! segment's term dictionary, the closest (then most frequent) `search.fuzzy_max_expansions` are
//! kept, and the word matches any of them. tantivy's own fuzzy query marks every posting of every
//! expansion in a bitset before the query starts, which costs as much as a common word has
//! documents even when another word of the query is rare; a union of term postings instead lets
//! the conjunction skip ahead through them.

use super::complete::{dfa, DfaAutomaton};
use levenshtein_automata::Distance;
use std::collections::HashMap;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

/// Expands query words against the index being searched.
pub struct Expander<'a> {
    pub searcher: &'a Searcher,
    pub max_expansions: usize,
}

impl Expander<'_> {
    /// The terms of `field` within `distance` edits of `word`, closest first, then by document
    /// frequency; at most `max_expansions`.
    pub fn expansions(&self, field: Field, word: &str, distance: u8) -> Vec<String> {
        let dfa = dfa(word, distance);
        let mut found: HashMap<Vec<u8>, (u8, u64)> = HashMap::new();
        for seg in self.searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(field) else {
                continue;
            };
            let Ok(mut stream) = inv.terms().search(DfaAutomaton(&dfa)).into_stream() else {
                continue;
            };
            while stream.advance() {
                let edits = match dfa.eval(stream.key()) {
                    Distance::Exact(d) => d,
                    Distance::AtLeast(_) => continue,
                };
                let entry = found.entry(stream.key().to_vec()).or_insert((edits, 0));
                entry.1 += u64::from(stream.value().doc_freq);
            }
        }
        let mut terms: Vec<(Vec<u8>, (u8, u64))> = found.into_iter().collect();
        terms.sort_by(|a, b| {
            (a.1 .0)
                .cmp(&b.1 .0)
                .then(b.1 .1.cmp(&a.1 .1))
                .then(a.0.cmp(&b.0))
        });
        terms
            .into_iter()
            .take(self.max_expansions.max(1))
            .filter_map(|(t, _)| String::from_utf8(t).ok())
            .collect()
    }

    /// Matches documents having any expansion of `word` in `field` (score: the sum of the
    /// matching terms' scores; wrap it in a constant score).
    pub fn query(&self, field: Field, word: &str, distance: u8) -> Box<dyn Query> {
        let terms = self.expansions(field, word, distance);
        if terms.is_empty() {
            return Box::new(EmptyQuery);
        }
        Box::new(BooleanQuery::new(
            terms
                .iter()
                .map(|t| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        ))
    }
}
