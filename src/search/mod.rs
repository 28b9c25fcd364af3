//! Search: the tantivy index over tracks, artists, albums and playlists. `SearchIndex` is the one
//! handle the rest of Segue uses: searches and suggestions (CPU work, to be called off the async
//! workers), upserts from catalog importers and the playlist owner, popularity updates, and
//! whole-index rebuilds into a new generation directory that is swapped in atomically.

mod any_term;
mod bound;
pub mod build;
pub mod complete;
#[cfg(test)]
mod complete_tests;
mod exec;
mod fuzzy;
pub mod index;
mod prefix;
pub mod query;
pub mod ranked_bulk;
pub mod ranking;
mod rebuild;
mod reindex;
pub mod schema;
mod serve;
pub mod suggest;
#[cfg(test)]
mod tests;
mod tier;

pub use reindex::reindex_cli;
pub use schema::{Kind, PlaylistDoc, SearchDoc};

use crate::config::SearchConfig;
use crate::error::ApiError;
use crate::storage::{Album, Artist, CatalogRepo, Track};
use index::{Live, Op, Shared};
use parking_lot::RwLock;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;
use tantivy::schema::Value as _;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::TantivyDocument;

/// Bounded queue between callers and the writer thread.
const QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    BadQuery(String),
    #[error("search index error: {0}")]
    Index(String),
    #[error("search index is shut down")]
    Closed,
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::BadQuery(m) => ApiError::bad_request(m),
            SearchError::Closed => ApiError::unavailable("search is shutting down"),
            SearchError::Index(m) => ApiError::internal(m),
        }
    }
}

/// One `/v1/search` request, validated by the route.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub types: Vec<Kind>,
    pub limit: usize,
    pub offset: usize,
    pub user_id: Option<String>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<Value>,
    /// Every match of the type, or at least this many when `total_exact` is false.
    pub total: u64,
    #[serde(skip_serializing_if = "is_true")]
    pub total_exact: bool,
    pub limit: usize,
    pub offset: usize,
}

pub struct SearchIndex {
    shared: Arc<Shared>,
    tx: SyncSender<Op>,
    catalog: Option<Arc<dyn CatalogRepo>>,
    config: SearchConfig,
    analyzer: TextAnalyzer,
    building: Arc<AtomicBool>,
    /// Set once the index has caught up with the catalog at start-up (the start-up build, if one
    /// was needed, is committed and the reader sees it): `/readyz` waits for it.
    caught_up: AtomicBool,
    closed: Arc<AtomicBool>,
    writer_thread: parking_lot::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for SearchIndex {
    /// Commits and releases the index (and its lock) before returning, so a server restarted
    /// in the same process can open it at once.
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
        let _ = self.tx.send(Op::Shutdown);
        if let Some(t) = self.writer_thread.lock().take() {
            let _ = t.join();
        }
    }
}

