//! `kill -9` of the real server process while REST playlist edits are in flight: every
//! acknowledged edit is there after the restart.

use crate::common::ProcessServer;
use crate::playlists::seed_tracks;
use serde_json::{json, Value};

fn item_ids(body: &Value) -> Vec<String> {
    body["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_string())
        .collect()
}

/// `kill -9` while REST edits are in flight: every acknowledged insert is there after restart.
#[tokio::test]
async fn acknowledged_edits_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let t = {
        let config = segue::config::Config::for_test(dir.path());
        let storage = segue::storage::open(&config).await.unwrap();
        seed_tracks(&storage, 3).await
    };
    let mut srv = ProcessServer::start(dir.path(), &[]).await;
    let ann = srv.client().new_user("crash").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "Crash"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/v1/playlists/{id}/tracks");
    let acked = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let mut tasks = vec![];
    for w in 0..4 {
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
                        let body: Value = resp.json().await.unwrap();
                        acked
                            .lock()
                            .push(body["item_ids"][0].as_str().unwrap().to_string());
                    }
                    _ => break,
                }
            }
        }));
    }
    crate::common::wait_until(
        std::time::Duration::from_secs(30),
        "some edits acknowledged",
        || {
            let n = acked.lock().len();
            async move { n >= 20 }
        },
    )
    .await;
    srv.kill9();
    for task in tasks {
        task.await.unwrap();
    }
    let acked = acked.lock().clone();
    let srv2 = ProcessServer::start(dir.path(), &[]).await;
    let mut ann2 = srv2.client();
    ann2.token = ann.token.clone();
    let got = ann2
        .get(&format!("/v1/playlists/{id}?limit=100"))
        .await
        .expect(200);
    let total = got["items"]["total"].as_u64().unwrap() as usize;
    let mut present = item_ids(&got);
    let mut offset = 100;
    while present.len() < total {
        let page = ann2
            .get(&format!("/v1/playlists/{id}?limit=100&offset={offset}"))
            .await
            .expect(200);
        present.extend(item_ids(&page));
        offset += 100;
    }
    for a in &acked {
        assert!(
            present.contains(a),
            "acknowledged item {a} lost after kill -9"
        );
    }
    assert!(total >= acked.len());
    drop(srv);
}
