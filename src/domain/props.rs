//! Property tests of the pure player: random command sequences keep the invariants (unique item
//! ids, version +1 per change and untouched on refusal, position within the item, the shuffle
//! order a permutation that survives serialization).

use super::player::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn track(i: u8) -> TrackRef {
    TrackRef {
        track_id: format!("t{}", i % 7),
        duration_ms: 1000 + (i as i64 % 5) * 50_000,
    }
}

fn arb_cmd() -> impl Strategy<Value = Command> {
    let item = (0u64..40).prop_map(ItemId);
    prop_oneof![
        (
            proptest::collection::vec(any::<u8>(), 0..12),
            proptest::option::of(0usize..14),
            proptest::option::of(0i64..400_000),
            any::<bool>()
        )
            .prop_map(|(ts, off, pos, uri)| Command::Play {
                uri: uri.then(|| "segue:album:x".to_string()),
                tracks: Some(ts.into_iter().map(track).collect()),
                offset: off.map(Offset::Index),
                position_ms: pos,
                device_id: None,
            }),
        (proptest::option::of(item.clone())).prop_map(|i| Command::Play {
            uri: None,
            tracks: None,
            offset: i.map(Offset::Item),
            position_ms: None,
            device_id: None,
        }),
        Just(Command::Pause),
        Just(Command::Resume),
        (0i64..400_000).prop_map(|p| Command::Seek { position_ms: p }),
        Just(Command::Next),
        Just(Command::Previous),
        (0u8..=100).prop_map(|v| Command::SetVolume { volume: v }),
        any::<bool>().prop_map(|on| Command::SetShuffle { on }),
        prop_oneof![
            Just(Repeat::Off),
            Just(Repeat::Context),
            Just(Repeat::Track)
        ]
        .prop_map(|mode| Command::SetRepeat { mode }),
        (proptest::collection::vec(any::<u8>(), 0..4), any::<bool>()).prop_map(|(ts, next)| {
            Command::QueueAdd {
                tracks: ts.into_iter().map(track).collect(),
                next,
            }
        }),
        item.clone()
            .prop_map(|item_id| Command::QueueRemove { item_id }),
        (item.clone(), proptest::option::of(item.clone()))
            .prop_map(|(item_id, after)| Command::QueueMove { item_id, after }),
        Just(Command::QueueClear),
        (
            prop_oneof![Just("a"), Just("b"), Just("off")],
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(d, play)| Command::Transfer {
                device_id: d.to_string(),
                play
            }),
        (item.clone(), 0i64..400_000, any::<bool>()).prop_map(|(item_id, position_ms, playing)| {
            Command::ReportPosition {
                item_id,
                position_ms,
                playing,
            }
        }),
        item.prop_map(|item_id| Command::TrackEnded { item_id }),
    ]
}

fn check_invariants(s: &mut PlayerState, now: i64) {
    let mut ids = HashSet::new();
    if let Some(c) = &s.current {
        assert!(c.entry.item_id.0 < s.next_item_id);
    }
    for e in s.queue.iter() {
        assert!(ids.insert(e.item_id), "duplicate queue item {}", e.item_id);
        assert!(e.item_id.0 < s.next_item_id);
    }
    if let Some(c) = &s.context {
        assert!(c.base_item_id + c.len() as u64 <= s.next_item_id);
        for i in 0..c.len() {
            let id = ItemId(c.base_item_id + i as u64);
            assert!(!ids.contains(&id), "a context id is also queued");
        }
    }
    let d = s.duration_ms();
    assert!(
        (0..=d).contains(&s.position_ms),
        "position {} outside 0..={d}",
        s.position_ms
    );
    assert!((0..=d).contains(&s.live_position(now)));
    let n = s.context.as_ref().map_or(0, Context::len);
    if let Some(p) = s.context_pos {
        assert!((p as usize) < n.max(1));
    }
    let mut order = s.order().to_vec();
    order.sort_unstable();
    assert_eq!(
        order,
        (0..n as u32).collect::<Vec<_>>(),
        "play order is a permutation"
    );
    // Stable across serialization (what survives a handoff or a restart).
    let json = serde_json::to_string(s).unwrap();
    let mut back: PlayerState = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, s);
    assert_eq!(back.order(), s.order());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_commands_keep_invariants(
        cmds in proptest::collection::vec((arb_cmd(), 0i64..5000, 0u8..3, any::<u64>(), any::<bool>()), 1..60)
    ) {
        let limits = Limits { max_queue: 8, max_context_tracks: 10, previous_restart_threshold_ms: 3000 };
        let online = |d: &str| d == "a" || d == "b";
        let mut s = PlayerState::default();
        let mut now = 1_000_000i64;
        for (cmd, dt, who, random, conditional) in cmds {
            now += dt;
            let issuer = ["a", "b"].get(who as usize).copied();
            let ctx = ApplyCtx { issuer, is_online: &online, limits: &limits, random, start_lead_ms: None };
            let before = s.clone();
            let expected = conditional.then_some(s.version.saturating_sub(random % 2));
            match apply(&mut s, cmd, expected, now, &ctx) {
                Ok(effects) => {
                    prop_assert!(expected.is_none_or(|v| v == before.version));
                    let changed = effects.iter().any(|e| matches!(e, Effect::Changed { .. }));
                    if changed {
                        prop_assert_eq!(s.version, before.version + 1);
                    } else {
                        prop_assert_eq!(&s, &before);
                    }
                }
                Err(DomainErrorAlias::Conflict { .. }) => {
                    prop_assert!(expected.is_some_and(|v| v != before.version));
                    prop_assert_eq!(&s, &before);
                }
                Err(_) => prop_assert_eq!(&s, &before),
            }
            check_invariants(&mut s, now);
        }
    }
}

