//! What each command does (admin commands open storage directly; `serve` runs the server).

use crate::cli::{block_on, serve, Cli, Command, UsersCommand};
use crate::config::Config;
use crate::storage::Tier;

pub fn dispatch(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { .. } => serve(config),
        Command::Migrate { .. } => block_on(async move {
            crate::storage::open(&config).await?;
            println!("schema is up to date");
            Ok(())
        }),
        Command::Users {
            command: UsersCommand::SetTier { name, tier, .. },
        } => block_on(async move {
            let tier = Tier::parse(&tier)
                .ok_or_else(|| anyhow::anyhow!("tier must be `free` or `premium`, not `{tier}`"))?;
            let storage = crate::storage::open(&config).await?;
            storage
                .accounts
                .set_tier(&name, tier)
                .await
                .map_err(|e| anyhow::anyhow!("cannot set tier of `{name}`: {e}"))?;
            println!("{name} is now {}", tier.as_str());
            Ok(())
        }),
        Command::Users {
            command:
                UsersCommand::CreateBulk {
                    prefix,
                    count,
                    tokens_out,
                    ..
                },
        } => block_on(crate::admin::create_bulk(config, prefix, count, tokens_out)),
        Command::Import { file, .. } => block_on(crate::catalog::import::run_cli(config, file)),
        Command::GenCatalog { tracks, out, seed } => {
            crate::catalog::generate::run_cli(tracks, out, seed)
        }
        Command::Reindex { .. } => block_on(crate::search::reindex_cli(config)),
    }
}
