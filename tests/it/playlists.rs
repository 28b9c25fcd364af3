//! Playlists over real HTTP: every endpoint, bad input, permissions, stale snapshot_id, REST
//! edits reaching a subscriber of the playlist's actor, and `kill -9` during edits.

use crate::common::TestServer;
use segue::storage::{Album, Artist, Storage, Track};
use serde_json::{json, Value};

/// Puts an artist, an album and `n` tracks in the catalog; returns the track ids.
pub async fn seed_tracks(storage: &Storage, n: usize) -> Vec<String> {
    let tag = segue::storage::new_id();
    let artist = Artist {
        id: format!("ar-{tag}"),
        name: "Artist".into(),
        genres: vec![],
        popularity: 0,
    };
    let album = Album {
        id: format!("al-{tag}"),
        title: "Album".into(),
        artist_ids: vec![artist.id.clone()],
        release_date: "2000".into(),
        year: Some(2000),
        genre: None,
        popularity: 0,
        color: None,
    };
    let tracks: Vec<Track> = (0..n)
        .map(|i| Track {
            id: format!("tr-{tag}-{i}"),
            title: format!("Song {i}"),
            album_id: album.id.clone(),
            artist_ids: vec![artist.id.clone()],
            track_number: i as u32 + 1,
            disc_number: 1,
            duration_ms: 200_000,
            genre: None,
            year: Some(2000),
            explicit: false,
            popularity: 0,
            isrc: None,
            audio: None,
        })
        .collect();
    storage.catalog.upsert_artists(vec![artist]).await.unwrap();
    storage.catalog.upsert_albums(vec![album]).await.unwrap();
    storage.catalog.upsert_tracks(tracks.clone()).await.unwrap();
    tracks.into_iter().map(|t| t.id).collect()
}

