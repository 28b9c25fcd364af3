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
use tantivy::query::{
    BooleanQuery, ConstScorer, EmptyQuery, EnableScoring, Explanation, Occur, Query, Scorer,
    TermQuery, TermSetQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term};

/// Expansions kept as their own postings lists (the most frequent ones); the rest form a bitset.
const SKIPPABLE_EXPANSIONS: usize = 3;

/// Expands query words against the index being searched.
pub struct Expander<'a> {
    pub searcher: &'a Searcher,
    pub max_expansions: usize,
}

impl Expander<'_> {
    /// The terms of `field` within `distance` edits of `word`, closest first, then by document
    /// frequency; at most `max_expansions`.
    pub fn expansions(&self, field: Field, word: &str, distance: u8) -> Vec<(String, u64)> {
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
            .filter_map(|(t, (_, df))| Some((String::from_utf8(t).ok()?, df)))
            .collect()
    }

    /// Matches documents having any expansion of `word` in `field` (wrap it in a constant
    /// score). The most frequent expansions are kept as postings lists, which an intersection
    /// skips through; the rest, usually many rare terms, are merged into one bitset up front, so
    /// that skipping never has to advance dozens of lists.
    pub fn query(&self, field: Field, word: &str, distance: u8) -> Box<dyn Query> {
        let mut terms = self.expansions(field, word, distance);
        if terms.is_empty() {
            return Box::new(EmptyQuery);
        }
        terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let split = terms.len().min(SKIPPABLE_EXPANSIONS);
        let mut any: Vec<(Occur, Box<dyn Query>)> = terms[..split]
            .iter()
            .map(|(t, _)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        if split < terms.len() {
            let rest = terms[split..]
                .iter()
                .map(|(t, _)| Term::from_field_text(field, t));
            any.push((Occur::Should, Box::new(TermSetQuery::new(rest))));
        }
        Box::new(BooleanQuery::new(any))
    }
}

/// A constant score for documents matching `inner`, whose own scoring is switched off: tantivy's
/// `ConstScoreQuery` still scores its inner query, and a union of term postings then computes a
/// BM25 score for every posting it passes only to throw it away.
#[derive(Debug)]
pub struct ConstMatch {
    pub inner: Box<dyn Query>,
    pub score: Score,
}

impl Clone for ConstMatch {
    fn clone(&self) -> Self {
        ConstMatch {
            inner: self.inner.box_clone(),
            score: self.score,
        }
    }
}

impl Query for ConstMatch {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let unscored = EnableScoring::disabled_from_schema(enable_scoring.schema());
        Ok(Box::new(ConstMatchWeight {
            inner: self.inner.weight(unscored)?,
            score: self.score,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct ConstMatchWeight {
    inner: Box<dyn Weight>,
    score: Score,
}

impl Weight for ConstMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = self.inner.scorer(reader, boost)?;
        Ok(Box::new(ConstScorer::new(docs, self.score * boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("constant", self.score))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(
                "the document does not match".into(),
            ))
        }
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}
