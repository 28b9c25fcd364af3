//! `segue import FILE`: streams a JSON Lines catalog (docs/catalog.md) into storage, upserting in
//! batches so that files of millions of lines never sit in memory and importing again updates.

use super::CatalogItem;
use crate::config::Config;
use crate::error::StorageError;
use crate::storage::{Album, Artist, Storage, Track};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, Read};
use std::path::PathBuf;

/// Lines per batch; each batch is parsed completely before any of it is written, so a
/// malformed line never leaves half a batch behind.
pub const BATCH_LINES: usize = 1000;
/// Longest accepted line (a guard against a file that is not JSON Lines at all).
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// What an import wrote (upserts, so importing the same file twice counts twice).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportStats {
    /// Lines read, including blank ones.
    pub lines: u64,
    pub artists: u64,
    pub albums: u64,
    pub tracks: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A malformed line; the batches before it are stored, nothing from its batch on is.
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    #[error("cannot read line {line}: {source}")]
    Io { line: u64, source: std::io::Error },
    #[error("storage failed: {0}")]
    Storage(#[from] StorageError),
    #[error("import task failed: {0}")]
    Task(String),
}

#[derive(Default)]
struct Batch {
    artists: Vec<Artist>,
    albums: Vec<Album>,
    tracks: Vec<Track>,
    lines: u64,
    bytes: u64,
}

/// Imports every line of `reader`. `progress`, when given, advances by bytes read.
pub async fn import_reader<R: BufRead + Send + 'static>(
    storage: &Storage,
    reader: R,
    progress: Option<ProgressBar>,
) -> Result<ImportStats, ImportError> {
    import_reader_with(storage, reader, progress, |_| {}).await
}

/// Like `import_reader`, passing every parsed item through `map` before it is stored (the demo
/// loader uses it to attach audio).
pub async fn import_reader_with<R, F>(
    storage: &Storage,
    reader: R,
    progress: Option<ProgressBar>,
    map: F,
) -> Result<ImportStats, ImportError>
where
    R: BufRead + Send + 'static,
    F: FnMut(&mut CatalogItem) + Send + 'static,
{
    // Parsing runs on a blocking thread (file reads, JSON) and hands finished batches over a
    // small bounded channel, so reading the next batch overlaps writing this one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, ImportError>>(2);
    let parser = tokio::task::spawn_blocking(move || parse_batches(reader, map, tx));
    let mut stats = ImportStats::default();
    let result = async {
        while let Some(batch) = rx.recv().await {
            let batch = batch?;
            stats.lines += batch.lines;
            stats.artists += batch.artists.len() as u64;
            stats.albums += batch.albums.len() as u64;
            stats.tracks += batch.tracks.len() as u64;
            if !batch.artists.is_empty() {
                storage.catalog.upsert_artists(batch.artists).await?;
            }
            if !batch.albums.is_empty() {
                storage.catalog.upsert_albums(batch.albums).await?;
            }
            if !batch.tracks.is_empty() {
                storage.catalog.upsert_tracks(batch.tracks).await?;
            }
            if let Some(p) = &progress {
                p.inc(batch.bytes);
            }
        }
        Ok(())
    }
    .await;
    // Dropping the receiver stops the parser if we bailed out early.
    drop(rx);
    parser.await.map_err(|e| ImportError::Task(e.to_string()))?;
    result.map(|()| stats)
}

