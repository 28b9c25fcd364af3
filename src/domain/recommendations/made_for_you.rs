//! The made-for-you playlists, pure: Discover Weekly, Release Radar and the Daily Mixes.
//!
//! - **Discover Weekly**: 30 tracks the listener has never played, from the model, at most two
//!   per artist so that it is a discovery and not one artist's catalogue.
//! - **Release Radar**: tracks of releases newer than the last run, by artists the listener
//!   follows or plays often, followed artists first, newest first.
//! - **Daily Mix 1–6**: the listener's most played tracks grouped by genre (the groups they play
//!   most, up to six); each mix is some of their favourites of that group interleaved with
//!   recommendations seeded by them, from the same group.

use super::recommend::{recommend, Seed};
use super::similarity::{Item, Neighbours};
use std::collections::{BTreeMap, HashMap, HashSet};

pub const DISCOVER_WEEKLY_LEN: usize = 30;
pub const PER_ARTIST_IN_DISCOVERY: usize = 2;
pub const DAILY_MIXES: usize = 6;
pub const DAILY_MIX_LEN: usize = 50;

/// Discover Weekly from the listener's seeds; nothing in `played` ever appears.
pub fn discover_weekly(
    neighbours: &Neighbours,
    seeds: &[Seed],
    played: &HashSet<Item>,
    fallback: &[Item],
    artist_of: &dyn Fn(Item) -> Option<u32>,
) -> Vec<Item> {
    // Ask for more than needed: the per-artist cap drops some.
    let pool = recommend(neighbours, seeds, played, fallback, DISCOVER_WEEKLY_LEN * 4);
    let mut per_artist: HashMap<u32, usize> = HashMap::new();
    let mut out = Vec::with_capacity(DISCOVER_WEEKLY_LEN);
    for item in pool {
        if out.len() >= DISCOVER_WEEKLY_LEN {
            break;
        }
        let n = artist_of(item).map(|a| per_artist.entry(a).or_insert(0));
        match n {
            Some(n) if *n >= PER_ARTIST_IN_DISCOVERY => continue,
            Some(n) => *n += 1,
            None => {}
        }
        out.push(item);
    }
    out
}

/// A release the radar may pick from.
#[derive(Debug, Clone)]
pub struct Release {
    pub tracks: Vec<Item>,
    pub artists: Vec<u32>,
    /// Release date as days since the epoch (or any increasing day number).
    pub day: i64,
}

/// Release Radar: tracks of releases strictly newer than `last_run_day` by followed artists
/// (first) or often-played ones, newest release first, at most `limit` tracks.
pub fn release_radar(
    releases: &[Release],
    followed: &HashSet<u32>,
    often_played: &HashSet<u32>,
    last_run_day: i64,
    limit: usize,
) -> Vec<Item> {
    let mut picked: Vec<(bool, i64, &Release)> = releases
        .iter()
        .filter(|r| r.day > last_run_day)
        .filter_map(|r| {
            let follows = r.artists.iter().any(|a| followed.contains(a));
            let plays = r.artists.iter().any(|a| often_played.contains(a));
            (follows || plays).then_some((follows, r.day, r))
        })
        .collect();
    picked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut seen = HashSet::new();
    picked
        .into_iter()
        .flat_map(|(_, _, r)| r.tracks.iter().copied())
        .filter(|t| seen.insert(*t))
        .take(limit)
        .collect()
}

/// Up to six Daily Mixes from the listener's play counts. Each mix is labelled by its genre.
pub fn daily_mixes(
    neighbours: &Neighbours,
    play_counts: &HashMap<Item, u32>,
    genre_of: &dyn Fn(Item) -> Option<u16>,
) -> Vec<(u16, Vec<Item>)> {
    let mut by_genre: BTreeMap<u16, Vec<(Item, u32)>> = BTreeMap::new();
    for (&item, &n) in play_counts {
        if let Some(g) = genre_of(item) {
            by_genre.entry(g).or_default().push((item, n));
        }
    }
    let mut groups: Vec<(u16, Vec<(Item, u32)>)> = by_genre.into_iter().collect();
    // The genres played most first; a group needs a few favourites to seed a mix.
    groups.retain(|(_, g)| g.len() >= 3);
    groups.sort_by_key(|(g, items)| {
        (
            std::cmp::Reverse(items.iter().map(|x| x.1).sum::<u32>()),
            *g,
        )
    });
    groups.truncate(DAILY_MIXES);
    let mut mixes = Vec::new();
    for (genre, mut favourites) in groups {
        favourites.sort_by_key(|(i, n)| (std::cmp::Reverse(*n), *i));
        favourites.truncate(DAILY_MIX_LEN / 2);
        let seeds: Vec<Seed> = favourites
            .iter()
            .map(|(item, n)| Seed {
                item: *item,
                weight: *n as f32,
            })
            .collect();
        let known: HashSet<Item> = play_counts.keys().copied().collect();
        let fresh: Vec<Item> = recommend(neighbours, &seeds, &known, &[], DAILY_MIX_LEN * 2)
            .into_iter()
            .filter(|i| genre_of(*i) == Some(genre))
            .take(DAILY_MIX_LEN - favourites.len())
            .collect();
        // Favourites and new tracks alternate, so a mix is neither all known nor all new.
        let mut mix = Vec::with_capacity(DAILY_MIX_LEN);
        let mut fav = favourites.iter().map(|x| x.0);
        let mut new = fresh.into_iter();
        loop {
            let (a, b) = (fav.next(), new.next());
            if a.is_none() && b.is_none() {
                break;
            }
            mix.extend(a);
            mix.extend(b);
        }
        mixes.push((genre, mix));
    }
    mixes
}

