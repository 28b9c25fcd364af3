//! A deliberately simple reference model of the playlist order rules (a plain `Vec`, positions
//! recomputed every time), used as the oracle by property tests and the convergence simulator.

use super::playlist_ops::{validate_ops, EditError, Item, Limits, Op};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub version: u64,
    pub name: String,
    pub description: String,
    pub items: Vec<Item>,
    removed: HashMap<String, (Option<String>, u64)>,
    window: u64,
}

impl Model {
    pub fn new(name: &str, window: u64) -> Self {
        Model {
            name: name.into(),
            window: window.max(1),
            ..Default::default()
        }
    }

    pub fn ids(&self) -> Vec<String> {
        self.items.iter().map(|i| i.item_id.clone()).collect()
    }

    fn pos(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.item_id == id)
    }

    fn remembered(&self, id: &str) -> bool {
        self.removed.contains_key(id)
    }

    /// Index to insert at for an anchor.
    fn insert_index(&self, anchor: Option<&str>) -> (usize, Option<String>) {
        let mut cur = match anchor {
            None => return (0, None),
            Some(a) => a.to_string(),
        };
        let mut steps = 0;
        loop {
            if let Some(p) = self.pos(&cur) {
                return (p + 1, Some(cur));
            }
            match self.removed.get(&cur) {
                Some((Some(p), _)) if steps <= self.removed.len() => cur = p.clone(),
                Some((None, _)) => return (0, None),
                _ => {
                    return match self.items.last() {
                        Some(l) => (self.items.len(), Some(l.item_id.clone())),
                        None => (0, None),
                    }
                }
            }
            steps += 1;
        }
    }

    /// Applies an edit; returns the indexes of skipped ops.
    pub fn apply_edit(
        &mut self,
        author: &str,
        at_ms: i64,
        ops: &[Op],
        limits: &Limits,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Vec<usize>, EditError> {
        validate_ops(ops, limits)?;
        let mut next = self.clone();
        let v = self.version + 1;
        let mut skipped = vec![];
        let mut any = false;
        for (index, op) in ops.iter().enumerate() {
            let ok = match op {
                Op::Insert {
                    after_item_id,
                    track_ids,
                    item_ids,
                } => {
                    let ids: Option<Vec<String>> = match item_ids {
                        Some(ids)
                            if ids
                                .iter()
                                .any(|i| next.pos(i).is_some() || next.remembered(i)) =>
                        {
                            None
                        }
                        Some(ids) => Some(ids.clone()),
                        None => Some(
                            track_ids
                                .iter()
                                .map(|_| loop {
                                    let id = new_id();
                                    if next.pos(&id).is_none() && !next.remembered(&id) {
                                        break id;
                                    }
                                })
                                .collect(),
                        ),
                    };
                    match ids {
                        None => false,
                        Some(ids) => {
                            let (at, _) = next.insert_index(after_item_id.as_deref());
                            for (k, (i, t)) in ids.iter().zip(track_ids).enumerate() {
                                next.items.insert(
                                    at + k,
                                    Item {
                                        item_id: i.clone(),
                                        track_id: t.clone(),
                                        added_by: author.into(),
                                        added_at_ms: at_ms,
                                    },
                                );
                            }
                            true
                        }
                    }
                }
                Op::Remove { item_id } => match next.pos(item_id) {
                    None => false,
                    Some(p) => {
                        let pred = if p == 0 {
                            None
                        } else {
                            Some(next.items[p - 1].item_id.clone())
                        };
                        next.items.remove(p);
                        next.removed.insert(item_id.clone(), (pred, v));
                        true
                    }
                },
                Op::Move {
                    item_id,
                    after_item_id,
                } => match next.pos(item_id) {
                    None => false,
                    Some(_) if after_item_id.as_deref() == Some(item_id.as_str()) => false,
                    Some(p) => {
                        let (_, anchor) = next.insert_index(after_item_id.as_deref());
                        let it = next.items.remove(p);
                        let at = match anchor {
                            Some(a) if a == *item_id => p,
                            Some(a) => next.pos(&a).map_or(0, |x| x + 1),
                            None => 0,
                        };
                        next.items.insert(at, it);
                        true
                    }
                },
                Op::Reorder { item_ids } => {
                    let named: Vec<&String> =
                        item_ids.iter().filter(|i| next.pos(i).is_some()).collect();
                    if named.is_empty() {
                        false
                    } else {
                        // Each unnamed item travels with the named item before it.
                        let mut groups: Vec<(Option<String>, Vec<Item>)> = vec![(None, vec![])];
                        for it in &next.items {
                            if named.contains(&&it.item_id) {
                                groups.push((Some(it.item_id.clone()), vec![it.clone()]));
                            } else if let Some(g) = groups.last_mut() {
                                g.1.push(it.clone());
                            }
                        }
                        let mut out: Vec<Item> = groups[0].1.clone();
                        for n in &named {
                            if let Some(g) = groups.iter().find(|g| g.0.as_ref() == Some(*n)) {
                                out.extend(g.1.iter().cloned());
                            }
                        }
                        next.items = out;
                        true
                    }
                }
                Op::Rename { name } => {
                    next.name = name.trim().to_string();
                    true
                }
                Op::Describe { description } => {
                    next.description = description.trim().to_string();
                    true
                }
            };
            if ok {
                any = true;
            } else {
                skipped.push(index);
            }
        }
        if next.items.len() > limits.max_items {
            return Err(EditError::TooMany("too many items".into()));
        }
        if any {
            next.version = v;
            let window = next.window;
            next.removed
                .retain(|_, (_, rv)| rv.saturating_add(window) > v);
        }
        *self = next;
        Ok(skipped)
    }
}
