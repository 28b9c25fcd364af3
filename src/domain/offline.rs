//! Offline downloads of one device, pure rules: what is downloaded, why, and what changed since a
//! version the device already has.
//!
//! A device marks sources for download: a playlist, an album or a track (`segue:…` uris). A
//! track is downloaded while at least one marked source contains it, so a track in two downloaded
//! playlists stays when one of them is unmarked. A downloaded playlist follows the playlist: when
//! its tracks change, `source_changed` adds and removes tracks. Every change bumps the set's
//! version and is logged, so a device that syncs with `since = V` gets exactly the tracks added
//! and removed after V; a device too far behind the kept log gets the full manifest instead.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many changes are kept for delta syncs.
pub const DEFAULT_LOG_WINDOW: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineError {
    #[error("a device may hold at most {limit} downloaded tracks; this would make {would_be}")]
    TooManyTracks { limit: usize, would_be: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Removed,
}

/// The downloads of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Downloads {
    /// Marked sources and the tracks each contributes.
    sources: BTreeMap<String, BTreeSet<String>>,
    /// Downloaded tracks and how many marked sources contain each.
    tracks: BTreeMap<String, usize>,
    version: u64,
    /// `(version, track, change)`, oldest first, at most `window` entries.
    log: VecDeque<(u64, String, Change)>,
    window: usize,
}

/// What a sync returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delta {
    /// The tracks added and removed after the device's version.
    Changes {
        added: Vec<String>,
        removed: Vec<String>,
        version: u64,
    },
    /// The device is too far behind the log (or has nothing): every downloaded track.
    Full { tracks: Vec<String>, version: u64 },
}

