//! Playlist engine speed: ops applied per second in memory (inserts, moves, removes on a
//! 1,000-item list), and loading a 10,000-item playlist from its stored snapshot (JSON decode and
//! rebuild) plus replaying a log tail.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use segue::domain::playlist::{Limits, LogEntry, Op, Playlist, Snapshot};

fn counter() -> impl FnMut() -> String {
    let mut n = 0u64;
    move || {
        n += 1;
        format!("g{n}")
    }
}

fn filled(n: usize) -> Playlist {
    let mut p = Playlist::new("bench", 1000);
    let limits = Limits {
        max_items: n + 10_000,
        max_ops_per_edit: 1000,
        window: 1000,
    };
    let mut gen = counter();
    for chunk in 0..n / 500 {
        let after = p.order().last().map(str::to_string);
        let ops = [Op::Insert {
            after_item_id: after,
            track_ids: (0..500).map(|i| format!("t{chunk}-{i}")).collect(),
            item_ids: None,
        }];
        p.apply_edit("u", 0, &ops, &limits, &mut gen).unwrap();
    }
    p
}

fn ops_per_second(c: &mut Criterion) {
    let base = filled(1000);
    let ids: Vec<String> = base.order().map(str::to_string).collect();
    let limits = Limits {
        max_items: 100_000,
        max_ops_per_edit: 1000,
        window: 1000,
    };
    let mut g = c.benchmark_group("playlist_ops");
    g.throughput(Throughput::Elements(300));
    g.bench_function("300 mixed ops (insert, move, remove) on 1000 items", |b| {
        b.iter_batched(
            || base.clone(),
            |mut p| {
                let mut gen = counter();
                for k in 0..100 {
                    let a = &ids[(k * 7) % ids.len()];
                    let m = &ids[(k * 13 + 1) % ids.len()];
                    let r = &ids[(k * 31 + 2) % ids.len()];
                    let ops = [
                        Op::Insert {
                            after_item_id: Some(a.clone()),
                            track_ids: vec!["x".into()],
                            item_ids: None,
                        },
                        Op::Move {
                            item_id: m.clone(),
                            after_item_id: Some(a.clone()),
                        },
                        Op::Remove { item_id: r.clone() },
                    ];
                    for op in ops {
                        p.apply_edit("u", 0, std::slice::from_ref(&op), &limits, &mut gen)
                            .unwrap();
                    }
                }
                p
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn load_10k(c: &mut Criterion) {
    let p = filled(10_000);
    let snap: Snapshot = p.to_snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    // A log tail of 99 entries after the snapshot (the most `snapshot_every = 100` leaves).
    let mut tail_src = Playlist::from_snapshot(snap.clone(), 1000);
    let limits = Limits {
        max_items: 20_000,
        max_ops_per_edit: 100,
        window: 1000,
    };
    let mut gen = counter();
    let ids: Vec<String> = tail_src.order().map(str::to_string).collect();
    let mut tail: Vec<LogEntry> = vec![];
    for k in 0..99 {
        let op = Op::Move {
            item_id: ids[k * 50].clone(),
            after_item_id: Some(ids[k * 50 + 25].clone()),
        };
        let a = tail_src
            .apply_edit("u", 0, &[op], &limits, &mut gen)
            .unwrap();
        tail.push(LogEntry {
            version: a.version,
            op_id: format!("o{k}"),
            author: "u".into(),
            at_ms: 0,
            ops: a.ops,
        });
    }
    let mut g = c.benchmark_group("playlist_load");
    g.sample_size(20);
    g.bench_function(
        "10,000 items: decode snapshot JSON + rebuild + replay 99 ops",
        |b| {
            b.iter(|| {
                let s: Snapshot = serde_json::from_str(&json).unwrap();
                let mut p = Playlist::from_snapshot(s, 1000);
                for e in &tail {
                    p.apply_logged(e).unwrap();
                }
                assert_eq!(p.len(), 10_000);
                p
            })
        },
    );
    g.finish();
}

criterion_group!(benches, ops_per_second, load_10k);
criterion_main!(benches);
