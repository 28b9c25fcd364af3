//! The recommender against its baselines on synthetic listening (`listening.rs`): the last 20% of
//! each listener's plays held out, recall@30, NDCG@30 and coverage of the item–item model, of
//! most-popular and of random. Shared by the quality test and `benches/recs.rs`.

use super::listening::{generate, Shape, World, MS_COUNTED};
use crate::domain::recommendations::eval::{evaluate, holdout_last, EvalPlay, Scores, Split};
use crate::domain::recommendations::{train, Model, Params};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashSet};

pub struct Report {
    pub model: Scores,
    pub popular: Scores,
    pub random: Scores,
}

pub fn eval_plays(world: &World) -> Vec<EvalPlay> {
    world
        .plays
        .iter()
        .map(|p| EvalPlay {
            user: p.user,
            item: p.item,
            at_ms: p.at_ms,
            counted: p.ms_played >= MS_COUNTED,
        })
        .collect()
}

/// Trains on the split's training plays (sessions of counted plays) and the playlists.
pub fn model_for(world: &World, split: &Split) -> Model {
    let genre_of: Vec<u16> = world.tracks.iter().map(|t| t.genre).collect();
    let counted: HashSet<(u32, u32, i64)> = world
        .plays
        .iter()
        .filter(|p| p.ms_played >= MS_COUNTED)
        .map(|p| (p.user, p.item, p.at_ms))
        .collect();
    let mut sessions: BTreeMap<(u32, i64), Vec<u32>> = BTreeMap::new();
    for p in &split.train {
        if counted.contains(&(p.user, p.item, p.at_ms)) {
            // A session is one listener's half-day.
            sessions
                .entry((p.user, p.at_ms / 43_200_000))
                .or_default()
                .push(p.item);
        }
    }
    let playlists: Vec<&[u32]> = world
        .playlists
        .iter()
        .map(|(_, items)| items.as_slice())
        .collect();
    train(
        &genre_of,
        sessions.values().map(|v| v.as_slice()),
        playlists,
        Params::default(),
    )
}

pub fn compare(shape: Shape) -> Report {
    let world = generate(shape);
    let split = holdout_last(&eval_plays(&world), 0.2);
    let model = model_for(&world, &split);
    let genre_of: Vec<u16> = world.tracks.iter().map(|t| t.genre).collect();
    let n = world.tracks.len();
    let mut history: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in &split.train {
        if p.counted {
            history.entry(p.user).or_default().push(p.item);
        }
    }
    let empty = HashSet::new();
    let played = |u: u32| split.played.get(&u).unwrap_or(&empty);
    let k = 30;
    let scores = evaluate(&split, n, k, |u| {
        let h = history.get(&u).map(|v| v.as_slice()).unwrap_or(&[]);
        model.for_listener(h, &genre_of, played(u), k)
    });
    let popular = evaluate(&split, n, k, |u| {
        let seen = played(u);
        model
            .popular
            .iter()
            .copied()
            .filter(|i| !seen.contains(i))
            .take(k)
            .collect()
    });
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let random = evaluate(&split, n, k, |u| {
        let seen = played(u);
        let mut out = Vec::new();
        while out.len() < k {
            let i = rng.gen_range(0..n as u32);
            if !seen.contains(&i) && !out.contains(&i) {
                out.push(i);
            }
        }
        out
    });
    Report {
        model: scores,
        popular,
        random,
    }
}
