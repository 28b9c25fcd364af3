//! Prefix matching of the word being typed in a search (`/v1/search?q=stair`): the last word of a
//! query that ends inside it matches every indexed word it begins, like the suggestions do, so
//! that pressing Enter shows what the suggestions showed. The prefix is expanded against the term
//! dictionary (the most frequent `search.fuzzy_max_expansions` words), the way typos are.

use super::fuzzy::{ConstMatch, Expander};
use super::query::{
    boost, fuzzy_q, term_q, Parsed, ALBUM_BOOST, ARTIST_BOOST, EXACT_BONUS, NAME_BOOST,
    NAME_PREFIX, PREFIX_MATCH,
};
use super::schema::{fold_words, Fields, MAX_GRAM};
use std::collections::HashMap;
use tantivy::query::{BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;
use tantivy_fst::Automaton;

/// The word being typed, folded: the last bare word when the query ends inside it (a trailing
/// space, quote or filter closes it).
pub fn open_word(parsed: &Parsed, analyzer: &mut TextAnalyzer) -> Option<String> {
    if !parsed.open_last_word {
        return None;
    }
    fold_words(analyzer, parsed.words.last()?).pop()
}

/// The word being typed (the query ends inside it): like `word_clause`, but a word that merely
/// starts with it also matches, for `PREFIX_MATCH`, plus `NAME_PREFIX` when a word of the name
/// starts with it (the edge n-grams the suggestions match). A prefix-only hit therefore scores at
/// most 1.5, against the 2.5 an exact word earns before its BM25 bonus, and above a typo-only hit
/// (0.5): the exact word wins unless the prefix hit is far more popular (static ranks differ by
/// at most 2.6 times).
pub fn open_word_clause(f: &Fields, x: &Expander, t: &str) -> Box<dyn Query> {
    let prefix: Box<dyn Query> = Box::new(ConstMatch {
        inner: x.prefix_query(f.all, t),
        score: PREFIX_MATCH,
    });
    let matched: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
        (Occur::Should, fuzzy_q(x, f.all, t)),
        (Occur::Should, prefix),
    ]));
    let gram: String = t.chars().take(MAX_GRAM).collect();
    let bonuses: [Box<dyn Query>; 5] = [
        Box::new(ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(f.name_edge, &gram),
                IndexRecordOption::Basic,
            )),
            NAME_PREFIX,
        )),
        Box::new(ConstScoreQuery::new(term_q(f.all, t), EXACT_BONUS)),
        boost(term_q(f.name, t), NAME_BOOST),
        boost(term_q(f.artist, t), ARTIST_BOOST),
        boost(term_q(f.album, t), ALBUM_BOOST),
    ];
    bonuses.into_iter().fold(matched, |q, bonus| {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Should, bonus),
        ]))
    })
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
