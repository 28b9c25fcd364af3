//! Playlists conformance: details, op log ranges, op_id de-duplication, snapshots and
//! compaction, members, a user's playlists, invites.

use super::fresh;
use crate::domain::playlist::{AppliedOp, EditResult, Item, LogEntry, Snapshot};
use crate::error::StorageError;
use crate::storage::playlists::{EditCommit, Member, PlaylistMeta, PlaylistRepo, Role};
use crate::storage::Storage;

pub async fn check(s: &Storage) {
    check_repo(s.playlists.as_ref()).await;
}

fn entry(v: u64) -> LogEntry {
    LogEntry {
        version: v,
        op_id: format!("op{v}"),
        author: "u".into(),
        at_ms: v as i64 * 10,
        ops: vec![AppliedOp::Insert {
            after_item_id: None,
            track_ids: vec![format!("t{v}")],
            item_ids: vec![format!("i{v}")],
        }],
    }
}

fn commit(id: &str, v: u64, snapshot: bool) -> EditCommit {
    EditCommit {
        playlist_id: id.into(),
        op_id: format!("op{v}"),
        result: EditResult {
            version: v,
            skipped: vec![],
        },
        entry: Some(entry(v)),
        name: format!("name{v}"),
        description: "d".into(),
        item_count: v,
        at_ms: v as i64 * 10,
        snapshot: snapshot.then(|| Snapshot {
            version: v,
            name: format!("name{v}"),
            description: "d".into(),
            items: (1..=v)
                .map(|k| Item {
                    item_id: format!("i{k}"),
                    track_id: format!("t{k}"),
                    added_by: "u".into(),
                    added_at_ms: 0,
                })
                .collect(),
            removed: vec![],
        }),
    }
}