impl SearchIndex {
    /// Opens (or creates) the index under `root` and starts its writer thread. `catalog` is
    /// where `upsert_tracks`/`upsert_albums` look up artist and album names, and what
    /// (re)builds read.
    pub fn open(
        root: &Path,
        config: &SearchConfig,
        catalog: Option<Arc<dyn CatalogRepo>>,
    ) -> anyhow::Result<Arc<SearchIndex>> {
        std::fs::create_dir_all(root)?;
        let fields = schema::build_schema();
        let name = index::read_current(root).unwrap_or_else(|| index::next_generation_name(root));
        let mut dir = root.join(&name);
        let mut idx = index::open_index(&dir, &fields)?;
        if !index::schema_matches(&idx, &fields) {
            // An index from another version of Segue: start empty; the start-up build fills it.
            tracing::warn!(dir = %dir.display(), "search index schema changed; starting a new one");
            dir = root.join(index::next_generation_name(root));
            idx = index::open_index(&dir, &fields)?;
        }
        index::write_current(root, &dir_name(&dir))?;
        remove_older_generations(root, &dir_name(&dir));
        let reader = index::open_reader(&idx)?;
        let fields_for_tables = fields.clone();
        let writer = index::live_writer(&idx, config.writer_heap_bytes)?;
        let overlay = ranking::PopularityOverlay::load(root.join(index::OVERLAY));
        let shared = Arc::new(Shared {
            fields,
            live: RwLock::new(Arc::new(Live {
                index: idx,
                reader,
                dir,
            })),
            overlay,
            tables: complete::Tables::new(
                &fields_for_tables,
                config.max_limit,
                config.broad_query_tier_percent / 100.0,
            ),
            root: root.to_path_buf(),
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let interval = Duration::from_millis(config.commit_interval_ms.max(1));
        let heap = config.writer_heap_bytes;
        let s = shared.clone();
        let writer_thread = std::thread::Builder::new()
            .name("segue-search-writer".into())
            .spawn(move || index::writer_loop(s, writer, rx, interval, heap))?;
        Ok(Arc::new(SearchIndex {
            shared,
            tx,
            catalog,
            config: config.clone(),
            analyzer: schema::fold_analyzer(),
            building: Arc::new(AtomicBool::new(false)),
            caught_up: AtomicBool::new(false),
            closed: Arc::new(AtomicBool::new(false)),
            writer_thread: parking_lot::Mutex::new(Some(writer_thread)),
        }))
    }

    pub fn root(&self) -> PathBuf {
        self.shared.root.clone()
    }

    pub fn fields(&self) -> &schema::Fields {
        &self.shared.fields
    }

    /// Documents currently searchable.
    pub fn num_docs(&self) -> u64 {
        self.shared.live().reader.searcher().num_docs()
    }

    /// Documents of the catalog (tracks, albums, artists), i.e. all but playlists.
    pub fn num_catalog_docs(&self) -> u64 {
        let live = self.shared.live();
        let searcher = live.reader.searcher();
        let term = tantivy::Term::from_field_text(self.shared.fields.kind, Kind::Playlist.as_str());
        let query = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
        let playlists = searcher
            .search(&query, &tantivy::collector::Count)
            .unwrap_or(0) as u64;
        searcher.num_docs().saturating_sub(playlists)
    }

    /// Server shutdown: a background build stops at its next check (without swapping in a
    /// half-built generation), and this waits (bounded) until it has, so that a server started
    /// next on the same data dir finds the index as it was left.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.is_building() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// True once searches see the whole catalog: the index was already built, or the start-up
    /// build finished (see `build_in_background_if_empty`).
    pub fn is_caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Acquire)
    }

    /// True while a whole-index build runs in the background.
    pub fn is_building(&self) -> bool {
        self.building.load(Ordering::Acquire)
    }

