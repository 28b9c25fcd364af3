//! The `segue` command line: every command and flag, documented for `--help`.

use crate::config::Config;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "segue",
    version,
    about = "Segue: the real-time heart of a music streaming service"
)]
pub struct Cli {
    /// Configuration file (TOML); see config/default.toml for every key.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that choose where state lives; shared by every command that opens storage.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// Data folder: SQLite file, search index, audio, generated keys [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// Storage backend: sqlite (embedded, default) or scylla.
    #[arg(long, value_name = "BACKEND")]
    pub store: Option<String>,
    /// ScyllaDB/Cassandra contact points, comma-separated HOST:PORT.
    #[arg(long, value_name = "HOST:PORT,...", value_delimiter = ',')]
    pub scylla_nodes: Option<Vec<String>>,
    /// Keyspace to use (created when missing).
    #[arg(long, value_name = "NAME")]
    pub scylla_keyspace: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Load the bundled demo catalog, audio, playlists and demo accounts.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import a catalog file (JSON Lines, see docs/catalog.md); importing again updates.
    Import {
        /// The catalog file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write a synthetic catalog of any size (JSON Lines) for benchmarks.
    GenCatalog {
        /// Number of tracks.
        #[arg(long)]
        tracks: u64,
        /// Output file [default: standard output].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Random seed, for reproducible catalogs.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Rebuild the search index from storage.
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create or upgrade the storage schema, then exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Set a user's tier (free or premium).
    SetTier {
        /// Username.
        name: String,
        /// free or premium.
        tier: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create many accounts at once (for load tests) and write a login token for each.
    CreateBulk {
        /// Username prefix; accounts are PREFIX-0 … PREFIX-(N-1).
        #[arg(long, default_value = "load")]
        prefix: String,
        /// How many accounts.
        #[arg(long)]
        count: u64,
        /// File to write `username<TAB>user_id<TAB>token` lines to.
        #[arg(long, value_name = "FILE")]
        tokens_out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

impl StoreArgs {
    pub fn overrides(&self) -> Vec<(&'static str, toml::Value)> {
        let mut o = vec![];
        if let Some(d) = &self.data_dir {
            o.push(("server.data_dir", toml::Value::String(d.clone())));
        }
        if let Some(s) = &self.store {
            o.push(("storage.backend", toml::Value::String(s.clone())));
        }
        if let Some(n) = &self.scylla_nodes {
            o.push((
                "storage.scylla_nodes",
                toml::Value::Array(n.iter().cloned().map(toml::Value::String).collect()),
            ));
        }
        if let Some(k) = &self.scylla_keyspace {
            o.push(("storage.scylla_keyspace", toml::Value::String(k.clone())));
        }
        o
    }
}

impl Cli {
    /// The configuration this invocation runs with: file < env < flags.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        let mut overrides = vec![];
        match &self.command {
            Command::Serve {
                listen,
                demo,
                store,
            } => {
                if let Some(l) = listen {
                    overrides.push(("server.listen", toml::Value::String(l.clone())));
                }
                if *demo {
                    overrides.push(("server.demo", toml::Value::Boolean(true)));
                }
                overrides.extend(store.overrides());
            }
            Command::Import { store, .. }
            | Command::Reindex { store }
            | Command::Migrate { store }
            | Command::Users {
                command: UsersCommand::SetTier { store, .. },
            }
            | Command::Users {
                command: UsersCommand::CreateBulk { store, .. },
            } => overrides.extend(store.overrides()),
            Command::GenCatalog { .. } => {}
        }
        Ok(Config::load(
            self.config.as_deref(),
            std::env::vars(),
            &overrides,
        )?)
    }
}

/// Libraries whose INFO/WARN lines drown out Segue's own: tantivy logs every segment commit and
/// merge at INFO, the CQL driver warns at every reconnect attempt of an unreachable node.
const QUIET_CRATES: &[(&str, &str)] = &[("tantivy", "warn"), ("scylla", "error")];

/// The tracing filter for a configured level: the level plus quieter defaults for
/// [`QUIET_CRATES`], each unless the level already names that crate (an operator's
/// `tantivy=info` wins).
pub fn log_filter(level: &str) -> String {
    let mut filter = level.trim().to_string();
    for (krate, quiet) in QUIET_CRATES {
        let named = filter
            .split(',')
            .any(|d| d.trim().split(['=', ':', '[']).next() == Some(*krate));
        if !named {
            if !filter.is_empty() {
                filter.push(',');
            }
            filter.push_str(&format!("{krate}={quiet}"));
        }
    }
    filter
}

pub fn init_tracing(config: &Config) {
    let level = std::env::var("SEGUE_LOG").unwrap_or_else(|_| config.log.level.clone());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(log_filter(&level)))
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files, pipes and collectors.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if config.log.format == crate::config::LogFormat::Json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// Runs the server until SIGTERM/SIGINT, then shuts down gracefully.
pub fn serve(config: Config) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(&config.server.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
    actix_rt::System::new().block_on(async move {
        let (handle, server) = crate::run(listener, config).await?;
        let server_task = actix_rt::spawn(server);
        wait_for_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        let _ = server_task.await;
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs an async admin command on a small runtime.
pub fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(f)
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match cli.load_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("segue: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(&config);
    let result = crate::cli_commands::dispatch(cli, config);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segue: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod log_filter_tests {
    use super::log_filter;

    #[test]
    fn default_filter_quiets_tantivy_and_the_cql_driver() {
        assert_eq!(log_filter("info"), "info,tantivy=warn,scylla=error");
        assert_eq!(log_filter(""), "tantivy=warn,scylla=error");
    }

    #[test]
    fn an_operator_directive_for_a_quiet_crate_wins() {
        assert_eq!(
            log_filter("debug,tantivy=info"),
            "debug,tantivy=info,scylla=error"
        );
        assert_eq!(
            log_filter("info,scylla=warn,tantivy=debug"),
            "info,scylla=warn,tantivy=debug"
        );
    }
}
