//! Typo tolerance by explicit expansion, as Elasticsearch's fuzzy queries do: the terms of a field
//! within AUTO fuzziness of a query word are looked up with a Levenshtein automaton over every
//! segment's term dictionary, the closest (then most frequent) `search.fuzzy_max_expansions` are
//! kept, and the word matches any of them. tantivy's own fuzzy query marks every posting of every
//! expansion in a bitset before the query starts, which costs as much as a common word has
//! documents even when another word of the query is rare; a union of term postings instead lets
//! the conjunction skip ahead through them.

use super::any_term::AnyTerm;
use super::complete::{dfa, DfaAutomaton};
use levenshtein_automata::Distance;
use std::collections::HashMap;
use tantivy::query::{
    BooleanQuery, ConstScorer, EmptyQuery, EnableScoring, Explanation, Occur, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

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
    /// score), for a word that an intersection seeks through (see `SparseUnion`).
    pub fn query(&self, field: Field, word: &str, distance: u8) -> Box<dyn Query> {
        match self.parts(field, word, distance) {
            parts if parts.is_empty() => Box::new(EmptyQuery),
            parts => Box::new(SparseUnion::unscored(parts)),
        }
    }

    /// The same, as tantivy's buffered union, for a clause that is walked densely (the prefix
    /// being typed leads a suggestion's intersection).
    pub fn query_dense(&self, field: Field, word: &str, distance: u8) -> Box<dyn Query> {
        match self.parts(field, word, distance) {
            parts if parts.is_empty() => Box::new(EmptyQuery),
            parts => Box::new(BooleanQuery::new(
                parts.into_iter().map(|q| (Occur::Should, q)).collect(),
            )),
        }
    }

    /// The most frequent expansions as their own postings lists, which an intersection skips
    /// through; the rest, usually many rare terms, merged into one sorted list up front, so that
    /// skipping never has to advance dozens of lists.
    fn parts(&self, field: Field, word: &str, distance: u8) -> Vec<Box<dyn Query>> {
        self.parts_of(field, self.expansions(field, word, distance))
    }

    /// `parts` of a given list of expansions `(term, document frequency)`.
    pub(super) fn parts_of(
        &self,
        field: Field,
        mut terms: Vec<(String, u64)>,
    ) -> Vec<Box<dyn Query>> {
        terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let split = terms.len().min(SKIPPABLE_EXPANSIONS);
        let mut parts: Vec<Box<dyn Query>> = terms[..split]
            .iter()
            .map(|(t, _)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::Basic,
                ));
                q
            })
            .collect();
        if split < terms.len() {
            let rest = terms[split..]
                .iter()
                .map(|(t, _)| Term::from_field_text(field, t))
                .collect();
            parts.push(Box::new(AnyTerm::new(field, rest)));
        }
        parts
    }
}

/// The explanation of a weight whose matches all score `score`: `what` if `doc` matches.
pub(super) fn explain_match(
    weight: &dyn Weight,
    reader: &SegmentReader,
    doc: DocId,
    what: &'static str,
    score: Score,
) -> tantivy::Result<Explanation> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    if scorer.seek(doc) == doc {
        Ok(Explanation::new(what, score))
    } else {
        Err(tantivy::TantivyError::InvalidArgument(
            "the document does not match".into(),
        ))
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
        explain_match(self, reader, doc, "constant", self.score)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

/// A union of a few docsets that seeks each of them instead of buffering: tantivy's union fills
/// a 4,096-document window on every jump, decoding thousands of postings of a common word when a
/// rarer clause leads the intersection, where a seek through the skip list decodes one block.
/// Unscored (its parts' scoring switched off), or scored as tantivy scores a union of optional
/// clauses: the sum of the scores of the clauses matching the document.
#[derive(Debug)]
pub struct SparseUnion {
    parts: Vec<Box<dyn Query>>,
    scored: bool,
}

impl SparseUnion {
    pub fn unscored(parts: Vec<Box<dyn Query>>) -> SparseUnion {
        SparseUnion {
            parts,
            scored: false,
        }
    }

    pub fn scored(parts: Vec<Box<dyn Query>>) -> SparseUnion {
        SparseUnion {
            parts,
            scored: true,
        }
    }
}

impl Clone for SparseUnion {
    fn clone(&self) -> Self {
        SparseUnion {
            parts: self.parts.iter().map(|q| q.box_clone()).collect(),
            scored: self.scored,
        }
    }
}

impl Query for SparseUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let scoring = if self.scored {
            enable_scoring
        } else {
            EnableScoring::disabled_from_schema(enable_scoring.schema())
        };
        Ok(Box::new(SparseUnionWeight {
            parts: self
                .parts
                .iter()
                .map(|q| q.weight(scoring))
                .collect::<tantivy::Result<_>>()?,
            scored: self.scored,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for q in &self.parts {
            q.query_terms(visitor);
        }
    }
}

struct SparseUnionWeight {
    parts: Vec<Box<dyn Weight>>,
    scored: bool,
}

impl Weight for SparseUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let parts = self
            .parts
            .iter()
            .map(|w| w.scorer(reader, boost))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut union = SparseUnionScorer {
            parts,
            doc: 0,
            scored: self.scored,
        };
        union.doc = union.min_doc();
        Ok(Box::new(union))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_match(self, reader, doc, "any of the terms", 0.0)
    }
}

