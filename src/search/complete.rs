//! Autocomplete of a lone word being typed ("m", "met", "metalic"), the commonest and most
//! expensive suggestion: a one-letter prefix matches a large share of the catalog, so scoring
//! every match cannot meet a few milliseconds at a million tracks. Instead, like a completion
//! suggester, every segment keeps ranking tables: each document's static rank (popularity factor ×
//! kind weight, overlay applied) and, for every prefix or word that matches many documents, its
//! documents best-first. A query reads at most `limit` live entries per matching term.
//!
//! Ranking is in tiers, the same as the general suggestion query: the prefix as a whole word
//! (4.5) above the prefix of a word (3), above a typo match of the prefix within AUTO fuzziness
//! (1), each times the static rank (1 to 2.6), so every exact-prefix match ranks above every typo
//! match. Tables are built once per segment (segments never change; deleted documents are skipped
//! at query time) and again when popularity changes.

use super::query::auto_fuzziness;
use super::ranking::{kind_weight, popularity_factor, PopularityOverlay};
use super::schema::{Fields, Kind};
use super::tier::{Tier, SUGGEST_TIER_SHARE, SUGGEST_WIDE_TIER_SHARE};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA, SINK_STATE};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Searcher, SegmentReader, TERMINATED};
use tantivy_fst::Automaton;

/// Terms matching more documents than this get a precomputed best-first list; rarer ones are
/// read from their postings at query time (cheap at this size).
pub const LISTED_MIN_DOCS: u32 = 512;

pub const WHOLE_WORD: f32 = 4.5;
pub const PREFIX: f32 = 3.0;
pub const TYPO: f32 = 1.0;

/// Which top tier a query uses.
#[derive(Clone, Copy)]
pub enum TierKind {
    Search = 0,
    Suggest = 1,
    /// What suggestions of several words widen to when their own tier cannot fill the list.
    SuggestWide = 2,
}

/// Best-first documents per term, filled on first use.
type TermLists = Mutex<HashMap<Box<[u8]>, Arc<[DocId]>>>;

/// Ranking tables of one segment.
pub struct SegmentTables {
    overlay_version: u64,
    /// Popularity factor × kind weight per document.
    rank: Box<[f32]>,
    /// Kind code per document.
    kinds: Box<[u8]>,
    /// Best-first documents of frequent edge n-grams (prefixes) of names, built when first asked
    /// for (most prefixes never are; building all of them would also keep their postings paged
    /// in for nothing).
    prefixes: TermLists,
    /// Best-first documents of frequent whole words of names, likewise.
    words: TermLists,
    /// The segment's top tiers for searches and for suggestions (see `tier.rs`); None when the
    /// segment is too small to be tiered.
    tiers: [Option<Tier>; 3],
}

impl SegmentTables {
    pub fn rank(&self, doc: DocId) -> f32 {
        self.rank.get(doc as usize).copied().unwrap_or(0.0)
    }

    pub fn kind(&self, doc: DocId) -> u64 {
        u64::from(self.kinds.get(doc as usize).copied().unwrap_or(0))
    }

    pub fn tier(&self, which: TierKind) -> Option<&Tier> {
        self.tiers[which as usize].as_ref()
    }

    /// Autocomplete suggests tracks, artists and albums, not playlists.
    fn suggestable(&self, doc: DocId) -> bool {
        self.kinds
            .get(doc as usize)
            .is_some_and(|k| u64::from(*k) != Kind::Playlist.code())
    }
}

/// The tables of every live segment, built on first use or by `warm` after a reload.
pub struct Tables {
    name: Field,
    name_edge: Field,
    list_len: usize,
    search_tier_share: f64,
    segments: Mutex<HashMap<SegmentId, Arc<SegmentTables>>>,
}

impl Tables {
    /// `list_len` is the largest suggestion limit a request may ask for; `search_tier_share` the
    /// share of a tiered segment's documents that broad searches rank.
    pub fn new(fields: &Fields, list_len: usize, search_tier_share: f64) -> Tables {
        Tables {
            name: fields.name,
            name_edge: fields.name_edge,
            list_len: list_len.max(1),
            search_tier_share,
            segments: Mutex::new(HashMap::new()),
        }
    }

