//! Players conformance: versioned saves never go backwards; device registry.

use super::fresh;
use crate::error::StorageError;
use crate::storage::{DeviceRecord, PlayerRecord, Storage};

pub async fn check(s: &Storage) {
    let user = fresh("u");
    assert!(s.players.load(&user).await.unwrap().is_none());
    let rec = |v: u64| PlayerRecord {
        user_id: user.clone(),
        version: v,
        state: serde_json::json!({"v": v, "queue": ["a", "b"]}),
        updated_at_ms: v as i64,
    };
    s.players.save(rec(2)).await.unwrap();
    s.players.save(rec(5)).await.unwrap();
    assert!(
        matches!(s.players.save(rec(3)).await, Err(StorageError::Conflict(_))),
        "an older version must not overwrite a newer one"
    );
    assert_eq!(s.players.load(&user).await.unwrap(), Some(rec(5)));
    let dev = |id: &str, vol: u8| DeviceRecord {
        user_id: user.clone(),
        device_id: id.into(),
        name: format!("dev {id}"),
        kind: "phone".into(),
        volume: vol,
        last_seen_ms: 7,
    };
    s.players.upsert_device(dev("b", 10)).await.unwrap();
    s.players.upsert_device(dev("a", 20)).await.unwrap();
    s.players.upsert_device(dev("b", 30)).await.unwrap();
    assert_eq!(
        s.players.devices(&user).await.unwrap(),
        vec![dev("a", 20), dev("b", 30)]
    );
    s.players.remove_device(&user, "a").await.unwrap();
    assert_eq!(s.players.devices(&user).await.unwrap(), vec![dev("b", 30)]);
    assert!(s.players.devices(&fresh("other")).await.unwrap().is_empty());
}
