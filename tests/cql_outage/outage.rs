//! Taking the store away and giving it back: stopping and restarting the test node through
//! scripts/cassandra.sh, or cutting the proxy in front of a cluster the test cannot stop. The
//! node is restarted on drop so a failed run does not leave it down for the binaries after it.

use crate::proxy;
use std::path::{Path, PathBuf};

fn cassandra_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cassandra.sh")
}

/// Runs `scripts/cassandra.sh ACTION DIR`; its stdout (the address, for `restart`).
fn cassandra(action: &str, dir: &Path) -> String {
    let out = std::process::Command::new("bash")
        .arg(cassandra_sh())
        .arg(action)
        .arg(dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run scripts/cassandra.sh");
    assert!(
        out.status.success(),
        "scripts/cassandra.sh {action} {} failed",
        dir.display()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// How the store is taken away and given back.
pub enum Outage {
    /// The real node of this directory, at this address.
    Node {
        dir: PathBuf,
        addr: String,
        down: bool,
    },
    /// A proxy in front of a node the test cannot stop.
    Proxy(proxy::Proxy),
}

impl Outage {
    pub fn describe(&self) -> String {
        match self {
            Outage::Node { dir, addr, .. } => {
                format!(
                    "Cassandra at {addr} stopped and restarted ({})",
                    dir.display()
                )
            }
            Outage::Proxy(p) => format!("connections cut at the proxy {}", p.addr),
        }
    }

    pub async fn begin(&mut self) {
        match self {
            Outage::Node { dir, down, .. } => {
                let dir = dir.clone();
                *down = true;
                tokio::task::spawn_blocking(move || cassandra("stop", &dir))
                    .await
                    .unwrap();
            }
            Outage::Proxy(p) => p.cut(),
        }
    }

    pub async fn end(&mut self) {
        match self {
            Outage::Node { dir, addr, down } => {
                let d = dir.clone();
                let again = tokio::task::spawn_blocking(move || cassandra("restart", &d))
                    .await
                    .unwrap();
                *down = false;
                assert_eq!(&again, addr, "the node came back on another address");
            }
            Outage::Proxy(p) => p.restore(),
        }
    }
}

impl Drop for Outage {
    /// A failed test must not leave the node down for the test binaries that follow.
    fn drop(&mut self) {
        if let Outage::Node {
            dir, down: true, ..
        } = self
        {
            let _ = std::process::Command::new("bash")
                .arg(cassandra_sh())
                .arg("restart")
                .arg(&*dir)
                .status();
        }
    }
}
