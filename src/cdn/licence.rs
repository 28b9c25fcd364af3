//! Offline licences: a signed statement that one device of one account may play one downloaded
//! track at one quality until a time.
//!
//! Licences are Ed25519-signed so that a client can check them itself, offline, with the public
//! keys the server publishes (an HMAC, as CDN URLs use, would need the secret). Keys have ids and
//! rotate like the CDN keys: new licences are signed with the active key, and licences signed with
//! a key that is still listed keep verifying until they expire.
//!
//! The token (docs/offline.md is the normative description):
//!
//! ```text
//! segue-lic-v1.<payload>.<signature>
//! ```
//!
//! `payload` is the base64url (no padding) of a JSON object `{kid, uid, dev, trk, kbps, iat, exp}`;
//! `signature` is the base64url Ed25519 signature of the ASCII bytes `segue-lic-v1.<payload>`
//! with the key named by `kid`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const SCHEME: &str = "segue-lic-v1";
/// Longest token accepted: a licence is about 300 bytes; anything much larger is not one.
pub const MAX_TOKEN_BYTES: usize = 2048;

/// What a licence says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// The id of the key that signed it.
    pub kid: String,
    /// Account id.
    pub uid: String,
    /// Device id.
    pub dev: String,
    /// Track id.
    pub trk: String,
    /// The bitrate the download may have.
    pub kbps: u32,
    /// Issued at (ms since the Unix epoch).
    pub iat: i64,
    /// Expires at (ms since the Unix epoch).
    pub exp: i64,
}

/// Why a licence is refused; safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenceError {
    #[error("not a licence")]
    Malformed,
    #[error("the licence was signed with an unknown key `{0}`")]
    UnknownKey(String),
    #[error("the licence's signature does not match")]
    BadSignature,
    #[error("the licence expired")]
    Expired,
}

/// The signing keys: `(id, 32-byte Ed25519 seed)`, one of them active.
pub struct LicenceKeys {
    active: String,
    pairs: HashMap<String, Ed25519KeyPair>,
}

impl LicenceKeys {
    pub fn new(active: &str, seeds: &[(String, Vec<u8>)]) -> anyhow::Result<LicenceKeys> {
        let mut pairs = HashMap::new();
        for (id, seed) in seeds {
            if !super::signer::valid_key_id(id) {
                anyhow::bail!(
                    "`offline.licence_keys`: key id `{id}` must be 1-64 characters of A-Z a-z 0-9 - _"
                );
            }
            let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| {
                anyhow::anyhow!("`offline.licence_keys`: key `{id}` must be a 32-byte seed")
            })?;
            if pairs.insert(id.clone(), pair).is_some() {
                anyhow::bail!("`offline.licence_keys`: key id `{id}` is listed twice");
            }
        }
        if !pairs.contains_key(active) {
            anyhow::bail!("`offline.active_key_id`: `{active}` is not one of offline.licence_keys");
        }
        Ok(LicenceKeys {
            active: active.to_string(),
            pairs,
        })
    }

    /// A fresh random seed for a new key.
    pub fn generate_seed() -> anyhow::Result<Vec<u8>> {
        let mut seed = vec![0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| anyhow::anyhow!("no randomness for a licence key"))?;
        Ok(seed)
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Every key's public half, base64url: what clients verify with.
    pub fn public_keys(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self
            .pairs
            .iter()
            .map(|(id, pair)| {
                (
                    id.clone(),
                    URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
                )
            })
            .collect();
        keys.sort();
        keys
    }

    /// Signs a licence with the active key (its `kid` is set to it).
    pub fn sign(&self, mut licence: Licence) -> String {
        licence.kid = self.active.clone();
        let payload = serde_json::to_vec(&licence).unwrap_or_default();
        let signed = format!("{SCHEME}.{}", URL_SAFE_NO_PAD.encode(payload));
        let sig = self.pairs[&self.active].sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    /// Verifies a token with these keys, as the server does when a device syncs.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<Licence, LicenceError> {
        let public: HashMap<String, Vec<u8>> = self
            .pairs
            .iter()
            .map(|(id, p)| (id.clone(), p.public_key().as_ref().to_vec()))
            .collect();
        verify_with(&public, token, now_ms)
    }
}

