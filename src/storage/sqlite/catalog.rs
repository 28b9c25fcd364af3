//! SQLite catalog: artists, albums, tracks and their many-to-many artist links.

use super::{from_json, optional, to_json, SqliteDb};
use crate::error::StorageResult;
use crate::storage::catalog::{Album, Artist, CatalogCounts, CatalogRepo, Track};
use rusqlite::{params, Connection, Row};

pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE artists (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        genres TEXT NOT NULL,
        popularity INTEGER NOT NULL
    );
    CREATE TABLE albums (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        artist_ids TEXT NOT NULL,
        release_date TEXT NOT NULL,
        year INTEGER,
        genre TEXT,
        popularity INTEGER NOT NULL,
        color TEXT
    );
    CREATE TABLE album_artists (
        artist_id TEXT NOT NULL, album_id TEXT NOT NULL,
        PRIMARY KEY (artist_id, album_id)
    );
    CREATE TABLE tracks (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        album_id TEXT NOT NULL,
        artist_ids TEXT NOT NULL,
        track_number INTEGER NOT NULL,
        disc_number INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        genre TEXT,
        year INTEGER,
        explicit INTEGER NOT NULL,
        popularity INTEGER NOT NULL,
        isrc TEXT,
        audio TEXT
    );
    CREATE INDEX tracks_by_album ON tracks (album_id, disc_number, track_number);
    CREATE INDEX tracks_by_genre ON tracks (genre);
    CREATE TABLE track_artists (
        artist_id TEXT NOT NULL, track_id TEXT NOT NULL, popularity INTEGER NOT NULL,
        PRIMARY KEY (artist_id, track_id)
    );
    CREATE INDEX track_artists_by_popularity ON track_artists (artist_id, popularity DESC)",
    // Upserts replace a track's (an album's) artist links by track (album) id: without these
    // indexes every upsert scans the whole link table, and large imports go quadratic.
    "CREATE INDEX track_artists_by_track ON track_artists (track_id);
    CREATE INDEX album_artists_by_album ON album_artists (album_id)",
];

pub struct SqliteCatalog(pub SqliteDb);

const TRACK_COLS: &str =
    "id, title, album_id, artist_ids, track_number, disc_number, duration_ms, \
                          genre, year, explicit, popularity, isrc, audio";
const ALBUM_COLS: &str = "id, title, artist_ids, release_date, year, genre, popularity, color";
const ARTIST_COLS: &str = "id, name, genres, popularity";

fn row_track(r: &Row) -> rusqlite::Result<(Track, String)> {
    Ok((
        Track {
            id: r.get(0)?,
            title: r.get(1)?,
            album_id: r.get(2)?,
            artist_ids: vec![],
            track_number: r.get(4)?,
            disc_number: r.get(5)?,
            duration_ms: r.get(6)?,
            genre: r.get(7)?,
            year: r.get(8)?,
            explicit: r.get::<_, i64>(9)? != 0,
            popularity: r.get(10)?,
            isrc: r.get(11)?,
            audio: r.get(12)?,
        },
        r.get::<_, String>(3)?,
    ))
}

fn finish_track((mut t, artists): (Track, String)) -> StorageResult<Track> {
    t.artist_ids = from_json(&artists)?;
    Ok(t)
}

fn row_album(r: &Row) -> rusqlite::Result<(Album, String)> {
    Ok((
        Album {
            id: r.get(0)?,
            title: r.get(1)?,
            artist_ids: vec![],
            release_date: r.get(3)?,
            year: r.get(4)?,
            genre: r.get(5)?,
            popularity: r.get(6)?,
            color: r.get(7)?,
        },
        r.get::<_, String>(2)?,
    ))
}

fn finish_album((mut a, artists): (Album, String)) -> StorageResult<Album> {
    a.artist_ids = from_json(&artists)?;
    Ok(a)
}

fn row_artist(r: &Row) -> rusqlite::Result<(Artist, String)> {
    Ok((
        Artist {
            id: r.get(0)?,
            name: r.get(1)?,
            genres: vec![],
            popularity: r.get(3)?,
        },
        r.get::<_, String>(2)?,
    ))
}

fn finish_artist((mut a, genres): (Artist, String)) -> StorageResult<Artist> {
    a.genres = from_json(&genres)?;
    Ok(a)
}

fn query_tracks(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StorageResult<Vec<Track>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt
        .query_map(p, row_track)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_track).collect()
}

