//! Play events cannot inflate popularity: `ms_played` within the track, `played_at_ms` within the
//! clock skew, one count per event id, and a per-user rate (`history.play_events_*`).

use crate::common::TestServer;
use crate::player_fixture::seed_album;
use serde_json::{json, Value};

fn ev(id: &str, track: &str, at: i64, ms: i64) -> Value {
    json!({"event_id": id, "track_id": track, "played_at_ms": at, "ms_played": ms})
}

/// Total streams of `track` across every user (what popularity is folded from).
async fn track_streams(srv: &TestServer, track: &str) -> u64 {
    let counts = srv
        .state
        .storage
        .history
        .track_counts_after("", 1000)
        .await
        .unwrap();
    counts
        .into_iter()
        .find(|(t, _)| t == track)
        .map_or(0, |(_, n)| n)
}

#[tokio::test]
async fn a_play_longer_than_its_track_is_rejected_and_not_counted() {
    let srv = TestServer::start().await;
    let t = seed_album(&srv.state.storage, "pe-len", 1, 60_000).await;
    let c = srv.client().new_user("pelen").await;
    let now = srv.state.now_ms();
    let r = c
        .post(
            "/v1/me/player/events",
            json!({"events": [ev("whole", &t[0], now - 70_000, 60_000),
                               ev("longer", &t[0], now - 70_000, 60_001)]}),
        )
        .await
        .expect(200);
    assert_eq!(r["accepted"], 1, "{r}");
    assert_eq!(r["rejected"][0]["event_id"], "longer", "{r}");
    assert!(
        r["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("longer than the track"),
        "{r}"
    );
    assert_eq!(track_streams(&srv, &t[0]).await, 1);
}

#[tokio::test]
async fn played_at_beyond_the_clock_skew_is_refused() {
    let srv = TestServer::start_with(|c| c.history.max_clock_skew_ms = 1000).await;
    let t = seed_album(&srv.state.storage, "pe-skew", 1, 60_000).await;
    let c = srv.client().new_user("peskew").await;
    let now = srv.state.now_ms();
    // Within the skew: a device clock slightly ahead is fine.
    c.post(
        "/v1/me/player/events",
        json!({"events": [ev("ahead", &t[0], now + 500, 40_000)]}),
    )
    .await
    .expect(200);
    let e = c
        .post(
            "/v1/me/player/events",
            json!({"events": [ev("future", &t[0], now + 60_000, 40_000)]}),
        )
        .await
        .expect_error(400, "bad_request");
    assert!(
        e["message"].as_str().unwrap().contains("played_at_ms"),
        "{e}"
    );
    assert_eq!(track_streams(&srv, &t[0]).await, 1);
}

#[tokio::test]
async fn the_same_event_id_counts_once() {
    let srv = TestServer::start().await;
    let t = seed_album(&srv.state.storage, "pe-dup", 1, 60_000).await;
    let c = srv.client().new_user("pedup").await;
    let now = srv.state.now_ms();
    let one = json!({"events": [ev("same-id", &t[0], now - 50_000, 40_000)]});
    let r = c
        .post("/v1/me/player/events", one.clone())
        .await
        .expect(200);
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(1), Some(0))
    );
    for _ in 0..3 {
        let r = c
            .post("/v1/me/player/events", one.clone())
            .await
            .expect(200);
        assert_eq!(
            (r["accepted"].as_u64(), r["duplicates"].as_u64()),
            (Some(0), Some(1))
        );
    }
    assert_eq!(track_streams(&srv, &t[0]).await, 1);
    let top = c.get("/v1/me/top/tracks").await.expect(200);
    assert_eq!(top["items"][0]["streams"], 1, "{top}");
}

#[tokio::test]
async fn play_events_are_rate_limited_per_user() {
    let srv = TestServer::start_with(|c| {
        c.history.max_batch_events = 10;
        c.history.play_events_burst = 10;
        c.history.play_events_per_minute = 1;
    })
    .await;
    let t = seed_album(&srv.state.storage, "pe-rate", 1, 60_000).await;
    let c = srv.client().new_user("perate").await;
    let now = srv.state.now_ms();
    let batch: Vec<Value> = (0..10)
        .map(|i| ev(&format!("b{i}"), &t[0], now - 50_000, 40_000))
        .collect();
    c.post("/v1/me/player/events", json!({"events": batch}))
        .await
        .expect(200);
    let e = c
        .post(
            "/v1/me/player/events",
            json!({"events": [ev("over", &t[0], now - 50_000, 40_000)]}),
        )
        .await
        .expect_error(429, "rate_limited");
    assert!(e["message"].as_str().unwrap().contains("a minute"), "{e}");
    // Another user has their own allowance.
    let other = srv.client().new_user("perate2").await;
    other
        .post(
            "/v1/me/player/events",
            json!({"events": [ev("mine", &t[0], now - 50_000, 40_000)]}),
        )
        .await
        .expect(200);
    assert_eq!(track_streams(&srv, &t[0]).await, 11);
}

/// The reported attack: one account firing play events for one track as fast as it can. The
/// track's stream count stays within the allowance however many requests get through.
#[tokio::test]
async fn a_burst_of_play_events_keeps_the_play_count_bounded() {
    const BURST: u32 = 20;
    let srv = TestServer::start_with(|c| {
        c.history.max_batch_events = 5;
        c.history.play_events_burst = BURST;
        c.history.play_events_per_minute = 1;
    })
    .await;
    let t = seed_album(&srv.state.storage, "pe-burst", 1, 60_000).await;
    let c = srv.client().new_user("peburst").await;
    let now = srv.state.now_ms();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (c, track) = (c.clone(), t[0].clone());
        tasks.push(tokio::spawn(async move {
            let batch: Vec<Value> = (0..5)
                .map(|j| ev(&format!("burst-{i}-{j}"), &track, now - 50_000, 40_000))
                .collect();
            c.post("/v1/me/player/events", json!({"events": batch}))
                .await
                .status
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    // 500 events sent; the burst allows 20 (plus at most one refilled per elapsed minute).
    assert!(ok <= (BURST as usize / 5) + 1, "{ok} batches got through");
    assert!(limited >= 95, "{limited} batches refused");
    let streams = track_streams(&srv, &t[0]).await;
    assert!(
        streams >= 5 && streams <= BURST as u64 + 1,
        "{streams} streams counted"
    );
}
