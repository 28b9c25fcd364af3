//! Latency histograms (HDR), server memory from /proc, and the JSON + human report.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Microsecond latency histogram, 1 µs .. 60 s, 3 significant digits.
pub fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("static histogram bounds are valid")
}

pub fn encode_hist(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    let _ = V2Serializer::new().serialize(h, &mut buf);
    base64::engine::general_purpose::STANDARD.encode(buf)
}

pub fn decode_hist(s: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s)?;
    Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("bad histogram: {e:?}"))
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

pub fn percentiles(h: &Histogram<u64>) -> Percentiles {
    let ms = |us: u64| us as f64 / 1000.0;
    Percentiles {
        count: h.len(),
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        p999_ms: ms(h.value_at_quantile(0.999)),
        max_ms: ms(h.max()),
        mean_ms: h.mean() / 1000.0,
    }
}

/// What one client process reports to the coordinator (one JSON line on stdout).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct WorkerResult {
    pub connections: u64,
    pub failed_connections: u64,
    pub setup_secs: f64,
    pub commands_sent: u64,
    pub commands_acked: u64,
    pub errors: u64,
    pub deliveries: u64,
    pub run_secs: f64,
    pub latency: Option<String>,
    pub notes: Vec<String>,
}

/// Resident memory of a process in KiB, from /proc/<pid>/status.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub scenario: String,
    pub params: serde_json::Value,
    pub machine: serde_json::Value,
    pub client_processes: usize,
    pub connections: u64,
    pub failed_connections: u64,
    pub connect_rate_per_sec: f64,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_after_kib: Option<u64>,
    pub server_kib_per_connection: Option<f64>,
    pub commands_sent: u64,
    pub commands_acked: u64,
    pub commands_per_sec: f64,
    pub deliveries: u64,
    pub deliveries_per_sec: f64,
    pub errors: u64,
    pub latency: Option<Percentiles>,
    pub notes: Vec<String>,
}

pub fn machine() -> serde_json::Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    serde_json::json!({"cpus": cpus, "cpu_model": model, "memory_gib": mem_kib / 1024 / 1024})
}

pub fn human(r: &Report) -> String {
    let mut s = format!(
        "segue-load {} ({} client processes)\n  connections: {} ok, {} failed, {:.0}/s setup\n",
        r.scenario, r.client_processes, r.connections, r.failed_connections, r.connect_rate_per_sec
    );
    if let (Some(b), Some(a)) = (r.server_rss_before_kib, r.server_rss_after_kib) {
        s.push_str(&format!(
            "  server RSS: {b} KiB -> {a} KiB ({:.2} KiB per connection)\n",
            r.server_kib_per_connection.unwrap_or(0.0)
        ));
    }
    if r.commands_sent > 0 {
        s.push_str(&format!(
            "  commands: {} sent, {} acked, {:.0}/s; errors {}\n",
            r.commands_sent, r.commands_acked, r.commands_per_sec, r.errors
        ));
    }
    if r.deliveries > 0 {
        s.push_str(&format!(
            "  deliveries: {} ({:.0}/s)\n",
            r.deliveries, r.deliveries_per_sec
        ));
    }
    if let Some(p) = &r.latency {
        s.push_str(&format!(
            "  latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  (n={})\n",
            p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms, p.count
        ));
    }
    for n in &r.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s
}
