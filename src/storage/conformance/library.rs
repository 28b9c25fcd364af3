//! Library conformance: save keeps the first time, unsave, contains, newest-first keyset paging.

use super::fresh;
use crate::storage::library::{Saved, SavedKind};
use crate::storage::Storage;

pub async fn check(s: &Storage) {
    let u = fresh("u");
    let l = &s.library;
    l.save(&u, SavedKind::Track, vec!["a".into(), "b".into()], 10)
        .await
        .unwrap();
    l.save(&u, SavedKind::Track, vec!["c".into()], 20)
        .await
        .unwrap();
    l.save(&u, SavedKind::Track, vec!["a".into()], 30)
        .await
        .unwrap();
    l.save(&u, SavedKind::Album, vec!["x".into()], 5)
        .await
        .unwrap();
    let all = l.list(&u, SavedKind::Track, None, 10).await.unwrap();
    let s_ = |id: &str, at| Saved {
        id: id.into(),
        added_at_ms: at,
    };
    assert_eq!(
        all,
        vec![s_("c", 20), s_("b", 10), s_("a", 10)],
        "newest first; re-save keeps time"
    );
    let page1 = l.list(&u, SavedKind::Track, None, 2).await.unwrap();
    let last = page1.last().unwrap();
    let page2 = l
        .list(
            &u,
            SavedKind::Track,
            Some((last.added_at_ms, last.id.clone())),
            2,
        )
        .await
        .unwrap();
    assert_eq!(page2, vec![s_("a", 10)]);
    assert_eq!(l.count(&u, SavedKind::Track).await.unwrap(), 3);
    assert_eq!(
        l.contains(&u, SavedKind::Track, vec!["b".into(), "x".into()])
            .await
            .unwrap(),
        vec![true, false]
    );
    l.unsave(&u, SavedKind::Track, vec!["b".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(l.count(&u, SavedKind::Track).await.unwrap(), 2);
    assert_eq!(
        l.list(&u, SavedKind::Album, None, 10).await.unwrap(),
        vec![s_("x", 5)]
    );
    assert!(l
        .list(&fresh("other"), SavedKind::Track, None, 10)
        .await
        .unwrap()
        .is_empty());
}
