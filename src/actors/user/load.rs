//! Activation: reading a user's player, devices and tier before the actor starts.

use super::*;

/// Reads a user's player and devices. A player that was playing when the server stopped
/// (or crashed) comes back paused at the position it had reached when last stored.
pub async fn load(app: &AppState, user_id: &str) -> ApiResult<Loaded> {
    let storage = &app.storage;
    let mut dirty = false;
    let player = match storage.players.load(user_id).await? {
        None => PlayerState::default(),
        Some(rec) => {
            let mut p: PlayerState = serde_json::from_value(rec.state).map_err(|e| {
                tracing::error!(user_id, error = %e, "stored player state is unreadable");
                ApiError::internal("stored player state is unreadable")
            })?;
            if p.playing {
                let pos = p.live_position(rec.updated_at_ms);
                p.playing = false;
                p.start_at_ms = None;
                p.position_ms = pos;
                p.position_at_ms = app.now_ms();
                p.version += 1;
                dirty = true;
            }
            p
        }
    };
    let devices = storage
        .players
        .devices(user_id)
        .await?
        .into_iter()
        .map(|d| Device {
            id: Arc::from(d.device_id),
            name: d.name,
            kind: d.kind,
            volume: d.volume,
            last_seen_ms: d.last_seen_ms,
            conns: 0,
        })
        .collect();
    let tier = storage
        .accounts
        .by_id(user_id)
        .await?
        .map_or(Tier::Free, |a| a.tier);
    let quality = storage.settings.get(user_id).await?.streaming_quality;
    let meta = fetch_meta(app, needed_tracks(&player)).await?;
    Ok(Loaded {
        player,
        devices,
        tier,
        quality,
        meta,
        dirty,
    })
}