use super::DomainError as DomainErrorAlias;

#[test]
fn session_scheduling_sets_start_at() {
    let limits = Limits {
        max_queue: 8,
        max_context_tracks: 10,
        previous_restart_threshold_ms: 3000,
    };
    let online = |_: &str| true;
    let ctx = ApplyCtx {
        issuer: Some("a"),
        is_online: &online,
        limits: &limits,
        random: 1,
        start_lead_ms: Some(500),
    };
    let mut s = PlayerState::default();
    let play = Command::Play {
        uri: None,
        tracks: Some(vec![track(1), track(2)]),
        offset: None,
        position_ms: Some(1000),
        device_id: None,
    };
    apply(&mut s, play, None, 10_000, &ctx).unwrap();
    assert_eq!(s.start_at_ms, Some(10_500));
    assert_eq!(s.position_at_ms, 10_500);
    assert_eq!(
        s.live_position(10_200),
        1000,
        "nothing moves before the scheduled start"
    );
    assert_eq!(s.live_position(11_000), 1500);
    apply(&mut s, Command::Pause, None, 11_000, &ctx).unwrap();
    assert_eq!((s.start_at_ms, s.position_ms), (None, 1500));
}

#[test]
fn previous_restarts_late_and_goes_back_early() {
    let limits = Limits {
        max_queue: 8,
        max_context_tracks: 10,
        previous_restart_threshold_ms: 3000,
    };
    let online = |_: &str| true;
    let ctx = ApplyCtx {
        issuer: Some("a"),
        is_online: &online,
        limits: &limits,
        random: 1,
        start_lead_ms: None,
    };
    let mut s = PlayerState::default();
    let tracks = Some(
        (0..4)
            .map(|i| TrackRef {
                track_id: format!("t{i}"),
                duration_ms: 100_000,
            })
            .collect(),
    );
    apply(
        &mut s,
        Command::Play {
            uri: None,
            tracks,
            offset: Some(Offset::Index(2)),
            position_ms: None,
            device_id: None,
        },
        None,
        0,
        &ctx,
    )
    .unwrap();
    apply(&mut s, Command::Previous, None, 1000, &ctx).unwrap();
    assert_eq!(s.current.as_ref().unwrap().entry.track_id, "t1");
    apply(&mut s, Command::Previous, None, 10_000, &ctx).unwrap();
    assert_eq!(
        s.current.as_ref().unwrap().entry.track_id,
        "t1",
        "restart after 3 s"
    );
    assert_eq!(s.position_ms, 0);
    // The end of the context without repeat stops at the first item.
    apply(&mut s, Command::Seek { position_ms: 0 }, None, 10_000, &ctx).unwrap();
    for _ in 0..3 {
        apply(&mut s, Command::Next, None, 10_000, &ctx).unwrap();
    }
    assert_eq!(
        (
            s.current.as_ref().unwrap().entry.track_id.as_str(),
            s.playing
        ),
        ("t0", false)
    );
}
