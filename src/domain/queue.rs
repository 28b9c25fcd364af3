//! The play queue: user-queued items, addressed by item id. Items added with "play next" form
//! a block at the front and keep their order among themselves; the rest are in the order added.

use super::player::{Entry, ItemId};
use super::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    #[serde(flatten)]
    pub entry: Entry,
    /// Added with `next: true` and still in the front block.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub next: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Queue {
    items: Vec<QueueEntry>,
}

impl Queue {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().map(|q| &q.entry)
    }

    pub fn entries(&self) -> &[QueueEntry] {
        &self.items
    }

    fn index_of(&self, id: ItemId) -> Option<usize> {
        self.items.iter().position(|q| q.entry.item_id == id)
    }

    pub fn contains(&self, id: ItemId) -> bool {
        self.index_of(id).is_some()
    }

    /// Appends at the end, or (`next`) after the existing play-next block.
    pub fn add(&mut self, entries: Vec<Entry>, next: bool) {
        if next {
            let at = self.items.iter().take_while(|q| q.next).count();
            let new = entries
                .into_iter()
                .map(|entry| QueueEntry { entry, next: true });
            self.items.splice(at..at, new);
        } else {
            self.items.extend(
                entries
                    .into_iter()
                    .map(|entry| QueueEntry { entry, next: false }),
            );
        }
    }

    pub fn remove(&mut self, id: ItemId) -> Result<Entry, DomainError> {
        let i = self
            .index_of(id)
            .ok_or_else(|| DomainError::NotFound(format!("item {id} is not in the queue")))?;
        Ok(self.items.remove(i).entry)
    }

    /// Moves `id` right after `after` (or to the front with `None`).
    pub fn move_after(&mut self, id: ItemId, after: Option<ItemId>) -> Result<(), DomainError> {
        if after == Some(id) {
            return Err(DomainError::BadRequest(
                "an item cannot be moved after itself".into(),
            ));
        }
        let from = self
            .index_of(id)
            .ok_or_else(|| DomainError::NotFound(format!("item {id} is not in the queue")))?;
        if let Some(a) = after {
            if !self.contains(a) {
                return Err(DomainError::NotFound(format!(
                    "after_item_id {a} is not in the queue"
                )));
            }
        }
        let mut item = self.items.remove(from);
        let at = match after {
            None => 0,
            Some(a) => self.index_of(a).map_or(self.items.len(), |i| i + 1),
        };
        // The moved item joins the play-next block when it lands inside it.
        item.next = at == 0 || self.items[at - 1].next;
        self.items.insert(at, item);
        // Keep the block a prefix: a flagged item after an unflagged one is an ordinary item.
        let mut in_block = true;
        for q in &mut self.items {
            in_block &= q.next;
            q.next = in_block;
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn pop_front(&mut self) -> Option<Entry> {
        if self.items.is_empty() {
            None
        } else {
            Some(self.items.remove(0).entry)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: u64) -> Entry {
        Entry {
            item_id: ItemId(id),
            track_id: format!("t{id}"),
            duration_ms: 1000,
        }
    }

    fn ids(q: &Queue) -> Vec<u64> {
        q.iter().map(|e| e.item_id.0).collect()
    }

    #[test]
    fn play_next_items_keep_their_order_before_the_rest() {
        let mut q = Queue::default();
        q.add(vec![e(1), e(2)], false);
        q.add(vec![e(3)], true);
        q.add(vec![e(4), e(5)], true);
        assert_eq!(ids(&q), vec![3, 4, 5, 1, 2]);
        q.move_after(ItemId(1), None).unwrap();
        assert_eq!(ids(&q), vec![1, 3, 4, 5, 2]);
        q.add(vec![e(6)], true);
        assert_eq!(ids(&q), vec![1, 3, 4, 5, 6, 2]);
        q.move_after(ItemId(3), Some(ItemId(2))).unwrap();
        assert_eq!(ids(&q), vec![1, 4, 5, 6, 2, 3]);
        assert!(q.move_after(ItemId(9), None).is_err());
        assert!(q.move_after(ItemId(1), Some(ItemId(1))).is_err());
        assert_eq!(q.remove(ItemId(5)).unwrap().item_id, ItemId(5));
        assert!(q.remove(ItemId(5)).is_err());
    }
}
