//! Frame-level WebSocket behaviour over a real server: malformed frames get their RFC 6455
//! close code (written raw after the upgrade, since tungstenite refuses to send them), the
//! close handshake completes at once, replies reach the client before a rate-limit close, and
//! error messages stay bounded.

use crate::common::client::Closed;
use crate::common::{TestServer, WsClient};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A raw TCP connection after a successful `GET /v1/ws` upgrade.
async fn raw_upgrade(srv: &TestServer) -> TcpStream {
    let url = srv.ws_url();
    let hostport = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut tcp = TcpStream::connect(&hostport).await.unwrap();
    let req = format!(
        "GET /v1/ws HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    // Read the response head byte by byte so that no frame bytes are consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        tcp.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp
}

/// One client frame (masked, as RFC 6455 requires from clients).
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
    let n = payload.len();
    if n < 126 {
        f.push(0x80 | n as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Reads server frames until a close frame and returns its code (None: TCP ended without one).
async fn close_code(tcp: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // Parse whatever complete (unmasked) server frames are buffered.
        while buf.len() >= 2 {
            let op = buf[0] & 0x0f;
            let (len, at) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                126 => break,
                127 => panic!("unexpected huge server frame"),
                n => (n as usize, 2),
            };
            if buf.len() < at + len {
                break;
            }
            if op == 0x8 {
                assert!(len >= 2, "close frame without a code");
                return Some(u16::from_be_bytes([buf[at], buf[at + 1]]));
            }
            buf.drain(..at + len);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(left, tcp.read(&mut chunk)).await {
            Err(_) => panic!("no close frame within 5 s"),
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn malformed_frames_get_their_rfc6455_close_codes() {
    let srv = TestServer::start().await;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "invalid UTF-8 text",
            frame(true, 0x1, &[b'{', 0xff, 0xfe, b'}']),
            1007,
        ),
        (
            "continuation without a first frame",
            frame(true, 0x0, b"{}"),
            1002,
        ),
        ("reserved opcode 0x3", frame(true, 0x3, b"x"), 1002),
        ("reserved control opcode 0xB", frame(true, 0xB, b""), 1002),
        ("ping over 125 bytes", frame(true, 0x9, &[7u8; 126]), 1002),
    ];
    for (what, bytes, want) in cases {
        let mut tcp = raw_upgrade(&srv).await;
        tcp.write_all(&bytes).await.unwrap();
        assert_eq!(close_code(&mut tcp).await, Some(want), "{what}");
    }
    // Invalid UTF-8 split over fragments is the same failure.
    let mut tcp = raw_upgrade(&srv).await;
    tcp.write_all(&frame(false, 0x1, &[b'{', 0xc3]))
        .await
        .unwrap();
    tcp.write_all(&frame(true, 0x0, &[0x28, b'}']))
        .await
        .unwrap();
    assert_eq!(
        close_code(&mut tcp).await,
        Some(1007),
        "fragmented invalid UTF-8"
    );
}

#[tokio::test]
async fn close_handshake_completes_at_once() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("wsclose").await;
    let (mut ws, _) = ann.ws("d1").await;
    // Baseline: one request round trip on the same server.
    let t = Instant::now();
    WsClient::ok(ws.request(json!({"type": "time_sync", "t0": 1})).await);
    let rtt = t.elapsed();
    let t = Instant::now();
    ws.stream.send(Message::Close(None)).await.unwrap();
    let code = ws.closed(Duration::from_secs(5)).await;
    let took = t.elapsed();
    assert_eq!(code, Closed::Code(1000));
    eprintln!("close reply after {took:?}, round trip {rtt:?}");
    // Nothing in the close path waits on a timer: the reply must come far sooner than the
    // smallest timer of the connection (the ping interval), and close to a request's round trip.
    let ping = Duration::from_millis(srv.config().ws.ping_interval_ms);
    let bound = (ping / 20).max(rtt * 10).min(ping / 4);
    assert!(
        took < bound,
        "close reply took {took:?} (round trip {rtt:?}, bound {bound:?})"
    );
}

#[tokio::test]
async fn rate_limit_close_answers_every_request_first() {
    let srv = TestServer::start_with(|c| {
        c.ws.rate_burst = 5;
        c.ws.rate_per_sec = 1;
    })
    .await;
    let ann = srv.client().new_user("wsrlreply").await;
    let (mut ws, _) = ann.ws("d1").await;
    let n = 40;
    for i in 0..n {
        ws.send(json!({"type": "time_sync", "id": format!("r{i}"), "t0": i}))
            .await;
    }
    let mut replies = std::collections::BTreeMap::new();
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.stream.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if let Some(id) = v["id"].as_str() {
                    *replies.entry(id.to_string()).or_insert(0) += 1;
                    if v["type"] == "error" {
                        assert_eq!(v["code"], "rate_limited", "{v}");
                    }
                }
            }
            Ok(Some(Ok(Message::Close(f)))) => break f.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => {}
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(4008));
    // The server stops reading at the close; every request it read before has its one reply,
    // and with this burst that is all requests up to the one that tipped it over.
    let answered = replies.len();
    assert!(answered > 10, "only {answered} replies");
    for i in 0..answered {
        assert_eq!(
            replies.get(&format!("r{i}")),
            Some(&1),
            "reply to r{i}: {replies:?}"
        );
    }
    assert!(replies.values().all(|&c| c == 1), "{replies:?}");
}

