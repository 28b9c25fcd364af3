//! Collaborative playlists over real WebSockets (PROTOCOL.md "Collaborative playlists"):
//! hello → playlist_subscribe → concurrent playlist_edit from several clients → every client
//! sees every edit as playlist_ops and ends with the same list; re-sent op_ids; catch-up with
//! since_version; REST edits reach WebSocket subscribers; permissions.

use crate::common::{TestServer, WsClient};
use crate::playlists::seed_tracks;
use serde_json::{json, Value};

/// Applies `playlist_ops` events to a local list of item ids.
fn apply(list: &mut Vec<String>, ev: &Value) {
    for op in ev["ops"].as_array().unwrap() {
        let after = op["after_item_id"].as_str();
        let pos = |l: &Vec<String>| after.map_or(0, |a| l.iter().position(|x| x == a).unwrap() + 1);
        match op["op"].as_str().unwrap() {
            "insert" => {
                let at = pos(list);
                for (k, id) in op["item_ids"].as_array().unwrap().iter().enumerate() {
                    list.insert(at + k, id.as_str().unwrap().to_string());
                }
            }
            "remove" => list.retain(|x| x != op["item_id"].as_str().unwrap()),
            "move" => {
                let id = op["item_id"].as_str().unwrap().to_string();
                list.retain(|x| *x != id);
                let at = pos(list);
                list.insert(at, id);
            }
            "reorder" => {
                *list = op["item_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            }
            _ => {}
        }
    }
}

async fn subscribe(ws: &mut WsClient, id: &str) -> (u64, Vec<String>) {
    let r = WsClient::ok(
        ws.request(json!({"type": "playlist_subscribe", "playlist_id": id}))
            .await,
    );
    let items = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_string())
        .collect();
    (r["version"].as_u64().unwrap(), items)
}

#[tokio::test]
async fn concurrent_edits_from_several_clients_converge() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 5).await;
    let c = srv.client();
    let owner = c.new_user("wso").await;
    let id = owner
        .post("/v1/playlists", json!({"name": "Jam"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut users = vec![owner.clone()];
    for i in 0..2 {
        let u = c.new_user(&format!("wsc{i}")).await;
        owner
            .post(
                &format!(
                    "/v1/playlists/{id}/collaborators/{}",
                    u.user_id.clone().unwrap()
                ),
                json!({}),
            )
            .await
            .expect(200);
        users.push(u);
    }
    let mut clients = vec![];
    for (i, u) in users.iter().enumerate() {
        let (mut ws, _) = u.ws(&format!("dev{i}")).await;
        let (v, items) = subscribe(&mut ws, &id).await;
        clients.push((ws, v, items));
    }
    // Each client sends 10 edits without waiting for the others.
    let mut tasks = vec![];
    for (i, (mut ws, v, items)) in clients.into_iter().enumerate() {
        let (id, t) = (id.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            for k in 0..10 {
                let op = if k % 3 == 2 && !items.is_empty() {
                    json!({"op": "move", "item_id": items[0], "after_item_id": null})
                } else {
                    json!({"op": "insert", "after_item_id": null, "track_ids": [t[k % 5]],
                           "item_ids": [format!("c{i}-{k}")]})
                };
                let r = ws
                    .request(
                        json!({"type": "playlist_edit", "playlist_id": id, "base_version": v,
                                    "op_id": format!("c{i}-op{k}"), "ops": [op]}),
                    )
                    .await;
                assert_eq!(r["type"], "ack", "{r}");
            }
            (ws, v, items)
        }));
    }
    let mut done = vec![];
    for task in tasks {
        done.push(task.await.unwrap());
    }
    let rest = owner.get(&format!("/v1/playlists/{id}")).await.expect(200);
    let final_version = rest["version"].as_u64().unwrap();
    let server: Vec<String> = rest["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_string())
        .collect();
    // The playlist starts empty, so every edit of the three clients is an insert.
    assert_eq!(server.len(), 30, "every insert kept");
    for (ws, v, items) in done.iter_mut() {
        let mut seen = *v;
        while seen < final_version {
            let ev = ws.recv_where(|m| m["type"] == "playlist_ops").await;
            let ver = ev["version"].as_u64().unwrap();
            if ver <= seen {
                continue;
            }
            assert_eq!(ver, seen + 1, "events arrive in version order");
            apply(items, &ev);
            seen = ver;
        }
        assert_eq!(*items, server, "a client differs from the server");
    }
}

#[tokio::test]
async fn resend_catch_up_rest_edits_and_permissions() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 2).await;
    let c = srv.client();
    let ann = c.new_user("wsa").await;
    let bob = c.new_user("wsb").await;
    let id = ann
        .post("/v1/playlists", json!({"name": "Mine"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (mut ws, _) = ann.ws("a1").await;
    subscribe(&mut ws, &id).await;
    let edit = json!({"type": "playlist_edit", "playlist_id": id, "base_version": 0, "op_id": "same",
                      "ops": [{"op": "insert", "after_item_id": null, "track_ids": [t[0]]}]});
    let first = WsClient::ok(ws.request(edit.clone()).await);
    let again = WsClient::ok(ws.request(edit).await);
    assert_eq!(first, again, "a re-sent op_id returns the first result");
    assert_eq!(
        ann.get(&format!("/v1/playlists/{id}")).await.expect(200)["items"]["total"],
        1
    );
    // A REST edit reaches the WebSocket subscriber.
    ann.post(
        &format!("/v1/playlists/{id}/tracks"),
        json!({"track_ids": [t[1]]}),
    )
    .await
    .expect(201);
    let ev = ws
        .recv_where(|m| m["type"] == "playlist_ops" && m["version"] == 2)
        .await;
    assert_eq!(ev["ops"][0]["track_ids"][0], t[1].as_str());
    // Catch-up from version 1 on a new connection.
    let (mut ws2, _) = ann.ws("a2").await;
    let r = WsClient::ok(
        ws2.request(json!({"type": "playlist_subscribe", "playlist_id": id, "since_version": 1}))
            .await,
    );
    assert_eq!(r["ops"][0]["version"], 2);
    // Bad input and permissions.
    let e = ws.request(json!({"type": "playlist_edit", "playlist_id": id, "base_version": 0, "op_id": "x", "ops": []})).await;
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("bad_request"))
    );
    let e = ws.request(json!({"type": "playlist_edit", "playlist_id": id, "op_id": "y", "ops": [{"op": "explode"}]})).await;
    assert_eq!(e["code"], "bad_request");
    let (mut bws, _) = bob.ws("b1").await;
    let e = bws
        .request(json!({"type": "playlist_subscribe", "playlist_id": id}))
        .await;
    assert_eq!(
        e["code"], "not_found",
        "private playlists do not exist for others"
    );
    ann.put(&format!("/v1/playlists/{id}"), json!({"public": true}))
        .await
        .expect(200);
    WsClient::ok(
        bws.request(json!({"type": "playlist_subscribe", "playlist_id": id}))
            .await,
    );
    let e = bws
        .request(
            json!({"type": "playlist_edit", "playlist_id": id, "base_version": 2, "op_id": "b",
                        "ops": [{"op": "rename", "name": "hijack"}]}),
        )
        .await;
    assert_eq!(e["code"], "forbidden");
    WsClient::ok(
        bws.request(json!({"type": "playlist_unsubscribe", "playlist_id": id}))
            .await,
    );
}

