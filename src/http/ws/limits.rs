//! Connection limits: sockets per client address, sockets that have not sent `hello` yet per
//! address, and welcomed sockets per user. Each limit refuses with its own close code. Every
//! count is held by a guard that gives it back when the connection task ends, however it ends.
//! The per-user table also keeps each welcomed socket's outbox, so that deleting an account
//! closes that user's sockets (4004).

use crate::config::WsConfig;
use crate::http::outbox::{close, Outbox};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Default)]
pub struct ConnLimits {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    per_addr: HashMap<IpAddr, u32>,
    pending_per_addr: HashMap<IpAddr, u32>,
    per_user: HashMap<Arc<str>, Vec<(u64, Arc<Outbox>)>>,
}

/// Why a connection is refused: the close code and the `error` message sent before it.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub message: String,
}

impl Refusal {
    /// Counts the refusal in `segue_ws_refused_total{reason}`.
    pub fn count(&self, metrics: &crate::metrics::Metrics) {
        let reason = match self.code {
            close::TOO_MANY_FOR_USER => "per_user",
            close::TOO_MANY_FOR_ADDRESS => "per_address",
            close::TOO_MANY_PENDING => "pending_per_address",
            _ => "account_deleted",
        };
        metrics.describe(
            "segue_ws_refused_total",
            "counter",
            "WebSocket connections refused by a connection limit or a deleted account",
        );
        metrics.add_labelled("segue_ws_refused_total", &[("reason", reason)], 1);
    }
}

fn bump(map: &mut HashMap<IpAddr, u32>, ip: IpAddr) {
    *map.entry(ip).or_insert(0) += 1;
}

fn drop_one(map: &mut HashMap<IpAddr, u32>, ip: IpAddr) {
    if let Some(n) = map.get_mut(&ip) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&ip);
        }
    }
}

impl ConnLimits {
    pub fn new() -> Arc<ConnLimits> {
        Arc::new(ConnLimits::default())
    }

    /// A new socket from `ip`: counted against the address and as not yet welcomed.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, ws: &WsConfig) -> Result<AddrSlot, Refusal> {
        let mut inner = self.inner.lock();
        let all = inner.per_addr.get(&ip).copied().unwrap_or(0);
        if all >= ws.max_connections_per_address {
            return Err(Refusal {
                code: close::TOO_MANY_FOR_ADDRESS,
                message: format!(
                    "too many connections from this address (limit {})",
                    ws.max_connections_per_address
                ),
            });
        }
        let pending = inner.pending_per_addr.get(&ip).copied().unwrap_or(0);
        if pending >= ws.max_pending_per_address {
            return Err(Refusal {
                code: close::TOO_MANY_PENDING,
                message: format!(
                    "too many connections without hello from this address (limit {})",
                    ws.max_pending_per_address
                ),
            });
        }
        bump(&mut inner.per_addr, ip);
        bump(&mut inner.pending_per_addr, ip);
        Ok(AddrSlot {
            limits: self.clone(),
            ip,
            pending: true,
        })
    }

    /// A socket's `hello` was accepted for `user_id`: counted against the user, and closable
    /// by `close_user`. Refused when the user is at the limit, or was deleted meanwhile (the
    /// check runs under the same lock as `close_user`, so no socket slips past a deletion).
    pub fn welcome(
        self: &Arc<Self>,
        user_id: &Arc<str>,
        conn_id: u64,
        outbox: &Arc<Outbox>,
        max_per_user: u32,
        deleted: impl FnOnce() -> bool,
    ) -> Result<UserSlot, Refusal> {
        let mut inner = self.inner.lock();
        if deleted() {
            return Err(Refusal {
                code: close::ACCOUNT_DELETED,
                message: "the account was deleted".into(),
            });
        }
        let conns = inner.per_user.entry(user_id.clone()).or_default();
        if conns.len() >= max_per_user as usize {
            return Err(Refusal {
                code: close::TOO_MANY_FOR_USER,
                message: format!("too many connections for this account (limit {max_per_user})"),
            });
        }
        conns.push((conn_id, outbox.clone()));
        Ok(UserSlot {
            limits: self.clone(),
            user_id: user_id.clone(),
            conn_id,
        })
    }

    /// Closes every welcomed socket of the user with `code`; returns how many.
    pub fn close_user(&self, user_id: &str, code: u16) -> usize {
        let inner = self.inner.lock();
        let conns = inner
            .per_user
            .get(user_id)
            .map_or(&[][..], |v| v.as_slice());
        for (_, outbox) in conns {
            outbox.close(code);
        }
        conns.len()
    }

    /// Welcomed sockets of the user right now.
    pub fn user_connections(&self, user_id: &str) -> usize {
        self.inner.lock().per_user.get(user_id).map_or(0, Vec::len)
    }

    /// (all sockets, sockets without hello) from the address right now.
    pub fn address_connections(&self, ip: IpAddr) -> (u32, u32) {
        let inner = self.inner.lock();
        (
            inner.per_addr.get(&ip).copied().unwrap_or(0),
            inner.pending_per_addr.get(&ip).copied().unwrap_or(0),
        )
    }
}

