//! The playlist WebSocket handlers (`actors::playlist_ws::handle` / `on_disconnect`) driven with
//! real connection contexts and outboxes on the real server, as `http::ws` will call them.

use crate::common::TestServer;
use crate::playlists::seed_tracks;
use segue::actors::playlist_ws::{handle, on_disconnect};
use segue::error::ErrorCode;
use segue::http::conn::ConnCtx;
use segue::http::outbox::{Next, Outbox};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

async fn next_event(o: &Outbox) -> Value {
    match tokio::time::timeout(Duration::from_secs(5), o.next())
        .await
        .expect("an event")
    {
        Next::Frame(b) => serde_json::from_slice(&b).unwrap(),
        Next::Close(c) => panic!("outbox closed with {c}"),
    }
}

#[actix_rt::test]
async fn subscribe_edit_events_and_disconnect() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 2).await;
    let c = srv.client();
    let (ann, bob) = (c.new_user("hna").await, c.new_user("hnb").await);
    let ann_id = ann.user_id.clone().unwrap();
    let id = ann
        .post("/v1/playlists", json!({"name": "H"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ctx = |conn: u64, user: &str| {
        Arc::new(ConnCtx::new(
            conn,
            user.into(),
            format!("dev{conn}").into(),
            Arc::new(Outbox::new(64)),
            srv.state.clone(),
        ))
    };
    let (a, b, x) = (
        ctx(1, &ann_id),
        ctx(2, &ann_id),
        ctx(3, bob.user_id.as_deref().unwrap()),
    );
    let sub = json!({"type": "playlist_subscribe", "playlist_id": id});
    assert_eq!(
        handle(&a, "playlist_subscribe", sub.clone()).await.unwrap()["version"],
        0
    );
    handle(&b, "playlist_subscribe", sub.clone()).await.unwrap();
    assert_eq!(
        handle(&x, "playlist_subscribe", sub.clone())
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    let edit = json!({"type": "playlist_edit", "playlist_id": id, "base_version": 0, "op_id": "e1",
                      "ops": [{"op": "insert", "after_item_id": null, "track_ids": [t[0], t[1]], "item_ids": ["i0", "i1"]}]});
    let r = handle(&a, "playlist_edit", edit.clone()).await.unwrap();
    assert_eq!(r, json!({"version": 1, "skipped": []}));
    for o in [&a.outbox, &b.outbox] {
        let ev = next_event(o).await;
        assert_eq!(
            (ev["type"].as_str(), ev["version"].as_u64()),
            (Some("playlist_ops"), Some(1))
        );
        assert_eq!(ev["ops"][0]["item_ids"], json!(["i0", "i1"]));
    }
    // Re-sent op_id: same answer, no new event.
    assert_eq!(handle(&a, "playlist_edit", edit).await.unwrap(), r);
    // Concurrent-intent edit against the old base: moving a removed item is skipped.
    handle(
        &a,
        "playlist_edit",
        json!({"type": "playlist_edit", "playlist_id": id, "base_version": 1, "op_id": "e2",
        "ops": [{"op": "remove", "item_id": "i0"}]}),
    )
    .await
    .unwrap();
    let r = handle(&b, "playlist_edit", json!({"type": "playlist_edit", "playlist_id": id, "base_version": 1, "op_id": "e3",
        "ops": [{"op": "move", "item_id": "i0", "after_item_id": "i1"}, {"op": "insert", "after_item_id": "i0", "track_ids": [t[0]]}]}))
        .await
        .unwrap();
    assert_eq!(r["skipped"][0]["index"], 0);
    assert_eq!(r["version"], 3);
    let ev2 = next_event(&b.outbox).await;
    assert_eq!(ev2["version"], 2);
    let ev3 = next_event(&b.outbox).await;
    assert_eq!(
        ev3["ops"].as_array().unwrap().len(),
        1,
        "skipped ops are not sent"
    );
    assert_eq!(
        ev3["ops"][0]["after_item_id"],
        json!(null),
        "removed anchor resolved to its predecessor (start)"
    );
    // Bad input.
    let bad = [
        json!({"type": "playlist_edit", "playlist_id": id, "op_id": "z", "ops": []}),
        json!({"type": "playlist_edit", "playlist_id": id, "base_version": 3, "op_id": "z", "ops": [{"op": "nope"}]}),
        json!({"type": "playlist_edit", "playlist_id": id, "base_version": 99, "op_id": "z", "ops": [{"op": "rename", "name": "x"}]}),
        json!({"type": "playlist_edit", "playlist_id": id, "base_version": 3, "op_id": "", "ops": [{"op": "rename", "name": "x"}]}),
        json!({"type": "playlist_subscribe"}),
    ];
    for m in bad {
        let ty = m["type"].as_str().unwrap().to_string();
        assert_eq!(
            handle(&a, &ty, m.clone()).await.unwrap_err().code,
            ErrorCode::BadRequest,
            "{m}"
        );
    }
    assert_eq!(
        handle(&a, "playlist_frobnicate", json!({}))
            .await
            .unwrap_err()
            .code,
        ErrorCode::BadRequest
    );
    // After b disconnects, only a hears about new edits.
    on_disconnect(&b);
    let _ = next_event(&a.outbox).await; // v2
    let _ = next_event(&a.outbox).await; // v3
    handle(
        &a,
        "playlist_edit",
        json!({"type": "playlist_edit", "playlist_id": id, "base_version": 3, "op_id": "e4",
        "ops": [{"op": "rename", "name": "Renamed"}]}),
    )
    .await
    .unwrap();
    assert_eq!(next_event(&a.outbox).await["version"], 4);
    assert!(
        b.outbox.is_empty(),
        "a disconnected connection gets no more events"
    );
    // Unsubscribe stops events too.
    handle(
        &a,
        "playlist_unsubscribe",
        json!({"type": "playlist_unsubscribe", "playlist_id": id}),
    )
    .await
    .unwrap();
    ann.put(&format!("/v1/playlists/{id}"), json!({"description": "d"}))
        .await
        .expect(200);
    assert!(a.outbox.is_empty());
    assert_eq!(
        ann.get(&format!("/v1/playlists/{id}")).await.expect(200)["name"],
        "Renamed"
    );
}
