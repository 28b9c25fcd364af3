//! The REST mirror of the player acts through the same actor: WebSocket devices see its changes.
//! Also: an idle user's actor passivates and comes back with the same state.

use crate::common::{wait_until, TestServer, WsClient};
use crate::player_fixture::seed_album;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn rest_commands_reach_connected_devices() {
    let srv = TestServer::start().await;
    seed_album(&srv.state.storage, "rest", 5, 180_000).await;
    let ann = srv.client().new_user("rest").await;
    assert_eq!(ann.get("/v1/me/player").await.status, 204);
    // Nothing to play on yet.
    ann.put(
        "/v1/me/player/play",
        json!({"context_uri": "segue:album:alb-rest"}),
    )
    .await
    .expect_error(404, "not_found");
    let (mut tv, _) = ann.ws("tv").await;
    let devices = ann.get("/v1/me/player/devices").await.expect(200);
    assert_eq!(devices["devices"][0]["device_id"], "tv");
    assert_eq!(devices["devices"][0]["kind"], "computer");
    let r = ann
        .put(
            "/v1/me/player/play?device_id=tv",
            json!({"context_uri": "segue:album:alb-rest", "offset": {"position": 1}}),
        )
        .await
        .expect(200);
    assert_eq!(r["version"], 1);
    let s = tv
        .recv_where(|m| m["type"] == "player_state" && m["version"] == 1)
        .await;
    assert_eq!(
        (
            s["item"]["track_id"].as_str(),
            s["active_device_id"].as_str()
        ),
        (Some("trk-rest-1"), Some("tv"))
    );
    let p = ann.get("/v1/me/player").await.expect(200);
    assert_eq!(p["device"]["device_id"], "tv");
    assert_eq!(p["playing"], true);
    ann.put("/v1/me/player/pause", json!({})).await.expect(200);
    ann.post("/v1/me/player/next", json!({})).await.expect(200);
    ann.post("/v1/me/player/previous", json!({}))
        .await
        .expect(200);
    ann.put("/v1/me/player/seek?position_ms=90000", json!({}))
        .await
        .expect(200);
    ann.put("/v1/me/player/volume?volume_percent=55", json!({}))
        .await
        .expect(200);
    ann.put("/v1/me/player/shuffle?state=true", json!({}))
        .await
        .expect(200);
    ann.put("/v1/me/player/repeat?state=track", json!({}))
        .await
        .expect(200);
    let q = ann
        .post("/v1/me/player/queue?uri=segue:track:trk-rest-4", json!({}))
        .await
        .expect(200);
    let item_id = q["item_ids"][0].as_str().unwrap().to_string();
    let s = tv
        .recv_where(|m| m["type"] == "player_state" && m["version"] == 9)
        .await;
    assert_eq!(s["item"]["track_id"], "trk-rest-1");
    assert_eq!(s["position_ms"], 90_000);
    assert_eq!(
        (
            s["volume"].as_i64(),
            s["shuffle"].as_bool(),
            s["repeat"].as_str()
        ),
        (Some(55), Some(true), Some("track"))
    );
    assert_eq!(s["queue"][0]["item_id"], item_id.as_str());
    let queue = ann.get("/v1/me/player/queue").await.expect(200);
    assert_eq!(queue["currently_playing"]["track_id"], "trk-rest-1");
    assert_eq!(queue["queue"][0]["track_id"], "trk-rest-4");
    assert_eq!(
        queue["queue"].as_array().unwrap().len(),
        5,
        "queue then the rest of the context"
    );
    // Resume (play with no body), conditional commands, transfer.
    ann.put("/v1/me/player/play", json!(null)).await.expect(200);
    ann.put("/v1/me/player/pause?expected_version=3", json!({}))
        .await
        .expect_error(409, "conflict");
    let (_phone, _) = ann.ws("phone").await;
    ann.put(
        "/v1/me/player",
        json!({"device_ids": ["phone"], "play": true}),
    )
    .await
    .expect(200);
    let s = tv
        .recv_where(|m| m["type"] == "player_state" && m["active_device_id"] == "phone")
        .await;
    assert_eq!(s["playing"], true);
    // Bad input.
    ann.put("/v1/me/player/seek", json!({}))
        .await
        .expect_error(400, "bad_request");
    ann.put("/v1/me/player/repeat?state=sometimes", json!({}))
        .await
        .expect_error(400, "bad_request");
    ann.put("/v1/me/player/volume?volume_percent=101", json!({}))
        .await
        .expect_error(400, "bad_request");
    ann.put("/v1/me/player", json!({"device_ids": []}))
        .await
        .expect_error(400, "bad_request");
    ann.put("/v1/me/player", json!({"device_ids": ["gone"]}))
        .await
        .expect_error(404, "not_found");
    ann.post("/v1/me/player/queue?uri=spotify:track:x", json!({}))
        .await
        .expect_error(400, "bad_request");
    ann.put(
        "/v1/me/player/play",
        json!({"context_uri": "segue:album:nope"}),
    )
    .await
    .expect_error(404, "not_found");
    ann.put(
        "/v1/me/player/play",
        json!({"context_uri": "segue:playlist:nope"}),
    )
    .await
    .expect_error(404, "not_found");
    ann.put("/v1/me/player/play", json!({"context_uri": "http://x"}))
        .await
        .expect_error(400, "bad_request");
    let anon = srv.client();
    anon.get("/v1/me/player")
        .await
        .expect_error(401, "unauthorized");
    anon.put("/v1/me/player/pause", json!({}))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn idle_actor_passivates_and_reloads_the_same_state() {
    let srv = TestServer::start_with(|c| {
        c.player.passivate_after_ms = 300;
        c.player.disconnect_grace_ms = 100;
    })
    .await;
    seed_album(&srv.state.storage, "pas", 3, 100_000).await;
    let ann = srv.client().new_user("pas").await;
    let (mut ws, _) = ann.ws("d").await;
    WsClient::ok(
        ws.request(json!({"type": "play", "context_uri": "segue:album:alb-pas", "offset": 2}))
            .await,
    );
    WsClient::ok(
        ws.request(json!({"type": "queue_add", "track_ids": ["trk-pas-0"]}))
            .await,
    );
    let before = ws
        .recv_where(|m| m["type"] == "player_state" && m["version"] == 2)
        .await;
    assert!(!srv.state.players.is_empty());
    drop(ws);
    let state = srv.state.clone();
    wait_until(Duration::from_secs(10), "actor passivated", || {
        let state = state.clone();
        async move { state.players.is_empty() }
    })
    .await;
    let (_ws, welcome) = ann.ws("d").await;
    let p = &welcome["player"];
    assert_eq!(p["item"], before["item"]);
    assert_eq!(p["queue"], before["queue"]);
    assert_eq!(
        p["playing"], false,
        "paused by the disconnect grace before passivating"
    );
}
