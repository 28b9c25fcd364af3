//! The player over real WebSockets with several devices per user: remote control, handoff,
//! concurrent queue edits, reconnect snapshots, conditional commands, the disconnect grace
//! pause, and isolation between users.

use crate::common::{wait_until, TestClient, TestServer, WsClient};
use crate::player_fixture::seed_album;
use serde_json::{json, Value};
use std::time::Duration;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Next `player_state` satisfying `pred`.
async fn state_where(ws: &mut WsClient, pred: impl Fn(&Value) -> bool) -> Value {
    ws.recv_where(move |m| m["type"] == "player_state" && pred(m))
        .await
}

fn live_position(s: &Value) -> i64 {
    let pos = s["position_ms"].as_i64().unwrap();
    if s["playing"] == true {
        pos + (now_ms() - s["position_at_ms"].as_i64().unwrap()).max(0)
    } else {
        pos
    }
}

fn queue_ids(s: &Value) -> Vec<String> {
    s["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_string())
        .collect()
}

async fn user_with_album(srv: &TestServer, tag: &str) -> TestClient {
    seed_album(&srv.state.storage, tag, 6, 200_000).await;
    srv.client().new_user(tag).await
}

#[tokio::test]
async fn remote_control_from_a_second_device() {
    let srv = TestServer::start().await;
    let ann = user_with_album(&srv, "rc").await;
    let (mut phone, _) = ann.ws("phone").await;
    let (mut laptop, _) = ann.ws("laptop").await;
    let r = WsClient::ok(
        phone
            .request(json!({"type": "play", "context_uri": "segue:album:alb-rc"}))
            .await,
    );
    assert_eq!(r["version"], 1);
    let s = state_where(&mut laptop, |s| s["version"] == 1).await;
    assert_eq!(s["item"]["track_id"], "trk-rc-0");
    assert_eq!(s["item"]["title"], "Song 0 of rc");
    assert_eq!(s["item"]["artists"][0]["name"], "Artist rc");
    assert_eq!(s["active_device_id"], "phone");
    assert_eq!(s["playing"], true);
    assert_eq!(s["context"]["uri"], "segue:album:alb-rc");
    // The laptop drives the phone's playback.
    WsClient::ok(laptop.request(json!({"type": "next"})).await);
    let s = state_where(&mut phone, |s| s["version"] == 2).await;
    assert_eq!(s["item"]["track_id"], "trk-rc-1");
    assert_eq!(
        s["active_device_id"], "phone",
        "remote control does not move playback"
    );
    // Previous within the threshold goes back an item.
    WsClient::ok(laptop.request(json!({"type": "previous"})).await);
    assert_eq!(
        state_where(&mut phone, |s| s["version"] == 3).await["item"]["track_id"],
        "trk-rc-0"
    );
    // Later in the item, previous restarts it.
    WsClient::ok(
        laptop
            .request(json!({"type": "seek", "position_ms": 50_000}))
            .await,
    );
    WsClient::ok(laptop.request(json!({"type": "previous"})).await);
    let s = state_where(&mut phone, |s| s["version"] == 5).await;
    assert_eq!(s["item"]["track_id"], "trk-rc-0");
    assert!(live_position(&s) < 2000, "{s}");
    WsClient::ok(laptop.request(json!({"type": "pause"})).await);
    let s = state_where(&mut phone, |s| s["version"] == 6).await;
    assert_eq!(s["playing"], false);
    WsClient::ok(
        laptop
            .request(json!({"type": "set_volume", "volume": 30}))
            .await,
    );
    WsClient::ok(
        laptop
            .request(json!({"type": "set_repeat", "mode": "context"}))
            .await,
    );
    WsClient::ok(
        laptop
            .request(json!({"type": "set_shuffle", "on": true}))
            .await,
    );
    let s = state_where(&mut phone, |s| s["version"] == 9).await;
    assert_eq!(
        (
            s["volume"].as_i64(),
            s["repeat"].as_str(),
            s["shuffle"].as_bool()
        ),
        (Some(30), Some("context"), Some(true))
    );
    let d = phone
        .recv_where(|m| {
            m["type"] == "devices"
                && m["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["device_id"] == "phone" && d["volume"] == 30)
        })
        .await;
    let phone_dev = d["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(phone_dev["active"], true);
    // Only the active device reports playback.
    let item = s["item"]["item_id"].clone();
    let r = laptop
        .request(json!({"type": "track_ended", "item_id": item}))
        .await;
    assert_eq!(r["code"], "forbidden", "{r}");
    let r = laptop
        .request(
            json!({"type": "report_position", "item_id": item, "position_ms": 1, "playing": true}),
        )
        .await;
    assert_eq!(r["code"], "forbidden", "{r}");
    WsClient::ok(phone.request(json!({"type": "resume"})).await);
    WsClient::ok(
        phone
            .request(json!({"type": "track_ended", "item_id": item}))
            .await,
    );
    let s = state_where(&mut laptop, |s| s["version"] == 11).await;
    assert_ne!(s["item"]["item_id"], item, "track_ended advances");
    // A stale track_ended (old item) is ignored.
    let v = WsClient::ok(
        phone
            .request(json!({"type": "track_ended", "item_id": item}))
            .await,
    );
    assert_eq!(v["version"], 11);
}

#[tokio::test]
async fn handoff_at_the_live_position_keeps_queue_shuffle_repeat_and_volume() {
    let srv = TestServer::start().await;
    let ann = user_with_album(&srv, "ho").await;
    let (mut phone, _) = ann.ws("phone").await;
    let (mut speaker, _) = ann.ws("speaker").await;
    WsClient::ok(phone.request(json!({"type": "play", "context_uri": "segue:album:alb-ho", "offset": 2, "position_ms": 60_000})).await);
    WsClient::ok(
        phone
            .request(json!({"type": "set_shuffle", "on": true}))
            .await,
    );
    WsClient::ok(
        phone
            .request(json!({"type": "set_repeat", "mode": "track"}))
            .await,
    );
    WsClient::ok(
        phone
            .request(json!({"type": "set_volume", "volume": 42}))
            .await,
    );
    let q = WsClient::ok(
        phone
            .request(json!({"type": "queue_add", "track_ids": ["trk-ho-5", "trk-ho-4"]}))
            .await,
    );
    let before = state_where(&mut phone, |s| s["version"] == 5).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let expected = live_position(&before);
    WsClient::ok(
        speaker
            .request(json!({"type": "transfer", "device_id": "speaker"}))
            .await,
    );
    let after = state_where(&mut phone, |s| s["version"] == 6).await;
    assert_eq!(
        after["active_device_id"], "speaker",
        "the old device learns it is inactive"
    );
    assert_eq!(after["playing"], true);
    assert!(
        (after["position_ms"].as_i64().unwrap() - expected).abs() <= 250,
        "{expected} vs {after}"
    );
    assert!((live_position(&after) - live_position(&before)).abs() <= 250);
    assert_eq!(after["item"], before["item"]);
    assert_eq!(after["queue"], before["queue"]);
    assert_eq!(
        queue_ids(&after),
        q["item_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        (
            after["shuffle"].as_bool(),
            after["repeat"].as_str(),
            after["volume"].as_i64()
        ),
        (Some(true), Some("track"), Some(42))
    );
    assert_eq!(after["context"], before["context"]);
    let d = speaker
        .recv_where(|m| {
            m["type"] == "devices"
                && m["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["device_id"] == "speaker" && d["active"] == true)
        })
        .await;
    let spk = d["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == "speaker")
        .unwrap()
        .clone();
    assert_eq!(spk["volume"], 42);
    // Transfer to a device that is not online fails.
    let r = phone
        .request(json!({"type": "transfer", "device_id": "nowhere"}))
        .await;
    assert_eq!(r["code"], "not_found");
    // Transfer with play=false pauses on the new device.
    WsClient::ok(
        phone
            .request(json!({"type": "transfer", "device_id": "phone", "play": false}))
            .await,
    );
    let s = state_where(&mut speaker, |s| s["version"] == 7).await;
    assert_eq!(
        (s["active_device_id"].as_str(), s["playing"].as_bool()),
        (Some("phone"), Some(false))
    );
}

#[tokio::test]
async fn queue_edits_from_two_devices_at_once() {
    let srv = TestServer::start().await;
    let ann = user_with_album(&srv, "qe").await;
    let (mut a, _) = ann.ws("a").await;
    let (mut b, _) = ann.ws("b").await;
    WsClient::ok(
        a.request(json!({"type": "play", "context_uri": "segue:album:alb-qe"}))
            .await,
    );
    let (ra, rb) = tokio::join!(
        async {
            let mut ids = vec![];
            for _ in 0..5 {
                let r = WsClient::ok(
                    a.request(json!({"type": "queue_add", "track_ids": ["trk-qe-3"]}))
                        .await,
                );
                ids.extend(r["item_ids"].as_array().unwrap().clone());
            }
            ids
        },
        async {
            let mut ids = vec![];
            for _ in 0..5 {
                let r = WsClient::ok(b.request(json!({"type": "queue_add", "track_ids": ["trk-qe-4", "trk-qe-5"], "next": true})).await);
                ids.extend(r["item_ids"].as_array().unwrap().clone());
            }
            ids
        }
    );
    let mut all: Vec<String> = ra
        .iter()
        .chain(&rb)
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 15);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 15, "item ids are unique");
    let s = state_where(&mut a, |s| s["queue"].as_array().unwrap().len() == 15).await;
    let q = queue_ids(&s);
    let rb: Vec<String> = rb.iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let ra: Vec<String> = ra.iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(
        q[..10],
        rb[..],
        "play-next items first, in the order they were added"
    );
    assert_eq!(q[10..], ra[..]);
    // Both devices converge on the same state.
    let sb = state_where(&mut b, |x| x["version"] == s["version"]).await;
    assert_eq!(sb["queue"], s["queue"]);
    // Move, remove, then next plays queued items before the context.
    WsClient::ok(
        b.request(json!({"type": "queue_move", "item_id": ra[4], "after_item_id": null}))
            .await,
    );
    WsClient::ok(
        a.request(json!({"type": "queue_remove", "item_id": rb[0]}))
            .await,
    );
    let r = a
        .request(json!({"type": "queue_remove", "item_id": rb[0]}))
        .await;
    assert_eq!(r["code"], "not_found");
    WsClient::ok(a.request(json!({"type": "next"})).await);
    let s = state_where(&mut b, |x| x["item"]["item_id"] == ra[4].as_str()).await;
    assert_eq!(s["item"]["track_id"], "trk-qe-3");
    assert_eq!(queue_ids(&s)[0], rb[1]);
    WsClient::ok(b.request(json!({"type": "queue_clear"})).await);
    let v = WsClient::ok(a.request(json!({"type": "next"})).await)["version"].clone();
    let s2 = state_where(&mut a, |x| x["version"] == v).await;
    assert!(s2["queue"].as_array().unwrap().is_empty());
    assert_eq!(
        s2["item"]["track_id"], "trk-qe-1",
        "back to the context after the queue"
    );
    let r = a
        .request(json!({"type": "queue_add", "track_ids": ["no-such-track"]}))
        .await;
    assert_eq!(r["code"], "not_found");
}

#[tokio::test]
async fn reconnect_gets_a_full_snapshot_and_stale_versions_conflict() {
    let srv = TestServer::start().await;
    let ann = user_with_album(&srv, "rs").await;
    let (mut a, _) = ann.ws("a").await;
    WsClient::ok(
        a.request(
            json!({"type": "play", "track_ids": ["trk-rs-1", "trk-rs-2", "trk-rs-1"], "offset": 1}),
        )
        .await,
    );
    WsClient::ok(
        a.request(json!({"type": "queue_add", "track_ids": ["trk-rs-3"]}))
            .await,
    );
    let s = state_where(&mut a, |s| s["version"] == 2).await;
    assert_eq!(s["item"]["track_id"], "trk-rs-2");
    drop(a);
    let (mut a2, welcome) = ann.ws("a").await;
    let p = &welcome["player"];
    assert_eq!(p["version"], 2);
    assert_eq!(p["item"], s["item"]);
    assert_eq!(p["queue"], s["queue"]);
    assert_eq!(p["active_device_id"], "a");
    // expected_version makes a command conditional.
    let r = a2
        .request(json!({"type": "pause", "expected_version": 1}))
        .await;
    assert_eq!(r["code"], "conflict", "{r}");
    let r = WsClient::ok(
        a2.request(json!({"type": "pause", "expected_version": 2}))
            .await,
    );
    assert_eq!(r["version"], 3);
    let r = a2
        .request(json!({"type": "queue_clear", "expected_version": 2}))
        .await;
    assert_eq!(r["code"], "conflict");
}

#[tokio::test]
async fn active_device_disconnect_pauses_after_the_grace_period() {
    let srv = TestServer::start_with(|c| c.player.disconnect_grace_ms = 400).await;
    let ann = user_with_album(&srv, "gp").await;
    let (mut watcher, _) = ann.ws("watcher").await;
    let (mut phone, _) = ann.ws("phone").await;
    WsClient::ok(
        phone
            .request(
                json!({"type": "play", "context_uri": "segue:album:alb-gp", "position_ms": 10_000}),
            )
            .await,
    );
    let s = state_where(&mut watcher, |s| s["playing"] == true).await;
    // A reconnect within the grace period keeps playing.
    drop(phone);
    let (_phone, _) = ann.ws("phone").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (mut probe, welcome) = ann.ws("probe").await;
    assert_eq!(
        welcome["player"]["playing"], true,
        "reconnected in time: still playing"
    );
    drop(_phone);
    let gone_at = now_ms();
    let paused = state_where(&mut watcher, |s| s["playing"] == false).await;
    let waited = now_ms() - gone_at;
    assert!(
        waited >= 300,
        "paused only after the grace period ({waited} ms)"
    );
    let expected = live_position(&s) - (now_ms() - gone_at) + 400;
    assert!(
        (paused["position_ms"].as_i64().unwrap() - expected).abs() < 1500,
        "{paused}"
    );
    assert_eq!(
        paused["active_device_id"],
        Value::Null,
        "the lost device is released: {paused}"
    );
    let d = probe
        .recv_where(|m| {
            m["type"] == "devices"
                && m["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["device_id"] == "phone" && d["online"] == false)
        })
        .await;
    assert!(d["devices"].as_array().unwrap().len() >= 3);
}

/// After the grace period the player pauses and has no active device, so another device sees
/// that nothing plays anywhere and resuming from it makes it the active device.
#[tokio::test]
async fn lost_active_device_is_released_after_the_grace_period() {
    let srv = TestServer::start_with(|c| c.player.disconnect_grace_ms = 200).await;
    let ann = user_with_album(&srv, "gr").await;
    let (mut a, _) = ann.ws("dev-a").await;
    let (mut b, _) = ann.ws("dev-b").await;
    WsClient::ok(
        b.request(json!({"type": "play", "context_uri": "segue:album:alb-gr"}))
            .await,
    );
    let s = state_where(&mut a, |s| s["playing"] == true).await;
    assert_eq!(s["active_device_id"], "dev-b");
    drop(b);
    let released = state_where(&mut a, |s| s["active_device_id"].is_null()).await;
    assert_eq!(released["playing"], false, "{released}");
    let d = a
        .recv_where(|m| {
            m["type"] == "devices"
                && m["devices"]
                    .as_array()
                    .is_some_and(|ds| ds.iter().all(|d| d["active"] == false))
        })
        .await;
    assert!(
        d["devices"].as_array().is_some_and(|ds| ds.len() == 2),
        "{d}"
    );
    WsClient::ok(a.request(json!({"type": "resume"})).await);
    let resumed = state_where(&mut a, |s| s["playing"] == true).await;
    assert_eq!(resumed["active_device_id"], "dev-a");
}

#[tokio::test]
async fn users_cannot_see_or_command_each_other() {
    let srv = TestServer::start().await;
    let ann = user_with_album(&srv, "isoa").await;
    let bob = srv.client().new_user("isob").await;
    let (mut a, _) = ann.ws("shared-id").await;
    let (mut b, wb) = bob.ws("shared-id").await;
    assert_eq!(
        wb["devices"].as_array().unwrap().len(),
        1,
        "bob sees only his device"
    );
    WsClient::ok(
        a.request(json!({"type": "play", "context_uri": "segue:album:alb-isoa"}))
            .await,
    );
    state_where(&mut a, |s| s["version"] == 1).await;
    let r = b
        .request(json!({"type": "transfer", "device_id": "ann-device"}))
        .await;
    assert_eq!(r["code"], "not_found");
    let r = b.request(json!({"type": "pause"})).await;
    assert_eq!(
        WsClient::ok(r)["version"],
        0,
        "bob's own (empty) player is untouched"
    );
    assert!(
        b.recv_where_within(Duration::from_millis(500), |m| m["type"] == "player_state")
            .await
            .is_none(),
        "bob never receives ann's player"
    );
    let mine = bob.get("/v1/me/player").await;
    assert_eq!(mine.status, 204, "{:?}", mine.body);
    let theirs = ann.get("/v1/me/player").await.expect(200);
    assert_eq!(theirs["item"]["track_id"], "trk-isoa-0");
    let devices = bob.get("/v1/me/player/devices").await.expect(200);
    assert_eq!(devices["devices"].as_array().unwrap().len(), 1);
    wait_until(Duration::from_secs(2), "ann still playing", || async {
        ann.get("/v1/me/player").await.body["playing"] == true
    })
    .await;
}