    /// Builds the tables of segments that lack them, so the first suggestion after a commit
    /// does not pay for them; with `forget_others`, drops those of segments merged away.
    pub fn warm(&self, searcher: &Searcher, overlay: &PopularityOverlay, forget_others: bool) {
        if forget_others {
            let live: Vec<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(|s| s.segment_id())
                .collect();
            self.segments.lock().retain(|id, _| live.contains(id));
        }
        for seg in searcher.segment_readers() {
            if let Err(e) = self.of(seg, overlay) {
                tracing::warn!(error = %e, "search: cannot build autocomplete tables");
            }
        }
    }

    pub fn of(
        &self,
        seg: &SegmentReader,
        overlay: &PopularityOverlay,
    ) -> tantivy::Result<Arc<SegmentTables>> {
        let version = overlay.version();
        if let Some(t) = self.segments.lock().get(&seg.segment_id()) {
            if t.overlay_version == version {
                return Ok(t.clone());
            }
        }
        // Built outside the lock: searches of other segments go on meanwhile. Two searches may
        // build the same tables once; the result is identical.
        let tables = Arc::new(self.build(seg, overlay, version)?);
        self.segments
            .lock()
            .insert(seg.segment_id(), tables.clone());
        Ok(tables)
    }

    fn build(
        &self,
        seg: &SegmentReader,
        overlay: &PopularityOverlay,
        overlay_version: u64,
    ) -> tantivy::Result<SegmentTables> {
        let (rank, kinds) = static_ranks(seg, overlay);
        Ok(SegmentTables {
            overlay_version,
            tiers: Tier::of_shares(
                &rank,
                [
                    self.search_tier_share,
                    SUGGEST_TIER_SHARE,
                    SUGGEST_WIDE_TIER_SHARE,
                ],
            ),
            rank,
            kinds,
            prefixes: Mutex::new(HashMap::new()),
            words: Mutex::new(HashMap::new()),
        })
    }

    /// Suggestions for `prefix` (folded, one word), best first: `(score, document)`.
    pub fn suggest(
        &self,
        searcher: &Searcher,
        overlay: &PopularityOverlay,
        prefix: &str,
        limit: usize,
    ) -> tantivy::Result<Vec<(f32, DocAddress)>> {
        let limit = limit.clamp(1, self.list_len);
        let fuzzy = match auto_fuzziness(prefix) {
            0 => None,
            d => Some(dfa(prefix, d)),
        };
        let mut found: HashMap<DocAddress, f32> = HashMap::new();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let tables = self.of(seg, overlay)?;
            let mut hits = SegmentHits {
                seg,
                ord: ord as u32,
                tables: &tables,
                limit,
                list_len: self.list_len * 2,
                found: &mut found,
            };
            let edge = seg.inverted_index(self.name_edge)?;
            hits.term(&edge, &tables.prefixes, prefix.as_bytes(), PREFIX)?;
            let words = seg.inverted_index(self.name)?;
            hits.term(&words, &tables.words, prefix.as_bytes(), WHOLE_WORD)?;
            if let Some(dfa) = &fuzzy {
                let mut stream = edge.terms().search(DfaAutomaton(dfa)).into_stream()?;
                while stream.advance() {
                    if stream.key() != prefix.as_bytes() {
                        let key = stream.key().to_vec();
                        hits.term(&edge, &tables.prefixes, &key, TYPO)?;
                    }
                }
            }
        }
        let mut out: Vec<(f32, DocAddress)> = found.into_iter().map(|(a, s)| (s, a)).collect();
        out.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.segment_ord.cmp(&b.1.segment_ord))
                .then(a.1.doc_id.cmp(&b.1.doc_id))
        });
        out.truncate(limit);
        Ok(out)
    }
}

fn by_rank(a: &(f32, DocId), b: &(f32, DocId)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Collects one segment's matches into `found`, keeping each document's best tier.
struct SegmentHits<'a> {
    seg: &'a SegmentReader,
    ord: u32,
    tables: &'a SegmentTables,
    limit: usize,
    /// Entries kept per list: a margin over the largest limit for deleted documents.
    list_len: usize,
    found: &'a mut HashMap<DocAddress, f32>,
}

