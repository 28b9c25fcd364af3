//! Static-rank tiers for broad queries. A query word as common as "love" matches a quarter of a
//! large catalog, and ranking by text relevance × popularity means scoring every match: tens of
//! milliseconds at a million tracks, and tantivy's block-max pruning cannot help once popularity
//! multiplies the score. Like the tiered indexes of web search engines, a query that may match
//! more than `search.broad_query_docs` documents of a large segment is scored only within that
//! segment's top tier (its best `search.broad_query_tier_percent` of documents by popularity
//! factor × kind weight, overlay applied);
//! every match is still counted, and a type whose page the tier cannot fill is ranked again over
//! all its matches. The page is exact for every document of the tier; a less popular document
//! can only be missed by a query with thousands of better-ranked popular matches.

/// Segments with fewer documents than this are not tiered (scoring all of them is cheap).
pub const TIERED_MIN_DOCS: usize = 50_000;
/// Suggestions need no totals and favour popular completions: their tier is narrower.
pub const SUGGEST_TIER_SHARE: f64 = 0.01;
/// The tier suggestions of several words widen to before ranking every match.
pub const SUGGEST_WIDE_TIER_SHARE: f64 = 0.1;

/// A segment's top documents by static rank: the lowest rank in, and (for a segment built best
/// first) the doc id ranges they occupy.
pub struct Tier {
    pub cut: f32,
    pub ranges: Option<Vec<(u32, u32)>>,
}

impl Tier {
    /// The tiers of `shares` (one per share, in order), from one count of the ranks.
    pub fn of_shares<const N: usize>(rank: &[f32], shares: [f64; N]) -> [Option<Tier>; N] {
        let counts = (rank.len() >= TIERED_MIN_DOCS).then(|| rank_counts(rank));
        shares.map(|share| {
            let cut = cut_of(counts.as_deref()?, rank.len(), share)?;
            Some(Tier {
                cut,
                ranges: tier_ranges(rank, cut),
            })
        })
    }
}

/// A bulk-built segment's top tier is a few doc id ranges (see `ranked_bulk.rs`); more than this
/// many and the segment is treated as unordered (its tier found document by document).
pub const MAX_TIER_RANGES: usize = 64;

/// The top tier of an ordered segment as half-open doc id ranges, ascending; None when the tier
/// is scattered over more than `MAX_TIER_RANGES` ranges.
pub fn tier_ranges(rank: &[f32], cut: f32) -> Option<Vec<(u32, u32)>> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut start: Option<usize> = None;
    for (doc, r) in rank.iter().enumerate() {
        match (start, *r >= cut) {
            (None, true) => start = Some(doc),
            (Some(s), false) => {
                ranges.push((s as u32, doc as u32));
                start = None;
                if ranges.len() > MAX_TIER_RANGES {
                    return None;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        ranges.push((s as u32, rank.len() as u32));
    }
    (ranges.len() <= MAX_TIER_RANGES).then_some(ranges)
}

/// Each distinct static rank with its number of documents, best first. Static ranks take few
/// distinct values (101 popularities × 4 kind weights), so cuts are found from these counts
/// without copying or sorting the segment's ranks.
fn rank_counts(rank: &[f32]) -> Vec<(f32, usize)> {
    let mut counts: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for r in rank {
        *counts.entry(r.to_bits()).or_default() += 1;
    }
    let mut values: Vec<(f32, usize)> = counts
        .into_iter()
        .map(|(bits, n)| (f32::from_bits(bits), n))
        .collect();
    values.sort_by(|a, b| b.0.total_cmp(&a.0));
    values
}

/// The lowest rank among the best `share` of `docs` documents.
fn cut_of(counts: &[(f32, usize)], docs: usize, share: f64) -> Option<f32> {
    let k = ((docs as f64 * share) as usize).max(1);
    let mut taken = 0;
    for (value, n) in counts {
        taken += n;
        if taken >= k {
            return Some(*value);
        }
    }
    counts.last().map(|v| v.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_tier_cut(rank: &[f32], share: f64) -> Option<f32> {
        let [tier] = Tier::of_shares(rank, [share]);
        tier.map(|t| t.cut)
    }

    #[test]
    fn top_tier_holds_the_best_share_and_small_segments_are_not_tiered() {
        assert!(top_tier_cut(&[1.0; 100], 0.1).is_none());
        let n = TIERED_MIN_DOCS * 2;
        let rank: Vec<f32> = (0..n).map(|i| 1.0 + (i % 1000) as f32 / 1000.0).collect();
        let cut = top_tier_cut(&rank, 0.1).unwrap();
        let share = rank.iter().filter(|r| **r >= cut).count() as f64 / n as f64;
        assert!((0.09..=0.11).contains(&share), "{share}");
        assert!((cut - 1.9).abs() < 0.01, "{cut}");
        // Both tiers from one count of the ranks: the narrower one is a subset.
        let [wide, narrow] = Tier::of_shares(&rank, [0.1, SUGGEST_TIER_SHARE]);
        let (wide, narrow) = (wide.unwrap(), narrow.unwrap());
        assert_eq!(wide.cut, cut);
        assert!(narrow.cut >= wide.cut);
        let narrow_share = rank.iter().filter(|r| **r >= narrow.cut).count() as f64 / n as f64;
        assert!((0.009..=0.011).contains(&narrow_share), "{narrow_share}");
        // Unordered: the tier is scattered.
        assert!(tier_ranges(&rank, cut).is_none());
        // Ordered best first (two sorted runs, as two indexing threads leave them).
        let mut run: Vec<f32> = rank[..n / 2].to_vec();
        run.sort_by(|a, b| b.total_cmp(a));
        let ordered: Vec<f32> = run.iter().chain(run.iter()).copied().collect();
        let ranges = tier_ranges(&ordered, cut).unwrap();
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges[1].0 as usize, n / 2);
        let covered: u32 = ranges.iter().map(|(a, b)| b - a).sum();
        assert_eq!(
            covered as usize,
            ordered.iter().filter(|r| **r >= cut).count()
        );
    }
}
