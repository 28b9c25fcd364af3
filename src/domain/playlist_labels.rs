//! Order maintenance for the playlist engine: each item holds a sparse `u64` label; inserting
//! between two neighbours takes a label in the gap, and when the gap is used up only a window of
//! neighbours around the spot is renumbered (doubling the window until it is sparse enough).

use std::collections::{BTreeMap, HashMap};

/// Spacing used when labels are laid out afresh or appended at the end.
const GAP: u64 = 1 << 32;
/// A local renumbering must leave at least this much room between neighbours.
const MIN_GAP: u64 = 1 << 8;

#[derive(Debug, Clone, Default)]
pub struct Labels {
    by_label: BTreeMap<u64, String>,
    label_of: HashMap<String, u64>,
}

impl Labels {
    pub fn len(&self) -> usize {
        self.label_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.label_of.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_label.values().map(String::as_str)
    }

    pub fn last(&self) -> Option<&str> {
        self.by_label.values().next_back().map(String::as_str)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.label_of.contains_key(id)
    }

    pub fn pred(&self, id: &str) -> Option<&str> {
        let l = *self.label_of.get(id)?;
        self.by_label
            .range(..l)
            .next_back()
            .map(|(_, v)| v.as_str())
    }

    pub fn remove(&mut self, id: &str) {
        if let Some(l) = self.label_of.remove(id) {
            self.by_label.remove(&l);
        }
    }

    /// Replaces the whole order.
    pub fn set_order(&mut self, ids: Vec<String>) {
        self.by_label.clear();
        self.label_of.clear();
        let n = ids.len() as u64;
        let step = if n.saturating_add(1).saturating_mul(GAP) < u64::MAX {
            GAP
        } else {
            (u64::MAX / (n + 1)).max(1)
        };
        for (k, id) in ids.into_iter().enumerate() {
            let l = step * (k as u64 + 1);
            self.label_of.insert(id.clone(), l);
            self.by_label.insert(l, id);
        }
    }

    /// Inserts `ids` (in order) right after `anchor` (None = at the start). The anchor must be
    /// present; an absent one is treated as the end.
    pub fn insert_after(&mut self, anchor: Option<&str>, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let lo = match anchor {
            None => 0,
            Some(a) => match self.label_of.get(a) {
                Some(l) => *l,
                None => self.by_label.keys().next_back().copied().unwrap_or(0),
            },
        };
        let hi = self
            .by_label
            .range(lo + 1..)
            .next()
            .map(|(l, _)| *l)
            .unwrap_or(u64::MAX);
        let n = ids.len() as u64;
        if hi == u64::MAX && (u64::MAX - lo) / GAP > n {
            self.assign(ids, lo, GAP);
            return;
        }
        let step = (hi - lo) / (n + 1);
        if step >= 1 {
            self.assign(ids, lo, step);
            return;
        }
        self.renumber_around(lo, ids);
    }

    fn assign(&mut self, ids: Vec<String>, lo: u64, step: u64) {
        for (k, id) in ids.into_iter().enumerate() {
            let l = lo + step * (k as u64 + 1);
            self.label_of.insert(id.clone(), l);
            self.by_label.insert(l, id);
        }
    }

    /// Renumbers the smallest window around `lo` (doubling) that can hold its items plus `ids`
    /// with at least `MIN_GAP` between neighbours; the new ids go right after label `lo`.
    fn renumber_around(&mut self, lo: u64, ids: Vec<String>) {
        let mut k = 1usize;
        loop {
            let left: Vec<u64> = if lo == 0 {
                vec![]
            } else {
                self.by_label
                    .range(..=lo)
                    .rev()
                    .take(k)
                    .map(|(l, _)| *l)
                    .collect()
            };
            let right: Vec<u64> = self
                .by_label
                .range(lo + 1..)
                .take(k)
                .map(|(l, _)| *l)
                .collect();
            let lo_bound = left
                .last()
                .and_then(|first| self.by_label.range(..*first).next_back().map(|(l, _)| *l))
                .unwrap_or(0);
            let lo_bound = if left.is_empty() { lo } else { lo_bound };
            let hi_bound = right
                .last()
                .map(|last| {
                    self.by_label
                        .range(last + 1..)
                        .next()
                        .map(|(l, _)| *l)
                        .unwrap_or(u64::MAX)
                })
                .unwrap_or(u64::MAX);
            let mut seq: Vec<String> = Vec::with_capacity(left.len() + right.len() + ids.len());
            let count = (left.len() + right.len() + ids.len()) as u64;
            let whole = lo_bound == 0 && hi_bound == u64::MAX;
            let step = (hi_bound - lo_bound) / (count + 1);
            if whole || step >= MIN_GAP {
                for l in left.iter().rev() {
                    if let Some(id) = self.by_label.remove(l) {
                        seq.push(id);
                    }
                }
                seq.extend(ids);
                for l in &right {
                    if let Some(id) = self.by_label.remove(l) {
                        seq.push(id);
                    }
                }
                if whole {
                    let all: Vec<String> = seq;
                    self.set_order(all);
                } else {
                    for id in &seq {
                        self.label_of.remove(id);
                    }
                    self.assign(seq, lo_bound, step);
                }
                return;
            }
            k *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(l: &Labels) -> Vec<String> {
        l.iter().map(str::to_string).collect()
    }

    #[test]
    fn dense_inserts_in_one_spot_renumber_locally_and_keep_order() {
        let mut l = Labels::default();
        let mut model: Vec<String> = vec![];
        for i in 0..50 {
            l.insert_after(None, vec![format!("s{i}")]);
            model.insert(0, format!("s{i}"));
        }
        // 2000 inserts always right after the same item exhaust gaps many times over.
        for i in 0..2000 {
            l.insert_after(Some("s25"), vec![format!("x{i}")]);
            let pos = model.iter().position(|x| x == "s25").unwrap();
            model.insert(pos + 1, format!("x{i}"));
        }
        assert_eq!(ids(&l), model);
        assert_eq!(l.len(), model.len());
        assert_eq!(l.pred("s24"), Some("x0"));
        assert_eq!(l.pred("x1999"), Some("s25"));
    }

    #[test]
    fn whole_renumber_when_window_is_everything() {
        let mut l = Labels::default();
        l.insert_after(None, vec!["a".into(), "b".into()]);
        for i in 0..200 {
            l.insert_after(Some("a"), vec![format!("m{i}")]);
        }
        let got = ids(&l);
        assert_eq!(got.first().unwrap(), "a");
        assert_eq!(got.last().unwrap(), "b");
        assert_eq!(got[1], "m199");
    }
}
