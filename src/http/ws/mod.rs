//! `GET /v1/ws`: one task per WebSocket connection. It reads frames, authenticates the `hello`,
//! applies the frame-size, invalid-frame and rate limits, dispatches requests in arrival order,
//! drains the bounded outbox to the socket, pings, and closes with the protocol's close codes.

mod dispatch;
mod hello;
pub mod limits;

use super::conn::ConnCtx;
use super::outbox::{close, Next, Outbox};
use super::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::protocol::codec;
use crate::ratelimit::TokenBucket;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message, ProtocolError, Session};
use bytes::Bytes;
use bytestring::ByteString;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/ws", web::get().to(upgrade));
}

/// How long a close frame may wait for room in a congested socket.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let (resp, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(state.config.ws.max_frame_bytes);
    // Counted before the handshake completes, so that a client never sees its socket open
    // while it is not yet counted.
    let admitted = req
        .peer_addr()
        .map(|a| state.conn_limits.admit(a.ip(), &state.config.ws));
    actix_web::rt::spawn(async move {
        let mut conn = Conn::new(state, session);
        conn.admitted = admitted;
        conn.run(stream).await;
    });
    Ok(resp)
}

type Write = Pin<Box<dyn Future<Output = Result<(), actix_ws::Closed>>>>;

/// Frames counted within a sliding window (invalid frames, rate-limited frames).
#[derive(Default)]
struct Window {
    start_ms: i64,
    count: u32,
}

impl Window {
    /// Counts one event; returns the count within the current window.
    fn hit(&mut self, now_ms: i64, window_ms: i64) -> u32 {
        if now_ms - self.start_ms > window_ms {
            self.start_ms = now_ms;
            self.count = 0;
        }
        self.count += 1;
        self.count
    }
}

enum Control {
    Ping(Bytes),
    Pong(Bytes),
}

/// Per-connection state; kept small (an idle connection should cost a few KiB).
struct Conn {
    state: web::Data<AppState>,
    session: Session,
    outbox: Arc<Outbox>,
    ctx: Option<Arc<ConnCtx>>,
    bucket: TokenBucket,
    invalid: Window,
    rejected: Window,
    started: Instant,
    last_seen: Instant,
    /// Text frame being reassembled from continuation frames.
    fragments: Option<Vec<u8>>,
    control: Option<Control>,
    /// A frame to send just before the close frame (why a hello failed).
    last_words: Option<Bytes>,
    frames_out: Arc<AtomicI64>,
    frames_in: Arc<AtomicI64>,
    /// The per-address limits' verdict on this socket (none without a peer address).
    admitted: Option<Result<limits::AddrSlot, limits::Refusal>>,
    addr_slot: Option<limits::AddrSlot>,
    user_slot: Option<limits::UserSlot>,
    /// The close code of a `hello` refused by a connection limit (instead of 4001).
    hello_close: Option<u16>,
}

/// Why the loop stops.
enum Stop {
    Close(u16, &'static str),
    Gone,
}

impl Conn {
    fn new(state: web::Data<AppState>, session: Session) -> Conn {
        let ws = &state.config.ws;
        let outbox = Arc::new(Outbox::new(ws.outbox_capacity));
        let bucket = TokenBucket::new(ws.rate_burst, ws.rate_per_sec as f64, state.now_ms() as f64);
        let m = &state.metrics;
        let frames_in = m.handle(
            "segue_ws_frames_in_total",
            "counter",
            "WebSocket frames received",
        );
        let frames_out = m.handle(
            "segue_ws_frames_out_total",
            "counter",
            "WebSocket frames sent",
        );
        let now = Instant::now();
        Conn {
            session,
            outbox,
            ctx: None,
            bucket,
            invalid: Window::default(),
            rejected: Window::default(),
            started: now,
            last_seen: now,
            fragments: None,
            control: None,
            last_words: None,
            frames_out,
            frames_in,
            admitted: None,
            addr_slot: None,
            user_slot: None,
            hello_close: None,
            state,
        }
    }

