//! The player survives `kill -9` of a real server process: after restart `welcome` shows the
//! same item, queue, shuffle order and position, paused.

use crate::common::{wait_until, ProcessServer, WsClient};
use crate::player_fixture::seed_album;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn player_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let config = segue::config::Config::for_test(dir.path());
    {
        let storage = segue::storage::open(&config).await.unwrap();
        seed_album(&storage, "k9", 12, 300_000).await;
    }
    let env = [("SEGUE_PLAYER_PERSIST_COALESCE_MS", "200")];
    let mut srv = ProcessServer::start(dir.path(), &env).await;
    let ann = srv.client().new_user("crash").await;
    let user_id = ann.user_id.clone().unwrap();
    let (mut ws, _) = ann.ws("phone").await;
    WsClient::ok(ws.request(json!({"type": "set_shuffle", "on": true})).await);
    WsClient::ok(ws.request(json!({"type": "play", "context_uri": "segue:album:alb-k9", "offset": {"track_id": "trk-k9-4"}})).await);
    WsClient::ok(
        ws.request(json!({"type": "queue_add", "track_ids": ["trk-k9-7", "trk-k9-8"]}))
            .await,
    );
    let s = ws
        .recv_where(|m| m["type"] == "player_state" && m["version"] == 3)
        .await;
    let item = s["item"].clone();
    assert_eq!(item["track_id"], "trk-k9-4");
    // A position report is not urgent: it is written within the coalescing interval.
    let r = WsClient::ok(ws.request(json!({"type": "report_position", "item_id": item["item_id"], "position_ms": 45_000, "playing": true})).await);
    let version = r["version"].as_u64().unwrap();
    assert_eq!(version, 4);
    let upcoming = ann.get("/v1/me/player/queue").await.expect(200);
    // Wait until the state is durable, reading the database as another process would.
    let reader = segue::storage::open(&config).await.unwrap();
    wait_until(Duration::from_secs(10), "player state stored", || {
        let (reader, user_id) = (reader.clone(), user_id.clone());
        async move {
            matches!(reader.players.load(&user_id).await, Ok(Some(r)) if r.version >= version)
        }
    })
    .await;
    drop(reader);
    srv.kill9();
    drop(ws);

    let srv = ProcessServer::start(dir.path(), &env).await;
    let mut ann2 = srv.client();
    ann2.token = ann.token.clone();
    let (_ws, welcome) = ann2.ws("phone").await;
    let p = &welcome["player"];
    assert_eq!(p["item"], item, "same item");
    assert_eq!(p["queue"], s["queue"], "same queue");
    assert_eq!(p["playing"], false, "paused after the crash");
    assert_eq!(p["shuffle"], true);
    let pos = p["position_ms"].as_i64().unwrap();
    assert!(
        (45_000..50_000).contains(&pos),
        "position from the last report: {pos}"
    );
    assert!(p["version"].as_u64().unwrap() > version);
    let after = ann2.get("/v1/me/player/queue").await.expect(200);
    assert_eq!(
        after["queue"], upcoming["queue"],
        "same queue and shuffled context order"
    );
}
