//! CQL catalog, writes: upserts by id that keep the query tables (id index, album tracks,
//! artist albums, top tracks, genre and entity counts) in step. Each entity is read first so
//! that rows keyed by a value that changed (album, track number, popularity, year) are moved,
//! and counters only count entities that are new. Catalog writes come from one importer at a
//! time; two importers writing the same id concurrently could double-count it.

use super::catalog::{AlbumRow, ArtistRow, ScyllaCatalog, TrackRow, ID_BUCKETS, PARALLEL};
use super::{bucket_of, Prepared};
use crate::error::StorageResult;
use crate::storage::catalog::{Album, Artist, Track};
use futures_util::{StreamExt, TryStreamExt};
use scylla::serialize::row::SerializeRow;
use scylla::value::Counter;

impl ScyllaCatalog {
    async fn run(&self, stmt: &Prepared, values: impl SerializeRow) -> StorageResult<()> {
        self.db.execute(stmt, values).await?;
        Ok(())
    }

    async fn index_id(&self, kind: &str, id: &str) -> StorageResult<()> {
        self.run(&self.q.insert_id, (kind, bucket_of(id, ID_BUCKETS), id))
            .await
    }

    async fn add_count(&self, kind: &str, n: i64) -> StorageResult<()> {
        if n != 0 {
            self.run(&self.q.count_incr, (Counter(n), kind)).await?;
        }
        Ok(())
    }

    async fn add_genre(&self, genre: &Option<String>, n: i64) -> StorageResult<()> {
        match genre {
            Some(g) if !g.is_empty() => self.run(&self.q.genre_incr, (Counter(n), g)).await,
            _ => Ok(()),
        }
    }

    pub(super) async fn write_artists(&self, artists: Vec<Artist>) -> StorageResult<()> {
        let new: Vec<bool> = futures_util::stream::iter(artists)
            .map(|a| async move {
                let old = self.one::<ArtistRow>(&self.q.artist, &a.id).await?;
                self.run(
                    &self.q.insert_artist,
                    (&a.id, &a.name, &a.genres, a.popularity as i32),
                )
                .await?;
                self.index_id("artist", &a.id).await?;
                Ok::<_, crate::error::StorageError>(old.is_none())
            })
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await?;
        self.add_count("artists", new.iter().filter(|n| **n).count() as i64)
            .await
    }

    pub(super) async fn write_albums(&self, albums: Vec<Album>) -> StorageResult<()> {
        let new: Vec<bool> = futures_util::stream::iter(albums)
            .map(|a| async move {
                let old: Option<Album> = self
                    .one::<AlbumRow>(&self.q.album, &a.id)
                    .await?
                    .map(Into::into);
                self.run(
                    &self.q.insert_album,
                    (
                        &a.id,
                        &a.title,
                        &a.artist_ids,
                        &a.release_date,
                        a.year,
                        &a.genre,
                        a.popularity as i32,
                        &a.color,
                    ),
                )
                .await?;
                if let Some(old) = &old {
                    let moved = old.year != a.year || old.title != a.title;
                    for artist in &old.artist_ids {
                        if !moved && a.artist_ids.contains(artist) {
                            continue; // same row is written again below
                        }
                        self.run(
                            &self.q.delete_artist_album,
                            (artist, old.year.unwrap_or(0), &old.title, &old.id),
                        )
                        .await?;
                    }
                }
                for artist in &a.artist_ids {
                    self.run(
                        &self.q.insert_artist_album,
                        (artist, a.year.unwrap_or(0), &a.title, &a.id),
                    )
                    .await?;
                }
                self.index_id("album", &a.id).await?;
                Ok::<_, crate::error::StorageError>(old.is_none())
            })
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await?;
        self.add_count("albums", new.iter().filter(|n| **n).count() as i64)
            .await
    }

    pub(super) async fn write_tracks(&self, tracks: Vec<Track>) -> StorageResult<()> {
        let new: Vec<bool> = futures_util::stream::iter(tracks)
            .map(|t| async move {
                let old: Option<Track> = self
                    .one::<TrackRow>(&self.q.track, &t.id)
                    .await?
                    .map(Into::into);
                self.run(
                    &self.q.insert_track,
                    (
                        &t.id,
                        &t.title,
                        &t.album_id,
                        &t.artist_ids,
                        t.track_number as i32,
                        t.disc_number as i32,
                        t.duration_ms,
                        &t.genre,
                        t.year,
                        t.explicit,
                        t.popularity as i32,
                        &t.isrc,
                        &t.audio,
                    ),
                )
                .await?;
                if let Some(old) = &old {
                    self.unlink_track(old, &t).await?;
                    if old.genre != t.genre {
                        self.add_genre(&old.genre, -1).await?;
                        self.add_genre(&t.genre, 1).await?;
                    }
                } else {
                    self.add_genre(&t.genre, 1).await?;
                }
                self.link_track(&t).await?;
                self.index_id("track", &t.id).await?;
                Ok::<_, crate::error::StorageError>(old.is_none())
            })
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await?;
        self.add_count("tracks", new.iter().filter(|n| **n).count() as i64)
            .await
    }

    /// Removes the rows keyed by the track's old album position and popularity that the new
    /// version does not write again.
    async fn unlink_track(&self, old: &Track, new: &Track) -> StorageResult<()> {
        if (&old.album_id, old.disc_number, old.track_number)
            != (&new.album_id, new.disc_number, new.track_number)
        {
            self.run(
                &self.q.delete_album_track,
                (
                    &old.album_id,
                    old.disc_number as i32,
                    old.track_number as i32,
                    &old.id,
                ),
            )
            .await?;
        }
        for artist in &old.artist_ids {
            if old.popularity == new.popularity && new.artist_ids.contains(artist) {
                continue;
            }
            self.run(&self.q.delete_top, (artist, old.popularity as i32, &old.id))
                .await?;
        }
        Ok(())
    }

    async fn link_track(&self, t: &Track) -> StorageResult<()> {
        self.run(
            &self.q.insert_album_track,
            (
                &t.album_id,
                t.disc_number as i32,
                t.track_number as i32,
                &t.id,
            ),
        )
        .await?;
        for artist in &t.artist_ids {
            self.run(&self.q.insert_top, (artist, t.popularity as i32, &t.id))
                .await?;
        }
        Ok(())
    }

    pub(super) async fn write_popularity(&self, updates: Vec<(String, u32)>) -> StorageResult<()> {
        futures_util::stream::iter(updates)
            .map(|(id, popularity)| async move {
                let Some(old) = self
                    .one::<TrackRow>(&self.q.track, &id)
                    .await?
                    .map(Track::from)
                else {
                    return Ok(());
                };
                if old.popularity == popularity {
                    return Ok(());
                }
                self.run(&self.q.set_popularity, (popularity as i32, &id))
                    .await?;
                for artist in &old.artist_ids {
                    self.run(&self.q.delete_top, (artist, old.popularity as i32, &id))
                        .await?;
                    self.run(&self.q.insert_top, (artist, popularity as i32, &id))
                        .await?;
                }
                Ok::<_, crate::error::StorageError>(())
            })
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }
}
