//! Account existence and deletion: tokens of accounts that do not exist are refused on REST and
//! on `hello`; `DELETE /v1/me` revokes the tokens, closes live sockets with 4004, and erases the
//! account's data while other users' data stays.

use crate::common::client::Closed;
use crate::common::{TestServer, WsClient};
use crate::playlists::seed_tracks;
use segue::storage::history::PlayEvent;
use segue::storage::library::SavedKind;
use segue::storage::playlists::Role;
use serde_json::json;
use std::time::Duration;

fn hello(token: &str, device: &str) -> serde_json::Value {
    json!({"type": "hello", "id": "h", "token": token, "protocol": 1,
           "device": {"id": device, "name": "x", "kind": "phone"}})
}

/// `hello` with `token` is refused: an `unauthorized` error, then close 4001.
async fn hello_refused(srv: &TestServer, token: &str) {
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello(token, "d-refused")).await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "unauthorized", "{err}");
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4001));
}

#[tokio::test]
async fn tokens_of_accounts_that_do_not_exist_are_refused() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("exists").await;
    // A correctly signed, unexpired token for an id no account has.
    let (ghost_token, _) = srv
        .state
        .tokens
        .issue("no-such-account", srv.state.now_ms());
    let mut ghost = srv.client();
    ghost.token = Some(ghost_token.clone());
    for path in [
        "/v1/me/playlists",
        "/v1/me/player/devices",
        "/v1/me/tracks",
        "/v1/me",
    ] {
        ghost.get(path).await.expect_error(401, "unauthorized");
        ann.get(path).await.expect(200);
    }
    ghost
        .post("/v1/playlists", json!({"name": "ghost list"}))
        .await
        .expect_error(401, "unauthorized");
    hello_refused(&srv, &ghost_token).await;
    // The real account still gets in.
    let (_ws, welcome) = ann.ws("d1").await;
    assert_eq!(welcome["type"], "welcome");
}

