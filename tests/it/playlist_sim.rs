//! Seeded convergence simulator for collaborative playlists: several devices edit one playlist,
//! some offline with pending edits, acks get lost (the device re-sends the same op_id), the
//! server restarts (reloading from snapshot + op log through `PlaylistCore::load`) and compacts
//! its log at random moments. After every step the server must hold no duplicate ids, no
//! removed item may come back, every acknowledged insert must be present unless removed later,
//! and the server must equal the reference model; at the end every device equals the server.
//! `SIM_SEED=<n>` replays one schedule; `SIM_SCHEDULES=<n>` changes how many run.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use segue::actors::playlist_core::{EditRequest, OpsSource, PlaylistCore};
use segue::domain::playlist::{AppliedOp, Limits, Op, Playlist};
use segue::domain::playlist_model::Model;
use segue::storage::playlists::{MemoryPlaylists, PlaylistMeta, PlaylistRepo};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

struct Device {
    view: Playlist,
    online: bool,
    pending: Vec<(String, Vec<Op>)>,
    next_op: u64,
    next_item: u64,
}

/// Prints the seed when a schedule panics.
struct SeedGuard(u64);
impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("playlist simulator failed; replay with SIM_SEED={}", self.0);
        }
    }
}

fn local_op(rng: &mut StdRng, d: &mut Device, dev: usize) -> Op {
    let ids: Vec<String> = d.view.order().map(str::to_string).collect();
    let pick = |rng: &mut StdRng| ids.choose(rng).cloned();
    match rng.gen_range(0..10) {
        0..=3 => {
            let n = rng.gen_range(1..=3);
            let named = rng.gen_bool(0.5);
            Op::Insert {
                after_item_id: if rng.gen_bool(0.2) { None } else { pick(rng) },
                track_ids: (0..n).map(|k| format!("t{k}")).collect(),
                item_ids: named.then(|| {
                    (0..n)
                        .map(|_| {
                            d.next_item += 1;
                            format!("c{dev}-{}", d.next_item)
                        })
                        .collect()
                }),
            }
        }
        4..=5 => match pick(rng) {
            Some(id) => Op::Remove { item_id: id },
            None => Op::Rename {
                name: "empty".into(),
            },
        },
        6..=7 => match pick(rng) {
            Some(id) => Op::Move {
                item_id: id,
                after_item_id: if rng.gen_bool(0.2) { None } else { pick(rng) },
            },
            None => Op::Rename {
                name: "empty".into(),
            },
        },
        8 => {
            let mut v = ids.clone();
            v.shuffle(rng);
            v.truncate(rng.gen_range(0..=v.len()));
            Op::Reorder { item_ids: v }
        }
        _ => Op::Rename {
            name: format!("n{}", rng.gen_range(0..100)),
        },
    }
}

