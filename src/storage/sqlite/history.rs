//! SQLite history.

use super::SqliteDb;
use crate::storage::history::HistoryRepo;

pub const MIGRATIONS: &[&str] = &[];

#[allow(dead_code)] // filled in as the domain grows
pub struct SqliteHistory(pub SqliteDb);

#[async_trait::async_trait]
impl HistoryRepo for SqliteHistory {}
