//! Answering requests: `/v1/search` pages and `/v1/search/suggest` suggestions.

use super::*;

impl SearchIndex {
    /// Full-text search, one page per requested type. CPU-bound: call off the async workers.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<(Kind, Page)>, SearchError> {
        if req.q.chars().count() > self.config.max_query_len {
            return Err(SearchError::BadQuery(format!(
                "q is longer than {} characters",
                self.config.max_query_len
            )));
        }
        let parsed = query::parse(&req.q).map_err(SearchError::BadQuery)?;
        let words = parsed.words.len() + parsed.phrases.len();
        if words > self.config.max_query_terms {
            return Err(SearchError::BadQuery(format!(
                "too many words: at most {} words and phrases",
                self.config.max_query_terms
            )));
        }
        let live = self.shared.live();
        let searcher = live.reader.searcher();
        let mut analyzer = self.analyzer.clone();
        let expander = fuzzy::Expander {
            searcher: &searcher,
            max_expansions: self.config.fuzzy_max_expansions,
        };
        let mut ctx = query::Ctx {
            fields: &self.shared.fields,
            expander: &expander,
            analyzer: &mut analyzer,
            now_ms: req.now_ms,
            user_id: req.user_id.as_deref(),
        };
        let cap = self.config.broad_query_docs;
        let max_text = Some(bound::max_text_score(&parsed, &mut ctx));
        let mut found: Vec<exec::Found> = Vec::new();
        if parsed.filters.is_empty() && req.types.len() > 1 {
            // Without filters every type shares the text query: match it once, collect per type.
            let q = query::build_multi(&parsed, &req.types, &mut ctx);
            found = exec::rank_pages(
                &searcher,
                &*q,
                &req.types,
                req.limit,
                req.offset,
                &self.shared,
                cap,
                max_text,
            )?;
        } else {
            for &kind in &req.types {
                match query::build(&parsed, kind, &mut ctx) {
                    Some(q) => found.extend(exec::rank_pages(
                        &searcher,
                        &*q,
                        &[kind],
                        req.limit,
                        req.offset,
                        &self.shared,
                        cap,
                        max_text,
                    )?),
                    None => found.push(exec::Found {
                        kind,
                        hits: vec![],
                        total: 0,
                        total_exact: true,
                    }),
                }
            }
        }
        let mut out = Vec::new();
        for f in found {
            let mut page = Page {
                items: Vec::with_capacity(f.hits.len()),
                total: f.total,
                total_exact: f.total_exact,
                limit: req.limit,
                offset: req.offset,
            };
            for addr in f.hits.into_iter().take(req.limit) {
                let doc: TantivyDocument = searcher.doc(addr)?;
                if let Some(v) = self.payload(&doc) {
                    page.items.push(present(v));
                }
            }
            out.push((f.kind, page));
        }
        Ok(out)
    }

    /// Autocomplete over tracks, artists and albums, best first.
    pub fn suggest(&self, q: &str, limit: usize) -> Result<Arc<Vec<Value>>, SearchError> {
        if q.chars().count() > self.config.max_query_len {
            return Err(SearchError::BadQuery(format!(
                "q is longer than {} characters",
                self.config.max_query_len
            )));
        }
        // While typing, quotes and colons are just characters.
        let cleaned: String = q.chars().map(|c| if c == '"' { ' ' } else { c }).collect();
        let words: Vec<String> = cleaned.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            return Err(SearchError::BadQuery("q must not be empty".into()));
        }
        if words.len() > self.config.max_query_terms {
            return Err(SearchError::BadQuery(format!(
                "too many words: at most {}",
                self.config.max_query_terms
            )));
        }
        let parsed = query::Parsed {
            open_last_word: !cleaned.ends_with(char::is_whitespace),
            words,
            ..Default::default()
        };
        let mut analyzer = self.analyzer.clone();
        let live = self.shared.live();
        let searcher = live.reader.searcher();
        let hits: Vec<tantivy::DocAddress> = match suggest::lone_word(&parsed, &mut analyzer) {
            // The commonest and costliest case, served from the per-segment ranking tables.
            Some(prefix) => self
                .shared
                .tables
                .suggest(&searcher, &self.shared.overlay, &prefix, limit)?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            None => match suggest::build(
                &parsed,
                &self.shared.fields,
                &fuzzy::Expander {
                    searcher: &searcher,
                    max_expansions: self.config.fuzzy_max_expansions,
                },
                &mut analyzer,
            ) {
                Some(query) => exec::rank_mixed(&searcher, &*query, limit, &self.shared)?,
                None => vec![],
            },
        };
        let mut items = Vec::with_capacity(hits.len());
        for addr in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(v) = self.payload(&doc) {
                items.push(suggestion(v));
            }
        }
        let items = Arc::new(items);
        Ok(items)
    }

    pub(super) fn payload(&self, doc: &TantivyDocument) -> Option<Value> {
        let s = doc.get_first(self.shared.fields.payload)?.as_str()?;
        serde_json::from_str(s).ok()
    }
}

/// A result item as clients see it: the stored document, without playlist member lists.
fn present(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("collaborator_ids");
        o.remove("release_ms");
    }
    v
}

/// An autocomplete entry: type, id, name and a short context (artists, album).
fn suggestion(v: Value) -> Value {
    let mut out = serde_json::Map::new();
    for k in ["type", "id", "name", "artists", "album"] {
        if let Some(x) = v.get(k) {
            out.insert(k.to_string(), x.clone());
        }
    }
    Value::Object(out)
}
