//! The collaborative playlist engine: a pure, server-ordered list. Items have their own ids;
//! order lives in memory as sparse `u64` labels renumbered locally when a gap runs out, so
//! nothing position-based is stored and moves leave nothing behind. Removed items are remembered
//! (with their predecessor at removal time) for a bounded window of versions so that inserts
//! anchored on them land after the anchor's nearest surviving predecessor.

use super::playlist_labels::Labels;
pub use super::playlist_ops::*;
use std::collections::{HashMap, HashSet, VecDeque};

/// Where an anchor resolved to.
enum Anchor {
    Start,
    After(String),
}

/// One playlist's list and details at a version.
#[derive(Debug, Clone, Default)]
pub struct Playlist {
    version: u64,
    name: String,
    description: String,
    labels: Labels,
    items: HashMap<String, Item>,
    removed: HashMap<String, (Option<String>, u64)>,
    /// Removed ids in the order they were removed (versions ascend), for pruning.
    removed_order: VecDeque<(u64, String)>,
    window: u64,
}

/// What one edit did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The ops as applied (empty when every op was skipped; then the version did not change).
    pub ops: Vec<AppliedOp>,
    pub skipped: Vec<Skipped>,
    pub version: u64,
}

impl Playlist {
    pub fn new(name: &str, window: u64) -> Self {
        Playlist {
            name: name.to_string(),
            window: window.max(1),
            ..Default::default()
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn contains(&self, item_id: &str) -> bool {
        self.items.contains_key(item_id)
    }
    /// True while the removal of `item_id` is remembered.
    pub fn was_removed(&self, item_id: &str) -> bool {
        self.removed.contains_key(item_id)
    }
    pub fn get(&self, item_id: &str) -> Option<&Item> {
        self.items.get(item_id)
    }

    /// Item ids in order.
    pub fn order(&self) -> impl Iterator<Item = &str> + '_ {
        self.labels.iter()
    }

    /// Items in order.
    pub fn items(&self) -> impl Iterator<Item = &Item> + '_ {
        self.labels.iter().filter_map(|id| self.items.get(id))
    }

    pub fn track_ids(&self) -> Vec<String> {
        self.items().map(|i| i.track_id.clone()).collect()
    }

    pub fn to_snapshot(&self) -> Snapshot {
        let mut removed: Vec<Removed> = self
            .removed_order
            .iter()
            .filter_map(|(_, id)| {
                self.removed.get(id).map(|(pred, v)| Removed {
                    item_id: id.clone(),
                    pred: pred.clone(),
                    version: *v,
                })
            })
            .collect();
        removed.sort_by_key(|r| r.version);
        Snapshot {
            version: self.version,
            name: self.name.clone(),
            description: self.description.clone(),
            items: self.items().cloned().collect(),
            removed,
        }
    }

    pub fn from_snapshot(s: Snapshot, window: u64) -> Self {
        let mut p = Playlist::new(&s.name, window);
        p.version = s.version;
        p.description = s.description;
        let ids: Vec<String> = s.items.iter().map(|i| i.item_id.clone()).collect();
        p.labels.set_order(ids);
        for it in s.items {
            p.items.insert(it.item_id.clone(), it);
        }
        let mut removed = s.removed;
        removed.sort_by_key(|r| r.version);
        for r in removed {
            p.removed_order.push_back((r.version, r.item_id.clone()));
            p.removed.insert(r.item_id, (r.pred, r.version));
        }
        p.prune();
        p
    }

    /// Forgets removals older than the window (a pure function of the version, so a server that
    /// reloads from storage remembers exactly what the live one did).
    fn prune(&mut self) {
        while let Some((v, _)) = self.removed_order.front() {
            if v.saturating_add(self.window) > self.version {
                break;
            }
            if let Some((_, id)) = self.removed_order.pop_front() {
                if self
                    .removed
                    .get(&id)
                    .is_some_and(|(_, rv)| rv.saturating_add(self.window) <= self.version)
                {
                    self.removed.remove(&id);
                }
            }
        }
    }

    fn resolve(&self, anchor: Option<&str>) -> Anchor {
        let Some(mut cur) = anchor else {
            return Anchor::Start;
        };
        // Removal versions strictly decrease along the chain, so it ends; bound it anyway.
        for _ in 0..=self.removed.len() {
            if self.items.contains_key(cur) {
                return Anchor::After(cur.to_string());
            }
            match self.removed.get(cur) {
                Some((Some(p), _)) => cur = p,
                Some((None, _)) => return Anchor::Start,
                None => break,
            }
        }
        // Unknown (never existed, or forgotten): keep the tracks, at the end.
        match self.labels.last() {
            Some(last) => Anchor::After(last.to_string()),
            None => Anchor::Start,
        }
    }

