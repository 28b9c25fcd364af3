//! `segue import FILE`.

use crate::config::Config;
use std::path::PathBuf;

pub async fn run_cli(_config: Config, file: PathBuf) -> anyhow::Result<()> {
    anyhow::bail!("import of {} is not available yet", file.display())
}
