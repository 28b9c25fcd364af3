//! The live index: one generation directory on disk, one reader shared by every search, and the
//! writer thread that owns the only `IndexWriter` for the life of the process. Changes are
//! batched, committed every `search.commit_interval_ms`, and the reader is reloaded explicitly
//! right after each commit so a change is searchable a few tens of milliseconds later.

use super::complete::Tables;
use super::ranking::PopularityOverlay;
use super::schema::{doc_key, key_hash, register_tokenizers, to_tantivy, Fields, Kind, SearchDoc};
use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::indexer::{IndexWriterOptions, LogMergePolicy};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

/// Name of the file (in the search root) naming the generation directory in use.
pub const CURRENT: &str = "CURRENT";
pub const OVERLAY: &str = "popularity.bin";

/// One generation of the index, as searches see it.
pub struct Live {
    pub index: Index,
    pub reader: IndexReader,
    pub dir: PathBuf,
}

/// What searches and the writer thread share.
pub struct Shared {
    pub fields: Fields,
    pub live: RwLock<Arc<Live>>,
    pub overlay: PopularityOverlay,
    /// Autocomplete ranking tables of the live segments.
    pub tables: Tables,
    pub root: PathBuf,
}

impl Shared {
    pub fn live(&self) -> Arc<Live> {
        self.live.read().clone()
    }

    /// After a reload: builds the autocomplete tables of new segments before searches need them.
    pub fn warm(&self) {
        self.tables
            .warm(&self.live().reader.searcher(), &self.overlay, true);
    }
}

pub enum Op {
    Upsert(Vec<SearchDoc>),
    Delete(Vec<(Kind, String)>),
    /// Answered once everything sent before it is committed and searchable.
    Flush(tokio::sync::oneshot::Sender<()>),
    /// Popularity changed: rebuild the ranking tables here rather than in the next search.
    Warm,
    /// A rebuild started: remember changes from now on so they can be replayed on the new index.
    BeginRebuild,
    AbortRebuild,
    /// Switch to a freshly built generation, replaying the changes made while it was built.
    Adopt {
        dir: PathBuf,
        done: tokio::sync::oneshot::Sender<Result<(), String>>,
    },
    /// Commit, persist and stop (the index handle is being dropped).
    Shutdown,
}

pub fn open_index(dir: &Path, fields: &Fields) -> tantivy::Result<Index> {
    std::fs::create_dir_all(dir)?;
    let index = if dir.join("meta.json").exists() {
        Index::open_in_dir(dir)?
    } else {
        Index::create_in_dir(dir, fields.schema.clone())?
    };
    register_tokenizers(&index);
    Ok(index)
}

/// True when an existing index was built with the same schema as this version of Segue.
pub fn schema_matches(index: &Index, fields: &Fields) -> bool {
    let a = serde_json::to_string(&index.schema()).unwrap_or_default();
    let b = serde_json::to_string(&fields.schema).unwrap_or_default();
    a == b
}

pub fn open_reader(index: &Index) -> tantivy::Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
}

/// The live writer: one indexing thread and one merge thread, sized for a 2-core machine where
/// searches need the other core.
pub fn live_writer(index: &Index, heap: usize) -> tantivy::Result<IndexWriter> {
    let options = IndexWriterOptions::builder()
        .num_worker_threads(1)
        .num_merge_threads(1)
        .memory_budget_per_thread(heap.max(15_000_000))
        .build();
    // The index lock is held until a previous writer (a server stopping in this process, or a
    // background build finishing) lets go: wait a little for it rather than fail at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let writer: IndexWriter = loop {
        match index.writer_with_options(options.clone()) {
            Err(tantivy::TantivyError::LockFailure(_, _))
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => break other?,
        }
    };
    let mut policy = LogMergePolicy::default();
    // Frequent small commits make many tiny segments: merge them early.
    policy.set_min_num_segments(6);
    policy.set_del_docs_ratio_before_merge(0.3);
    writer.set_merge_policy(Box::new(policy));
    Ok(writer)
}

pub fn read_current(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join(CURRENT))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.contains('/') && !s.contains(".."))
}

/// Atomically points `CURRENT` at generation `name`.
pub fn write_current(root: &Path, name: &str) -> std::io::Result<()> {
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, name)?;
    std::fs::rename(&tmp, root.join(CURRENT))
}

/// A new, unused generation directory name (`g` + increasing number).
pub fn next_generation_name(root: &Path) -> String {
    let max = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_prefix('g')?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    format!("g{:06}", max + 1)
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string()
}