impl Downloads {
    pub fn new(window: usize) -> Downloads {
        Downloads {
            sources: BTreeMap::new(),
            tracks: BTreeMap::new(),
            version: 0,
            log: VecDeque::new(),
            window: window.max(1),
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_marked(&self, source: &str) -> bool {
        self.sources.contains_key(source)
    }

    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// Marks `source` with its current tracks (or updates them when already marked). Refused,
    /// changing nothing, when the device would hold more than `max_tracks`.
    pub fn mark(
        &mut self,
        source: &str,
        tracks: impl IntoIterator<Item = String>,
        max_tracks: usize,
    ) -> Result<(), OfflineError> {
        self.source_changed_within(source, tracks.into_iter().collect(), max_tracks, true)
    }

    /// Unmarks `source`; its tracks go unless another marked source holds them.
    pub fn unmark(&mut self, source: &str) {
        if let Some(old) = self.sources.remove(source) {
            for t in old {
                self.release(&t);
            }
        }
    }

    /// A marked source's tracks changed (a playlist edit): the download follows. Sources that
    /// are not marked are ignored.
    pub fn source_changed(
        &mut self,
        source: &str,
        tracks: impl IntoIterator<Item = String>,
        max_tracks: usize,
    ) -> Result<(), OfflineError> {
        if !self.is_marked(source) {
            return Ok(());
        }
        self.source_changed_within(source, tracks.into_iter().collect(), max_tracks, false)
    }

    fn source_changed_within(
        &mut self,
        source: &str,
        new: BTreeSet<String>,
        max_tracks: usize,
        marking: bool,
    ) -> Result<(), OfflineError> {
        let old = self.sources.get(source).cloned().unwrap_or_default();
        let gained: Vec<&String> = new
            .difference(&old)
            .filter(|t| !self.tracks.contains_key(*t))
            .collect();
        let lost: usize = old
            .difference(&new)
            .filter(|t| self.tracks.get(*t) == Some(&1))
            .count();
        let would_be = self.tracks.len() + gained.len() - lost;
        if would_be > max_tracks && (marking || !gained.is_empty()) {
            return Err(OfflineError::TooManyTracks {
                limit: max_tracks,
                would_be,
            });
        }
        for t in new.difference(&old) {
            self.hold(t);
        }
        for t in old.difference(&new) {
            self.release(t);
        }
        self.sources.insert(source.to_string(), new);
        Ok(())
    }

    fn hold(&mut self, track: &str) {
        let n = self.tracks.entry(track.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            self.record(track, Change::Added);
        }
    }

    fn release(&mut self, track: &str) {
        let gone = match self.tracks.get_mut(track) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => true,
            None => false,
        };
        if gone {
            self.tracks.remove(track);
            self.record(track, Change::Removed);
        }
    }

    fn record(&mut self, track: &str, change: Change) {
        self.version += 1;
        self.log
            .push_back((self.version, track.to_string(), change));
        while self.log.len() > self.window {
            self.log.pop_front();
        }
    }

    /// What a device at version `since` needs (`None`: it has nothing yet).
    pub fn delta(&self, since: Option<u64>) -> Delta {
        let full = || Delta::Full {
            tracks: self.tracks.keys().cloned().collect(),
            version: self.version,
        };
        let Some(since) = since else { return full() };
        if since > self.version {
            return full();
        }
        let oldest_kept = self.log.front().map_or(self.version + 1, |(v, _, _)| *v);
        if since + 1 < oldest_kept && since < self.version {
            return full();
        }
        // Net effect per track after `since`: the last change wins, and a track added then
        // removed (or the reverse) within the window is reported only if its state differs.
        let mut last: BTreeMap<&str, Change> = BTreeMap::new();
        for (v, t, c) in &self.log {
            if *v > since {
                last.insert(t.as_str(), *c);
            }
        }
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for (t, c) in last {
            match c {
                Change::Added => added.push(t.to_string()),
                Change::Removed => removed.push(t.to_string()),
            }
        }
        Delta::Changes {
            added,
            removed,
            version: self.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn changes(d: Delta) -> (Vec<String>, Vec<String>, u64) {
        match d {
            Delta::Changes {
                added,
                removed,
                version,
            } => (added, removed, version),
            Delta::Full { .. } => panic!("expected changes, got {d:?}"),
        }
    }

    #[test]
    fn a_track_in_two_sources_stays_until_both_are_unmarked() {
        let mut d = Downloads::new(100);
        d.mark("segue:playlist:a", ids(&["t1", "t2"]), 10)
            .unwrap_or_default();
        d.mark("segue:album:b", ids(&["t2", "t3"]), 10)
            .unwrap_or_default();
        assert_eq!(d.track_count(), 3);
        d.unmark("segue:playlist:a");
        assert_eq!(
            d.delta(None),
            Delta::Full {
                tracks: ids(&["t2", "t3"]),
                version: d.version()
            }
        );
        d.unmark("segue:album:b");
        assert_eq!(d.track_count(), 0);
    }

    #[test]
    fn a_downloaded_playlist_follows_its_edits_and_the_delta_says_exactly_what_changed() {
        let mut d = Downloads::new(100);
        d.mark("segue:playlist:a", ids(&["t1", "t2"]), 10)
            .unwrap_or_default();
        let v = d.version();
        d.source_changed("segue:playlist:a", ids(&["t2", "t3", "t4"]), 10)
            .unwrap_or_default();
        let (added, removed, version) = changes(d.delta(Some(v)));
        assert_eq!(added, ids(&["t3", "t4"]));
        assert_eq!(removed, ids(&["t1"]));
        assert_eq!(version, d.version());
        // Added and removed again after v: nothing to do for that track.
        let v2 = d.version();
        d.source_changed("segue:playlist:a", ids(&["t2", "t3", "t4", "t5"]), 10)
            .unwrap_or_default();
        d.source_changed("segue:playlist:a", ids(&["t2", "t3", "t4"]), 10)
            .unwrap_or_default();
        let (added, removed, _) = changes(d.delta(Some(v2)));
        assert!(added.is_empty());
        assert_eq!(
            removed,
            ids(&["t5"]),
            "the device may have fetched it in between"
        );
        // A source that is not marked is ignored.
        d.source_changed("segue:playlist:other", ids(&["x"]), 10)
            .unwrap_or_default();
        assert_eq!(d.track_count(), 3);
    }

    #[test]
    fn the_limit_names_itself_and_changes_nothing() {
        let mut d = Downloads::new(100);
        d.mark("segue:album:a", ids(&["t1", "t2"]), 3)
            .unwrap_or_default();
        let before = d.clone();
        let e = d.mark("segue:album:b", ids(&["t3", "t4"]), 3);
        assert_eq!(
            e,
            Err(OfflineError::TooManyTracks {
                limit: 3,
                would_be: 4
            })
        );
        assert_eq!(d, before);
        // Shared tracks do not count twice.
        assert!(d.mark("segue:album:c", ids(&["t1", "t3"]), 3).is_ok());
    }

    #[test]
    fn a_device_behind_the_kept_log_gets_the_full_manifest() {
        let mut d = Downloads::new(3);
        for i in 0..10 {
            d.mark(&format!("segue:track:t{i}"), ids(&[&format!("t{i}")]), 100)
                .unwrap_or_default();
        }
        assert!(matches!(d.delta(Some(1)), Delta::Full { .. }));
        assert!(
            matches!(d.delta(Some(999)), Delta::Full { .. }),
            "a version from the future"
        );
        let (added, _, _) = changes(d.delta(Some(8)));
        assert_eq!(added, ids(&["t8", "t9"]));
        let (added, removed, _) = changes(d.delta(Some(d.version())));
        assert!(added.is_empty() && removed.is_empty());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;
        use std::collections::BTreeSet;

        #[derive(Debug, Clone)]
        enum Step {
            Mark(u8, Vec<u8>),
            Unmark(u8),
            Changed(u8, Vec<u8>),
        }

        fn step() -> impl Strategy<Value = Step> {
            let tracks = proptest::collection::vec(0u8..12, 0..6);
            prop_oneof![
                (0u8..4, tracks.clone()).prop_map(|(s, t)| Step::Mark(s, t)),
                (0u8..4).prop_map(Step::Unmark),
                (0u8..4, tracks).prop_map(|(s, t)| Step::Changed(s, t)),
            ]
        }

        proptest! {
            /// Downloaded tracks are always the union of the marked sources' tracks, and a
            /// device at any earlier version that applies the delta ends with exactly them.
            #[test]
            fn deltas_bring_any_earlier_device_to_the_union(steps in proptest::collection::vec(step(), 1..40)) {
                let mut d = Downloads::new(8);
                let mut snapshots: Vec<(u64, BTreeSet<String>)> = vec![(0, BTreeSet::new())];
                for s in steps {
                    let tracks = |t: &[u8]| t.iter().map(|x| format!("t{x}")).collect::<Vec<_>>();
                    let _ = match &s {
                        Step::Mark(src, t) => d.mark(&format!("s{src}"), tracks(t), 8),
                        Step::Unmark(src) => { d.unmark(&format!("s{src}")); Ok(()) }
                        Step::Changed(src, t) => d.source_changed(&format!("s{src}"), tracks(t), 8),
                    };
                    let union: BTreeSet<String> = d.sources.values().flatten().cloned().collect();
                    let held: BTreeSet<String> = d.tracks.keys().cloned().collect();
                    prop_assert_eq!(&held, &union);
                    prop_assert!(held.len() <= 8 || matches!(s, Step::Changed(..)));
                    snapshots.push((d.version(), held));
                }
                let now: BTreeSet<String> = d.tracks.keys().cloned().collect();
                for (v, had) in &snapshots {
                    let synced: BTreeSet<String> = match d.delta(Some(*v)) {
                        Delta::Full { tracks, .. } => tracks.into_iter().collect(),
                        Delta::Changes { added, removed, .. } => {
                            let mut s = had.clone();
                            for r in removed { s.remove(&r); }
                            s.extend(added);
                            s
                        }
                    };
                    prop_assert_eq!(&synced, &now, "from version {}", v);
                }
            }
        }
    }
}
