//! The CQL store goes away mid-run and comes back: nothing acknowledged is lost.
//!
//! A real `segue serve --store scylla` process takes playlist edits and player changes from
//! real WebSocket clients while the database is taken away and given back:
//!
//! - with the test node of scripts/test.sh (`SEGUE_TEST_CQL` plus `SEGUE_TEST_CQL_DIR`, the
//!   node's directory), Cassandra itself is stopped (`scripts/cassandra.sh stop`) and started
//!   again on the same data and port (`scripts/cassandra.sh restart`);
//! - with a cluster the test cannot stop (`SCYLLA_URI`, or `SEGUE_TEST_CQL` alone), Segue reaches
//!   the first node through a TCP proxy in this test, and the outage is the proxy cutting every
//!   connection and refusing new ones until it is restored.
//!
//! While the store is away, every playlist edit is answered with an `unavailable` error (REST:
//! 503), never an ack, and `/readyz` says 503; player changes are still acknowledged by the
//! live player and written once the store is back. When it returns, the same Segue process
//! recovers by itself: edits are acknowledged again, every acknowledged item is in the
//! playlist, nothing unacknowledged appeared except edits answered with an error (their outcome
//! was unknown), the player state reaches the store; and all of it is still there after Segue
//! is killed and started again.
//!
//! This is its own test binary because stopping the node would break the CQL tests of the `it`
//! binary; cargo runs test binaries one after another. Without any CQL node the test fails when
//! `CI` or `SEGUE_REQUIRE_CQL=1` is set (as scripts/test.sh does), and otherwise says why it did
//! not run.

#[path = "../it/common/mod.rs"]
mod common;
mod outage;
#[path = "../it/player_fixture.rs"]
mod player_fixture;
mod proxy;

use common::{wait_until, ProcessServer, WsClient};
use outage::Outage;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const KEYSPACE: &str = "segue_outage";
/// How long the store stays away once it is down.
const DOWN_FOR: Duration = Duration::from_secs(6);
/// Two editors over WebSocket.
const EDITORS: usize = 2;

fn env_nonempty(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

fn required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || std::env::var("SEGUE_REQUIRE_CQL").is_ok_and(|v| v == "1")
}

