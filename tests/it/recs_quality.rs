//! The recommender against its baselines on synthetic listening with a taste structure: the last
//! 20% of each listener's plays are held out; recall@30 and NDCG@30 of the item–item model must
//! beat most-popular by 2× and random by far. (The larger runs and their timings are in
//! `benches/recs.rs`.)

use rand::{Rng, SeedableRng};
use segue::catalog::listening::{generate, Shape, World, MS_COUNTED};
use segue::domain::recommendations::eval::{evaluate, holdout_last, EvalPlay, Scores, Split};
use segue::domain::recommendations::{train, Model, Params};
use std::collections::{BTreeMap, HashSet};

pub struct Report {
    pub model: Scores,
    pub popular: Scores,
    pub random: Scores,
}

fn eval_plays(world: &World) -> Vec<EvalPlay> {
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
fn model_for(world: &World, split: &Split) -> Model {
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

#[test]
fn item_item_beats_most_popular_twice_and_random_by_far() {
    let r = compare(Shape::small());
    println!(
        "model {:?}\npopular {:?}\nrandom {:?}",
        r.model, r.popular, r.random
    );
    assert!(
        r.model.users > 100,
        "too few listeners with targets: {}",
        r.model.users
    );
    assert!(
        r.model.recall >= 2.0 * r.popular.recall,
        "recall@30: model {:.4} vs popular {:.4}",
        r.model.recall,
        r.popular.recall
    );
    assert!(
        r.model.ndcg > r.popular.ndcg,
        "{:?} vs {:?}",
        r.model,
        r.popular
    );
    assert!(
        r.model.recall > 5.0 * r.random.recall,
        "{:?} vs {:?}",
        r.model,
        r.random
    );
    assert!(
        r.model.coverage > r.popular.coverage,
        "the model reaches more of the catalog"
    );
}
