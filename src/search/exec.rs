//! Running a search in one pass per segment: matches are counted and scored as
//! `text relevance × static rank`, the static rank (popularity factor × kind weight, overlay
//! applied) read from the segment's ranking tables rather than from fast fields and a hash map per
//! document. In a broad query only the top tier is scored (see `tier.rs`): in a segment built best
//! first that is a few doc id ranges, and counting stops after `search.broad_query_docs` matches
//! (`total` is then a lower bound, as with Elasticsearch's `track_total_hits`); a type whose page
//! the tier cannot fill is ranked (and counted) again over all its matches.

use super::complete::{SegmentTables, TierKind};
use super::index::Shared;
use super::schema::Kind;
use super::tier::Tier;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, Scorer, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, Term, TERMINATED};

/// One type's page of ranked documents and its match count.
pub struct Found {
    pub kind: Kind,
    pub hits: Vec<DocAddress>,
    pub total: u64,
    /// False when counting stopped in a broad query: `total` is then a lower bound.
    pub total_exact: bool,
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
    /// The score a hit must beat once the page is full.
    fn floor(&self) -> Option<Score> {
        (self.heap.len() >= self.size)
            .then(|| self.heap.peek().map(|Reverse(min)| min.0))
            .flatten()
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
    /// False when counting stopped early: `count` is then a lower bound.
    exact: bool,
    /// Matches outside the top tier were skipped, so the page may be short of them.
    skipped: bool,
}

impl Bucket {
    fn new(keep: usize) -> Bucket {
        Bucket {
            top: Top::new(keep),
            count: 0,
            exact: true,
            skipped: false,
        }
    }
}

/// Relative slack on the text score bound: tantivy sums a document's clauses in its own order,
/// which may round differently from the bound's sum.
const BOUND_SLACK: Score = 1.0 + 1e-3;

#[cfg(test)]
thread_local! {
    /// Documents this thread left unscored by the bound, for the tests to see that it prunes.
    pub static PRUNED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Offers the scorer's current document to `top`, scored as text relevance × static rank. With
/// `max_text` (an upper bound of the text score, see `bound.rs`), a document whose static rank
/// cannot lift it above a full page's worst hit is not scored at all.
fn offer(
    top: &mut Top,
    scorer: &mut dyn Scorer,
    tables: &SegmentTables,
    max_text: Option<Score>,
    ord: usize,
    doc: DocId,
) {
    let rank = tables.rank(doc);
    if let (Some(bound), Some(floor)) = (max_text, top.floor()) {
        if rank * bound * BOUND_SLACK < floor {
            #[cfg(test)]
            PRUNED.with(|n| n.set(n.get() + 1));
            return;
        }
    }
    let text = scorer.score();
    debug_assert!(
        max_text.is_none_or(|bound| text <= bound * BOUND_SLACK),
        "text score {text} above its bound {max_text:?}"
    );
    top.push(Hit(text * rank, DocAddress::new(ord as u32, doc)));
}

/// Routes a document to its bucket.
fn slot(tables: &SegmentTables, kinds: &[Kind], doc: DocId) -> Option<usize> {
    if kinds.is_empty() {
        return Some(0);
    }
    let code = tables.kind(doc);
    kinds.iter().position(|k| k.code() == code)
}

/// Scores and counts `query`'s matches into one bucket per entry of `kinds` (an empty `kinds`
/// means one bucket for every kind). `broad_above`: in a tiered segment where the query may match
/// more documents than this, only the top tier is scored, and in a segment built best first
/// counting stops there too, so that only the tier's doc id ranges are visited. `max_text`: an
/// upper bound of the query's text score, which lets a full page skip scoring hopeless documents.
#[allow(clippy::too_many_arguments)]
fn pass(
    searcher: &Searcher,
    query: &dyn Query,
    kinds: &[Kind],
    keep: usize,
    shared: &Arc<Shared>,
    broad_above: Option<(u64, TierKind)>,
    max_text: Option<Score>,
) -> tantivy::Result<Vec<Bucket>> {
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut buckets: Vec<Bucket> = (0..kinds.len().max(1)).map(|_| Bucket::new(keep)).collect();
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let tables: Arc<SegmentTables> = shared.tables.of(seg, &shared.overlay)?;
        let alive = seg.alive_bitset();
        let is_alive = |d: DocId| alive.is_none_or(|a| a.is_alive(d));
        let mut scorer = weight.scorer(seg, 1.0)?;
        let tier = broad_above.and_then(|(_, which)| tables.tier(which));
        let broad = match (broad_above, tier) {
            (Some((limit, _)), Some(t)) if u64::from(scorer.size_hint()) > limit => {
                Some((limit, t))
            }
            _ => None,
        };
        if let Some((
            limit,
            Tier {
                ranges: Some(ranges),
                ..
            },
        )) = broad
        {
            // Count and score the first `limit` matches (in a segment built best first, mostly
            // tier documents); if there are more, only the tier's ranges are visited after that.
            let mut seen = 0u64;
            let mut doc = scorer.doc();
            while doc != TERMINATED && seen < limit {
                if is_alive(doc) {
                    if let Some(b) = slot(&tables, kinds, doc).and_then(|i| buckets.get_mut(i)) {
                        b.count += 1;
                        offer(&mut b.top, &mut *scorer, &tables, max_text, ord, doc);
                    }
                    seen += 1;
                }
                doc = scorer.advance();
            }
            if doc == TERMINATED {
                continue;
            }
            for b in buckets.iter_mut() {
                b.exact = false;
                b.skipped = true;
            }
            for &(start, end) in ranges {
                if end <= doc {
                    continue;
                }
                if doc < start {
                    doc = scorer.seek(start);
                }
                while doc < end {
                    if is_alive(doc) {
                        if let Some(b) = slot(&tables, kinds, doc).and_then(|i| buckets.get_mut(i))
                        {
                            offer(&mut b.top, &mut *scorer, &tables, max_text, ord, doc);
                        }
                    }
                    doc = scorer.advance();
                }
            }
            continue;
        }
        let tier_cut = broad.map_or(f32::MIN, |(_, t)| t.cut);
        let mut doc: DocId = scorer.doc();
        while doc != TERMINATED {
            if is_alive(doc) {
                if let Some(b) = slot(&tables, kinds, doc).and_then(|i| buckets.get_mut(i)) {
                    b.count += 1;
                    if tables.rank(doc) >= tier_cut {
                        offer(&mut b.top, &mut *scorer, &tables, max_text, ord, doc);
                    } else {
                        b.skipped = true;
                    }
                }
            }
            doc = scorer.advance();
        }
    }
    Ok(buckets)
}

/// Ranks one page per kind of `query`'s matches; `query` must already be restricted to `kinds`.
/// `max_text`: an upper bound of the query's text score (`bound::max_text_score`), if known.
#[allow(clippy::too_many_arguments)]
pub fn rank_pages(
    searcher: &Searcher,
    query: &dyn Query,
    kinds: &[Kind],
    limit: usize,
    offset: usize,
    shared: &Arc<Shared>,
    broad_above: u64,
    max_text: Option<Score>,
) -> tantivy::Result<Vec<Found>> {
    let keep = offset + limit;
    let buckets = pass(
        searcher,
        query,
        kinds,
        keep,
        shared,
        Some((broad_above, TierKind::Search)),
        max_text,
    )?;
    let mut out = Vec::with_capacity(kinds.len());
    for (kind, b) in kinds.iter().zip(buckets) {
        // The tier could not fill this page: rank (and count) all of this kind's matches.
        let b = if b.top.len() < keep && b.skipped {
            // Restricted to the kind, so that the intersection can be led by the kind's
            // postings when they are rarer than the query's.
            let of_kind = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(shared.fields.kind, kind.as_str()),
                            IndexRecordOption::Basic,
                        )),
                        0.0,
                    )),
                ),
            ]);
            let mut again = pass(searcher, &of_kind, &[*kind], keep, shared, None, max_text)?;
            again.pop().unwrap_or(b)
        } else {
            b
        };
        out.push(Found {
            kind: *kind,
            hits: b
                .top
                .into_sorted()
                .into_iter()
                .skip(offset)
                .map(|h| h.1)
                .collect(),
            total: b.count,
            total_exact: b.exact,
        });
    }
    Ok(out)
}

/// Suggestions need no totals: a query matching more than this many documents of a tiered
/// segment is ranked within the suggestion tier first.
const SUGGEST_BROAD_DOCS: u64 = 300;

/// The best `limit` matches of `query` over every kind (autocomplete of several words): within
/// the narrow suggestion tier when the query is broad, then a wider tier, then everything,
/// until the page is full.
pub fn rank_mixed(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    shared: &Arc<Shared>,
) -> tantivy::Result<Vec<DocAddress>> {
    let attempts = [
        Some((SUGGEST_BROAD_DOCS, TierKind::Suggest)),
        Some((SUGGEST_BROAD_DOCS, TierKind::SuggestWide)),
        None,
    ];
    let mut best = None;
    for broad in attempts {
        let Some(b) = pass(searcher, query, &[], limit, shared, broad, None)?.pop() else {
            break;
        };
        let done = b.top.len() >= limit || !b.skipped;
        best = Some(b);
        if done {
            break;
        }
    }
    Ok(best.map_or(vec![], |b| {
        b.top.into_sorted().into_iter().map(|h| h.1).collect()
    }))
}
