//! History repository (filled in by the history work).

#[async_trait::async_trait]
pub trait HistoryRepo: Send + Sync {}
