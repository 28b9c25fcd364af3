//! The storage conformance suite on CQL: against the Apache Cassandra node that scripts/test.sh
//! starts (`SEGUE_TEST_CQL=HOST:PORT`) or a ScyllaDB cluster (`SCYLLA_URI=HOST:PORT[,...]`).
//! One keyspace (`segue_it`) for this test binary; tests isolate themselves by fresh ids.
//!
//! Without a CQL node these tests fail when `CI` or `SEGUE_REQUIRE_CQL=1` is set (scripts/test.sh
//! sets it), and otherwise only print why they did not run, so that a plain `cargo test` stays
//! usable while developing.

use segue::config::Config;
use segue::storage::scylla::{ScyllaDb, ScyllaRepos};
use segue::storage::{AccountRepo, PlayerRepo, Storage};

const KEYSPACE: &str = "segue_it";

/// Schema changes from several sessions at once make Cassandra slow to agree; open one at a time.
pub(crate) static OPEN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cql_nodes() -> Option<Vec<String>> {
    let raw = std::env::var("SEGUE_TEST_CQL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("SCYLLA_URI").ok())
        .filter(|v| !v.trim().is_empty())?;
    let raw = raw.split_once("://").map_or(raw.as_str(), |(_, rest)| rest);
    Some(
        raw.split(',')
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

fn required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || std::env::var("SEGUE_REQUIRE_CQL").is_ok_and(|v| v == "1")
}

/// The test config pointing at the CQL node, or `None` (after saying why) when there is none
/// and none is required. Panics when one is required but missing.
pub(crate) fn cql_config(dir: &std::path::Path) -> Option<Config> {
    let Some(nodes) = cql_nodes() else {
        let how = "no CQL node: set SEGUE_TEST_CQL=HOST:PORT (scripts/test.sh starts a Cassandra \
                   node and sets it) or SCYLLA_URI=HOST:PORT[,HOST:PORT...] for a ScyllaDB cluster";
        if required() {
            panic!("{how}");
        }
        eprintln!("CQL test not run: {how}");
        return None;
    };
    let mut config = Config::for_test(dir);
    config.storage.backend = segue::config::StorageBackend::Scylla;
    config.storage.scylla_nodes = nodes;
    config.storage.scylla_keyspace = KEYSPACE.into();
    config.storage.scylla_request_timeout_ms = 20_000;
    Some(config)
}

async fn open_repos(config: &Config) -> ScyllaRepos {
    let _one_at_a_time = OPEN.lock().await;
    ScyllaDb::open_repos(&config.storage)
        .await
        .expect("connect to the CQL node and apply the schema")
}

/// The `Storage` made of the CQL repositories.
async fn cql_storage(_config: &Config, repos: &ScyllaRepos) -> Storage {
    repos.storage()
}

#[tokio::test]
async fn cql_accounts_catalog_and_players_conform() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    storage.health.ping().await.expect("ping the CQL node");
    segue::storage::conformance::accounts::check(&storage).await;
    segue::storage::conformance::catalog::check(&storage).await;
    segue::storage::conformance::players::check(&storage).await;
}

#[tokio::test]
async fn cql_sessions_conform() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    segue::storage::conformance::sessions::check(&storage).await;
}

#[tokio::test]
async fn cql_library_and_history_conform() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    segue::storage::conformance::library::check(&storage).await;
    segue::storage::conformance::history::check(&storage).await;
}

#[tokio::test]
async fn cql_account_deletion_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    segue::storage::conformance::erasure::check(&storage).await;
}

#[tokio::test]
async fn cql_playlists_conform() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    segue::storage::conformance::playlists::check(&storage).await;
}

#[tokio::test]
async fn cql_settings_conform() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let storage = cql_storage(&config, &repos).await;
    segue::storage::conformance::settings::check(&storage).await;
}

#[tokio::test]
async fn cql_recent_streams_walk_back_across_months() {
    use segue::storage::history::PlayEvent;
    use segue::storage::HistoryRepo;
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let user = segue::storage::conformance::fresh("months");
    // 2024-01-31, 2024-02-01, 2024-03-15 (UTC): three monthly partitions.
    let times = [1_706_659_200_000_i64, 1_706_745_600_000, 1_710_460_800_000];
    let events: Vec<PlayEvent> = times
        .iter()
        .enumerate()
        .map(|(i, at)| PlayEvent {
            user_id: user.clone(),
            event_id: format!("e{i}"),
            track_id: format!("t{i}"),
            played_at_ms: *at,
            ms_played: 60_000,
            device_id: None,
            context_uri: None,
            stream: true,
        })
        .collect();
    assert_eq!(repos.history.record(events).await.unwrap(), 3);
    assert_eq!(
        segue::storage::scylla::month_of(times[0]),
        202401,
        "first event in January"
    );
    let all = repos.history.recent(&user, None, 10).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["e2", "e1", "e0"], "newest first across months");
    let page = repos
        .history
        .recent(&user, Some((times[2], "e2".into())), 1)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(
        page[0].event_id, "e1",
        "the cursor continues in an older month"
    );
}

