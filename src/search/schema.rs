//! The index schema, its analyzers (ASCII-folding words and per-word edge n-grams) and the typed
//! documents that callers hand to the index.

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};
use tantivy::{Index, TantivyDocument};

/// Words: split on non-alphanumerics, lower-cased, accents folded ("Mötley" -> "motley").
pub const FOLD: &str = "segue_fold";
/// Every prefix of every word, for autocomplete ("zep" -> "z", "ze", "zep").
pub const EDGE: &str = "segue_edge";
/// Longest prefix indexed; longer typed prefixes are cut to this length at query time.
pub const MAX_GRAM: usize = 15;

/// Kinds of documents, also used as a numeric fast field for per-kind ranking weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Track,
    Artist,
    Album,
    Playlist,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Track, Kind::Artist, Kind::Album, Kind::Playlist];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Artist => "artist",
            Kind::Album => "album",
            Kind::Playlist => "playlist",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn code(self) -> u64 {
        self as u64
    }
}

/// Handles to every field of the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    pub schema: Schema,
    /// `kind:id`, the unique key used to replace or delete a document.
    pub key: Field,
    pub kind: Field,
    pub kind_code: Field,
    /// The document's own name (track title, artist name, album title, playlist name).
    pub name: Field,
    /// Edge n-grams of `name`, for autocomplete.
    pub name_edge: Field,
    pub artist: Field,
    pub album: Field,
    /// Everything a bare word may match (name, artists, album, playlist description/owner).
    pub all: Field,
    pub genre: Field,
    pub year: Field,
    pub isrc: Field,
    /// Album release day as unix ms (tracks carry their album's), for `tag:new`.
    pub release_ms: Field,
    /// Popularity at indexing time; later changes live in the ranking overlay.
    pub popularity: Field,
    /// Hash of `key`, to look documents up in the popularity overlay while scoring.
    pub key_hash: Field,
    /// Playlists: "public" or "private".
    pub visibility: Field,
    /// Playlists: owner and collaborator ids.
    pub members: Field,
    /// The JSON of the typed document, returned in results and used to copy documents.
    pub payload: Field,
}

pub fn build_schema() -> Fields {
    let mut b = Schema::builder();
    let words = |positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(FOLD)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let key = b.add_text_field("key", STRING);
    let kind = b.add_text_field("kind", STRING);
    let kind_code = b.add_u64_field("kind_code", FAST);
    let name = b.add_text_field("name", words(true));
    let name_edge = b.add_text_field(
        "name_edge",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(EDGE)
                .set_index_option(IndexRecordOption::Basic),
        ),
    );
    let artist = b.add_text_field("artist", words(true));
    let album = b.add_text_field("album", words(true));
    let all = b.add_text_field("all", words(false));
    let genre = b.add_text_field("genre", words(true));
    let year = b.add_i64_field("year", INDEXED | FAST);
    let isrc = b.add_text_field("isrc", STRING);
    let release_ms = b.add_i64_field("release_ms", INDEXED | FAST);
    let popularity = b.add_u64_field("popularity", FAST);
    let key_hash = b.add_u64_field("key_hash", FAST);
    let visibility = b.add_text_field("visibility", STRING);
    let members = b.add_text_field("members", STRING);
    let payload = b.add_text_field("payload", STORED);
    Fields {
        schema: b.build(),
        key,
        kind,
        kind_code,
        name,
        name_edge,
        artist,
        album,
        all,
        genre,
        year,
        isrc,
        release_ms,
        popularity,
        key_hash,
        visibility,
        members,
        payload,
    }
}

/// Registers Segue's analyzers; tantivy does not persist them, so every opened index needs this.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(FOLD, fold_analyzer());
    index.tokenizers().register(
        EDGE,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(64))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(EdgeNgram { max: MAX_GRAM })
            .build(),
    );
}

