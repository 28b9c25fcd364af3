//! Ranking: text relevance (BM25 plus exact-over-typo boosts, built in `query.rs`) multiplied by a
//! log-scaled popularity factor and a kind weight (the static rank, tabled per segment in
//! `complete.rs`, applied in `exec.rs`). Popularity comes from a fast field written at indexing time
//! and an in-memory overlay of later changes, so a popularity update never re-indexes any text.

use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How much popularity can multiply text relevance: popularity 100 doubles the score, 0 leaves
/// it unchanged. Exact-word boosts are larger than that, so an exact match of an obscure track
/// still ranks above a typo match of a hit.
pub const POPULARITY_WEIGHT: f32 = 1.0;

/// `1 + w * ln(1 + p) / ln(101)` for popularity `p` in 0..=100.
pub fn popularity_factor(p: u64) -> f32 {
    let p = p.min(100) as f32;
    1.0 + POPULARITY_WEIGHT * (1.0 + p).ln() / 101f32.ln()
}

/// Per-kind weights for mixed results (autocomplete): an artist whose name matches is usually
/// what the user is typing towards.
pub fn kind_weight(code: u64) -> f32 {
    match code {
        1 => 1.3, // artist
        2 => 1.1, // album
        _ => 1.0,
    }
}

/// Popularity changes since the documents were indexed, keyed by document key hash; persisted
/// next to the index so a restart keeps them.
pub struct PopularityOverlay {
    map: RwLock<Arc<HashMap<u64, u8>>>,
    dirty: AtomicBool,
    /// Bumped when a popularity changes, so ranking tables built from the overlay get rebuilt.
    /// `forget` does not bump it: a forgotten document was re-indexed, and its old copy is dead.
    version: AtomicU64,
    path: PathBuf,
}

impl PopularityOverlay {
    pub fn load(path: PathBuf) -> PopularityOverlay {
        let mut map = HashMap::new();
        if let Ok(bytes) = std::fs::read(&path) {
            for chunk in bytes.chunks_exact(9) {
                let mut h = [0u8; 8];
                h.copy_from_slice(&chunk[..8]);
                map.insert(u64::from_le_bytes(h), chunk[8]);
            }
        }
        PopularityOverlay {
            map: RwLock::new(Arc::new(map)),
            dirty: AtomicBool::new(false),
            version: AtomicU64::new(0),
            path,
        }
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn snapshot(&self) -> Arc<HashMap<u64, u8>> {
        self.map.read().clone()
    }

    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.read().is_empty()
    }

    /// Copy-on-write: searches in flight keep the snapshot they started with.
    pub fn set(&self, updates: &[(u64, u32)]) {
        if updates.is_empty() {
            return;
        }
        let mut guard = self.map.write();
        let mut next = (**guard).clone();
        for (h, p) in updates {
            next.insert(*h, (*p).min(100) as u8);
        }
        *guard = Arc::new(next);
        self.dirty.store(true, Ordering::Release);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// A re-indexed document carries its current popularity; its overlay entry is obsolete.
    pub fn forget(&self, hashes: &[u64]) {
        let mut guard = self.map.write();
        if !hashes.iter().any(|h| guard.contains_key(h)) {
            return;
        }
        let mut next = (**guard).clone();
        for h in hashes {
            next.remove(h);
        }
        *guard = Arc::new(next);
        self.dirty.store(true, Ordering::Release);
    }

    pub fn clear(&self) {
        *self.map.write() = Arc::new(HashMap::new());
        self.dirty.store(true, Ordering::Release);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Writes the overlay if it changed (temp file + rename, so a crash leaves the old one).
    pub fn persist(&self) -> std::io::Result<()> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let snap = self.snapshot();
        let mut bytes = Vec::with_capacity(snap.len() * 9);
        for (h, p) in snap.iter() {
            bytes.extend_from_slice(&h.to_le_bytes());
            bytes.push(*p);
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popularity_factor_is_log_scaled_and_bounded() {
        assert_eq!(popularity_factor(0), 1.0);
        assert!((popularity_factor(100) - 2.0).abs() < 1e-5);
        assert!((popularity_factor(1000) - 2.0).abs() < 1e-5);
        // Log scale: the first few points matter more than the last ones.
        let low = popularity_factor(10) - popularity_factor(0);
        let high = popularity_factor(100) - popularity_factor(90);
        assert!(low > 5.0 * high);
    }

    #[test]
    fn overlay_persists_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pop.bin");
        let o = PopularityOverlay::load(path.clone());
        o.set(&[(1, 50), (2, 200)]);
        o.persist().unwrap();
        let again = PopularityOverlay::load(path);
        assert_eq!(again.snapshot().get(&1), Some(&50));
        assert_eq!(again.snapshot().get(&2), Some(&100));
        again.forget(&[1]);
        assert_eq!(again.len(), 1);
    }
}