#[tokio::test]
async fn cql_concurrent_player_saves_keep_the_newest_version() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let user = segue::storage::conformance::fresh("racer");
    let mut tasks = vec![];
    for v in 1..=16u64 {
        let players = repos.players.clone();
        let user = user.clone();
        tasks.push(tokio::spawn(async move {
            players
                .save(segue::storage::PlayerRecord {
                    user_id: user,
                    version: v,
                    state: serde_json::json!({ "v": v }),
                    updated_at_ms: v as i64,
                })
                .await
        }));
    }
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) | Err(segue::error::StorageError::Conflict(_)) => {}
            Err(e) => panic!("a racing save failed with {e}"),
        }
    }
    let stored = repos.players.load(&user).await.unwrap().unwrap();
    assert_eq!(stored.version, 16, "the newest version wins every race");
    assert_eq!(stored.state, serde_json::json!({ "v": 16 }));
}

#[tokio::test]
async fn cql_accounts_username_claim_is_unique_under_races() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let name = segue::storage::conformance::fresh("race").to_lowercase();
    let mut tasks = vec![];
    for i in 0..8 {
        let accounts = repos.accounts.clone();
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            accounts
                .create(segue::storage::Account {
                    id: format!("{name}-id-{i}"),
                    username: name,
                    display_name: "Racer".into(),
                    password_hash: String::new(),
                    tier: segue::storage::Tier::Free,
                    created_at_ms: 1,
                })
                .await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(segue::error::StorageError::Conflict(_)) => {}
            Err(e) => panic!("a racing create failed with {e}"),
        }
    }
    assert_eq!(
        won, 1,
        "exactly one of eight racing registrations gets the name"
    );
    let winner = repos.accounts.by_username(&name).await.unwrap().unwrap();
    assert!(winner.id.starts_with(&name));
}

