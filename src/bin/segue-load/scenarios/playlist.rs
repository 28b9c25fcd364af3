//! `playlist`: E editors (owner + collaborators) and R readers on one public playlist. Editors
//! keep `window` edits in flight each; an edit inserts an item named by the client (and, once
//! the list is long, removes that editor's oldest item so the playlist stays bounded). Readers
//! time each inserted item from its editor's send to their `playlist_ops`.

use super::Ctx;
use crate::conn::{connect_device, parse, request, send_json};
use crate::report::{encode_hist, new_hist, WorkerResult};
use dashmap::DashMap;
use futures_util::StreamExt;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Items each editor keeps before removing its oldest.
const KEEP_PER_EDITOR: u64 = 200;

pub async fn run(
    ctx: Arc<Ctx>,
    editors: usize,
    readers: usize,
    window: usize,
    ready: impl FnOnce() + Send + 'static,
) -> anyhow::Result<WorkerResult> {
    anyhow::ensure!(editors >= 1, "at least one editor");
    let started = std::time::Instant::now();
    let http = reqwest::Client::new();
    let owner = ctx.account(0)?.clone();
    let created: serde_json::Value = http
        .post(format!("{}/v1/playlists", ctx.http_url))
        .bearer_auth(&owner.token)
        .json(&serde_json::json!({"name": "segue-load", "public": true, "collaborative": true}))
        .send()
        .await?
        .json()
        .await?;
    let playlist_id = created["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("playlist creation failed: {created}"))?
        .to_string();
    for e in 1..editors {
        let acc = ctx.account(e)?;
        let status = http
            .post(format!(
                "{}/v1/playlists/{playlist_id}/collaborators/{}",
                ctx.http_url, acc.user_id
            ))
            .bearer_auth(&owner.token)
            .send()
            .await?
            .status();
        anyhow::ensure!(
            status.is_success(),
            "adding a collaborator failed: {status}"
        );
    }
    let sent_at: Arc<DashMap<String, u64>> = Arc::new(DashMap::new());
    let hist = Arc::new(Mutex::new(new_hist()));
    let deliveries = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    for r in 0..readers {
        let acc = ctx.account(editors + r)?.clone();
        let (mut s, mut src, _) =
            connect_device(&ctx.ws_url, &acc.token, &format!("pr-{r}")).await?;
        request(
            &mut s,
            &mut src,
            1,
            serde_json::json!({"type": "playlist_subscribe", "playlist_id": playlist_id}),
        )
        .await?;
        let (sent_at, hist, deliveries, on, ctx2) = (
            sent_at.clone(),
            hist.clone(),
            deliveries.clone(),
            measuring.clone(),
            ctx.clone(),
        );
        tokio::spawn(async move {
            let _keep = s;
            while let Some(Ok(m)) = src.next().await {
                let Some(f) = parse(&m) else { continue };
                if f.ty != "playlist_ops" || !on.load(Ordering::Relaxed) {
                    continue;
                }
                let now = ctx2.micros();
                for op in f
                    .ops
                    .as_ref()
                    .and_then(|o| o.as_array())
                    .into_iter()
                    .flatten()
                {
                    for id in op["item_ids"].as_array().into_iter().flatten() {
                        if let Some(t) = id.as_str().and_then(|k| sent_at.get(k)) {
                            deliveries.fetch_add(1, Ordering::Relaxed);
                            let _ = hist.lock().record(now.saturating_sub(*t).max(1));
                        }
                    }
                }
            }
        });
    }
    let acked = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let mut editor_conns = Vec::new();
    for e in 0..editors {
        let acc = ctx.account(e)?.clone();
        let (mut s, mut src, _) =
            connect_device(&ctx.ws_url, &acc.token, &format!("pe-{e}")).await?;
        let snap = request(
            &mut s,
            &mut src,
            1,
            serde_json::json!({"type": "playlist_subscribe", "playlist_id": playlist_id}),
        )
        .await?;
        let version = snap["version"].as_u64().unwrap_or(0);
        editor_conns.push((e, s, src, version));
    }
    let setup_secs = started.elapsed().as_secs_f64();
    super::wait_go(ready).await;
    measuring.store(true, Ordering::Relaxed);
    let run_start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for (e, mut sink, mut src, version) in editor_conns {
        let permits = Arc::new(tokio::sync::Semaphore::new(window.max(1)));
        let base_version = Arc::new(AtomicU64::new(version));
        let (p2, bv, a, er) = (
            permits.clone(),
            base_version.clone(),
            acked.clone(),
            errors.clone(),
        );
        tokio::spawn(async move {
            while let Some(Ok(m)) = src.next().await {
                let Some(f) = parse(&m) else { continue };
                match f.ty.as_str() {
                    "ack" => {
                        a.fetch_add(1, Ordering::Relaxed);
                        if let Some(v) = f.result.as_ref().and_then(|r| r["version"].as_u64()) {
                            bv.fetch_max(v, Ordering::Relaxed);
                        }
                        p2.add_permits(1);
                    }
                    "error" => {
                        er.fetch_add(1, Ordering::Relaxed);
                        p2.add_permits(1);
                    }
                    "playlist_ops" => {
                        if let Some(v) = f.version {
                            bv.fetch_max(v, Ordering::Relaxed);
                        }
                    }
                    _ => {}
                }
            }
        });
        let (ctx2, sent_at, sent, pid) = (
            ctx.clone(),
            sent_at.clone(),
            sent.clone(),
            playlist_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut seq: u64 = 0;
            while run_start.elapsed() < ctx2.duration {
                let Ok(permit) = permits.acquire().await else {
                    break;
                };
                permit.forget();
                seq += 1;
                let item = format!("L{e}x{seq}");
                let mut ops = vec![serde_json::json!({
                    "op": "insert", "after_item_id": null,
                    "track_ids": [ctx2.track_id], "item_ids": [item]
                })];
                if seq > KEEP_PER_EDITOR {
                    ops.push(serde_json::json!({
                        "op": "remove", "item_id": format!("L{e}x{}", seq - KEEP_PER_EDITOR)
                    }));
                }
                let msg = serde_json::json!({
                    "type": "playlist_edit", "id": seq + 10, "playlist_id": pid,
                    "base_version": base_version.load(Ordering::Relaxed),
                    "op_id": format!("load-{e}-{seq}-{}", ctx2.micros()), "ops": ops
                });
                sent_at.insert(item, ctx2.micros());
                if send_json(&mut sink, &msg).await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
            sink
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let run_secs = run_start.elapsed().as_secs_f64();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let h = hist.lock().clone();
    Ok(WorkerResult {
        connections: (editors + readers) as u64,
        failed_connections: 0,
        setup_secs,
        commands_sent: sent.load(Ordering::Relaxed),
        commands_acked: acked.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        deliveries: deliveries.load(Ordering::Relaxed),
        run_secs,
        latency: Some(encode_hist(&h)),
        notes: vec![format!("playlist {playlist_id}")],
    })
}
