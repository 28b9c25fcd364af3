//! Playlists repository (filled in by the playlists work).

#[async_trait::async_trait]
pub trait PlaylistRepo: Send + Sync {}
