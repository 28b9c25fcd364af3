//! Recommendations, pure rules: item–item similarity from co-occurrence in listening sessions
//! and playlists, scoring for a listener, and the offline evaluation that measures them against
//! the most-popular and random baselines.

pub mod eval;
pub mod made_for_you;
pub mod radio;
pub mod recommend;
pub mod similarity;

use recommend::{recommend, seeds_from_history};
use similarity::{CoOccurrence, Item, Neighbours, Window};
use std::collections::HashSet;

/// The knobs of the model; the defaults are the ones the evaluation chose.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Neighbours kept per track.
    pub neighbours: usize,
    /// Significance shrinkage of the similarity.
    pub shrink: f32,
    pub window: Window,
    /// A playlist is a deliberate grouping: it weighs more than one listening session.
    pub playlist_weight: f32,
    /// Recent tracks of a listener used as seeds.
    pub seeds: usize,
    /// Half-life of a seed's weight, in plays.
    pub half_life: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            neighbours: 100,
            shrink: 10.0,
            window: Window { span: 10 },
            playlist_weight: 2.0,
            seeds: 50,
            half_life: 25.0,
        }
    }
}

/// Precomputed neighbours plus popularity, overall and per genre (the cold-start fill).
pub struct Model {
    pub neighbours: Neighbours,
    pub popular: Vec<Item>,
    pub popular_by_genre: Vec<Vec<Item>>,
    pub params: Params,
}

/// Builds a model from baskets: listening sessions (counted plays, in order) and playlists.
/// `genre_of[item]` gives each track's genre index.
pub fn train<'a>(
    genre_of: &[u16],
    sessions: impl IntoIterator<Item = &'a [Item]>,
    playlists: impl IntoIterator<Item = &'a [Item]>,
    params: Params,
) -> Model {
    let mut co = CoOccurrence::new();
    let mut plays = vec![0u32; genre_of.len()];
    for s in sessions {
        for &i in s {
            if let Some(n) = plays.get_mut(i as usize) {
                *n += 1;
            }
        }
        co.add_basket(s, 1.0, params.window);
    }
    for p in playlists {
        co.add_basket(p, params.playlist_weight, params.window);
    }
    let mut popular: Vec<Item> = (0..genre_of.len() as Item).collect();
    popular.sort_by_key(|&i| (std::cmp::Reverse(plays[i as usize]), i));
    let genres = genre_of.iter().copied().max().map_or(0, |g| g as usize + 1);
    let mut popular_by_genre = vec![Vec::new(); genres];
    for &i in &popular {
        if let Some(list) = popular_by_genre.get_mut(genre_of[i as usize] as usize) {
            if list.len() < 500 {
                list.push(i);
            }
        }
    }
    Model {
        neighbours: co.neighbours(params.neighbours, params.shrink),
        popular,
        popular_by_genre,
        params,
    }
}

impl Model {
    /// Up to `k` tracks for a listener from their plays (oldest first), none of `exclude`; the
    /// fill is the popular tracks of the genres they play most.
    pub fn for_listener(
        &self,
        history: &[Item],
        genre_of: &[u16],
        exclude: &HashSet<Item>,
        k: usize,
    ) -> Vec<Item> {
        let seeds = seeds_from_history(history, self.params.seeds, self.params.half_life);
        let mut genre_weight = vec![0.0f32; self.popular_by_genre.len()];
        for s in &seeds {
            if let Some(w) = genre_of
                .get(s.item as usize)
                .and_then(|g| genre_weight.get_mut(*g as usize))
            {
                *w += s.weight;
            }
        }
        let mut genres: Vec<usize> = (0..genre_weight.len())
            .filter(|g| genre_weight[*g] > 0.0)
            .collect();
        genres.sort_by(|a, b| genre_weight[*b].total_cmp(&genre_weight[*a]));
        let mut fill: Vec<Item> = genres
            .iter()
            .flat_map(|g| self.popular_by_genre[*g].iter().take(k * 2).copied())
            .collect();
        fill.extend(self.popular.iter().take(k * 2).copied());
        recommend(&self.neighbours, &seeds, exclude, &fill, k)
    }
}
