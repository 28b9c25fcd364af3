//! Group sessions over real WebSockets: lifecycle, permissions, capacity, join codes, shared
//! player with scheduled starts, persistence, and fan-out.

use crate::common::{TestClient, TestServer, WsClient};
use crate::player_fixture::seed_album;
use serde_json::{json, Value};
use std::time::Duration;

/// A user created directly in storage with a minted token (no password hashing: fast enough
/// to create hundreds).
pub async fn quick_user(srv: &TestServer, name: &str) -> TestClient {
    quick_user_of_tier(srv, name, segue::storage::Tier::Premium).await
}

/// `quick_user` on a chosen tier.
pub async fn quick_user_of_tier(
    srv: &TestServer,
    name: &str,
    tier: segue::storage::Tier,
) -> TestClient {
    let id = segue::storage::new_id();
    srv.state
        .storage
        .accounts
        .create(segue::storage::Account {
            id: id.clone(),
            username: crate::common::unique_name(name).to_lowercase(),
            display_name: name.to_string(),
            password_hash: String::new(),
            tier,
            created_at_ms: 0,
        })
        .await
        .unwrap();
    let (token, _) = srv.state.tokens.issue(&id, srv.state.now_ms());
    let mut c = srv.client();
    c.token = Some(token);
    c.user_id = Some(id);
    c
}

fn ok(v: Value) -> Value {
    WsClient::ok(v)
}

async fn state_with(ws: &mut WsClient, pred: impl Fn(&Value) -> bool) -> Value {
    ws.recv_where(|m| m["type"] == "player_state" && pred(m))
        .await
}

async fn roster_with(ws: &mut WsClient, pred: impl Fn(&Value) -> bool) -> Value {
    ws.recv_where(|m| m["type"] == "session_state" && pred(m))
        .await
}

