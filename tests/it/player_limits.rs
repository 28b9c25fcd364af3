//! Player limits are config keys: queue length, context length, devices per user.

use crate::common::client::Closed;
use crate::common::{TestServer, WsClient};
use crate::player_fixture::seed_album;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn queue_context_and_device_limits() {
    let srv = TestServer::start_with(|c| {
        c.player.max_queue = 3;
        c.player.max_context_tracks = 2;
        c.player.max_devices = 2;
    })
    .await;
    seed_album(&srv.state.storage, "lim", 5, 100_000).await;
    let ann = srv.client().new_user("lim").await;
    let (mut d1, _) = ann.ws("d1").await;
    let r = d1.request(json!({"type": "queue_add", "track_ids": ["trk-lim-0", "trk-lim-1", "trk-lim-2", "trk-lim-3"]})).await;
    assert_eq!(r["code"], "bad_request", "{r}");
    WsClient::ok(
        d1.request(
            json!({"type": "queue_add", "track_ids": ["trk-lim-0", "trk-lim-1", "trk-lim-2"]}),
        )
        .await,
    );
    let r = d1
        .request(json!({"type": "queue_add", "track_ids": ["trk-lim-4"]}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    let r = WsClient::ok(
        d1.request(json!({"type": "play", "context_uri": "segue:album:alb-lim"}))
            .await,
    );
    let s = d1
        .recv_where(|m| m["type"] == "player_state" && m["version"] == r["version"])
        .await;
    assert_eq!(
        s["context"]["length"], 2,
        "context truncated to max_context_tracks"
    );
    let r = d1
        .request(json!({"type": "play", "track_ids": ["trk-lim-0", "trk-lim-1", "trk-lim-2"]}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    // Devices: two online fill the registry; a third is refused until one goes offline.
    let (d2, _) = ann.ws("d2").await;
    let mut d3 = WsClient::connect(&srv.ws_url()).await;
    d3.send(json!({"type": "hello", "token": ann.token(), "protocol": 1,
                   "device": {"id": "d3", "name": "third", "kind": "tv"}}))
        .await;
    assert_eq!(d3.recv_type("error").await["code"], "forbidden");
    assert_eq!(d3.closed(Duration::from_secs(5)).await, Closed::Code(4001));
    drop(d2);
    let devices = async {
        loop {
            let v = ann.get("/v1/me/player/devices").await.expect(200);
            if v["devices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["device_id"] == "d2" && d["online"] == false)
            {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), devices)
        .await
        .unwrap();
    let (_d3, welcome) = ann.ws("d3").await;
    let ids: Vec<&str> = welcome["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.contains(&"d1") && ids.contains(&"d3"),
        "the offline device was forgotten: {ids:?}"
    );
}
