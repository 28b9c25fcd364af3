//! Which accounts exist, remembered for a while: every bearer token (REST and WebSocket
//! `hello`) names a user id, and a token outlives its account when the account is deleted, so
//! each authenticated request checks that the account still exists. A bounded TTL cache keeps
//! that check off the storage for active users. Deleting an account on this node leaves a
//! tombstone, so its tokens are refused here at once (other nodes: once their entry expires,
//! after at most `auth.account_cache_ttl_ms`).

use crate::error::StorageResult;
use crate::storage::Storage;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Known {
    Exists,
    /// Deleted on this node: refused without asking the storage, and never overwritten by a
    /// lookup that raced with the deletion.
    Deleted,
}

pub struct AccountCache {
    inner: Mutex<Inner>,
    capacity: usize,
    ttl_ms: i64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (Known, i64)>,
    /// Insertion order, oldest first, for eviction. An id re-inserted later appears twice; the
    /// older copy is skipped because its time no longer matches the entry's.
    order: VecDeque<(String, i64)>,
}

impl AccountCache {
    pub fn new(capacity: usize, ttl_ms: i64) -> AccountCache {
        AccountCache {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            ttl_ms,
        }
    }

    fn lookup(&self, user_id: &str, now_ms: i64) -> Option<Known> {
        let inner = self.inner.lock();
        match inner.entries.get(user_id) {
            Some((known, at)) if now_ms - at < self.ttl_ms => Some(*known),
            _ => None,
        }
    }

    fn insert(&self, user_id: &str, known: Known, now_ms: i64) {
        let mut inner = self.inner.lock();
        if known == Known::Exists {
            if let Some((Known::Deleted, at)) = inner.entries.get(user_id) {
                if now_ms - at < self.ttl_ms {
                    return;
                }
            }
        }
        inner.entries.insert(user_id.to_string(), (known, now_ms));
        inner.order.push_back((user_id.to_string(), now_ms));
        // Evict oldest first until within bounds (the queue may hold stale duplicates, so it
        // is bounded too).
        while inner.entries.len() > self.capacity || inner.order.len() > 2 * self.capacity {
            let Some((id, at)) = inner.order.pop_front() else {
                break;
            };
            if inner.entries.get(&id).is_some_and(|(_, t)| *t == at) {
                inner.entries.remove(&id);
            }
        }
    }

    /// Does the account exist? From the cache when known, else from the storage.
    pub async fn exists(
        &self,
        storage: &Storage,
        user_id: &str,
        now_ms: i64,
    ) -> StorageResult<bool> {
        match self.lookup(user_id, now_ms) {
            Some(Known::Exists) => return Ok(true),
            Some(Known::Deleted) => return Ok(false),
            None => {}
        }
        let found = storage.accounts.by_id(user_id).await?.is_some();
        // Only existence is remembered: an unknown id costs a lookup each time, which keeps
        // an account created later (a restored backup) usable at once.
        if found {
            self.insert(user_id, Known::Exists, now_ms);
        }
        Ok(found)
    }

    /// The account is being deleted: refuse it from now on (evicts any `Exists` entry).
    pub fn mark_deleted(&self, user_id: &str, now_ms: i64) {
        self.insert(user_id, Known::Deleted, now_ms);
    }

    /// Drops what is known about the account (a deletion that failed: it may be retried).
    pub fn forget(&self, user_id: &str) {
        self.inner.lock().entries.remove(user_id);
    }

    /// Deleted on this node within the TTL.
    pub fn is_deleted(&self, user_id: &str, now_ms: i64) -> bool {
        self.lookup(user_id, now_ms) == Some(Known::Deleted)
    }

    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_oldest_evicted_and_entries_expire() {
        let c = AccountCache::new(3, 1000);
        for (i, id) in ["a", "b", "c", "d"].iter().enumerate() {
            c.insert(id, Known::Exists, i as i64);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.lookup("a", 10), None, "the oldest entry was evicted");
        assert_eq!(c.lookup("d", 10), Some(Known::Exists));
        assert_eq!(c.lookup("d", 1003), None, "expired after the TTL");
        // Re-inserting refreshes without growing past the bound.
        for t in 0..100 {
            c.insert("b", Known::Exists, 10 + t);
        }
        assert!(c.len() <= 3);
        assert!(c.inner.lock().order.len() <= 6);
        assert_eq!(c.lookup("b", 200), Some(Known::Exists));
    }

    #[test]
    fn a_tombstone_wins_over_a_racing_lookup() {
        let c = AccountCache::new(10, 1000);
        c.insert("u", Known::Exists, 0);
        c.mark_deleted("u", 5);
        assert!(c.is_deleted("u", 6));
        // A lookup that read the account before the deletion must not resurrect it.
        c.insert("u", Known::Exists, 7);
        assert_eq!(c.lookup("u", 8), Some(Known::Deleted));
        assert!(!c.is_deleted("u", 2000));
    }
}
