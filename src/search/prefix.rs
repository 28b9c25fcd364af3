//! Prefix matching of the word being typed in a search (`/v1/search?q=stair`): the last word of a
//! query that ends inside it matches every indexed word it begins, like the suggestions do, so
//! that pressing Enter shows what the suggestions showed. The prefix is expanded against the term
//! dictionary (the most frequent `search.fuzzy_max_expansions` words), the way typos are.

use super::fuzzy::Expander;
use super::query::Parsed;
use super::schema::fold_words;
use std::collections::HashMap;
use tantivy::query::{EmptyQuery, Query};
use tantivy::schema::Field;
use tantivy::tokenizer::TextAnalyzer;
use tantivy_fst::Automaton;

/// The word being typed, folded: the last bare word when the query ends inside it (a trailing
/// space, quote or filter closes it).
pub fn open_word(parsed: &Parsed, analyzer: &mut TextAnalyzer) -> Option<String> {
    if !parsed.open_last_word {
        return None;
    }
    fold_words(analyzer, parsed.words.last()?).pop()
}

/// Matches the terms that start with the given bytes. States: `Some(n)` = n bytes matched.
struct StartsWith<'a>(&'a [u8]);

impl Automaton for StartsWith<'_> {
    type State = Option<usize>;
    fn start(&self) -> Option<usize> {
        Some(0)
    }
    fn is_match(&self, state: &Option<usize>) -> bool {
        *state == Some(self.0.len())
    }
    fn can_match(&self, state: &Option<usize>) -> bool {
        state.is_some()
    }
    fn accept(&self, state: &Option<usize>, byte: u8) -> Option<usize> {
        match *state {
            Some(n) if n == self.0.len() => Some(n),
            Some(n) if self.0.get(n) == Some(&byte) => Some(n + 1),
            _ => None,
        }
    }
}

impl Expander<'_> {
    /// The terms of `field` that start with `prefix`, most frequent first; at most
    /// `max_expansions`.
    pub fn prefix_expansions(&self, field: Field, prefix: &str) -> Vec<(String, u64)> {
        let mut found: HashMap<Vec<u8>, u64> = HashMap::new();
        for seg in self.searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(field) else {
                continue;
            };
            let automaton = StartsWith(prefix.as_bytes());
            let Ok(mut stream) = inv.terms().search(automaton).into_stream() else {
                continue;
            };
            while stream.advance() {
                *found.entry(stream.key().to_vec()).or_insert(0) +=
                    u64::from(stream.value().doc_freq);
            }
        }
        let mut terms: Vec<(Vec<u8>, u64)> = found.into_iter().collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        terms
            .into_iter()
            .take(self.max_expansions.max(1))
            .filter_map(|(t, df)| Some((String::from_utf8(t).ok()?, df)))
            .collect()
    }

    /// Matches documents having a word of `field` that starts with `prefix` (wrap it in a
    /// constant score), seekable inside an intersection like the typo expansions.
    pub fn prefix_query(&self, field: Field, prefix: &str) -> Box<dyn Query> {
        match self.parts_of(field, self.prefix_expansions(field, prefix)) {
            parts if parts.is_empty() => Box::new(EmptyQuery),
            parts => Box::new(super::fuzzy::SparseUnion::unscored(parts)),
        }
    }
}
