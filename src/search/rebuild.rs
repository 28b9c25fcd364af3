//! Whole-index rebuilds inside the server: into a new generation directory, with the changes
//! made meanwhile replayed onto it, then swapped in atomically.

use super::index::{self, Op};
use super::{build, SearchError, SearchIndex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

impl SearchIndex {
    /// When the index is empty but the catalog is not, builds it in the background; searches
    /// answer (with what the index has) meanwhile. `is_caught_up` turns true once the index
    /// covers the catalog: at once when no build is needed, else when the build is swapped in.
    pub async fn build_in_background_if_empty(self: &Arc<Self>) {
        // Playlists may already be indexed (the demo loader creates some): what matters is
        // whether the catalog is.
        let Some(catalog) = self.catalog.clone() else {
            self.caught_up.store(true, Ordering::Release);
            return;
        };
        if self.num_catalog_docs() > 0 {
            self.caught_up.store(true, Ordering::Release);
            return;
        }
        // An empty catalog is decided here, before the server listens, so that readiness is
        // not held back for nothing. A failing count falls through to the build, which retries.
        if let Ok(c) = catalog.counts().await {
            if c.tracks + c.albums + c.artists == 0 {
                self.caught_up.store(true, Ordering::Release);
                return;
            }
        }
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("segue-search-build".into())
            .spawn(move || {
                let Some(this) = weak.upgrade() else { return };
                if let Err(e) = this.rebuild_blocking(true) {
                    // Not ready forever would take the whole API out of rotation for a search
                    // problem: report ready, searches answer with what the index has.
                    tracing::error!(error = %e, "search: background index build did not finish");
                }
                this.caught_up.store(true, Ordering::Release);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "search: cannot start the background index build");
            self.caught_up.store(true, Ordering::Release);
        }
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
        // Changes sent from now on are replayed onto the new generation; the ones sent before
        // (e.g. the demo playlists) must be committed before `playlist_docs` copies them.
        if let Err(e) = self.flush_blocking() {
            let _ = self.tx.send(Op::AbortRebuild);
            return Err(e.into());
        }
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
