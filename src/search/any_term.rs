//! Documents having any of a list of terms in one field, unscored: the rarer expansions of a
//! misspelt word. tantivy's `TermSetQuery` builds a finite-state transducer of its terms for every
//! query (zeroing a large registry each time, about a tenth of a typo search's time) and marks
//! the matches in a bitset as large as the segment; the terms are few and already known here, so
//! each is looked up in the term dictionary and its postings gathered into a sorted list, or into
//! a bitset only when they cover a sizeable part of the segment.

use tantivy::postings::TermInfo;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, InvertedIndexReader, Score, SegmentReader, Term, TERMINATED};

/// Above one match in this many documents of a segment, the matches are kept as a bitset.
const BITSET_ABOVE_ONE_IN: u32 = 64;

#[derive(Debug, Clone)]
pub struct AnyTerm {
    field: Field,
    terms: Vec<Term>,
}

impl AnyTerm {
    /// `terms` must all be of `field`.
    pub fn new(field: Field, terms: Vec<Term>) -> AnyTerm {
        AnyTerm { field, terms }
    }
}

impl Query for AnyTerm {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.terms {
            visitor(t, false);
        }
    }
}

impl Weight for AnyTerm {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inv = reader.inverted_index(self.field)?;
        let mut infos = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            if let Some(info) = inv.get_term_info(t)? {
                infos.push(info);
            }
        }
        let total: u64 = infos.iter().map(|i| u64::from(i.doc_freq)).sum();
        let max_doc = reader.max_doc();
        if total > u64::from(max_doc / BITSET_ABOVE_ONE_IN) {
            let mut bits = DocBits::new(max_doc);
            each_posting(&inv, &infos, |d| bits.insert(d))?;
            bits.doc = bits.next_from(0);
            return Ok(Box::new(bits));
        }
        let mut docs = Vec::with_capacity(total as usize);
        each_posting(&inv, &infos, |d| docs.push(d))?;
        docs.sort_unstable();
        docs.dedup();
        Ok(Box::new(DocList { docs, at: 0 }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        super::fuzzy::explain_match(self, reader, doc, "any of the terms", 0.0)
    }
}

/// Every posting of every term, in term order.
fn each_posting(
    inv: &InvertedIndexReader,
    infos: &[TermInfo],
    mut take: impl FnMut(DocId),
) -> tantivy::Result<()> {
    for info in infos {
        let mut p = inv.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        let mut d = p.doc();
        while d != TERMINATED {
            take(d);
            d = p.advance();
        }
    }
    Ok(())
}

/// A sorted list of documents; seeking is a binary search of what is left.
struct DocList {
    docs: Vec<DocId>,
    at: usize,
}

impl DocSet for DocList {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let rest = self.docs.get(self.at..).unwrap_or_default();
        self.at += rest.partition_point(|&d| d < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        (self.docs.len() - self.at.min(self.docs.len())) as u32
    }
}

impl Scorer for DocList {
    fn score(&mut self) -> Score {
        0.0
    }
}

/// A bitset over a segment's documents.
struct DocBits {
    words: Vec<u64>,
    doc: DocId,
    len: u32,
}

impl DocBits {
    fn new(max_doc: u32) -> DocBits {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
            doc: TERMINATED,
            len: 0,
        }
    }

    fn insert(&mut self, doc: DocId) {
        if let Some(w) = self.words.get_mut(doc as usize / 64) {
            let bit = 1u64 << (doc % 64);
            if *w & bit == 0 {
                *w |= bit;
                self.len += 1;
            }
        }
    }

    /// The first document at or after `from`.
    fn next_from(&self, from: DocId) -> DocId {
        let mut i = from as usize / 64;
        let Some(&first) = self.words.get(i) else {
            return TERMINATED;
        };
        let mut bits = first & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return (i * 64) as DocId + bits.trailing_zeros();
            }
            i += 1;
            match self.words.get(i) {
                Some(&w) => bits = w,
                None => return TERMINATED,
            }
        }
    }
}

impl DocSet for DocBits {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_from(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc != TERMINATED && self.doc < target {
            self.doc = self.next_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.len
    }
}

impl Scorer for DocBits {
    fn score(&mut self) -> Score {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn walk(mut d: Box<dyn DocSet>) -> Vec<DocId> {
        let mut out = vec![];
        let mut doc = d.doc();
        while doc != TERMINATED {
            out.push(doc);
            doc = d.advance();
        }
        out
    }

    proptest! {
        /// Both representations walk and seek exactly like the sorted set of their documents.
        #[test]
        fn list_and_bits_agree_with_a_sorted_set(
            docs in proptest::collection::btree_set(0u32..3000, 0..300),
            seeks in proptest::collection::vec(0u32..3200, 0..20),
        ) {
            let sorted: Vec<DocId> = docs.iter().copied().collect();
            let list = || Box::new(DocList { docs: sorted.clone(), at: 0 });
            let bits = || {
                let mut b = DocBits::new(3000);
                for &d in &sorted {
                    b.insert(d);
                }
                b.doc = b.next_from(0);
                Box::new(b)
            };
            prop_assert_eq!(walk(list()), sorted.clone());
            prop_assert_eq!(walk(bits()), sorted.clone());
            prop_assert_eq!(bits().size_hint() as usize, sorted.len());
            let (mut l, mut b) = (list(), bits());
            let mut at = 0;
            for s in seeks {
                let target = at.max(s);
                let want = sorted.iter().copied().find(|&d| d >= target).unwrap_or(TERMINATED);
                prop_assert_eq!(l.seek(target), want);
                prop_assert_eq!(b.seek(target), want);
                if want == TERMINATED {
                    break;
                }
                at = want;
            }
        }
    }
}
