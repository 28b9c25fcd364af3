//! Login throttling that slows guessing without letting anyone lock an account.
//!
//! Only failed logins count. Three limits apply:
//! - per (username, address): `auth.login_attempts_per_minute` failures a minute;
//! - per address: `auth.login_failures_per_address_per_minute` failures a minute, whatever the
//!   usernames (password spraying from one address);
//! - per username, from every address: after `auth.login_backoff_after_failures` failures the
//!   account answers 429 for a window that doubles with each further failure, from
//!   `auth.login_backoff_base_ms` up to `auth.login_backoff_max_ms`. This only ever delays the
//!   owner, and a failure-free `auth.login_backoff_reset_ms` forgets the count.
//!
//! A victim logging in from another address is therefore never refused because of failures at
//! the attacker's address, and a distributed attack is slowed rather than turned into a lockout.

use crate::config::AuthConfig;
use crate::ratelimit::KeyedLimiter;
use dashmap::DashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    last_failure_ms: i64,
}

pub struct LoginThrottle {
    per_user_address: KeyedLimiter,
    per_address: KeyedLimiter,
    per_user: DashMap<String, Backoff>,
    next_sweep: AtomicUsize,
    cfg: AuthConfig,
}

impl LoginThrottle {
    pub fn new(cfg: &AuthConfig) -> Self {
        LoginThrottle {
            per_user_address: KeyedLimiter::with_sweep(
                cfg.login_attempts_per_minute,
                cfg.limiter_sweep_keys,
            ),
            per_address: KeyedLimiter::with_sweep(
                cfg.login_failures_per_address_per_minute,
                cfg.limiter_sweep_keys,
            ),
            per_user: DashMap::new(),
            next_sweep: AtomicUsize::new(cfg.limiter_sweep_keys.max(1)),
            cfg: cfg.clone(),
        }
    }

    /// Milliseconds the caller must wait before this attempt may be checked (0: go ahead).
    /// Takes nothing: only `record_failure` counts.
    pub fn wait_ms(&self, username: &str, address: &str, now_ms: i64) -> i64 {
        let pair = self
            .per_user_address
            .wait_ms(&pair_key(username, address), now_ms);
        let addr = self.per_address.wait_ms(address, now_ms);
        pair.max(addr).max(self.user_wait_ms(username, now_ms))
    }

    pub fn record_failure(&self, username: &str, address: &str, now_ms: i64) {
        self.per_user_address
            .check(&pair_key(username, address), now_ms);
        self.per_address.check(address, now_ms);
        self.maybe_sweep(now_ms);
        let reset = self.cfg.login_backoff_reset_ms;
        let mut b = self
            .per_user
            .entry(username.to_string())
            .or_insert(Backoff {
                failures: 0,
                last_failure_ms: now_ms,
            });
        if now_ms.saturating_sub(b.last_failure_ms) > reset {
            b.failures = 0;
        }
        b.failures = b.failures.saturating_add(1);
        b.last_failure_ms = now_ms;
    }

    fn user_wait_ms(&self, username: &str, now_ms: i64) -> i64 {
        let Some(b) = self.per_user.get(username).map(|b| *b) else {
            return 0;
        };
        if now_ms.saturating_sub(b.last_failure_ms) > self.cfg.login_backoff_reset_ms {
            return 0;
        }
        let Some(over) = b
            .failures
            .checked_sub(self.cfg.login_backoff_after_failures)
        else {
            return 0;
        };
        let delay = backoff_delay_ms(
            over,
            self.cfg.login_backoff_base_ms,
            self.cfg.login_backoff_max_ms,
        );
        (b.last_failure_ms.saturating_add(delay) - now_ms).max(0)
    }

    /// Forgets usernames whose failures are older than the reset window; live ones stay.
    fn maybe_sweep(&self, now_ms: i64) {
        if self.per_user.len() < self.next_sweep.load(Ordering::Relaxed) {
            return;
        }
        let reset = self.cfg.login_backoff_reset_ms;
        self.per_user
            .retain(|_, b| now_ms.saturating_sub(b.last_failure_ms) <= reset);
        let live = self.per_user.len();
        self.next_sweep.store(
            self.cfg
                .limiter_sweep_keys
                .max(1)
                .max(live.saturating_mul(2)),
            Ordering::Relaxed,
        );
    }
}

/// `base * 2^over`, capped at `max`, without overflow.
pub fn backoff_delay_ms(over: u32, base_ms: i64, max_ms: i64) -> i64 {
    let factor = 1i64.checked_shl(over.min(62)).unwrap_or(i64::MAX);
    base_ms.saturating_mul(factor).min(max_ms).max(0)
}

fn pair_key(username: &str, address: &str) -> String {
    format!("{username}\u{0}{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AuthConfig {
        AuthConfig {
            login_attempts_per_minute: 3,
            login_failures_per_address_per_minute: 5,
            login_backoff_after_failures: 4,
            login_backoff_base_ms: 1_000,
            login_backoff_max_ms: 8_000,
            login_backoff_reset_ms: 60_000,
            ..AuthConfig::default()
        }
    }

    #[test]
    fn failures_at_one_address_do_not_block_another() {
        let t = LoginThrottle::new(&cfg());
        for _ in 0..3 {
            t.record_failure("carol", "A", 0);
        }
        assert!(t.wait_ms("carol", "A", 0) > 0, "pair limit reached");
        assert_eq!(
            t.wait_ms("carol", "B", 0),
            0,
            "another address is not limited"
        );
        assert_eq!(
            t.wait_ms("dave", "A", 0),
            0,
            "address limit not yet reached"
        );
        t.record_failure("dave", "A", 0);
        t.record_failure("erin", "A", 0);
        assert!(
            t.wait_ms("frank", "A", 0) > 0,
            "5 failures from A: address limit"
        );
    }

    #[test]
    fn username_backoff_grows_and_is_capped() {
        let t = LoginThrottle::new(&cfg());
        for i in 0..4 {
            t.record_failure("carol", &format!("10.0.0.{i}"), 0);
        }
        assert_eq!(t.wait_ms("carol", "B", 0), 1_000);
        t.record_failure("carol", "10.0.1.1", 1_000);
        assert_eq!(t.wait_ms("carol", "B", 1_000), 2_000);
        for i in 0..10 {
            t.record_failure("carol", &format!("10.0.2.{i}"), 3_000);
        }
        assert_eq!(t.wait_ms("carol", "B", 3_000), 8_000, "capped");
        assert_eq!(
            t.wait_ms("carol", "B", 11_000),
            0,
            "a delay, never a lockout"
        );
        assert_eq!(backoff_delay_ms(u32::MAX, i64::MAX, i64::MAX), i64::MAX);
    }

    #[test]
    fn failure_count_is_forgotten_after_the_reset_window() {
        let t = LoginThrottle::new(&cfg());
        for i in 0..6 {
            t.record_failure("carol", &format!("10.0.0.{i}"), 0);
        }
        t.record_failure("carol", "x", 100_000);
        assert_eq!(t.wait_ms("carol", "B", 100_000), 0, "count restarted at 1");
    }
}
