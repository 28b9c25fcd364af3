//! Admin operations run from the command line.

use crate::config::Config;
use crate::storage::{Account, Tier};
use std::io::Write;
use std::path::PathBuf;

/// Creates `count` password-less accounts `PREFIX-i` and writes a token for each, so a load
/// generator can connect thousands of devices without paying for password hashing.
pub async fn create_bulk(
    config: Config,
    prefix: String,
    count: u64,
    tokens_out: PathBuf,
) -> anyhow::Result<()> {
    crate::http::routes::auth::validate_username(&format!("{prefix}-0"))
        .map_err(|e| anyhow::anyhow!("bad prefix: {}", e.message))?;
    let storage = crate::storage::open(&config).await?;
    let secret = if config.auth.token_secret.is_empty() {
        crate::secrets::load_or_create(&config.data_dir().join("keys/token.key"), 32)?
    } else {
        hex::decode(&config.auth.token_secret)?
    };
    let signer = crate::auth::TokenSigner::new(&secret, config.auth.token_ttl_ms);
    let now = crate::clock::system().now_ms();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tokens_out)?);
    let bar = indicatif::ProgressBar::new(count);
    let mut start = 0;
    while start < count {
        let end = (start + 1000).min(count);
        let mut batch = Vec::new();
        for i in start..end {
            let username = format!("{prefix}-{i}").to_lowercase();
            let existing = storage.accounts.by_username(&username).await?;
            let id = match existing {
                Some(a) => a.id,
                None => {
                    let id = crate::storage::new_id();
                    batch.push(Account {
                        id: id.clone(),
                        username: username.clone(),
                        display_name: username.clone(),
                        password_hash: String::new(),
                        tier: Tier::Premium,
                        created_at_ms: now,
                    });
                    id
                }
            };
            let (token, _) = signer.issue(&id, now);
            writeln!(out, "{username}\t{id}\t{token}")?;
        }
        storage.accounts.create_many(batch).await?;
        bar.inc(end - start);
        start = end;
    }
    out.flush()?;
    bar.finish();
    eprintln!("wrote {count} tokens to {}", tokens_out.display());
    Ok(())
}
