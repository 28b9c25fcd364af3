//! Radio and related artists, from the same neighbours.
//!
//! A radio station is seeded by a track, an artist (their most played tracks) or a playlist (its
//! tracks). It refills a few tracks at a time as it plays: the seeds' neighbours first, then the
//! neighbours of what the station played and the listener let play, never a track the station
//! already played, never one the listener skipped within 30 s, and not more than two tracks of
//! one artist in a row, so a station does not turn into one artist's discography.

use super::similarity::{Item, Neighbours};
use std::collections::{HashMap, HashSet};

/// What a station remembers between refills.
#[derive(Debug, Clone, Default)]
pub struct Station {
    pub seeds: Vec<Item>,
    /// Everything the station queued so far, in order.
    pub played: Vec<Item>,
    /// Tracks the listener skipped within 30 s: never again on this station, and they do not
    /// vote.
    pub skipped: HashSet<Item>,
}

/// How far the station's recent plays steer it: the seeds always count fully, the last
/// `STEER` tracks that were not skipped count half.
const STEER: usize = 10;
/// At most this many tracks of one artist in a row.
const SAME_ARTIST_RUN: usize = 2;

impl Station {
    pub fn new(seeds: Vec<Item>) -> Station {
        Station {
            seeds,
            ..Station::default()
        }
    }

    /// The next `n` tracks (fewer only when the neighbours and `fallback` run out); they are
    /// remembered as played.
    pub fn refill(
        &mut self,
        neighbours: &Neighbours,
        artist_of: &dyn Fn(Item) -> Option<u32>,
        fallback: &[Item],
        n: usize,
    ) -> Vec<Item> {
        let mut votes: HashMap<Item, f32> = HashMap::new();
        let recent: Vec<Item> = self
            .played
            .iter()
            .rev()
            .filter(|i| !self.skipped.contains(i))
            .take(STEER)
            .copied()
            .collect();
        let voters = self
            .seeds
            .iter()
            .map(|s| (*s, 1.0f32))
            .chain(recent.iter().map(|s| (*s, 0.5f32)));
        let seen: HashSet<Item> = self
            .played
            .iter()
            .chain(self.seeds.iter())
            .chain(self.skipped.iter())
            .copied()
            .collect();
        for (voter, weight) in voters {
            for (item, sim) in neighbours.of(voter) {
                if !seen.contains(&item) {
                    *votes.entry(item).or_insert(0.0) += weight * sim;
                }
            }
        }
        let mut ranked: Vec<(Item, f32)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let candidates = ranked
            .into_iter()
            .map(|(i, _)| i)
            .chain(fallback.iter().copied().filter(|i| !seen.contains(i)));
        let mut out: Vec<Item> = Vec::with_capacity(n);
        let mut held_back: Vec<Item> = Vec::new();
        for item in candidates {
            if out.len() >= n {
                break;
            }
            if out.contains(&item) {
                continue;
            }
            if self.run_of(artist_of, &out, item) >= SAME_ARTIST_RUN {
                held_back.push(item);
                continue;
            }
            out.push(item);
        }
        // Better one artist again than a station that stops.
        for item in held_back {
            if out.len() >= n {
                break;
            }
            if !out.contains(&item) {
                out.push(item);
            }
        }
        self.played.extend(&out);
        out
    }

    /// How many tracks in a row, ending the station's list (played, then `pending`), are by
    /// `item`'s artist.
    fn run_of(
        &self,
        artist_of: &dyn Fn(Item) -> Option<u32>,
        pending: &[Item],
        item: Item,
    ) -> usize {
        let Some(artist) = artist_of(item) else {
            return 0;
        };
        self.played
            .iter()
            .chain(pending.iter())
            .rev()
            .take_while(|i| artist_of(**i) == Some(artist))
            .count()
    }
}

/// Artists related to `artist`: the artists of its tracks' neighbours, weighted by similarity,
/// best first, never the artist itself.
pub fn related_artists(
    neighbours: &Neighbours,
    tracks_of_artist: &[Item],
    artist_of: &dyn Fn(Item) -> Option<u32>,
    artist: u32,
    limit: usize,
) -> Vec<u32> {
    let mut votes: HashMap<u32, f32> = HashMap::new();
    for &t in tracks_of_artist {
        for (n, sim) in neighbours.of(t) {
            if let Some(a) = artist_of(n).filter(|a| *a != artist) {
                *votes.entry(a).or_insert(0.0) += sim;
            }
        }
    }
    let mut ranked: Vec<(u32, f32)> = votes.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(limit).map(|(a, _)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::super::similarity::{CoOccurrence, Window};
    use super::*;

    /// Tracks 0..30; artist = track / 3; listeners play runs of ten neighbouring tracks.
    fn model() -> Neighbours {
        let mut co = CoOccurrence::new();
        for start in 0..20 {
            let basket: Vec<Item> = (start..start + 10).collect();
            co.add_basket(&basket, 1.0, Window { span: 10 });
        }
        co.neighbours(30, 1.0)
    }

    fn artist(i: Item) -> Option<u32> {
        Some(i / 3)
    }

    #[test]
    fn a_station_refills_without_repeats_or_skipped_tracks() {
        let nb = model();
        let mut station = Station::new(vec![10]);
        let first = station.refill(&nb, &artist, &[], 5);
        assert_eq!(first.len(), 5);
        station.skipped.insert(first[0]);
        let mut all = first.clone();
        for _ in 0..3 {
            let more = station.refill(&nb, &artist, &(0..30).collect::<Vec<_>>(), 5);
            assert!(!more.contains(&first[0]), "a skipped track came back");
            all.extend(more);
        }
        let distinct: HashSet<Item> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "a repeat: {all:?}");
        assert!(!all.contains(&10), "the seed itself is not replayed");
    }

    #[test]
    fn a_station_avoids_long_runs_of_one_artist() {
        let nb = model();
        let mut station = Station::new(vec![10]);
        let list = station.refill(&nb, &artist, &[], 12);
        let longest = list
            .windows(SAME_ARTIST_RUN + 1)
            .filter(|w| w.iter().all(|i| artist(*i) == artist(w[0])))
            .count();
        assert_eq!(longest, 0, "{list:?}");
    }

    #[test]
    fn related_artists_are_the_neighbours_artists() {
        let nb = model();
        let related = related_artists(&nb, &[15, 16, 17], &artist, 5, 3);
        assert_eq!(related.len(), 3);
        assert!(!related.contains(&5));
        // Neighbouring runs: artists 4 and 6 are the closest.
        assert!(related.contains(&4) && related.contains(&6), "{related:?}");
    }
}
