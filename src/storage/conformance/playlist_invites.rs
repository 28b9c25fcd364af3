//! Invites conformance: limits and uses, the race for the last use, listing, revoking, invites
//! stored without limits (as before limits existed), and removal with the playlist.

use super::fresh;
use crate::error::StorageError;
use crate::storage::playlists::{Invite, InviteUse, InviteUseOutcome as Use, PlaylistRepo};

fn invite(playlist_id: &str, owner: &str, max_uses: Option<u32>, created: i64) -> Invite {
    use crate::clock::Clock;
    Invite {
        token: fresh("tok"),
        playlist_id: playlist_id.into(),
        created_by: owner.into(),
        // In the future on the real clock: CQL derives the rows' TTL from it.
        expires_at_ms: crate::clock::SystemClock.now_ms() + 3_600_000,
        created_at_ms: Some(created),
        max_uses,
        used_by: vec![],
    }
}

/// `id` is an existing playlist owned by `owner`; returns the tokens still stored (the caller
/// checks that deleting the playlist removes them).
pub async fn check(r: &dyn PlaylistRepo, id: &str, owner: &str) -> Vec<String> {
    // Create, read back, conflict on the same token.
    let single = invite(id, owner, Some(1), 100);
    r.create_invite(single.clone()).await.unwrap();
    assert!(matches!(
        r.create_invite(single.clone()).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(r.invite(&single.token).await.unwrap(), Some(single.clone()));

    // Single use: the first user takes it, the same user again takes nothing, others are out.
    let t = &single.token;
    assert_eq!(r.use_invite(t, "u1", 10).await.unwrap(), Use::Used);
    assert_eq!(r.use_invite(t, "u1", 11).await.unwrap(), Use::AlreadyUsed);
    assert_eq!(r.use_invite(t, "u2", 12).await.unwrap(), Use::Exhausted);
    let got = r.invite(t).await.unwrap().unwrap();
    assert_eq!(
        got.used_by,
        vec![InviteUse {
            user_id: "u1".into(),
            at_ms: 10
        }]
    );

    // Several users race for the last two uses of a three-use invite: exactly two get one.
    let triple = invite(id, owner, Some(3), 200);
    r.create_invite(triple.clone()).await.unwrap();
    assert_eq!(
        r.use_invite(&triple.token, "a", 30).await.unwrap(),
        Use::Used
    );
    let racers: Vec<String> = (0..4).map(|i| format!("r{i}")).collect();
    let outcomes =
        futures_util::future::join_all(racers.iter().map(|u| r.use_invite(&triple.token, u, 40)))
            .await;
    let outcomes: Vec<Use> = outcomes.into_iter().map(|o| o.unwrap()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == Use::Used).count(),
        2,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Use::Used | Use::Exhausted)));
    let got = r.invite(&triple.token).await.unwrap().unwrap();
    assert_eq!(got.used_by.len(), 3);
    assert_eq!(got.used_by[0].user_id, "a", "oldest use first");

    // No limit (how invites stored before limits read): every user gets in.
    let mut open = invite(id, owner, None, 0);
    open.created_at_ms = None;
    r.create_invite(open.clone()).await.unwrap();
    for u in ["x", "y", "z"] {
        assert_eq!(r.use_invite(&open.token, u, 50).await.unwrap(), Use::Used);
    }
    let got = r.invite(&open.token).await.unwrap().unwrap();
    assert_eq!((got.created_at_ms, got.max_uses), (None, None));
    assert_eq!(got.used_by.len(), 3);

    // Listing: oldest first (those without a creation time first), with their uses.
    let listed = r.invites_of(id).await.unwrap();
    let tokens: Vec<&str> = listed.iter().map(|i| i.token.as_str()).collect();
    assert_eq!(tokens, [&open.token, &single.token, &triple.token]);
    assert_eq!(listed[1].used_by.len(), 1);
    assert!(r.invites_of(&fresh("none")).await.unwrap().is_empty());

    // Revoking: gone for reading, using and listing; a second revoke finds nothing.
    assert!(r.revoke_invite(&single.token).await.unwrap());
    assert!(!r.revoke_invite(&single.token).await.unwrap());
    assert!(r.invite(&single.token).await.unwrap().is_none());
    assert_eq!(
        r.use_invite(&single.token, "u9", 60).await.unwrap(),
        Use::Gone
    );
    assert_eq!(r.invites_of(id).await.unwrap().len(), 2);
    assert!(!r.revoke_invite(&fresh("never")).await.unwrap());
    assert_eq!(
        r.use_invite(&fresh("never"), "u", 1).await.unwrap(),
        Use::Gone
    );
    vec![triple.token, open.token]
}
