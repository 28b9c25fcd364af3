//! More playlist behaviour on the real server and SQLite: passivation and reload through
//! snapshots and a compacted log, op_id de-duplication across a reopen, invite expiry, and the
//! idempotent demo import.

use crate::common::{wait_until, TestServer};
use crate::playlists::seed_tracks;
use segue::actors::playlist_core::{EditRequest, OpsSource, PlaylistCore};
use segue::domain::playlist::{Limits, Op};
use segue::storage::playlists::PlaylistMeta;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn passivated_playlist_reloads_from_snapshot_and_compacted_log() {
    let srv = TestServer::start_with(|c| {
        c.playlist.passivate_after_ms = 100;
        c.playlist.snapshot_every = 2;
        c.playlist.log_window_versions = 2;
    })
    .await;
    let t = seed_tracks(&srv.state.storage, 7).await;
    let ann = srv.client().new_user("pas").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "P"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (k, tr) in t.iter().enumerate() {
        ann.post(
            &format!("/v1/playlists/{id}/tracks"),
            json!({"track_ids": [tr], "position": 0}),
        )
        .await
        .expect(201);
        if k == 3 {
            ann.put(
                &format!("/v1/playlists/{id}/tracks"),
                json!({"range_start": 0, "insert_before": 4}),
            )
            .await
            .expect(200);
        }
    }
    let before = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(before["version"], 8);
    let state = srv.state.clone();
    wait_until(
        Duration::from_secs(10),
        "the idle playlist actor stops",
        || {
            let n = state.playlists.running();
            async move { n == 0 }
        },
    )
    .await;
    // The log was compacted behind the latest snapshot (v8) and the window (2 versions).
    let log = srv
        .state
        .storage
        .playlists
        .log_after(&id, 0, 100)
        .await
        .unwrap();
    assert!(log.len() <= 2, "log not compacted: {} entries", log.len());
    let after = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(after["items"], before["items"], "reloaded list differs");
    assert_eq!(after["version"], 8);
    let act = ann
        .get(&format!("/v1/playlists/{id}/activity"))
        .await
        .expect(200);
    assert!(act["items"].as_array().unwrap().len() <= 2);
}

#[tokio::test]
async fn op_id_results_survive_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = segue::config::Config::for_test(dir.path());
    let meta = PlaylistMeta {
        id: "pl-reopen".into(),
        owner_id: "o".into(),
        name: "n".into(),
        description: String::new(),
        public: false,
        collaborative: false,
        version: 0,
        item_count: 0,
        created_at_ms: 0,
        updated_at_ms: 0,
    };
    let limits = Limits::default();
    let edit = |op_id: &str| EditRequest {
        author: "o".into(),
        op_id: op_id.into(),
        base_version: Some(0),
        expect_version: None,
        ops: OpsSource::Ops(vec![Op::Insert {
            after_item_id: None,
            track_ids: vec!["t".into()],
            item_ids: None,
        }]),
    };
    let first = {
        let storage = segue::storage::open(&config).await.unwrap();
        storage.playlists.create(meta).await.unwrap();
        let mut core = PlaylistCore::load(storage.playlists.clone(), "pl-reopen", limits, 100)
            .await
            .unwrap()
            .unwrap();
        let mut gen = segue::storage::new_id;
        core.edit(edit("op-1"), 1, &mut gen).await.unwrap().result
    };
    let storage = segue::storage::open(&config).await.unwrap();
    let mut core = PlaylistCore::load(storage.playlists.clone(), "pl-reopen", limits, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(core.doc.len(), 1);
    let mut gen = segue::storage::new_id;
    let again = core.edit(edit("op-1"), 2, &mut gen).await.unwrap();
    assert_eq!(again.result, first);
    assert!(again.entry.is_none(), "a re-sent op_id applies nothing");
    assert_eq!(core.doc.len(), 1);
    core.edit(edit("op-2"), 3, &mut gen).await.unwrap();
    assert_eq!(core.doc.len(), 2);
}