pub fn fold_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The folded words of `text`, as the index sees them.
pub fn fold_words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Stable 64-bit FNV-1a hash of a document key (stable across processes, unlike `DefaultHasher`).
pub fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub fn doc_key(kind: Kind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// Emits every prefix (1..=max chars) of each token, at the token's position.
#[derive(Clone)]
pub struct EdgeNgram {
    pub max: usize,
}

impl TokenFilter for EdgeNgram {
    type Tokenizer<T: Tokenizer> = EdgeNgramTokenizer<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> EdgeNgramTokenizer<T> {
        EdgeNgramTokenizer {
            inner: tokenizer,
            max: self.max,
        }
    }
}

#[derive(Clone)]
pub struct EdgeNgramTokenizer<T> {
    inner: T,
    max: usize,
}

impl<T: Tokenizer> Tokenizer for EdgeNgramTokenizer<T> {
    type TokenStream<'a> = EdgeNgramStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EdgeNgramStream {
            tail: self.inner.token_stream(text),
            max: self.max,
            token: Token::default(),
            word: String::new(),
            ends: Vec::new(),
            next: 0,
        }
    }
}

pub struct EdgeNgramStream<S> {
    tail: S,
    max: usize,
    token: Token,
    word: String,
    /// Byte offsets where each prefix of `word` ends.
    ends: Vec<usize>,
    next: usize,
}

