//! Issue 14 item 2: invite links are revocable, single-use by default, expire when their owner
//! says, and stop working for a collaborator who has been removed.

use crate::common::{TestClient, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

async fn playlist(own: &TestClient, public: bool) -> String {
    own.post("/v1/playlists", json!({"name": "Inv", "public": public}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn invite(own: &TestClient, id: &str, body: Value) -> Value {
    own.post(&format!("/v1/playlists/{id}/invites"), body)
        .await
        .expect(201)
}

fn accept_path(inv: &Value) -> String {
    format!(
        "/v1/playlists/invites/{}/accept",
        inv["token"].as_str().unwrap()
    )
}

async fn can_read(c: &TestClient, id: &str) -> bool {
    c.get(&format!("/v1/playlists/{id}")).await.status == 200
}

#[tokio::test]
async fn accept_after_removal_is_refused() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let (own, bob, eve) = (
        c.new_user("rown").await,
        c.new_user("rbob").await,
        c.new_user("reve").await,
    );
    let id = playlist(&own, false).await;
    let inv = invite(&own, &id, json!({"max_uses": 5})).await;
    bob.post(&accept_path(&inv), json!({})).await.expect(200);
    assert!(can_read(&bob, &id).await);
    let bob_id = bob.user_id.clone().unwrap();
    own.delete(&format!("/v1/playlists/{id}/collaborators/{bob_id}"))
        .await
        .expect(200);
    // The link bob used is dead: for him and for anyone it was forwarded to.
    bob.post(&accept_path(&inv), json!({}))
        .await
        .expect_error(404, "not_found");
    assert!(!can_read(&bob, &id).await);
    eve.post(&accept_path(&inv), json!({}))
        .await
        .expect_error(404, "not_found");

    // An invite bob never used still works for others, and leaving on one's own revokes too.
    let other = invite(&own, &id, json!({"max_uses": 2})).await;
    eve.post(&accept_path(&other), json!({})).await.expect(200);
    let eve_id = eve.user_id.clone().unwrap();
    eve.delete(&format!("/v1/playlists/{id}/collaborators/{eve_id}"))
        .await
        .expect(200);
    eve.post(&accept_path(&other), json!({}))
        .await
        .expect_error(404, "not_found");

    // An invite stored before uses were recorded (no creation time): nobody knows who used
    // it, so removing any collaborator revokes it.
    let repo = &srv.state.storage.playlists;
    let legacy = segue::storage::playlists::Invite {
        token: segue::storage::new_id(),
        playlist_id: id.clone(),
        created_by: own.user_id.clone().unwrap(),
        expires_at_ms: srv.state.now_ms() + 3_600_000,
        created_at_ms: None,
        max_uses: None,
        used_by: vec![],
    };
    repo.create_invite(legacy.clone()).await.unwrap();
    let legacy_path = format!("/v1/playlists/invites/{}/accept", legacy.token);
    bob.post(&legacy_path, json!({})).await.expect(200);
    eve.post(&legacy_path, json!({})).await.expect(200);
    own.delete(&format!("/v1/playlists/{id}/collaborators/{bob_id}"))
        .await
        .expect(200);
    bob.post(&legacy_path, json!({}))
        .await
        .expect_error(404, "not_found");
    assert!(!can_read(&bob, &id).await);
    assert!(can_read(&eve, &id).await, "eve was not removed");
}

#[tokio::test]
async fn revoked_invite_is_refused_and_listing_shows_uses() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let (own, bob, eve, zed) = (
        c.new_user("lown").await,
        c.new_user("lbob").await,
        c.new_user("leve").await,
        c.new_user("lzed").await,
    );
    let id = playlist(&own, false).await;
    let invites = format!("/v1/playlists/{id}/invites");
    let inv = invite(&own, &id, json!({"max_uses": 3, "expires_in_s": 600})).await;
    assert_eq!(inv["max_uses"], 3);
    assert_eq!(inv["uses"], 0);
    let created = inv["created_at_ms"].as_i64().unwrap();
    assert_eq!(inv["expires_at_ms"].as_i64().unwrap(), created + 600_000);
    bob.post(&accept_path(&inv), json!({})).await.expect(200);
    eve.post(&accept_path(&inv), json!({})).await.expect(200);
    let list = own.get(&invites).await.expect(200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let item = &items[0];
    assert_eq!(item["id"], inv["id"]);
    assert_eq!(item["uses"], 2);
    assert_eq!(item["max_uses"], 3);
    assert_eq!(item["created_at_ms"], inv["created_at_ms"]);
    assert_eq!(item["expires_at_ms"], inv["expires_at_ms"]);
    let users: Vec<&str> = item["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 2);
    for who in [&bob, &eve] {
        assert!(users.contains(&who.user_id.as_deref().unwrap()), "{item}");
    }
    assert!(item["used_by"][0]["display_name"].is_string(), "{item}");

    // Revoke: 204, then the link is refused and gone from the list; again: 404.
    let one = format!("{invites}/{}", inv["id"].as_str().unwrap());
    own.delete(&one).await.expect(204);
    zed.post(&accept_path(&inv), json!({}))
        .await
        .expect_error(404, "not_found");
    assert!(!can_read(&zed, &id).await);
    assert_eq!(own.get(&invites).await.expect(200)["items"], json!([]));
    own.delete(&one).await.expect_error(404, "not_found");
    own.delete(&format!("{invites}/no-such-invite"))
        .await
        .expect_error(404, "not_found");
    // Those who got in stay in: revoking a link is not removing people.
    assert!(can_read(&bob, &id).await);
}

#[tokio::test]
async fn single_use_by_default_and_bounds_of_the_body() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let (own, bob, eve) = (
        c.new_user("sown").await,
        c.new_user("sbob").await,
        c.new_user("seve").await,
    );
    let id = playlist(&own, false).await;
    // The web player sends `{}`; an empty body is the same.
    let inv = invite(&own, &id, json!({})).await;
    assert_eq!(inv["max_uses"], 1);
    let raw = own
        .post_raw(
            &format!("/v1/playlists/{id}/invites"),
            "application/json",
            vec![],
        )
        .await
        .expect(201);
    assert_eq!(raw["max_uses"], 1);
    bob.post(&accept_path(&inv), json!({})).await.expect(200);
    // Bob again: he used it already, nothing more is taken.
    bob.post(&accept_path(&inv), json!({})).await.expect(200);
    eve.post(&accept_path(&inv), json!({}))
        .await
        .expect_error(410, "invite_expired");
    assert!(!can_read(&eve, &id).await);
    // The owner opening their own link takes no use, nor does someone already in.
    let fresh = invite(&own, &id, json!({})).await;
    own.post(&accept_path(&fresh), json!({})).await.expect(200);
    let again = bob.post(&accept_path(&fresh), json!({})).await.expect(200);
    assert_eq!(again["role"], "collaborator");
    eve.post(&accept_path(&fresh), json!({})).await.expect(200);
    let list = own
        .get(&format!("/v1/playlists/{id}/invites"))
        .await
        .expect(200);
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == fresh["id"])
        .cloned()
        .unwrap();
    assert_eq!(listed["uses"], 1, "{listed}");
    assert_eq!(
        listed["used_by"][0]["user_id"],
        eve.user_id.clone().unwrap().as_str()
    );

    let path = format!("/v1/playlists/{id}/invites");
    let max_s = srv.config().playlist.invite_max_ttl_ms / 1000;
    let max_uses = srv.config().playlist.invite_max_uses;
    for body in [
        json!({"max_uses": 0}),
        json!({"max_uses": max_uses + 1}),
        json!({"max_uses": u64::MAX}),
        json!({"max_uses": -1}),
        json!({"max_uses": "2"}),
        json!({"max_uses": 1.5}),
        json!({"expires_in_s": 0}),
        json!({"expires_in_s": max_s + 1}),
        json!({"expires_in_s": u64::MAX}),
        json!({"expires_in_s": i64::MIN}),
        json!({"expires_in_s": "soon"}),
        json!({"uses": 2}),
    ] {
        own.post(&path, body.clone())
            .await
            .expect_error(400, "bad_request");
    }
    let longest = invite(
        &own,
        &id,
        json!({"expires_in_s": max_s, "max_uses": max_uses}),
    )
    .await;
    assert_eq!(longest["max_uses"], max_uses);
}

#[tokio::test]
async fn expired_invites_are_refused_and_not_listed() {
    let srv = TestServer::start_with(|c| c.playlist.invite_ttl_ms = 1).await;
    let c = srv.client();
    let (own, eve) = (c.new_user("eown").await, c.new_user("eeve").await);
    let id = playlist(&own, false).await;
    let inv = invite(&own, &id, json!({})).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    eve.post(&accept_path(&inv), json!({}))
        .await
        .expect_error(410, "invite_expired");
    assert!(!can_read(&eve, &id).await);
    let list = own
        .get(&format!("/v1/playlists/{id}/invites"))
        .await
        .expect(200);
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn only_the_owner_lists_and_revokes() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let (own, bob, eve) = (
        c.new_user("oown").await,
        c.new_user("obob").await,
        c.new_user("oeve").await,
    );
    let id = playlist(&own, false).await;
    let inv = invite(&own, &id, json!({"max_uses": 2})).await;
    let list = format!("/v1/playlists/{id}/invites");
    let one = format!("{list}/{}", inv["id"].as_str().unwrap());
    // A stranger: the private playlist does not exist for them.
    eve.get(&list).await.expect_error(404, "not_found");
    eve.delete(&one).await.expect_error(404, "not_found");
    // A collaborator may read the playlist but not manage its links.
    bob.post(&accept_path(&inv), json!({})).await.expect(200);
    bob.get(&list).await.expect_error(403, "forbidden");
    bob.delete(&one).await.expect_error(403, "forbidden");
    bob.post(&list, json!({}))
        .await
        .expect_error(403, "forbidden");
    // Public: strangers read it, still may not manage links.
    own.put(&format!("/v1/playlists/{id}"), json!({"public": true}))
        .await
        .expect(200);
    eve.get(&list).await.expect_error(403, "forbidden");
    eve.delete(&one).await.expect_error(403, "forbidden");
    // The invite is untouched by all that.
    let items = own.get(&list).await.expect(200)["items"].clone();
    assert_eq!(items[0]["uses"], 1, "{items}");
}
