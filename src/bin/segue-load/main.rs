//! `segue-load`: drives a running Segue over real WebSockets (loopback only) and reports
//! connection memory, remote-control latency, group fan-out and playlist edit figures.
//! The coordinator spreads connections over several client processes (one process may hold at
//! most ~20,000 open files), collects their HDR histograms and writes a JSON report.

mod conn;
mod report;
mod scenarios;

use clap::{Args, Parser, Subcommand};
use report::{Report, WorkerResult};
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "segue-load",
    about = "Load generator for a running Segue server (loopback only)"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Server base URL; must be a loopback address.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Tokens file written by `segue users create-bulk --tokens-out FILE`.
    #[arg(long, global = true, default_value = "tokens.tsv")]
    pub tokens: PathBuf,
    /// The server's process id, to read its resident memory from /proc.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Client processes to spread connections over.
    #[arg(long, global = true, default_value_t = 1)]
    pub procs: usize,
    /// How long the measured phase runs, in seconds.
    #[arg(long, global = true, default_value_t = 20)]
    pub duration_secs: u64,
    /// Where to write the JSON report.
    #[arg(long, global = true, default_value = "load-report.json")]
    pub out: PathBuf,
    /// A catalog track id to play (default: the first of GET /v1/tracks).
    #[arg(long, global = true)]
    pub track_id: Option<String>,
    /// Connections opened at once while setting up.
    #[arg(long, global = true, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Internal: this process is worker I of the run.
    #[arg(long, global = true, hide = true)]
    pub worker: Option<usize>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Scenario {
    /// Open N authenticated device connections and hold them idle.
    Connect {
        #[arg(long)]
        connections: usize,
    },
    /// U users with two devices; device A commands, device B observes.
    Remote {
        #[arg(long)]
        users: usize,
        /// Commands per second, all users together.
        #[arg(long)]
        rate: f64,
    },
    /// S group sessions of M members; hosts command, members observe.
    Fanout {
        #[arg(long)]
        sessions: usize,
        #[arg(long)]
        members: usize,
        /// Commands per second per session.
        #[arg(long)]
        rate: f64,
    },
    /// E editors and R readers on one playlist.
    Playlist {
        #[arg(long)]
        editors: usize,
        #[arg(long)]
        readers: usize,
        /// Edits each editor keeps in flight.
        #[arg(long, default_value_t = 4)]
        window: usize,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.common.worker {
        Some(i) => worker_main(cli, i),
        None => coordinator_main(cli),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segue-load: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

/// Refuses anything but loopback targets.
fn check_loopback(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("--url must start with http://"))?;
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let ok = host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !ok {
        anyhow::bail!("segue-load only targets loopback addresses, not `{host}`");
    }
    Ok(())
}

fn coordinator_main(cli: Cli) -> anyhow::Result<()> {
    check_loopback(&cli.common.url)?;
    let mut cli = cli;
    let rt = runtime()?;
    if cli.common.track_id.is_none() {
        cli.common.track_id = Some(rt.block_on(scenarios::first_track(&cli.common.url))?);
    }
    let procs = match cli.scenario {
        Scenario::Playlist { .. } => 1,
        _ => cli.common.procs.max(1),
    };
    let rss_before = cli.common.server_pid.and_then(report::rss_kib);
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for i in 0..procs {
        let mut args: Vec<String> = std::env::args().skip(1).collect();
        args.push("--worker".into());
        args.push(i.to_string());
        args.push("--procs".into());
        args.push(procs.to_string());
        args.push("--track-id".into());
        args.push(cli.common.track_id.clone().unwrap_or_default());
        let child = std::process::Command::new(&exe)
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        children.push(child);
    }
    let started = std::time::Instant::now();
    let mut readers = Vec::new();
    for c in children.iter_mut() {
        let out = c
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("worker stdout missing"))?;
        readers.push(std::io::BufReader::new(out).lines());
    }
    for r in readers.iter_mut() {
        match r.next() {
            Some(Ok(line)) if line == "READY" => {}
            other => anyhow::bail!("a worker failed to set up: {other:?}"),
        }
    }
    let setup_secs = started.elapsed().as_secs_f64();
    // Let the server settle (allocator, lazy buffers) before reading its memory.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let rss_after = cli.common.server_pid.and_then(report::rss_kib);
    for c in children.iter_mut() {
        if let Some(stdin) = c.stdin.as_mut() {
            writeln!(stdin, "GO")?;
        }
    }
    let mut results = Vec::new();
    for r in readers.iter_mut() {
        for line in r.by_ref() {
            let line = line?;
            if let Some(json) = line.strip_prefix("RESULT ") {
                results.push(serde_json::from_str::<WorkerResult>(json)?);
                break;
            }
        }
    }
    for mut c in children {
        let _ = c.wait();
    }
    let report = merge(&cli, procs, setup_secs, rss_before, rss_after, results)?;
    std::fs::write(&cli.common.out, serde_json::to_string_pretty(&report)?)?;
    print!("{}", report::human(&report));
    println!("  report: {}", cli.common.out.display());
    Ok(())
}

fn merge(
    cli: &Cli,
    procs: usize,
    setup_secs: f64,
    rss_before: Option<u64>,
    rss_after: Option<u64>,
    results: Vec<WorkerResult>,
) -> anyhow::Result<Report> {
    let mut hist = report::new_hist();
    let mut r = Report {
        scenario: format!("{:?}", cli.scenario)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase(),
        params: serde_json::json!(format!("{:?}", cli.scenario)),
        machine: report::machine(),
        client_processes: procs,
        server_rss_before_kib: rss_before,
        server_rss_after_kib: rss_after,
        ..Default::default()
    };
    let mut run_secs: f64 = 0.0;
    for w in &results {
        r.connections += w.connections;
        r.failed_connections += w.failed_connections;
        r.commands_sent += w.commands_sent;
        r.commands_acked += w.commands_acked;
        r.deliveries += w.deliveries;
        r.errors += w.errors;
        run_secs = run_secs.max(w.run_secs);
        r.notes.extend(w.notes.iter().cloned());
        if let Some(h) = &w.latency {
            hist.add(report::decode_hist(h)?)?;
        }
    }
    r.connect_rate_per_sec = r.connections as f64 / setup_secs.max(1e-9);
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        if r.connections > 0 {
            r.server_kib_per_connection = Some((a as f64 - b as f64) / r.connections as f64);
        }
    }
    if run_secs > 0.0 {
        r.commands_per_sec = r.commands_acked as f64 / run_secs;
        r.deliveries_per_sec = r.deliveries as f64 / run_secs;
    }
    if !hist.is_empty() {
        r.latency = Some(report::percentiles(&hist));
    }
    Ok(r)
}

fn worker_main(cli: Cli, index: usize) -> anyhow::Result<()> {
    conn::raise_nofile_limit();
    let rt = runtime()?;
    let result = rt.block_on(scenarios::run_worker(&cli, index, || {
        println!("READY");
        let _ = std::io::stdout().flush();
        // Wait for the coordinator's GO on stdin.
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }))?;
    println!("RESULT {}", serde_json::to_string(&result)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_targets_are_accepted() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.0.0.2:9000/",
            "http://localhost:1",
            "http://[::1]:8080",
        ] {
            assert!(super::check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:8080",
            "http://example.com",
            "https://127.0.0.1:8080",
            "127.0.0.1:8080",
        ] {
            assert!(super::check_loopback(bad).is_err(), "{bad}");
        }
    }
}
