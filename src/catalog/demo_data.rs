//! The bundled demo data, compiled into the binary so `serve --demo` needs no files: the Chinook
//! catalog and playlists (assets/catalog, MIT) and the demo recordings (assets/audio, CC-BY-SA).

use serde::Deserialize;

/// The Chinook catalog in the import format (docs/catalog.md).
pub const CHINOOK_JSONL: &str = include_str!("../../assets/catalog/chinook.jsonl");
/// `[{"name": "...", "track_ids": ["tr1", ...]}, ...]`: Chinook's 18 playlists.
pub const CHINOOK_PLAYLISTS_JSON: &str =
    include_str!("../../assets/catalog/chinook-playlists.json");

pub const CHINOOK_ARTISTS: u64 = 275;
pub const CHINOOK_ALBUMS: u64 = 347;
pub const CHINOOK_TRACKS: u64 = 3503;
pub const CHINOOK_GENRES: u64 = 25;

/// `assets/audio/manifest.json`.
pub const AUDIO_MANIFEST_JSON: &str = include_str!("../../assets/audio/manifest.json");

macro_rules! audio_files {
    ($($asset:literal),*) => {
        &[
            ("manifest.json", include_bytes!("../../assets/audio/manifest.json")),
            ("ATTRIBUTION.md", include_bytes!("../../assets/audio/ATTRIBUTION.md")),
            $(
                (concat!($asset, "/96.mp3"),
                    include_bytes!(concat!("../../assets/audio/", $asset, "/96.mp3"))),
                (concat!($asset, "/160.mp3"),
                    include_bytes!(concat!("../../assets/audio/", $asset, "/160.mp3"))),
                (concat!($asset, "/320.mp3"),
                    include_bytes!(concat!("../../assets/audio/", $asset, "/320.mp3"))),
            )*
        ]
    };
}

/// Every file of assets/audio, by path relative to the audio folder.
pub const AUDIO_FILES: &[(&str, &[u8])] = audio_files!(
    "a-new-journey",
    "through-space",
    "nebula",
    "orbital-elevator"
);

#[derive(Debug, Clone, Deserialize)]
struct PlaylistEntry {
    name: String,
    track_ids: Vec<String>,
}

/// Chinook's playlists as (name, track ids in order). Names repeat and some lists are empty,
/// exactly as in Chinook.
pub fn chinook_playlists() -> Vec<(String, Vec<String>)> {
    match serde_json::from_str::<Vec<PlaylistEntry>>(CHINOOK_PLAYLISTS_JSON) {
        Ok(list) => list.into_iter().map(|p| (p.name, p.track_ids)).collect(),
        Err(e) => {
            // Cannot happen with the bundled file (a unit test parses it); never panic at start.
            tracing::error!(error = %e, "bundled chinook-playlists.json does not parse");
            vec![]
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AudioManifest {
    pub assets: Vec<AudioAsset>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AudioAsset {
    pub name: String,
    pub title: String,
    pub artist: String,
    pub license: String,
    pub source: String,
    pub duration_ms: i64,
    pub variants: Vec<AudioVariant>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AudioVariant {
    pub kbps: u32,
    pub format: String,
    pub file: String,
}

/// The bundled audio manifest.
pub fn audio_manifest() -> anyhow::Result<AudioManifest> {
    serde_json::from_str(AUDIO_MANIFEST_JSON)
        .map_err(|e| anyhow::anyhow!("bundled audio manifest does not parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playlists_parse_with_chinook_shape() {
        let p = chinook_playlists();
        assert_eq!(p.len(), 18);
        assert_eq!(p[0].0, "Music");
        assert_eq!(p[0].1.len(), 3290);
        assert!(p.iter().flat_map(|(_, t)| t).all(|t| t.starts_with("tr")));
        let total: usize = p.iter().map(|(_, t)| t.len()).sum();
        assert_eq!(total, 8715);
    }

    #[test]
    fn manifest_matches_embedded_files() {
        let m = audio_manifest().unwrap();
        assert_eq!(m.assets.len(), 4);
        for a in &m.assets {
            assert_eq!(a.license, "CC-BY-SA-3.0");
            assert!(a.duration_ms > 30_000);
            let kbps: Vec<u32> = a.variants.iter().map(|v| v.kbps).collect();
            assert_eq!(kbps, vec![96, 160, 320]);
            for v in &a.variants {
                assert_eq!(v.format, "mp3");
                let (_, bytes) = AUDIO_FILES
                    .iter()
                    .find(|(p, _)| *p == v.file)
                    .unwrap_or_else(|| panic!("{} is not embedded", v.file));
                assert!(bytes.len() <= 2 * 1024 * 1024, "{} too large", v.file);
                // MPEG audio frame sync (no ID3 tag is written).
                assert!(
                    bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0,
                    "{} not mp3",
                    v.file
                );
            }
        }
        assert_eq!(AUDIO_FILES.len(), 2 + 4 * 3);
    }

    #[test]
    fn chinook_counts() {
        let mut n = [0u64; 3];
        for line in CHINOOK_JSONL.lines() {
            match crate::catalog::import::parse_line(line).unwrap() {
                crate::catalog::CatalogItem::Artist(_) => n[0] += 1,
                crate::catalog::CatalogItem::Album(_) => n[1] += 1,
                crate::catalog::CatalogItem::Track(_) => n[2] += 1,
            }
        }
        assert_eq!(n, [CHINOOK_ARTISTS, CHINOOK_ALBUMS, CHINOOK_TRACKS]);
    }
}
