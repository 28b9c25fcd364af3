//! The whole product on CQL: the real server with `storage.backend = "scylla"` against the test
//! Cassandra node (its own keyspace), registering, playing, restarting, and surviving `kill -9`.

use crate::common::{wait_until, ProcessServer, TestServer, WsClient};
use crate::player_fixture::seed_album;
use crate::scylla_storage::{cql_config, OPEN};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// One keyspace for the server tests (separate from the repository tests' keyspace).
const KEYSPACE: &str = "segue_it_server";

#[tokio::test]
async fn server_on_cql_keeps_player_state_across_restart() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(mut config) = cql_config(dir.path()) else {
        return;
    };
    config.storage.scylla_keyspace = KEYSPACE.into();
    let tag = format!("cq{}", segue::storage::new_id().replace(['-', '_'], "x"));
    {
        let _one_at_a_time = OPEN.lock().await;
        let storage = segue::storage::open(&config).await.unwrap();
        seed_album(&storage, &tag, 6, 200_000).await;
    }
    let srv = {
        let _one_at_a_time = OPEN.lock().await;
        TestServer::start_in(dir.clone(), config.clone()).await
    };
    let ann = srv.client().new_user("cql").await;
    let (mut ws, _welcome) = ann.ws("phone").await;
    let track = format!("trk-{tag}-2");
    WsClient::ok(
        ws.request(
            json!({"type": "play", "context_uri": format!("segue:album:alb-{tag}"),
            "offset": {"track_id": track}}),
        )
        .await,
    );
    let s = ws
        .recv_where(|m| m["type"] == "player_state" && m["item"]["track_id"].is_string())
        .await;
    assert_eq!(s["item"]["track_id"], track.as_str());
    drop(ws);

    let srv = srv.restart().await;
    let mut again = srv.client();
    again.token = ann.token.clone();
    let (_ws, welcome) = again.ws("phone").await;
    assert_eq!(
        welcome["player"]["item"]["track_id"],
        track.as_str(),
        "the player state came back from CQL after the restart"
    );
    let me = again.get("/v1/me").await.expect(200);
    assert_eq!(me["id"], ann.user_id.clone().unwrap().as_str());
    srv.stop().await;
}

#[tokio::test]
async fn server_on_cql_player_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut config) = cql_config(dir.path()) else {
        return;
    };
    config.storage.scylla_keyspace = KEYSPACE.into();
    let tag = format!("k9{}", segue::storage::new_id().replace(['-', '_'], "x"));
    let reader = {
        let _one_at_a_time = OPEN.lock().await;
        segue::storage::open(&config).await.unwrap()
    };
    seed_album(&reader, &tag, 8, 300_000).await;
    let nodes = config.storage.scylla_nodes.join(",");
    let env = [
        ("SEGUE_PLAYER_PERSIST_COALESCE_MS", "200"),
        ("SEGUE_STORAGE_BACKEND", "scylla"),
        ("SEGUE_STORAGE_SCYLLA_NODES", nodes.as_str()),
        ("SEGUE_STORAGE_SCYLLA_KEYSPACE", KEYSPACE),
    ];
    let mut srv = ProcessServer::start(dir.path(), &env).await;
    let ann = srv.client().new_user("cqlk9").await;
    let user_id = ann.user_id.clone().unwrap();
    let (mut ws, _) = ann.ws("phone").await;
    let track = format!("trk-{tag}-4");
    WsClient::ok(
        ws.request(
            json!({"type": "play", "context_uri": format!("segue:album:alb-{tag}"),
            "offset": {"track_id": track}}),
        )
        .await,
    );
    let r = WsClient::ok(
        ws.request(json!({"type": "queue_add", "track_ids": [format!("trk-{tag}-7")]}))
            .await,
    );
    let version = r["version"].as_u64().unwrap();
    wait_until(
        Duration::from_secs(20),
        "player state stored in CQL",
        || {
            let (reader, user_id) = (reader.clone(), user_id.clone());
            async move {
                matches!(reader.players.load(&user_id).await, Ok(Some(r)) if r.version >= version)
            }
        },
    )
    .await;
    srv.kill9();
    drop(ws);

    let srv = ProcessServer::start(dir.path(), &env).await;
    let mut again = srv.client();
    again.token = ann.token.clone();
    let (_ws, welcome) = again.ws("phone").await;
    let p = &welcome["player"];
    assert_eq!(
        p["item"]["track_id"],
        track.as_str(),
        "same item after kill -9"
    );
    assert_eq!(p["playing"], false, "paused after the crash");
    assert!(p["version"].as_u64().unwrap() >= version);
}

/// `kill -9` of a `segue serve --store scylla` process while REST playlist edits are in flight:
/// every acknowledged insert is there after the restart.
#[tokio::test]
async fn server_on_cql_acknowledged_playlist_edits_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut config) = cql_config(dir.path()) else {
        return;
    };
    config.storage.scylla_keyspace = KEYSPACE.into();
    let t = {
        let _one_at_a_time = OPEN.lock().await;
        let storage = segue::storage::open(&config).await.unwrap();
        crate::playlists::seed_tracks(&storage, 3).await
    };
    let nodes = config.storage.scylla_nodes.join(",");
    let env = [
        ("SEGUE_STORAGE_BACKEND", "scylla"),
        ("SEGUE_STORAGE_SCYLLA_NODES", nodes.as_str()),
        ("SEGUE_STORAGE_SCYLLA_KEYSPACE", KEYSPACE),
    ];
    let mut srv = ProcessServer::start(dir.path(), &env).await;
    let ann = srv.client().new_user("cqlpl").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "Crash"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/v1/playlists/{id}/tracks");
    let acked = Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let mut tasks = vec![];
    for w in 0..3 {
        let (ann, url, acked, t) = (ann.clone(), url.clone(), acked.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..200 {
                let r = ann
                    .http
                    .post(ann.url(&url))
                    .bearer_auth(ann.token())
                    .json(&json!({"track_ids": [t[(w + i) % 3]]}))
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        let body: serde_json::Value = resp.json().await.unwrap();
                        acked
                            .lock()
                            .push(body["item_ids"][0].as_str().unwrap().to_string());
                    }
                    _ => break,
                }
            }
        }));
    }
    wait_until(Duration::from_secs(60), "some edits acknowledged", || {
        let n = acked.lock().len();
        async move { n >= 15 }
    })
    .await;
    srv.kill9();
    for task in tasks {
        task.await.unwrap();
    }
    let acked = acked.lock().clone();
    let srv2 = ProcessServer::start(dir.path(), &env).await;
    let mut ann2 = srv2.client();
    ann2.token = ann.token.clone();
    let mut present = vec![];
    let mut offset = 0;
    loop {
        let page = ann2
            .get(&format!("/v1/playlists/{id}?limit=100&offset={offset}"))
            .await
            .expect(200);
        let items = page["items"]["items"].as_array().unwrap().clone();
        present.extend(
            items
                .iter()
                .map(|i| i["item_id"].as_str().unwrap().to_string()),
        );
        offset += 100;
        if offset as u64 >= page["items"]["total"].as_u64().unwrap() {
            break;
        }
    }
    for a in &acked {
        assert!(
            present.contains(a),
            "acknowledged item {a} lost after kill -9"
        );
    }
    assert!(present.len() >= acked.len());
}
