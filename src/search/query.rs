//! The query language (`artist:`, `album:`, `track:`, `genre:`, `year:`, `isrc:`, `tag:new`,
//! quoted phrases, bare words) and its translation into tantivy queries: every bare word must
//! match some field within Elasticsearch-style AUTO fuzziness, and an exact match of the word adds
//! a larger boost than any typo match can earn.

use super::any_term::AnyTerm;
use super::fuzzy::{ConstMatch, Expander};
use super::schema::{fold_words, Fields, Kind};
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// Score constants, shared with the score bound in `bound.rs`.
pub(super) const FUZZY_MATCH: f32 = 0.5;
pub(super) const EXACT_BONUS: f32 = 2.0;
pub(super) const NAME_BOOST: f32 = 3.0;
pub(super) const ARTIST_BOOST: f32 = 2.0;
pub(super) const ALBUM_BOOST: f32 = 1.0;
/// The word being typed matches words it begins (`open_word_clause`); in a name, more.
pub(super) const PREFIX_MATCH: f32 = 0.75;
pub(super) const NAME_PREFIX: f32 = 0.75;
/// What a matching year range, `tag:new`, or any document at all (so that filter-only queries
/// rank by popularity) adds.
pub(super) const CONST_MATCH: f32 = 1.0;

pub const FILTERS: &str = "artist:, album:, track:, genre:, year:, isrc:, tag:";
/// `tag:new` means released within this many days.
pub const NEW_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub quoted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Artist(Text),
    Album(Text),
    Track(Text),
    Genre(Text),
    Year(i32, i32),
    Isrc(String),
    TagNew,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Bare words as typed.
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    pub filters: Vec<Filter>,
    /// The text ends inside a word (autocomplete treats that word as a prefix).
    pub open_last_word: bool,
}

impl Parsed {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty() && self.filters.is_empty()
    }
}

/// Parses `q`; errors are messages for a `bad_request`.
pub fn parse(q: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let chars: Vec<(usize, char)> = q.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' {
            let (text, next) = quoted(&chars, i, q)?;
            if !text.trim().is_empty() {
                out.phrases.push(text);
            }
            i = next;
            continue;
        }
        // A word, possibly `name:value`.
        let start = i;
        while i < chars.len() && !chars[i].1.is_whitespace() && chars[i].1 != ':' {
            if chars[i].1 == '"' {
                return Err(format!(
                    "unexpected quote at position {}: quotes must start a phrase or a filter value",
                    chars[i].0
                ));
            }
            i += 1;
        }
        let word = &q[pos..chars.get(i).map_or(q.len(), |c| c.0)];
        let has_value = i + 1 < chars.len() && !chars[i + 1].1.is_whitespace();
        if i < chars.len() && chars[i].1 == ':' && has_value {
            let name = word.to_ascii_lowercase();
            i += 1;
            let (value, next) = if chars[i].1 == '"' {
                let (t, n) = quoted(&chars, i, q)?;
                (
                    Text {
                        value: t,
                        quoted: true,
                    },
                    n,
                )
            } else {
                let vstart = chars[i].0;
                while i < chars.len() && !chars[i].1.is_whitespace() {
                    if chars[i].1 == '"' {
                        return Err(format!("unexpected quote at position {}", chars[i].0));
                    }
                    i += 1;
                }
                let vend = chars.get(i).map_or(q.len(), |c| c.0);
                (
                    Text {
                        value: q[vstart..vend].to_string(),
                        quoted: false,
                    },
                    i,
                )
            };
            i = next;
            out.filters.push(filter(&name, value)?);
            continue;
        }
        // `word:` with nothing after it is just a word ("Chill: Brazil").
        if i < chars.len() && chars[i].1 == ':' {
            i += 1;
        }
        if start < i && !word.is_empty() {
            out.words.push(word.to_string());
        }
    }
    out.open_last_word = !out.words.is_empty()
        && q.chars()
            .last()
            .is_some_and(|c| !c.is_whitespace() && c != '"')
        && q.trim_end()
            .ends_with(out.words.last().map(String::as_str).unwrap_or(""));
    if out.is_empty() {
        return Err("the query has no words, phrases or filters".into());
    }
    Ok(out)
}

fn quoted(chars: &[(usize, char)], open: usize, q: &str) -> Result<(String, usize), String> {
    let start = open + 1;
    let mut j = start;
    while j < chars.len() && chars[j].1 != '"' {
        j += 1;
    }
    if j >= chars.len() {
        return Err(format!(
            "unbalanced quote at position {}: close the phrase with a second \"",
            chars[open].0
        ));
    }
    let from = chars.get(start).map_or(q.len(), |c| c.0);
    Ok((q[from..chars[j].0].to_string(), j + 1))
}

