//! Process metrics in Prometheus text format: named counters and gauges (optionally labelled),
//! latency histograms, and the HTTP middleware that counts every request by route pattern.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use dashmap::DashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Histogram bucket upper bounds in seconds (request latency).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One histogram series: per-bucket counts (not cumulative; summed when rendered).
struct Histogram {
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: BUCKETS.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Metrics {
    values: DashMap<&'static str, Arc<AtomicI64>>,
    help: DashMap<&'static str, (&'static str, &'static str)>,
    /// (name, rendered label set) -> value.
    labelled: DashMap<(&'static str, String), Arc<AtomicI64>>,
    histograms: DashMap<(&'static str, String), Arc<Histogram>>,
}

/// `{a="x",b="y"}` with label values escaped as the text format requires.
fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

impl Metrics {
    /// Registers (or returns) a counter; `kind` is "counter" or "gauge".
    pub fn handle(
        &self,
        name: &'static str,
        kind: &'static str,
        help: &'static str,
    ) -> Arc<AtomicI64> {
        self.help.entry(name).or_insert((kind, help));
        self.values.entry(name).or_default().clone()
    }

    /// Sets the HELP and TYPE lines of a metric family.
    pub fn describe(&self, name: &'static str, kind: &'static str, help: &'static str) {
        self.help.entry(name).or_insert((kind, help));
    }

    /// Current value of an unlabelled series (0 if never touched).
    pub fn value(&self, name: &str) -> i64 {
        self.values
            .get(name)
            .map_or(0, |v| v.load(Ordering::Relaxed))
    }

    pub fn inc(&self, name: &'static str) {
        self.add(name, 1)
    }

    pub fn add(&self, name: &'static str, by: i64) {
        self.values
            .entry(name)
            .or_default()
            .fetch_add(by, Ordering::Relaxed);
    }

    /// Overwrites a value (for figures collected at scrape time).
    pub fn set(&self, name: &'static str, value: i64) {
        self.values
            .entry(name)
            .or_default()
            .store(value, Ordering::Relaxed);
    }

    /// Adds to one labelled series. Label values must come from a small, bounded set.
    pub fn add_labelled(&self, name: &'static str, labels: &[(&str, &str)], by: i64) {
        let key = (name, render_labels(labels));
        if let Some(v) = self.labelled.get(&key) {
            v.fetch_add(by, Ordering::Relaxed);
            return;
        }
        self.labelled
            .entry(key)
            .or_default()
            .fetch_add(by, Ordering::Relaxed);
    }

    /// Records one observation (in seconds) in a labelled histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&str, &str)], seconds: f64) {
        let key = (name, render_labels(labels));
        let h = match self.histograms.get(&key) {
            Some(h) => h.clone(),
            None => self
                .histograms
                .entry(key)
                .or_insert_with(|| Arc::new(Histogram::new()))
                .clone(),
        };
        h.observe(seconds);
    }

    pub fn render(&self) -> String {
        // family name -> rendered sample lines, so each family gets one HELP/TYPE header.
        let mut families: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for e in self.values.iter() {
            let v = e.value().load(Ordering::Relaxed);
            families
                .entry(*e.key())
                .or_default()
                .push(format!("{} {v}", e.key()));
        }
        for e in self.labelled.iter() {
            let (name, labels) = e.key();
            let v = e.value().load(Ordering::Relaxed);
            families
                .entry(*name)
                .or_default()
                .push(format!("{name}{labels} {v}"));
        }
        for e in self.histograms.iter() {
            let (name, labels) = e.key();
            let h = e.value();
            let inner = labels.trim_start_matches('{').trim_end_matches('}');
            let sep = if inner.is_empty() { "" } else { "," };
            // One block per series so sorting keeps the buckets in `le` order.
            let mut block = Vec::new();
            let mut cumulative = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i].load(Ordering::Relaxed);
                block.push(format!(
                    "{name}_bucket{{{inner}{sep}le=\"{b}\"}} {cumulative}"
                ));
            }
            let count = h.count.load(Ordering::Relaxed);
            block.push(format!("{name}_bucket{{{inner}{sep}le=\"+Inf\"}} {count}"));
            let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            block.push(format!("{name}_sum{labels} {sum}"));
            block.push(format!("{name}_count{labels} {count}"));
            families.entry(*name).or_default().push(block.join("\n"));
        }
        let mut out = String::new();
        for (name, mut lines) in families {
            let (kind, help) = self
                .help
                .get(name)
                .map(|h| *h.value())
                .unwrap_or(("counter", ""));
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            lines.sort();
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
        out
    }
}

pub const HTTP_REQUESTS: &str = "segue_http_requests_total";
pub const HTTP_DURATION: &str = "segue_http_request_duration_seconds";

/// "2xx", "4xx", ...: bounded label values.
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// Counts every request and its latency by route pattern (e.g. `/v1/tracks/{id}`, never the
/// raw path, which would make the label set unbounded) and status class.
pub async fn http_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = std::time::Instant::now();
    let metrics = req
        .app_data::<actix_web::web::Data<crate::http::AppState>>()
        .map(|s| s.metrics.clone());
    // Resolved before routing: cloning the request here would stop the router from writing
    // its match info. The pattern comes from the resource map, so it is the same either way.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let result = next.call(req).await;
    if let Some(m) = metrics {
        let status = match &result {
            Ok(res) => res.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        m.describe(
            HTTP_REQUESTS,
            "counter",
            "HTTP requests by route pattern and status class",
        );
        m.describe(
            HTTP_DURATION,
            "histogram",
            "HTTP request latency (until the response head) by route pattern",
        );
        m.add_labelled(
            HTTP_REQUESTS,
            &[("route", &route), ("status", status_class(status))],
            1,
        );
        m.observe(
            HTTP_DURATION,
            &[("route", &route)],
            start.elapsed().as_secs_f64(),
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labelled_counters_and_histograms() {
        let m = Metrics::default();
        m.describe("x_total", "counter", "x");
        m.add_labelled("x_total", &[("route", "/a/{id}"), ("status", "2xx")], 2);
        m.add_labelled("x_total", &[("route", "/a/{id}"), ("status", "2xx")], 1);
        m.describe("lat_seconds", "histogram", "lat");
        m.observe("lat_seconds", &[("route", "/a")], 0.003);
        m.observe("lat_seconds", &[("route", "/a")], 20.0);
        m.inc("plain_total");
        let text = m.render();
        assert!(
            text.contains("x_total{route=\"/a/{id}\",status=\"2xx\"} 3"),
            "{text}"
        );
        assert_eq!(text.matches("# TYPE x_total counter").count(), 1);
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"0.001\"} 0"));
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 1"));
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"10\"} 1"));
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2"));
        assert!(text.contains("lat_seconds_count{route=\"/a\"} 2"));
        // Buckets stay in `le` order (not string order).
        let pos = |s: &str| text.find(s).unwrap();
        assert!(pos("le=\"0.005\"") < pos("le=\"0.01\""));
        assert!(pos("le=\"5\"") < pos("le=\"10\""));
        assert!(pos("le=\"10\"") < pos("le=\"+Inf\""));
        assert!(text.contains("plain_total 1"));
        assert_eq!(render_labels(&[("a", "q\"b")]), "{a=\"q\\\"b\"}");
    }
}
