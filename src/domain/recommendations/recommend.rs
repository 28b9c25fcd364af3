//! Scoring candidates for one listener from precomputed neighbours.
//!
//! Each seed (a recent play, a like, a seed track of a request) votes for its neighbours with
//! its weight times their similarity; what the listener already has is excluded; when the seeds
//! do not reach far enough (a new listener, rare tracks), popular tracks of the listener's genres
//! fill the list, so the answer is never empty when the catalog is not.

use super::similarity::{Item, Neighbours};
use std::collections::{HashMap, HashSet};

/// A seed and how much it counts (recency, like, explicit seed).
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    pub item: Item,
    pub weight: f32,
}

/// Up to `k` items for the seeds, best first, none of them in `exclude`; `fallback` (best
/// first) fills what similarity does not reach.
pub fn recommend(
    neighbours: &Neighbours,
    seeds: &[Seed],
    exclude: &HashSet<Item>,
    fallback: &[Item],
    k: usize,
) -> Vec<Item> {
    let mut scores: HashMap<Item, f32> = HashMap::new();
    for seed in seeds {
        for (item, sim) in neighbours.of(seed.item) {
            if !exclude.contains(&item) {
                *scores.entry(item).or_insert(0.0) += seed.weight * sim;
            }
        }
    }
    let mut ranked: Vec<(Item, f32)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<Item> = ranked.into_iter().take(k).map(|(i, _)| i).collect();
    if out.len() < k {
        let mut taken: HashSet<Item> = out.iter().copied().collect();
        for &item in fallback {
            if out.len() >= k {
                break;
            }
            if !exclude.contains(&item) && taken.insert(item) {
                out.push(item);
            }
        }
    }
    out
}

/// Seeds from a listener's plays, most recent last: the last `max` distinct tracks, the newest
/// weighing most (half-life `half_life` plays), a track played often weighing more.
pub fn seeds_from_history(plays: &[Item], max: usize, half_life: f32) -> Vec<Seed> {
    let mut weights: HashMap<Item, f32> = HashMap::new();
    let mut order: Vec<Item> = Vec::new();
    for (age, &item) in plays.iter().rev().enumerate() {
        let w = 0.5f32.powf(age as f32 / half_life.max(1.0));
        if let Some(sum) = weights.get_mut(&item) {
            *sum += w;
        } else if order.len() < max {
            weights.insert(item, w);
            order.push(item);
        }
    }
    order
        .into_iter()
        .take(max)
        .map(|item| Seed {
            item,
            weight: weights.get(&item).copied().unwrap_or(0.0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::similarity::{CoOccurrence, Window};
    use super::*;

    fn model() -> Neighbours {
        let mut co = CoOccurrence::new();
        for _ in 0..10 {
            co.add_basket(&[0, 1, 2, 3], 1.0, Window::default());
            co.add_basket(&[10, 11, 12], 1.0, Window::default());
        }
        co.neighbours(20, 2.0)
    }

    #[test]
    fn recommends_the_neighbours_of_the_seeds_and_never_what_is_excluded() {
        let nb = model();
        let exclude: HashSet<Item> = [0, 1].into_iter().collect();
        let seeds = [
            Seed {
                item: 0,
                weight: 1.0,
            },
            Seed {
                item: 1,
                weight: 1.0,
            },
        ];
        let recs = recommend(&nb, &seeds, &exclude, &[], 5);
        assert_eq!(recs.len(), 2);
        assert!(recs.contains(&2) && recs.contains(&3));
        assert!(!recs.iter().any(|i| exclude.contains(i)));
    }

    #[test]
    fn the_fallback_fills_what_similarity_does_not_reach() {
        let nb = model();
        let recs = recommend(&nb, &[], &HashSet::new(), &[10, 10, 11, 42], 3);
        assert_eq!(recs, vec![10, 11, 42]);
        let recs = recommend(
            &nb,
            &[Seed {
                item: 0,
                weight: 1.0,
            }],
            &HashSet::new(),
            &[1, 50],
            4,
        );
        assert_eq!(recs.len(), 4);
        assert_eq!(recs.iter().filter(|i| **i == 1).count(), 1, "no duplicates");
    }

    #[test]
    fn recent_and_repeated_plays_weigh_most() {
        let seeds = seeds_from_history(&[5, 6, 7, 7], 10, 2.0);
        let w = |i| {
            seeds
                .iter()
                .find(|s| s.item == i)
                .map(|s| s.weight)
                .unwrap_or(0.0)
        };
        assert!(w(7) > w(6) && w(6) > w(5));
        assert_eq!(seeds_from_history(&[1, 2, 3, 4, 5], 2, 2.0).len(), 2);
    }
}