#[tokio::test]
async fn delete_me_revokes_tokens_closes_sockets_and_erases_only_that_account() {
    let srv = TestServer::start().await;
    let s = srv.state.storage.clone();
    let tracks = seed_tracks(&s, 2).await;
    let c = srv.client();
    let name = crate::common::unique_name("leaver");
    let ann = c.register(&name).await;
    let bob = c.new_user("stayer").await;
    let ann_id = ann.user_id.clone().unwrap();
    let bob_id = bob.user_id.clone().unwrap();

    // Ann's data: a saved track, a play, a playlist of her own, a collaboration and a follow
    // on Bob's playlists. Bob's: a saved track and his playlists.
    for u in [&ann, &bob] {
        u.put("/v1/me/tracks", json!({"ids": [tracks[0]]}))
            .await
            .expect(200);
    }
    let ev = |user: &str| PlayEvent {
        user_id: user.to_string(),
        event_id: "e1".into(),
        track_id: tracks[1].clone(),
        played_at_ms: srv.state.now_ms() - 60_000,
        ms_played: 40_000,
        device_id: None,
        context_uri: None,
        stream: true,
    };
    s.history
        .record(vec![ev(&ann_id), ev(&bob_id)])
        .await
        .unwrap();
    let ann_list = ann
        .post("/v1/playlists", json!({"name": "mine"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob_shared = bob
        .post(
            "/v1/playlists",
            json!({"name": "shared", "collaborative": true}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob_public = bob
        .post("/v1/playlists", json!({"name": "public", "public": true}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    bob.post(
        &format!("/v1/playlists/{bob_shared}/collaborators/{ann_id}"),
        json!({}),
    )
    .await
    .expect(200);
    ann.put(&format!("/v1/playlists/{bob_public}/followers"), json!({}))
        .await
        .expect(200);

    // Two live devices, and Bob online too.
    let (mut ws1, _) = ann.ws("ann-phone").await;
    let (mut ws2, _) = ann.ws("ann-laptop").await;
    let (mut bob_ws, _) = bob.ws("bob-phone").await;
    crate::common::wait_until(Duration::from_secs(5), "devices stored", || {
        let s = s.clone();
        let ann_id = ann_id.clone();
        async move { s.players.devices(&ann_id).await.unwrap().len() == 2 }
    })
    .await;

    ann.delete("/v1/me").await.expect(200);
    assert_eq!(srv.state.metrics.value("segue_accounts_deleted_total"), 1);

    // Live sockets close with 4004; Bob's stays open.
    assert_eq!(ws1.closed(Duration::from_secs(5)).await, Closed::Code(4004));
    assert_eq!(ws2.closed(Duration::from_secs(5)).await, Closed::Code(4004));
    let pong = bob_ws.request(json!({"type": "time_sync", "t0": 1})).await;
    assert_eq!(pong["type"], "ack", "Bob's socket is untouched: {pong}");

    // The old token is refused everywhere.
    ann.get("/v1/me").await.expect_error(401, "unauthorized");
    ann.get("/v1/me/playlists")
        .await
        .expect_error(401, "unauthorized");
    ann.delete("/v1/me").await.expect_error(401, "unauthorized");
    hello_refused(&srv, ann.token()).await;

    // Ann's data is gone from the storage.
    assert_eq!(s.accounts.by_id(&ann_id).await.unwrap(), None);
    assert!(s
        .library
        .list(&ann_id, SavedKind::Track, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .history
        .recent(&ann_id, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(s.history.top_tracks(&ann_id, 10).await.unwrap().is_empty());
    assert!(s.players.devices(&ann_id).await.unwrap().is_empty());
    // The player actor stopped without storing: give a late write the time to land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.players.load(&ann_id).await.unwrap(), None);
    assert_eq!(s.playlists.get(&ann_list).await.unwrap(), None);
    assert!(s
        .playlists
        .user_playlists(&ann_id)
        .await
        .unwrap()
        .is_empty());
    for (list, role) in [
        (&bob_shared, Role::Collaborator),
        (&bob_public, Role::Follower),
    ] {
        assert!(
            s.playlists
                .roles_of(list, &ann_id)
                .await
                .unwrap()
                .is_empty(),
            "no {role:?} left"
        );
    }

    // Bob's data is untouched.
    assert!(s.accounts.by_id(&bob_id).await.unwrap().is_some());
    assert_eq!(
        s.library
            .list(&bob_id, SavedKind::Track, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.history.recent(&bob_id, None, 10).await.unwrap().len(), 1);
    assert!(s.playlists.get(&bob_shared).await.unwrap().is_some());
    assert!(s.playlists.get(&bob_public).await.unwrap().is_some());
    bob.get("/v1/me/playlists").await.expect(200);

    // The username can be taken again, by a new account with a new id; the old token does
    // not reach it.
    let again = c.register(&name).await;
    assert_ne!(again.user_id, Some(ann_id.clone()));
    again.get("/v1/me").await.expect(200);
    ann.get("/v1/me").await.expect_error(401, "unauthorized");
    assert!(again.get("/v1/me/tracks").await.expect(200)["total"] == 0);
}

#[tokio::test]
async fn existence_answers_are_cached_for_the_configured_ttl() {
    let srv = TestServer::start_with(|c| c.auth.account_cache_ttl_ms = 300).await;
    let ann = srv.client().new_user("cached").await;
    let ann_id = ann.user_id.clone().unwrap();
    ann.get("/v1/me/tracks").await.expect(200);
    // Deleted behind this server's back (as another server of a cluster would): the cached
    // answer holds for the TTL, then the account is refused.
    assert!(srv.state.storage.accounts.delete(&ann_id).await.unwrap());
    ann.get("/v1/me/tracks").await.expect(200);
    tokio::time::sleep(Duration::from_millis(350)).await;
    ann.get("/v1/me/tracks")
        .await
        .expect_error(401, "unauthorized");
}

#[test]
fn account_cache_keys_are_validated() {
    for (key, value) in [
        ("auth.account_cache_size", toml::Value::Integer(0)),
        ("auth.account_cache_ttl_ms", toml::Value::Integer(0)),
    ] {
        let err = segue::config::Config::load(None, Vec::new(), &[(key, value)]).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[tokio::test]
async fn a_deleted_member_leaves_the_group_session_and_a_deleted_host_hands_it_over() {
    let srv = TestServer::start().await;
    let host = crate::sessions::quick_user(&srv, "dhost").await;
    let guest = crate::sessions::quick_user(&srv, "dguest").await;
    let other = crate::sessions::quick_user(&srv, "dother").await;
    let (mut hws, _) = host.ws("host-dev").await;
    let r = hws
        .request(json!({"type": "session_create", "name": "Friday"}))
        .await;
    let code = WsClient::ok(r)["join_code"].as_str().unwrap().to_string();
    let (mut gws, _) = guest.ws("guest-dev").await;
    let (mut ows, _) = other.ws("other-dev").await;
    for ws in [&mut gws, &mut ows] {
        WsClient::ok(
            ws.request(json!({"type": "session_join", "join_code": code}))
                .await,
        );
    }
    let members = |n: usize| {
        move |m: &serde_json::Value| {
            m["type"] == "session_state" && m["members"].as_array().is_some_and(|a| a.len() == n)
        }
    };
    hws.recv_where(members(3)).await;

    // A guest's deletion: the others see two members.
    guest.delete("/v1/me").await.expect(200);
    assert_eq!(gws.closed(Duration::from_secs(5)).await, Closed::Code(4004));
    let st = hws.recv_where(members(2)).await;
    assert!(
        !st.to_string().contains(guest.user_id.as_deref().unwrap()),
        "{st}"
    );

    // The host's deletion: the session passes to the remaining member.
    host.delete("/v1/me").await.expect(200);
    assert_eq!(hws.closed(Duration::from_secs(5)).await, Closed::Code(4004));
    let st = ows.recv_where(members(1)).await;
    assert_eq!(st["host_user_id"], json!(other.user_id), "{st}");
    assert_eq!(
        srv.state
            .sessions
            .session_of(host.user_id.as_deref().unwrap()),
        None
    );
}