/// Runs until every sender is gone. Never panics on index errors: they are logged and the
/// batch is dropped, so bad data cannot take search down.
pub fn writer_loop(
    shared: Arc<Shared>,
    mut writer: IndexWriter,
    rx: Receiver<Op>,
    interval: Duration,
    heap: usize,
) {
    shared.warm();
    let mut pending: Option<Instant> = None;
    let mut waiters: Vec<tokio::sync::oneshot::Sender<()>> = Vec::new();
    let mut replay: Option<Vec<Op>> = None;
    let mut last_poll = Instant::now();
    loop {
        let timeout = match pending {
            Some(t) => (t + interval).saturating_duration_since(Instant::now()),
            None => Duration::from_secs(1),
        };
        let mut disconnected = false;
        match rx.recv_timeout(timeout) {
            Ok(Op::Upsert(docs)) => {
                apply_upserts(&shared, &writer, &docs);
                if let Some(r) = replay.as_mut() {
                    r.push(Op::Upsert(docs));
                }
                pending.get_or_insert_with(Instant::now);
            }
            Ok(Op::Delete(ids)) => {
                apply_deletes(&shared, &writer, &ids);
                if let Some(r) = replay.as_mut() {
                    r.push(Op::Delete(ids));
                }
                pending.get_or_insert_with(Instant::now);
            }
            Ok(Op::Flush(tx)) => {
                waiters.push(tx);
                if pending.is_none() {
                    pending = Some(Instant::now() - interval);
                }
            }
            Ok(Op::Warm) => shared.warm(),
            Ok(Op::BeginRebuild) => replay = Some(Vec::new()),
            Ok(Op::AbortRebuild) => replay = None,
            Ok(Op::Adopt { dir, done }) => {
                // Commit what the old generation has, then move to the new one.
                commit(&shared, &mut writer);
                let ops = replay.take().unwrap_or_default();
                let result = adopt(&shared, &mut writer, &dir, ops, heap);
                let _ = done.send(result.map_err(|e| e.to_string()));
                pending = None;
            }
            Ok(Op::Shutdown) | Err(RecvTimeoutError::Disconnected) => disconnected = true,
            Err(RecvTimeoutError::Timeout) => {
                // Popularity changes need no commit, but must survive a restart.
                if let Err(e) = shared.overlay.persist() {
                    tracing::warn!(error = %e, "search: cannot persist popularity overlay");
                }
            }
        }
        if pending.is_some_and(|t| t.elapsed() >= interval) || (disconnected && pending.is_some()) {
            commit(&shared, &mut writer);
            pending = None;
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
        if disconnected {
            let _ = shared.overlay.persist();
            break;
        }
        // Another process (`segue reindex`) may have switched generations.
        if pending.is_none() && last_poll.elapsed() >= Duration::from_secs(1) {
            last_poll = Instant::now();
            if let Some(name) = read_current(&shared.root) {
                if name != dir_name(&shared.live().dir) {
                    let dir = shared.root.join(&name);
                    if let Err(e) = adopt(&shared, &mut writer, &dir, Vec::new(), heap) {
                        tracing::error!(error = %e, "cannot switch to reindexed search index");
                    }
                }
            }
        }
    }
    let _ = writer.wait_merging_threads();
}

fn apply_upserts(shared: &Shared, writer: &IndexWriter, docs: &[SearchDoc]) {
    let mut hashes = Vec::with_capacity(docs.len());
    for d in docs {
        let key = doc_key(d.kind(), d.id());
        hashes.push(key_hash(&key));
        writer.delete_term(Term::from_field_text(shared.fields.key, &key));
        if let Err(e) = writer.add_document(to_tantivy(&shared.fields, d)) {
            tracing::error!(error = %e, id = d.id(), "search: cannot index document");
        }
    }
    shared.overlay.forget(&hashes);
}

fn apply_deletes(shared: &Shared, writer: &IndexWriter, ids: &[(Kind, String)]) {
    for (kind, id) in ids {
        let key = doc_key(*kind, id);
        writer.delete_term(Term::from_field_text(shared.fields.key, &key));
    }
}

fn commit(shared: &Shared, writer: &mut IndexWriter) {
    if let Err(e) = writer.commit() {
        tracing::error!(error = %e, "search: commit failed; rolling back this batch");
        let _ = writer.rollback();
        return;
    }
    if let Err(e) = shared.live().reader.reload() {
        tracing::error!(error = %e, "search: reader reload failed");
    }
    shared.warm();
    if let Err(e) = shared.overlay.persist() {
        tracing::warn!(error = %e, "search: cannot persist popularity overlay");
    }
}

fn adopt(
    shared: &Shared,
    writer: &mut IndexWriter,
    dir: &Path,
    replay: Vec<Op>,
    heap: usize,
) -> anyhow::Result<()> {
    let index = open_index(dir, &shared.fields)?;
    if !schema_matches(&index, &shared.fields) {
        anyhow::bail!("index at {} has a different schema", dir.display());
    }
    let mut new_writer = live_writer(&index, heap)?;
    for op in &replay {
        match op {
            Op::Upsert(docs) => apply_upserts(shared, &new_writer, docs),
            Op::Delete(ids) => apply_deletes(shared, &new_writer, ids),
            _ => {}
        }
    }
    new_writer.commit()?;
    let reader = open_reader(&index)?;
    // Tables of the new generation before it answers; the old one keeps its own until the swap.
    shared
        .tables
        .warm(&reader.searcher(), &shared.overlay, false);
    let old = {
        let mut live = shared.live.write();
        let old = live.clone();
        *live = Arc::new(Live {
            index,
            reader,
            dir: dir.to_path_buf(),
        });
        old
    };
    shared.warm();
    write_current(&shared.root, &dir_name(dir))?;
    let old_writer = std::mem::replace(writer, new_writer);
    let _ = old_writer.wait_merging_threads();
    // Searches still holding the old generation keep their open (mapped) files.
    if old.dir != dir {
        let _ = std::fs::remove_dir_all(&old.dir);
    }
    tracing::info!(dir = %dir.display(), "search: switched to new index generation");
    Ok(())
}
