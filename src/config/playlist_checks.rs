//! Validation of the `[playlist]` keys that bound invites, playlists per user and paging.

use super::{ConfigError, PlaylistConfig};

impl PlaylistConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`playlist.{key}`: {why}")));
        if self.invite_ttl_ms <= 0 {
            return bad("invite_ttl_ms", "must be positive");
        }
        if self.invite_max_ttl_ms < self.invite_ttl_ms {
            return bad(
                "invite_max_ttl_ms",
                "must be at least playlist.invite_ttl_ms",
            );
        }
        if self.invite_max_uses == 0 {
            return bad("invite_max_uses", "must be at least 1");
        }
        if !(1..=self.invite_max_uses).contains(&self.invite_default_max_uses) {
            return bad(
                "invite_default_max_uses",
                "must be between 1 and playlist.invite_max_uses",
            );
        }
        if self.max_per_user == 0 {
            return bad("max_per_user", "must be at least 1");
        }
        if self.max_page_limit == 0 {
            return bad("max_page_limit", "must be at least 1");
        }
        if !(1..=self.max_page_limit).contains(&self.default_page_limit) {
            return bad(
                "default_page_limit",
                "must be between 1 and playlist.max_page_limit",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn playlist_bounds_are_checked() {
        type Tweak = fn(&mut Config);
        let cases: [(&str, Tweak); 7] = [
            ("invite_ttl_ms", |c| c.playlist.invite_ttl_ms = 0),
            ("invite_max_ttl_ms", |c| {
                c.playlist.invite_max_ttl_ms = c.playlist.invite_ttl_ms - 1
            }),
            ("invite_max_uses", |c| c.playlist.invite_max_uses = 0),
            ("invite_default_max_uses", |c| {
                c.playlist.invite_default_max_uses = c.playlist.invite_max_uses + 1
            }),
            ("max_per_user", |c| c.playlist.max_per_user = 0),
            ("max_page_limit", |c| c.playlist.max_page_limit = 0),
            ("default_page_limit", |c| {
                c.playlist.default_page_limit = c.playlist.max_page_limit + 1
            }),
        ];
        for (key, tweak) in cases {
            let mut c = Config::default();
            tweak(&mut c);
            let e = c.validate().unwrap_err();
            assert!(e.0.contains(&format!("playlist.{key}")), "{key}: {e}");
        }
        assert!(Config::default().validate().is_ok());
    }
}
