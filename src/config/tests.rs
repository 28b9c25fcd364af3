//! Configuration loading: precedence, unknown keys, ill-typed values, validation.
use super::load::leaf_keys;
use super::*;

fn no_env() -> Vec<(String, String)> {
    vec![]
}

#[test]
fn defaults_validate_and_match_default_toml() {
    let c = Config::load(None, no_env(), &[]).unwrap();
    assert_eq!(c.ws.max_frame_bytes, 65536);
    // The documented defaults file must parse and agree with the built-in defaults.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
    let from_file = Config::load(Some(&path), no_env(), &[]).unwrap();
    assert_eq!(
        toml::Value::try_from(&from_file).unwrap(),
        toml::Value::try_from(&c).unwrap(),
        "config/default.toml and Config::default() disagree"
    );
    // And it documents every key.
    let text = std::fs::read_to_string(&path).unwrap();
    let documented: toml::Value = toml::from_str(&text).unwrap();
    let want = leaf_keys(&toml::Value::try_from(&c).unwrap());
    let have = leaf_keys(&documented);
    for k in want.keys() {
        assert!(
            have.contains_key(k),
            "config/default.toml does not document `{k}`"
        );
    }
}

#[test]
fn unknown_file_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "[ws]\nmax_frame_byts = 3\n").unwrap();
    let e = Config::load(Some(&p), no_env(), &[]).unwrap_err();
    assert!(e.0.contains("ws.max_frame_byts"), "{e}");
}

#[test]
fn ill_typed_value_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "[ws]\nmax_frame_bytes = \"big\"\n").unwrap();
    let e = Config::load(Some(&p), no_env(), &[]).unwrap_err();
    assert!(e.0.contains("ws.max_frame_bytes"), "{e}");
}

#[test]
fn env_overrides_file_and_cli_overrides_env() {
    let env = vec![
        ("SEGUE_WS_IDLE_TIMEOUT_MS".to_string(), "60000".to_string()),
        (
            "SEGUE_SERVER_LISTEN".to_string(),
            "127.0.0.1:9000".to_string(),
        ),
        ("PATH".to_string(), "/bin".to_string()),
    ];
    let c = Config::load(
        None,
        env,
        &[(
            "server.listen",
            toml::Value::String("127.0.0.1:9001".into()),
        )],
    )
    .unwrap();
    assert_eq!(c.ws.idle_timeout_ms, 60000);
    assert_eq!(c.server.listen, "127.0.0.1:9001");
}

#[test]
fn unknown_or_bad_env_is_named() {
    let e = Config::load(None, vec![("SEGUE_WS_NOPE".into(), "1".into())], &[]).unwrap_err();
    assert!(e.0.contains("SEGUE_WS_NOPE"), "{e}");
    let e = Config::load(
        None,
        vec![("SEGUE_WS_IDLE_TIMEOUT_MS".into(), "soon".into())],
        &[],
    )
    .unwrap_err();
    assert!(e.0.contains("ws.idle_timeout_ms"), "{e}");
}

#[test]
fn semantic_validation_names_key() {
    let e = Config::load(
        None,
        vec![("SEGUE_AUTH_PBKDF2_ITERATIONS".into(), "1000".into())],
        &[],
    )
    .unwrap_err();
    assert!(e.0.contains("auth.pbkdf2_iterations"), "{e}");
    let e = Config::load(
        None,
        vec![("SEGUE_STORAGE_BACKEND".into(), "postgres".into())],
        &[],
    )
    .unwrap_err();
    assert!(e.0.contains("storage.backend"), "{e}");
}