async fn run_schedule(seed: u64) {
    let _guard = SeedGuard(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let window = rng.gen_range(2..12);
    let limits = Limits {
        max_items: 30,
        max_ops_per_edit: 3,
        window,
    };
    let snapshot_every = rng.gen_range(1..6);
    let repo = Arc::new(MemoryPlaylists::new());
    let dyn_repo: Arc<dyn PlaylistRepo> = repo.clone();
    dyn_repo
        .create(PlaylistMeta {
            id: "p".into(),
            owner_id: "o".into(),
            name: "p".into(),
            description: String::new(),
            public: true,
            collaborative: true,
            version: 0,
            item_count: 0,
            created_at_ms: 0,
            updated_at_ms: 0,
        })
        .await
        .unwrap();
    let load = || async {
        PlaylistCore::load(dyn_repo.clone(), "p", limits, snapshot_every)
            .await
            .unwrap()
            .unwrap()
    };
    let mut core = load().await;
    let mut model = Model::new("p", window);
    let mut model_seen: HashSet<String> = HashSet::new();
    let (mut server_n, mut model_n) = (0u64, 0u64);
    let mut devices: Vec<Device> = (0..rng.gen_range(2..=4))
        .map(|_| Device {
            view: Playlist::new("p", window),
            online: true,
            pending: vec![],
            next_op: 0,
            next_item: 0,
        })
        .collect();
    let mut removed: HashSet<String> = HashSet::new();
    let mut acked_inserts: HashMap<String, Vec<String>> = HashMap::new();
    let mut committed_inserts: HashMap<String, Vec<String>> = HashMap::new();
    let steps = rng.gen_range(10..40);

    for step in 0..steps + 5000 {
        let finishing = step >= steps;
        if finishing {
            // Everyone comes online and flushes; stop once nothing is pending.
            for d in devices.iter_mut() {
                d.online = true;
            }
            if devices.iter().all(|d| d.pending.is_empty()) {
                break;
            }
        }
        let di = rng.gen_range(0..devices.len());
        let action = if finishing { 3 } else { rng.gen_range(0..12) };
        'act: {
            match action {
                0..=2 => {
                    let d = &mut devices[di];
                    let n_ops = rng.gen_range(1..=2);
                    let ops = (0..n_ops).map(|_| local_op(&mut rng, d, di)).collect();
                    d.next_op += 1;
                    d.pending.push((format!("d{di}-{}", d.next_op), ops));
                }
                3..=6 => {
                    if !devices[di].online || devices[di].pending.is_empty() {
                        break 'act;
                    }
                    let (op_id, ops) = devices[di].pending[0].clone();
                    let mut gen = || {
                        server_n += 1;
                        format!("g{server_n}")
                    };
                    let r = core
                        .edit(
                            EditRequest {
                                author: format!("u{di}"),
                                op_id: op_id.clone(),
                                base_version: Some(0),
                                expect_version: None,
                                ops: OpsSource::Ops(ops.clone()),
                            },
                            step as i64,
                            &mut gen,
                        )
                        .await;
                    // The oracle applies each op_id once, in commit order.
                    if !model_seen.contains(&op_id) {
                        let mut mgen = || {
                            model_n += 1;
                            format!("g{model_n}")
                        };
                        let m = model.apply_edit(
                            &format!("u{di}"),
                            step as i64,
                            &ops,
                            &limits,
                            &mut mgen,
                        );
                        match (&r, &m) {
                            (Ok(out), Ok(skipped)) => {
                                model_seen.insert(op_id.clone());
                                let got: Vec<usize> =
                                    out.result.skipped.iter().map(|s| s.index).collect();
                                assert_eq!(&got, skipped, "skipped ops differ from the model");
                            }
                            (Err(_), Err(_)) => {}
                            _ => panic!("server {r:?} vs model {m:?}"),
                        }
                    }
                    if let Ok(out) = &r {
                        if let Some(e) = &out.entry {
                            let mut ins = vec![];
                            for op in &e.ops {
                                match op {
                                    AppliedOp::Insert { item_ids, .. } => {
                                        ins.extend(item_ids.iter().cloned())
                                    }
                                    AppliedOp::Remove { item_id, .. } => {
                                        removed.insert(item_id.clone());
                                    }
                                    _ => {}
                                }
                            }
                            committed_inserts.insert(op_id.clone(), ins);
                            // Deliver the event to every online device.
                            for d in devices.iter_mut().filter(|d| d.online) {
                                if d.view.version() + 1 == e.version {
                                    d.view.apply_logged(e).unwrap();
                                }
                            }
                        }
                    }
                    let lost = !finishing && rng.gen_bool(0.25);
                    match r {
                        Err(_) => {
                            devices[di].pending.remove(0);
                        }
                        Ok(_) if lost => {}
                        Ok(_) => {
                            devices[di].pending.remove(0);
                            if let Some(ins) = committed_inserts.get(&op_id) {
                                acked_inserts.insert(op_id.clone(), ins.clone());
                            }
                        }
                    }
                }
                7 => devices[di].online = false,
                8 => devices[di].online = true,
                9 => core = load().await,
                10 => core.compact().await.unwrap(),
                _ => {
                    // A reconnect: catch up from the log window, or take a snapshot.
                    let d = &mut devices[di];
                    d.online = true;
                    match core.since(d.view.version()).await.unwrap() {
                        Some(entries) => {
                            for e in &entries {
                                d.view.apply_logged(e).unwrap();
                            }
                        }
                        None => d.view = Playlist::from_snapshot(core.doc.to_snapshot(), window),
                    }
                }
            }
        }
        // Devices that missed events (were offline) resync before their next use.
        for d in devices.iter_mut().filter(|d| d.online) {
            if d.view.version() != core.doc.version() {
                match core.since(d.view.version()).await.unwrap() {
                    Some(entries) => {
                        for e in &entries {
                            d.view.apply_logged(e).unwrap();
                        }
                    }
                    None => d.view = Playlist::from_snapshot(core.doc.to_snapshot(), window),
                }
            }
        }
        let order: Vec<String> = core.doc.order().map(str::to_string).collect();
        let set: HashSet<&String> = order.iter().collect();
        assert_eq!(set.len(), order.len(), "duplicate item ids");
        assert!(
            order.iter().all(|i| !removed.contains(i)),
            "a removed item came back"
        );
        for ins in acked_inserts.values() {
            for id in ins {
                assert!(
                    set.contains(id) || removed.contains(id),
                    "acknowledged insert {id} is missing"
                );
            }
        }
        assert_eq!(order, model.ids(), "server and reference model differ");
        assert_eq!(core.doc.version(), model.version);
    }
    // Final reconnect of everyone.
    for d in devices.iter_mut() {
        match core.since(d.view.version()).await.unwrap() {
            Some(entries) => {
                for e in &entries {
                    d.view.apply_logged(e).unwrap();
                }
            }
            None => d.view = Playlist::from_snapshot(core.doc.to_snapshot(), window),
        }
    }
    assert!(
        devices.iter().all(|d| d.pending.is_empty()),
        "edits still pending at the end"
    );
    let server: Vec<&str> = core.doc.order().collect();
    for d in &devices {
        assert_eq!(
            d.view.order().collect::<Vec<_>>(),
            server,
            "a device differs from the server"
        );
        assert_eq!(
            d.view.name(),
            core.doc.name(),
            "names differ at v{} / v{}",
            d.view.version(),
            core.doc.version()
        );
    }
    // A restart at the very end rebuilds the same list.
    let again = load().await;
    assert_eq!(again.doc.to_snapshot(), core.doc.to_snapshot());
}

#[tokio::test(flavor = "current_thread")]
async fn ten_thousand_random_schedules_converge() {
    if let Ok(seed) = std::env::var("SIM_SEED") {
        run_schedule(seed.parse().expect("SIM_SEED is a number")).await;
        return;
    }
    let n: u64 = std::env::var("SIM_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let base: u64 = rand::random::<u32>() as u64 * 100_000;
    let started = std::time::Instant::now();
    for i in 0..n {
        run_schedule(base + i).await;
    }
    eprintln!(
        "{n} playlist schedules converged in {:?} (seeds {base}..{})",
        started.elapsed(),
        base + n
    );
}
