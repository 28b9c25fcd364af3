//! Keeps a repeated warning from flooding the log.
//!
//! During a storage outage every request fails the same way; one line per request says nothing
//! the first line did not, and buries the lines that matter. A `LogThrottle` lets one line
//! through per interval and reports how many it held back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

pub struct LogThrottle {
    every_ms: u64,
    /// Milliseconds since `base()` of the last line let through, plus one (0 = never).
    last_ms: AtomicU64,
    suppressed: AtomicU64,
}

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

impl LogThrottle {
    pub const fn new(every_ms: u64) -> LogThrottle {
        LogThrottle {
            every_ms,
            last_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this occurrence should be logged, `n` being how many were held back since
    /// the last logged one; `None` when it should be dropped.
    pub fn admit(&self) -> Option<u64> {
        let now = base().elapsed().as_millis() as u64 + 1;
        let last = self.last_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= self.every_ms;
        if due
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_line_through_per_interval_and_counts_the_rest() {
        let throttle = LogThrottle::new(60_000);
        assert_eq!(throttle.admit(), Some(0));
        for _ in 0..5 {
            assert_eq!(throttle.admit(), None);
        }
        assert_eq!(throttle.suppressed.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_zero_interval_lets_everything_through() {
        let throttle = LogThrottle::new(0);
        assert_eq!(throttle.admit(), Some(0));
        assert_eq!(throttle.admit(), Some(0));
    }
}