    async fn send(&self, op: Op) -> Result<(), SearchError> {
        match self.tx.try_send(op) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(_)) => Err(SearchError::Closed),
            Err(TrySendError::Full(op)) => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || tx.send(op))
                    .await
                    .map_err(|_| SearchError::Closed)?
                    .map_err(|_| SearchError::Closed)
            }
        }
    }

    /// For callers on their own thread (bulk loaders, benches): blocks while the queue is full.
    pub fn upsert_docs_blocking(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        self.tx
            .send(Op::Upsert(docs))
            .map_err(|_| SearchError::Closed)
    }

    pub async fn upsert_docs(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.send(Op::Upsert(docs)).await
    }

    /// Resolves each track's artist and album names from the catalog and indexes it; store the
    /// artists and albums before their tracks.
    pub async fn upsert_tracks(&self, tracks: &[Track]) -> Result<(), SearchError> {
        let artist_ids: Vec<String> = dedup(tracks.iter().flat_map(|t| t.artist_ids.clone()));
        let album_ids: Vec<String> = dedup(tracks.iter().map(|t| t.album_id.clone()));
        let (artists, albums) = match &self.catalog {
            Some(c) => (
                c.artists(artist_ids).await.map_err(store_err)?,
                c.albums(album_ids).await.map_err(store_err)?,
            ),
            None => (vec![], vec![]),
        };
        let names = artists.into_iter().map(|a| (a.id, a.name)).collect();
        let albums: HashMap<String, build::AlbumInfo> = albums
            .iter()
            .map(|a| (a.id.clone(), build::AlbumInfo::of(a)))
            .collect();
        let docs = tracks
            .iter()
            .map(|t| build::track_doc(t, &names, &albums))
            .collect();
        self.upsert_docs(docs).await
    }

    pub async fn upsert_albums(&self, albums: &[Album]) -> Result<(), SearchError> {
        let ids = dedup(albums.iter().flat_map(|a| a.artist_ids.clone()));
        let artists = match &self.catalog {
            Some(c) => c.artists(ids).await.map_err(store_err)?,
            None => vec![],
        };
        let names = artists.into_iter().map(|a| (a.id, a.name)).collect();
        let docs = albums.iter().map(|a| build::album_doc(a, &names)).collect();
        self.upsert_docs(docs).await
    }

    pub async fn upsert_artists(&self, artists: &[Artist]) -> Result<(), SearchError> {
        self.upsert_docs(artists.iter().map(build::artist_doc).collect())
            .await
    }

    /// Adds or replaces a playlist; private ones are only found by owner and collaborators.
    pub async fn upsert_playlist(&self, playlist: PlaylistDoc) -> Result<(), SearchError> {
        self.upsert_docs(vec![SearchDoc::Playlist(playlist)]).await
    }

    pub async fn remove_playlist(&self, id: &str) -> Result<(), SearchError> {
        self.remove(Kind::Playlist, &[id.to_string()]).await
    }

    pub async fn remove(&self, kind: Kind, ids: &[String]) -> Result<(), SearchError> {
        let ids = ids.iter().map(|id| (kind, id.clone())).collect();
        self.send(Op::Delete(ids)).await
    }

    /// New popularity (0..=100) for documents of `kind`; affects ranking at once, no re-indexing.
    pub fn set_popularity(&self, kind: Kind, updates: &[(String, u32)]) {
        let hashed: Vec<(u64, u32)> = updates
            .iter()
            .map(|(id, p)| (schema::key_hash(&schema::doc_key(kind, id)), *p))
            .collect();
        self.shared.overlay.set(&hashed);
        // Best effort: when the queue is full, the next search rebuilds what it needs.
        let _ = self.tx.try_send(Op::Warm);
    }

    /// Resolves once everything sent before is committed and searchable.
    pub async fn flush(&self) -> Result<(), SearchError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Op::Flush(tx)).await?;
        rx.await.map_err(|_| SearchError::Closed)
    }

    /// Blocking variant of `flush` for non-async callers.
    pub fn flush_blocking(&self) -> Result<(), SearchError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Op::Flush(tx))
            .map_err(|_| SearchError::Closed)?;
        rx.blocking_recv().map_err(|_| SearchError::Closed)
    }
}

fn is_true(b: &bool) -> bool {
    *b
}

fn store_err(e: crate::error::StorageError) -> SearchError {
    SearchError::Index(format!("catalog lookup failed: {e}"))
}

fn dedup(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = it.collect();
    v.sort();
    v.dedup();
    v
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string()
}

/// Older generations (and spill directories) left behind by a crash or an interrupted swap.
fn remove_older_generations(root: &Path, current: &str) {
    let num = |s: &str| s.strip_prefix('g').and_then(|n| n.parse::<u64>().ok());
    let Some(cur) = num(current) else { return };
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            // A bulk build's spill directory is removed when it finishes; one an hour old was
            // left by a crash (a younger one may belong to a `segue reindex` running now).
            let stale_spill = name.ends_with(".spill")
                && e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > Duration::from_secs(3600));
            if num(&name).is_some_and(|n| n < cur) || stale_spill {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}
