//! Sessions repository (filled in by the sessions work).

#[async_trait::async_trait]
pub trait SessionRepo: Send + Sync {}