/// Verifies a token with published public keys (`kid` → 32 raw bytes), as a client does offline.
pub fn verify_with(
    public_keys: &HashMap<String, Vec<u8>>,
    token: &str,
    now_ms: i64,
) -> Result<Licence, LicenceError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(LicenceError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(scheme), Some(payload_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LicenceError::Malformed);
    };
    if scheme != SCHEME {
        return Err(LicenceError::Malformed);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| LicenceError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| LicenceError::Malformed)?;
    let licence: Licence = serde_json::from_slice(&payload).map_err(|_| LicenceError::Malformed)?;
    let key = public_keys
        .get(&licence.kid)
        .ok_or_else(|| LicenceError::UnknownKey(licence.kid.clone()))?;
    let signed = &token[..scheme.len() + 1 + payload_b64.len()];
    UnparsedPublicKey::new(&ED25519, key)
        .verify(signed.as_bytes(), &sig)
        .map_err(|_| LicenceError::BadSignature)?;
    if licence.exp <= now_ms {
        return Err(LicenceError::Expired);
    }
    Ok(licence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(active: &str) -> LicenceKeys {
        let seeds = vec![
            ("k1".to_string(), vec![1u8; 32]),
            ("k2".to_string(), vec![2u8; 32]),
        ];
        LicenceKeys::new(active, &seeds).unwrap_or_else(|e| panic!("{e}"))
    }

    fn licence() -> Licence {
        Licence {
            kid: String::new(),
            uid: "u1".into(),
            dev: "phone".into(),
            trk: "t1".into(),
            kbps: 320,
            iat: 1_000,
            exp: 2_000,
        }
    }

    #[test]
    fn a_signed_licence_verifies_until_it_expires() {
        let k = keys("k1");
        let token = k.sign(licence());
        assert!(token.starts_with("segue-lic-v1."));
        let got = k.verify(&token, 1_500).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.kid, "k1");
        assert_eq!(got.trk, "t1");
        assert_eq!(k.verify(&token, 2_000), Err(LicenceError::Expired));
    }

    #[test]
    fn every_tampered_field_is_refused() {
        let k = keys("k1");
        let token = k.sign(licence());
        let parts: Vec<&str> = token.split('.').collect();
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default();
        let original: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
        for (field, value) in [
            ("uid", serde_json::json!("u2")),
            ("dev", serde_json::json!("laptop")),
            ("trk", serde_json::json!("t2")),
            ("kbps", serde_json::json!(321)),
            ("iat", serde_json::json!(999)),
            ("exp", serde_json::json!(9_999_999)),
            ("kid", serde_json::json!("k2")),
        ] {
            let mut changed = original.clone();
            changed[field] = value;
            let forged = format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(changed.to_string()),
                parts[2]
            );
            assert_eq!(
                k.verify(&forged, 1_500),
                Err(LicenceError::BadSignature),
                "a changed `{field}` was accepted"
            );
        }
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
        sig[0] ^= 1;
        let forged = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
        assert_eq!(k.verify(&forged, 1_500), Err(LicenceError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed_and_unknown_keys_are_named() {
        let k = keys("k1");
        for bad in [
            "",
            "x",
            "segue-lic-v1..",
            "segue-lic-v2.e30.AA",
            "a.b.c.d",
            &"y".repeat(5000),
        ] {
            assert_eq!(k.verify(bad, 0), Err(LicenceError::Malformed), "{bad:.20}");
        }
        let other = LicenceKeys::new("k9", &[("k9".to_string(), vec![9u8; 32])])
            .unwrap_or_else(|e| panic!("{e}"));
        let token = other.sign(licence());
        assert_eq!(
            k.verify(&token, 0),
            Err(LicenceError::UnknownKey("k9".into()))
        );
    }

    #[test]
    fn rotation_keeps_old_licences_valid_while_their_key_is_listed() {
        let old = keys("k1").sign(licence());
        let rotated = keys("k2");
        assert!(rotated.verify(&old, 1_500).is_ok());
        assert_eq!(
            rotated
                .verify(&rotated.sign(licence()), 1_500)
                .map(|l| l.kid),
            Ok("k2".into())
        );
        let retired = LicenceKeys::new("k2", &[("k2".to_string(), vec![2u8; 32])])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            retired.verify(&old, 1_500),
            Err(LicenceError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn a_client_verifies_with_the_published_public_keys_alone() {
        let k = keys("k1");
        let token = k.sign(licence());
        let published: HashMap<String, Vec<u8>> = k
            .public_keys()
            .into_iter()
            .map(|(id, b64)| (id, URL_SAFE_NO_PAD.decode(b64).unwrap_or_default()))
            .collect();
        assert_eq!(published["k1"].len(), 32);
        assert!(verify_with(&published, &token, 1_500).is_ok());
    }

    #[test]
    fn bad_key_configuration_is_refused() {
        assert!(LicenceKeys::new("k1", &[("k1".to_string(), vec![1u8; 31])]).is_err());
        assert!(LicenceKeys::new("k1", &[("bad id!".to_string(), vec![1u8; 32])]).is_err());
        assert!(LicenceKeys::new("k3", &[("k1".to_string(), vec![1u8; 32])]).is_err());
        assert_eq!(
            LicenceKeys::generate_seed().map(|s| s.len()).unwrap_or(0),
            32
        );
    }
}
