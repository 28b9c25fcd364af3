//! Play history from the live player: when the item changes, the one before counts as a
//! stream if it was listened to for at least 30 s.

use crate::common::{wait_until, WsClient};
use crate::player_fixture::seed_album;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn item_changes_record_plays_and_streams_count_after_30s() {
    let srv = crate::common::TestServer::start().await;
    let tracks = seed_album(&srv.state.storage, "hist", 3, 240_000).await;
    let user = srv.client().new_user("listener").await;
    let (mut ws, _) = user.ws("hist-dev").await;
    WsClient::ok(
        ws.request(json!({"type": "play", "context_uri": "segue:album:alb-hist"}))
            .await,
    );
    // Listened 45 s into the first track, then skip: a stream.
    WsClient::ok(
        ws.request(json!({"type": "seek", "position_ms": 45_000}))
            .await,
    );
    WsClient::ok(ws.request(json!({"type": "next"})).await);
    // Skip the second after a moment: recorded, but not a stream.
    WsClient::ok(
        ws.request(json!({"type": "seek", "position_ms": 5_000}))
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
    let r = user.get("/v1/me/player/recently-played").await.expect(200);
    let ids: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["track"]["id"].as_str().or(i["track_id"].as_str()))
        .collect();
    assert!(
        ids.contains(&tracks[0].as_str()),
        "the 45 s play is a stream: {r}"
    );
    assert!(
        !ids.contains(&tracks[1].as_str()),
        "a 5 s play is not a stream: {r}"
    );
}
