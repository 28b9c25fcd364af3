//! `segue reindex`: rebuilds the search index from storage into a new generation directory with a
//! progress bar, then points `CURRENT` at it. A running server notices the switch within a
//! second and moves its reader and writer over; it keeps answering from the old generation until
//! then.

use super::build::{build_from_catalog, playlist_docs};
use super::index::{next_generation_name, open_index, read_current, write_current};
use super::schema::build_schema;
use crate::config::Config;
use std::sync::atomic::AtomicBool;

pub async fn reindex_cli(config: Config) -> anyhow::Result<()> {
    let storage = crate::storage::open(&config).await?;
    let root = config.data_dir().join("search");
    std::fs::create_dir_all(&root)?;
    let fields = build_schema();
    let old = read_current(&root).map(|n| root.join(n));
    let dir = root.join(next_generation_name(&root));
    let heap = config.search.writer_heap_bytes.max(100_000_000);
    let started = std::time::Instant::now();
    let built = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let old = old.clone();
        move || -> anyhow::Result<u64> {
            // Playlists are not in the catalog: carry them over from the current generation.
            let playlists = match &old {
                Some(o) if o.join("meta.json").exists() => {
                    playlist_docs(&open_index(o, &fields)?, &fields)?
                }
                _ => vec![],
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} documents {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let cancel = AtomicBool::new(false);
            let n = build_from_catalog(
                &rt,
                storage.catalog.as_ref(),
                &fields,
                &dir,
                heap,
                playlists,
                &cancel,
                &|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )?;
            bar.finish();
            Ok(n)
        }
    })
    .await?;
    let n = match built {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    write_current(&root, &name)?;
    // Without a running server nobody holds the old generation: remove it. A running server
    // holds its writer lock and removes it itself after switching.
    if let Some(o) = old.filter(|o| o != &dir) {
        if let Ok(index) = tantivy::Index::open_in_dir(&o) {
            if index
                .writer_with_num_threads::<tantivy::TantivyDocument>(1, 15_000_000)
                .is_ok()
            {
                let _ = std::fs::remove_dir_all(&o);
            }
        }
    }
    println!(
        "indexed {n} documents in {:.1} s into {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}