#[tokio::test]
async fn invalid_frame_close_answers_every_request_first() {
    let srv = TestServer::start_with(|c| c.ws.invalid_frame_limit = 5).await;
    let ann = srv.client().new_user("wsinvalidreply").await;
    let (mut ws, _) = ann.ws("d1").await;
    let n = 12;
    for i in 0..n {
        ws.send(json!({"type": "seek", "id": format!("r{i}"), "position_ms": "x"}))
            .await;
    }
    let mut replies = std::collections::BTreeMap::new();
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.stream.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if let Some(id) = v["id"].as_str() {
                    assert_eq!(v["code"], "bad_request", "{v}");
                    *replies.entry(id.to_string()).or_insert(0) += 1;
                }
            }
            Ok(Some(Ok(Message::Close(f)))) => break f.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => {}
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(4002));
    // Six invalid frames: five answered within the limit, and the sixth that tipped it over.
    for i in 0..6 {
        assert_eq!(
            replies.get(&format!("r{i}")),
            Some(&1),
            "reply to r{i}: {replies:?}"
        );
    }
    assert!(replies.values().all(|&c| c == 1), "{replies:?}");
}

#[tokio::test]
async fn unknown_types_are_bad_request_and_echoes_are_bounded() {
    let srv = TestServer::start().await;
    let ann = srv.client().new_user("wsunknown").await;
    let (mut ws, _) = ann.ws("d1").await;
    for ty in ["session_bogus", "playlist_bogus", "bogus"] {
        let r = ws.request(json!({"type": ty})).await;
        assert_eq!(
            (r["type"].as_str(), r["code"].as_str()),
            (Some("error"), Some("bad_request")),
            "{ty}: {r}"
        );
        assert!(r["message"].as_str().unwrap().contains(ty), "{r}");
    }
    let long = format!("session_{}", "z".repeat(10_000));
    let r = ws.request(json!({"type": long})).await;
    assert_eq!(r["code"], "bad_request", "{r}");
    let m = r["message"].as_str().unwrap();
    assert!(m.chars().count() < 200 && m.contains('…'), "{m}");
    // serde's own messages quote input too (an unknown enum variant).
    let r = ws
        .request(json!({"type": "set_repeat", "mode": "x".repeat(10_000)}))
        .await;
    assert_eq!(r["code"], "bad_request", "{r}");
    assert!(r["message"].as_str().unwrap().chars().count() <= 257, "{r}");
}