struct SparseUnionScorer {
    parts: Vec<Box<dyn Scorer>>,
    doc: DocId,
    scored: bool,
}

impl SparseUnionScorer {
    fn min_doc(&self) -> DocId {
        self.parts
            .iter()
            .map(|p| p.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for SparseUnionScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for p in &mut self.parts {
            if p.doc() == current {
                p.advance();
            }
        }
        self.doc = self.min_doc();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for p in &mut self.parts {
            if p.doc() < target {
                p.seek(target);
            }
        }
        self.doc = self.min_doc();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts
            .iter()
            .map(|p| p.size_hint())
            .fold(0u32, u32::saturating_add)
    }
}

impl Scorer for SparseUnionScorer {
    fn score(&mut self) -> Score {
        if !self.scored {
            return 0.0;
        }
        let doc = self.doc;
        self.parts
            .iter_mut()
            .filter(|p| p.doc() == doc)
            .map(|p| p.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{DocSetCollector, TopDocs};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, DocAddress, Index};

    /// 20,000 documents: `common` in half, `rare` in one in 97, `rarer` in one in 1,001 and
    /// `lead` in one in 13, the clause that leads an intersection by seeks.
    fn fixture() -> (Searcher, Field) {
        let mut b = Schema::builder();
        let t = b.add_text_field("t", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for i in 0..20_000u32 {
            let mut words = vec!["x"];
            for (word, every) in [("common", 2), ("rare", 97), ("rarer", 1001), ("lead", 13)] {
                if i % every == 0 {
                    words.push(word);
                }
            }
            w.add_document(doc!(t => words.join(" "))).unwrap();
        }
        w.commit().unwrap();
        (index.reader().unwrap().searcher(), t)
    }

    fn term_q(t: Field, s: &str, option: IndexRecordOption) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(t, s), option))
    }

    /// tantivy's union of optional clauses.
    fn buffered(t: Field, words: &[&str], option: IndexRecordOption) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            words
                .iter()
                .map(|s| (Occur::Should, term_q(t, s, option)))
                .collect(),
        ))
    }

    fn led(t: Field, q: Box<dyn Query>) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, term_q(t, "lead", IndexRecordOption::Basic)),
            (Occur::Must, q),
        ]))
    }

    /// The sparse union matches exactly what tantivy's union matches, alone and when an
    /// intersection leads it by seeks; so does the term list, as a sorted list (few matches) and
    /// as a bitset (half the segment).
    #[test]
    fn sparse_union_and_term_list_match_like_a_buffered_union() {
        let (searcher, t) = fixture();
        let basic = IndexRecordOption::Basic;
        let term = |s: &str| Term::from_field_text(t, s);
        let docs = |q: &dyn Query| searcher.search(q, &DocSetCollector).unwrap();
        let sparse = || -> Box<dyn Query> {
            Box::new(SparseUnion::unscored(vec![
                term_q(t, "common", basic),
                Box::new(AnyTerm::new(t, vec![term("rare"), term("rarer")])),
            ]))
        };
        let all_three = || buffered(t, &["common", "rare", "rarer"], basic);
        assert_eq!(docs(&*sparse()), docs(&*all_three()));
        let got = docs(&*led(t, sparse()));
        assert_eq!(got, docs(&*led(t, all_three())));
        assert!(!got.is_empty());
        let many = || -> Box<dyn Query> {
            Box::new(AnyTerm::new(
                t,
                vec![term("common"), term("rarer"), term("none")],
            ))
        };
        let two = || buffered(t, &["common", "rarer"], basic);
        assert_eq!(docs(&*many()), docs(&*two()));
        assert_eq!(docs(&*many()).len(), 10_000 + 10);
        assert_eq!(docs(&*led(t, many())), docs(&*led(t, two())));
    }

    /// Scored, the sparse union scores like tantivy's union of optional clauses: the sum of the
    /// matching clauses' scores, alone and led by a rarer clause.
    #[test]
    fn scored_sparse_union_scores_like_a_buffered_union() {
        let (searcher, t) = fixture();
        let freqs = IndexRecordOption::WithFreqs;
        let scored = || -> Box<dyn Query> {
            Box::new(SparseUnion::scored(vec![
                term_q(t, "common", freqs),
                term_q(t, "rare", freqs),
            ]))
        };
        let ranked = |q: &dyn Query| {
            let mut v: Vec<(DocAddress, f32)> = searcher
                .search(q, &TopDocs::with_limit(30_000))
                .unwrap()
                .into_iter()
                .map(|(score, a)| (a, score))
                .collect();
            v.sort_by_key(|e| e.0);
            v
        };
        let reference = || buffered(t, &["common", "rare"], freqs);
        for (sparse, union) in [
            (scored(), reference()),
            (led(t, scored()), led(t, reference())),
        ] {
            let (a, b) = (ranked(&*sparse), ranked(&*union));
            assert_eq!(a.len(), b.len());
            assert!(a.len() > 100);
            for ((da, sa), (db, sb)) in a.iter().zip(&b) {
                assert_eq!(da, db);
                assert!((sa - sb).abs() < 1e-4, "{da:?}: {sa} vs {sb}");
            }
        }
    }
}
