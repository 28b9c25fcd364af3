//! Item–item similarity from co-occurrence: two tracks are similar when the same people play
//! them in the same listening sessions and put them in the same playlists.
//!
//! A basket is one listening session (plays that counted, i.e. heard for 30 s or more) or one
//! playlist. Within a basket, tracks close to each other co-occur (a window, so a 500-track
//! playlist does not make 125,000 pairs). The score of a pair is a cosine of co-occurrence counts
//! with a significance weight, `c / (sqrt(n_i) * sqrt(n_j)) * c / (c + shrink)`: a pair seen
//! once between two rare tracks does not beat a pair seen fifty times between popular ones.
//! Requests only read the precomputed top-k neighbours of each track.

use std::collections::HashMap;

/// Dense item index (the position of a track in the model's table).
pub type Item = u32;

/// Accumulates co-occurrence counts; cheap to feed incrementally with new baskets.
#[derive(Default, Clone)]
pub struct CoOccurrence {
    /// Weighted count of baskets each item appears in.
    counts: Vec<f32>,
    /// Weighted co-occurrence of `(min, max)` pairs, keyed `min << 32 | max`.
    pairs: HashMap<u64, f32>,
}

/// How a basket is turned into pairs.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Tracks at most this far apart in a basket co-occur.
    pub span: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window { span: 10 }
    }
}

fn key(a: Item, b: Item) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    ((lo as u64) << 32) | hi as u64
}

impl CoOccurrence {
    pub fn new() -> CoOccurrence {
        CoOccurrence::default()
    }

    /// Adds one basket (its items in order; repeats count once) with a weight (e.g. playlists
    /// weigh more than a session, a session in a group room less).
    pub fn add_basket(&mut self, items: &[Item], weight: f32, window: Window) {
        let mut seen: Vec<Item> = Vec::with_capacity(items.len());
        for &i in items {
            if !seen.contains(&i) {
                seen.push(i);
            }
        }
        for (pos, &a) in seen.iter().enumerate() {
            let idx = a as usize;
            if self.counts.len() <= idx {
                self.counts.resize(idx + 1, 0.0);
            }
            self.counts[idx] += weight;
            for &b in seen.iter().skip(pos + 1).take(window.span) {
                *self.pairs.entry(key(a, b)).or_insert(0.0) += weight;
            }
        }
    }

    pub fn count(&self, item: Item) -> f32 {
        self.counts.get(item as usize).copied().unwrap_or(0.0)
    }

    pub fn pair_count(&self) -> usize {
        self.pairs.len()
    }

    /// The top `k` neighbours of every item, best first.
    pub fn neighbours(&self, k: usize, shrink: f32) -> Neighbours {
        let n = self.counts.len();
        let mut rows: Vec<Vec<(Item, f32)>> = vec![Vec::new(); n];
        for (&pair, &c) in &self.pairs {
            let (a, b) = ((pair >> 32) as Item, (pair & 0xffff_ffff) as Item);
            let norm = (self.count(a).sqrt() * self.count(b).sqrt()).max(f32::MIN_POSITIVE);
            let score = c / norm * (c / (c + shrink));
            rows[a as usize].push((b, score));
            rows[b as usize].push((a, score));
        }
        let mut out = Neighbours::with_items(n);
        for row in &mut rows {
            row.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            row.truncate(k);
            out.push_row(row);
        }
        out
    }
}

/// Top-k neighbours per item, packed in one table (compressed rows).
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    offsets: Vec<u32>,
    items: Vec<Item>,
    scores: Vec<f32>,
}

impl Neighbours {
    fn with_items(n: usize) -> Neighbours {
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        Neighbours {
            offsets,
            items: Vec::new(),
            scores: Vec::new(),
        }
    }

    fn push_row(&mut self, row: &[(Item, f32)]) {
        for &(i, s) in row {
            self.items.push(i);
            self.scores.push(s);
        }
        self.offsets.push(self.items.len() as u32);
    }

    /// The neighbours of `item`, best first (empty for an unknown item).
    pub fn of(&self, item: Item) -> impl Iterator<Item = (Item, f32)> + '_ {
        let i = item as usize;
        let (from, to) = match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&f), Some(&t)) => (f as usize, t as usize),
            _ => (0, 0),
        };
        self.items[from..to]
            .iter()
            .copied()
            .zip(self.scores[from..to].iter().copied())
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_played_together_are_neighbours_and_strangers_are_not() {
        let mut co = CoOccurrence::new();
        for _ in 0..20 {
            co.add_basket(&[0, 1, 2], 1.0, Window::default());
        }
        co.add_basket(&[3, 4], 1.0, Window::default());
        let nb = co.neighbours(10, 5.0);
        let of0: Vec<Item> = nb.of(0).map(|(i, _)| i).collect();
        assert_eq!(of0.len(), 2);
        assert!(of0.contains(&1) && of0.contains(&2));
        assert!(!of0.contains(&3));
        // Significance: the pair seen once scores below the pairs seen twenty times.
        let strong = nb.of(0).next().map(|x| x.1).unwrap_or(0.0);
        let weak = nb.of(3).next().map(|x| x.1).unwrap_or(0.0);
        assert!(strong > weak, "{strong} vs {weak}");
        assert_eq!(nb.of(99).count(), 0, "an unknown item has no neighbours");
    }

    #[test]
    fn a_window_bounds_the_pairs_of_a_long_basket() {
        let mut co = CoOccurrence::new();
        let long: Vec<Item> = (0..500).collect();
        co.add_basket(&long, 1.0, Window { span: 10 });
        assert!(co.pair_count() <= 500 * 10);
        let nb = co.neighbours(50, 1.0);
        assert!(nb.of(0).all(|(i, _)| i <= 10));
    }

    #[test]
    fn repeats_in_a_basket_count_once() {
        let mut co = CoOccurrence::new();
        co.add_basket(&[7, 7, 7, 8], 1.0, Window::default());
        assert_eq!(co.count(7), 1.0);
        assert_eq!(co.pair_count(), 1);
    }
}
