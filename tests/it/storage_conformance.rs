//! The storage conformance suite on the SQLite backend (a real file on disk).

#[tokio::test]
async fn sqlite_backend_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let config = segue::config::Config::for_test(dir.path());
    let storage = segue::storage::open(&config).await.unwrap();
    segue::storage::conformance::run_all(&storage).await;
}

#[tokio::test]
async fn sqlite_migrations_are_idempotent_and_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let config = segue::config::Config::for_test(dir.path());
    {
        let storage = segue::storage::open(&config).await.unwrap();
        storage
            .accounts
            .create(segue::storage::Account {
                id: "keep-me".into(),
                username: "keeper".into(),
                display_name: "K".into(),
                password_hash: String::new(),
                tier: segue::storage::Tier::Free,
                created_at_ms: 1,
            })
            .await
            .unwrap();
    }
    let storage = segue::storage::open(&config).await.unwrap();
    assert!(storage.accounts.by_id("keep-me").await.unwrap().is_some());
}

#[tokio::test]
async fn concurrent_writes_are_group_committed_and_all_durable() {
    let dir = tempfile::tempdir().unwrap();
    let config = segue::config::Config::for_test(dir.path());
    let storage = segue::storage::open(&config).await.unwrap();
    let mut tasks = vec![];
    for i in 0..200 {
        let s = storage.clone();
        tasks.push(tokio::spawn(async move {
            s.players
                .upsert_device(segue::storage::DeviceRecord {
                    user_id: "gc".into(),
                    device_id: format!("d{i:03}"),
                    name: "n".into(),
                    kind: "phone".into(),
                    volume: 50,
                    last_seen_ms: 0,
                })
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(storage.players.devices("gc").await.unwrap().len(), 200);
}