/// A socket's place in its address's counts.
pub struct AddrSlot {
    limits: Arc<ConnLimits>,
    ip: IpAddr,
    pending: bool,
}

impl AddrSlot {
    /// `hello` succeeded: the socket no longer counts as pending.
    pub fn welcomed(&mut self) {
        if std::mem::take(&mut self.pending) {
            drop_one(&mut self.limits.inner.lock().pending_per_addr, self.ip);
        }
    }
}

impl Drop for AddrSlot {
    fn drop(&mut self) {
        let mut inner = self.limits.inner.lock();
        drop_one(&mut inner.per_addr, self.ip);
        if self.pending {
            drop_one(&mut inner.pending_per_addr, self.ip);
        }
    }
}

/// A welcomed socket's place in its user's count.
pub struct UserSlot {
    limits: Arc<ConnLimits>,
    user_id: Arc<str>,
    conn_id: u64,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut inner = self.limits.inner.lock();
        if let Some(conns) = inner.per_user.get_mut(&self.user_id) {
            conns.retain(|(id, _)| *id != self.conn_id);
            if conns.is_empty() {
                inner.per_user.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(per_user: u32, per_addr: u32, pending: u32) -> WsConfig {
        WsConfig {
            max_connections_per_user: per_user,
            max_connections_per_address: per_addr,
            max_pending_per_address: pending,
            ..WsConfig::default()
        }
    }

    #[test]
    fn counts_are_given_back_when_slots_drop() {
        let l = ConnLimits::new();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let cfg = ws(2, 3, 2);
        let mut a = l.admit(ip, &cfg).unwrap();
        let b = l.admit(ip, &cfg).unwrap();
        assert_eq!(
            l.admit(ip, &cfg).err().unwrap().code,
            close::TOO_MANY_PENDING
        );
        a.welcomed();
        let c = l.admit(ip, &cfg).unwrap();
        assert_eq!(l.address_connections(ip), (3, 2));
        assert_eq!(
            l.admit(ip, &cfg).err().unwrap().code,
            close::TOO_MANY_FOR_ADDRESS
        );
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(
            l.admit(other, &cfg).is_ok(),
            "other addresses are not affected"
        );
        drop((a, b, c));
        assert_eq!(l.address_connections(ip), (0, 0));
        assert!(l.inner.lock().per_addr.is_empty());

        let user: Arc<str> = Arc::from("u");
        let out = Arc::new(Outbox::new(4));
        let s1 = l.welcome(&user, 1, &out, 2, || false).unwrap();
        let _s2 = l.welcome(&user, 2, &out, 2, || false).unwrap();
        let refused = l.welcome(&user, 3, &out, 2, || false).err().unwrap();
        assert_eq!(refused.code, close::TOO_MANY_FOR_USER);
        drop(s1);
        assert!(l.welcome(&user, 4, &out, 2, || false).is_ok());
        assert_eq!(
            l.welcome(&Arc::from("v"), 5, &out, 2, || true)
                .err()
                .unwrap()
                .code,
            close::ACCOUNT_DELETED
        );
        assert!(!l.inner.lock().per_user.contains_key("v"));
    }
}