/// The checks, on any implementation (the in-memory one runs them too).
pub async fn check_repo(r: &dyn PlaylistRepo) {
    let owner = fresh("owner");
    let id = fresh("pl");
    let meta = PlaylistMeta {
        id: id.clone(),
        owner_id: owner.clone(),
        name: "Mix".into(),
        description: String::new(),
        public: false,
        collaborative: false,
        version: 0,
        item_count: 0,
        created_at_ms: 100,
        updated_at_ms: 100,
    };
    r.create(meta.clone()).await.unwrap();
    assert!(matches!(
        r.create(meta.clone()).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(r.get(&id).await.unwrap(), Some(meta.clone()));
    assert!(r.get(&fresh("none")).await.unwrap().is_none());
    r.set_flags(&id, Some(true), None, 150).await.unwrap();
    let m = r.get(&id).await.unwrap().unwrap();
    assert!(m.public && !m.collaborative);
    assert!(matches!(
        r.set_flags(&fresh("none"), Some(true), None, 1).await,
        Err(StorageError::NotFound)
    ));

    // Op log, results, de-duplication.
    for v in 1..=5 {
        r.commit_edit(commit(&id, v, v == 3)).await.unwrap();
    }
    let m = r.get(&id).await.unwrap().unwrap();
    assert_eq!((m.version, m.item_count, m.name.as_str()), (5, 5, "name5"));
    assert!(
        matches!(
            r.commit_edit(commit(&id, 5, false)).await,
            Err(StorageError::Conflict(_))
        ),
        "a stored op_id is never committed twice"
    );
    let mut stale = commit(&id, 4, false);
    stale.op_id = "fresh-op".into();
    assert!(
        matches!(r.commit_edit(stale).await, Err(StorageError::Conflict(_))),
        "a stored version is never overwritten"
    );
    assert!(
        r.edit_result(&id, "fresh-op").await.unwrap().is_none(),
        "refused commit left nothing"
    );
    assert_eq!(
        r.edit_result(&id, "op2").await.unwrap(),
        Some(EditResult {
            version: 2,
            skipped: vec![]
        })
    );
    // A result without a log entry (everything skipped).
    let mut noop = commit(&id, 6, false);
    noop.op_id = "noop".into();
    noop.entry = None;
    noop.result.version = 5;
    noop.item_count = 5;
    r.commit_edit(noop).await.unwrap();
    assert_eq!(r.get(&id).await.unwrap().unwrap().version, 5);
    assert_eq!(
        r.edit_result(&id, "noop").await.unwrap().unwrap().version,
        5
    );

    let after2: Vec<u64> = r
        .log_after(&id, 2, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(after2, vec![3, 4, 5]);
    assert_eq!(r.log_after(&id, 0, 2).await.unwrap()[1], entry(2));
    let before: Vec<u64> = r
        .log_before(&id, 5, 2)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(before, vec![4, 3]);
    assert_eq!(r.latest_snapshot(&id).await.unwrap().unwrap().version, 3);

    // Compaction never cuts past the latest snapshot.
    r.compact(&id, 10).await.unwrap();
    let left: Vec<u64> = r
        .log_after(&id, 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(left, vec![4, 5]);
    r.commit_edit(commit(&id, 6, true)).await.unwrap();
    r.compact(&id, 4).await.unwrap();
    let left: Vec<u64> = r
        .log_after(&id, 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(left, vec![5, 6]);
    let snap = r.latest_snapshot(&id).await.unwrap().unwrap();
    assert_eq!((snap.version, snap.items.len()), (6, 6));

    // Members and the user's playlists.
    let friend = fresh("friend");
    let m = |u: &str, role, at| Member {
        user_id: u.into(),
        role,
        added_at_ms: at,
    };
    r.add_member(&id, m(&friend, Role::Collaborator, 200))
        .await
        .unwrap();
    r.add_member(&id, m(&friend, Role::Follower, 210))
        .await
        .unwrap();
    assert!(matches!(
        r.add_member(&fresh("none"), m(&friend, Role::Follower, 1))
            .await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(
        r.roles_of(&id, &friend).await.unwrap(),
        vec![Role::Collaborator, Role::Follower]
    );
    assert_eq!(
        r.members(&id, Role::Collaborator).await.unwrap(),
        vec![m(&friend, Role::Collaborator, 200)]
    );
    let id2 = fresh("pl");
    r.create(PlaylistMeta {
        id: id2.clone(),
        created_at_ms: 300,
        ..meta.clone()
    })
    .await
    .unwrap();
    let mine: Vec<(String, Role)> = r
        .user_playlists(&owner)
        .await
        .unwrap()
        .into_iter()
        .map(|(p, role)| (p.id, role))
        .collect();
    assert_eq!(
        mine,
        vec![(id2.clone(), Role::Owner), (id.clone(), Role::Owner)]
    );
    let theirs = r.user_playlists(&friend).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(
        (theirs[0].0.id.as_str(), theirs[0].1),
        (id.as_str(), Role::Collaborator)
    );
    r.remove_member(&id, &friend, Role::Collaborator)
        .await
        .unwrap();
    assert_eq!(
        r.roles_of(&id, &friend).await.unwrap(),
        vec![Role::Follower]
    );
    assert_eq!(
        r.user_playlists(&friend).await.unwrap()[0].1,
        Role::Follower
    );

    // Invites.
    let tokens = super::playlist_invites::check(r, &id, &owner).await;

    // Delete removes everything.
    r.delete(&id).await.unwrap();
    assert!(r.get(&id).await.unwrap().is_none());
    assert!(r.log_after(&id, 0, 10).await.unwrap().is_empty());
    assert!(r.latest_snapshot(&id).await.unwrap().is_none());
    assert!(r.edit_result(&id, "op2").await.unwrap().is_none());
    for token in &tokens {
        assert!(r.invite(token).await.unwrap().is_none());
    }
    assert!(r.invites_of(&id).await.unwrap().is_empty());
    assert!(r.user_playlists(&friend).await.unwrap().is_empty());
    r.delete(&id2).await.unwrap();
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn memory_repo_conforms() {
        super::check_repo(&crate::storage::playlists::MemoryPlaylists::new()).await;
    }
}
