//! `remote`: U users with two devices. Device A sends seek commands at a steady total rate;
//! the latency is measured until device B receives the resulting `player_state`. The seek
//! position encodes which command a state answers (see `slot_position`).

use super::{position_slot, slot_position, Ctx, LastMatch, SlotTimes};
use crate::conn::{connect_device, parse, request, send_json, Sink};
use crate::report::{encode_hist, new_hist, WorkerResult};
use futures_util::StreamExt;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct User {
    sink_a: tokio::sync::Mutex<Sink>,
    sent: SlotTimes,
    seq: AtomicU64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    deliveries: AtomicU64,
}

pub async fn run(
    ctx: Arc<Ctx>,
    users: usize,
    rate: f64,
    ready: impl FnOnce() + Send + 'static,
) -> anyhow::Result<WorkerResult> {
    let mine = ctx.share(users);
    let my_rate = rate * mine.len() as f64 / users.max(1) as f64;
    let hist = Arc::new(Mutex::new(new_hist()));
    let counters = Arc::new(Counters::default());
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::time::Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(ctx.concurrency));
    let mut setups = Vec::new();
    for u in mine.clone() {
        let account = ctx.account(u)?.clone();
        let (ctx, gate) = (ctx.clone(), gate.clone());
        setups.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let (mut sa, mut ra, _) =
                connect_device(&ctx.ws_url, &account.token, &format!("ra-{u}")).await?;
            let (sb, rb, _) =
                connect_device(&ctx.ws_url, &account.token, &format!("rb-{u}")).await?;
            let track = ctx.track_id.clone();
            request(
                &mut sa,
                &mut ra,
                1,
                serde_json::json!({"type": "play", "track_ids": [track]}),
            )
            .await?;
            request(&mut sa, &mut ra, 2, serde_json::json!({"type": "pause"})).await?;
            anyhow::Ok((sa, ra, sb, rb))
        }));
    }
    let mut all = Vec::new();
    let mut failed = 0u64;
    for s in setups {
        match s.await {
            Ok(Ok(c)) => all.push(c),
            Ok(Err(e)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("remote setup failed: {e:#}");
                }
            }
            Err(_) => failed += 1,
        }
    }
    let setup_secs = started.elapsed().as_secs_f64();
    let mut user_list = Vec::new();
    for (sa, mut ra, _sb, mut rb) in all {
        let user = Arc::new(User {
            sink_a: tokio::sync::Mutex::new(sa),
            sent: SlotTimes::new(),
            seq: AtomicU64::new(1),
        });
        // A's reader counts acks and errors.
        let c = counters.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = ra.next().await {
                if let Some(f) = parse(&m) {
                    match f.ty.as_str() {
                        "ack" => c.acked.fetch_add(1, Ordering::Relaxed),
                        "error" => c.errors.fetch_add(1, Ordering::Relaxed),
                        _ => 0,
                    };
                }
            }
        });
        // B's reader measures.
        let (c, h, u2, ctx2, on) = (
            counters.clone(),
            hist.clone(),
            user.clone(),
            ctx.clone(),
            measuring.clone(),
        );
        tokio::spawn(async move {
            let mut last = LastMatch::default();
            while let Some(Ok(m)) = rb.next().await {
                let Some(f) = parse(&m) else { continue };
                if f.ty != "player_state" || !on.load(Ordering::Relaxed) {
                    continue;
                }
                if let Some(slot) = f.position_ms.and_then(position_slot) {
                    let sent = u2.sent.get(slot);
                    let now = ctx2.micros();
                    if sent > 0 && now >= sent && last.first(slot, sent) {
                        c.deliveries.fetch_add(1, Ordering::Relaxed);
                        let _ = h.lock().record((now - sent).max(1));
                    }
                }
            }
        });
        user_list.push(user);
    }
    super::wait_go(ready).await;
    measuring.store(true, Ordering::Relaxed);
    let run_start = std::time::Instant::now();
    if !user_list.is_empty() && my_rate > 0.0 {
        let interval = std::time::Duration::from_secs_f64(1.0 / my_rate);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut next_user = 0usize;
        while run_start.elapsed() < ctx.duration {
            ticker.tick().await;
            let user = user_list[next_user % user_list.len()].clone();
            next_user += 1;
            let (c, ctx2) = (counters.clone(), ctx.clone());
            tokio::spawn(async move {
                let seq = user.seq.fetch_add(1, Ordering::Relaxed);
                let (slot, pos) = slot_position(seq);
                let msg = serde_json::json!({"type": "seek", "id": seq + 10, "position_ms": pos});
                let mut sink = user.sink_a.lock().await;
                user.sent.set(slot, ctx2.micros());
                if send_json(&mut sink, &msg).await.is_ok() {
                    c.sent.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }
    // Let in-flight deliveries arrive.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let run_secs = run_start.elapsed().as_secs_f64() - 0.5;
    let h = hist.lock().clone();
    Ok(WorkerResult {
        connections: user_list.len() as u64 * 2,
        failed_connections: failed * 2,
        setup_secs,
        commands_sent: counters.sent.load(Ordering::Relaxed),
        commands_acked: counters.acked.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        deliveries: counters.deliveries.load(Ordering::Relaxed),
        run_secs,
        latency: Some(encode_hist(&h)),
        notes: vec![],
    })
}
