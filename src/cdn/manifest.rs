//! The audio manifest (`<audio_dir>/manifest.json`): which assets exist at which bitrates, read
//! on demand and re-read whenever the file changes (the demo loader may write it after start-up).

use crate::storage::Tier;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::Quality;

/// Bitrate that `normal` quality aims for (the highest variant not above it).
pub const NORMAL_KBPS: u32 = 160;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asset {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub artist: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub duration_ms: i64,
    #[serde(default)]
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub kbps: u32,
    pub format: String,
    /// Path relative to the audio dir, e.g. `<asset>/96.mp3`.
    pub file: String,
}

/// Assets by name, each with its usable variants sorted by bitrate (lowest first).
#[derive(Debug, Default)]
pub struct Index {
    assets: HashMap<String, Vec<Variant>>,
}

impl Index {
    /// Keeps only variants that can be signed and served; logs the rest once per load.
    pub fn build(manifest: Manifest) -> Index {
        let mut assets = HashMap::new();
        for asset in manifest.assets {
            let mut variants: Vec<Variant> = asset
                .variants
                .into_iter()
                .filter(|v| {
                    let ok = v.kbps > 0
                        && !v.format.is_empty()
                        && super::signer::safe_relative_path(&v.file);
                    if !ok {
                        tracing::warn!(asset = %asset.name, file = %v.file,
                            "audio manifest: skipping a variant with a bad kbps, format or file");
                    }
                    ok
                })
                .collect();
            variants.sort_by_key(|v| v.kbps);
            variants.dedup_by_key(|v| v.kbps);
            if !variants.is_empty() {
                assets.insert(asset.name, variants);
            }
        }
        Index { assets }
    }

    pub fn variants(&self, asset: &str) -> Option<&[Variant]> {
        self.assets.get(asset).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }
}

/// The variant `tier` may have for `quality`: low = lowest, normal = highest not above
/// `NORMAL_KBPS` (else the lowest), high = highest; free tier never above `free_max_kbps`.
pub fn choose(
    variants: &[Variant],
    tier: Tier,
    quality: Quality,
    free_max_kbps: u32,
) -> Option<&Variant> {
    let cap = match tier {
        Tier::Free => free_max_kbps,
        Tier::Premium => u32::MAX,
    };
    let allowed: Vec<&Variant> = variants.iter().filter(|v| v.kbps <= cap).collect();
    match quality {
        Quality::Low => allowed.first().copied(),
        Quality::High => allowed.last().copied(),
        Quality::Normal => allowed
            .iter()
            .rev()
            .find(|v| v.kbps <= NORMAL_KBPS)
            .or(allowed.first())
            .copied(),
    }
}

/// (modified time, length): cheap change detection without reading the file.
type Stamp = Option<(SystemTime, u64)>;

/// Reads the manifest lazily and again whenever its modification time or size changes.
pub struct ManifestCache {
    path: PathBuf,
    state: parking_lot::Mutex<(Stamp, Arc<Index>)>,
}

impl ManifestCache {
    pub fn new(path: PathBuf) -> ManifestCache {
        ManifestCache {
            path,
            // A stamp no real file has, so the first call loads.
            state: parking_lot::Mutex::new((
                Some((SystemTime::UNIX_EPOCH, u64::MAX)),
                Arc::new(Index::default()),
            )),
        }
    }

    /// The current index. One `stat` per call (microseconds on a local disk); the file is
    /// read and parsed only when it changed, and it is small (one entry per demo asset).
    pub fn current(&self) -> Arc<Index> {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let mut state = self.state.lock();
        if state.0 == stamp {
            return state.1.clone();
        }
        let index = match stamp {
            None => Arc::new(Index::default()),
            Some(_) => match self.load() {
                Ok(i) => Arc::new(i),
                Err(e) => {
                    // A half-written file, most likely: keep what we had and look again on a
                    // later change; the stamp is recorded so the warning is logged once.
                    tracing::warn!(path = %self.path.display(), error = %e,
                        "audio manifest unreadable; keeping the previous one");
                    state.0 = stamp;
                    return state.1.clone();
                }
            },
        };
        if stamp.is_some() {
            tracing::info!(path = %self.path.display(), assets = index.len(), "audio manifest loaded");
        }
        *state = (stamp, index.clone());
        index
    }

    fn load(&self) -> anyhow::Result<Index> {
        let text = std::fs::read(&self.path)?;
        let manifest: Manifest = serde_json::from_slice(&text)?;
        Ok(Index::build(manifest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(kbps: &[u32]) -> Vec<Variant> {
        kbps.iter()
            .map(|k| Variant {
                kbps: *k,
                format: "mp3".into(),
                file: format!("a/{k}.mp3"),
            })
            .collect()
    }

    #[test]
    fn quality_choice() {
        let v = variants(&[96, 160, 320]);
        let pick = |t, q| choose(&v, t, q, 160).map(|v| v.kbps);
        assert_eq!(pick(Tier::Premium, Quality::Low), Some(96));
        assert_eq!(pick(Tier::Premium, Quality::Normal), Some(160));
        assert_eq!(pick(Tier::Premium, Quality::High), Some(320));
        assert_eq!(pick(Tier::Free, Quality::High), Some(160));
        assert_eq!(pick(Tier::Free, Quality::Low), Some(96));
        let odd = variants(&[128, 256]);
        assert_eq!(
            choose(&odd, Tier::Premium, Quality::Normal, 160).map(|v| v.kbps),
            Some(128)
        );
        assert_eq!(
            choose(&odd, Tier::Free, Quality::High, 160).map(|v| v.kbps),
            Some(128)
        );
        let high_only = variants(&[256]);
        assert_eq!(
            choose(&high_only, Tier::Premium, Quality::Normal, 160).map(|v| v.kbps),
            Some(256)
        );
        assert_eq!(choose(&high_only, Tier::Free, Quality::Low, 160), None);
    }

    #[test]
    fn reloads_on_change_and_skips_bad_variants() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let cache = ManifestCache::new(path.clone());
        assert!(cache.current().is_empty());
        std::fs::write(
            &path,
            r#"{"assets":[{"name":"a","variants":[{"kbps":96,"format":"mp3","file":"a/96.mp3"},
                {"kbps":160,"format":"mp3","file":"../etc/passwd"}]}]}"#,
        )
        .unwrap();
        let idx = cache.current();
        assert_eq!(idx.variants("a").unwrap().len(), 1);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(cache.current().len(), 1, "keeps the last good manifest");
        std::fs::write(&path, r#"{"assets":[]}"#).unwrap();
        assert!(cache.current().is_empty());
    }
}