impl SegmentHits<'_> {
    fn term(
        &mut self,
        inv: &tantivy::InvertedIndexReader,
        lists: &TermLists,
        key: &[u8],
        tier: f32,
    ) -> tantivy::Result<()> {
        let alive = self.seg.alive_bitset();
        let is_alive = |d: DocId| alive.is_none_or(|a| a.is_alive(d));
        let Some(info) = inv.terms().get(key)? else {
            return Ok(());
        };
        if info.doc_freq >= LISTED_MIN_DOCS {
            let list = self.list(inv, lists, key, &info)?;
            let mut taken = 0;
            for &doc in list.iter() {
                if is_alive(doc) {
                    self.add(doc, tier);
                    taken += 1;
                    if taken == self.limit {
                        return Ok(());
                    }
                }
            }
            // A short list holds every suggestable document of the term; otherwise too many
            // of the listed ones were deleted: fall back to the postings.
            if list.len() < self.list_len {
                return Ok(());
            }
        }
        let mut postings = inv.read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if is_alive(doc) {
                self.add(doc, tier);
            }
            doc = postings.advance();
        }
        Ok(())
    }

    /// The term's best-first list, built on first use (outside the lock: another search may
    /// build the same list once; the result is identical).
    fn list(
        &self,
        inv: &tantivy::InvertedIndexReader,
        lists: &TermLists,
        key: &[u8],
        info: &tantivy::postings::TermInfo,
    ) -> tantivy::Result<Arc<[DocId]>> {
        if let Some(list) = lists.lock().get(key) {
            return Ok(list.clone());
        }
        let mut best: Vec<(f32, DocId)> = Vec::new();
        let mut postings = inv.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if self.tables.suggestable(doc) {
                best.push((self.tables.rank(doc), doc));
            }
            doc = postings.advance();
        }
        let keep = self.list_len.min(best.len());
        if keep > 0 && keep < best.len() {
            best.select_nth_unstable_by(keep - 1, by_rank);
            best.truncate(keep);
        }
        best.sort_unstable_by(by_rank);
        let list: Arc<[DocId]> = best.iter().map(|(_, d)| *d).collect();
        lists.lock().insert(key.into(), list.clone());
        Ok(list)
    }

    fn add(&mut self, doc: DocId, tier: f32) {
        if !self.tables.suggestable(doc) {
            return;
        }
        let score = tier * self.tables.rank(doc);
        let slot = self
            .found
            .entry(DocAddress::new(self.ord, doc))
            .or_insert(0.0);
        if score > *slot {
            *slot = score;
        }
    }
}

/// Popularity factor × kind weight, and kind code, of every document of `seg`.
fn static_ranks(seg: &SegmentReader, overlay: &PopularityOverlay) -> (Box<[f32]>, Box<[u8]>) {
    let ff = seg.fast_fields();
    let col = |name: &str| ff.u64(name).ok().map(|c| c.first_or_default_col(0));
    let (pop, hash, kind) = (col("popularity"), col("key_hash"), col("kind_code"));
    let overlay = overlay.snapshot();
    let factors: Vec<f32> = (0..=100).map(popularity_factor).collect();
    let kinds: Box<[u8]> = (0..seg.max_doc())
        .map(|doc| kind.as_ref().map_or(0, |c| c.get_val(doc)) as u8)
        .collect();
    let ranks = (0..seg.max_doc())
        .map(|doc| {
            let k = u64::from(kinds[doc as usize]);
            let mut p = pop.as_ref().map_or(0, |c| c.get_val(doc));
            if !overlay.is_empty() {
                if let Some(v) = hash.as_ref().and_then(|h| overlay.get(&h.get_val(doc))) {
                    p = u64::from(*v);
                }
            }
            factors[p.min(100) as usize] * kind_weight(k)
        })
        .collect();
    (ranks, kinds)
}

/// Levenshtein automata builders are costly to make (tens of ms for two edits): one each.
static BUILDERS: LazyLock<[LevenshteinAutomatonBuilder; 2]> = LazyLock::new(|| {
    [
        LevenshteinAutomatonBuilder::new(1, true),
        LevenshteinAutomatonBuilder::new(2, true),
    ]
});

pub fn dfa(term: &str, distance: u8) -> DFA {
    BUILDERS[usize::from(distance.clamp(1, 2)) - 1].build_dfa(term)
}

/// Walks the term dictionary with a Levenshtein DFA (what tantivy's fuzzy query does).
pub struct DfaAutomaton<'a>(pub &'a DFA);

impl Automaton for DfaAutomaton<'_> {
    type State = u32;
    fn start(&self) -> u32 {
        self.0.initial_state()
    }
    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }
    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }
    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}
