//! Whole-index rebuilds inside the server: into a new generation directory, with the changes
//! made meanwhile replayed onto it, then swapped in atomically.

use super::index::{self, Op};
use super::{build, SearchError, SearchIndex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

impl SearchIndex {
    /// When the index is empty but the catalog is not, builds it in the background; searches
    /// answer (with what the index has) meanwhile.
    pub fn build_in_background_if_empty(self: &Arc<Self>) {
        if self.num_docs() > 0 || self.catalog.is_none() {
            return;
        }
        let weak = Arc::downgrade(self);
        let _ = std::thread::Builder::new()
            .name("segue-search-build".into())
            .spawn(move || {
                let Some(this) = weak.upgrade() else { return };
                if let Err(e) = this.rebuild_blocking(true) {
                    tracing::warn!(error = %e, "search: background index build did not finish");
                }
            });
    }

    /// Rebuilds the whole index from the catalog into a new generation and swaps it in;
    /// changes made meanwhile are replayed onto it. Blocks the calling thread.
    pub fn rebuild_blocking(&self, only_if_catalog_nonempty: bool) -> anyhow::Result<u64> {
        let catalog = self
            .catalog
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no catalog to build from"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        if only_if_catalog_nonempty {
            let c = rt.block_on(catalog.counts())?;
            if c.tracks + c.albums + c.artists == 0 {
                return Ok(0);
            }
        }
        if self.building.swap(true, Ordering::AcqRel) {
            anyhow::bail!("a rebuild is already running");
        }
        let _reset = ResetOnDrop(self.building.clone());
        self.tx
            .send(Op::BeginRebuild)
            .map_err(|_| SearchError::Closed)?;
        let dir = self
            .shared
            .root
            .join(index::next_generation_name(&self.shared.root));
        let result = (|| {
            let playlists = build::playlist_docs(&self.shared.live().index, &self.shared.fields)?;
            let started = std::time::Instant::now();
            let n = build::build_from_catalog(
                &rt,
                catalog.as_ref(),
                &self.shared.fields,
                &dir,
                self.config.writer_heap_bytes.max(100_000_000),
                playlists,
                &self.closed,
                &|_, _| {},
            )?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            self.tx
                .send(Op::Adopt {
                    dir: dir.clone(),
                    done: tx,
                })
                .map_err(|_| SearchError::Closed)?;
            rx.blocking_recv()?.map_err(|e| anyhow::anyhow!(e))?;
            tracing::info!(
                docs = n,
                secs = started.elapsed().as_secs_f64(),
                "search index built"
            );
            Ok(n)
        })();
        if result.is_err() {
            let _ = self.tx.send(Op::AbortRebuild);
            if self.shared.live().dir != dir {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        result
    }
}

struct ResetOnDrop(Arc<AtomicBool>);
impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
