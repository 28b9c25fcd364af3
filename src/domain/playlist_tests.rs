//! Engine tests: the order rules one by one, and property tests against the reference model
//! (including replay from the op log and snapshots).

use super::*;
use crate::domain::playlist_model::Model;
use proptest::prelude::*;

fn gen() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("g{n}")
    }
}

fn ins(after: Option<&str>, tracks: &[&str], ids: &[&str]) -> Op {
    Op::Insert {
        after_item_id: after.map(str::to_string),
        track_ids: tracks.iter().map(|s| s.to_string()).collect(),
        item_ids: if ids.is_empty() {
            None
        } else {
            Some(ids.iter().map(|s| s.to_string()).collect())
        },
    }
}

fn order(p: &Playlist) -> Vec<&str> {
    p.order().collect()
}

fn edit(p: &mut Playlist, ops: Vec<Op>) -> Applied {
    p.apply_edit("u", 1, &ops, &Limits::default(), &mut gen())
        .unwrap()
}

#[test]
fn insert_remove_move_and_removed_anchor() {
    let mut p = Playlist::new("x", 1000);
    edit(
        &mut p,
        vec![ins(None, &["t1", "t2", "t3"], &["a", "b", "c"])],
    );
    assert_eq!(order(&p), ["a", "b", "c"]);
    // Remove b; an insert anchored on b lands after a (b's predecessor).
    edit(
        &mut p,
        vec![Op::Remove {
            item_id: "b".into(),
        }],
    );
    let a = edit(&mut p, vec![ins(Some("b"), &["t9"], &["d"])]);
    assert_eq!(order(&p), ["a", "d", "c"]);
    assert_eq!(
        a.ops[0],
        AppliedOp::Insert {
            after_item_id: Some("a".into()),
            track_ids: vec!["t9".into()],
            item_ids: vec!["d".into()]
        }
    );
    // Chain: remove a, then anchor on b -> a -> start.
    edit(
        &mut p,
        vec![Op::Remove {
            item_id: "a".into(),
        }],
    );
    edit(&mut p, vec![ins(Some("b"), &["t8"], &["e"])]);
    assert_eq!(order(&p), ["e", "d", "c"]);
    // Remove wins over move: moving a removed item is skipped; version unchanged.
    let v = p.version();
    let r = edit(
        &mut p,
        vec![Op::Move {
            item_id: "a".into(),
            after_item_id: None,
        }],
    );
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(p.version(), v);
    edit(
        &mut p,
        vec![Op::Move {
            item_id: "e".into(),
            after_item_id: Some("c".into()),
        }],
    );
    assert_eq!(order(&p), ["d", "c", "e"]);
    // Re-using a removed item id is refused.
    let r = edit(&mut p, vec![ins(None, &["t1"], &["a"])]);
    assert_eq!(r.skipped[0].index, 0);
    assert!(!p.contains("a"));
}

#[test]
fn concurrent_inserts_at_same_place_keep_batches_together() {
    let mut p = Playlist::new("x", 1000);
    edit(&mut p, vec![ins(None, &["t"], &["x"])]);
    edit(&mut p, vec![ins(Some("x"), &["1", "2"], &["a1", "a2"])]);
    edit(&mut p, vec![ins(Some("x"), &["3", "4"], &["b1", "b2"])]);
    assert_eq!(order(&p), ["x", "b1", "b2", "a1", "a2"]);
}

#[test]
fn reorder_keeps_unnamed_items_behind_their_predecessor() {
    let mut p = Playlist::new("x", 1000);
    edit(&mut p, vec![ins(None, &["1", "2", "3"], &["a", "b", "c"])]);
    // Someone added n after b concurrently with a reorder naming only a, b, c.
    edit(&mut p, vec![ins(Some("b"), &["9"], &["n"])]);
    edit(
        &mut p,
        vec![Op::Reorder {
            item_ids: vec!["c".into(), "b".into(), "a".into(), "gone".into()],
        }],
    );
    assert_eq!(order(&p), ["c", "b", "n", "a"]);
}

