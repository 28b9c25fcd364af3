//! SQLite sessions.

use super::SqliteDb;
use crate::storage::sessions::SessionRepo;

pub const MIGRATIONS: &[&str] = &[];

#[allow(dead_code)] // filled in as the domain grows
pub struct SqliteSessions(pub SqliteDb);

#[async_trait::async_trait]
impl SessionRepo for SqliteSessions {}
