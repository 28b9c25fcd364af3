//! Play history from the live player: when the item changes, the one before counts as a
//! stream if it was listened to for at least `history.stream_threshold_ms` (seeks excluded).

use crate::common::{wait_until, WsClient};
use crate::player_fixture::seed_album;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn item_changes_record_plays_of_the_time_heard() {
    // A short threshold so that real listening time can pass it.
    let srv = crate::common::TestServer::start_with(|c| c.history.stream_threshold_ms = 400).await;
    let tracks = seed_album(&srv.state.storage, "hist", 3, 240_000).await;
    let user = srv.client().new_user("listener").await;
    let (mut ws, _) = user.ws("hist-dev").await;
    WsClient::ok(
        ws.request(json!({"type": "play", "context_uri": "segue:album:alb-hist"}))
            .await,
    );
    // Jump 45 s into the first track, listen past the threshold, then skip: a stream whose
    // ms_played is the time heard, not the 45 s skipped.
    WsClient::ok(
        ws.request(json!({"type": "seek", "position_ms": 45_000}))
            .await,
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    WsClient::ok(ws.request(json!({"type": "next"})).await);
    // Seek far into the second and skip at once: seeking is not listening, so no stream.
    WsClient::ok(
        ws.request(json!({"type": "seek", "position_ms": 200_000}))
            .await,
    );
    WsClient::ok(ws.request(json!({"type": "next"})).await);
    let u = user.clone();
    wait_until(Duration::from_secs(5), "plays recorded", || {
        let u = u.clone();
        async move {
            let r = u.get("/v1/me/player/recently-played").await;
            r.status == 200 && r.body["items"].as_array().is_some_and(|a| !a.is_empty())
        }
    })
    .await;
    // Both plays were handed to history in order; give the second a moment to land too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = user.get("/v1/me/player/recently-played").await.expect(200);
    let ids: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["track"]["id"].as_str().or(i["track_id"].as_str()))
        .collect();
    assert!(
        ids.contains(&tracks[0].as_str()),
        "0.7 s heard passes the 0.4 s threshold: a stream: {r}"
    );
    assert!(
        !ids.contains(&tracks[1].as_str()),
        "a seek forward is not listening: {r}"
    );
    let ms = r["items"][0]["ms_played"].as_i64().unwrap();
    assert!(
        (400..5_000).contains(&ms),
        "ms_played counts only time played: {r}"
    );
}
