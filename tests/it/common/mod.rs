//! Test harness: `TestServer` runs the real server (in-process on its own actix system, or as a
//! real child process for crash tests); `TestClient` talks real HTTP and WebSocket to it.

#![allow(dead_code, unused_imports)]

pub mod client;
pub mod server;

pub use client::{TestClient, WsClient};
pub use server::{ProcessServer, TestServer};

use std::time::Duration;

/// Waits for `cond` to become true, polling, up to `timeout`; panics with `what` otherwise.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A unique, valid username.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}