fn parse_batches<R: BufRead, F: FnMut(&mut CatalogItem)>(
    mut reader: R,
    mut map: F,
    tx: tokio::sync::mpsc::Sender<Result<Batch, ImportError>>,
) {
    let mut batch = Batch::default();
    let mut line_no = 0u64;
    let mut buf = String::new();
    loop {
        buf.clear();
        let n = match reader.by_ref().take(MAX_LINE_BYTES + 1).read_line(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let err = if e.kind() == std::io::ErrorKind::InvalidData {
                    ImportError::Line {
                        line: line_no + 1,
                        message: "not valid UTF-8".into(),
                    }
                } else {
                    ImportError::Io {
                        line: line_no + 1,
                        source: e,
                    }
                };
                let _ = tx.blocking_send(Err(err));
                return;
            }
        };
        if n == 0 {
            break;
        }
        line_no += 1;
        if n as u64 > MAX_LINE_BYTES && !buf.ends_with('\n') {
            let _ = tx.blocking_send(Err(ImportError::Line {
                line: line_no,
                message: format!("longer than {MAX_LINE_BYTES} bytes"),
            }));
            return;
        }
        batch.lines += 1;
        batch.bytes += n as u64;
        let text = buf.trim();
        if !text.is_empty() {
            match parse_line(text) {
                Ok(mut item) => {
                    map(&mut item);
                    match item {
                        CatalogItem::Artist(a) => batch.artists.push(a),
                        CatalogItem::Album(a) => batch.albums.push(a),
                        CatalogItem::Track(t) => batch.tracks.push(t),
                    }
                }
                Err(message) => {
                    let _ = tx.blocking_send(Err(ImportError::Line {
                        line: line_no,
                        message,
                    }));
                    return;
                }
            }
        }
        if batch.lines as usize >= BATCH_LINES
            && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err()
        {
            return;
        }
    }
    if batch.lines > 0 {
        let _ = tx.blocking_send(Ok(batch));
    }
}

/// One line to an item, with a message fit to show after "line N: ".
pub fn parse_line(text: &str) -> Result<CatalogItem, String> {
    let item: CatalogItem = serde_json::from_str(text).map_err(|e| {
        let mut msg = e.to_string();
        // serde_json appends "at line 1 column C"; the line number is ours to give.
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        format!("{msg} (column {})", e.column())
    })?;
    item.validate()
        .map_err(|m| format!("{} {:?}: {m}", kind_name(&item), item.id()))?;
    Ok(item)
}

fn kind_name(item: &CatalogItem) -> &'static str {
    match item {
        CatalogItem::Artist(_) => "artist",
        CatalogItem::Album(_) => "album",
        CatalogItem::Track(_) => "track",
    }
}

/// `segue import FILE`.
pub async fn run_cli(config: Config, file: PathBuf) -> anyhow::Result<()> {
    let f = std::fs::File::open(&file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let storage = crate::storage::open(&config).await?;
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style);
    }
    let reader = std::io::BufReader::with_capacity(1 << 20, f);
    let started = std::time::Instant::now();
    let result = import_reader(&storage, reader, Some(bar.clone())).await;
    bar.finish_and_clear();
    let stats = result.map_err(|e| anyhow::anyhow!("import of {} stopped: {e}", file.display()))?;
    eprintln!(
        "imported {} artists, {} albums, {} tracks ({} lines) from {} in {:.1}s",
        stats.artists,
        stats.albums,
        stats.tracks,
        stats.lines,
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_line_errors_are_specific() {
        let e = parse_line(r#"{"kind":"song","id":"x"}"#).unwrap_err();
        assert!(e.contains("unknown variant `song`"), "{e}");
        let e = parse_line(r#"{"kind":"track","id":"t1","title":"x"}"#).unwrap_err();
        assert!(e.contains("missing field"), "{e}");
        assert!(!e.contains("at line"), "{e}");
        let e =
            parse_line(r#"{"kind":"artist","id":"a1","name":"A","popularity":101}"#).unwrap_err();
        assert!(e.contains("popularity") && e.contains("\"a1\""), "{e}");
        let e = parse_line(r#"{"kind":"artist","id":"","name":"A"}"#).unwrap_err();
        assert!(e.contains("`id`"), "{e}");
        let e = parse_line("{not json").unwrap_err();
        assert!(e.contains("column"), "{e}");
    }

    #[test]
    fn parse_line_accepts_minimal_items() {
        let t = parse_line(
            r#"{"kind":"track","id":"t1","title":"T","album_id":"al1","artist_ids":["a1"],"duration_ms":1000}"#,
        )
        .unwrap();
        match t {
            CatalogItem::Track(t) => {
                assert_eq!((t.track_number, t.disc_number, t.popularity), (1, 1, 0));
                assert_eq!(t.audio, None);
            }
            other => panic!("{other:?}"),
        }
    }
}
