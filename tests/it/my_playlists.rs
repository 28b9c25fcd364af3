//! Issue 14 item 7 (playlists): how many playlists one user may own, and the paged
//! `GET /v1/me/playlists`.

use crate::common::TestServer;
use serde_json::json;

#[tokio::test]
async fn owned_playlists_are_bounded_per_user() {
    let srv = TestServer::start_with(|c| c.playlist.max_per_user = 2).await;
    let c = srv.client();
    let (ann, bob) = (c.new_user("bann").await, c.new_user("bbob").await);
    let mut ids = vec![];
    for n in 0..2 {
        ids.push(
            ann.post("/v1/playlists", json!({"name": format!("P{n}")}))
                .await
                .expect(201)["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ann.post("/v1/playlists", json!({"name": "one too many"}))
        .await
        .expect_error(409, "conflict");
    assert_eq!(ann.get("/v1/me/playlists").await.expect(200)["total"], 2);
    // Collaborating on someone else's playlist does not count against bob's own.
    let bob_id = bob.user_id.clone().unwrap();
    ann.post(
        &format!("/v1/playlists/{}/collaborators/{bob_id}", ids[0]),
        json!({}),
    )
    .await
    .expect(200);
    for n in 0..2 {
        bob.post("/v1/playlists", json!({"name": format!("B{n}")}))
            .await
            .expect(201);
    }
    // Deleting one makes room again.
    ann.delete(&format!("/v1/playlists/{}", ids[1]))
        .await
        .expect(200);
    ann.post("/v1/playlists", json!({"name": "again"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn parallel_creates_cannot_pass_the_bound_together() {
    let srv = TestServer::start_with(|c| c.playlist.max_per_user = 3).await;
    let ann = srv.client().new_user("rann").await;
    let creates = (0..12).map(|n| {
        let ann = &ann;
        async move {
            ann.post("/v1/playlists", json!({"name": format!("R{n}")}))
                .await
                .status
        }
    });
    let statuses = futures_util::future::join_all(creates).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(ann.get("/v1/me/playlists").await.expect(200)["total"], 3);
}

#[tokio::test]
async fn my_playlists_are_paged() {
    let srv = TestServer::start_with(|c| {
        c.playlist.default_page_limit = 2;
        c.playlist.max_page_limit = 3;
    })
    .await;
    let ann = srv.client().new_user("pann").await;
    for n in 0..5 {
        ann.post("/v1/playlists", json!({"name": format!("P{n}")}))
            .await
            .expect(201);
    }
    let first = ann.get("/v1/me/playlists").await.expect(200);
    assert_eq!(first["total"], 5);
    assert_eq!(first["limit"], 2);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["items"][0]["name"], "P4", "newest first");
    assert_eq!(first["items"][0]["role"], "owner");
    // Following the pages gives every playlist once, in order.
    let mut names = vec![];
    let mut offset = 0;
    loop {
        let page = ann
            .get(&format!("/v1/me/playlists?limit=3&offset={offset}"))
            .await
            .expect(200);
        assert_eq!(page["total"], 5);
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        offset += items.len();
        names.extend(
            items
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(names, ["P4", "P3", "P2", "P1", "P0"]);
    // Past the end: an empty page, not an error.
    for off in [5, 6, i64::MAX as u64] {
        let page = ann
            .get(&format!("/v1/me/playlists?offset={off}"))
            .await
            .expect(200);
        assert_eq!(page["items"], json!([]), "offset {off}");
        assert_eq!(page["total"], 5);
    }
    // Out of bounds or not numbers: 400 bad_request, never a panic.
    for q in [
        "limit=0".to_string(),
        "limit=4".to_string(),
        format!("limit={}", u64::MAX),
        format!("limit={}", u128::MAX),
        "limit=-1".to_string(),
        "limit=abc".to_string(),
        "limit=1.5".to_string(),
        "limit=".to_string(),
        format!("offset={}", u64::MAX),
        format!("offset={}", i64::MAX as u64 + 1),
        "offset=-1".to_string(),
        format!("offset={}", i64::MIN),
        "offset=NaN".to_string(),
        "offset=1e3".to_string(),
    ] {
        ann.get(&format!("/v1/me/playlists?{q}"))
            .await
            .expect_error(400, "bad_request");
    }
    // The server is still healthy.
    assert_eq!(ann.get("/v1/me/playlists").await.expect(200)["total"], 5);
}
