//! CQL catalog, reads: artists, albums and tracks by id, keyset paging over the bucketed id
//! index, album tracks, artist albums and top tracks, genres and counts. Writes (which keep the
//! query tables in step) live in `catalog_write.rs`.

use super::{internal, Prepared, ScyllaDb};
use crate::error::StorageResult;
use crate::storage::catalog::{Album, Artist, CatalogCounts, CatalogRepo, Track};
use futures_util::{StreamExt, TryStreamExt};
use scylla::value::Counter;
use scylla::DeserializeRow;

/// Buckets of `catalog_ids` (see schema.cql); changing it needs a data migration.
pub(super) const ID_BUCKETS: u32 = 32;
/// Lookups run at once when a list of ids is resolved.
pub(super) const PARALLEL: usize = 32;

pub(super) const TRACK_COLS: &str = "id, title, album_id, artist_ids, track_number, disc_number, \
     duration_ms, genre, year, explicit, popularity, isrc, audio";
pub(super) const ALBUM_COLS: &str =
    "id, title, artist_ids, release_date, year, genre, popularity, color";
pub(super) const ARTIST_COLS: &str = "id, name, genres, popularity";

#[derive(DeserializeRow)]
pub(super) struct TrackRow {
    id: String,
    title: Option<String>,
    album_id: Option<String>,
    artist_ids: Option<Vec<String>>,
    track_number: Option<i32>,
    disc_number: Option<i32>,
    duration_ms: Option<i64>,
    genre: Option<String>,
    year: Option<i32>,
    explicit: Option<bool>,
    popularity: Option<i32>,
    isrc: Option<String>,
    audio: Option<String>,
}

impl From<TrackRow> for Track {
    fn from(r: TrackRow) -> Track {
        Track {
            id: r.id,
            title: r.title.unwrap_or_default(),
            album_id: r.album_id.unwrap_or_default(),
            artist_ids: r.artist_ids.unwrap_or_default(),
            track_number: r.track_number.unwrap_or(1).max(0) as u32,
            disc_number: r.disc_number.unwrap_or(1).max(0) as u32,
            duration_ms: r.duration_ms.unwrap_or_default(),
            genre: r.genre,
            year: r.year,
            explicit: r.explicit.unwrap_or_default(),
            popularity: r.popularity.unwrap_or_default().max(0) as u32,
            isrc: r.isrc,
            audio: r.audio,
        }
    }
}

#[derive(DeserializeRow)]
pub(super) struct AlbumRow {
    id: String,
    title: Option<String>,
    artist_ids: Option<Vec<String>>,
    release_date: Option<String>,
    year: Option<i32>,
    genre: Option<String>,
    popularity: Option<i32>,
    color: Option<String>,
}

impl From<AlbumRow> for Album {
    fn from(r: AlbumRow) -> Album {
        Album {
            id: r.id,
            title: r.title.unwrap_or_default(),
            artist_ids: r.artist_ids.unwrap_or_default(),
            release_date: r.release_date.unwrap_or_default(),
            year: r.year,
            genre: r.genre,
            popularity: r.popularity.unwrap_or_default().max(0) as u32,
            color: r.color,
        }
    }
}

#[derive(DeserializeRow)]
pub(super) struct ArtistRow {
    id: String,
    name: Option<String>,
    genres: Option<Vec<String>>,
    popularity: Option<i32>,
}

impl From<ArtistRow> for Artist {
    fn from(r: ArtistRow) -> Artist {
        Artist {
            id: r.id,
            name: r.name.unwrap_or_default(),
            genres: r.genres.unwrap_or_default(),
            popularity: r.popularity.unwrap_or_default().max(0) as u32,
        }
    }
}

/// Every catalog statement, prepared once.
pub(super) struct Stmts {
    pub track: Prepared,
    pub album: Prepared,
    pub artist: Prepared,
    pub ids_after: Prepared,
    pub album_track_ids: Prepared,
    pub artist_album_ids: Prepared,
    pub top_track_ids: Prepared,
    pub genres: Prepared,
    pub count: Prepared,
    pub insert_track: Prepared,
    pub insert_album: Prepared,
    pub insert_artist: Prepared,
    pub insert_id: Prepared,
    pub insert_album_track: Prepared,
    pub delete_album_track: Prepared,
    pub insert_artist_album: Prepared,
    pub delete_artist_album: Prepared,
    pub insert_top: Prepared,
    pub delete_top: Prepared,
    pub genre_incr: Prepared,
    pub count_incr: Prepared,
    pub set_popularity: Prepared,
}

pub struct ScyllaCatalog {
    pub(super) db: ScyllaDb,
    pub(super) q: Stmts,
}