#[test]
fn scylla_retry_keys_load_and_validate() {
    let c = Config::load(None, no_env(), &[]).unwrap();
    assert_eq!(
        (
            c.storage.scylla_retry_attempts,
            c.storage.scylla_retry_base_ms,
            c.storage.scylla_retry_max_ms
        ),
        (4, 50, 1000)
    );
    let c = Config::load(
        None,
        vec![
            ("SEGUE_STORAGE_SCYLLA_RETRY_ATTEMPTS".into(), "2".into()),
            ("SEGUE_STORAGE_SCYLLA_RETRY_BASE_MS".into(), "10".into()),
            ("SEGUE_STORAGE_SCYLLA_RETRY_MAX_MS".into(), "30".into()),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(c.storage.scylla_retry_attempts, 2);
    assert_eq!(c.storage.scylla_retry_base_ms, 10);
    assert_eq!(c.storage.scylla_retry_max_ms, 30);
    for (var, value, key) in [
        (
            "SEGUE_STORAGE_SCYLLA_RETRY_ATTEMPTS",
            "0",
            "storage.scylla_retry_attempts",
        ),
        (
            "SEGUE_STORAGE_SCYLLA_RETRY_ATTEMPTS",
            "11",
            "storage.scylla_retry_attempts",
        ),
        (
            "SEGUE_STORAGE_SCYLLA_RETRY_BASE_MS",
            "0",
            "storage.scylla_retry_base_ms",
        ),
        (
            "SEGUE_STORAGE_SCYLLA_RETRY_MAX_MS",
            "10",
            "storage.scylla_retry_max_ms",
        ),
    ] {
        let e = Config::load(None, vec![(var.into(), value.into())], &[]).unwrap_err();
        assert!(e.0.contains(key), "{var}={value}: {e}");
    }
}

#[test]
fn broad_query_tier_percent_loads_and_validates() {
    let c = Config::load(None, no_env(), &[]).unwrap();
    assert_eq!(c.search.broad_query_tier_percent, 5.0);
    let c = Config::load(
        None,
        vec![(
            "SEGUE_SEARCH_BROAD_QUERY_TIER_PERCENT".into(),
            "12.5".into(),
        )],
        &[],
    )
    .unwrap();
    assert_eq!(c.search.broad_query_tier_percent, 12.5);
    for bad in ["0", "-1", "100.5", "NaN"] {
        let e = Config::load(
            None,
            vec![("SEGUE_SEARCH_BROAD_QUERY_TIER_PERCENT".into(), bad.into())],
            &[],
        )
        .unwrap_err();
        assert!(
            e.0.contains("search.broad_query_tier_percent"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn login_throttle_keys_load_and_validate() {
    let c = Config::load(
        None,
        vec![
            (
                "SEGUE_AUTH_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE".into(),
                "7".into(),
            ),
            ("SEGUE_AUTH_LOGIN_BACKOFF_AFTER_FAILURES".into(), "5".into()),
            ("SEGUE_AUTH_LOGIN_BACKOFF_MAX_MS".into(), "9000".into()),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(c.auth.login_failures_per_address_per_minute, 7);
    assert_eq!(c.auth.login_backoff_after_failures, 5);
    assert_eq!(c.auth.login_backoff_max_ms, 9000);
    for (key, value, named) in [
        (
            "SEGUE_AUTH_LOGIN_BACKOFF_MAX_MS",
            "10",
            "auth.login_backoff_max_ms",
        ),
        (
            "SEGUE_AUTH_LOGIN_BACKOFF_BASE_MS",
            "0",
            "auth.login_backoff_base_ms",
        ),
        (
            "SEGUE_AUTH_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE",
            "0",
            "auth.login_failures_per_address_per_minute",
        ),
        (
            "SEGUE_AUTH_LIMITER_SWEEP_KEYS",
            "0",
            "auth.limiter_sweep_keys",
        ),
    ] {
        let e = Config::load(None, vec![(key.into(), value.into())], &[]).unwrap_err();
        assert!(e.0.contains(named), "{key}: {e}");
    }
}

#[test]
fn play_event_and_track_end_keys_load_and_validate() {
    let c = Config::load(
        None,
        vec![
            ("SEGUE_HISTORY_PLAY_EVENTS_PER_MINUTE".into(), "7".into()),
            ("SEGUE_HISTORY_MAX_CLOCK_SKEW_MS".into(), "1000".into()),
            ("SEGUE_SESSION_TRACK_ENDED_SLACK_MS".into(), "250".into()),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(c.history.play_events_per_minute, 7);
    assert_eq!(c.history.max_clock_skew_ms, 1000);
    assert_eq!(c.session.track_ended_slack_ms, 250);
    for (key, value, named) in [
        (
            "SEGUE_HISTORY_PLAY_EVENTS_PER_MINUTE",
            "0",
            "history.play_events_burst",
        ),
        (
            "SEGUE_HISTORY_PLAY_EVENTS_BURST",
            "10",
            "history.play_events_burst",
        ),
        (
            "SEGUE_HISTORY_MAX_CLOCK_SKEW_MS",
            "-1",
            "history.max_clock_skew_ms",
        ),
        (
            "SEGUE_SESSION_TRACK_ENDED_SLACK_MS",
            "-5",
            "session.track_ended_slack_ms",
        ),
    ] {
        let e = Config::load(None, vec![(key.into(), value.into())], &[]).unwrap_err();
        assert!(e.0.contains(named), "{key}: {e}");
    }
}

#[test]
fn named_choices_are_enums_and_a_wrong_one_names_its_key_and_the_choices() {
    let c = Config::load(None, no_env(), &[]).unwrap();
    assert_eq!(c.storage.backend, StorageBackend::Sqlite);
    assert_eq!(c.storage.scylla_consistency, CqlConsistency::LocalQuorum);
    assert_eq!(c.log.format, LogFormat::Text);
    for (var, value, key) in [
        ("SEGUE_STORAGE_BACKEND", "postgres", "storage.backend"),
        (
            "SEGUE_STORAGE_SCYLLA_CONSISTENCY",
            "most",
            "storage.scylla_consistency",
        ),
        ("SEGUE_LOG_FORMAT", "xml", "log.format"),
    ] {
        let e = Config::load(None, vec![(var.into(), value.into())], &[]).unwrap_err();
        assert!(e.0.contains(key), "{e}");
        assert!(e.0.contains(value), "{e}");
    }
    let c = Config::load(
        None,
        vec![(
            "SEGUE_STORAGE_SCYLLA_CONSISTENCY".into(),
            "local_one".into(),
        )],
        &[],
    )
    .unwrap();
    assert_eq!(c.storage.scylla_consistency, CqlConsistency::LocalOne);
}
