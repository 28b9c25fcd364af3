//! A connection's bounded outbound queue. Frames are serialized once and shared (`Bytes`);
//! state events carry a coalescing key so that only the newest of each stream waits in the
//! queue. A client that still cannot keep up overflows the queue and is closed with 4003.

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::VecDeque;
use tokio::sync::Notify;

/// Coalescing keys for state streams: a newer frame with the same key replaces the queued one.
pub mod keys {
    pub const PLAYER_STATE: u32 = 1;
    pub const DEVICES: u32 = 2;
    pub const SESSION_STATE: u32 = 3;
}

/// Close codes (PROTOCOL.md "Close codes").
pub mod close {
    pub const NORMAL: u16 = 1000;
    /// RFC 6455 protocol error: a malformed frame (bad opcode, stray continuation, a control
    /// frame over 125 bytes, unmasked or reserved bits).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// RFC 6455: a text message that is not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const RESTARTING: u16 = 1012;
    pub const UNAUTHORIZED: u16 = 4001;
    pub const PROTOCOL_ABUSE: u16 = 4002;
    pub const TOO_SLOW: u16 = 4003;
    /// The account was deleted (`DELETE /v1/me`): its sockets close and do not come back.
    pub const ACCOUNT_DELETED: u16 = 4004;
    /// Connection limits (`ws.max_connections_per_user`, `ws.max_connections_per_address`,
    /// `ws.max_pending_per_address`).
    pub const TOO_MANY_FOR_USER: u16 = 4005;
    pub const TOO_MANY_FOR_ADDRESS: u16 = 4006;
    pub const TOO_MANY_PENDING: u16 = 4007;
    pub const RATE_LIMITED: u16 = 4008;
}

pub struct Outbox {
    inner: Mutex<Inner>,
    notify: Notify,
    capacity: usize,
    /// Smoothed round-trip time of this connection in ms (0 = unknown). It lives here because
    /// the outbox is the handle that actors keep for a connection (group sessions read it).
    rtt_ms: std::sync::atomic::AtomicU32,
}

struct Inner {
    frames: VecDeque<(u32, Bytes)>,
    /// Set once: the connection must close with this code after draining nothing more.
    close: Option<u16>,
}

/// What the writer side gets next.
#[derive(Debug, PartialEq)]
pub enum Next {
    Frame(Bytes),
    Close(u16),
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Outbox {
            inner: Mutex::new(Inner {
                frames: VecDeque::new(),
                close: None,
            }),
            notify: Notify::new(),
            capacity,
            rtt_ms: std::sync::atomic::AtomicU32::new(0),
        }
    }

    pub fn rtt_ms(&self) -> u32 {
        self.rtt_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Folds a new RTT sample into the estimate (EWMA with weight 1/8, like TCP's SRTT).
    pub fn observe_rtt(&self, sample_ms: f64) {
        use std::sync::atomic::Ordering;
        let sample = sample_ms.clamp(0.0, 60_000.0) as u32;
        let old = self.rtt_ms.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample.max(1)
        } else {
            ((old as u64 * 7 + sample as u64) / 8).max(1) as u32
        };
        self.rtt_ms.store(new, Ordering::Relaxed);
    }

    /// Queues a frame that must not be dropped (replies, deltas). Returns false when the
    /// connection is closed or has just overflowed (it will be closed with 4003).
    pub fn push(&self, frame: Bytes) -> bool {
        self.push_keyed(0, frame)
    }

    /// Queues a frame; with a non-zero `key`, a queued frame with the same key is replaced.
    pub fn push_keyed(&self, key: u32, frame: Bytes) -> bool {
        let mut q = self.inner.lock();
        if q.close.is_some() {
            return false;
        }
        if key != 0 {
            if let Some(pos) = q.frames.iter().position(|(k, _)| *k == key) {
                q.frames.remove(pos);
            }
        }
        if q.frames.len() >= self.capacity {
            q.close = Some(close::TOO_SLOW);
            q.frames.clear();
            drop(q);
            self.notify.notify_one();
            return false;
        }
        q.frames.push_back((key, frame));
        drop(q);
        self.notify.notify_one();
        true
    }

    /// Asks the connection to close with `code` (queued frames are dropped).
    pub fn close(&self, code: u16) {
        let mut q = self.inner.lock();
        if q.close.is_none() {
            q.close = Some(code);
        }
        drop(q);
        self.notify.notify_one();
    }

    /// Closes the outbox and hands back what was still queued, so that the connection can
    /// send it before its close frame (replies promised to requests with an `id`).
    pub fn close_and_drain(&self, code: u16) -> Vec<Bytes> {
        let mut q = self.inner.lock();
        if q.close.is_none() {
            q.close = Some(code);
        }
        let rest = q.frames.drain(..).map(|(_, f)| f).collect();
        drop(q);
        self.notify.notify_one();
        rest
    }

    pub fn is_closed(&self) -> bool {
        self.inner.lock().close.is_some()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for the next frame or the close request. One consumer only.
    pub async fn next(&self) -> Next {
        loop {
            {
                let mut q = self.inner.lock();
                if let Some(code) = q.close {
                    return Next::Close(code);
                }
                if let Some((_, f)) = q.frames.pop_front() {
                    return Next::Frame(f);
                }
            }
            self.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn coalesces_state_and_keeps_replies() {
        let o = Outbox::new(4);
        assert!(o.push(Bytes::from_static(b"ack1")));
        assert!(o.push_keyed(keys::PLAYER_STATE, Bytes::from_static(b"v1")));
        assert!(o.push(Bytes::from_static(b"ack2")));
        assert!(o.push_keyed(keys::PLAYER_STATE, Bytes::from_static(b"v2")));
        assert_eq!(o.len(), 3);
        assert_eq!(o.next().await, Next::Frame(Bytes::from_static(b"ack1")));
        assert_eq!(o.next().await, Next::Frame(Bytes::from_static(b"ack2")));
        assert_eq!(o.next().await, Next::Frame(Bytes::from_static(b"v2")));
    }

    #[tokio::test]
    async fn overflow_closes_with_4003() {
        let o = Outbox::new(2);
        assert!(o.push(Bytes::from_static(b"1")));
        assert!(o.push(Bytes::from_static(b"2")));
        assert!(!o.push(Bytes::from_static(b"3")));
        assert_eq!(o.next().await, Next::Close(close::TOO_SLOW));
        assert!(
            !o.push(Bytes::from_static(b"4")),
            "closed outbox takes nothing"
        );
    }
}