    async fn run(&mut self, mut stream: actix_ws::MessageStream) {
        let gauge = self.state.metrics.handle(
            "segue_ws_connections",
            "gauge",
            "Open WebSocket connections",
        );
        gauge.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stop = self.serve(&mut stream).await;
        gauge.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        // Give the connection counts back before the close frame goes out, so a client that
        // reconnects as soon as it sees the close is counted afresh.
        self.addr_slot = None;
        self.user_slot = None;
        // Replies queued before the decision to close still go out ahead of the close frame:
        // every request with an `id` gets its reply (an outbox that overflowed holds none).
        let unsent = self.outbox.close_and_drain(close::NORMAL);
        if let Some(ctx) = self.ctx.take() {
            if let Some(addr) = self.state.players.peek(&ctx.user_id) {
                addr.do_send(crate::actors::user::Disconnect {
                    conn_id: ctx.conn_id,
                });
            }
            crate::actors::session_ws::on_disconnect(&ctx);
            crate::actors::playlist_ws::on_disconnect(&ctx);
        }
        if let Stop::Close(code, why) = stop {
            let reason = CloseReason {
                code: CloseCode::Other(code),
                description: Some(why.to_string()),
            };
            let reason = if code == close::NORMAL {
                CloseReason {
                    code: CloseCode::Normal,
                    ..reason
                }
            } else {
                reason
            };
            let mut session = self.session.clone();
            let last_words = self.last_words.take();
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async move {
                for b in unsent {
                    if let Ok(text) = ByteString::try_from(b) {
                        if session.text(text).await.is_err() {
                            return Err(actix_ws::Closed);
                        }
                    }
                }
                if let Some(b) = last_words {
                    if let Ok(text) = ByteString::try_from(b) {
                        let _ = session.text(text).await;
                    }
                }
                session.close(Some(reason)).await
            })
            .await;
        }
    }

