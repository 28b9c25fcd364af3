//! Audio delivery: signed, expiring CDN URLs, and the local origin that serves them on one
//! machine.

pub mod licence;
pub mod manifest;
pub mod origin;
pub mod signer;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::storage::settings::StreamingQuality;
use crate::storage::{Tier, Track};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

pub use signer::{Denied, Signer, Verified};

/// `player_state.stream` and the body of `GET /v1/tracks/{id}/stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub url: String,
    pub expires_at_ms: i64,
    pub bitrate_kbps: u32,
    /// The same bitrate under the name the web player's quality indicator reads.
    pub kbps: u32,
    pub format: String,
    pub fallback_urls: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    Low,
    Normal,
    High,
}

impl Quality {
    pub fn parse(s: &str) -> Option<Quality> {
        match s {
            "low" => Some(Quality::Low),
            "normal" => Some(Quality::Normal),
            "high" => Some(Quality::High),
            _ => None,
        }
    }
}

/// Whose stream is being signed: the tier caps the bitrate, the user's setting picks within
/// the cap (`auto`: the best the tier allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    pub tier: Tier,
    pub quality: StreamingQuality,
}

impl Listener {
    pub fn new(tier: Tier, quality: StreamingQuality) -> Listener {
        Listener { tier, quality }
    }

    /// The quality asked of `stream_for`; the tier's cap applies there.
    pub fn quality(self) -> Quality {
        match self.quality {
            StreamingQuality::Low => Quality::Low,
            StreamingQuality::Normal => Quality::Normal,
            StreamingQuality::High | StreamingQuality::Auto => Quality::High,
        }
    }
}

/// Expiries are rounded up to a whole minute so that a client asking again within the same
/// minute gets the same URL (browser and CDN caches keep working, state events stay stable).
const EXPIRY_ROUNDING_MS: i64 = 60_000;

/// Signs stream URLs (and verifies them for the local origin).
pub struct Cdn {
    signer: Signer,
    /// Base URLs without a trailing slash, in failover order; never empty.
    bases: Vec<String>,
    audio_dir: PathBuf,
    manifest: manifest::ManifestCache,
    url_ttl_ms: i64,
    free_max_kbps: u32,
    urls_issued: AtomicI64,
}

impl Cdn {
    pub fn new(config: &Config, listen_addr: SocketAddr) -> anyhow::Result<Cdn> {
        let signer = if config.cdn.signing_keys.is_empty() {
            let secret =
                crate::secrets::load_or_create(&config.data_dir().join("keys/cdn.key"), 32)?;
            Signer::new(
                &config.cdn.active_key_id,
                &[(config.cdn.active_key_id.clone(), secret)],
            )?
        } else {
            Signer::from_entries(&config.cdn.active_key_id, &config.cdn.signing_keys)?
        };
        let bases = if config.cdn.base_urls.is_empty() {
            vec![self_base_url(listen_addr)]
        } else {
            config
                .cdn
                .base_urls
                .iter()
                .map(|b| b.trim_end_matches('/').to_string())
                .collect()
        };
        let audio_dir = config.audio_dir();
        Ok(Cdn {
            signer,
            bases,
            manifest: manifest::ManifestCache::new(audio_dir.join("manifest.json")),
            audio_dir,
            url_ttl_ms: config.cdn.url_ttl_ms,
            free_max_kbps: config.cdn.free_max_kbps,
            urls_issued: AtomicI64::new(0),
        })
    }

    /// A signed URL for `track` at the best quality not above `quality` that `tier` allows.
    /// `Ok(None)` when the track has no audio (or its asset is not in the audio manifest);
    /// `premium_required` when every variant is above the free tier's cap.
    pub fn stream_for(
        &self,
        user_id: &str,
        tier: Tier,
        track: &Track,
        quality: Quality,
        now_ms: i64,
    ) -> ApiResult<Option<StreamInfo>> {
        let Some(asset) = track.audio.as_deref() else {
            return Ok(None);
        };
        let index = self.manifest.current();
        let Some(variants) = index.variants(asset) else {
            tracing::debug!(track = %track.id, asset, "audio asset not in the manifest");
            return Ok(None);
        };
        let Some(variant) = manifest::choose(variants, tier, quality, self.free_max_kbps) else {
            // Variants exist but none is allowed: only the tier's cap can do that.
            let lowest = variants.first().map_or(0, |v| v.kbps);
            return Err(ApiError::new(
                crate::error::ErrorCode::PremiumRequired,
                format!(
                    "track {} is only available at {lowest} kbps or more; the free tier streams \
                     at most {} kbps: Premium is needed",
                    track.id, self.free_max_kbps
                ),
            ));
        };
        let path = format!("/cdn/{}", variant.file);
        let exp = self.expiry(now_ms)?;
        let query = self.signer.query(&path, exp, user_id);
        let mut urls = self.bases.iter().map(|b| format!("{b}{path}?{query}"));
        let url = urls
            .next()
            .ok_or_else(|| ApiError::internal("no CDN base URL"))?;
        self.urls_issued.fetch_add(1, Ordering::Relaxed);
        Ok(Some(StreamInfo {
            url,
            expires_at_ms: exp,
            bitrate_kbps: variant.kbps,
            kbps: variant.kbps,
            format: variant.format.clone(),
            fallback_urls: urls.collect(),
        }))
    }

    /// `now + url_ttl_ms`, rounded up to the next whole minute.
    fn expiry(&self, now_ms: i64) -> ApiResult<i64> {
        let raw = now_ms
            .checked_add(self.url_ttl_ms)
            .and_then(|t| t.checked_add(EXPIRY_ROUNDING_MS - 1))
            .ok_or_else(|| ApiError::internal("clock out of range"))?;
        Ok(raw.div_euclid(EXPIRY_ROUNDING_MS) * EXPIRY_ROUNDING_MS)
    }

    /// Checks a `/cdn/...` request's raw path and query (the local origin; edges do the same).
    pub fn verify(&self, path: &str, query: &str, now_ms: i64) -> Result<Verified, Denied> {
        let rel = path.strip_prefix("/cdn/").ok_or(Denied::BadPath)?;
        if !signer::safe_relative_path(rel) {
            return Err(Denied::BadPath);
        }
        self.signer.verify(path, query, now_ms)
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    pub fn base_urls(&self) -> &[String] {
        &self.bases
    }

    pub fn audio_dir(&self) -> &Path {
        &self.audio_dir
    }

    /// Stream URLs signed since start (exported as a metric).
    pub fn urls_issued(&self) -> i64 {
        self.urls_issued.load(Ordering::Relaxed)
    }
}

/// This server's own origin as clients reach it: a wildcard listen address is not dialable, so
/// it becomes loopback (configure `cdn.base_urls` for other machines).
fn self_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listen_becomes_loopback() {
        assert_eq!(
            self_base_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(self_base_url("[::]:81".parse().unwrap()), "http://[::1]:81");
        assert_eq!(
            self_base_url("10.0.0.5:9".parse().unwrap()),
            "http://10.0.0.5:9"
        );
    }
}
