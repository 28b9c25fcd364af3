//! `fanout`: S group sessions of M members. Each session's host sends seek commands at a steady
//! rate; every member's receipt of the resulting `player_state` is one delivery, timed from the
//! host's send (host and members of a session live in the same worker process).

use super::{position_slot, slot_position, Ctx, LastMatch, SlotTimes};
use crate::conn::{connect_device, parse, request, send_json, Sink, Source};
use crate::report::{encode_hist, new_hist, WorkerResult};
use futures_util::StreamExt;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

struct Session {
    host: tokio::sync::Mutex<Sink>,
    sent: SlotTimes,
    seq: AtomicU64,
}

pub async fn run(
    ctx: Arc<Ctx>,
    sessions: usize,
    members: usize,
    rate: f64,
    ready: impl FnOnce() + Send + 'static,
) -> anyhow::Result<WorkerResult> {
    let mine = ctx.share(sessions);
    let hist = Arc::new(Mutex::new(new_hist()));
    let deliveries = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let sent_count = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let started = std::time::Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(ctx.concurrency));
    let mut list = Vec::new();
    let mut connections = 0u64;
    let mut failed = 0u64;
    // Sessions are set up a few at a time (each is host setup plus M joins).
    let session_gate = Arc::new(tokio::sync::Semaphore::new(SESSIONS_AT_ONCE));
    let mut setups = Vec::new();
    for s in mine.clone() {
        let (ctx2, gate2, sg) = (ctx.clone(), gate.clone(), session_gate.clone());
        let obs = Observers {
            hist: hist.clone(),
            deliveries: deliveries.clone(),
            measuring: measuring.clone(),
        };
        setups.push(tokio::spawn(async move {
            let _p = sg.acquire_owned().await;
            setup_session(ctx2, gate2, s, members, obs).await
        }));
    }
    for setup in setups {
        let Ok(res) = setup.await else {
            failed += 1 + members as u64;
            continue;
        };
        let (session, mut hr, joined, fails) = match res {
            Ok(v) => v,
            Err(e) => {
                failed += 1 + members as u64;
                if failed <= 3 * (1 + members as u64) {
                    eprintln!("session setup failed: {e:#}");
                }
                continue;
            }
        };
        failed += fails;
        connections += 1 + joined;
        let (a, e) = (acked.clone(), errors.clone());
        tokio::spawn(async move {
            while let Some(Ok(m)) = hr.next().await {
                if let Some(f) = parse(&m) {
                    match f.ty.as_str() {
                        "ack" => a.fetch_add(1, Ordering::Relaxed),
                        "error" => e.fetch_add(1, Ordering::Relaxed),
                        _ => 0,
                    };
                }
            }
        });
        list.push(session);
    }
    let setup_secs = started.elapsed().as_secs_f64();
    super::wait_go(ready).await;
    measuring.store(true, Ordering::Relaxed);
    let run_start = std::time::Instant::now();
    let total_rate = rate * list.len() as f64;
    if !list.is_empty() && total_rate > 0.0 {
        let mut ticker =
            tokio::time::interval(std::time::Duration::from_secs_f64(1.0 / total_rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut next = 0usize;
        while run_start.elapsed() < ctx.duration {
            ticker.tick().await;
            let session = list[next % list.len()].clone();
            next += 1;
            let (ctx2, sc) = (ctx.clone(), sent_count.clone());
            tokio::spawn(async move {
                let seq = session.seq.fetch_add(1, Ordering::Relaxed);
                let (slot, pos) = slot_position(seq);
                let msg = serde_json::json!({"type": "seek", "id": seq + 10, "position_ms": pos});
                let mut sink = session.host.lock().await;
                session.sent.set(slot, ctx2.micros());
                if send_json(&mut sink, &msg).await.is_ok() {
                    sc.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let run_secs = run_start.elapsed().as_secs_f64() - 1.0;
    measuring.store(false, Ordering::Relaxed);
    let (acked_n, errors_n) = (
        acked.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
    // End the sessions so the next run finds its users free.
    for session in &list {
        let mut sink = session.host.lock().await;
        let _ = send_json(
            &mut sink,
            &serde_json::json!({"type": "session_end", "id": 1}),
        )
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let h = hist.lock().clone();
    Ok(WorkerResult {
        connections,
        failed_connections: failed,
        setup_secs,
        commands_sent: sent_count.load(Ordering::Relaxed),
        commands_acked: acked_n,
        errors: errors_n,
        deliveries: deliveries.load(Ordering::Relaxed),
        run_secs,
        latency: Some(encode_hist(&h)),
        notes: vec![],
    })
}

/// Sessions whose setup runs at the same time.
const SESSIONS_AT_ONCE: usize = 16;

/// What member readers record into.
#[derive(Clone)]
struct Observers {
    hist: Arc<Mutex<hdrhistogram::Histogram<u64>>>,
    deliveries: Arc<AtomicU64>,
    measuring: Arc<AtomicBool>,
}

/// Connects session `s`'s host, gives it a paused track (a new session's shared player starts
/// paused from the host's own player), creates the session and joins its M members.
/// Members start reading at once (a growing session sends each of them every join).
/// Returns the session, the host's reader, how many members joined and how many failed.
async fn setup_session(
    ctx: Arc<Ctx>,
    gate: Arc<tokio::sync::Semaphore>,
    s: usize,
    members: usize,
    obs: Observers,
) -> anyhow::Result<(Arc<Session>, Source, u64, u64)> {
    let base = s * (members + 1);
    let host_acc = ctx.account(base)?.clone();
    let (mut hs, mut hr, _) = {
        let _p = gate.acquire().await;
        connect_device(&ctx.ws_url, &host_acc.token, &format!("fh-{s}")).await?
    };
    // A previous run that was cut short may have left this user in a session.
    let _ = request(
        &mut hs,
        &mut hr,
        4,
        serde_json::json!({"type": "session_leave"}),
    )
    .await;
    request(
        &mut hs,
        &mut hr,
        1,
        serde_json::json!({"type": "play", "track_ids": [ctx.track_id]}),
    )
    .await?;
    request(&mut hs, &mut hr, 2, serde_json::json!({"type": "pause"})).await?;
    let created = request(
        &mut hs,
        &mut hr,
        3,
        serde_json::json!({"type": "session_create"}),
    )
    .await?;
    let code = created["join_code"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("session_create gave no join_code: {created}"))?
        .to_string();
    let session = Arc::new(Session {
        host: tokio::sync::Mutex::new(hs),
        sent: SlotTimes::new(),
        seq: AtomicU64::new(1),
    });
    let mut joins = Vec::new();
    for m in 0..members {
        let acc = ctx.account(base + 1 + m)?.clone();
        let (ctx2, gate2, code2) = (ctx.clone(), gate.clone(), code.clone());
        let (session2, obs2) = (session.clone(), obs.clone());
        joins.push(tokio::spawn(async move {
            let _p = gate2.acquire_owned().await;
            let (mut ms, mut mr, _) =
                connect_device(&ctx2.ws_url, &acc.token, &format!("fm-{s}-{m}")).await?;
            let _ = request(
                &mut ms,
                &mut mr,
                2,
                serde_json::json!({"type": "session_leave"}),
            )
            .await;
            request(
                &mut ms,
                &mut mr,
                1,
                serde_json::json!({"type": "session_join", "join_code": code2}),
            )
            .await?;
            spawn_member(ms, mr, session2, &ctx2, obs2);
            anyhow::Ok(())
        }));
    }
    let mut joined = 0u64;
    let mut failed = 0u64;
    for j in joins {
        match j.await {
            Ok(Ok(())) => joined += 1,
            Ok(Err(e)) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("member setup failed: {e:#}");
                }
            }
            Err(_) => failed += 1,
        }
    }
    Ok((session, hr, joined, failed))
}

fn spawn_member(
    sink: Sink,
    mut source: Source,
    session: Arc<Session>,
    ctx: &Arc<Ctx>,
    obs: Observers,
) {
    let ctx = ctx.clone();
    let Observers {
        hist,
        deliveries,
        measuring: on,
    } = obs;
    tokio::spawn(async move {
        let _keep = sink;
        let mut last = LastMatch::default();
        while let Some(Ok(m)) = source.next().await {
            let Some(f) = parse(&m) else { continue };
            if f.ty != "player_state" || !on.load(Ordering::Relaxed) {
                continue;
            }
            if let Some(slot) = f.position_ms.and_then(position_slot) {
                let sent = session.sent.get(slot);
                let now = ctx.micros();
                if sent > 0 && now >= sent && last.first(slot, sent) {
                    deliveries.fetch_add(1, Ordering::Relaxed);
                    let _ = hist.lock().record((now - sent).max(1));
                }
            }
        }
    });
}