#[cfg(test)]
mod tests {
    use super::super::similarity::{CoOccurrence, Window};
    use super::*;

    /// Tracks 0..40: genre = track / 20, artist = track / 4; listeners play runs within a genre.
    fn model() -> Neighbours {
        let mut co = CoOccurrence::new();
        for g in 0..2u32 {
            for start in 0..12u32 {
                let basket: Vec<Item> = (g * 20 + start..g * 20 + start + 8).collect();
                co.add_basket(&basket, 1.0, Window { span: 8 });
            }
        }
        co.neighbours(40, 1.0)
    }

    fn artist(i: Item) -> Option<u32> {
        Some(i / 4)
    }

    fn genre(i: Item) -> Option<u16> {
        Some((i / 20) as u16)
    }

    #[test]
    fn discover_weekly_has_nothing_played_and_few_per_artist() {
        let nb = model();
        let played: HashSet<Item> = (0..6).collect();
        let seeds: Vec<Seed> = (0..6).map(|item| Seed { item, weight: 1.0 }).collect();
        let fallback: Vec<Item> = (0..40).collect();
        let dw = discover_weekly(&nb, &seeds, &played, &fallback, &artist);
        assert!(!dw.is_empty());
        assert!(dw.iter().all(|i| !played.contains(i)), "{dw:?}");
        let mut per: HashMap<u32, usize> = HashMap::new();
        for i in &dw {
            *per.entry(i / 4).or_default() += 1;
        }
        assert!(
            per.values().all(|n| *n <= PER_ARTIST_IN_DISCOVERY),
            "{dw:?}"
        );
    }

    #[test]
    fn release_radar_has_only_newer_releases_followed_artists_first() {
        let r = |tracks: &[Item], artist: u32, day| Release {
            tracks: tracks.to_vec(),
            artists: vec![artist],
            day,
        };
        let releases = vec![
            r(&[1, 2], 1, 100),
            r(&[3], 2, 120),
            r(&[4], 3, 130),
            r(&[5], 1, 90),
            r(&[6], 9, 140),
        ];
        let followed: HashSet<u32> = [1].into_iter().collect();
        let often: HashSet<u32> = [2, 3].into_iter().collect();
        let radar = release_radar(&releases, &followed, &often, 95, 10);
        assert_eq!(
            radar,
            vec![1, 2, 4, 3],
            "followed first, then newest; nothing old or unrelated"
        );
        assert!(release_radar(&releases, &followed, &often, 200, 10).is_empty());
    }

    #[test]
    fn daily_mixes_group_by_genre_and_mix_favourites_with_new_tracks() {
        let nb = model();
        let counts: HashMap<Item, u32> =
            [(0, 9), (1, 8), (2, 7), (21, 3), (22, 3), (23, 2), (39, 1)]
                .into_iter()
                .collect();
        let mixes = daily_mixes(&nb, &counts, &genre);
        assert_eq!(
            mixes.len(),
            2,
            "genre 1 has three favourites, the lone 39 does not count"
        );
        assert_eq!(mixes[0].0, 0, "the genre played most comes first");
        for (g, mix) in &mixes {
            assert!(mix.iter().all(|i| genre(*i) == Some(*g)), "{mix:?}");
            assert!(mix.iter().any(|i| counts.contains_key(i)));
            assert!(
                mix.iter().any(|i| !counts.contains_key(i)),
                "new tracks too"
            );
        }
    }
}
