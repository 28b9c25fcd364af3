//! Accounts' secrets: PBKDF2-HMAC-SHA256 password hashes and signed, expiring bearer tokens.
//! Token = base64url(`user_id.expires_at_ms`) `.` base64url(HMAC-SHA256(secret, that payload)).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::{hmac, pbkdf2, rand::SecureRandom};
use std::num::NonZeroU32;

pub struct TokenSigner {
    key: hmac::Key,
    ttl_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
}

impl TokenSigner {
    pub fn new(secret: &[u8], ttl_ms: i64) -> Self {
        TokenSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            ttl_ms,
        }
    }

    pub fn issue(&self, user_id: &str, now_ms: i64) -> (String, i64) {
        let exp = now_ms + self.ttl_ms;
        (self.issue_until(user_id, exp), exp)
    }

    pub fn issue_until(&self, user_id: &str, expires_at_ms: i64) -> String {
        let payload = B64.encode(format!("{user_id}.{expires_at_ms}"));
        let tag = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", B64.encode(tag.as_ref()))
    }

    pub fn verify(&self, token: &str, now_ms: i64) -> Result<TokenClaims, TokenError> {
        let (payload, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let sig = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
        hmac::verify(&self.key, payload.as_bytes(), &sig).map_err(|_| TokenError::BadSignature)?;
        let raw = B64.decode(payload).map_err(|_| TokenError::Malformed)?;
        let text = String::from_utf8(raw).map_err(|_| TokenError::Malformed)?;
        let (user_id, exp) = text.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let exp: i64 = exp.parse().map_err(|_| TokenError::Malformed)?;
        if exp <= now_ms {
            return Err(TokenError::Expired);
        }
        Ok(TokenClaims {
            user_id: user_id.to_string(),
            expires_at_ms: exp,
        })
    }
}

const HASH_LEN: usize = 32;

/// `pbkdf2-sha256$<iterations>$<salt>$<hash>` with base64url parts.
pub fn hash_password(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; 16];
    // The system RNG failing is not something a client can cause; fall back to a random() salt.
    if ring::rand::SystemRandom::new().fill(&mut salt).is_err() {
        salt = rand::random();
    }
    let mut out = [0u8; HASH_LEN];
    let iters = NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iters,
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!(
        "pbkdf2-sha256${}${}${}",
        iters,
        B64.encode(salt),
        B64.encode(out)
    )
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iters, salt, hash] = parts.as_slice() else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" {
        return false;
    }
    let (Ok(iters), Ok(salt), Ok(hash)) =
        (iters.parse::<u32>(), B64.decode(salt), B64.decode(hash))
    else {
        return false;
    };
    let Some(iters) = NonZeroU32::new(iters) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iters,
        &salt,
        password.as_bytes(),
        &hash,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_expire_and_reject_tampering() {
        let s = TokenSigner::new(b"secret", 1000);
        let (t, exp) = s.issue("user-1", 5000);
        assert_eq!(exp, 6000);
        assert_eq!(s.verify(&t, 5999).unwrap().user_id, "user-1");
        assert_eq!(s.verify(&t, 6000), Err(TokenError::Expired));
        let other = TokenSigner::new(b"other", 1000);
        assert_eq!(other.verify(&t, 5000), Err(TokenError::BadSignature));
        let forged = format!(
            "{}.{}",
            B64.encode("admin.99999999"),
            t.split('.').nth(1).unwrap()
        );
        assert_eq!(s.verify(&forged, 5000), Err(TokenError::BadSignature));
        assert_eq!(s.verify("garbage", 5000), Err(TokenError::Malformed));
    }

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse", 1000);
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "nonsense"));
        assert_ne!(h, hash_password("correct horse", 1000), "salted");
    }
}
