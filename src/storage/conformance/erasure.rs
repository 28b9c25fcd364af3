//! Account deletion conformance: `accounts.delete` frees the username, and `erase_user_data`
//! removes one user's library, history, player and devices while another user's stay intact.

use super::fresh;
use crate::storage::history::PlayEvent;
use crate::storage::library::SavedKind;
use crate::storage::{Account, DeviceRecord, PlayerRecord, Storage, Tier};

/// Writes one of everything erasure covers for `user`.
async fn populate(s: &Storage, user: &str, track: &str) {
    for kind in [SavedKind::Track, SavedKind::Album, SavedKind::User] {
        s.library
            .save(user, kind, vec![fresh("item")], 10)
            .await
            .unwrap();
    }
    let ev = |id: &str, at: i64| PlayEvent {
        user_id: user.to_string(),
        event_id: id.into(),
        track_id: track.to_string(),
        played_at_ms: at,
        ms_played: 40_000,
        device_id: Some("d".into()),
        context_uri: None,
        stream: true,
    };
    // Two months apart, so that the CQL backend's per-month partitions are both covered.
    let batch = vec![ev("e1", 1_000), ev("e2", 90 * 86_400_000)];
    assert_eq!(s.history.record(batch).await.unwrap(), 2);
    s.players
        .save(PlayerRecord {
            user_id: user.to_string(),
            version: 1,
            state: serde_json::json!({"queue": []}),
            updated_at_ms: 1,
        })
        .await
        .unwrap();
    s.players
        .upsert_device(DeviceRecord {
            user_id: user.to_string(),
            device_id: "d".into(),
            name: "phone".into(),
            kind: "phone".into(),
            volume: 50,
            last_seen_ms: 1,
        })
        .await
        .unwrap();
    let high = crate::storage::settings::UserSettings {
        streaming_quality: crate::storage::settings::StreamingQuality::High,
    };
    s.settings.set(user, high).await.unwrap();
}

/// (library items, streams, top tracks, has player, devices) of `user`.
async fn footprint(s: &Storage, user: &str) -> (usize, usize, usize, bool, usize) {
    let mut saved = 0;
    for kind in [SavedKind::Track, SavedKind::Album, SavedKind::User] {
        saved += s.library.list(user, kind, None, 50).await.unwrap().len();
    }
    (
        saved,
        s.history.recent(user, None, 50).await.unwrap().len(),
        s.history.top_tracks(user, 50).await.unwrap().len(),
        s.players.load(user).await.unwrap().is_some(),
        s.players.devices(user).await.unwrap().len(),
    )
}

pub async fn check(s: &Storage) {
    let name = fresh("gone").to_lowercase();
    let account = Account {
        id: fresh("id"),
        username: name.clone(),
        display_name: "Gone".into(),
        password_hash: "h".into(),
        tier: Tier::Free,
        created_at_ms: 1,
    };
    s.accounts.create(account.clone()).await.unwrap();
    let (gone, kept) = (account.id.clone(), fresh("kept"));
    let track = fresh("t");
    populate(s, &gone, &track).await;
    populate(s, &kept, &track).await;
    let full = (3, 2, 1, true, 1);
    assert_eq!(footprint(s, &gone).await, full);

    assert!(
        s.accounts.delete(&gone).await.unwrap(),
        "the account existed"
    );
    s.erasure.erase_user_data(&gone).await.unwrap();
    assert_eq!(s.accounts.by_id(&gone).await.unwrap(), None);
    assert_eq!(s.accounts.by_username(&name).await.unwrap(), None);
    assert_eq!(
        footprint(s, &gone).await,
        (0, 0, 0, false, 0),
        "data erased"
    );
    assert_eq!(
        footprint(s, &kept).await,
        full,
        "another user's data is untouched"
    );
    assert_eq!(
        s.settings.get(&gone).await.unwrap(),
        Default::default(),
        "settings erased"
    );
    assert_ne!(
        s.settings.get(&kept).await.unwrap(),
        Default::default(),
        "another user's settings are untouched"
    );

    // A retried deletion is harmless.
    assert!(!s.accounts.delete(&gone).await.unwrap());
    s.erasure.erase_user_data(&gone).await.unwrap();

    // The username is free again, for a new account with a new id.
    let again = Account {
        id: fresh("id"),
        ..account
    };
    s.accounts
        .create(again.clone())
        .await
        .expect("username reusable");
    assert_eq!(
        s.accounts.by_username(&name).await.unwrap().map(|a| a.id),
        Some(again.id)
    );
    assert_eq!(s.accounts.by_id(&gone).await.unwrap(), None);
}