#[tokio::test]
async fn removed_collaborators_and_private_playlists_stop_reaching_subscribers() {
    let srv = TestServer::start().await;
    let t = seed_tracks(&srv.state.storage, 2).await;
    let c = srv.client();
    let owner = c.new_user("rvo").await;
    let collab = c.new_user("rvc").await;
    let reader = c.new_user("rvr").await;
    let id = owner
        .post("/v1/playlists", json!({"name": "Shared", "public": true}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    owner
        .post(
            &format!(
                "/v1/playlists/{id}/collaborators/{}",
                collab.user_id.clone().unwrap()
            ),
            json!({}),
        )
        .await
        .expect(200);
    let (mut cws, _) = collab.ws("rv-c").await;
    let (mut rws, _) = reader.ws("rv-r").await;
    for ws in [&mut cws, &mut rws] {
        WsClient::ok(
            ws.request(json!({"type": "playlist_subscribe", "playlist_id": id}))
                .await,
        );
    }
    // The collaborator is removed; the playlist is public, so they may still read it.
    owner
        .delete(&format!(
            "/v1/playlists/{id}/collaborators/{}",
            collab.user_id.clone().unwrap()
        ))
        .await
        .expect(200);
    // Made private: neither the former collaborator nor the reader may read it any more.
    owner
        .put(&format!("/v1/playlists/{id}"), json!({"public": false}))
        .await
        .expect(200);
    for ws in [&mut cws, &mut rws] {
        let ev = ws.recv_type("playlist_revoked").await;
        assert_eq!(ev["playlist_id"], json!(id));
    }
    owner
        .post(
            &format!("/v1/playlists/{id}/tracks"),
            json!({"track_ids": [t[0]]}),
        )
        .await
        .expect(201);
    for ws in [&mut cws, &mut rws] {
        let leaked = ws
            .recv_where_within(std::time::Duration::from_millis(500), |m| {
                m["type"] == "playlist_ops"
            })
            .await;
        assert!(
            leaked.is_none(),
            "a revoked subscriber still got {leaked:?}"
        );
    }
}
