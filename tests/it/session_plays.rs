//! Group sessions and play history: any member's `track_ended` is accepted (protocol.md), and
//! a play heard in a session is recorded in every listening member's history.

use crate::common::{wait_until, TestClient, TestServer, WsClient};
use crate::player_fixture::seed_album;
use crate::sessions::quick_user;
use serde_json::{json, Value};
use std::time::Duration;

async fn session_of_two(
    srv: &TestServer,
    tag: &str,
) -> (TestClient, WsClient, TestClient, WsClient) {
    let host = quick_user(srv, &format!("{tag}-host")).await;
    let guest = quick_user(srv, &format!("{tag}-guest")).await;
    let (mut hws, _) = host.ws(&format!("{tag}-hdev")).await;
    let (mut gws, _) = guest.ws(&format!("{tag}-gdev")).await;
    let r = WsClient::ok(
        hws.request(json!({"type": "session_create", "name": tag}))
            .await,
    );
    let code = r["join_code"].as_str().unwrap().to_string();
    WsClient::ok(
        gws.request(json!({"type": "session_join", "join_code": code}))
            .await,
    );
    (host, hws, guest, gws)
}

async fn playing(ws: &mut WsClient, track: &str) -> Value {
    ws.recv_where(|m| {
        m["type"] == "player_state" && m["playing"] == true && m["item"]["track_id"] == track
    })
    .await
}

#[tokio::test]
async fn a_guest_may_end_the_current_item_when_it_has_ended() {
    let srv = TestServer::start_with(|c| c.session.track_ended_slack_ms = 300).await;
    let t = seed_album(&srv.state.storage, "sp-end", 3, 1_500).await;
    let (_host, mut hws, _guest, mut gws) = session_of_two(&srv, "spend").await;
    // A guest who may not control playback.
    WsClient::ok(
        hws.request(json!({"type": "session_settings", "guests_can_control": false}))
            .await,
    );
    WsClient::ok(
        hws.request(json!({"type": "play", "context_uri": "segue:album:alb-sp-end"}))
            .await,
    );
    let p = playing(&mut gws, &t[0]).await;
    let item = p["item"]["item_id"].clone();
    // Too early: a guest without control cannot skip with it.
    let e = gws
        .request(json!({"type": "track_ended", "item_id": item}))
        .await;
    assert_eq!(e["code"], "forbidden", "{e}");
    // At the end (the start lead plus the 1.5 s item): accepted from the guest.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    WsClient::ok(
        gws.request(json!({"type": "track_ended", "item_id": item}))
            .await,
    );
    playing(&mut hws, &t[1]).await;
    // The host's report for the same item is now stale: a no-op, not an error.
    WsClient::ok(
        hws.request(json!({"type": "track_ended", "item_id": item}))
            .await,
    );
}

#[tokio::test]
async fn a_guest_who_may_control_ends_an_item_at_any_time() {
    let srv = TestServer::start().await;
    let t = seed_album(&srv.state.storage, "sp-ctl", 2, 120_000).await;
    let (_host, mut hws, _guest, mut gws) = session_of_two(&srv, "spctl").await;
    WsClient::ok(
        hws.request(json!({"type": "play", "context_uri": "segue:album:alb-sp-ctl"}))
            .await,
    );
    let p = playing(&mut gws, &t[0]).await;
    WsClient::ok(
        gws.request(json!({"type": "track_ended", "item_id": p["item"]["item_id"]}))
            .await,
    );
    playing(&mut hws, &t[1]).await;
}

async fn recent_tracks(c: &TestClient) -> Vec<(String, i64)> {
    let r = c.get("/v1/me/player/recently-played").await.expect(200);
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["track"]["id"].as_str().unwrap_or_default().to_string(),
                i["ms_played"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_session_play_is_recorded_for_every_listening_member() {
    let srv = TestServer::start_with(|c| c.history.stream_threshold_ms = 400).await;
    let t = seed_album(&srv.state.storage, "sp-hist", 2, 120_000).await;
    let (host, mut hws, guest, mut gws) = session_of_two(&srv, "sphist").await;
    WsClient::ok(
        hws.request(json!({"type": "play", "context_uri": "segue:album:alb-sp-hist"}))
            .await,
    );
    playing(&mut gws, &t[0]).await;
    // Listen past the stream threshold (and the scheduled start), then move on.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    WsClient::ok(hws.request(json!({"type": "next"})).await);
    for member in [&host, &guest] {
        let m = member.clone();
        wait_until(
            Duration::from_secs(5),
            "the play is in the member's history",
            || {
                let m = m.clone();
                let want = t[0].clone();
                async move { recent_tracks(&m).await.iter().any(|(id, _)| *id == want) }
            },
        )
        .await;
        let plays = recent_tracks(member).await;
        let (_, ms) = plays.iter().find(|(id, _)| *id == t[0]).unwrap();
        assert!(
            (400..5_000).contains(ms),
            "ms_played is the time heard, not more: {ms}"
        );
    }
}

#[tokio::test]
async fn a_member_who_leaves_mid_item_keeps_the_play_heard() {
    let srv = TestServer::start_with(|c| c.history.stream_threshold_ms = 400).await;
    let t = seed_album(&srv.state.storage, "sp-leave", 2, 120_000).await;
    let (host, mut hws, guest, mut gws) = session_of_two(&srv, "spleave").await;
    WsClient::ok(
        hws.request(json!({"type": "play", "context_uri": "segue:album:alb-sp-leave"}))
            .await,
    );
    playing(&mut gws, &t[0]).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    WsClient::ok(gws.request(json!({"type": "session_leave"})).await);
    let g = guest.clone();
    let want = t[0].clone();
    wait_until(
        Duration::from_secs(5),
        "the leaver's play is recorded",
        || {
            let (g, want) = (g.clone(), want.clone());
            async move { recent_tracks(&g).await.iter().any(|(id, _)| *id == want) }
        },
    )
    .await;
    // The host is still listening: their play is recorded when the item changes, not now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recent_tracks(&host).await.is_empty());
}