fn filter(name: &str, value: Text) -> Result<Filter, String> {
    Ok(match name {
        "artist" => Filter::Artist(value),
        "album" => Filter::Album(value),
        "track" => Filter::Track(value),
        "genre" => Filter::Genre(value),
        "isrc" => Filter::Isrc(value.value.trim().to_ascii_lowercase()),
        "tag" => match value.value.to_ascii_lowercase().as_str() {
            "new" => Filter::TagNew,
            other => return Err(format!("unknown tag `{other}`: the only tag is `tag:new`")),
        },
        "year" => {
            let v = value.value.trim();
            let year = |s: &str| -> Result<i32, String> {
                s.parse::<i32>()
                    .ok()
                    .filter(|y| (0..=9999).contains(y))
                    .ok_or_else(|| {
                        format!("`year:{v}` is not a year: use year:1990 or year:1990-1999")
                    })
            };
            match v.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (year(a)?, year(b)?);
                    if a > b {
                        return Err(format!("`year:{v}`: the range must go from low to high"));
                    }
                    Filter::Year(a, b)
                }
                None => {
                    let y = year(v)?;
                    Filter::Year(y, y)
                }
            }
        }
        other => {
            return Err(format!(
                "unknown filter `{other}:`; the filters are {FILTERS} (put a word with a colon in quotes)"
            ))
        }
    })
}

/// Elasticsearch `fuzziness: AUTO`: 0 edits up to 2 characters, 1 up to 5, 2 beyond.
pub fn auto_fuzziness(term: &str) -> u8 {
    match term.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// What the query builder needs besides the parsed query.
pub struct Ctx<'a> {
    pub fields: &'a Fields,
    pub expander: &'a Expander<'a>,
    pub analyzer: &'a mut TextAnalyzer,
    pub now_ms: i64,
    pub user_id: Option<&'a str>,
}

pub(super) fn term_q(field: Field, t: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, t),
        IndexRecordOption::WithFreqs,
    ))
}

pub(super) fn boost(q: Box<dyn Query>, b: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, b))
}

/// Matches `t` in `field` within AUTO fuzziness, with a constant score 0.5.
pub fn fuzzy_q(x: &Expander, field: Field, t: &str) -> Box<dyn Query> {
    let q = match auto_fuzziness(t) {
        0 => term_q(field, t),
        d => x.query(field, t, d),
    };
    Box::new(ConstMatch {
        inner: q,
        score: FUZZY_MATCH,
    })
}

/// One bare (folded) word: must match name, artists, album or description, possibly with typos;
/// an exact match adds a constant 2 plus BM25 weighted by field. Each bonus is nested as the one
/// optional clause of its own level: tantivy scores a lone optional clause only for documents the
/// required part matched, while several optional clauses form a union that scores every posting
/// of a common word in every window it passes.
pub fn word_clause(f: &Fields, x: &Expander, t: &str) -> Box<dyn Query> {
    let bonuses: [Box<dyn Query>; 4] = [
        Box::new(ConstScoreQuery::new(term_q(f.all, t), EXACT_BONUS)),
        boost(term_q(f.name, t), NAME_BOOST),
        boost(term_q(f.artist, t), ARTIST_BOOST),
        boost(term_q(f.album, t), ALBUM_BOOST),
    ];
    bonuses.into_iter().fold(fuzzy_q(x, f.all, t), |q, bonus| {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Should, bonus),
        ]))
    })
}

fn phrase_in(field: Field, terms: &[String]) -> Box<dyn Query> {
    if terms.len() == 1 {
        return term_q(field, &terms[0]);
    }
    Box::new(PhraseQuery::new(
        terms
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect(),
    ))
}

fn text_filter(ctx: &mut Ctx, field: Field, text: &Text) -> Option<Box<dyn Query>> {
    let terms = fold_words(ctx.analyzer, &text.value);
    if terms.is_empty() {
        return None;
    }
    if text.quoted {
        return Some(phrase_in(field, &terms));
    }
    Some(Box::new(BooleanQuery::new(
        terms
            .iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                    (Occur::Must, fuzzy_q(ctx.expander, field, t)),
                    (
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(term_q(field, t), EXACT_BONUS)),
                    ),
                ]));
                (Occur::Must, q)
            })
            .collect(),
    )))
}

/// Ranges of at most this many values are matched as a union of their terms: the postings skip
/// quickly inside an intersection, where tantivy's range query over the column does not.
const RANGE_AS_TERMS: i64 = 16;

fn i64_range(field: Field, lo: i64, hi: i64) -> Box<dyn Query> {
    if hi >= lo && hi - lo < RANGE_AS_TERMS {
        let terms = (lo..=hi).map(|v| Term::from_field_i64(field, v)).collect();
        return Box::new(ConstMatch {
            inner: Box::new(AnyTerm::new(field, terms)),
            score: CONST_MATCH,
        });
    }
    Box::new(ConstScoreQuery::new(
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(field, lo)),
            Bound::Included(Term::from_field_i64(field, hi)),
        )),
        CONST_MATCH,
    ))
}

/// The bare words, folded, each once: a repeated word adds no condition to an all-words match.
pub(super) fn distinct_words(parsed: &Parsed, analyzer: &mut TextAnalyzer) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for w in &parsed.words {
        for t in fold_words(analyzer, w) {
            if seen.insert(t.clone()) {
                out.push(t);
            }
        }
    }
    out
}

