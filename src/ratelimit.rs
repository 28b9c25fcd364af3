//! Token buckets: one for a connection's command rate, and a keyed set for per-user or
//! per-address limits (logins, registrations, session joins).

use dashmap::DashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

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

    fn refill(&mut self, now_ms: f64) {
        let elapsed = (now_ms - self.last_ms).max(0.0);
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.burst);
        self.last_ms = now_ms.max(self.last_ms);
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now_ms: f64) -> bool {
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes `n` tokens at once, or none when fewer than `n` are there.
    pub fn try_take_n(&mut self, n: u32, now_ms: f64) -> bool {
        self.refill(now_ms);
        if self.tokens >= n as f64 {
            self.tokens -= n as f64;
            true
        } else {
            false
        }
    }

    /// Milliseconds until one token is available (0 if one is available now), without taking it.
    pub fn wait_ms(&mut self, now_ms: f64) -> i64 {
        self.refill(now_ms);
        if self.tokens >= 1.0 || self.per_ms <= 0.0 {
            0
        } else {
            ((1.0 - self.tokens) / self.per_ms).ceil() as i64
        }
    }

    /// True when the bucket would be full at `now_ms`: it then carries no state worth keeping,
    /// because a new bucket for the same key would behave identically.
    fn is_idle(&self, now_ms: f64) -> bool {
        let elapsed = (now_ms - self.last_ms).max(0.0);
        self.tokens + elapsed * self.per_ms >= self.burst
    }
}

/// Above this many keys a limiter sweeps out idle ones (see `KeyedLimiter::evict_idle`).
pub const DEFAULT_SWEEP_KEYS: usize = 10_000;

/// Buckets by key, e.g. "login:alice" or "join:<user_id>".
///
/// Memory is bounded by evicting only *idle* keys (whose bucket has refilled completely), like
/// `governor`'s `retain_recent()`: a key still being limited is never forgotten, so spraying
/// fresh keys cannot reset anyone's limit.
pub struct KeyedLimiter {
    buckets: DashMap<String, TokenBucket>,
    burst: u32,
    per_sec: f64,
    /// Map size at which the next sweep runs; doubles past the live set so sweeps stay amortised.
    next_sweep: AtomicUsize,
    sweep_keys: usize,
}

impl KeyedLimiter {
    /// `per_minute` attempts per minute, all of which may be used at once.
    pub fn per_minute(per_minute: u32) -> Self {
        Self::with_sweep(per_minute, DEFAULT_SWEEP_KEYS)
    }

    /// As `per_minute`, sweeping idle keys once the map holds `sweep_keys`.
    pub fn with_sweep(per_minute: u32, sweep_keys: usize) -> Self {
        let sweep_keys = sweep_keys.max(1);
        KeyedLimiter {
            buckets: DashMap::new(),
            burst: per_minute.max(1),
            per_sec: per_minute.max(1) as f64 / 60.0,
            next_sweep: AtomicUsize::new(sweep_keys),
            sweep_keys,
        }
    }

    /// `burst` at once, refilled at `per_minute` (for limits where a backlog may arrive in one
    /// go but the sustained rate is low, e.g. play events).
    pub fn with_burst(burst: u32, per_minute: u32) -> Self {
        KeyedLimiter {
            burst: burst.max(1),
            per_sec: per_minute.max(1) as f64 / 60.0,
            ..Self::with_sweep(per_minute, DEFAULT_SWEEP_KEYS)
        }
    }

    /// Takes `n` tokens for `key` (all or none); false when the key has fewer left.
    pub fn check_n(&self, key: &str, n: u32, now_ms: i64) -> bool {
        self.maybe_sweep(now_ms);
        let mut bucket = self
            .buckets
            .entry(key.to_string())
            .or_insert_with(|| TokenBucket::new(self.burst, self.per_sec, now_ms as f64));
        bucket.try_take_n(n, now_ms as f64)
    }

    /// Takes one token for `key`; false when the key is over its limit.
    pub fn check(&self, key: &str, now_ms: i64) -> bool {
        self.maybe_sweep(now_ms);
        let mut bucket = self
            .buckets
            .entry(key.to_string())
            .or_insert_with(|| TokenBucket::new(self.burst, self.per_sec, now_ms as f64));
        bucket.try_take(now_ms as f64)
    }

    /// Milliseconds until `key` may act again (0: now), without taking a token. Unknown keys
    /// are not inserted, so a probe costs no memory.
    pub fn wait_ms(&self, key: &str, now_ms: i64) -> i64 {
        match self.buckets.get_mut(key) {
            Some(mut b) => b.wait_ms(now_ms as f64),
            None => 0,
        }
    }

    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn maybe_sweep(&self, now_ms: i64) {
        if self.buckets.len() < self.next_sweep.load(Ordering::Relaxed) {
            return;
        }
        self.evict_idle(now_ms);
        let live = self.buckets.len();
        self.next_sweep.store(
            self.sweep_keys.max(live.saturating_mul(2)),
            Ordering::Relaxed,
        );
    }

    /// Drops every key whose bucket has refilled: forgetting it changes no decision.
    pub fn evict_idle(&self, now_ms: i64) {
        self.buckets.retain(|_, b| !b.is_idle(now_ms as f64));
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
        assert_eq!(b.wait_ms(0.0), 100);
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

    #[test]
    fn spraying_keys_neither_resets_active_limits_nor_grows_without_bound() {
        let l = KeyedLimiter::with_sweep(2, 100);
        // A first spray, 1 ms apart: each key refills (becomes idle) 30 s after its use.
        for i in 0..10_000i64 {
            l.check(&format!("old-{i}"), i);
        }
        assert!(l.check("victim", 50_000) && l.check("victim", 50_000));
        assert!(!l.check("victim", 50_000));
        // A second spray while the victim is limited: its sweeps drop the first spray only.
        for i in 0..10_000i64 {
            l.check(&format!("new-{i}"), 50_000 + i / 10);
        }
        assert!(l.len() <= 10_001, "idle keys were evicted: {}", l.len());
        l.evict_idle(51_000);
        assert!(
            !l.check("victim", 51_000),
            "the victim's limit survived every sweep"
        );
        assert!(l.wait_ms("victim", 51_000) > 0);
    }

    #[test]
    fn burst_then_slow_refill_takes_all_or_nothing() {
        let l = KeyedLimiter::with_burst(10, 6);
        assert!(l.check_n("u", 8, 0));
        assert!(!l.check_n("u", 3, 0), "only 2 left: none taken");
        assert!(l.check_n("u", 2, 0));
        assert!(!l.check_n("u", 1, 0));
        assert!(l.check_n("u", 1, 10_000), "6 a minute: one back after 10 s");
    }

    #[test]
    fn wait_ms_does_not_insert() {
        let l = KeyedLimiter::per_minute(1);
        assert_eq!(l.wait_ms("x", 0), 0);
        assert!(l.is_empty());
        assert!(l.check("x", 0));
        assert_eq!(l.wait_ms("x", 0), 60_000);
    }
}
