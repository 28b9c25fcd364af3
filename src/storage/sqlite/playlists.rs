//! SQLite playlists.

use super::SqliteDb;
use crate::storage::playlists::PlaylistRepo;

pub const MIGRATIONS: &[&str] = &[];

#[allow(dead_code)] // filled in as the domain grows
pub struct SqlitePlaylists(pub SqliteDb);

#[async_trait::async_trait]
impl PlaylistRepo for SqlitePlaylists {}