    async fn serve(&mut self, stream: &mut actix_ws::MessageStream) -> Stop {
        let ws = self.state.config.ws.clone();
        let mut shutdown = self.state.shutdown.clone();
        if *shutdown.borrow() {
            return Stop::Close(close::RESTARTING, "server is restarting");
        }
        if let Some(admitted) = self.admitted.take() {
            match admitted {
                Ok(slot) => self.addr_slot = Some(slot),
                Err(r) => {
                    r.count(&self.state.metrics);
                    let e = ApiError::new(ErrorCode::RateLimited, r.message);
                    self.last_words = Some(codec::error(None, &e));
                    return Stop::Close(r.code, close_reason(r.code));
                }
            }
        }
        let hello_deadline = self.started + Duration::from_millis(ws.hello_timeout_ms);
        let ping_every = Duration::from_millis(ws.ping_interval_ms);
        let idle = Duration::from_millis(ws.idle_timeout_ms);
        let mut next_ping = self.started + ping_every;
        let tick = tokio::time::sleep_until(hello_deadline.min(next_ping));
        tokio::pin!(tick);
        let mut pending: Option<Write> = None;
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    return Stop::Close(close::RESTARTING, "server is restarting");
                }
                _ = &mut tick => {
                    let now = Instant::now();
                    if self.ctx.is_none() && now >= hello_deadline {
                        return Stop::Close(close::UNAUTHORIZED, "no hello");
                    }
                    if now >= self.last_seen + idle {
                        return Stop::Close(close::NORMAL, "idle timeout");
                    }
                    if now >= next_ping {
                        let t = (now - self.started).as_micros() as u64;
                        self.control = Some(Control::Ping(Bytes::copy_from_slice(&t.to_be_bytes())));
                        next_ping = now + ping_every;
                    }
                    let mut at = (self.last_seen + idle).min(next_ping);
                    if self.ctx.is_none() {
                        at = at.min(hello_deadline);
                    }
                    tick.as_mut().reset(at);
                }
                res = async { pending.as_mut().expect("guarded").await }, if pending.is_some() => {
                    pending = None;
                    if res.is_err() {
                        return Stop::Gone;
                    }
                    self.frames_out.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                next = self.outbox.next(), if pending.is_none() && self.control.is_none() => {
                    match next {
                        Next::Frame(b) => pending = Some(self.write_text(b)),
                        Next::Close(code) => return Stop::Close(code, close_reason(code)),
                    }
                }
                msg = stream.recv() => {
                    self.last_seen = Instant::now();
                    match msg {
                        None => return Stop::Gone,
                        Some(Ok(m)) => {
                            if let Some(stop) = self.on_message(m).await {
                                return stop;
                            }
                        }
                        Some(Err(ProtocolError::Overflow)) => {
                            let e = ApiError::new(ErrorCode::TooLarge, format!(
                                "frame is over the {}-byte limit", ws.max_frame_bytes));
                            if let Some(stop) = self.invalid_frame(None, &e) {
                                return stop;
                            }
                        }
                        Some(Err(e)) => return protocol_error(&e),
                    }
                }
            }
            // Control frames go out as soon as the socket takes them.
            if pending.is_none() {
                if let Some(c) = self.control.take() {
                    let mut s = self.session.clone();
                    pending = Some(match c {
                        Control::Ping(b) => Box::pin(async move { s.ping(&b).await }),
                        Control::Pong(b) => Box::pin(async move { s.pong(&b).await }),
                    });
                }
            }
            if self.outbox.is_closed() && pending.is_some() {
                // Overflowed while the socket is congested: stop waiting for it.
                pending = None;
            }
        }
    }

    fn write_text(&self, b: Bytes) -> Write {
        let mut s = self.session.clone();
        Box::pin(async move {
            // Our frames are serialized JSON: always UTF-8.
            let text = ByteString::try_from(b).unwrap_or_default();
            s.text(text).await
        })
    }

    async fn on_message(&mut self, m: Message) -> Option<Stop> {
        match m {
            Message::Text(t) => {
                self.frames_in
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Box::pin(self.on_text(&t)).await
            }
            Message::Ping(b) => {
                self.control = Some(Control::Pong(b));
                None
            }
            Message::Pong(b) => {
                if let Ok(raw) = <[u8; 8]>::try_from(&b[..]) {
                    let sent = Duration::from_micros(u64::from_be_bytes(raw));
                    let rtt = (self.started.elapsed().saturating_sub(sent)).as_secs_f64() * 1000.0;
                    if let Some(ctx) = &self.ctx {
                        ctx.observe_rtt(rtt);
                    }
                }
                None
            }
            Message::Close(_) => Some(Stop::Close(close::NORMAL, "bye")),
            Message::Binary(_) => {
                let e = ApiError::bad_request("binary frames are not supported; send JSON text");
                self.invalid_frame(None, &e)
            }
            Message::Continuation(item) => self.on_fragment(item).await,
            Message::Nop => None,
        }
    }

    /// Reassembles a fragmented text message, never beyond the frame limit.
    async fn on_fragment(&mut self, item: actix_ws::Item) -> Option<Stop> {
        use actix_ws::Item;
        let max = self.state.config.ws.max_frame_bytes;
        let (chunk, first, last) = match &item {
            Item::FirstText(b) => (b, true, false),
            Item::FirstBinary(b) => (b, true, false),
            Item::Continue(b) => (b, false, false),
            Item::Last(b) => (b, false, true),
        };
        if matches!(item, Item::FirstBinary(_)) {
            self.fragments = None;
            let e = ApiError::bad_request("binary frames are not supported; send JSON text");
            return self.invalid_frame(None, &e);
        }
        if first {
            self.fragments = Some(Vec::new());
        }
        let Some(buf) = self.fragments.as_mut() else {
            return None; // the rest of a message already refused
        };
        if buf.len() + chunk.len() > max {
            self.fragments = None;
            let e = ApiError::new(
                ErrorCode::TooLarge,
                format!("message is over the {max}-byte limit"),
            );
            return self.invalid_frame(None, &e);
        }
        buf.extend_from_slice(chunk);
        if !last {
            return None;
        }
        let whole = self.fragments.take().unwrap_or_default();
        match String::from_utf8(whole) {
            Ok(text) => Box::pin(self.on_text(&text)).await,
            // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection with 1007.
            Err(_) => Some(Stop::Close(
                close::INVALID_PAYLOAD,
                "text is not valid UTF-8",
            )),
        }
    }

    /// Answers an invalid frame and closes with 4002 once the client keeps sending them.
    fn invalid_frame(
        &mut self,
        id: Option<&crate::protocol::RequestId>,
        e: &ApiError,
    ) -> Option<Stop> {
        let ws = &self.state.config.ws;
        if self.ctx.is_none() {
            self.last_words = Some(codec::error(id, e));
            return Some(Stop::Close(
                close::UNAUTHORIZED,
                "the first message must be hello",
            ));
        }
        let n = self
            .invalid
            .hit(self.state.now_ms(), ws.invalid_frame_window_ms as i64);
        // The frame that tips the connection over is answered too: queued frames go out
        // before the close frame, so every request with an `id` gets its one reply.
        self.outbox.push(codec::error(id, e));
        if n > ws.invalid_frame_limit {
            return Some(Stop::Close(
                close::PROTOCOL_ABUSE,
                "too many invalid frames",
            ));
        }
        None
    }

    fn reply(
        &self,
        id: Option<&crate::protocol::RequestId>,
        r: Result<serde_json::Value, ApiError>,
    ) {
        match (r, id) {
            (Ok(v), Some(id)) => {
                self.outbox.push(codec::ack(id, v));
            }
            (Ok(_), None) => {}
            (Err(e), id) => {
                self.outbox.push(codec::error(id, &e));
            }
        }
    }
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close::TOO_SLOW => "too slow: outbound queue overflowed",
        close::RATE_LIMITED => "rate limited",
        close::PROTOCOL_ABUSE => "too many invalid frames",
        close::UNAUTHORIZED => "unauthorized",
        close::RESTARTING => "server is restarting",
        close::ACCOUNT_DELETED => "account deleted",
        close::TOO_MANY_FOR_USER => "too many connections for this account",
        close::TOO_MANY_FOR_ADDRESS => "too many connections from this address",
        close::TOO_MANY_PENDING => "too many connections without hello from this address",
        _ => "closing",
    }
}

