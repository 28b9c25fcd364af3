//! Library and history over real HTTP: liked tracks, saved albums, follows, play events
//! (idempotent, limits), recently played paging, top lists and the popularity fold.

use crate::common::TestServer;
use crate::playlists::seed_tracks;
use serde_json::{json, Value};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn liked_tracks_albums_and_follows() {
    let srv = TestServer::start_with(|c| c.history.max_ids_per_request = 3).await;
    let t = seed_tracks(&srv.state.storage, 4).await;
    let album = srv
        .state
        .storage
        .catalog
        .track(&t[0])
        .await
        .unwrap()
        .unwrap()
        .album_id;
    let artist = srv
        .state
        .storage
        .catalog
        .track(&t[0])
        .await
        .unwrap()
        .unwrap()
        .artist_ids[0]
        .clone();
    let c = srv.client();
    let ann = c.new_user("lib").await;
    // Body and query forms.
    ann.put("/v1/me/tracks", json!({"ids": [t[0], t[1]]}))
        .await
        .expect(200);
    ann.send(
        ann.http
            .put(ann.url(&format!("/v1/me/tracks?ids={}", t[2])))
            .bearer_auth(ann.token()),
    )
    .await
    .expect(200);
    let page = ann.get("/v1/me/tracks?limit=2").await.expect(200);
    assert_eq!(page["total"], 3);
    assert_eq!(ids(&page, "track")[0], t[2], "newest first");
    let next = page["next"].as_str().unwrap().to_string();
    let rest = ann
        .get(&format!("/v1/me/tracks?limit=2&after={next}"))
        .await
        .expect(200);
    let mut all = ids(&page, "track");
    all.extend(ids(&rest, "track"));
    all.sort();
    let mut want = t[..3].to_vec();
    want.sort();
    assert_eq!(all, want, "pages cover everything once");
    let has = ann
        .get(&format!("/v1/me/tracks/contains?ids={},{}", t[0], t[3]))
        .await
        .expect(200);
    assert_eq!(has, json!([true, false]));
    ann.delete_json("/v1/me/tracks", json!({"ids": [t[0]]}))
        .await
        .expect(200);
    assert_eq!(ann.get("/v1/me/tracks").await.expect(200)["total"], 2);
    // Bad input.
    ann.put("/v1/me/tracks", json!({"ids": ["nope"]}))
        .await
        .expect_error(404, "not_found");
    ann.put("/v1/me/tracks", json!({"ids": [t[0], t[1], t[2], t[3]]}))
        .await
        .expect_error(400, "bad_request");
    ann.put("/v1/me/tracks", json!({"idz": [t[0]]}))
        .await
        .expect_error(400, "bad_request");
    ann.get("/v1/me/tracks?after=garbage")
        .await
        .expect_error(400, "bad_request");
    ann.get("/v1/me/tracks?limit=500")
        .await
        .expect_error(400, "bad_request");
    c.get("/v1/me/tracks")
        .await
        .expect_error(401, "unauthorized");
    // Albums.
    ann.put("/v1/me/albums", json!({"ids": [album]}))
        .await
        .expect(200);
    assert_eq!(
        ids(&ann.get("/v1/me/albums").await.expect(200), "album"),
        vec![album.clone()]
    );
    assert_eq!(
        ann.get(&format!("/v1/me/albums/contains?ids={album}"))
            .await
            .expect(200),
        json!([true])
    );
    ann.delete(&format!("/v1/me/albums?ids={album}"))
        .await
        .expect(200);
    assert_eq!(ann.get("/v1/me/albums").await.expect(200)["total"], 0);
    // Follows.
    let bob = c.new_user("libbob").await;
    let bob_id = bob.user_id.clone().unwrap();
    ann.put(&format!("/v1/me/following/artist/{artist}"), json!({}))
        .await
        .expect(200);
    ann.put(&format!("/v1/me/following/user/{bob_id}"), json!({}))
        .await
        .expect(200);
    ann.put("/v1/me/following/artist/nope", json!({}))
        .await
        .expect_error(404, "not_found");
    ann.put("/v1/me/following/planet/x", json!({}))
        .await
        .expect_error(400, "bad_request");
    let me = ann.user_id.clone().unwrap();
    ann.put(&format!("/v1/me/following/user/{me}"), json!({}))
        .await
        .expect_error(400, "bad_request");
    assert_eq!(
        ids(
            &ann.get("/v1/me/following?type=artist").await.expect(200),
            "artist"
        ),
        vec![artist.clone()]
    );
    let users = ann.get("/v1/me/following?type=user").await.expect(200);
    assert_eq!(users["items"][0]["user"]["id"], bob_id.as_str());
    ann.delete(&format!("/v1/me/following/artist/{artist}"))
        .await
        .expect(200);
    assert_eq!(ann.get("/v1/me/following").await.expect(200)["total"], 0);
}

