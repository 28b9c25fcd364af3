//! Stream URL signatures: HMAC-SHA256 over a canonical string (scheme, key id, path, expiry,
//! user), keyed by id so keys can rotate. `docs/cdn.md` is the normative description; a CDN edge
//! function must be able to re-implement `verify` from it alone.

use base64::Engine;
use ring::hmac;
use std::collections::HashMap;

/// First line of every canonical string; bumped if the formula ever changes.
pub const SCHEME: &str = "segue-cdn-v1";

/// The canonical string that is signed: five lines joined by `\n` (no trailing newline).
/// `path` is the URL path exactly as sent (starting `/cdn/`), `exp_ms` the decimal expiry,
/// `kid` and `uid` the decoded query values.
pub fn canonical(kid: &str, path: &str, exp_ms: &str, uid: &str) -> String {
    format!("{SCHEME}\n{kid}\n{path}\n{exp_ms}\n{uid}")
}

/// Why a signed URL was refused; the message is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("missing query parameter `{0}`")]
    Missing(&'static str),
    #[error("query parameter `{0}` is malformed")]
    Malformed(&'static str),
    #[error("query parameter `{0}` is repeated")]
    Repeated(&'static str),
    #[error("unknown signing key id")]
    UnknownKey,
    #[error("signature does not match")]
    BadSignature,
    #[error("URL has expired")]
    Expired,
    #[error("invalid path")]
    BadPath,
}

/// What a verified URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub uid: String,
    pub exp_ms: i64,
    pub kid: String,
}

/// The signing keys: one active key signs, every listed key verifies.
pub struct Signer {
    active: String,
    keys: HashMap<String, hmac::Key>,
}

/// Key ids appear in URLs and in the canonical string: keep them plain.
pub fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Shortest accepted secret: HMAC-SHA256 keys shorter than 128 bits are too weak to sign with.
pub const MIN_SECRET_BYTES: usize = 16;

impl Signer {
    /// `keys` are `(id, secret)`; `active` must be one of them.
    pub fn new(active: &str, keys: &[(String, Vec<u8>)]) -> anyhow::Result<Signer> {
        let mut map = HashMap::new();
        for (id, secret) in keys {
            if !valid_key_id(id) {
                anyhow::bail!(
                    "`cdn.signing_keys`: key id `{id}` must be 1-64 characters of A-Z a-z 0-9 - _"
                );
            }
            if secret.len() < MIN_SECRET_BYTES {
                anyhow::bail!(
                    "`cdn.signing_keys`: key `{id}` must be at least {MIN_SECRET_BYTES} bytes"
                );
            }
            if map
                .insert(id.clone(), hmac::Key::new(hmac::HMAC_SHA256, secret))
                .is_some()
            {
                anyhow::bail!("`cdn.signing_keys`: key id `{id}` is listed twice");
            }
        }
        if !map.contains_key(active) {
            anyhow::bail!("`cdn.active_key_id`: `{active}` is not one of cdn.signing_keys");
        }
        Ok(Signer {
            active: active.to_string(),
            keys: map,
        })
    }

    /// Parses `id:hexsecret` entries (the `cdn.signing_keys` format).
    pub fn from_entries(active: &str, entries: &[String]) -> anyhow::Result<Signer> {
        let mut keys = Vec::new();
        for e in entries {
            let (id, hex_secret) = e
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("`cdn.signing_keys`: entries must be `id:hex`"))?;
            let secret = hex::decode(hex_secret.trim()).map_err(|_| {
                anyhow::anyhow!("`cdn.signing_keys`: the secret of `{id}` is not hex")
            })?;
            keys.push((id.trim().to_string(), secret));
        }
        Signer::new(active, &keys)
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// base64url (no padding) HMAC-SHA256 of the canonical string, with the active key.
    pub fn signature(&self, path: &str, exp_ms: i64, uid: &str) -> String {
        let key = &self.keys[&self.active];
        let msg = canonical(&self.active, path, &exp_ms.to_string(), uid);
        let tag = hmac::sign(key, msg.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// The query string for a signed URL: `exp=..&uid=..&kid=..&sig=..`.
    pub fn query(&self, path: &str, exp_ms: i64, uid: &str) -> String {
        format!(
            "exp={exp_ms}&uid={}&kid={}&sig={}",
            percent_encode(uid),
            self.active,
            self.signature(path, exp_ms, uid)
        )
    }

    /// Checks a request's raw path and raw query string. Unknown extra parameters are ignored
    /// (players and CDNs append their own); the four signed ones must appear exactly once.
    pub fn verify(&self, path: &str, query: &str, now_ms: i64) -> Result<Verified, Denied> {
        let pairs: Vec<(String, String)> =
            actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
                .map_err(|_| Denied::Malformed("query"))?
                .into_inner();
        let get = |name: &'static str| -> Result<&str, Denied> {
            let mut found = pairs.iter().filter(|(k, _)| k == name);
            let first = found.next().ok_or(Denied::Missing(name))?;
            if found.next().is_some() {
                return Err(Denied::Repeated(name));
            }
            Ok(first.1.as_str())
        };
        let exp_raw = get("exp")?;
        let uid = get("uid")?;
        let kid = get("kid")?;
        let sig = get("sig")?;
        // Only the canonical decimal form is accepted, so one expiry has exactly one spelling.
        let exp_ms: i64 = exp_raw.parse().map_err(|_| Denied::Malformed("exp"))?;
        if exp_ms < 0 || exp_ms.to_string() != exp_raw {
            return Err(Denied::Malformed("exp"));
        }
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Denied::Malformed("sig"))?;
        let key = self.keys.get(kid).ok_or(Denied::UnknownKey)?;
        let msg = canonical(kid, path, exp_raw, uid);
        hmac::verify(key, msg.as_bytes(), &tag).map_err(|_| Denied::BadSignature)?;
        // Expiry is checked after the signature so an attacker learns nothing from the order.
        if now_ms >= exp_ms {
            return Err(Denied::Expired);
        }
        Ok(Verified {
            uid: uid.to_string(),
            exp_ms,
            kid: kid.to_string(),
        })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file path relative to the audio root that is safe to sign and to serve: `/`-separated
/// segments of `A-Z a-z 0-9 . _ -`, none empty and none starting with `.` (so no `..`, no hidden
/// files, no percent-escapes that could decode to a separator).
pub fn safe_relative_path(rel: &str) -> bool {
    !rel.is_empty()
        && rel.len() <= 512
        && rel.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(active: &str, keys: &[(&str, u8)]) -> Signer {
        let keys: Vec<(String, Vec<u8>)> = keys
            .iter()
            .map(|(id, fill)| (id.to_string(), vec![*fill; 32]))
            .collect();
        Signer::new(active, &keys).unwrap()
    }

    #[test]
    fn round_trip_and_tamper() {
        let s = signer("a", &[("a", 1)]);
        let q = s.query("/cdn/x/96.mp3", 2000, "user 1");
        assert!(q.contains("uid=user%201"), "{q}");
        let v = s.verify("/cdn/x/96.mp3", &q, 1000).unwrap();
        assert_eq!(v.uid, "user 1");
        assert_eq!(v.exp_ms, 2000);
        assert_eq!(
            s.verify("/cdn/x/320.mp3", &q, 1000),
            Err(Denied::BadSignature)
        );
        assert_eq!(s.verify("/cdn/x/96.mp3", &q, 2000), Err(Denied::Expired));
        let longer = q.replace("exp=2000", "exp=3000");
        assert_eq!(
            s.verify("/cdn/x/96.mp3", &longer, 1000),
            Err(Denied::BadSignature)
        );
        let padded = q.replace("exp=2000", "exp=02000");
        assert_eq!(
            s.verify("/cdn/x/96.mp3", &padded, 1000),
            Err(Denied::Malformed("exp"))
        );
        let twice = format!("{q}&uid=other");
        assert_eq!(
            s.verify("/cdn/x/96.mp3", &twice, 1000),
            Err(Denied::Repeated("uid"))
        );
        let extra = format!("{q}&t=5");
        assert!(s.verify("/cdn/x/96.mp3", &extra, 1000).is_ok());
        assert_eq!(
            s.verify("/cdn/x/96.mp3", "exp=1&uid=u&kid=a", 0),
            Err(Denied::Missing("sig"))
        );
    }

    #[test]
    fn rotation_and_foreign_keys() {
        let old = signer("k1", &[("k1", 7)]);
        let rotated = signer("k2", &[("k1", 7), ("k2", 8)]);
        let retired = signer("k2", &[("k2", 8)]);
        let foreign = signer("k1", &[("k1", 9)]);
        let q = old.query("/cdn/a.mp3", 10, "u");
        assert!(rotated.verify("/cdn/a.mp3", &q, 0).is_ok());
        assert_eq!(retired.verify("/cdn/a.mp3", &q, 0), Err(Denied::UnknownKey));
        assert_eq!(
            foreign.verify("/cdn/a.mp3", &q, 0),
            Err(Denied::BadSignature)
        );
        assert!(rotated.query("/cdn/a.mp3", 10, "u").contains("kid=k2"));
    }

    #[test]
    fn bad_key_config_is_refused() {
        assert!(Signer::from_entries("a", &["a:00".into()]).is_err());
        assert!(Signer::from_entries("b", &[format!("a:{}", "00".repeat(16))]).is_err());
        assert!(Signer::from_entries("a b", &[format!("a b:{}", "00".repeat(16))]).is_err());
        assert!(Signer::from_entries("a", &[format!("a:{}", "00".repeat(16))]).is_ok());
    }

    #[test]
    fn path_rules() {
        assert!(safe_relative_path("song/96.mp3"));
        assert!(safe_relative_path("a-b_c.1/x.ogg"));
        for bad in [
            "", "../x", "a/../b", "a//b", "/a", "a/", ".hidden", "a/%2e%2e", "a\\b", "a b",
        ] {
            assert!(!safe_relative_path(bad), "{bad}");
        }
    }
}
