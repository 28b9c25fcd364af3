//! Token buckets: one for a connection's command rate, and a keyed set for per-user or
//! per-address limits (logins, registrations, session joins).

use dashmap::DashMap;

/// A token bucket refilled continuously at `per_sec`, holding at most `burst` tokens.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last_ms: f64,
    burst: f64,
    per_ms: f64,
}

impl TokenBucket {
    pub fn new(burst: u32, per_sec: f64, now_ms: f64) -> Self {
        TokenBucket {
            tokens: burst as f64,
            last_ms: now_ms,
            burst: burst as f64,
            per_ms: per_sec / 1000.0,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now_ms: f64) -> bool {
        let elapsed = (now_ms - self.last_ms).max(0.0);
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.burst);
        self.last_ms = now_ms;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Buckets by key, e.g. "login:alice" or "join:<user_id>".
pub struct KeyedLimiter {
    buckets: DashMap<String, TokenBucket>,
    burst: u32,
    per_sec: f64,
}

impl KeyedLimiter {
    /// `per_minute` attempts per minute, all of which may be used at once.
    pub fn per_minute(per_minute: u32) -> Self {
        KeyedLimiter {
            buckets: DashMap::new(),
            burst: per_minute.max(1),
            per_sec: per_minute.max(1) as f64 / 60.0,
        }
    }

    pub fn check(&self, key: &str, now_ms: i64) -> bool {
        // Keep the map from growing without bound under a spray of keys.
        if self.buckets.len() > 100_000 {
            self.buckets.clear();
        }
        let mut bucket = self
            .buckets
            .entry(key.to_string())
            .or_insert_with(|| TokenBucket::new(self.burst, self.per_sec, now_ms as f64));
        bucket.try_take(now_ms as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let mut b = TokenBucket::new(3, 10.0, 0.0);
        assert!(b.try_take(0.0) && b.try_take(0.0) && b.try_take(0.0));
        assert!(!b.try_take(0.0));
        assert!(b.try_take(100.0), "one token back after 100 ms at 10/s");
        assert!(!b.try_take(100.0));
    }

    #[test]
    fn keyed_limits_are_per_key() {
        let l = KeyedLimiter::per_minute(2);
        assert!(l.check("a", 0) && l.check("a", 0));
        assert!(!l.check("a", 0));
        assert!(l.check("b", 0));
        assert!(l.check("a", 30_000), "refills at 2 per minute");
    }
}