#[tokio::test]
async fn play_events_history_top_and_popularity() {
    let srv = TestServer::start_with(|c| c.history.max_batch_events = 5).await;
    let t = seed_tracks(&srv.state.storage, 3).await;
    let ann = srv.client().new_user("hist").await;
    let now = srv.state.now_ms();
    let ev = |id: &str, tr: &str, at: i64, ms: i64| json!({"event_id": id, "track_id": tr, "played_at_ms": at, "ms_played": ms, "device_id": "phone"});
    let batch = json!({"events": [
        ev("e1", &t[0], now - 5000, 31_000),
        ev("e2", &t[1], now - 4000, 45_000),
        ev("e3", &t[0], now - 3000, 200_000),
        ev("e4", &t[2], now - 2000, 29_999),
        ev("e5", "unknown-track", now - 1000, 40_000),
    ]});
    let r = ann
        .post("/v1/me/player/events", batch.clone())
        .await
        .expect(200);
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(4), Some(0))
    );
    assert_eq!(r["rejected"][0]["event_id"], "e5");
    // The same batch again (an offline device retrying): nothing new.
    let r = ann.post("/v1/me/player/events", batch).await.expect(200);
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(4))
    );
    // Limits and malformed events refuse the whole batch.
    let six: Vec<Value> = (0..6)
        .map(|i| ev(&format!("x{i}"), &t[0], now, 40_000))
        .collect();
    ann.post("/v1/me/player/events", json!({"events": six}))
        .await
        .expect_error(400, "bad_request");
    ann.post(
        "/v1/me/player/events",
        json!({"events": [ev("n1", &t[0], now, -1)]}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.post(
        "/v1/me/player/events",
        json!({"events": [ev("n2", &t[0], now + 86_400_000, 40_000)]}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.post(
        "/v1/me/player/events",
        json!({"events": [ev("d", &t[0], now, 40_000), ev("d", &t[1], now, 40_000)]}),
    )
    .await
    .expect_error(400, "bad_request");
    ann.post(
        "/v1/me/player/events",
        json!({"events": [{"event_id": "z"}]}),
    )
    .await
    .expect_error(400, "bad_request");
    // Recently played: streams only (e4 was under 30 s), newest first, cursor-paged.
    let p1 = ann
        .get("/v1/me/player/recently-played?limit=2")
        .await
        .expect(200);
    let evs: Vec<&str> = p1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(evs, ["e3", "e2"]);
    let next = p1["next"].as_str().unwrap();
    let p2 = ann
        .get(&format!(
            "/v1/me/player/recently-played?limit=2&after={next}"
        ))
        .await
        .expect(200);
    assert_eq!(p2["items"][0]["event_id"], "e1");
    assert_eq!(p2["items"][0]["track"]["id"], t[0].as_str());
    assert!(p2["next"].is_null());
    // Top lists.
    let top = ann.get("/v1/me/top/tracks").await.expect(200);
    assert_eq!(top["items"][0]["track"]["id"], t[0].as_str());
    assert_eq!(top["items"][0]["streams"], 2);
    let artists = ann.get("/v1/me/top/artists").await.expect(200);
    assert_eq!(artists["items"][0]["streams"], 3);
    ann.get("/v1/me/top/albums")
        .await
        .expect_error(404, "not_found");
    // The popularity job's fold: the most streamed track gets 100.
    let n = segue::actors::library::fold_popularity(&srv.state)
        .await
        .unwrap();
    assert!(n >= 2);
    let tr0 = srv
        .state
        .storage
        .catalog
        .track(&t[0])
        .await
        .unwrap()
        .unwrap();
    let tr1 = srv
        .state
        .storage
        .catalog
        .track(&t[1])
        .await
        .unwrap()
        .unwrap();
    assert!(
        tr0.popularity > tr1.popularity && tr1.popularity > 0,
        "{} vs {}",
        tr0.popularity,
        tr1.popularity
    );
    // And the player-facing entry point.
    let out = segue::actors::library::record_plays(
        &srv.state,
        ann.user_id.as_deref().unwrap(),
        vec![serde_json::from_value(ev("p1", &t[2], now, 60_000)).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(out.accepted, 1);
}