impl<S: TokenStream> TokenStream for EdgeNgramStream<S> {
    fn advance(&mut self) -> bool {
        while self.next >= self.ends.len() {
            if !self.tail.advance() {
                return false;
            }
            let t = self.tail.token();
            self.token.offset_from = t.offset_from;
            self.token.offset_to = t.offset_to;
            self.token.position = t.position;
            self.token.position_length = t.position_length;
            self.word.clear();
            self.word.push_str(&t.text);
            self.ends.clear();
            self.ends.extend(
                self.word
                    .char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .chain(std::iter::once(self.word.len()))
                    .take(self.max),
            );
            self.next = 0;
        }
        let end = self.ends[self.next];
        self.next += 1;
        self.token.text.clear();
        self.token.text.push_str(&self.word[..end]);
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// A document ready for the index: the typed payload plus what is needed to index it.
pub fn to_tantivy(f: &Fields, doc: &SearchDoc) -> TantivyDocument {
    use tantivy::schema::document::TantivyDocument as D;
    let mut d = D::default();
    let kind = doc.kind();
    let key = doc_key(kind, doc.id());
    d.add_text(f.key, &key);
    d.add_u64(f.key_hash, key_hash(&key));
    d.add_text(f.kind, kind.as_str());
    d.add_u64(f.kind_code, kind.code());
    let (name, popularity) = (doc.name(), doc.popularity());
    d.add_text(f.name, name);
    d.add_text(f.name_edge, name);
    d.add_text(f.all, name);
    d.add_u64(f.popularity, u64::from(popularity.min(100)));
    match doc {
        SearchDoc::Track(t) => {
            for a in &t.artists {
                d.add_text(f.artist, &a.name);
                d.add_text(f.all, &a.name);
            }
            d.add_text(f.album, &t.album.name);
            d.add_text(f.all, &t.album.name);
            if let Some(g) = &t.genre {
                d.add_text(f.genre, g);
            }
            if let Some(y) = t.year {
                d.add_i64(f.year, i64::from(y));
            }
            if let Some(i) = &t.isrc {
                d.add_text(f.isrc, i.to_ascii_lowercase());
            }
            if let Some(ms) = t.release_ms {
                d.add_i64(f.release_ms, ms);
            }
        }
        SearchDoc::Album(a) => {
            for ar in &a.artists {
                d.add_text(f.artist, &ar.name);
                d.add_text(f.all, &ar.name);
            }
            if let Some(g) = &a.genre {
                d.add_text(f.genre, g);
            }
            if let Some(y) = a.year {
                d.add_i64(f.year, i64::from(y));
            }
            if let Some(ms) = a.release_ms {
                d.add_i64(f.release_ms, ms);
            }
        }
        SearchDoc::Artist(a) => {
            // `artist:` on artists matches their own name.
            d.add_text(f.artist, &a.name);
            for g in &a.genres {
                d.add_text(f.genre, g);
            }
        }
        SearchDoc::Playlist(p) => {
            d.add_text(f.all, &p.description);
            d.add_text(f.all, &p.owner_name);
            d.add_text(f.visibility, if p.public { "public" } else { "private" });
            d.add_text(f.members, &p.owner_id);
            for c in &p.collaborator_ids {
                d.add_text(f.members, c);
            }
        }
    }
    d.add_text(f.payload, serde_json::to_string(doc).unwrap_or_default());
    d
}

/// A reference to another entity, as shown in results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackDoc {
    pub id: String,
    pub name: String,
    pub artists: Vec<Named>,
    pub album: Named,
    pub duration_ms: i64,
    pub explicit: bool,
    pub popularity: u32,
    pub genre: Option<String>,
    pub year: Option<i32>,
    pub isrc: Option<String>,
    pub release_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlbumDoc {
    pub id: String,
    pub name: String,
    pub artists: Vec<Named>,
    pub release_date: String,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub popularity: u32,
    pub release_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtistDoc {
    pub id: String,
    pub name: String,
    pub genres: Vec<String>,
    pub popularity: u32,
}

/// A playlist as search sees it; the playlist owner keeps it up to date through
/// `SearchIndex::upsert_playlist`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistDoc {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub owner_id: String,
    #[serde(default)]
    pub owner_name: String,
    #[serde(default)]
    pub collaborator_ids: Vec<String>,
    pub public: bool,
    #[serde(default)]
    pub track_count: u64,
    #[serde(default)]
    pub follower_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SearchDoc {
    Track(TrackDoc),
    Album(AlbumDoc),
    Artist(ArtistDoc),
    Playlist(PlaylistDoc),
}

impl SearchDoc {
    pub fn kind(&self) -> Kind {
        match self {
            SearchDoc::Track(_) => Kind::Track,
            SearchDoc::Album(_) => Kind::Album,
            SearchDoc::Artist(_) => Kind::Artist,
            SearchDoc::Playlist(_) => Kind::Playlist,
        }
    }
    pub fn id(&self) -> &str {
        match self {
            SearchDoc::Track(d) => &d.id,
            SearchDoc::Album(d) => &d.id,
            SearchDoc::Artist(d) => &d.id,
            SearchDoc::Playlist(d) => &d.id,
        }
    }
    pub fn name(&self) -> &str {
        match self {
            SearchDoc::Track(d) => &d.name,
            SearchDoc::Album(d) => &d.name,
            SearchDoc::Artist(d) => &d.name,
            SearchDoc::Playlist(d) => &d.name,
        }
    }
    /// 0..=100; playlists rank by followers on the same log scale.
    pub fn popularity(&self) -> u32 {
        match self {
            SearchDoc::Track(d) => d.popularity,
            SearchDoc::Album(d) => d.popularity,
            SearchDoc::Artist(d) => d.popularity,
            SearchDoc::Playlist(d) => (((d.follower_count as f64) + 1.0).log10() * 20.0) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_ngrams_are_per_word_and_folded() {
        let index = Index::create_in_ram(build_schema().schema);
        register_tokenizers(&index);
        let mut a = index.tokenizers().get(EDGE).unwrap();
        assert_eq!(
            fold_words(&mut a, "Mötley Cr"),
            vec!["m", "mo", "mot", "motl", "motle", "motley", "c", "cr"]
        );
        let mut f = fold_analyzer();
        assert_eq!(fold_words(&mut f, "AC/DC Ça"), vec!["ac", "dc", "ca"]);
    }

    #[test]
    fn edge_ngrams_stop_at_max() {
        let index = Index::create_in_ram(build_schema().schema);
        register_tokenizers(&index);
        let mut a = index.tokenizers().get(EDGE).unwrap();
        let grams = fold_words(&mut a, "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(grams.len(), MAX_GRAM);
        assert_eq!(grams.last().unwrap(), "abcdefghijklmno");
    }
}