    /// Applies one edit atomically: either the whole edit is refused (`Err`, nothing changed) or
    /// every op is applied or listed in `skipped`. `new_id` names inserted items the client did
    /// not name.
    pub fn apply_edit(
        &mut self,
        author: &str,
        at_ms: i64,
        ops: &[Op],
        limits: &Limits,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Applied, EditError> {
        validate_ops(ops, limits)?;
        let inserted: usize = ops
            .iter()
            .map(|o| match o {
                Op::Insert { track_ids, .. } => track_ids.len(),
                _ => 0,
            })
            .sum();
        if self.len() + inserted <= limits.max_items {
            return Ok(self.apply_unchecked(author, at_ms, ops, new_id));
        }
        // Might overflow: try on a copy and keep it only if it fits.
        let mut copy = self.clone();
        let applied = copy.apply_unchecked(author, at_ms, ops, new_id);
        if copy.len() > limits.max_items {
            return Err(EditError::TooMany(format!(
                "a playlist holds at most {} items",
                limits.max_items
            )));
        }
        *self = copy;
        Ok(applied)
    }

    fn apply_unchecked(
        &mut self,
        author: &str,
        at_ms: i64,
        ops: &[Op],
        new_id: &mut dyn FnMut() -> String,
    ) -> Applied {
        let version = self.version + 1;
        let mut applied = Vec::new();
        let mut skipped = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match self.apply_one(author, at_ms, version, op, new_id) {
                Ok(a) => applied.push(a),
                Err(reason) => skipped.push(Skipped {
                    index,
                    op: op.kind().to_string(),
                    reason,
                }),
            }
        }
        if !applied.is_empty() {
            self.version = version;
            self.prune();
        }
        Applied {
            ops: applied,
            skipped,
            version: self.version,
        }
    }

