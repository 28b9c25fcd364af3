//! Sessions conformance: unique join codes, versioned saves, listing, deletion.

use super::fresh;
use crate::error::StorageError;
use crate::storage::sessions::SessionRecord;
use crate::storage::Storage;

pub async fn check(s: &Storage) {
    let id = fresh("sess");
    let code = fresh("code");
    let rec = |v: u64| SessionRecord {
        session_id: id.clone(),
        join_code: code.clone(),
        version: v,
        state: serde_json::json!({"v": v}),
        members: vec!["a".into(), "b".into()],
        last_active_ms: v as i64,
    };
    s.sessions.create(rec(1)).await.unwrap();
    let clash = SessionRecord {
        session_id: fresh("sess"),
        ..rec(1)
    };
    assert!(
        matches!(
            s.sessions.create(clash).await,
            Err(StorageError::Conflict(_))
        ),
        "a join code in use must be a conflict"
    );
    s.sessions.save(rec(3)).await.unwrap();
    assert!(matches!(
        s.sessions.save(rec(2)).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(s.sessions.load(&id).await.unwrap(), Some(rec(3)));
    assert_eq!(
        s.sessions.by_join_code(&code).await.unwrap(),
        Some(id.clone())
    );
    assert!(s
        .sessions
        .list()
        .await
        .unwrap()
        .iter()
        .any(|r| r.session_id == id));
    s.sessions.delete(&id).await.unwrap();
    assert_eq!(s.sessions.load(&id).await.unwrap(), None);
    assert_eq!(s.sessions.by_join_code(&code).await.unwrap(), None);
    assert!(matches!(
        s.sessions.save(rec(4)).await,
        Err(StorageError::NotFound)
    ));
}
