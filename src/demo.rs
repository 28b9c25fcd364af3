//! `--demo`: the bundled catalog, audio, playlists and accounts.

use crate::http::AppState;

pub async fn load(_state: &AppState) -> anyhow::Result<()> {
    Ok(())
}