/// Maps a frame the codec could not decode to its RFC 6455 close code. The stream cannot be
/// read past such a frame, so the connection closes, but with a close frame that says why
/// instead of a dropped TCP connection.
fn protocol_error(e: &ProtocolError) -> Stop {
    match e {
        // actix-ws reports a text frame that is not UTF-8 as `InvalidData` wrapping the
        // `Utf8Error`; other I/O errors are the transport going away.
        ProtocolError::Io(io) => match io.get_ref() {
            Some(inner) if inner.is::<std::str::Utf8Error>() => {
                Stop::Close(close::INVALID_PAYLOAD, "text is not valid UTF-8")
            }
            // Non-zero reserved bits (no extension was negotiated).
            _ if io.kind() == std::io::ErrorKind::InvalidData => {
                Stop::Close(close::PROTOCOL_ERROR, "malformed frame")
            }
            _ => Stop::Gone,
        },
        ProtocolError::InvalidLength(_) => {
            Stop::Close(close::PROTOCOL_ERROR, "control frame over 125 bytes")
        }
        ProtocolError::InvalidOpcode(_) | ProtocolError::BadOpCode => {
            Stop::Close(close::PROTOCOL_ERROR, "reserved opcode")
        }
        ProtocolError::ContinuationNotStarted
        | ProtocolError::ContinuationStarted
        | ProtocolError::ContinuationFragment(_) => {
            Stop::Close(close::PROTOCOL_ERROR, "continuation out of order")
        }
        _ => Stop::Close(close::PROTOCOL_ERROR, "malformed frame"),
    }
}
