//! Applying player commands to the pure state machine (what a user's actor does per message).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use segue::domain::player::*;

fn tracks(n: usize) -> Vec<TrackRef> {
    (0..n)
        .map(|i| TrackRef {
            track_id: format!("track-{i:06}"),
            duration_ms: 200_000,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let limits = Limits {
        max_queue: 1000,
        max_context_tracks: 10_000,
        previous_restart_threshold_ms: 3000,
    };
    let online = |_: &str| true;
    let ctx = ApplyCtx {
        issuer: Some("phone"),
        is_online: &online,
        limits: &limits,
        random: 7,
        start_lead_ms: None,
    };
    let mut base = PlayerState::default();
    let play = Command::Play {
        uri: Some("segue:album:x".into()),
        tracks: Some(tracks(500)),
        offset: None,
        position_ms: None,
        device_id: None,
    };
    apply(&mut base, play, None, 0, &ctx).unwrap();
    apply(
        &mut base,
        Command::QueueAdd {
            tracks: tracks(50),
            next: false,
        },
        None,
        0,
        &ctx,
    )
    .unwrap();
    let mut shuffled = base.clone();
    apply(
        &mut shuffled,
        Command::SetShuffle { on: true },
        None,
        0,
        &ctx,
    )
    .unwrap();

    c.bench_function("seek (500-track context, 50 queued)", |b| {
        b.iter_batched(
            || base.clone(),
            |mut s| apply(&mut s, Command::Seek { position_ms: 1000 }, None, 5, &ctx).map(|_| s),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("report_position within tolerance (no change)", |b| {
        let mut s = base.clone();
        let item = s.current.as_ref().unwrap().entry.item_id;
        b.iter(|| {
            let cmd = Command::ReportPosition {
                item_id: item,
                position_ms: 1000,
                playing: true,
            };
            black_box(apply(&mut s, cmd, None, 1000, &ctx).unwrap())
        })
    });
    c.bench_function("next through queue and shuffled context", |b| {
        b.iter_batched(
            || shuffled.clone(),
            |mut s| {
                for _ in 0..10 {
                    apply(&mut s, Command::Next, None, 5, &ctx).unwrap();
                }
                s
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("queue_add 1 then queue_move", |b| {
        b.iter_batched(
            || base.clone(),
            |mut s| {
                apply(
                    &mut s,
                    Command::QueueAdd {
                        tracks: tracks(1),
                        next: true,
                    },
                    None,
                    5,
                    &ctx,
                )
                .unwrap();
                let id = s.queue.iter().last().unwrap().item_id;
                apply(
                    &mut s,
                    Command::QueueMove {
                        item_id: id,
                        after: None,
                    },
                    None,
                    5,
                    &ctx,
                )
                .unwrap();
                s
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("serialize state (500-track context)", |b| {
        b.iter(|| black_box(serde_json::to_vec(&base).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