fn query_albums(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StorageResult<Vec<Album>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt
        .query_map(p, row_album)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_album).collect()
}

fn query_artists(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> StorageResult<Vec<Artist>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt
        .query_map(p, row_artist)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_artist).collect()
}

#[async_trait::async_trait]
impl CatalogRepo for SqliteCatalog {
    async fn upsert_artists(&self, artists: Vec<Artist>) -> StorageResult<()> {
        self.0
            .write(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO artists ({ARTIST_COLS}) VALUES (?1, ?2, ?3, ?4)"
                ))?;
                for a in &artists {
                    stmt.execute(params![a.id, a.name, to_json(&a.genres)?, a.popularity])?;
                }
                Ok(())
            })
            .await
    }

    async fn upsert_albums(&self, albums: Vec<Album>) -> StorageResult<()> {
        self.0
            .write(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO albums ({ALBUM_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
                ))?;
                let mut unlink =
                    c.prepare_cached("DELETE FROM album_artists WHERE album_id = ?1")?;
                let mut link = c.prepare_cached(
                    "INSERT OR IGNORE INTO album_artists (artist_id, album_id) VALUES (?1, ?2)",
                )?;
                for a in &albums {
                    stmt.execute(params![
                        a.id,
                        a.title,
                        to_json(&a.artist_ids)?,
                        a.release_date,
                        a.year,
                        a.genre,
                        a.popularity,
                        a.color
                    ])?;
                    unlink.execute([&a.id])?;
                    for artist in &a.artist_ids {
                        link.execute(params![artist, a.id])?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn upsert_tracks(&self, tracks: Vec<Track>) -> StorageResult<()> {
        self.0
            .write(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO tracks ({TRACK_COLS})
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
                ))?;
                let mut unlink =
                    c.prepare_cached("DELETE FROM track_artists WHERE track_id = ?1")?;
                let mut link = c.prepare_cached(
                    "INSERT OR IGNORE INTO track_artists (artist_id, track_id, popularity)
                     VALUES (?1, ?2, ?3)",
                )?;
                for t in &tracks {
                    stmt.execute(params![
                        t.id,
                        t.title,
                        t.album_id,
                        to_json(&t.artist_ids)?,
                        t.track_number,
                        t.disc_number,
                        t.duration_ms,
                        t.genre,
                        t.year,
                        t.explicit as i64,
                        t.popularity,
                        t.isrc,
                        t.audio
                    ])?;
                    unlink.execute([&t.id])?;
                    for artist in &t.artist_ids {
                        link.execute(params![artist, t.id, t.popularity])?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn track(&self, id: &str) -> StorageResult<Option<Track>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                let row = optional(c.query_row(
                    &format!("SELECT {TRACK_COLS} FROM tracks WHERE id = ?1"),
                    [id],
                    row_track,
                ))?;
                row.map(finish_track).transpose()
            })
            .await
    }

    async fn tracks(&self, ids: Vec<String>) -> StorageResult<Vec<Track>> {
        self.0
            .read(move |c| {
                let mut stmt =
                    c.prepare_cached(&format!("SELECT {TRACK_COLS} FROM tracks WHERE id = ?1"))?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(row) = optional(stmt.query_row([id], row_track))? {
                        out.push(finish_track(row)?);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn list_tracks(&self, limit: u32, offset: u64) -> StorageResult<(Vec<Track>, u64)> {
        self.0
            .read(move |c| {
                let total: i64 = c.query_row("SELECT COUNT(*) FROM tracks", [], |r| r.get(0))?;
                let page = query_tracks(
                    c,
                    &format!("SELECT {TRACK_COLS} FROM tracks ORDER BY id LIMIT ?1 OFFSET ?2"),
                    params![limit, offset as i64],
                )?;
                Ok((page, total as u64))
            })
            .await
    }

    async fn tracks_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Track>> {
        let after = after.to_string();
        self.0
            .read(move |c| {
                query_tracks(
                    c,
                    &format!("SELECT {TRACK_COLS} FROM tracks WHERE id > ?1 ORDER BY id LIMIT ?2"),
                    params![after, limit],
                )
            })
            .await
    }

    async fn album(&self, id: &str) -> StorageResult<Option<Album>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                let row = optional(c.query_row(
                    &format!("SELECT {ALBUM_COLS} FROM albums WHERE id = ?1"),
                    [id],
                    row_album,
                ))?;
                row.map(finish_album).transpose()
            })
            .await
    }

    async fn albums(&self, ids: Vec<String>) -> StorageResult<Vec<Album>> {
        self.0
            .read(move |c| {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.extend(query_albums(
                        c,
                        &format!("SELECT {ALBUM_COLS} FROM albums WHERE id = ?1"),
                        [id],
                    )?);
                }
                Ok(out)
            })
            .await
    }

    async fn albums_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Album>> {
        let after = after.to_string();
        self.0
            .read(move |c| {
                query_albums(
                    c,
                    &format!("SELECT {ALBUM_COLS} FROM albums WHERE id > ?1 ORDER BY id LIMIT ?2"),
                    params![after, limit],
                )
            })
            .await
    }

    async fn album_tracks(&self, album_id: &str) -> StorageResult<Vec<Track>> {
        let id = album_id.to_string();
        self.0
            .read(move |c| {
                query_tracks(
                    c,
                    &format!(
                        "SELECT {TRACK_COLS} FROM tracks WHERE album_id = ?1
                         ORDER BY disc_number, track_number, id"
                    ),
                    [id],
                )
            })
            .await
    }

    async fn artist(&self, id: &str) -> StorageResult<Option<Artist>> {
        let id = id.to_string();
        self.0
            .read(move |c| {
                let row = optional(c.query_row(
                    &format!("SELECT {ARTIST_COLS} FROM artists WHERE id = ?1"),
                    [id],
                    row_artist,
                ))?;
                row.map(finish_artist).transpose()
            })
            .await
    }

    async fn artists(&self, ids: Vec<String>) -> StorageResult<Vec<Artist>> {
        self.0
            .read(move |c| {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.extend(query_artists(
                        c,
                        &format!("SELECT {ARTIST_COLS} FROM artists WHERE id = ?1"),
                        [id],
                    )?);
                }
                Ok(out)
            })
            .await
    }

    async fn artists_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Artist>> {
        let after = after.to_string();
        self.0
            .read(move |c| {
                query_artists(
                    c,
                    &format!(
                        "SELECT {ARTIST_COLS} FROM artists WHERE id > ?1 ORDER BY id LIMIT ?2"
                    ),
                    params![after, limit],
                )
            })
            .await
    }

    async fn artist_albums(&self, artist_id: &str) -> StorageResult<Vec<Album>> {
        let id = artist_id.to_string();
        self.0
            .read(move |c| {
                query_albums(
                    c,
                    &format!(
                        "SELECT {} FROM albums a JOIN album_artists l ON l.album_id = a.id
                         WHERE l.artist_id = ?1 ORDER BY a.year DESC, a.title",
                        ALBUM_COLS
                            .split(", ")
                            .map(|c| format!("a.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    [id],
                )
            })
            .await
    }

    async fn artist_top_tracks(&self, artist_id: &str, limit: u32) -> StorageResult<Vec<Track>> {
        let id = artist_id.to_string();
        self.0
            .read(move |c| {
                query_tracks(
                    c,
                    &format!(
                        "SELECT {} FROM track_artists l JOIN tracks t ON t.id = l.track_id
                         WHERE l.artist_id = ?1 ORDER BY l.popularity DESC, t.id LIMIT ?2",
                        TRACK_COLS
                            .split(", ")
                            .map(|c| format!("t.{}", c.trim()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    params![id, limit],
                )
            })
            .await
    }

    async fn genres(&self) -> StorageResult<Vec<(String, u64)>> {
        self.0
            .read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT genre, COUNT(*) FROM tracks WHERE genre IS NOT NULL
                     GROUP BY genre ORDER BY genre",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn counts(&self) -> StorageResult<CatalogCounts> {
        self.0
            .read(|c| {
                let n = |t: &str| -> rusqlite::Result<u64> {
                    c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map(|v| v as u64)
                };
                Ok(CatalogCounts {
                    artists: n("artists")?,
                    albums: n("albums")?,
                    tracks: n("tracks")?,
                })
            })
            .await
    }

    async fn set_track_popularity(&self, updates: Vec<(String, u32)>) -> StorageResult<()> {
        self.0
            .write(move |c| {
                let mut t = c.prepare_cached("UPDATE tracks SET popularity = ?2 WHERE id = ?1")?;
                let mut l = c.prepare_cached(
                    "UPDATE track_artists SET popularity = ?2 WHERE track_id = ?1",
                )?;
                for (id, p) in &updates {
                    t.execute(params![id, p])?;
                    l.execute(params![id, p])?;
                }
                Ok(())
            })
            .await
    }
}