impl ScyllaCatalog {
    pub async fn new(db: ScyllaDb) -> StorageResult<ScyllaCatalog> {
        let r = |cql: String| {
            let db = db.clone();
            async move { db.prepare(&cql, true).await }
        };
        // Counter updates are not idempotent: never retried by the driver.
        let counter = |cql: &'static str| {
            let db = db.clone();
            async move { db.prepare(cql, false).await }
        };
        let q = Stmts {
            track: r(format!("SELECT {TRACK_COLS} FROM tracks WHERE id = ?")).await?,
            album: r(format!("SELECT {ALBUM_COLS} FROM albums WHERE id = ?")).await?,
            artist: r(format!("SELECT {ARTIST_COLS} FROM artists WHERE id = ?")).await?,
            ids_after: r(
                "SELECT id FROM catalog_ids WHERE kind = ? AND bucket = ? AND id > ? \
                          LIMIT ?"
                    .into(),
            )
            .await?,
            album_track_ids: r("SELECT track_id FROM album_tracks WHERE album_id = ?".into())
                .await?,
            artist_album_ids: r("SELECT album_id FROM artist_albums WHERE artist_id = ?".into())
                .await?,
            top_track_ids: r(
                "SELECT track_id FROM artist_top_tracks WHERE artist_id = ? LIMIT ?".into(),
            )
            .await?,
            genres: r("SELECT genre, tracks FROM genre_counts WHERE scope = 'all'".into()).await?,
            count: r("SELECT n FROM entity_counts WHERE kind = ?".into()).await?,
            insert_track: r(format!(
                "INSERT INTO tracks ({TRACK_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            ))
            .await?,
            insert_album: r(format!(
                "INSERT INTO albums ({ALBUM_COLS}) VALUES (?,?,?,?,?,?,?,?)"
            ))
            .await?,
            insert_artist: r(format!(
                "INSERT INTO artists ({ARTIST_COLS}) VALUES (?,?,?,?)"
            ))
            .await?,
            insert_id: r("INSERT INTO catalog_ids (kind, bucket, id) VALUES (?, ?, ?)".into())
                .await?,
            insert_album_track: r("INSERT INTO album_tracks (album_id, disc_number, \
                                   track_number, track_id) VALUES (?, ?, ?, ?)"
                .into())
            .await?,
            delete_album_track: r("DELETE FROM album_tracks WHERE album_id = ? AND \
                                   disc_number = ? AND track_number = ? AND track_id = ?"
                .into())
            .await?,
            insert_artist_album: r("INSERT INTO artist_albums (artist_id, year, title, \
                                    album_id) VALUES (?, ?, ?, ?)"
                .into())
            .await?,
            delete_artist_album: r("DELETE FROM artist_albums WHERE artist_id = ? AND \
                                    year = ? AND title = ? AND album_id = ?"
                .into())
            .await?,
            insert_top: r(
                "INSERT INTO artist_top_tracks (artist_id, popularity, track_id) \
                           VALUES (?, ?, ?)"
                    .into(),
            )
            .await?,
            delete_top: r("DELETE FROM artist_top_tracks WHERE artist_id = ? AND \
                           popularity = ? AND track_id = ?"
                .into())
            .await?,
            genre_incr: counter(
                "UPDATE genre_counts SET tracks = tracks + ? WHERE scope = 'all' AND genre = ?",
            )
            .await?,
            count_incr: counter("UPDATE entity_counts SET n = n + ? WHERE kind = ?").await?,
            set_popularity: r("UPDATE tracks SET popularity = ? WHERE id = ?".into()).await?,
        };
        Ok(ScyllaCatalog { db, q })
    }

    /// One row by id from `stmt`, decoded as `R`.
    pub(super) async fn one<R>(&self, stmt: &Prepared, id: &str) -> StorageResult<Option<R>>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
    {
        let rows = self
            .db
            .execute(stmt, (id,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        rows.maybe_first_row::<R>().map_err(internal)
    }

    /// Rows for many ids, in the order of `ids`, skipping unknown ids.
    async fn many<R, T>(&self, stmt: &Prepared, ids: Vec<String>) -> StorageResult<Vec<T>>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm> + Into<T>,
    {
        let found: Vec<Option<R>> = futures_util::stream::iter(ids)
            .map(|id| async move { self.one::<R>(stmt, &id).await })
            .buffered(PARALLEL)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().map(Into::into).collect())
    }

    /// A single-column list of ids from a partition (bounded partitions only).
    async fn id_list(
        &self,
        stmt: &Prepared,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> StorageResult<Vec<String>> {
        let rows: Vec<(String,)> = self.db.read_all(stmt, values).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The first `n` ids of `kind` greater than `after`, in id order: the `n` smallest of every
    /// bucket, merged.
    async fn ids_after(&self, kind: &str, after: &str, n: u64) -> StorageResult<Vec<String>> {
        let limit = n.min(i32::MAX as u64) as i32;
        if limit == 0 {
            return Ok(vec![]);
        }
        let per_bucket: Vec<Vec<String>> = futures_util::stream::iter(0..ID_BUCKETS as i32)
            .map(|b| self.id_list(&self.q.ids_after, (kind, b, after, limit)))
            .buffered(PARALLEL)
            .try_collect()
            .await?;
        let mut all: Vec<String> = per_bucket.into_iter().flatten().collect();
        all.sort();
        all.truncate(limit as usize);
        Ok(all)
    }

    async fn count_of(&self, kind: &str) -> StorageResult<u64> {
        let rows = self
            .db
            .execute(&self.q.count, (kind,))
            .await?
            .into_rows_result()
            .map_err(internal)?;
        Ok(rows
            .maybe_first_row::<(Option<Counter>,)>()
            .map_err(internal)?
            .and_then(|(c,)| c)
            .map_or(0, |c| c.0.max(0) as u64))
    }
}

#[async_trait::async_trait]
impl CatalogRepo for ScyllaCatalog {
    async fn upsert_artists(&self, artists: Vec<Artist>) -> StorageResult<()> {
        self.write_artists(artists).await
    }

    async fn upsert_albums(&self, albums: Vec<Album>) -> StorageResult<()> {
        self.write_albums(albums).await
    }

    async fn upsert_tracks(&self, tracks: Vec<Track>) -> StorageResult<()> {
        self.write_tracks(tracks).await
    }

    async fn track(&self, id: &str) -> StorageResult<Option<Track>> {
        Ok(self
            .one::<TrackRow>(&self.q.track, id)
            .await?
            .map(Into::into))
    }

    async fn tracks(&self, ids: Vec<String>) -> StorageResult<Vec<Track>> {
        self.many::<TrackRow, Track>(&self.q.track, ids).await
    }

    async fn list_tracks(&self, limit: u32, offset: u64) -> StorageResult<(Vec<Track>, u64)> {
        let total = self.count_of("tracks").await?;
        let ids = self
            .ids_after("track", "", offset.saturating_add(limit as u64))
            .await?;
        let page: Vec<String> = ids.into_iter().skip(offset as usize).collect();
        Ok((self.tracks(page).await?, total))
    }

    async fn tracks_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Track>> {
        let ids = self.ids_after("track", after, limit as u64).await?;
        self.tracks(ids).await
    }

    async fn album(&self, id: &str) -> StorageResult<Option<Album>> {
        Ok(self
            .one::<AlbumRow>(&self.q.album, id)
            .await?
            .map(Into::into))
    }

    async fn albums(&self, ids: Vec<String>) -> StorageResult<Vec<Album>> {
        self.many::<AlbumRow, Album>(&self.q.album, ids).await
    }

    async fn albums_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Album>> {
        let ids = self.ids_after("album", after, limit as u64).await?;
        self.albums(ids).await
    }

    async fn album_tracks(&self, album_id: &str) -> StorageResult<Vec<Track>> {
        let ids = self.id_list(&self.q.album_track_ids, (album_id,)).await?;
        self.tracks(ids).await
    }

    async fn artist(&self, id: &str) -> StorageResult<Option<Artist>> {
        Ok(self
            .one::<ArtistRow>(&self.q.artist, id)
            .await?
            .map(Into::into))
    }

    async fn artists(&self, ids: Vec<String>) -> StorageResult<Vec<Artist>> {
        self.many::<ArtistRow, Artist>(&self.q.artist, ids).await
    }

    async fn artists_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Artist>> {
        let ids = self.ids_after("artist", after, limit as u64).await?;
        self.artists(ids).await
    }

    async fn artist_albums(&self, artist_id: &str) -> StorageResult<Vec<Album>> {
        let ids = self.id_list(&self.q.artist_album_ids, (artist_id,)).await?;
        self.albums(ids).await
    }

    async fn artist_top_tracks(&self, artist_id: &str, limit: u32) -> StorageResult<Vec<Track>> {
        let limit = limit.min(i32::MAX as u32) as i32;
        let ids = self
            .id_list(&self.q.top_track_ids, (artist_id, limit))
            .await?;
        self.tracks(ids).await
    }

    async fn genres(&self) -> StorageResult<Vec<(String, u64)>> {
        let rows: Vec<(String, Option<Counter>)> = self.db.read_all(&self.q.genres, ()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(genre, n)| {
                let n = n.map_or(0, |c| c.0);
                (n > 0).then_some((genre, n as u64))
            })
            .collect())
    }

    async fn counts(&self) -> StorageResult<CatalogCounts> {
        Ok(CatalogCounts {
            artists: self.count_of("artists").await?,
            albums: self.count_of("albums").await?,
            tracks: self.count_of("tracks").await?,
        })
    }

    async fn set_track_popularity(&self, updates: Vec<(String, u32)>) -> StorageResult<()> {
        self.write_popularity(updates).await
    }
}
