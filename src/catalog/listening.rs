//! Synthetic listening histories with a taste structure, so that evaluating a recommender means
//! something: a shuffle of popular tracks must lose against a model that learns taste.
//!
//! - A catalog of artists (one genre each, Zipf popularity) and their tracks (Zipf within the
//!   artist).
//! - Listeners with one to three favourite genres (weighted), favourite artists drawn from them by
//!   popularity, and an appetite for exploring.
//! - Listening sessions: a genre from the listener's taste, then tracks of favourite artists,
//!   popular tracks of that genre, and now and then anything popular; tracks outside the
//!   listener's genres are mostly skipped before 30 s.
//! - Playlists built from taste.
//!
//! Deterministic for a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub type Item = u32;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub users: u32,
    pub tracks: u32,
    pub artists: u32,
    pub genres: u16,
    pub sessions_per_user: u32,
    pub tracks_per_session: u32,
    pub playlists_per_user: u32,
    pub seed: u64,
}

impl Shape {
    /// Small enough for a unit test, large enough for the metrics to separate the methods.
    pub fn small() -> Shape {
        Shape {
            users: 400,
            tracks: 4_000,
            artists: 400,
            genres: 12,
            sessions_per_user: 12,
            tracks_per_session: 10,
            playlists_per_user: 1,
            seed: 7,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TrackMeta {
    pub artist: u32,
    pub genre: u16,
}

#[derive(Debug, Clone, Copy)]
pub struct SynthPlay {
    pub user: u32,
    pub item: Item,
    pub session: u32,
    pub at_ms: i64,
    pub ms_played: i64,
}

#[derive(Debug, Clone)]
pub struct Taste {
    pub genres: Vec<(u16, f64)>,
    pub artists: Vec<u32>,
    pub explore: f64,
}

pub struct World {
    pub tracks: Vec<TrackMeta>,
    pub users: Vec<Taste>,
    /// In time order per listener.
    pub plays: Vec<SynthPlay>,
    pub playlists: Vec<(u32, Vec<Item>)>,
}

/// Weighted choice by cumulative weights.
struct Picker<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T: Copy> Picker<T> {
    fn new(weighted: impl IntoIterator<Item = (T, f64)>) -> Picker<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut sum = 0.0;
        for (t, w) in weighted {
            sum += w.max(0.0);
            items.push(t);
            cumulative.push(sum);
        }
        Picker { items, cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> Option<T> {
        let total = *self.cumulative.last()?;
        let x = rng.gen::<f64>() * total;
        let i = self.cumulative.partition_point(|c| *c <= x);
        self.items.get(i.min(self.items.len() - 1)).copied()
    }
}

fn zipf(rank: u32, s: f64) -> f64 {
    1.0 / ((rank + 1) as f64).powf(s)
}

pub const MS_COUNTED: i64 = 30_000;
const DAY_MS: i64 = 86_400_000;

pub fn generate(shape: Shape) -> World {
    let mut rng = StdRng::seed_from_u64(shape.seed);
    let artists = shape.artists.max(1);
    let genres = shape.genres.max(1);
    let artist_genre: Vec<u16> = (0..artists).map(|_| rng.gen_range(0..genres)).collect();
    let artist_pop: Vec<f64> = (0..artists).map(|a| zipf(a, 0.8)).collect();
    let tracks: Vec<TrackMeta> = (0..shape.tracks)
        .map(|t| {
            let artist = t % artists;
            TrackMeta {
                artist,
                genre: artist_genre[artist as usize],
            }
        })
        .collect();
    let track_pop = |t: u32| artist_pop[(t % artists) as usize] * zipf(t / artists, 1.0);
    let mut by_artist: Vec<Vec<(Item, f64)>> = vec![Vec::new(); artists as usize];
    let mut by_genre: Vec<Vec<(Item, f64)>> = vec![Vec::new(); genres as usize];
    for (t, meta) in tracks.iter().enumerate() {
        let t = t as u32;
        by_artist[meta.artist as usize].push((t, track_pop(t)));
        by_genre[meta.genre as usize].push((t, track_pop(t)));
    }
    let artist_pickers: Vec<Picker<Item>> = by_artist.into_iter().map(Picker::new).collect();
    let genre_pickers: Vec<Picker<Item>> = by_genre.into_iter().map(Picker::new).collect();
    let anything = Picker::new((0..shape.tracks).map(|t| (t, track_pop(t))));
    let mut artists_of_genre: Vec<Vec<(u32, f64)>> = vec![Vec::new(); genres as usize];
    for a in 0..artists {
        artists_of_genre[artist_genre[a as usize] as usize].push((a, artist_pop[a as usize]));
    }

    let mut users = Vec::new();
    let mut plays = Vec::new();
    let mut playlists = Vec::new();
    for user in 0..shape.users {
        let n_genres = rng.gen_range(1..=3.min(genres as usize));
        let mut taste_genres: Vec<(u16, f64)> = Vec::new();
        while taste_genres.len() < n_genres {
            let g = rng.gen_range(0..genres);
            if !taste_genres.iter().any(|(x, _)| *x == g) {
                taste_genres.push((g, rng.gen_range(0.2..1.0)));
            }
        }
        let mut favourite_artists = Vec::new();
        for &(g, _) in &taste_genres {
            let picker = Picker::new(artists_of_genre[g as usize].iter().copied());
            for _ in 0..rng.gen_range(3..8) {
                if let Some(a) = picker.pick(&mut rng) {
                    if !favourite_artists.contains(&a) {
                        favourite_artists.push(a);
                    }
                }
            }
        }
        let taste = Taste {
            genres: taste_genres,
            artists: favourite_artists,
            explore: rng.gen_range(0.03..0.2),
        };
        let genre_picker = Picker::new(taste.genres.iter().copied());
        // The listener's favourite artists of one genre.
        let favourites_in = |taste: &Taste, g: u16| -> Vec<u32> {
            taste
                .artists
                .iter()
                .copied()
                .filter(|a| artist_genre[*a as usize] == g)
                .collect()
        };
        for session in 0..shape.sessions_per_user {
            let Some(g) = genre_picker.pick(&mut rng) else {
                break;
            };
            let favs = favourites_in(&taste, g);
            let len =
                rng.gen_range(shape.tracks_per_session / 2..=shape.tracks_per_session * 3 / 2);
            for pos in 0..len.max(1) {
                let roll = rng.gen::<f64>();
                let item = if roll < taste.explore {
                    anything.pick(&mut rng)
                } else if roll < 0.65 && !favs.is_empty() {
                    let a = favs[rng.gen_range(0..favs.len())];
                    artist_pickers[a as usize].pick(&mut rng)
                } else {
                    genre_pickers[g as usize].pick(&mut rng)
                };
                let Some(item) = item else { continue };
                let liked = taste
                    .genres
                    .iter()
                    .any(|(x, _)| *x == tracks[item as usize].genre);
                let skip = rng.gen::<f64>() < if liked { 0.12 } else { 0.7 };
                let ms_played = if skip {
                    rng.gen_range(1_000..MS_COUNTED)
                } else {
                    rng.gen_range(MS_COUNTED..240_000)
                };
                plays.push(SynthPlay {
                    user,
                    item,
                    session: session + user * shape.sessions_per_user,
                    at_ms: session as i64 * DAY_MS / 2 + pos as i64 * 200_000,
                    ms_played,
                });
            }
        }
        for _ in 0..shape.playlists_per_user {
            let Some(g) = genre_picker.pick(&mut rng) else {
                break;
            };
            let favs = favourites_in(&taste, g);
            let mut items = Vec::new();
            for _ in 0..15 {
                let item = if !favs.is_empty() && rng.gen::<f64>() < 0.7 {
                    artist_pickers[favs[rng.gen_range(0..favs.len())] as usize].pick(&mut rng)
                } else {
                    genre_pickers[g as usize].pick(&mut rng)
                };
                if let Some(i) = item {
                    if !items.contains(&i) {
                        items.push(i);
                    }
                }
            }
            playlists.push((user, items));
        }
        users.push(taste);
    }
    World {
        tracks,
        users,
        plays,
        playlists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world_and_taste_shows_in_the_plays() {
        let a = generate(Shape::small());
        let b = generate(Shape::small());
        assert_eq!(a.plays.len(), b.plays.len());
        assert!(a.plays.iter().zip(&b.plays).all(|(x, y)| x.item == y.item));
        // Most counted plays are in the listener's genres.
        let counted: Vec<&SynthPlay> = a
            .plays
            .iter()
            .filter(|p| p.ms_played >= MS_COUNTED)
            .collect();
        let in_taste = counted
            .iter()
            .filter(|p| {
                let g = a.tracks[p.item as usize].genre;
                a.users[p.user as usize].genres.iter().any(|(x, _)| *x == g)
            })
            .count();
        assert!(
            in_taste * 10 > counted.len() * 9,
            "{in_taste} of {}",
            counted.len()
        );
        assert!(
            a.plays.iter().any(|p| p.ms_played < MS_COUNTED),
            "some plays are skips"
        );
    }
}