#[tokio::test]
async fn cql_schema_is_applied_once_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let first = open_repos(&config).await;
    let second = open_repos(&config).await;
    let rows = second
        .db
        .session()
        .query_unpaged(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
            (KEYSPACE,),
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let tables: Vec<String> = rows
        .rows::<(String,)>()
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    let expected: usize = segue::storage::scylla::SCHEMA_VERSIONS
        .iter()
        .map(|(_, cql)| segue::storage::scylla::statements(cql).len())
        .sum();
    assert_eq!(
        tables.len(),
        expected,
        "every schema.cql table exists: {tables:?}"
    );
    let versions = first
        .db
        .session()
        .query_unpaged(
            "SELECT version FROM schema_version WHERE domain = 'segue'",
            &[],
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap()
        .rows::<(i32,)>()
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect::<Vec<_>>();
    let all: Vec<i32> = segue::storage::scylla::SCHEMA_VERSIONS
        .iter()
        .map(|(v, _)| *v)
        .collect();
    assert_eq!(versions, all, "each schema version recorded exactly once");
}

#[tokio::test]
async fn cql_backend_opens_every_repository() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let storage = {
        let _one_at_a_time = OPEN.lock().await;
        segue::storage::open(&config)
            .await
            .expect("the scylla backend opens")
    };
    storage.health.ping().await.unwrap();
    // A write through `storage::open`'s repositories is readable through a second open.
    let user = segue::storage::conformance::fresh("open");
    storage
        .library
        .save(
            &user,
            segue::storage::library::SavedKind::Track,
            vec!["t".into()],
            5,
        )
        .await
        .unwrap();
    let again = {
        let _one_at_a_time = OPEN.lock().await;
        segue::storage::open(&config).await.unwrap()
    };
    assert_eq!(
        again
            .library
            .count(&user, segue::storage::library::SavedKind::Track)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn cql_unreachable_cluster_is_a_clear_error_naming_the_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_test(dir.path());
    config.storage.backend = segue::config::StorageBackend::Scylla;
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    config.storage.scylla_nodes = vec!["127.0.0.1:9".into(), "127.0.0.2:9".into()];
    let err = match segue::storage::open(&config).await {
        Ok(_) => panic!("connecting to nothing must fail"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("127.0.0.1:9") && err.contains("127.0.0.2:9"),
        "the error names the nodes: {err}"
    );
}

#[tokio::test]
async fn cql_catalog_keyset_paging_genres_and_moves() {
    use segue::storage::{CatalogRepo, Track};
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    // A fresh prefix: no other id sorts between these, even in a shared keyspace.
    let prefix = format!("pg{}", segue::storage::new_id().replace(['-', '_'], "x"));
    let genre = format!("{prefix}-genre");
    let album = format!("{prefix}-al");
    let track = |i: u32, genre: &str, pop: u32| Track {
        id: format!("{prefix}-{i}"),
        title: format!("T{i}"),
        album_id: album.clone(),
        artist_ids: vec![format!("{prefix}-ar")],
        track_number: i + 1,
        disc_number: 1,
        duration_ms: 1000,
        genre: Some(genre.to_string()),
        year: None,
        explicit: false,
        popularity: pop,
        isrc: None,
        audio: None,
    };
    let before = repos.catalog.counts().await.unwrap().tracks;
    let tracks: Vec<Track> = (0..5).map(|i| track(i, &genre, i * 10)).collect();
    repos.catalog.upsert_tracks(tracks.clone()).await.unwrap();
    repos.catalog.upsert_tracks(tracks.clone()).await.unwrap();

    let page1 = repos.catalog.tracks_after(&prefix, 3).await.unwrap();
    let ids1: Vec<&str> = page1.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids1, vec![&tracks[0].id, &tracks[1].id, &tracks[2].id]);
    let page2 = repos.catalog.tracks_after(&tracks[2].id, 2).await.unwrap();
    assert_eq!(page2, vec![tracks[3].clone(), tracks[4].clone()]);
    assert!(repos.catalog.counts().await.unwrap().tracks >= before + 5);
    let (_, total) = repos.catalog.list_tracks(2, 0).await.unwrap();
    assert!(total >= 5);

    let count_of = |gs: Vec<(String, u64)>, g: &str| gs.into_iter().find(|(n, _)| n == g);
    let gs = repos.catalog.genres().await.unwrap();
    assert_eq!(
        count_of(gs, &genre),
        Some((genre.clone(), 5)),
        "upserting twice counts once"
    );

    // Moving a track to another genre, album position and popularity moves its query rows.
    let other = format!("{prefix}-other");
    let mut moved = track(0, &other, 99);
    moved.track_number = 9;
    repos
        .catalog
        .upsert_tracks(vec![moved.clone()])
        .await
        .unwrap();
    let gs = repos.catalog.genres().await.unwrap();
    assert_eq!(count_of(gs.clone(), &genre).map(|g| g.1), Some(4));
    assert_eq!(count_of(gs, &other).map(|g| g.1), Some(1));
    let order: Vec<u32> = repos
        .catalog
        .album_tracks(&album)
        .await
        .unwrap()
        .iter()
        .map(|t| t.track_number)
        .collect();
    assert_eq!(
        order,
        vec![2, 3, 4, 5, 9],
        "no stale album position left behind"
    );
    let top = repos
        .catalog
        .artist_top_tracks(&format!("{prefix}-ar"), 10)
        .await
        .unwrap();
    assert_eq!(top.len(), 5, "no stale popularity row left behind");
    assert_eq!(top[0].id, moved.id);
}

#[tokio::test]
async fn cql_join_code_claim_is_unique_under_races() {
    use segue::storage::sessions::SessionRecord;
    use segue::storage::SessionRepo;
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = cql_config(dir.path()) else {
        return;
    };
    let repos = open_repos(&config).await;
    let code = segue::storage::conformance::fresh("code");
    let mut tasks = vec![];
    for i in 0..8 {
        let sessions = repos.sessions.clone();
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("{code}-s{i}");
            let r = sessions
                .create(SessionRecord {
                    session_id: id.clone(),
                    join_code: code,
                    version: 1,
                    state: serde_json::json!({}),
                    members: vec![],
                    last_active_ms: 1,
                })
                .await;
            (id, r)
        }));
    }
    let mut winners = vec![];
    for t in tasks {
        match t.await.unwrap() {
            (id, Ok(())) => winners.push(id),
            (_, Err(segue::error::StorageError::Conflict(_))) => {}
            (_, Err(e)) => panic!("a racing create failed with {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one session gets the code");
    assert_eq!(
        repos.sessions.by_join_code(&code).await.unwrap(),
        Some(winners[0].clone())
    );
    // Ending the session frees the code for a new one.
    repos.sessions.delete(&winners[0]).await.unwrap();
    assert!(!repos
        .sessions
        .list()
        .await
        .unwrap()
        .iter()
        .any(|r| r.session_id == winners[0]));
    repos
        .sessions
        .create(SessionRecord {
            session_id: format!("{code}-again"),
            join_code: code.clone(),
            version: 1,
            state: serde_json::json!({}),
            members: vec![],
            last_active_ms: 2,
        })
        .await
        .unwrap();
}