    fn apply_one(
        &mut self,
        author: &str,
        at_ms: i64,
        version: u64,
        op: &Op,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<AppliedOp, String> {
        match op {
            Op::Insert {
                after_item_id,
                track_ids,
                item_ids,
            } => {
                let ids = match item_ids {
                    Some(ids) => {
                        if let Some(taken) = ids.iter().find(|id| {
                            self.items.contains_key(*id) || self.removed.contains_key(*id)
                        }) {
                            return Err(format!("item_id `{taken}` is already used"));
                        }
                        ids.clone()
                    }
                    None => (0..track_ids.len())
                        .map(|_| loop {
                            let id = new_id();
                            if !self.items.contains_key(&id) && !self.removed.contains_key(&id) {
                                break id;
                            }
                        })
                        .collect(),
                };
                let anchor = match self.resolve(after_item_id.as_deref()) {
                    Anchor::Start => None,
                    Anchor::After(a) => Some(a),
                };
                let items = ids.iter().zip(track_ids).map(|(i, t)| Item {
                    item_id: i.clone(),
                    track_id: t.clone(),
                    added_by: author.to_string(),
                    added_at_ms: at_ms,
                });
                self.insert_items(anchor.as_deref(), items.collect());
                Ok(AppliedOp::Insert {
                    after_item_id: anchor,
                    track_ids: track_ids.clone(),
                    item_ids: ids,
                })
            }
            Op::Remove { item_id } => {
                if !self.items.contains_key(item_id) {
                    return Err(if self.removed.contains_key(item_id) {
                        "item was already removed".into()
                    } else {
                        "no such item".into()
                    });
                }
                let pred = self.labels.pred(item_id).map(str::to_string);
                self.remove_item(item_id, pred.clone(), version);
                Ok(AppliedOp::Remove {
                    item_id: item_id.clone(),
                    after_item_id: pred,
                })
            }
            Op::Move {
                item_id,
                after_item_id,
            } => {
                if !self.items.contains_key(item_id) {
                    return Err("item was removed or never existed".into());
                }
                if after_item_id.as_deref() == Some(item_id.as_str()) {
                    return Err("an item cannot move after itself".into());
                }
                let anchor = match self.resolve(after_item_id.as_deref()) {
                    Anchor::Start => None,
                    // The anchor's surviving predecessor is the moving item: it stays put.
                    Anchor::After(a) if a == *item_id => {
                        self.labels.pred(item_id).map(str::to_string)
                    }
                    Anchor::After(a) => Some(a),
                };
                self.labels.remove(item_id);
                self.labels
                    .insert_after(anchor.as_deref(), vec![item_id.clone()]);
                Ok(AppliedOp::Move {
                    item_id: item_id.clone(),
                    after_item_id: anchor,
                })
            }
            Op::Reorder { item_ids } => {
                let wanted: Vec<&String> = item_ids
                    .iter()
                    .filter(|i| self.items.contains_key(*i))
                    .collect();
                if wanted.is_empty() {
                    return Err("none of the named items is in the playlist".into());
                }
                let order = self.merged_order(&wanted);
                self.labels.set_order(order.clone());
                Ok(AppliedOp::Reorder { item_ids: order })
            }
            // Stored trimmed, as `check_name`/`check_description` return them.
            Op::Rename { name } => {
                self.name = name.trim().to_string();
                Ok(AppliedOp::Rename {
                    name: self.name.clone(),
                })
            }
            Op::Describe { description } => {
                self.description = description.trim().to_string();
                Ok(AppliedOp::Describe {
                    description: self.description.clone(),
                })
            }
        }
    }

    /// The named items in the given order; items the edit did not name (added concurrently)
    /// stay behind the item they currently follow.
    fn merged_order(&self, wanted: &[&String]) -> Vec<String> {
        let named: HashSet<&str> = wanted.iter().map(|s| s.as_str()).collect();
        let mut leading = Vec::new();
        let mut trailing: HashMap<&str, Vec<String>> = HashMap::new();
        let mut last_named: Option<&str> = None;
        for id in self.labels.iter() {
            if named.contains(id) {
                last_named = Some(id);
            } else {
                match last_named {
                    None => leading.push(id.to_string()),
                    Some(n) => trailing.entry(n).or_default().push(id.to_string()),
                }
            }
        }
        let mut out = leading;
        for w in wanted {
            out.push((*w).clone());
            if let Some(t) = trailing.remove(w.as_str()) {
                out.extend(t);
            }
        }
        out
    }

    fn insert_items(&mut self, anchor: Option<&str>, items: Vec<Item>) {
        let ids = items.iter().map(|i| i.item_id.clone()).collect();
        self.labels.insert_after(anchor, ids);
        for it in items {
            self.items.insert(it.item_id.clone(), it);
        }
    }

    fn remove_item(&mut self, item_id: &str, pred: Option<String>, version: u64) {
        self.labels.remove(item_id);
        self.items.remove(item_id);
        self.removed.insert(item_id.to_string(), (pred, version));
        self.removed_order.push_back((version, item_id.to_string()));
    }

    /// Replays a committed entry (from the op log) exactly as it was applied.
    pub fn apply_logged(&mut self, e: &LogEntry) -> Result<(), String> {
        if e.version != self.version + 1 {
            return Err(format!(
                "log entry {} does not follow version {}",
                e.version, self.version
            ));
        }
        for op in &e.ops {
            match op {
                AppliedOp::Insert {
                    after_item_id,
                    track_ids,
                    item_ids,
                } => {
                    if after_item_id
                        .as_ref()
                        .is_some_and(|a| !self.items.contains_key(a))
                    {
                        return Err(format!("v{}: insert anchor is not in the list", e.version));
                    }
                    let items = item_ids
                        .iter()
                        .zip(track_ids)
                        .map(|(i, t)| Item {
                            item_id: i.clone(),
                            track_id: t.clone(),
                            added_by: e.author.clone(),
                            added_at_ms: e.at_ms,
                        })
                        .collect();
                    self.insert_items(after_item_id.as_deref(), items);
                }
                AppliedOp::Remove {
                    item_id,
                    after_item_id,
                } => {
                    if !self.items.contains_key(item_id) {
                        return Err(format!("v{}: removed item is not in the list", e.version));
                    }
                    self.remove_item(item_id, after_item_id.clone(), e.version);
                }
                AppliedOp::Move {
                    item_id,
                    after_item_id,
                } => {
                    if !self.items.contains_key(item_id)
                        || after_item_id
                            .as_ref()
                            .is_some_and(|a| !self.items.contains_key(a))
                    {
                        return Err(format!("v{}: move names a missing item", e.version));
                    }
                    self.labels.remove(item_id);
                    self.labels
                        .insert_after(after_item_id.as_deref(), vec![item_id.clone()]);
                }
                AppliedOp::Reorder { item_ids } => {
                    if item_ids.len() != self.items.len()
                        || item_ids.iter().any(|i| !self.items.contains_key(i))
                    {
                        return Err(format!("v{}: reorder does not match the list", e.version));
                    }
                    self.labels.set_order(item_ids.clone());
                }
                AppliedOp::Rename { name } => self.name = name.clone(),
                AppliedOp::Describe { description } => self.description = description.clone(),
            }
        }
        self.version = e.version;
        self.prune();
        Ok(())
    }
}

#[cfg(test)]
#[path = "playlist_tests.rs"]
mod tests;
