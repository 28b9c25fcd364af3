//! Search: the tantivy index over tracks, artists, albums and playlists.

use crate::config::Config;

pub async fn reindex_cli(_config: Config) -> anyhow::Result<()> {
    anyhow::bail!("reindex is not available yet")
}
