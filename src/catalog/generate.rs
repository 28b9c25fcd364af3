//! `segue gen-catalog`.

use std::path::PathBuf;

pub fn run_cli(_tracks: u64, _out: Option<PathBuf>, _seed: u64) -> anyhow::Result<()> {
    anyhow::bail!("gen-catalog is not available yet")
}