#[tokio::test]
async fn expired_invites_are_refused() {
    let srv = TestServer::start_with(|c| c.playlist.invite_ttl_ms = 1).await;
    let c = srv.client();
    let (own, eve) = (c.new_user("inv").await, c.new_user("inve").await);
    let id = own
        .post("/v1/playlists", json!({"name": "P"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = own
        .post(&format!("/v1/playlists/{id}/invites"), json!({}))
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(Duration::from_millis(5)).await;
    eve.post(&format!("/v1/playlists/invites/{token}/accept"), json!({}))
        .await
        .expect_error(410, "invite_expired");
    eve.get(&format!("/v1/playlists/{id}"))
        .await
        .expect_error(404, "not_found");
}

#[actix_rt::test]
async fn demo_import_is_idempotent() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 3).await;
    let curator = srv.client().new_user("curator").await;
    let cid = curator.user_id.clone().unwrap();
    let lists = vec![
        ("Classics".to_string(), vec![t[0].clone(), t[1].clone()]),
        (
            "Mixed".to_string(),
            vec![t[2].clone(), "gone-track".to_string(), t[0].clone()],
        ),
    ];
    let n = segue::actors::playlist_admin::import_demo_playlists(&srv.state, &cid, lists.clone())
        .await
        .unwrap();
    assert_eq!(n, 2);
    let n = segue::actors::playlist_admin::import_demo_playlists(&srv.state, &cid, lists)
        .await
        .unwrap();
    assert_eq!(n, 0, "running the import again creates nothing");
    let mine = curator.get("/v1/me/playlists").await.expect(200);
    assert_eq!(mine["total"], 2);
    let mixed = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Mixed")
        .unwrap();
    assert_eq!(mixed["public"], true);
    let other = srv.client().new_user("listener").await;
    let got = other
        .get(&format!("/v1/playlists/{}", mixed["id"].as_str().unwrap()))
        .await
        .expect(200);
    let tracks: Vec<&str> = got["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["track_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        tracks,
        [t[2].as_str(), t[0].as_str()],
        "unknown tracks dropped, order kept"
    );
}

#[tokio::test]
async fn rest_edits_with_an_idempotency_key_apply_once() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 3).await;
    let ann = srv.client().new_user("idem").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "Retry"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let send = |key: &'static str| {
        let ann = ann.clone();
        let url = ann.url(&format!("/v1/playlists/{id}/tracks"));
        let body = json!({"track_ids": [t[0], t[1]]});
        async move {
            ann.send(
                ann.http
                    .post(url)
                    .bearer_auth(ann.token())
                    .header("Idempotency-Key", key)
                    .json(&body),
            )
            .await
        }
    };
    let first = send("add-1").await.expect(201);
    let again = send("add-1").await.expect(201);
    assert_eq!(
        first["snapshot_id"], again["snapshot_id"],
        "a retry is not applied twice"
    );
    assert_eq!(
        first["item_ids"], again["item_ids"],
        "a retry names the same items"
    );
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(got["items"]["items"].as_array().unwrap().len(), 2);
    // A new key is a new edit.
    send("add-2").await.expect(201);
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(got["items"]["items"].as_array().unwrap().len(), 4);
    // A key that is not a printable token is refused.
    let long: &'static str = Box::leak("k".repeat(65).into_boxed_str());
    send(long).await.expect_error(400, "bad_request");
}

#[tokio::test]
async fn names_and_descriptions_refuse_control_bidi_and_invisible_text() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("txt").await;
    for name in [
        "a\u{0000}b",
        "\u{202E}abc",
        "ab\u{2066}c",
        "tab\there",
        "\u{200B}\u{FEFF}",
    ] {
        let r = ann
            .post("/v1/playlists", json!({ "name": name }))
            .await
            .expect_error(400, "bad_request");
        assert!(
            !r["message"].as_str().unwrap_or("").contains('\u{0}'),
            "{r}"
        );
    }
    ann.post(
        "/v1/playlists",
        json!({"name": "ok", "description": "x\u{202D}y"}),
    )
    .await
    .expect_error(400, "bad_request");
    // A normal name still works, and is stored trimmed.
    let created = ann
        .post(
            "/v1/playlists",
            json!({"name": "  Road trip  ", "description": "  summer "}),
        )
        .await
        .expect(201);
    assert_eq!(created["name"], "Road trip");
    assert_eq!(created["description"], "summer");
    let id = created["id"].as_str().unwrap().to_string();
    // Renames go through the same rules and leave the stored name alone when refused.
    ann.put(&format!("/v1/playlists/{id}"), json!({"name": "\u{2067}x"}))
        .await
        .expect_error(400, "bad_request");
    ann.put(&format!("/v1/playlists/{id}"), json!({"name": "\u{3164}"}))
        .await
        .expect_error(400, "bad_request");
    ann.put(&format!("/v1/playlists/{id}"), json!({"name": " Renamed "}))
        .await
        .expect(200);
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(got["name"], "Renamed");
}

#[tokio::test]
async fn page_positions_are_list_indexes_for_any_offset() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 3).await;
    let ann = srv.client().new_user("off").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "P"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    ann.post(
        &format!("/v1/playlists/{id}/tracks"),
        json!({ "track_ids": t }),
    )
    .await
    .expect(201);
    let page = ann
        .get(&format!("/v1/playlists/{id}?offset=1&limit=5"))
        .await
        .expect(200);
    let positions: Vec<_> = page["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2]);
    // The largest offset the query accepts is an empty page, not an overflow.
    let max = ann
        .get(&format!("/v1/playlists/{id}?offset={}", usize::MAX))
        .await
        .expect(200);
    assert_eq!(max["items"]["items"], json!([]));
    assert_eq!(max["items"]["total"], 3);
    ann.get(&format!("/v1/playlists/{id}?offset=-1"))
        .await
        .expect_error(400, "bad_request");
}

/// Account display names are shown next to playlists (owner, collaborators), so they follow the
/// same display-text rules as playlist names.
#[tokio::test]
async fn display_names_refuse_control_bidi_and_invisible_text() {
    let srv = TestServer::start().await;
    let username = crate::common::unique_name("dn");
    for dn in ["a\u{0}b", "\u{202E}abc", "\u{200B}\u{200C}"] {
        srv.client()
            .post(
                "/v1/auth/register",
                json!({"username": username, "password": "correct horse battery", "display_name": dn}),
            )
            .await
            .expect_error(400, "bad_request");
    }
    // The same request with a normal display name is accepted, so the refusals above were
    // about the display name.
    let ok = srv
        .client()
        .post(
            "/v1/auth/register",
            json!({"username": username, "password": "correct horse battery", "display_name": " Ann "}),
        )
        .await
        .expect(201);
    assert_eq!(ok["user"]["display_name"], "Ann");
}