/// The CQL contact points, as tests/it/scylla_storage.rs reads them.
fn cql_nodes() -> Option<Vec<String>> {
    let raw = env_nonempty("SEGUE_TEST_CQL").or_else(|| env_nonempty("SCYLLA_URI"))?;
    let raw = raw.split_once("://").map_or(raw.as_str(), |(_, rest)| rest);
    Some(
        raw.split(',')
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// What became of one request.
#[derive(Debug, Clone)]
struct Answer {
    sent: Instant,
    answered: Instant,
    /// `Ok(item_id)` acknowledged, `Err(code)` an error frame.
    outcome: Result<String, String>,
}

/// Sends a request and waits (long: retries and re-reads take time while the store is away)
/// for its ack or error.
async fn ask(ws: &mut WsClient, mut v: Value) -> Value {
    let id = ws.next_id;
    ws.next_id += 1;
    v["id"] = json!(id);
    ws.send(v).await;
    ws.recv_where_within(Duration::from_secs(60), |m| {
        m["id"] == json!(id) && (m["type"] == "ack" || m["type"] == "error")
    })
    .await
    .expect("every request is answered (ack or error) within 60 s")
}

/// Every item id of the playlist, read page by page over REST.
async fn playlist_items(client: &common::TestClient, id: &str) -> Vec<String> {
    let mut items = vec![];
    let mut offset = 0;
    loop {
        let page = client
            .get(&format!("/v1/playlists/{id}?limit=100&offset={offset}"))
            .await
            .expect(200);
        let batch = page["items"]["items"].as_array().unwrap().clone();
        items.extend(
            batch
                .iter()
                .map(|i| i["item_id"].as_str().unwrap().to_string()),
        );
        offset += 100;
        if offset >= page["items"]["total"].as_u64().unwrap() {
            return items;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cql_store_stopped_and_started_mid_run_loses_nothing_acknowledged() {
    let Some(nodes) = cql_nodes() else {
        let how = "no CQL node: set SEGUE_TEST_CQL=HOST:PORT and SEGUE_TEST_CQL_DIR=DIR (the \
                   node started by scripts/cassandra.sh; scripts/test.sh sets both) or \
                   SCYLLA_URI=HOST:PORT[,...] for a cluster this test reaches through a proxy";
        if required() {
            panic!("{how}");
        }
        eprintln!("CQL outage test not run: {how}");
        return;
    };
    let node_dir = env_nonempty("SEGUE_TEST_CQL_DIR")
        .filter(|_| env_nonempty("SEGUE_TEST_CQL").is_some())
        .map(PathBuf::from);
    let mut outage = match node_dir {
        Some(dir) => {
            assert!(
                dir.join("address").is_file(),
                "SEGUE_TEST_CQL_DIR={} holds no node started by scripts/cassandra.sh",
                dir.display()
            );
            let addr = std::fs::read_to_string(dir.join("address"))
                .unwrap()
                .trim()
                .to_string();
            assert_eq!(
                nodes,
                vec![addr.clone()],
                "SEGUE_TEST_CQL is not the node of SEGUE_TEST_CQL_DIR"
            );
            Outage::Node {
                dir,
                addr,
                down: false,
            }
        }
        None => Outage::Proxy(proxy::Proxy::start(&nodes[0]).await),
    };
    eprintln!("outage: {}", outage.describe());
    let segue_nodes = match &outage {
        Outage::Node { addr, .. } => addr.clone(),
        Outage::Proxy(p) => p.addr.to_string(),
    };

    // Catalog tracks, seeded directly (not through the proxy).
    let dir = tempfile::tempdir().unwrap();
    let mut config = segue::config::Config::for_test(dir.path());
    config.storage.backend = segue::config::StorageBackend::Scylla;
    config.storage.scylla_nodes = nodes.clone();
    config.storage.scylla_keyspace = KEYSPACE.into();
    config.storage.scylla_request_timeout_ms = 20_000;
    let tag = format!("out{}", segue::storage::new_id().replace(['-', '_'], "x"));
    {
        let storage = segue::storage::open(&config)
            .await
            .expect("open the CQL store");
        player_fixture::seed_album(&storage, &tag, 8, 300_000).await;
    }
    let tracks: Vec<String> = (0..8).map(|i| format!("trk-{tag}-{i}")).collect();

    let env = [
        ("SEGUE_STORAGE_BACKEND", "scylla"),
        ("SEGUE_STORAGE_SCYLLA_NODES", segue_nodes.as_str()),
        ("SEGUE_STORAGE_SCYLLA_KEYSPACE", KEYSPACE),
        // Fail fast while the store is away: 2 s per attempt.
        ("SEGUE_STORAGE_SCYLLA_REQUEST_TIMEOUT_MS", "2000"),
        ("SEGUE_PLAYER_PERSIST_COALESCE_MS", "200"),
        // The driver's reconnection warnings would drown the test's own output.
        ("SEGUE_LOG", "warn,scylla=off"),
    ];
    let mut srv = ProcessServer::start(dir.path(), &env).await;
    let owner = srv.client().new_user("outage").await;
    let playlist = owner
        .post("/v1/playlists", json!({"name": "Outage"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The player: playing the album, then paused and sought once per 150 ms.
    let (mut phone, _) = owner.ws("phone").await;
    WsClient::ok(
        phone
            .request(json!({"type": "play", "context_uri": format!("segue:album:alb-{tag}")}))
            .await,
    );
    WsClient::ok(phone.request(json!({"type": "pause"})).await);

    let stop = Arc::new(AtomicBool::new(false));
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let mut editors = vec![];
    for w in 0..EDITORS {
        let (mut ws, _) = owner.ws(&format!("editor-{w}")).await;
        let (stop, answers, playlist, tracks) = (
            stop.clone(),
            answers.clone(),
            playlist.clone(),
            tracks.clone(),
        );
        editors.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let item = format!("w{w}-{k}");
                let sent = Instant::now();
                let r = ask(
                    &mut ws,
                    json!({"type": "playlist_edit", "playlist_id": playlist, "base_version": 0,
                           "op_id": item, "ops": [{"op": "insert", "after_item_id": null,
                           "track_ids": [tracks[k % tracks.len()]], "item_ids": [item]}]}),
                )
                .await;
                let outcome = if r["type"] == "ack" {
                    Ok(item)
                } else {
                    Err(r["code"].as_str().unwrap_or("?").to_string())
                };
                answers.lock().push(Answer {
                    sent,
                    answered: Instant::now(),
                    outcome,
                });
                ws.clear(); // no need for playlist_ops events
                k += 1;
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        }));
    }
    let last_seek: Arc<Mutex<(u64, u64)>> = Arc::default(); // (position_ms, version) acked
    let player = {
        let (stop, last_seek) = (stop.clone(), last_seek.clone());
        tokio::spawn(async move {
            let mut pos = 0u64;
            while !stop.load(Ordering::SeqCst) {
                pos += 1000;
                let r = ask(
                    &mut phone,
                    json!({"type": "seek", "position_ms": pos % 290_000}),
                )
                .await;
                assert_eq!(r["type"], "ack", "the live player acknowledges seeks: {r}");
                *last_seek.lock() = (pos % 290_000, r["result"]["version"].as_u64().unwrap());
                phone.clear();
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        })
    };
    let acked =
        |answers: &Mutex<Vec<Answer>>| answers.lock().iter().filter(|a| a.outcome.is_ok()).count();
    wait_until(
        Duration::from_secs(60),
        "edits acknowledged before the outage",
        || {
            let n = acked(&answers);
            async move { n >= 20 }
        },
    )
    .await;

    // ---- the outage ----
    outage.begin().await;
    let down_from = Instant::now();
    // REST and readiness while the store is away.
    let r = owner
        .post(
            &format!("/v1/playlists/{playlist}/tracks"),
            json!({"track_ids": [tracks[0]]}),
        )
        .await;
    assert_eq!(
        r.status, 503,
        "REST edit while the store is away: {:?}",
        r.body
    );
    assert_eq!(r.body["code"], "unavailable", "{:?}", r.body);
    let ready = reqwest::get(srv.url("/readyz")).await.unwrap();
    assert_eq!(
        ready.status().as_u16(),
        503,
        "readyz while the store is away"
    );
    let left = DOWN_FOR.saturating_sub(down_from.elapsed());
    tokio::time::sleep(left).await;
    let down_until = Instant::now();
    outage.end().await;
    let up_from = Instant::now();
    eprintln!(
        "store away for {:?}, back after {:?} more",
        down_until - down_from,
        up_from - down_until
    );

    // ---- recovery, by itself ----
    let before_up = acked(&answers);
    wait_until(
        Duration::from_secs(90),
        "edits acknowledged again once the store is back (same Segue process)",
        || {
            let answers = answers.clone();
            async move {
                answers
                    .lock()
                    .iter()
                    .filter(|a| a.outcome.is_ok() && a.sent >= up_from)
                    .count()
                    >= 10
            }
        },
    )
    .await;
    let recovered_after = up_from.elapsed();
    stop.store(true, Ordering::SeqCst);
    for e in editors {
        e.await.unwrap();
    }
    player.await.unwrap();
    let answers = answers.lock().clone();
    let (seek_pos, seek_version) = *last_seek.lock();

    // While the store was away, nothing was acknowledged: every edit sent and answered in the
    // window got `unavailable`.
    let in_window: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.sent >= down_from && a.answered <= down_until)
        .collect();
    assert!(
        in_window.len() >= 2,
        "too few edits answered while the store was away ({}) to show anything",
        in_window.len()
    );
    for a in &in_window {
        assert_eq!(
            a.outcome,
            Err("unavailable".to_string()),
            "an edit sent {:?} into the outage",
            a.sent - down_from
        );
    }
    // Errors only ever say `unavailable`.
    let errors: Vec<&Answer> = answers.iter().filter(|a| a.outcome.is_err()).collect();
    for a in &errors {
        assert_eq!(a.outcome, Err("unavailable".to_string()));
    }
    let acked_items: Vec<String> = answers
        .iter()
        .filter_map(|a| a.outcome.clone().ok())
        .collect();
    eprintln!(
        "{} edits acknowledged ({} before the store came back), {} answered `unavailable` \
         ({} inside the outage window); recovered {:?} after the store was back",
        acked_items.len(),
        before_up,
        errors.len(),
        in_window.len(),
        recovered_after
    );

    // Every acknowledged edit is there, read through the same (recovered) process; anything
    // else there was an edit answered with an error (unknown outcome), never an invention.
    let check = |present: &[String], when: &str| {
        let set: HashSet<&String> = present.iter().collect();
        assert_eq!(set.len(), present.len(), "{when}: an item twice");
        for a in &acked_items {
            assert!(set.contains(a), "{when}: acknowledged item {a} is missing");
        }
        assert!(
            present.len() <= acked_items.len() + errors.len(),
            "{when}: {} items but only {} edits acknowledged and {} failed",
            present.len(),
            acked_items.len(),
            errors.len()
        );
        for p in present {
            assert!(
                p.starts_with('w'),
                "{when}: item {p} was never sent over WebSocket"
            );
        }
    };
    let present = playlist_items(&owner, &playlist).await;
    check(&present, "same process after the outage");

    // The player state written once the store was back, by the same process.
    let reader = segue::storage::open(&config).await.unwrap();
    let user_id = owner.user_id.clone().unwrap();
    wait_until(
        Duration::from_secs(30),
        "the last acknowledged player change stored",
        || {
            let (reader, user_id) = (reader.clone(), user_id.clone());
            async move {
                matches!(reader.players.load(&user_id).await,
                         Ok(Some(r)) if r.version >= seek_version)
            }
        },
    )
    .await;

    // ---- and after Segue itself restarts ----
    srv.kill9();
    let srv = ProcessServer::start(dir.path(), &env).await;
    let mut again = srv.client();
    again.token = owner.token.clone();
    let after = playlist_items(&again, &playlist).await;
    check(&after, "after restarting Segue");
    assert_eq!(
        after.iter().collect::<HashSet<_>>(),
        present.iter().collect::<HashSet<_>>(),
        "the restart changed the playlist"
    );
    let (_ws, welcome) = again.ws("phone").await;
    let p = &welcome["player"];
    assert!(
        p["version"].as_u64().unwrap() >= seek_version,
        "player version {} < last acknowledged {seek_version}",
        p["version"]
    );
    assert_eq!(p["playing"], false);
    assert_eq!(
        p["position_ms"].as_u64().unwrap(),
        seek_pos,
        "the last acknowledged seek"
    );
    assert_eq!(p["context"]["uri"], format!("segue:album:alb-{tag}"));
}
