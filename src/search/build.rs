//! Building search documents from catalog records, and bulk (re)building a whole index
//! generation from storage into a fresh directory while the live one keeps answering.

use super::index::{open_index, open_reader};
use super::ranked_bulk::RankedBulk;
use super::schema::{AlbumDoc, ArtistDoc, Fields, Kind, Named, SearchDoc, TrackDoc};
use crate::storage::{Album, Artist, CatalogRepo, Track};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use tantivy::collector::DocSetCollector;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

const PAGE: u32 = 2000;

/// Unix ms at midnight UTC of an ISO date `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
pub fn release_ms(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next().map_or(Some(1), |s| s.parse().ok())?;
    let d: i64 = parts
        .next()
        .map_or(Some(1), |s| s.get(..2).unwrap_or(s).parse().ok())?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

fn year_of(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

pub fn artist_doc(a: &Artist) -> SearchDoc {
    SearchDoc::Artist(ArtistDoc {
        id: a.id.clone(),
        name: a.name.clone(),
        genres: a.genres.clone(),
        popularity: a.popularity,
    })
}

fn named(ids: &[String], names: &HashMap<String, String>) -> Vec<Named> {
    ids.iter()
        .map(|id| Named {
            id: id.clone(),
            name: names.get(id).cloned().unwrap_or_default(),
        })
        .collect()
}

pub fn album_doc(a: &Album, artist_names: &HashMap<String, String>) -> SearchDoc {
    SearchDoc::Album(AlbumDoc {
        id: a.id.clone(),
        name: a.title.clone(),
        artists: named(&a.artist_ids, artist_names),
        release_date: a.release_date.clone(),
        year: a.year.or_else(|| year_of(&a.release_date)),
        genre: a.genre.clone(),
        popularity: a.popularity,
        release_ms: release_ms(&a.release_date),
    })
}

/// What a track document needs from its album.
#[derive(Clone, Debug, Default)]
pub struct AlbumInfo {
    pub title: String,
    pub year: Option<i32>,
    pub release_ms: Option<i64>,
}

impl AlbumInfo {
    pub fn of(a: &Album) -> AlbumInfo {
        AlbumInfo {
            title: a.title.clone(),
            year: a.year.or_else(|| year_of(&a.release_date)),
            release_ms: release_ms(&a.release_date),
        }
    }
}

pub fn track_doc(
    t: &Track,
    artist_names: &HashMap<String, String>,
    albums: &HashMap<String, AlbumInfo>,
) -> SearchDoc {
    let album = albums.get(&t.album_id).cloned().unwrap_or_default();
    SearchDoc::Track(TrackDoc {
        id: t.id.clone(),
        name: t.title.clone(),
        artists: named(&t.artist_ids, artist_names),
        album: Named {
            id: t.album_id.clone(),
            name: album.title,
        },
        duration_ms: t.duration_ms,
        explicit: t.explicit,
        popularity: t.popularity,
        genre: t.genre.clone(),
        year: t.year.or(album.year),
        isrc: t.isrc.clone(),
        release_ms: album.release_ms,
    })
}

/// The bulk writer: every core indexes, one merge thread.
pub fn bulk_writer(index: &Index, heap: usize) -> tantivy::Result<IndexWriter> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let options = IndexWriterOptions::builder()
        .num_worker_threads(threads)
        .num_merge_threads(1)
        .memory_budget_per_thread((heap / threads).max(15_000_000))
        .build();
    index.writer_with_options(options)
}

/// Commits, then merges everything into one segment: a search visits every segment's term
/// dictionary (fuzzy automata included), so one segment answers fastest.
pub fn finish_bulk(mut writer: IndexWriter) -> anyhow::Result<()> {
    writer.commit()?;
    let ids = writer.index().searchable_segment_ids()?;
    if ids.len() > 1 {
        writer.merge(&ids).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(())
}

/// Every playlist document of an index (playlists are not in the catalog; a rebuild copies them).
pub fn playlist_docs(index: &Index, fields: &Fields) -> anyhow::Result<Vec<SearchDoc>> {
    let reader = open_reader(index)?;
    let searcher = reader.searcher();
    let q = TermQuery::new(
        Term::from_field_text(fields.kind, Kind::Playlist.as_str()),
        IndexRecordOption::Basic,
    );
    let mut out = Vec::new();
    for addr in searcher.search(&q, &DocSetCollector)? {
        let doc: TantivyDocument = searcher.doc(addr)?;
        if let Some(json) = doc.get_first(fields.payload).and_then(|v| v.as_str()) {
            if let Ok(d) = serde_json::from_str::<SearchDoc>(json) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Progress callback: (documents indexed, documents expected).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Builds a complete index in `dir` (which must not hold one) from the catalog, plus `extra`
/// documents. Returns the number of documents. Runs on the caller's thread; storage reads are
/// awaited on `rt`.
#[allow(clippy::too_many_arguments)] // one call site each in rebuild and `segue reindex`
pub fn build_from_catalog(
    rt: &tokio::runtime::Runtime,
    catalog: &dyn CatalogRepo,
    fields: &Fields,
    dir: &Path,
    heap: usize,
    extra: Vec<SearchDoc>,
    cancel: &AtomicBool,
    progress: Progress,
) -> anyhow::Result<u64> {
    let counts = rt.block_on(catalog.counts())?;
    let docs = counts.artists + counts.albums + counts.tracks + extra.len() as u64;
    // Progress: documents read from storage (and spilled in rank order), then indexed.
    let total = docs * 2;
    let index = open_index(dir, fields)?;
    let mut bulk = RankedBulk::new(&spill_dir(dir))?;
    let mut done = 0u64;
    let cancelled = || {
        if cancel.load(Ordering::Acquire) {
            Err(anyhow::anyhow!("search index build cancelled"))
        } else {
            Ok(())
        }
    };
    let mut artist_names = HashMap::new();
    let mut after = String::new();
    loop {
        cancelled()?;
        let page = rt.block_on(catalog.artists_after(&after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for a in &page {
            bulk.push(&artist_doc(a))?;
            artist_names.insert(a.id.clone(), a.name.clone());
        }
        done += page.len() as u64;
        progress(done, total);
    }
    let mut albums = HashMap::new();
    after.clear();
    loop {
        cancelled()?;
        let page = rt.block_on(catalog.albums_after(&after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for a in &page {
            bulk.push(&album_doc(a, &artist_names))?;
            albums.insert(a.id.clone(), AlbumInfo::of(a));
        }
        done += page.len() as u64;
        progress(done, total);
    }
    after.clear();
    loop {
        cancelled()?;
        let page = rt.block_on(catalog.tracks_after(&after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for t in &page {
            bulk.push(&track_doc(t, &artist_names, &albums))?;
        }
        done += page.len() as u64;
        progress(done, total);
    }
    for d in &extra {
        bulk.push(d)?;
    }
    done += extra.len() as u64;
    progress(done, total);
    cancelled()?;
    let writer = bulk_writer(&index, heap)?;
    let indexed = bulk.index_into(&writer, fields)?;
    progress(done + indexed, total);
    finish_bulk(writer)?;
    Ok(indexed)
}

/// Where a bulk build of generation `dir` spills its documents (removed when done, or at the
/// next start after a crash).
pub fn spill_dir(dir: &Path) -> std::path::PathBuf {
    dir.with_extension("spill")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_dates_become_utc_midnight() {
        assert_eq!(release_ms("1970-01-01"), Some(0));
        assert_eq!(release_ms("2000-03-01"), Some(951_868_800_000));
        assert_eq!(release_ms("1991"), Some(662_688_000_000));
        assert_eq!(release_ms("1991-13-01"), None);
        assert_eq!(release_ms(""), None);
    }
}
