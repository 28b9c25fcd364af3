//! Catalog: artists, albums and tracks.

use crate::error::StorageResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artist {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub genres: Vec<String>,
    /// 0..=100, catalog popularity (folded from play counts periodically).
    #[serde(default)]
    pub popularity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub id: String,
    pub title: String,
    pub artist_ids: Vec<String>,
    /// ISO date `YYYY-MM-DD` (or `YYYY`).
    #[serde(default)]
    pub release_date: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub genre: Option<String>,
    #[serde(default)]
    pub popularity: u32,
    /// A colour for clients without cover art, `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub album_id: String,
    pub artist_ids: Vec<String>,
    #[serde(default = "one")]
    pub track_number: u32,
    #[serde(default = "one")]
    pub disc_number: u32,
    pub duration_ms: i64,
    #[serde(default)]
    pub genre: Option<String>,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub explicit: bool,
    #[serde(default)]
    pub popularity: u32,
    #[serde(default)]
    pub isrc: Option<String>,
    /// Audio asset name under the CDN root (without bitrate suffix); None = not streamable.
    #[serde(default)]
    pub audio: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogCounts {
    pub artists: u64,
    pub albums: u64,
    pub tracks: u64,
}

#[async_trait::async_trait]
pub trait CatalogRepo: Send + Sync {
    /// Insert or update by id (importing again updates rather than duplicates).
    async fn upsert_artists(&self, artists: Vec<Artist>) -> StorageResult<()>;
    async fn upsert_albums(&self, albums: Vec<Album>) -> StorageResult<()>;
    async fn upsert_tracks(&self, tracks: Vec<Track>) -> StorageResult<()>;
    async fn track(&self, id: &str) -> StorageResult<Option<Track>>;
    /// In the order of `ids`, skipping unknown ids.
    async fn tracks(&self, ids: Vec<String>) -> StorageResult<Vec<Track>>;
    /// Paged listing by id; returns the page and the total.
    async fn list_tracks(&self, limit: u32, offset: u64) -> StorageResult<(Vec<Track>, u64)>;
    /// Keyset paging for bulk readers (reindex): tracks with id > after, ordered by id.
    async fn tracks_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Track>>;
    async fn album(&self, id: &str) -> StorageResult<Option<Album>>;
    async fn albums(&self, ids: Vec<String>) -> StorageResult<Vec<Album>>;
    async fn albums_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Album>>;
    /// The album's tracks by disc and track number.
    async fn album_tracks(&self, album_id: &str) -> StorageResult<Vec<Track>>;
    async fn artist(&self, id: &str) -> StorageResult<Option<Artist>>;
    async fn artists(&self, ids: Vec<String>) -> StorageResult<Vec<Artist>>;
    async fn artists_after(&self, after: &str, limit: u32) -> StorageResult<Vec<Artist>>;
    async fn artist_albums(&self, artist_id: &str) -> StorageResult<Vec<Album>>;
    /// The artist's tracks by popularity, most popular first.
    async fn artist_top_tracks(&self, artist_id: &str, limit: u32) -> StorageResult<Vec<Track>>;
    /// Genre names with their track counts, by name.
    async fn genres(&self) -> StorageResult<Vec<(String, u64)>>;
    async fn counts(&self) -> StorageResult<CatalogCounts>;
    /// Sets track popularity (0..=100) for many tracks at once.
    async fn set_track_popularity(&self, updates: Vec<(String, u32)>) -> StorageResult<()>;
}
