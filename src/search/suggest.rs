//! Autocomplete: completed words match like search words; the word being typed matches the
//! per-word edge n-grams of names (exactly, or within AUTO fuzziness). Tracks, artists and
//! albums are mixed in one ranking. A lone word being typed is served by `complete.rs` instead.

use super::fuzzy::{ConstMatch, Expander, SparseUnion};
use super::query::{auto_fuzziness, word_clause, Parsed};
use super::schema::{fold_words, Fields, MAX_GRAM};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// Builds the autocomplete query; None when nothing searchable is left after folding.
pub fn build(
    parsed: &Parsed,
    fields: &Fields,
    expander: &Expander,
    analyzer: &mut TextAnalyzer,
) -> Option<Box<dyn Query>> {
    let f = fields;
    let mut terms: Vec<String> = Vec::new();
    for w in parsed.words.iter().chain(parsed.phrases.iter()) {
        terms.extend(fold_words(analyzer, w));
    }
    let last = if parsed.open_last_word && parsed.phrases.is_empty() {
        terms.pop()
    } else {
        None
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|t| (Occur::Must, word_clause(f, expander, t)))
        .collect();
    if let Some(prefix) = last {
        let prefix: String = prefix.chars().take(MAX_GRAM).collect();
        let edge = Term::from_field_text(f.name_edge, &prefix);
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(edge.clone(), IndexRecordOption::Basic)),
                    3.0,
                )),
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.name, &prefix),
                        IndexRecordOption::WithFreqs,
                    )),
                    1.0,
                )),
            ),
        ];
        // After completed words, the prefix (often of a common word) is sought by the rarer
        // words leading the intersection: a seeking union decodes a block per jump where
        // tantivy's buffered union decodes a 4,096-document window. Alone, the prefix leads and
        // is walked densely, which the buffered union does best.
        let led = !terms.is_empty();
        let d = auto_fuzziness(&prefix);
        if d > 0 {
            let typos = if led {
                expander.query(f.name_edge, &prefix, d)
            } else {
                expander.query_dense(f.name_edge, &prefix, d)
            };
            any.push((
                Occur::Should,
                Box::new(ConstMatch {
                    inner: typos,
                    score: 1.0,
                }),
            ));
        }
        let any: Box<dyn Query> = if led {
            Box::new(SparseUnion::scored(
                any.into_iter().map(|(_, q)| q).collect(),
            ))
        } else {
            Box::new(BooleanQuery::new(any))
        };
        clauses.push((Occur::Must, any));
    }
    if clauses.is_empty() {
        return None;
    }
    clauses.push((
        Occur::MustNot,
        Box::new(TermQuery::new(
            Term::from_field_text(f.kind, "playlist"),
            IndexRecordOption::Basic,
        )),
    ));
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// The word being typed when it is the only word (folded, cut to the longest indexed prefix).
pub fn lone_word(parsed: &Parsed, analyzer: &mut TextAnalyzer) -> Option<String> {
    if parsed.words.len() != 1 || !parsed.phrases.is_empty() || !parsed.open_last_word {
        return None;
    }
    match fold_words(analyzer, &parsed.words[0]).as_slice() {
        [t] => Some(t.chars().take(MAX_GRAM).collect()),
        _ => None,
    }
}