fn track_ids(body: &Value) -> Vec<String> {
    body["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["track_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_edit_move_remove_with_snapshot_ids() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 4).await;
    let ann = srv.client().new_user("ann").await;
    let p = ann
        .post(
            "/v1/playlists",
            json!({"name": "Road trip", "description": "go"}),
        )
        .await
        .expect(201);
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["snapshot_id"], "0");
    assert_eq!(p["public"], false);
    let url = format!("/v1/playlists/{id}/tracks");
    // Same track twice: two items.
    let a = ann
        .post(&url, json!({"track_ids": [t[0], t[1], t[0]]}))
        .await
        .expect(201);
    assert_eq!(a["snapshot_id"], "1");
    let ins = a["item_ids"].as_array().unwrap().clone();
    ann.post(&url, json!({"track_ids": [t[2]], "position": 1}))
        .await
        .expect(201);
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(
        track_ids(&got).iter().collect::<Vec<_>>(),
        [&t[0], &t[2], &t[1], &t[0]]
    );
    assert_eq!(got["items"]["items"][0]["track"]["title"], "Song 0");
    assert_eq!(got["snapshot_id"], "2");
    // Remove one copy of t0: the other stays.
    let r = ann
        .delete_json(&url, json!({"items": [{"item_id": ins[2]}]}))
        .await
        .expect(200);
    assert_eq!(r["snapshot_id"], "3");
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(
        track_ids(&got).iter().collect::<Vec<_>>(),
        [&t[0], &t[2], &t[1]]
    );
    // Removing it again is skipped, not an error.
    let r = ann
        .delete_json(&url, json!({"items": [{"item_id": ins[2]}]}))
        .await
        .expect(200);
    assert_eq!(r["skipped"].as_array().unwrap().len(), 1);
    // Move the first item before index 3 (to the end), with the current snapshot_id.
    let m = ann
        .put(
            &url,
            json!({"range_start": 0, "insert_before": 3, "snapshot_id": "3"}),
        )
        .await
        .expect(200);
    assert_eq!(m["snapshot_id"], "4");
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(
        track_ids(&got).iter().collect::<Vec<_>>(),
        [&t[2], &t[1], &t[0]]
    );
    // A range of two to the front.
    ann.put(
        &url,
        json!({"range_start": 1, "range_length": 2, "insert_before": 0}),
    )
    .await
    .expect(200);
    let got = ann
        .get(&format!("/v1/playlists/{id}?limit=2&offset=1"))
        .await
        .expect(200);
    assert_eq!(track_ids(&got).iter().collect::<Vec<_>>(), [&t[0], &t[2]]);
    assert_eq!(got["items"]["total"], 3);
    // Stale snapshot_id: 409, nothing changes.
    ann.put(
        &url,
        json!({"range_start": 0, "insert_before": 2, "snapshot_id": "3"}),
    )
    .await
    .expect_error(409, "conflict");
    ann.post(&url, json!({"track_ids": [t[3]], "snapshot_id": 1}))
        .await
        .expect_error(409, "conflict");
    let again = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(again["snapshot_id"], "5");
    // Details.
    let d = ann
        .put(
            &format!("/v1/playlists/{id}"),
            json!({"name": "Night drive", "public": true}),
        )
        .await
        .expect(200);
    assert_eq!(
        (d["name"].as_str(), d["public"].as_bool()),
        (Some("Night drive"), Some(true))
    );
    // Activity: who did what, newest first.
    let act = ann
        .get(&format!("/v1/playlists/{id}/activity?limit=50"))
        .await
        .expect(200);
    let items = act["items"].as_array().unwrap();
    assert_eq!(items[0]["ops"][0]["op"], "rename");
    assert_eq!(items.last().unwrap()["ops"][0]["op"], "insert");
    assert!(items
        .iter()
        .all(|i| i["user_id"] == ann.user_id.clone().unwrap().as_str()));
    // Mine, then delete.
    let mine = ann.get("/v1/me/playlists").await.expect(200);
    assert_eq!(mine["items"][0]["id"], id.as_str());
    assert_eq!(mine["items"][0]["role"], "owner");
    ann.delete(&format!("/v1/playlists/{id}")).await.expect(200);
    ann.get(&format!("/v1/playlists/{id}"))
        .await
        .expect_error(404, "not_found");
    ann.post(&url, json!({"track_ids": [t[0]]}))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let srv = TestServer::start_with(|c| {
        c.playlist.max_items = 3;
        c.playlist.max_ops_per_edit = 2;
    })
    .await;
    let t = seed_tracks(&srv.state.storage, 4).await;
    let ann = srv.client().new_user("bad").await;
    ann.post("/v1/playlists", json!({"name": ""}))
        .await
        .expect_error(400, "bad_request");
    ann.post("/v1/playlists", json!({"name": "x".repeat(101)}))
        .await
        .expect_error(400, "bad_request");
    ann.post("/v1/playlists", json!({"nme": "typo"}))
        .await
        .expect_error(400, "bad_request");
    srv.client()
        .post("/v1/playlists", json!({"name": "anon"}))
        .await
        .expect_error(401, "unauthorized");
    let id = ann
        .post("/v1/playlists", json!({"name": "Ok"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/v1/playlists/{id}/tracks");
    ann.post(&url, json!({"track_ids": []}))
        .await
        .expect_error(400, "bad_request");
    ann.post(&url, json!({"track_ids": ["no-such-track"]}))
        .await
        .expect_error(400, "bad_request");
    ann.post(&url, json!({"track_ids": [t[0]], "position": 5}))
        .await
        .expect_error(400, "bad_request");
    ann.post(&url, json!({"track_ids": [t[0], t[1], t[2], t[3]]}))
        .await
        .expect_error(400, "bad_request");
    ann.post(&url, json!({"track_ids": [t[0], t[1]]}))
        .await
        .expect(201);
    // Over max_items in total.
    ann.post(&url, json!({"track_ids": [t[2], t[3]]}))
        .await
        .expect_error(400, "bad_request");
    // Over max_ops_per_edit.
    ann.delete_json(
        &url,
        json!({"items": [{"item_id": "a"}, {"item_id": "b"}, {"item_id": "c"}]}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.put(&url, json!({"range_start": 5, "insert_before": 0}))
        .await
        .expect_error(400, "bad_request");
    ann.put(&url, json!({"range_start": 0, "insert_before": 9}))
        .await
        .expect_error(400, "bad_request");
    ann.put(
        &url,
        json!({"range_start": 0, "range_length": 0, "insert_before": 1}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.put(
        &url,
        json!({"range_start": 0, "insert_before": 1, "snapshot_id": "abc"}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.get(&format!("/v1/playlists/{id}?limit=0"))
        .await
        .expect_error(400, "bad_request");
    ann.get("/v1/playlists/does-not-exist")
        .await
        .expect_error(404, "not_found");
    let got = ann.get(&format!("/v1/playlists/{id}")).await.expect(200);
    assert_eq!(track_ids(&got).iter().collect::<Vec<_>>(), [&t[0], &t[1]]);
    assert_eq!(
        got["snapshot_id"], "1",
        "refused requests left no version behind"
    );
}

#[tokio::test]
async fn permissions_collaborators_invites_followers() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 2).await;
    let c = srv.client();
    let (own, bob, eve) = (
        c.new_user("own").await,
        c.new_user("bob").await,
        c.new_user("eve").await,
    );
    let id = own
        .post("/v1/playlists", json!({"name": "Secret"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = format!("/v1/playlists/{id}");
    let tracks = format!("{p}/tracks");
    // Private: does not exist for others.
    bob.get(&p).await.expect_error(404, "not_found");
    bob.post(&tracks, json!({"track_ids": [t[0]]}))
        .await
        .expect_error(404, "not_found");
    bob.put(&format!("{p}/followers"), json!({}))
        .await
        .expect_error(404, "not_found");
    // Public: readable, not editable.
    own.put(&p, json!({"public": true})).await.expect(200);
    bob.get(&p).await.expect(200);
    bob.post(&tracks, json!({"track_ids": [t[0]]}))
        .await
        .expect_error(403, "forbidden");
    bob.put(&p, json!({"name": "mine now"}))
        .await
        .expect_error(403, "forbidden");
    bob.delete(&p).await.expect_error(403, "forbidden");
    bob.post(&format!("{p}/invites"), json!({}))
        .await
        .expect_error(403, "forbidden");
    // Owner adds bob: he edits, but may not change flags or delete.
    let bob_id = bob.user_id.clone().unwrap();
    own.post(&format!("{p}/collaborators/{bob_id}"), json!({}))
        .await
        .expect(200);
    own.post(&format!("{p}/collaborators/nobody"), json!({}))
        .await
        .expect_error(404, "not_found");
    bob.post(&tracks, json!({"track_ids": [t[0]]}))
        .await
        .expect(201);
    bob.put(&p, json!({"public": false}))
        .await
        .expect_error(403, "forbidden");
    bob.delete(&p).await.expect_error(403, "forbidden");
    let list = bob.get(&format!("{p}/collaborators")).await.expect(200);
    assert_eq!(list["items"][0]["user_id"], bob_id.as_str());
    assert_eq!(
        bob.get("/v1/me/playlists").await.expect(200)["items"][0]["role"],
        "collaborator"
    );
    // Invite link for eve.
    let inv = own
        .post(&format!("{p}/invites"), json!({}))
        .await
        .expect(201);
    let token = inv["token"].as_str().unwrap();
    assert!(inv["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v1/playlists/invites/{token}/accept")));
    eve.post(&tracks, json!({"track_ids": [t[1]]}))
        .await
        .expect_error(403, "forbidden");
    eve.post("/v1/playlists/invites/not-a-token/accept", json!({}))
        .await
        .expect_error(404, "not_found");
    let acc = eve
        .post(&format!("/v1/playlists/invites/{token}/accept"), json!({}))
        .await
        .expect(200);
    assert_eq!(acc["role"], "collaborator");
    eve.post(&tracks, json!({"track_ids": [t[1]]}))
        .await
        .expect(201);
    // Followers.
    let carl = c.new_user("carl").await;
    carl.put(&format!("{p}/followers"), json!({}))
        .await
        .expect(200);
    assert_eq!(carl.get(&p).await.expect(200)["followers"], 1);
    assert_eq!(
        carl.get("/v1/me/playlists").await.expect(200)["items"][0]["role"],
        "follower"
    );
    // Going private hides it from the follower, and removing bob stops his edits.
    own.put(&p, json!({"public": false})).await.expect(200);
    carl.get(&p).await.expect_error(404, "not_found");
    assert_eq!(carl.get("/v1/me/playlists").await.expect(200)["total"], 0);
    own.delete(&format!("{p}/collaborators/{bob_id}"))
        .await
        .expect(200);
    bob.post(&tracks, json!({"track_ids": [t[0]]}))
        .await
        .expect_error(404, "not_found");
    // A collaborator may leave on their own; not remove others.
    let eve_id = eve.user_id.clone().unwrap();
    eve.delete(&format!(
        "{p}/collaborators/{}",
        own.user_id.clone().unwrap()
    ))
    .await
    .expect_error(403, "forbidden");
    eve.delete(&format!("{p}/collaborators/{eve_id}"))
        .await
        .expect(200);
    eve.get(&p).await.expect_error(404, "not_found");
    let got = own.get(&p).await.expect(200);
    assert_eq!(track_ids(&got).iter().collect::<Vec<_>>(), [&t[0], &t[1]]);
    assert_eq!(got["items"]["items"][0]["added_by"], bob_id.as_str());
}

/// A REST edit reaches a subscriber of the playlist's actor as `playlist_ops`, and
/// `context_tracks` gives the order the player would play.
#[actix_rt::test]
async fn rest_edits_reach_actor_subscribers() {
    use segue::actors::playlist::Subscribe;
    use segue::http::outbox::{Next, Outbox};
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 3).await;
    let ann = srv.client().new_user("sub").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "Live"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let outbox = std::sync::Arc::new(Outbox::new(16));
    let snap = srv
        .state
        .playlists
        .send(
            &id,
            Subscribe {
                conn_id: 777,
                user_id: std::sync::Arc::from(ann.user_id.clone().unwrap().as_str()),
                outbox: outbox.clone(),
                since_version: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(snap["version"], 0);
    let added = ann
        .post(
            &format!("/v1/playlists/{id}/tracks"),
            json!({"track_ids": [t[0], t[1]]}),
        )
        .await
        .expect(201);
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), outbox.next())
        .await
        .unwrap();
    let Next::Frame(bytes) = frame else {
        panic!("outbox closed")
    };
    let ev: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(ev["type"], "playlist_ops");
    assert_eq!(ev["version"], 1);
    assert_eq!(ev["ops"][0]["op"], "insert");
    assert_eq!(ev["ops"][0]["item_ids"], added["item_ids"]);
    assert_eq!(ev["author"], ann.user_id.clone().unwrap().as_str());
    // Catch-up from version 0 returns the op instead of a snapshot.
    let other = std::sync::Arc::new(Outbox::new(16));
    let up = srv
        .state
        .playlists
        .send(
            &id,
            Subscribe {
                conn_id: 778,
                user_id: std::sync::Arc::from(ann.user_id.clone().unwrap().as_str()),
                outbox: other,
                since_version: Some(0),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(up["ops"][0]["version"], 1);
    let order = segue::actors::playlist_ws::context_tracks(
        &srv.state,
        ann.user_id.as_deref().unwrap(),
        &id,
    )
    .await
    .unwrap();
    assert_eq!(order, [t[0].clone(), t[1].clone()]);
    assert!(
        segue::actors::playlist_ws::context_tracks(&srv.state, "stranger", &id)
            .await
            .is_err()
    );
}
