//! The WebSocket transport over a real server: hello/welcome, time_sync, and the bad-input
//! matrix with its close codes.

use crate::common::client::Closed;
use crate::common::{TestServer, WsClient};
use serde_json::json;
use std::time::Duration;

fn hello(token: &str, device: &str) -> serde_json::Value {
    json!({"type": "hello", "id": "h", "token": token, "protocol": 1,
           "device": {"id": device, "name": "Phone", "kind": "phone"}})
}

#[tokio::test]
async fn hello_welcome_and_time_sync() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("wsann").await;
    let (mut ws, welcome) = ann.ws("laptop").await;
    assert_eq!(welcome["user_id"], ann.user_id.clone().unwrap().as_str());
    assert_eq!(welcome["device_id"], "laptop");
    assert_eq!(welcome["id"], 0);
    assert!(welcome["server_time_ms"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(welcome["player"]["version"], 0);
    assert_eq!(welcome["player"]["item"], serde_json::Value::Null);
    let devices = welcome["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["device_id"], "laptop");
    assert_eq!(devices[0]["online"], true);
    let r = WsClient::ok(ws.request(json!({"type": "time_sync", "t0": 123.5})).await);
    assert_eq!(r["t0"], 123.5);
    let (t1, t2) = (r["t1"].as_f64().unwrap(), r["t2"].as_f64().unwrap());
    assert!(t1 > 1_600_000_000_000.0 && t2 >= t1, "{r}");
    // String ids are echoed unchanged.
    ws.send(json!({"type": "time_sync", "id": "abc", "t0": 1}))
        .await;
    let ack = ws.recv_type("ack").await;
    assert_eq!(ack["id"], "abc");
}

#[tokio::test]
async fn no_hello_or_bad_hello_closes_4001() {
    let srv = TestServer::start_with(|c| c.ws.hello_timeout_ms = 300).await;
    let ann = srv.client().new_user("wsnohello").await;
    // Silent client.
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4001));
    // First frame is not hello.
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(json!({"type": "pause", "id": 1})).await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "unauthorized");
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4001));
    // Bad token.
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello("forged.token", "d1")).await;
    let err = ws.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err["id"].as_str()),
        (Some("unauthorized"), Some("h"))
    );
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4001));
    // Bad device kind and wrong protocol version.
    for bad in [
        json!({"type": "hello", "token": ann.token(), "protocol": 1,
               "device": {"id": "d", "name": "x", "kind": "toaster"}}),
        json!({"type": "hello", "token": ann.token(), "protocol": 2,
               "device": {"id": "d", "name": "x", "kind": "phone"}}),
        json!({"type": "hello", "token": ann.token(), "protocol": 1, "device": {"id": "", "name": "x", "kind": "phone"}}),
    ] {
        let mut ws = WsClient::connect(&srv.ws_url()).await;
        ws.send(bad.clone()).await;
        let err = ws.recv_type("error").await;
        assert_eq!(err["code"], "bad_request", "{bad} -> {err}");
        assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4001));
    }
    // A good hello still works.
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    ws.send(hello(ann.token(), "d1")).await;
    assert_eq!(ws.recv_type("welcome").await["id"], "h");
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_connection_stays_open() {
    let srv = TestServer::start_with(|c| c.ws.max_frame_bytes = 1024).await;
    let ann = srv.client().new_user("wsbad").await;
    let (mut ws, _) = ann.ws("d1").await;
    ws.send_text("{not json").await;
    assert_eq!(ws.recv_type("error").await["code"], "bad_request");
    let r = ws.request(json!({"type": "frobnicate"})).await;
    assert_eq!(r["code"], "bad_request");
    assert!(r["message"].as_str().unwrap().contains("frobnicate"), "{r}");
    let r = ws
        .request(json!({"type": "seek", "position_ms": "soon"}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    let r = ws.request(json!({"type": "queue_add"})).await;
    assert_eq!(r["code"], "bad_request", "missing field: {r}");
    let r = ws
        .request(json!({"type": "set_volume", "volume": 300}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    let r = ws
        .request(json!({"type": "set_repeat", "mode": "sometimes"}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    ws.send_text(&format!(
        r#"{{"type":"time_sync","t0":1,"pad":"{}"}}"#,
        "x".repeat(2000)
    ))
    .await;
    assert_eq!(ws.recv_type("error").await["code"], "too_large");
    // Still open and working.
    let r = WsClient::ok(ws.request(json!({"type": "time_sync", "t0": 5})).await);
    assert_eq!(r["t0"], 5);
}

#[tokio::test]
async fn flood_of_invalid_frames_closes_4002() {
    let srv = TestServer::start_with(|c| c.ws.invalid_frame_limit = 5).await;
    let ann = srv.client().new_user("wsflood").await;
    let (mut ws, _) = ann.ws("d1").await;
    for _ in 0..10 {
        ws.send_text("garbage").await;
    }
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4002));
}

#[tokio::test]
async fn rate_limit_errors_then_closes_4008() {
    let srv = TestServer::start_with(|c| {
        c.ws.rate_burst = 5;
        c.ws.rate_per_sec = 1;
    })
    .await;
    let ann = srv.client().new_user("wsrate").await;
    let (mut ws, _) = ann.ws("d1").await;
    for i in 0..5 {
        WsClient::ok(ws.request(json!({"type": "time_sync", "t0": i})).await);
    }
    let r = ws.request(json!({"type": "time_sync", "t0": 9})).await;
    assert_eq!(r["code"], "rate_limited", "{r}");
    for i in 0..20 {
        ws.send(json!({"type": "time_sync", "t0": i})).await;
    }
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4008));
}

#[tokio::test]
async fn slow_reader_is_closed_4003() {
    let srv = TestServer::start_with(|c| {
        c.ws.outbox_capacity = 4;
        c.ws.rate_burst = 100_000;
        c.ws.rate_per_sec = 100_000;
        c.ws.max_frame_bytes = 64 * 1024;
    })
    .await;
    let ann = srv.client().new_user("wsslow").await;
    // A client with a tiny receive buffer that stops reading.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(srv.addr).await.unwrap();
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (stream, _) = tokio_tungstenite::client_async(srv.ws_url(), tcp)
        .await
        .unwrap();
    let mut ws = WsClient {
        stream,
        backlog: Default::default(),
        next_id: 1,
    };
    ws.send(hello(ann.token(), "slow")).await;
    ws.recv_type("welcome").await;
    // Big replies that we do not read: the server's queue must overflow.
    let big_id = "x".repeat(30_000);
    let mut closed = false;
    for i in 0..2000 {
        let frame = json!({"type": "time_sync", "id": format!("{big_id}{i}"), "t0": i});
        let sent = tokio::time::timeout(Duration::from_secs(2), ws.send(frame)).await;
        if sent.is_err() {
            closed = true; // the server stopped reading us: it has given up on this socket
            break;
        }
    }
    assert!(
        closed
            || srv
                .state
                .metrics
                .render()
                .contains("segue_ws_connections 1")
    );
    // Now read: after whatever was already in flight, the close code is 4003.
    assert_eq!(ws.closed(Duration::from_secs(20)).await, Closed::Code(4003));
}

#[tokio::test]
async fn shutdown_closes_1012() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("wsbye").await;
    let (mut a, _) = ann.ws("d1").await;
    let (mut b, _) = ann.ws("d2").await;
    let stopping = tokio::spawn(srv.stop());
    let (ca, cb) = tokio::join!(
        a.closed(Duration::from_secs(10)),
        b.closed(Duration::from_secs(10))
    );
    stopping.await.unwrap();
    assert_eq!(ca, Closed::Code(1012));
    assert_eq!(cb, Closed::Code(1012));
}