/// A host with a session and the join code.
async fn host_session(srv: &TestServer, name: &str) -> (TestClient, WsClient, String) {
    let host = quick_user(srv, name).await;
    let (mut ws, _) = host.ws(&format!("{name}-dev")).await;
    let r = ok(ws
        .request(json!({"type": "session_create", "name": "Friday"}))
        .await);
    let code = r["join_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(r["session"]["host_user_id"], json!(host.user_id));
    (host, ws, code)
}

#[tokio::test]
async fn lifecycle_join_promote_kick_host_leaves_end() {
    let srv = TestServer::start().await;
    let (host, mut hws, code) = host_session(&srv, "host").await;
    let a = quick_user(&srv, "ann").await;
    let b = quick_user(&srv, "bob").await;
    let (mut aws, _) = a.ws("ann-dev").await;
    let (mut bws, _) = b.ws("bob-dev").await;
    let r = ok(aws
        .request(json!({"type": "session_join", "join_code": code.to_lowercase()}))
        .await);
    assert_eq!(r["session"]["members"].as_array().unwrap().len(), 2);
    ok(bws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    let st = roster_with(&mut hws, |m| {
        m["members"].as_array().is_some_and(|a| a.len() == 3)
    })
    .await;
    assert_eq!(st["members"][2]["role"], "guest");
    // Only the host manages the session.
    let e = aws
        .request(json!({"type": "session_kick", "user_id": b.user_id}))
        .await;
    assert_eq!(e["code"], "forbidden");
    // Promote Ann, then the old host is a guest.
    ok(hws
        .request(json!({"type": "session_promote", "user_id": a.user_id}))
        .await);
    roster_with(&mut bws, |m| m["host_user_id"] == json!(a.user_id)).await;
    // Ann kicks the old host; he is told, and the others see two members.
    ok(aws
        .request(json!({"type": "session_kick", "user_id": host.user_id}))
        .await);
    let gone = roster_with(&mut hws, |m| m["active"] == false).await;
    assert_eq!(gone["reason"], "kicked");
    roster_with(&mut bws, |m| {
        m["members"].as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    // Host (Ann) leaves: the longest-present member (Bob) becomes host.
    ok(aws.request(json!({"type": "session_leave"})).await);
    roster_with(&mut bws, |m| m["host_user_id"] == json!(b.user_id)).await;
    // The last member ends it.
    ok(bws.request(json!({"type": "session_end"})).await);
    let end = roster_with(&mut bws, |m| m["active"] == false).await;
    assert_eq!(end["reason"], "ended");
    let e = bws.request(json!({"type": "session_leave"})).await;
    assert_eq!(e["code"], "not_found");
    // The code no longer works.
    let e = aws
        .request(json!({"type": "session_join", "join_code": code}))
        .await;
    assert_eq!(e["code"], "not_found");
}

/// Hosting a session needs Premium; a free account is refused (and left outside any session)
/// but may join one with a code.
#[tokio::test]
async fn hosting_needs_premium_but_free_users_may_join() {
    let srv = TestServer::start().await;
    // Registered accounts start on the free tier.
    let free = srv.client().new_user("freebie").await;
    let (mut fws, _) = free.ws("free-dev").await;
    let e = fws
        .request(json!({"type": "session_create", "name": "Mine"}))
        .await;
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(e["code"], "premium_required", "{e}");
    assert_eq!(
        segue::error::ErrorCode::PremiumRequired.http_status(),
        403,
        "the same code over REST is 403"
    );
    let e = fws.request(json!({"type": "session_leave"})).await;
    assert_eq!(e["code"], "not_found", "the refused create made no session");
    let (_host, mut hws, code) = host_session(&srv, "prem").await;
    let r = ok(fws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    assert_eq!(r["session"]["members"].as_array().map(Vec::len), Some(2));
    roster_with(&mut hws, |m| {
        m["members"].as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
}

#[tokio::test]
async fn permissions_capacity_and_bad_codes() {
    let srv = TestServer::start_with(|c| {
        c.session.capacity = 2;
        c.session.join_attempts_per_minute = 4;
    })
    .await;
    let tracks = seed_album(&srv.state.storage, "perm", 3, 200_000).await;
    let (_host, mut hws, code) = host_session(&srv, "h").await;
    let g = quick_user(&srv, "g").await;
    let (mut gws, _) = g.ws("g-dev").await;
    ok(gws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    ok(hws.request(json!({"type": "session_settings", "guests_can_control": false, "guests_can_add": false})).await);
    let e = gws
        .request(json!({"type": "play", "track_ids": [tracks[0]]}))
        .await;
    assert_eq!(e["code"], "forbidden", "{e}");
    let e = gws
        .request(json!({"type": "queue_add", "track_ids": [tracks[1]]}))
        .await;
    assert_eq!(e["code"], "forbidden", "{e}");
    let e = gws
        .request(json!({"type": "session_settings", "guests_can_control": true}))
        .await;
    assert_eq!(e["code"], "forbidden");
    ok(hws
        .request(json!({"type": "session_settings", "guests_can_add": true}))
        .await);
    ok(gws
        .request(json!({"type": "queue_add", "track_ids": [tracks[1]]}))
        .await);
    // Capacity 2: a third member is refused.
    let x = quick_user(&srv, "x").await;
    let (mut xws, _) = x.ws("x-dev").await;
    let e = xws
        .request(json!({"type": "session_join", "join_code": code}))
        .await;
    assert_eq!(e["code"], "forbidden", "{e}");
    assert!(e["message"].as_str().unwrap().contains("full"));
    // Bad codes, missing fields, then the per-user join rate limit.
    let e = xws
        .request(json!({"type": "session_join", "join_code": "ZZZZZZZZ"}))
        .await;
    assert_eq!(e["code"], "not_found");
    let e = xws
        .request(json!({"type": "session_join", "join_code": "0OIL"}))
        .await;
    assert_eq!(e["code"], "not_found");
    let e = xws
        .request(json!({"type": "session_join", "join_code": 12}))
        .await;
    assert_eq!(e["code"], "bad_request");
    let e = xws
        .request(json!({"type": "session_join", "join_code": "YYYYYYYY"}))
        .await;
    assert_eq!(e["code"], "not_found");
    let e = xws
        .request(json!({"type": "session_join", "join_code": "ZZZZZZZZ"}))
        .await;
    assert_eq!(e["code"], "rate_limited", "{e}");
    // Not in a session.
    let e = xws.request(json!({"type": "session_leave"})).await;
    assert_eq!(e["code"], "not_found");
}

#[tokio::test]
async fn shared_player_schedules_starts_and_attributes_queue() {
    let srv = TestServer::start().await;
    let tracks = seed_album(&srv.state.storage, "shared", 4, 200_000).await;
    let (host, mut hws, code) = host_session(&srv, "dj").await;
    let g = quick_user(&srv, "guest").await;
    let (mut gws, _) = g.ws("guest-dev").await;
    ok(gws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    let before = srv.state.now_ms();
    ok(hws
        .request(json!({"type": "play", "context_uri": "segue:album:alb-shared"}))
        .await);
    let st = state_with(&mut gws, |m| m["playing"] == true).await;
    let start = st["start_at_ms"]
        .as_i64()
        .expect("start_at_ms in a session");
    let lead = srv.config().session.lead_floor_ms;
    assert!(
        start >= before + lead,
        "start {start} must be at least the floor ahead"
    );
    assert!(start <= before + srv.config().session.lead_cap_ms + 1000);
    assert_eq!(st["position_at_ms"], st["start_at_ms"]);
    assert_eq!(st["item"]["track_id"], json!(tracks[0]));
    // The guest queues an item: everyone sees who added it.
    let r = ok(gws
        .request(json!({"type": "queue_add", "track_ids": [tracks[3]]}))
        .await);
    let item = r["item_ids"][0].clone();
    let st = state_with(&mut hws, |m| {
        m["queue"].as_array().is_some_and(|q| !q.is_empty())
    })
    .await;
    assert_eq!(st["queue"][0]["item_id"], item);
    assert_eq!(st["queue"][0]["added_by"], json!(g.user_id));
    // Guests control by default: a guest skips; the host's device follows.
    ok(gws.request(json!({"type": "next"})).await);
    let st = state_with(&mut hws, |m| m["item"]["item_id"] == item).await;
    assert!(st["start_at_ms"].as_i64().unwrap() > st["position_at_ms"].as_i64().unwrap() - 1);
    // Transfer makes no sense in a session.
    let e = hws
        .request(json!({"type": "transfer", "device_id": "x"}))
        .await;
    assert_eq!(e["code"], "bad_request");
    // REST sees the shared player too.
    let p = host.get("/v1/me/player").await.expect(200);
    assert_eq!(p["item"]["item_id"], item);
}

#[tokio::test]
async fn late_joiner_gets_live_timeline_and_leaving_never_pauses_others() {
    let srv = TestServer::start().await;
    seed_album(&srv.state.storage, "late", 2, 300_000).await;
    let (_h, mut hws, code) = host_session(&srv, "early").await;
    let a = quick_user(&srv, "a").await;
    let (mut aws, _) = a.ws("a-dev").await;
    ok(aws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    ok(hws
        .request(json!({"type": "play", "context_uri": "segue:album:alb-late"}))
        .await);
    let first = state_with(&mut aws, |m| m["playing"] == true).await;
    let v = first["version"].as_u64();
    ok(aws.request(json!({"type": "session_leave"})).await);
    // The host is still playing: no newer paused state arrives.
    let paused = hws
        .recv_where_within(Duration::from_millis(500), |m| {
            m["type"] == "player_state" && m["playing"] == false && m["version"].as_u64() > v
        })
        .await;
    assert!(
        paused.is_none(),
        "a member leaving paused the session: {paused:?}"
    );
    let late = quick_user(&srv, "late").await;
    let (mut lws, _) = late.ws("late-dev").await;
    let r = ok(lws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    assert_eq!(r["player"]["playing"], true);
    assert_eq!(r["player"]["version"], first["version"]);
    assert_eq!(
        r["player"]["start_at_ms"], first["start_at_ms"],
        "same timeline"
    );
}

#[tokio::test]
async fn own_player_comes_back_when_the_session_ends() {
    let srv = TestServer::start().await;
    let tracks = seed_album(&srv.state.storage, "own", 3, 300_000).await;
    let (_h, mut hws, code) = host_session(&srv, "owner").await;
    let g = quick_user(&srv, "solo").await;
    let (mut gws, _) = g.ws("solo-dev").await;
    // The guest was listening to their own track before joining.
    ok(gws
        .request(json!({"type": "play", "track_ids": [tracks[2]]}))
        .await);
    state_with(&mut gws, |m| {
        m["playing"] == true && m["item"]["track_id"] == json!(tracks[2])
    })
    .await;
    ok(gws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    ok(hws
        .request(json!({"type": "play", "track_ids": [tracks[0]]}))
        .await);
    state_with(&mut gws, |m| m["item"]["track_id"] == json!(tracks[0])).await;
    ok(hws.request(json!({"type": "session_end"})).await);
    let own = state_with(&mut gws, |m| m["item"]["track_id"] == json!(tracks[2])).await;
    assert_eq!(
        own["playing"], true,
        "the own player resumes as it was: {own}"
    );
    assert!(own.get("start_at_ms").is_none() || own["start_at_ms"].is_null());
}

#[tokio::test]
async fn buffering_member_delays_the_start_a_bounded_time() {
    let srv = TestServer::start_with(|c| c.session.buffering_wait_ms = 3000).await;
    seed_album(&srv.state.storage, "buf", 2, 300_000).await;
    let (_h, mut hws, code) = host_session(&srv, "bh").await;
    let g = quick_user(&srv, "bg").await;
    let (mut gws, _) = g.ws("bg-dev").await;
    ok(gws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    ok(hws
        .request(json!({"type": "play", "context_uri": "segue:album:alb-buf"}))
        .await);
    let st = state_with(&mut gws, |m| m["playing"] == true).await;
    let item = st["item"]["item_id"].clone();
    let t = srv.state.now_ms();
    let r = ok(gws
        .request(json!({"type": "buffering", "item_id": item}))
        .await);
    assert_eq!(r["waiting"], true);
    let held = state_with(&mut hws, |m| m["version"].as_u64() > st["version"].as_u64()).await;
    let held_start = held["start_at_ms"].as_i64().unwrap();
    assert!(
        held_start >= t + 2900 && held_start <= t + 3500,
        "held until the deadline"
    );
    // Ready early: the start comes sooner than the deadline.
    ok(gws
        .request(json!({"type": "buffering", "item_id": item, "ready": true}))
        .await);
    let go = state_with(&mut hws, |m| {
        m["version"].as_u64() > held["version"].as_u64()
    })
    .await;
    assert!(go["start_at_ms"].as_i64().unwrap() < held_start);
    // A stale item is ignored.
    let r = ok(gws
        .request(json!({"type": "buffering", "item_id": "999999"}))
        .await);
    assert_eq!(r["waiting"], false);
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let srv = TestServer::start().await;
    let tracks = seed_album(&srv.state.storage, "keep", 3, 300_000).await;
    let (host, mut hws, code) = host_session(&srv, "keeper").await;
    let g = quick_user(&srv, "stay").await;
    let (mut gws, _) = g.ws("stay-dev").await;
    ok(gws
        .request(json!({"type": "session_join", "join_code": code}))
        .await);
    ok(hws
        .request(json!({"type": "play", "context_uri": "segue:album:alb-keep"}))
        .await);
    ok(hws
        .request(json!({"type": "queue_add", "track_ids": [tracks[2]]}))
        .await);
    ok(hws
        .request(json!({"type": "seek", "position_ms": 42_000}))
        .await);
    state_with(&mut gws, |m| m["position_ms"] == 42_000).await;
    // Let the write land, then restart on the same data dir.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop((hws, gws));
    let srv = srv.restart().await;
    let mut host = host;
    host.base = format!("http://{}", srv.addr);
    let (mut hws, welcome) = host.ws("keeper-dev").await;
    let session = &welcome["session"];
    assert_eq!(session["join_code"], json!(code), "{welcome}");
    assert_eq!(session["members"].as_array().unwrap().len(), 2);
    let p = &welcome["player"];
    assert_eq!(p["item"]["track_id"], json!(tracks[0]));
    assert_eq!(p["queue"][0]["track_id"], json!(tracks[2]));
    assert_eq!(p["playing"], false, "comes back paused");
    let pos = p["position_ms"].as_i64().unwrap();
    assert!((42_000..44_000).contains(&pos), "position kept: {pos}");
    // And it still works.
    ok(hws.request(json!({"type": "resume"})).await);
    state_with(&mut hws, |m| m["playing"] == true).await;
}

#[tokio::test]
async fn fanout_to_200_members() {
    let srv = TestServer::start().await;
    seed_album(&srv.state.storage, "fan", 2, 300_000).await;
    let (_h, mut hws, code) = host_session(&srv, "fanhost").await;
    let mut members = Vec::new();
    for i in 0..200 {
        let u = quick_user(&srv, &format!("m{i}")).await;
        let (mut ws, _) = u.ws(&format!("m{i}-dev")).await;
        ok(ws
            .request(json!({"type": "session_join", "join_code": code}))
            .await);
        members.push(ws);
    }
    ok(hws
        .request(json!({"type": "play", "context_uri": "segue:album:alb-fan"}))
        .await);
    // Delivery speed is measured by the load generator (docs/performance.md); this checks that
    // every member gets the state at all.
    let mut got = 0;
    for ws in members.iter_mut() {
        let st = ws
            .recv_where_within(Duration::from_secs(10), |m| {
                m["type"] == "player_state" && m["playing"] == true
            })
            .await;
        if st.is_some() {
            got += 1;
        }
    }
    assert_eq!(got, 200, "every member receives the host's command");
}
