//! SQLite library.

use super::SqliteDb;
use crate::storage::library::LibraryRepo;

pub const MIGRATIONS: &[&str] = &[];

#[allow(dead_code)] // filled in as the domain grows
pub struct SqliteLibrary(pub SqliteDb);

#[async_trait::async_trait]
impl LibraryRepo for SqliteLibrary {}
