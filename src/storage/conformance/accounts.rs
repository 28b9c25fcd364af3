//! Accounts conformance: uniqueness, lookups, tiers.

use super::fresh;
use crate::error::StorageError;
use crate::storage::{Account, Storage, Tier};

pub async fn check(s: &Storage) {
    let name = fresh("user").to_lowercase();
    let a = Account {
        id: fresh("id"),
        username: name.clone(),
        display_name: "Ann".into(),
        password_hash: "h".into(),
        tier: Tier::Free,
        created_at_ms: 1,
    };
    s.accounts.create(a.clone()).await.expect("create account");
    let dup = Account {
        id: fresh("id"),
        ..a.clone()
    };
    assert!(
        matches!(s.accounts.create(dup).await, Err(StorageError::Conflict(_))),
        "a taken username must be a conflict"
    );
    let upper = Account {
        id: fresh("id"),
        username: name.to_uppercase(),
        ..a.clone()
    };
    assert!(
        matches!(
            s.accounts.create(upper).await,
            Err(StorageError::Conflict(_))
        ),
        "usernames are case-insensitive"
    );
    assert_eq!(
        s.accounts.by_username(&name).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(s.accounts.by_id(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.accounts.by_id("nope-nope").await.unwrap(), None);
    s.accounts.set_tier(&name, Tier::Premium).await.unwrap();
    assert_eq!(
        s.accounts.by_id(&a.id).await.unwrap().map(|a| a.tier),
        Some(Tier::Premium)
    );
    assert!(matches!(
        s.accounts.set_tier(&fresh("ghost"), Tier::Premium).await,
        Err(StorageError::NotFound)
    ));
    let many: Vec<Account> = (0..3)
        .map(|i| Account {
            id: fresh("bulk"),
            username: format!("{}-{i}", fresh("bulk")).to_lowercase(),
            ..a.clone()
        })
        .collect();
    assert_eq!(s.accounts.create_many(many.clone()).await.unwrap(), 3);
    assert_eq!(s.accounts.create_many(many.clone()).await.unwrap(), 0);
    let ids: Vec<String> = many.iter().map(|a| a.id.clone()).collect();
    assert_eq!(s.accounts.by_ids(ids).await.unwrap().len(), 3);
}
