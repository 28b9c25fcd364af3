//! The synchronization test: ten devices, each with its own clock offset (up to ±30 s) and
//! random network delays (0–50 ms each way, with jitter), estimate their offset with
//! `time_sync` exactly as docs/group-listening.md tells client authors, and schedule the start
//! at `start_at_ms`. The true start instants must lie within 10 ms of each other.

use crate::common::{TestServer, WsClient};
use crate::player_fixture::seed_album;
use crate::sessions::quick_user;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::Duration;

/// True time: the machine's clock, which is also the server's clock here.
fn true_now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// A device with a wrong clock on a slow, jittery network.
struct SimDevice {
    ws: WsClient,
    clock_offset_ms: f64,
    rng: rand::rngs::StdRng,
}

impl SimDevice {
    fn clock(&self) -> f64 {
        true_now_ms() + self.clock_offset_ms
    }

    fn delay(&mut self) -> Duration {
        Duration::from_micros(self.rng.gen_range(0..50_000))
    }

    /// The estimate docs/group-listening.md recommends: `samples` NTP round trips, each of
    /// which bounds the offset from both sides (`t2 - t3 <= offset <= t1 - t0`, since neither
    /// network leg can be negative); the estimate is the middle of the tightest interval, and
    /// its half-width bounds the error. Falls back to the median offset of the quarter with the
    /// smallest round trips if the bounds cross (a clock stepped mid-measurement). Returns
    /// (offset, half-width of the interval) with server_clock ≈ device_clock + offset.
    ///
    /// The simulated network delays are applied to the device's own timestamps rather than by
    /// sleeping: the request is stamped as sent `out` ms before it really leaves, and the reply
    /// as received `back` ms after it really arrives. That is exactly what a device on such a
    /// network observes, without the test machine's timer slack adding its own noise.
    async fn estimate_offset(&mut self, samples: usize) -> (f64, f64) {
        let mut taken: Vec<(f64, f64)> = Vec::new(); // (rtt, offset)
        let (mut lower, mut upper) = (f64::MIN, f64::MAX);
        for _ in 0..samples {
            let out = self.delay().as_secs_f64() * 1000.0;
            let t0 = self.clock() - out;
            let mut msg = json!({"type": "time_sync", "t0": t0});
            if let Some((rtt, _)) = taken.iter().min_by(|a, b| a.0.total_cmp(&b.0)) {
                msg["rtt_ms"] = json!(rtt);
            }
            let r = WsClient::ok(self.ws.request(msg).await);
            let back = self.delay().as_secs_f64() * 1000.0;
            let t3 = self.clock() + back;
            let (t1, t2) = (r["t1"].as_f64().unwrap(), r["t2"].as_f64().unwrap());
            let rtt = (t3 - t0) - (t2 - t1);
            let offset = ((t1 - t0) + (t2 - t3)) / 2.0;
            taken.push((rtt, offset));
            lower = lower.max(t2 - t3);
            upper = upper.min(t1 - t0);
            // Spaced to stay within the connection rate limit (20 messages/s by default).
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if lower <= upper {
            return ((lower + upper) / 2.0, (upper - lower) / 2.0);
        }
        taken.sort_by(|a, b| a.0.total_cmp(&b.0));
        let best = &taken[..(samples / 4).max(1)];
        let mut offsets: Vec<f64> = best.iter().map(|s| s.1).collect();
        offsets.sort_by(f64::total_cmp);
        (offsets[offsets.len() / 2], best[0].0 / 2.0)
    }
}

#[tokio::test]
async fn ten_devices_start_within_10ms() {
    let seed: u64 = std::env::var("SEGUE_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("session sync test seed: {seed} (rerun with SEGUE_SYNC_SEED={seed})");
    let mut master = rand::rngs::StdRng::seed_from_u64(seed);
    let srv = TestServer::start().await;
    seed_album(&srv.state.storage, "sync", 2, 300_000).await;

    let mut devices = Vec::new();
    for i in 0..10 {
        let user = quick_user(&srv, &format!("sync{i}")).await;
        let (ws, _) = user.ws(&format!("sync{i}-dev")).await;
        devices.push(SimDevice {
            ws,
            clock_offset_ms: master.gen_range(-30_000.0..30_000.0),
            rng: rand::rngs::StdRng::seed_from_u64(master.gen()),
        });
    }
    let created = WsClient::ok(
        devices[0]
            .ws
            .request(json!({"type": "session_create"}))
            .await,
    );
    let code = created["join_code"].as_str().unwrap().to_string();
    for d in devices.iter_mut().skip(1) {
        WsClient::ok(
            d.ws.request(json!({"type": "session_join", "join_code": code}))
                .await,
        );
    }
    // Every device estimates its offset concurrently, as real devices would.
    let mut tasks = Vec::new();
    for mut d in devices {
        tasks.push(tokio::spawn(async move {
            let est = d.estimate_offset(80).await;
            (d, est)
        }));
    }
    let mut devices = Vec::new();
    for t in tasks {
        devices.push(t.await.unwrap());
    }
    for (d, (offset, bound)) in &devices {
        let err = offset + d.clock_offset_ms;
        eprintln!(
            "device offset {:+.1} ms: estimate error {err:+.2} ms, error bound ±{bound:.2} ms",
            d.clock_offset_ms
        );
        assert!(
            err.abs() <= bound + 1.0,
            "estimate error {err:.2} ms outside its bound ±{bound:.2} ms (seed {seed})"
        );
    }
    // The host starts playback; each device receives the state after its own network delay
    // and schedules the start on its own clock.
    let host_ws = &mut devices[0].0.ws;
    WsClient::ok(
        host_ws
            .request(json!({"type": "play", "context_uri": "segue:album:alb-sync"}))
            .await,
    );
    let mut tasks = Vec::new();
    for (mut d, (offset, _)) in devices {
        tasks.push(tokio::spawn(async move {
            let st =
                d.ws.recv_where(|m| m["type"] == "player_state" && m["playing"] == true)
                    .await;
            let inbound = d.delay().as_secs_f64() * 1000.0;
            let received_local = d.clock() + inbound;
            let start_at = st["start_at_ms"].as_f64().expect("start_at_ms");
            let local_start = start_at - offset;
            assert!(
                local_start > received_local,
                "the state arrived after its start: {local_start} <= {received_local}"
            );
            // The true instant at which this device's clock reads `local_start`.
            local_start - d.clock_offset_ms
        }));
    }
    let mut starts = Vec::new();
    for t in tasks {
        starts.push(t.await.unwrap());
    }
    let min = starts.iter().cloned().fold(f64::MAX, f64::min);
    let max = starts.iter().cloned().fold(f64::MIN, f64::max);
    eprintln!("true start spread: {:.2} ms", max - min);
    assert!(
        max - min <= 10.0,
        "devices start {:.2} ms apart (seed {seed}); starts {starts:?}",
        max - min
    );
}