#[test]
fn edits_are_atomic_and_limits_hold() {
    let limits = Limits {
        max_items: 3,
        max_ops_per_edit: 2,
        window: 10,
    };
    let mut p = Playlist::new("x", 10);
    p.apply_edit(
        "u",
        1,
        &[ins(None, &["1", "2"], &["a", "b"])],
        &limits,
        &mut gen(),
    )
    .unwrap();
    let e = p
        .apply_edit(
            "u",
            1,
            &[
                Op::Remove {
                    item_id: "a".into(),
                },
                ins(None, &["3", "4", "5"], &[]),
            ],
            &limits,
            &mut gen(),
        )
        .unwrap_err();
    assert!(matches!(e, EditError::TooMany(_)));
    assert_eq!(order(&p), ["a", "b"], "a refused edit changes nothing");
    // Remove + insert that fits in the end is fine.
    p.apply_edit(
        "u",
        1,
        &[
            Op::Remove {
                item_id: "a".into(),
            },
            ins(None, &["3", "4"], &["c", "d"]),
        ],
        &limits,
        &mut gen(),
    )
    .unwrap();
    assert_eq!(order(&p), ["c", "d", "b"]);
    let three = vec![Op::Rename { name: "n".into() }; 3];
    assert!(matches!(
        p.apply_edit("u", 1, &three, &limits, &mut gen()),
        Err(EditError::TooMany(_))
    ));
    let bad = [Op::Rename { name: " ".into() }];
    assert!(matches!(
        p.apply_edit("u", 1, &bad, &limits, &mut gen()),
        Err(EditError::Invalid(_))
    ));
    let dup = [ins(None, &["1", "2"], &["z", "z"])];
    assert!(matches!(
        p.apply_edit("u", 1, &dup, &limits, &mut gen()),
        Err(EditError::Invalid(_))
    ));
}

#[test]
fn removed_memory_is_bounded_by_the_window() {
    let mut p = Playlist::new("x", 3);
    edit(&mut p, vec![ins(None, &["1", "2"], &["a", "b"])]);
    edit(
        &mut p,
        vec![Op::Remove {
            item_id: "a".into(),
        }],
    );
    assert!(p.was_removed("a"));
    for i in 0..3 {
        edit(
            &mut p,
            vec![Op::Rename {
                name: format!("n{i}"),
            }],
        );
    }
    assert!(!p.was_removed("a"), "forgotten after the window");
    // An anchor nobody remembers: the tracks are kept, at the end.
    edit(&mut p, vec![ins(Some("a"), &["3"], &["c"])]);
    assert_eq!(order(&p), ["b", "c"]);
}

#[derive(Debug, Clone)]
enum Gen {
    Ins(Option<usize>, usize, bool),
    Rem(usize),
    Mov(usize, Option<usize>),
    Reorder(Vec<usize>),
    Rename(u8),
}

fn arb_op() -> impl Strategy<Value = Gen> {
    prop_oneof![
        4 => (proptest::option::of(0usize..40), 1usize..4, any::<bool>()).prop_map(|(a, n, c)| Gen::Ins(a, n, c)),
        3 => (0usize..40).prop_map(Gen::Rem),
        3 => (0usize..40, proptest::option::of(0usize..40)).prop_map(|(a, b)| Gen::Mov(a, b)),
        1 => proptest::collection::vec(0usize..40, 0..8).prop_map(Gen::Reorder),
        1 => any::<u8>().prop_map(Gen::Rename),
    ]
}

