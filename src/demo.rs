//! `--demo`: the bundled Chinook catalog with every track backed by a demo recording, the audio
//! files in the CDN folder, and the demo accounts. Safe to run at every start: each step skips
//! what is already there.

use crate::catalog::demo_data::{self, AUDIO_FILES, CHINOOK_JSONL};
use crate::catalog::import::import_reader_with;
use crate::catalog::CatalogItem;
use crate::error::StorageError;
use crate::http::AppState;
use crate::storage::{Account, Tier};
use std::path::{Path, PathBuf};

/// Password of every entry of `DEMO_ACCOUNTS`.
pub const DEMO_PASSWORD: &str = "segue-demo";

/// The accounts `--demo` creates (when missing), for the README.
pub const DEMO_ACCOUNTS: &[(&str, Tier)] = &[
    ("alice", Tier::Premium),
    ("bob", Tier::Free),
    ("carol", Tier::Premium),
];

/// Owner of the Chinook playlists; premium, with a random password nobody knows.
pub const CURATOR_USERNAME: &str = "segue-curator";

/// Bumped when the way the demo catalog is derived changes (forces a re-import).
const DEMO_FORMAT: &str = "segue-demo-catalog/1";

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    install_audio(state.config.audio_dir()).await?;
    let imported = load_catalog(state).await?;
    ensure_accounts(state).await?;
    let curator = state
        .storage
        .accounts
        .by_username(CURATOR_USERNAME)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo curator account is missing"))?;
    let playlists = crate::actors::playlist_admin::import_demo_playlists(
        state,
        &curator.id,
        demo_data::chinook_playlists(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot import the demo playlists: {}", e.message))?;
    tracing::info!(
        playlists_created = playlists,
        catalog = if imported {
            "imported"
        } else {
            "already present"
        },
        ms = started.elapsed().as_millis() as u64,
        "demo data ready"
    );
    Ok(())
}

/// Copies the embedded recordings into the audio folder, skipping files already there.
async fn install_audio(dir: PathBuf) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for (rel, bytes) in AUDIO_FILES {
            let dest = dir.join(rel);
            if std::fs::metadata(&dest).is_ok_and(|m| m.len() == bytes.len() as u64) {
                continue;
            }
            write_atomically(&dest, bytes)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", dest.display()))?;
        }
        Ok(())
    })
    .await?
}

fn write_atomically(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = dest.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dest)
}

/// What the imported demo catalog is derived from: the catalog file, the audio assets and the
/// derivation rules. Equal hashes mean the stored catalog is already right.
fn content_hash(assets: &[String]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(DEMO_FORMAT.as_bytes());
    ctx.update(CHINOOK_JSONL.as_bytes());
    for a in assets {
        ctx.update(b"\0");
        ctx.update(a.as_bytes());
    }
    hex::encode(ctx.finish().as_ref())
}

/// Imports the Chinook catalog unless the same content is already stored; returns whether it
/// imported.
async fn load_catalog(state: &AppState) -> anyhow::Result<bool> {
    let assets: Vec<String> = demo_data::audio_manifest()?
        .assets
        .into_iter()
        .map(|a| a.name)
        .collect();
    if assets.is_empty() {
        anyhow::bail!("the bundled audio manifest lists no assets");
    }
    let hash = content_hash(&assets);
    let marker = state.config.data_dir().join("demo-catalog.sha256");
    if already_imported(state, &marker, &hash).await? {
        return Ok(false);
    }
    // Round robin over the recordings, in file order, so the assignment is stable.
    let mut next = 0usize;
    let stats = import_reader_with(
        &state.storage,
        CHINOOK_JSONL.as_bytes(),
        None,
        move |item| {
            if let CatalogItem::Track(t) = item {
                t.audio = Some(assets[next % assets.len()].clone());
                next += 1;
            }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("bundled demo catalog: {e}"))?;
    tracing::info!(
        artists = stats.artists,
        albums = stats.albums,
        tracks = stats.tracks,
        "imported the Chinook demo catalog"
    );
    let marker_text = format!("{hash}\n");
    tokio::task::spawn_blocking(move || write_atomically(&marker, marker_text.as_bytes()))
        .await??;
    Ok(true)
}

/// The marker must match and the storage must really hold the catalog (the database may have
/// been replaced while the marker stayed).
async fn already_imported(state: &AppState, marker: &Path, hash: &str) -> anyhow::Result<bool> {
    let stored = tokio::fs::read_to_string(marker).await.unwrap_or_default();
    if stored.trim() != hash {
        return Ok(false);
    }
    let last = format!("tr{}", demo_data::CHINOOK_TRACKS);
    let has_last = state
        .storage
        .catalog
        .track(&last)
        .await?
        .is_some_and(|t| t.audio.is_some());
    let counts = state.storage.catalog.counts().await?;
    Ok(has_last && counts.tracks >= demo_data::CHINOOK_TRACKS)
}

async fn ensure_accounts(state: &AppState) -> anyhow::Result<()> {
    let curator_password = hex::encode(rand::random::<[u8; 24]>());
    let wanted = DEMO_ACCOUNTS
        .iter()
        .map(|(name, tier)| (*name, *tier, DEMO_PASSWORD.to_string()))
        .chain(std::iter::once((
            CURATOR_USERNAME,
            Tier::Premium,
            curator_password,
        )));
    for (username, tier, password) in wanted {
        if state
            .storage
            .accounts
            .by_username(username)
            .await?
            .is_some()
        {
            continue;
        }
        let iterations = state.config.auth.pbkdf2_iterations;
        // Hashing is deliberately slow: keep it off the async workers.
        let hash =
            tokio::task::spawn_blocking(move || crate::auth::hash_password(&password, iterations))
                .await?;
        let account = Account {
            id: crate::storage::new_id(),
            username: username.to_string(),
            display_name: display_name(username),
            password_hash: hash,
            tier,
            created_at_ms: state.now_ms(),
        };
        match state.storage.accounts.create(account).await {
            Ok(()) => tracing::info!(username, tier = tier.as_str(), "created demo account"),
            // Someone registered the name meanwhile: theirs stays.
            Err(StorageError::Conflict(_)) => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "cannot create demo account {username}: {e}"
                ))
            }
        }
    }
    Ok(())
}

fn display_name(username: &str) -> String {
    if username == CURATOR_USERNAME {
        return "Segue Curator".into();
    }
    let mut cs = username.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_assets() {
        let a = content_hash(&["x".into(), "y".into()]);
        assert_eq!(a, content_hash(&["x".into(), "y".into()]));
        assert_ne!(a, content_hash(&["x".into()]));
        assert_ne!(a, content_hash(&["xy".into()]));
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("alice"), "Alice");
        assert_eq!(display_name(CURATOR_USERNAME), "Segue Curator");
    }
}
