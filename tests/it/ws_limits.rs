//! Connection limits with real WebSocket clients and small limits: welcomed sockets per user
//! (4005), sockets per address (4006) and sockets without `hello` per address (4007). Each
//! refusal comes with an `error` frame, and each count is given back when a socket closes.

use crate::common::client::Closed;
use crate::common::{TestClient, TestServer, WsClient};
use serde_json::json;
use std::time::Duration;

fn hello(token: &str, device: &str) -> serde_json::Value {
    json!({"type": "hello", "id": "h", "token": token, "protocol": 1,
           "device": {"id": device, "name": "x", "kind": "phone"}})
}

/// Opens a socket that the server closes at once (before any `hello`) with `code`.
async fn refused_on_connect(srv: &TestServer, code: u16) {
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "rate_limited", "{err}");
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(code));
}

/// Closes from the client side and waits for the server's answer (the count is given back
/// before the server's close frame goes out).
async fn close(mut ws: WsClient) {
    let _ = ws.stream.close(None).await;
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(1000));
}

async fn welcomed(srv: &TestServer, user: &TestClient, device: &str) -> WsClient {
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello(user.token(), device)).await;
    let w = ws.recv_where(|m| m["id"] == "h").await;
    assert_eq!(w["type"], "welcome", "{w}");
    ws
}

#[tokio::test]
async fn welcomed_sockets_per_user_are_bounded_and_released_on_close() {
    let srv = TestServer::start_with(|c| c.ws.max_connections_per_user = 3).await;
    let ann = srv.client().new_user("limited").await;
    let bob = srv.client().new_user("unlimited").await;
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(welcomed(&srv, &ann, &format!("d{i}")).await);
    }
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello(ann.token(), "d3")).await;
    let err = ws.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err["id"].as_str()),
        (Some("rate_limited"), Some("h"))
    );
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4005));
    // Another user is not affected.
    let _bob = welcomed(&srv, &bob, "b0").await;
    // Closing one of Ann's sockets makes room for one more, and only one.
    close(open.pop().unwrap()).await;
    open.push(welcomed(&srv, &ann, "d4").await);
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello(ann.token(), "d5")).await;
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4005));
    assert_eq!(
        srv.state
            .conn_limits
            .user_connections(ann.user_id.as_deref().unwrap()),
        3
    );
    let metrics = srv.state.metrics.render();
    assert!(
        metrics.contains("segue_ws_refused_total{reason=\"per_user\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn sockets_per_address_are_bounded_and_released_on_close() {
    let srv = TestServer::start_with(|c| c.ws.max_connections_per_address = 3).await;
    let ann = srv.client().new_user("peraddr").await;
    // Welcomed and not-yet-welcomed sockets both count.
    let a = welcomed(&srv, &ann, "d0").await;
    let b = welcomed(&srv, &ann, "d1").await;
    let pending = WsClient::connect(&srv.ws_url()).await;
    refused_on_connect(&srv, 4006).await;
    close(pending).await;
    let c = welcomed(&srv, &ann, "d2").await;
    refused_on_connect(&srv, 4006).await;
    close(a).await;
    let _d = welcomed(&srv, &ann, "d3").await;
    let metrics = srv.state.metrics.render();
    assert!(
        metrics.contains("segue_ws_refused_total{reason=\"per_address\"} 2"),
        "{metrics}"
    );
    drop((b, c));
}

#[tokio::test]
async fn sockets_without_hello_per_address_are_bounded_and_released() {
    let srv = TestServer::start_with(|c| c.ws.max_pending_per_address = 3).await;
    let ann = srv.client().new_user("pending").await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(WsClient::connect(&srv.ws_url()).await);
    }
    refused_on_connect(&srv, 4007).await;
    // A pending socket that says hello stops counting as pending...
    let mut first = silent.remove(0);
    first.send(hello(ann.token(), "d0")).await;
    assert_eq!(
        first.recv_where(|m| m["id"] == "h").await["type"],
        "welcome"
    );
    silent.push(WsClient::connect(&srv.ws_url()).await);
    refused_on_connect(&srv, 4007).await;
    // ...and so does one that closes.
    close(silent.remove(0)).await;
    let _ok = welcomed(&srv, &ann, "d1").await;
    let ip = srv.addr.ip();
    let (all, pending) = srv.state.conn_limits.address_connections(ip);
    assert_eq!((all, pending), (4, 2), "two welcomed, two silent");
}

#[test]
fn limit_keys_must_be_at_least_one() {
    for key in [
        "ws.max_connections_per_user",
        "ws.max_connections_per_address",
        "ws.max_pending_per_address",
    ] {
        let err = segue::config::Config::load(None, Vec::new(), &[(key, toml::Value::Integer(0))])
            .unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
}
