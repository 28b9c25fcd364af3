//! Streaming quality: the per-account setting (`/v1/me/settings`), the bitrate signed into
//! `player_state.stream` by tier and setting (per member in a group session), and the tier reason
//! for a Premium-only asset.

use crate::cdn::{audio_bytes, user};
use crate::common::{TestClient, TestServer, WsClient};
use segue::storage::{Tier, Track};
use serde_json::{json, Value};
use std::sync::Arc;

/// `song` at 96/160/320 kbps and `hifi` at 320 only; tracks `q-song` and `q-hifi`.
async fn start() -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let audio = dir.path().join("audio");
    for (name, kbps) in [("song", 96), ("song", 160), ("song", 320), ("hifi", 320)] {
        std::fs::create_dir_all(audio.join(name)).unwrap();
        std::fs::write(audio.join(format!("{name}/{kbps}.mp3")), audio_bytes(kbps)).unwrap();
    }
    let variant = |name: &str, kbps: u32| json!({"kbps": kbps, "format": "mp3", "file": format!("{name}/{kbps}.mp3")});
    let manifest = json!({"assets": [
        {"name": "song", "duration_ms": 60000,
         "variants": [variant("song", 96), variant("song", 160), variant("song", 320)]},
        {"name": "hifi", "duration_ms": 60000, "variants": [variant("hifi", 320)]},
    ]});
    std::fs::write(audio.join("manifest.json"), manifest.to_string()).unwrap();
    let config = segue::config::Config::for_test(dir.path());
    let srv = TestServer::start_in(dir, config).await;
    let track = |id: &str, asset: &str| Track {
        id: id.into(),
        title: id.into(),
        album_id: "al-q".into(),
        artist_ids: vec!["ar-q".into()],
        track_number: 1,
        disc_number: 1,
        duration_ms: 60_000,
        genre: None,
        year: None,
        explicit: false,
        popularity: 0,
        isrc: None,
        audio: Some(asset.into()),
    };
    srv.state
        .storage
        .catalog
        .upsert_tracks(vec![track("q-song", "song"), track("q-hifi", "hifi")])
        .await
        .unwrap();
    srv
}

pub async fn patch(c: &TestClient, body: Value) -> crate::common::client::Resp {
    let mut r = c.http.patch(c.url("/v1/me/settings")).json(&body);
    if let Some(t) = &c.token {
        r = r.bearer_auth(t);
    }
    c.send(r).await
}

/// The kbps of the next `player_state` that carries a stream.
async fn next_kbps(ws: &mut WsClient) -> u64 {
    let p = ws
        .recv_where(|m| m["type"] == "player_state" && m["stream"].is_object())
        .await;
    assert_eq!(p["stream"]["kbps"], p["stream"]["bitrate_kbps"], "{p}");
    p["stream"]["kbps"].as_u64().unwrap()
}

async fn play_song(c: &TestClient, device: &str) -> (WsClient, u64) {
    let (mut ws, _) = c.ws(device).await;
    WsClient::ok(
        ws.request(json!({"type": "play", "track_ids": ["q-song"]}))
            .await,
    );
    let kbps = next_kbps(&mut ws).await;
    (ws, kbps)
}

#[tokio::test]
async fn settings_default_to_auto_and_refuse_bad_values() {
    let srv = start().await;
    let c = user(&srv, Tier::Free).await;
    let s = c.get("/v1/me/settings").await.expect(200);
    assert_eq!(s, json!({"streaming_quality": "auto"}));
    let s = patch(&c, json!({"streaming_quality": "low"}))
        .await
        .expect(200);
    assert_eq!(s["streaming_quality"], "low");
    patch(&c, json!({"streaming_quality": "ultra"}))
        .await
        .expect_error(400, "bad_request");
    patch(&c, json!({"streaming_quality": 320}))
        .await
        .expect_error(400, "bad_request");
    patch(&c, json!({"volume": 3}))
        .await
        .expect_error(400, "bad_request");
    assert_eq!(
        c.get("/v1/me/settings").await.expect(200)["streaming_quality"],
        "low",
        "a refused change keeps the stored value"
    );
    srv.client()
        .get("/v1/me/settings")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn premium_auto_streams_the_best_the_asset_has() {
    let srv = start().await;
    let c = user(&srv, Tier::Premium).await;
    let (_ws, kbps) = play_song(&c, "q-prem").await;
    assert_eq!(kbps, 320);
}

#[tokio::test]
async fn free_high_gets_the_free_tier_best() {
    let srv = start().await;
    let c = user(&srv, Tier::Free).await;
    patch(&c, json!({"streaming_quality": "high"}))
        .await
        .expect(200);
    let (_ws, kbps) = play_song(&c, "q-free").await;
    assert_eq!(kbps, 160);
}

#[tokio::test]
async fn premium_low_gets_the_low_bitrate_and_a_change_resigns_at_once() {
    let srv = start().await;
    let c = user(&srv, Tier::Premium).await;
    patch(&c, json!({"streaming_quality": "low"}))
        .await
        .expect(200);
    let (mut ws, kbps) = play_song(&c, "q-low").await;
    assert_eq!(kbps, 96);
    patch(&c, json!({"streaming_quality": "normal"}))
        .await
        .expect(200);
    let p = ws
        .recv_where(|m| m["type"] == "player_state" && m["stream"]["kbps"] == 160)
        .await;
    assert!(
        p["stream"]["url"].as_str().unwrap().contains("/160.mp3"),
        "{p}"
    );
}

#[tokio::test]
async fn group_session_members_get_their_own_bitrate() {
    let srv = start().await;
    let host = user(&srv, Tier::Premium).await;
    let guest = user(&srv, Tier::Free).await;
    let (mut hws, _) = host.ws("q-host").await;
    let (mut gws, _) = guest.ws("q-guest").await;
    let r = WsClient::ok(
        hws.request(json!({"type": "session_create", "name": "Q"}))
            .await,
    );
    let code = r["join_code"].as_str().unwrap().to_string();
    WsClient::ok(
        gws.request(json!({"type": "session_join", "join_code": code}))
            .await,
    );
    WsClient::ok(
        hws.request(json!({"type": "play", "track_ids": ["q-song"]}))
            .await,
    );
    assert_eq!(next_kbps(&mut hws).await, 320, "the premium host");
    assert_eq!(next_kbps(&mut gws).await, 160, "the free guest");
    // A member's new device is welcomed with their own stream, and REST shows it too.
    let (_h2, welcome) = host.ws("q-host-2").await;
    assert_eq!(welcome["player"]["stream"]["kbps"], 320, "{welcome}");
    let (_g2, welcome) = guest.ws("q-guest-2").await;
    assert_eq!(welcome["player"]["stream"]["kbps"], 160, "{welcome}");
    let p = host.get("/v1/me/player").await.expect(200);
    assert_eq!(p["stream"]["kbps"], 320, "{p}");
    let p = guest.get("/v1/me/player").await.expect(200);
    assert_eq!(p["stream"]["kbps"], 160, "{p}");
}

#[tokio::test]
async fn a_free_user_asking_for_a_premium_only_asset_gets_the_tier_reason() {
    let srv = start().await;
    let free = user(&srv, Tier::Free).await;
    let e = free
        .get("/v1/tracks/q-hifi/stream")
        .await
        .expect_error(403, "premium_required");
    assert!(e["message"].as_str().unwrap().contains("Premium"), "{e}");
    let premium = user(&srv, Tier::Premium).await;
    let ok = premium.get("/v1/tracks/q-hifi/stream").await.expect(200);
    assert_eq!(ok["bitrate_kbps"], 320);
}
