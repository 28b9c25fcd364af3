//! An upper bound of the text score a search query (`query::build`, `query::build_multi`) can give
//! any document: every clause at its largest (constant scores as they are, BM25 at its limit of
//! an endless term frequency in the shortest field), summed as tantivy sums them. A document whose
//! static rank times this bound cannot beat the worst hit of a full page needs no scoring, which
//! saves seeking the exact-match bonuses through a common word's long postings lists.

use super::query::{
    distinct_words, Ctx, Filter, Parsed, ALBUM_BOOST, ARTIST_BOOST, CONST_MATCH, EXACT_BONUS,
    FUZZY_MATCH, NAME_BOOST, NAME_PREFIX, PREFIX_MATCH,
};
use super::schema::fold_words;
use tantivy::query::Bm25Weight;
use tantivy::schema::Field;
use tantivy::{Score, Term};

/// The largest BM25 score of `terms` (one term, or a phrase) in `field`; infinite (no pruning)
/// if the statistics cannot be read.
fn bm25_max(ctx: &Ctx, field: Field, terms: &[String]) -> Score {
    let terms: Vec<Term> = terms
        .iter()
        .map(|t| Term::from_field_text(field, t))
        .collect();
    Bm25Weight::for_terms(ctx.expander.searcher, &terms).map_or(Score::INFINITY, |w| w.max_score())
}

/// The bound for `parsed` under any of the kinds it is built for (filters that apply to only
/// some kinds are counted for all: a looser bound is still a bound).
pub fn max_text_score(parsed: &Parsed, ctx: &mut Ctx) -> Score {
    let f = ctx.fields;
    let mut total = CONST_MATCH; // every document's constant
    let open = super::prefix::open_word(parsed, ctx.analyzer);
    for t in distinct_words(parsed, ctx.analyzer) {
        if open.as_ref() == Some(&t) {
            total += PREFIX_MATCH + NAME_PREFIX;
        }
        let one = [t];
        total += FUZZY_MATCH
            + EXACT_BONUS
            + NAME_BOOST * bm25_max(ctx, f.name, &one)
            + ARTIST_BOOST * bm25_max(ctx, f.artist, &one)
            + ALBUM_BOOST * bm25_max(ctx, f.album, &one);
    }
    for p in &parsed.phrases {
        let terms = fold_words(ctx.analyzer, p);
        if terms.is_empty() {
            continue;
        }
        total += NAME_BOOST * bm25_max(ctx, f.name, &terms)
            + ARTIST_BOOST * bm25_max(ctx, f.artist, &terms)
            + ALBUM_BOOST * bm25_max(ctx, f.album, &terms);
        if terms.len() == 1 {
            total += bm25_max(ctx, f.all, &terms);
        }
    }
    for filter in &parsed.filters {
        total += match filter {
            Filter::Artist(t) | Filter::Album(t) | Filter::Track(t) | Filter::Genre(t) => {
                let terms = fold_words(ctx.analyzer, &t.value);
                if t.quoted {
                    // A phrase in one field; the bound of the largest field it may be.
                    [f.artist, f.album, f.name, f.genre]
                        .into_iter()
                        .map(|field| bm25_max(ctx, field, &terms))
                        .fold(0.0, Score::max)
                } else {
                    (FUZZY_MATCH + EXACT_BONUS) * terms.len() as Score
                }
            }
            Filter::Year(..) | Filter::TagNew => CONST_MATCH,
            Filter::Isrc(i) => bm25_max(ctx, f.isrc, std::slice::from_ref(i)),
        };
    }
    total
}

#[cfg(test)]
#[path = "bound_tests.rs"]
mod tests;
