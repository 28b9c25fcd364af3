//! `connect`: open N device connections and hold them idle (answering pings).

use super::Ctx;
use crate::conn::connect_device;
use crate::report::WorkerResult;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub async fn run(
    ctx: Arc<Ctx>,
    connections: usize,
    ready: impl FnOnce() + Send + 'static,
) -> anyhow::Result<WorkerResult> {
    let mine = ctx.share(connections);
    let failed = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(ctx.concurrency));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for g in mine {
        let account = ctx.account(g % ctx.accounts.len().max(1))?.clone();
        let (ctx2, gate, failed, ok) = (ctx.clone(), gate.clone(), failed.clone(), ok.clone());
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let conn = connect_device(&ctx2.ws_url, &account.token, &format!("ld-{g}")).await;
            drop(permit);
            match conn {
                Ok((_sink, mut source, _)) => {
                    ok.fetch_add(1, Ordering::Relaxed);
                    // Reading keeps pings answered; hold until told to stop.
                    let closed_by_server = loop {
                        tokio::select! {
                            _ = stop.changed() => break false,
                            m = source.next() => if m.is_none() { break true },
                        }
                    };
                    Ok::<bool, ()>(closed_by_server)
                }
                Err(e) => {
                    if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("connect failed: {e:#}");
                    }
                    Err(())
                }
            }
        }));
        // Let the connect burst spread a little so the listen backlog is not overrun.
        if tasks.len() % ctx.concurrency == 0 {
            tokio::task::yield_now().await;
        }
    }
    // Wait until every connection is up (or failed).
    let total = tasks.len() as u64;
    while ok.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < total {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let setup_secs = started.elapsed().as_secs_f64();
    super::wait_go(ready).await;
    let hold = std::time::Instant::now();
    tokio::time::sleep(ctx.duration).await;
    let _ = stop_tx.send(true);
    let mut still_open = 0u64;
    for t in tasks {
        if let Ok(Ok(false)) = t.await {
            still_open += 1;
        }
    }
    let mut notes = vec![];
    let connected = ok.load(Ordering::Relaxed);
    if still_open < connected {
        notes.push(format!(
            "{} connections were closed by the server while idle",
            connected - still_open
        ));
    }
    Ok(WorkerResult {
        connections: connected,
        failed_connections: failed.load(Ordering::Relaxed),
        setup_secs,
        run_secs: hold.elapsed().as_secs_f64(),
        notes,
        ..Default::default()
    })
}
