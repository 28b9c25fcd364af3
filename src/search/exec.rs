//! Running a search in one pass per segment: every match is counted (so `total` is exact), and
//! scored as `text relevance × static rank`, the static rank (popularity factor × kind weight,
//! overlay applied) read from the segment's ranking tables rather than from fast fields and a
//! hash map per document. In a broad query only the top tier is scored (see `tier.rs`); a type
//! whose page the tier cannot fill is ranked again over all its matches.

use super::complete::SegmentTables;
use super::index::Shared;
use super::schema::Kind;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, TERMINATED};

/// One type's page of ranked documents and its match count.
pub struct Found {
    pub kind: Kind,
    pub hits: Vec<DocAddress>,
    pub total: u64,
}

/// A hit ordered by score, then by address (earlier first), for deterministic pages.
#[derive(Clone, Copy, PartialEq)]
struct Hit(Score, DocAddress);

impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.segment_ord.cmp(&self.1.segment_ord))
            .then_with(|| other.1.doc_id.cmp(&self.1.doc_id))
    }
}

/// The best `size` hits seen, as a min-heap.
struct Top {
    size: usize,
    heap: BinaryHeap<Reverse<Hit>>,
}

impl Top {
    fn new(size: usize) -> Top {
        Top {
            size,
            heap: BinaryHeap::with_capacity(size + 1),
        }
    }
    fn push(&mut self, hit: Hit) {
        if self.heap.len() < self.size {
            self.heap.push(Reverse(hit));
        } else if self.heap.peek().is_some_and(|Reverse(min)| hit > *min) {
            self.heap.pop();
            self.heap.push(Reverse(hit));
        }
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
    /// Best first.
    fn into_sorted(self) -> Vec<Hit> {
        let mut v: Vec<Hit> = self.heap.into_iter().map(|Reverse(h)| h).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// What one pass over the matches gathered for one bucket (a kind, or all kinds at once).
struct Bucket {
    top: Top,
    count: u64,
    /// Matches outside the top tier that were counted but not scored.
    unscored: u64,
}

/// Scores and counts `query`'s matches into one bucket per entry of `kinds` (an empty `kinds`
/// means one bucket for every kind). `broad_above`: segments where the query may match more
/// documents than this only score their top tier.
fn pass(
    searcher: &Searcher,
    query: &dyn Query,
    kinds: &[Kind],
    keep: usize,
    shared: &Arc<Shared>,
    broad_above: Option<u64>,
) -> tantivy::Result<Vec<Bucket>> {
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut buckets: Vec<Bucket> = (0..kinds.len().max(1))
        .map(|_| Bucket {
            top: Top::new(keep),
            count: 0,
            unscored: 0,
        })
        .collect();
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let tables: Arc<SegmentTables> = shared.tables.of(seg, &shared.overlay)?;
        let alive = seg.alive_bitset();
        let mut scorer = weight.scorer(seg, 1.0)?;
        let tier_cut = match (broad_above, tables.tier_cut()) {
            (Some(limit), Some(cut)) if u64::from(scorer.size_hint()) > limit => cut,
            _ => f32::MIN,
        };
        let mut doc: DocId = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let slot = if kinds.is_empty() {
                    Some(0)
                } else {
                    let code = tables.kind(doc);
                    kinds.iter().position(|k| k.code() == code)
                };
                if let Some(b) = slot.and_then(|i| buckets.get_mut(i)) {
                    b.count += 1;
                    let rank = tables.rank(doc);
                    if rank >= tier_cut {
                        let score = scorer.score() * rank;
                        b.top.push(Hit(score, DocAddress::new(ord as u32, doc)));
                    } else {
                        b.unscored += 1;
                    }
                }
            }
            doc = scorer.advance();
        }
    }
    Ok(buckets)
}

/// Ranks one page per kind of `query`'s matches; `query` must already be restricted to `kinds`.
pub fn rank_pages(
    searcher: &Searcher,
    query: &dyn Query,
    kinds: &[Kind],
    limit: usize,
    offset: usize,
    shared: &Arc<Shared>,
    broad_above: u64,
) -> tantivy::Result<Vec<Found>> {
    let keep = offset + limit;
    let buckets = pass(searcher, query, kinds, keep, shared, Some(broad_above))?;
    let mut out = Vec::with_capacity(kinds.len());
    for (kind, b) in kinds.iter().zip(buckets) {
        // The tier could not fill this page: rank all of this kind's matches.
        let top = if b.top.len() < keep && b.unscored > 0 {
            let mut again = pass(searcher, query, &[*kind], keep, shared, None)?;
            again.pop().map_or(b.top, |b| b.top)
        } else {
            b.top
        };
        out.push(Found {
            kind: *kind,
            hits: top
                .into_sorted()
                .into_iter()
                .skip(offset)
                .map(|h| h.1)
                .collect(),
            total: b.count,
        });
    }
    Ok(out)
}

/// The best `limit` matches of `query` over every kind (autocomplete of several words).
pub fn rank_mixed(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    shared: &Arc<Shared>,
    broad_above: u64,
) -> tantivy::Result<Vec<DocAddress>> {
    let mut buckets = pass(searcher, query, &[], limit, shared, Some(broad_above))?;
    let Some(mut b) = buckets.pop() else {
        return Ok(vec![]);
    };
    if b.top.len() < limit && b.unscored > 0 {
        if let Some(again) = pass(searcher, query, &[], limit, shared, None)?.pop() {
            b = again;
        }
    }
    Ok(b.top.into_sorted().into_iter().map(|h| h.1).collect())
}
