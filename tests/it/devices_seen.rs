//! Devices carry `last_seen_ms` (when they last connected or disconnected, server clock) so that
//! clients can hide offline devices unseen for long (issue 14 item 18 a).

use crate::common::TestServer;
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[tokio::test]
async fn devices_carry_when_they_were_last_seen() {
    let s = TestServer::start().await;
    let c = s.client().new_user("seen").await;
    let before = now_ms();
    let (old, _) = c.ws("old-tab").await;
    drop(old);
    let (mut ws, welcome) = c.ws("new-tab").await;
    let devices = welcome["devices"].as_array().expect("devices");
    let mine = devices
        .iter()
        .find(|d| d["device_id"] == "new-tab")
        .expect("the new device is listed");
    let seen = mine["last_seen_ms"].as_i64().expect("last_seen_ms");
    assert!(seen >= before - 1000 && seen <= now_ms() + 1000, "{mine}");
    // The closed device goes offline and keeps the time it was last seen (in the welcome if it
    // was already gone, else in a later `devices` event).
    let offline = |list: &serde_json::Value| {
        list.as_array().and_then(|d| {
            d.iter()
                .find(|d| d["device_id"] == "old-tab" && d["online"] == false)
                .cloned()
        })
    };
    let gone = match offline(&welcome["devices"]) {
        Some(d) => d,
        None => {
            let ev = ws
                .recv_where(|m| m["type"] == "devices" && offline(&m["devices"]).is_some())
                .await;
            offline(&ev["devices"]).expect("old-tab offline")
        }
    };
    assert!(
        gone["last_seen_ms"]
            .as_i64()
            .is_some_and(|t| t >= before - 1000),
        "{gone}"
    );
}
