//! Real HTTP (reqwest) and WebSocket (tokio-tungstenite) clients for tests.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// An HTTP client bound to one server, optionally logged in.
#[derive(Clone)]
pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    pub user_id: Option<String>,
}

/// A response: status and parsed JSON body (Null when not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts an error response with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected error code; body: {}",
            self.body
        );
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without message: {}",
            self.body
        );
        self.body
    }
}

impl TestClient {
    pub fn new(base: &str) -> Self {
        TestClient {
            base: base.to_string(),
            http: reqwest::Client::new(),
            token: None,
            user_id: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Registers a fresh user and returns a client logged in as them.
    pub async fn register(&self, username: &str) -> TestClient {
        let body = self
            .post(
                "/v1/auth/register",
                json!({"username": username, "password": "correct horse battery", "display_name": username}),
            )
            .await
            .expect(201);
        let mut c = self.clone();
        c.token = body["token"].as_str().map(str::to_string);
        c.user_id = body["user"]["id"].as_str().map(str::to_string);
        c
    }

    /// Registers a user with a unique name derived from `prefix`.
    pub async fn new_user(&self, prefix: &str) -> TestClient {
        self.register(&super::unique_name(prefix)).await
    }

    pub fn token(&self) -> &str {
        self.token.as_deref().unwrap_or("")
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    pub async fn send(&self, r: reqwest::RequestBuilder) -> Resp {
        let resp = r.send().await.expect("http request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("http body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::GET, path)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::DELETE, path)).await
    }
    pub async fn delete_json(&self, path: &str, body: Value) -> Resp {
        self.send(self.req(reqwest::Method::DELETE, path).json(&body))
            .await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(self.req(reqwest::Method::PUT, path).json(&body))
            .await
    }
    /// A raw body with a chosen content type (for malformed-input tests).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        self.send(
            self.req(reqwest::Method::POST, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Opens a WebSocket and completes `hello` as device `device_id`; returns it with `welcome`.
    pub async fn ws(&self, device_id: &str) -> (WsClient, Value) {
        let mut ws = WsClient::connect(&self.ws_url()).await;
        ws.send(json!({
            "type": "hello", "id": 0, "token": self.token(), "protocol": 1,
            "device": {"id": device_id, "name": format!("Test {device_id}"), "kind": "computer"}
        }))
        .await;
        let welcome = ws.recv_type("welcome").await;
        (ws, welcome)
    }

    pub fn ws_url(&self) -> String {
        format!("{}/v1/ws", self.base.replacen("http://", "ws://", 1))
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A real WebSocket client speaking the JSON protocol.
pub struct WsClient {
    pub stream: Stream,
    /// Frames received but not yet consumed by a `recv_*` that was looking for something else.
    pub backlog: std::collections::VecDeque<Value>,
    pub next_id: u64,
}

/// How a WebSocket ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Closed {
    Code(u16),
    NoCloseFrame,
}

impl WsClient {
    pub async fn connect(url: &str) -> WsClient {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        WsClient {
            stream,
            backlog: Default::default(),
            next_id: 1,
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_string().into()))
            .await
            .expect("ws send");
    }

    /// Sends a request with a fresh `id` and waits for its `ack` or `error`.
    pub async fn request(&mut self, mut v: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        v["id"] = json!(id);
        self.send(v).await;
        self.recv_where(|m| m["id"] == json!(id) && (m["type"] == "ack" || m["type"] == "error"))
            .await
    }

    /// Like `request`, asserting an ack; returns its `result`.
    #[track_caller]
    pub fn ok(v: Value) -> Value {
        assert_eq!(v["type"], "ack", "expected ack, got {v}");
        v["result"].clone()
    }

    /// Next frame from the socket (not the backlog), within 5 s.
    pub async fn recv_raw(&mut self, timeout: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(timeout, self.stream.next())
                .await
                .ok()??;
            match msg {
                Ok(Message::Text(t)) => {
                    return Some(serde_json::from_str(&t).expect("server sent valid JSON"))
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The first frame (backlog first) that satisfies `pred`; others are kept in the backlog.
    pub async fn recv_where(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        self.recv_where_within(Duration::from_secs(5), pred)
            .await
            .expect("timed out waiting for a matching frame")
    }

    pub async fn recv_where_within(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(pos) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(pos);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            let v = self.recv_raw(left).await?;
            if pred(&v) {
                return Some(v);
            }
            self.backlog.push_back(v);
        }
    }

    pub async fn recv_type(&mut self, ty: &str) -> Value {
        let ty = ty.to_string();
        self.recv_where(move |m| m["type"] == ty.as_str()).await
    }

    /// Drops everything received so far.
    pub fn clear(&mut self) {
        self.backlog.clear();
    }

    /// Waits for the server to close the socket and returns the close code.
    pub async fn closed(&mut self, timeout: Duration) -> Closed {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Err(_) => panic!("socket still open after {timeout:?}"),
                Ok(None) | Ok(Some(Err(_))) => return Closed::NoCloseFrame,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return match frame {
                        Some(f) => Closed::Code(f.code.into()),
                        None => Closed::NoCloseFrame,
                    }
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}