/// Clauses for the bare words and phrases (shared by every type).
fn text_clauses(parsed: &Parsed, ctx: &mut Ctx) -> Vec<(Occur, Box<dyn Query>)> {
    let f = ctx.fields;
    let open = super::prefix::open_word(parsed, ctx.analyzer);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = distinct_words(parsed, ctx.analyzer)
        .iter()
        .map(|t| {
            if open.as_ref() == Some(t) {
                (
                    Occur::Must,
                    super::prefix::open_word_clause(f, ctx.expander, t),
                )
            } else {
                (Occur::Must, word_clause(f, ctx.expander, t))
            }
        })
        .collect();
    for p in &parsed.phrases {
        let terms = fold_words(ctx.analyzer, p);
        if terms.is_empty() {
            continue;
        }
        let mut any = vec![
            (Occur::Should, boost(phrase_in(f.name, &terms), NAME_BOOST)),
            (
                Occur::Should,
                boost(phrase_in(f.artist, &terms), ARTIST_BOOST),
            ),
            (
                Occur::Should,
                boost(phrase_in(f.album, &terms), ALBUM_BOOST),
            ),
        ];
        if terms.len() == 1 {
            any.push((Occur::Should, term_q(f.all, &terms[0])));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    clauses
}

/// Documents of `kind` the searching user may see (playlists: public, owned or collaborated).
fn kind_q(kind: Kind, ctx: &Ctx) -> Box<dyn Query> {
    let f = ctx.fields;
    let is_kind = term_q(f.kind, kind.as_str());
    if kind != Kind::Playlist {
        return is_kind;
    }
    let mut visible: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Should, term_q(f.visibility, "public"))];
    if let Some(u) = ctx.user_id {
        visible.push((Occur::Should, term_q(f.members, u)));
    }
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, is_kind),
        (Occur::Must, Box::new(BooleanQuery::new(visible))),
    ]))
}

/// Restricts to `kinds` with no score of its own, plus a constant 1 so that filter-only queries
/// still rank by popularity. Several kinds are restricted by excluding the others: a union of
/// kind postings would be most of the index, and tantivy's union scores every posting it passes.
fn with_kinds(
    mut clauses: Vec<(Occur, Box<dyn Query>)>,
    kinds: &[Kind],
    ctx: &Ctx,
) -> Box<dyn Query> {
    match kinds {
        [k] => clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(kind_q(*k, ctx), 0.0)),
        )),
        _ => {
            for k in Kind::ALL.iter().filter(|k| !kinds.contains(k)) {
                clauses.push((Occur::MustNot, term_q(ctx.fields.kind, k.as_str())));
            }
            if kinds.contains(&Kind::Playlist) {
                // Playlists this user may not see.
                let visible = kind_q(Kind::Playlist, ctx);
                clauses.push((
                    Occur::MustNot,
                    Box::new(BooleanQuery::new(vec![
                        (
                            Occur::Must,
                            term_q(ctx.fields.kind, Kind::Playlist.as_str()),
                        ),
                        (Occur::MustNot, visible),
                    ])),
                ));
            }
        }
    }
    clauses.push((
        Occur::Should,
        Box::new(ConstScoreQuery::new(Box::new(AllQuery), CONST_MATCH)),
    ));
    Box::new(BooleanQuery::new(clauses))
}

/// One query over several types at once; only valid without filters (they differ per type).
pub fn build_multi(parsed: &Parsed, kinds: &[Kind], ctx: &mut Ctx) -> Box<dyn Query> {
    let clauses = text_clauses(parsed, ctx);
    with_kinds(clauses, kinds, ctx)
}

/// The full query for one result type, or None when a filter cannot apply to that type (an
/// `isrc:` search finds no artists).
pub fn build(parsed: &Parsed, kind: Kind, ctx: &mut Ctx) -> Option<Box<dyn Query>> {
    let f = ctx.fields;
    let mut clauses = text_clauses(parsed, ctx);
    use Kind::*;
    for filter in &parsed.filters {
        let q = match (filter, kind) {
            (Filter::Artist(t), Track | Album | Artist) => text_filter(ctx, f.artist, t),
            (Filter::Album(t), Track) => text_filter(ctx, f.album, t),
            (Filter::Album(t), Album) => text_filter(ctx, f.name, t),
            (Filter::Track(t), Track) => text_filter(ctx, f.name, t),
            (Filter::Genre(t), Track | Album | Artist) => text_filter(ctx, f.genre, t),
            (Filter::Year(a, b), Track | Album) => {
                Some(i64_range(f.year, i64::from(*a), i64::from(*b)))
            }
            (Filter::Isrc(i), Track) if !i.is_empty() => Some(term_q(f.isrc, i)),
            (Filter::TagNew, Album) => Some(i64_range(
                f.release_ms,
                ctx.now_ms - NEW_DAYS * 86_400_000,
                ctx.now_ms,
            )),
            _ => None,
        };
        clauses.push((Occur::Must, q?));
    }
    Some(with_kinds(clauses, &[kind], ctx))
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
