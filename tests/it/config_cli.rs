//! The `segue` binary's command line: help, config errors naming the key, admin commands.

use std::process::Command;

fn segue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segue"))
}

#[test]
fn help_documents_every_command() {
    let out = segue().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve",
        "import",
        "gen-catalog",
        "reindex",
        "migrate",
        "users",
    ] {
        assert!(text.contains(cmd), "--help lacks {cmd}: {text}");
    }
    let out = segue().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--data-dir",
        "--demo",
        "--store",
        "--scylla-nodes",
        "--config",
    ] {
        assert!(text.contains(flag), "serve --help lacks {flag}: {text}");
    }
}

#[test]
fn bad_config_stops_startup_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = segue()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("SEGUE_WS_MAX_FRAME_BYTES", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ws.max_frame_bytes"), "{err}");

    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[player]\ngrace = 3\n").unwrap();
    let out = segue()
        .args(["migrate", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("player.grace"));
}

#[test]
fn migrate_and_set_tier() {
    let dir = tempfile::tempdir().unwrap();
    let ok = segue()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = segue()
        .args(["users", "set-tier", "nobody", "premium", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "unknown user must fail");
    let tokens = dir.path().join("tokens.tsv");
    let out = segue()
        .args([
            "users",
            "create-bulk",
            "--prefix",
            "lt",
            "--count",
            "5",
            "--tokens-out",
        ])
        .arg(&tokens)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&tokens).unwrap().lines().count(), 5);
    let out = segue()
        .args(["users", "set-tier", "lt-3", "free", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = segue()
        .args(["users", "set-tier", "lt-3", "gold", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "bad tier must fail");
}
