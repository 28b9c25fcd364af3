//! Process metrics in Prometheus text format: named counters and gauges, cheap to bump.

use dashmap::DashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct Metrics {
    values: DashMap<&'static str, Arc<AtomicI64>>,
    help: DashMap<&'static str, (&'static str, &'static str)>,
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

    pub fn inc(&self, name: &'static str) {
        self.add(name, 1)
    }

    pub fn add(&self, name: &'static str, by: i64) {
        self.values
            .entry(name)
            .or_default()
            .fetch_add(by, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut names: Vec<&'static str> = self.values.iter().map(|e| *e.key()).collect();
        names.sort();
        let mut out = String::new();
        for name in names {
            let (kind, help) = self
                .help
                .get(name)
                .map(|h| *h.value())
                .unwrap_or(("counter", ""));
            let v = self
                .values
                .get(name)
                .map(|v| v.load(Ordering::Relaxed))
                .unwrap_or(0);
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
            ));
        }
        out
    }
}
