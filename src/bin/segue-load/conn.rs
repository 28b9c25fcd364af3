//! One device connection: connect, `hello`, and helpers to read typed frames cheaply.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
pub type Sink = SplitSink<Ws, Message>;
pub type Source = SplitStream<Ws>;

/// One account from the tokens file written by `segue users create-bulk`.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub token: String,
}

pub fn read_tokens(path: &std::path::Path) -> anyhow::Result<Vec<Account>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read tokens file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split('\t').collect();
        match parts.as_slice() {
            [_, user_id, token] => out.push(Account {
                user_id: user_id.to_string(),
                token: token.to_string(),
            }),
            _ => anyhow::bail!(
                "{}:{}: expected username<TAB>user_id<TAB>token",
                path.display(),
                n + 1
            ),
        }
    }
    Ok(out)
}

/// Small buffers: a load client holds thousands of sockets.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(16 << 20))
}

/// The few fields the load generator reads from server frames.
#[derive(Debug, Deserialize)]
pub struct Frame {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    pub position_ms: Option<i64>,
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub ops: Option<serde_json::Value>,
}

pub fn parse(msg: &Message) -> Option<Frame> {
    match msg {
        Message::Text(t) => serde_json::from_str(t).ok(),
        _ => None,
    }
}

/// Connects a device and completes `hello`; returns the socket halves and the `welcome`.
pub async fn connect_device(
    ws_url: &str,
    token: &str,
    device_id: &str,
) -> anyhow::Result<(Sink, Source, serde_json::Value)> {
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_with_config(ws_url, Some(ws_config()), false),
    )
    .await
    .map_err(|_| anyhow::anyhow!("connect timed out"))??;
    let (mut sink, mut source) = ws.split();
    let hello = serde_json::json!({
        "type": "hello", "id": 0, "token": token, "protocol": 1,
        "device": {"id": device_id, "name": device_id, "kind": "computer"}
    });
    sink.send(Message::Text(hello.to_string().into())).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, source.next())
            .await
            .map_err(|_| anyhow::anyhow!("no welcome within 30 s"))?
            .ok_or_else(|| anyhow::anyhow!("closed before welcome"))??;
        if let Message::Text(t) = &msg {
            let v: serde_json::Value = serde_json::from_str(t)?;
            match v["type"].as_str() {
                Some("welcome") => return Ok((sink, source, v)),
                Some("error") => anyhow::bail!("hello refused: {}", v["message"]),
                _ => continue,
            }
        }
        if let Message::Close(f) = msg {
            anyhow::bail!("closed before welcome: {f:?}");
        }
    }
}

pub async fn send_json(sink: &mut Sink, v: &serde_json::Value) -> anyhow::Result<()> {
    sink.send(Message::Text(v.to_string().into())).await?;
    Ok(())
}

/// Sends a request and waits for its ack (other frames are skipped).
pub async fn request(
    sink: &mut Sink,
    source: &mut Source,
    id: u64,
    mut v: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    v["id"] = serde_json::json!(id);
    send_json(sink, &v).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(deadline, source.next())
            .await
            .map_err(|_| anyhow::anyhow!("no reply to {} within 30 s", v["type"]))?
            .ok_or_else(|| anyhow::anyhow!("closed while waiting for a reply"))??;
        if let Some(f) = parse(&msg) {
            if f.id.as_ref().and_then(|i| i.as_u64()) == Some(id) {
                return match f.ty.as_str() {
                    "ack" => Ok(f.result.unwrap_or_default()),
                    _ => anyhow::bail!("{} failed: {:?}", v["type"], f.code),
                };
            }
        }
    }
}

/// Raises the soft open-files limit to the hard limit (one process holds thousands of sockets);
/// returns the limit now in force.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    #[allow(unsafe_code)]
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}
