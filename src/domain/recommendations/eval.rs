//! Offline evaluation: hold out the last plays of every listener, recommend from the rest, and
//! count how many held-out tracks come back.
//!
//! - The split: per listener, plays sorted by time; the last `holdout` fraction is the test
//!   part. Only plays that counted (30 s or more) are positives.
//! - Targets: the distinct test tracks the listener had not played in the training part (the
//!   question is "what will they discover", which is what Discover Weekly and radio answer).
//! - recall@k = hits / |targets|; NDCG@k with binary relevance; coverage = distinct tracks
//!   recommended to anyone / tracks in the catalog.

use super::similarity::Item;
use std::collections::{HashMap, HashSet};

/// One play as the evaluation sees it.
#[derive(Debug, Clone, Copy)]
pub struct EvalPlay {
    pub user: u32,
    pub item: Item,
    pub at_ms: i64,
    pub counted: bool,
}

pub struct Split {
    /// Training plays of every listener (all of them, counted or not), in time order.
    pub train: Vec<EvalPlay>,
    /// Per listener: held-out tracks they had not played in training.
    pub targets: HashMap<u32, HashSet<Item>>,
    /// Per listener: every track played in training.
    pub played: HashMap<u32, HashSet<Item>>,
}

/// Splits by listener and time.
pub fn holdout_last(plays: &[EvalPlay], holdout: f64) -> Split {
    let mut by_user: HashMap<u32, Vec<EvalPlay>> = HashMap::new();
    for p in plays {
        by_user.entry(p.user).or_default().push(*p);
    }
    let mut train = Vec::new();
    let mut targets = HashMap::new();
    let mut played = HashMap::new();
    let mut users: Vec<u32> = by_user.keys().copied().collect();
    users.sort_unstable();
    for user in users {
        let mut ps = by_user.remove(&user).unwrap_or_default();
        ps.sort_by_key(|p| p.at_ms);
        let cut = ((ps.len() as f64) * (1.0 - holdout)).round() as usize;
        let (head, tail) = ps.split_at(cut.min(ps.len()));
        let seen: HashSet<Item> = head.iter().map(|p| p.item).collect();
        let wanted: HashSet<Item> = tail
            .iter()
            .filter(|p| p.counted && !seen.contains(&p.item))
            .map(|p| p.item)
            .collect();
        if !wanted.is_empty() {
            targets.insert(user, wanted);
        }
        played.insert(user, seen);
        train.extend_from_slice(head);
    }
    Split {
        train,
        targets,
        played,
    }
}

pub fn recall_at(recs: &[Item], targets: &HashSet<Item>, k: usize) -> f64 {
    if targets.is_empty() {
        return 0.0;
    }
    let hits = recs.iter().take(k).filter(|i| targets.contains(i)).count();
    hits as f64 / targets.len() as f64
}

pub fn ndcg_at(recs: &[Item], targets: &HashSet<Item>, k: usize) -> f64 {
    let dcg: f64 = recs
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, i)| targets.contains(i))
        .map(|(rank, _)| 1.0 / ((rank + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..targets.len().min(k))
        .map(|rank| 1.0 / ((rank + 2) as f64).log2())
        .sum();
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

/// The figures of one recommender.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub recall: f64,
    pub ndcg: f64,
    pub coverage: f64,
    pub users: usize,
}

/// Runs `recommend(user)` for every listener with targets and averages the metrics.
pub fn evaluate(
    split: &Split,
    catalog_size: usize,
    k: usize,
    mut recommend: impl FnMut(u32) -> Vec<Item>,
) -> Scores {
    let mut users: Vec<u32> = split.targets.keys().copied().collect();
    users.sort_unstable();
    let (mut recall, mut ndcg) = (0.0, 0.0);
    let mut shown: HashSet<Item> = HashSet::new();
    for &user in &users {
        let recs = recommend(user);
        let targets = &split.targets[&user];
        recall += recall_at(&recs, targets, k);
        ndcg += ndcg_at(&recs, targets, k);
        shown.extend(recs.iter().take(k));
    }
    let n = users.len().max(1) as f64;
    Scores {
        recall: recall / n,
        ndcg: ndcg / n,
        coverage: shown.len() as f64 / catalog_size.max(1) as f64,
        users: users.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(user: u32, item: Item, at_ms: i64) -> EvalPlay {
        EvalPlay {
            user,
            item,
            at_ms,
            counted: true,
        }
    }

    #[test]
    fn the_last_fifth_is_held_out_and_only_new_tracks_are_targets() {
        let plays: Vec<EvalPlay> = (0..10).map(|i| play(1, i % 6, i as i64)).collect();
        let split = holdout_last(&plays, 0.2);
        assert_eq!(split.train.len(), 8);
        // Items 8 % 6 = 2 and 9 % 6 = 3 were already played in training: no targets.
        assert!(!split.targets.contains_key(&1));
        let plays: Vec<EvalPlay> = (0..10).map(|i| play(2, i, i as i64)).collect();
        let split = holdout_last(&plays, 0.2);
        assert_eq!(split.targets[&2], [8, 9].into_iter().collect());
    }

    #[test]
    fn metrics_count_hits_and_rank() {
        let targets: HashSet<Item> = [1, 2].into_iter().collect();
        assert_eq!(recall_at(&[1, 5, 2], &targets, 30), 1.0);
        assert_eq!(recall_at(&[1, 5, 2], &targets, 1), 0.5);
        assert!((ndcg_at(&[1, 2], &targets, 30) - 1.0).abs() < 1e-9);
        assert!(ndcg_at(&[5, 1], &targets, 30) < ndcg_at(&[1, 5], &targets, 30));
        assert_eq!(ndcg_at(&[5, 6], &targets, 30), 0.0);
    }
}
