//! History conformance: idempotent events, recent streams newest first with a cursor, counts.

use super::fresh;
use crate::storage::history::PlayEvent;
use crate::storage::Storage;

pub async fn check(s: &Storage) {
    let u = fresh("u");
    let (t1, t2) = (fresh("t"), fresh("t"));
    let ev = |id: &str, t: &str, at: i64, stream: bool| PlayEvent {
        user_id: u.clone(),
        event_id: id.into(),
        track_id: t.into(),
        played_at_ms: at,
        ms_played: if stream { 40_000 } else { 5_000 },
        device_id: Some("d".into()),
        context_uri: None,
        stream,
    };
    let batch = vec![
        ev("e1", &t1, 100, true),
        ev("e2", &t2, 200, true),
        ev("e3", &t1, 300, true),
        ev("e4", &t2, 400, false),
    ];
    assert_eq!(s.history.record(batch.clone()).await.unwrap(), 4);
    assert_eq!(
        s.history.record(batch).await.unwrap(),
        0,
        "same event ids are not counted twice"
    );
    let recent = s.history.recent(&u, None, 2).await.unwrap();
    assert_eq!(
        recent
            .iter()
            .map(|e| e.event_id.as_str())
            .collect::<Vec<_>>(),
        ["e3", "e2"]
    );
    let last = recent.last().unwrap();
    let more = s
        .history
        .recent(&u, Some((last.played_at_ms, last.event_id.clone())), 10)
        .await
        .unwrap();
    assert_eq!(more, vec![ev("e1", &t1, 100, true)]);
    assert_eq!(
        s.history.top_tracks(&u, 10).await.unwrap(),
        vec![(t1.clone(), 2), (t2.clone(), 1)]
    );
    // Global counts, paged by track id: find ours.
    let mut found = std::collections::HashMap::new();
    let mut after = String::new();
    loop {
        let page = s.history.track_counts_after(&after, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        for (t, n) in page {
            if t == t1 || t == t2 {
                found.insert(t, n);
            }
        }
    }
    assert_eq!(found.get(&t1), Some(&2));
    assert_eq!(found.get(&t2), Some(&1));
}