/// Names item ids from a pool of everything ever inserted (so removed ids get named too).
fn concretize(g: &Gen, pool: &[String], fresh: &mut u64) -> Op {
    let pick = |i: usize| {
        pool.get(i % pool.len().max(1))
            .cloned()
            .unwrap_or_else(|| "none".into())
    };
    match g {
        Gen::Ins(a, n, client) => Op::Insert {
            after_item_id: a.map(pick),
            track_ids: (0..*n).map(|k| format!("t{k}")).collect(),
            item_ids: client.then(|| {
                (0..*n)
                    .map(|_| {
                        *fresh += 1;
                        format!("c{fresh}")
                    })
                    .collect()
            }),
        },
        Gen::Rem(i) => Op::Remove { item_id: pick(*i) },
        Gen::Mov(i, a) => Op::Move {
            item_id: pick(*i),
            after_item_id: a.map(pick),
        },
        Gen::Reorder(v) => {
            let mut seen = std::collections::HashSet::new();
            Op::Reorder {
                item_ids: v
                    .iter()
                    .map(|i| pick(*i))
                    .filter(|x| seen.insert(x.clone()))
                    .collect(),
            }
        }
        Gen::Rename(b) => Op::Rename {
            name: format!("name{b}"),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The engine agrees with the reference model on every edit, never holds duplicates, never
    /// brings a removed item back, and replaying its log from any snapshot gives the same list.
    #[test]
    fn engine_matches_model_and_replay(edits in proptest::collection::vec(proptest::collection::vec(arb_op(), 1..4), 1..40),
                                       snap_at in 0usize..40, window in 1u64..20) {
        let limits = Limits { max_items: 60, max_ops_per_edit: 10, window };
        let mut p = Playlist::new("p", window);
        let mut m = Model::new("p", window);
        let (mut g1, mut g2) = (gen(), gen());
        let mut pool: Vec<String> = vec![];
        let mut fresh = 0u64;
        let mut log: Vec<LogEntry> = vec![];
        let mut snap: Option<Snapshot> = None;
        let mut gone = std::collections::HashSet::new();
        for (k, e) in edits.iter().enumerate() {
            if k == snap_at { snap = Some(p.to_snapshot()); }
            let ops: Vec<Op> = e.iter().map(|g| concretize(g, &pool, &mut fresh)).collect();
            let r1 = p.apply_edit("u", k as i64, &ops, &limits, &mut g1);
            let r2 = m.apply_edit("u", k as i64, &ops, &limits, &mut g2);
            match (&r1, &r2) {
                (Ok(a), Ok(s)) => {
                    prop_assert_eq!(a.skipped.iter().map(|s| s.index).collect::<Vec<_>>(), s.clone());
                    if !a.ops.is_empty() {
                        log.push(LogEntry { version: a.version, op_id: format!("o{k}"), author: "u".into(), at_ms: k as i64, ops: a.ops.clone() });
                    }
                    for op in &a.ops {
                        match op {
                            AppliedOp::Insert { item_ids, .. } => pool.extend(item_ids.iter().cloned()),
                            AppliedOp::Remove { item_id, .. } => { gone.insert(item_id.clone()); }
                            _ => {}
                        }
                    }
                }
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "engine {:?} vs model {:?}", r1, r2),
            }
            let ids: Vec<String> = p.order().map(str::to_string).collect();
            prop_assert_eq!(&ids, &m.ids());
            prop_assert_eq!(p.version(), m.version);
            let uniq: std::collections::HashSet<_> = ids.iter().collect();
            prop_assert_eq!(uniq.len(), ids.len());
            prop_assert!(ids.iter().all(|i| !gone.contains(i)));
        }
        // Replay from the snapshot (or from empty) through the log.
        let base = snap.unwrap_or_default();
        let from = base.version;
        let mut q = if from == 0 { Playlist::new("p", window) } else { Playlist::from_snapshot(base, window) };
        for e in log.iter().filter(|e| e.version > from) {
            q.apply_logged(e).unwrap();
        }
        prop_assert_eq!(q.order().collect::<Vec<_>>(), p.order().collect::<Vec<_>>());
        prop_assert_eq!(q.to_snapshot(), p.to_snapshot());
    }
}
