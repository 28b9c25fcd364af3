//! Library repository (filled in by the library work).

#[async_trait::async_trait]
pub trait LibraryRepo: Send + Sync {}
