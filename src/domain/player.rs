//! The player state machine: `apply(state, command, now, ctx)` with no I/O. A user's actor owns
//! one; a group session reuses the same state and commands with `ApplyCtx::start_lead_ms` set so
//! that starts are scheduled at `start_at_ms`.

use super::queue::Queue;
use super::shuffle;
use super::DomainError;
use serde::{Deserialize, Serialize};

/// Identifies one entry of a player's context or queue; never reused within a player.
/// On the wire it is an opaque string (the decimal number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub u64);

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for ItemId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        s.parse::<u64>()
            .map(ItemId)
            .map_err(|_| DomainError::NotFound(format!("no item `{s}`")))
    }
}

/// One playable entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub item_id: ItemId,
    pub track_id: String,
    pub duration_ms: i64,
}

/// A track as the actor resolved it from the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub track_id: String,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    #[default]
    Off,
    Context,
    Track,
}

/// The loaded context (album, artist top tracks, playlist, or a plain list of tracks with no
/// uri). Its items have the consecutive ids `base_item_id + index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub uri: Option<String>,
    pub base_item_id: u64,
    pub track_ids: Vec<String>,
    pub durations: Vec<i64>,
}

impl Context {
    pub fn len(&self) -> usize {
        self.track_ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.track_ids.is_empty()
    }
    pub fn entry(&self, index: usize) -> Option<Entry> {
        Some(Entry {
            item_id: ItemId(self.base_item_id + index as u64),
            track_id: self.track_ids.get(index)?.clone(),
            duration_ms: *self.durations.get(index)?,
        })
    }
    pub fn index_of_item(&self, id: ItemId) -> Option<usize> {
        let i = id.0.checked_sub(self.base_item_id)? as usize;
        (i < self.len()).then_some(i)
    }
}

/// The current item and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Current {
    #[serde(flatten)]
    pub entry: Entry,
    pub from_queue: bool,
}

/// Cached play order; derived from (seed, first, context length), never stored.
#[derive(Debug, Clone, Default)]
pub struct OrderCache(Option<Vec<u32>>);
impl PartialEq for OrderCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlayerState {
    pub version: u64,
    pub active_device_id: Option<String>,
    pub playing: bool,
    pub current: Option<Current>,
    pub position_ms: i64,
    pub position_at_ms: i64,
    /// Group sessions only: when every member starts the item at `position_ms`.
    pub start_at_ms: Option<i64>,
    pub volume: u8,
    pub shuffle: bool,
    pub shuffle_seed: u64,
    /// Context index moved to the front of the shuffled order.
    pub shuffle_first: Option<u32>,
    pub repeat: Repeat,
    pub context: Option<Context>,
    /// Position in the play order of the context item played last (current or before the queue).
    pub context_pos: Option<u32>,
    pub queue: Queue,
    pub next_item_id: u64,
    /// Time the current item has actually played before `position_at_ms` (wall-clock time while
    /// playing, so a seek forward adds nothing): what a play records as `ms_played`.
    pub played_ms: i64,
    #[serde(skip)]
    order: OrderCache,
}

impl Default for PlayerState {
    fn default() -> Self {
        PlayerState {
            version: 0,
            active_device_id: None,
            playing: false,
            current: None,
            position_ms: 0,
            position_at_ms: 0,
            start_at_ms: None,
            volume: 100,
            shuffle: false,
            shuffle_seed: 0,
            shuffle_first: None,
            repeat: Repeat::Off,
            context: None,
            context_pos: None,
            queue: Queue::default(),
            next_item_id: 1,
            played_ms: 0,
            order: OrderCache::default(),
        }
    }
}

/// Where `play` starts in its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offset {
    Index(usize),
    Item(ItemId),
    Track(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `tracks: Some` loads a new context (`uri` None for a plain list of tracks); `None` jumps
    /// within the current context/queue (with an offset) or resumes.
    Play {
        uri: Option<String>,
        tracks: Option<Vec<TrackRef>>,
        offset: Option<Offset>,
        position_ms: Option<i64>,
        device_id: Option<String>,
    },
    Pause,
    Resume,
    Seek {
        position_ms: i64,
    },
    Next,
    Previous,
    SetVolume {
        volume: u8,
    },
    SetShuffle {
        on: bool,
    },
    SetRepeat {
        mode: Repeat,
    },
    QueueAdd {
        tracks: Vec<TrackRef>,
        next: bool,
    },
    QueueRemove {
        item_id: ItemId,
    },
    QueueMove {
        item_id: ItemId,
        after: Option<ItemId>,
    },
    QueueClear,
    Transfer {
        device_id: String,
        play: Option<bool>,
    },
    ReportPosition {
        item_id: ItemId,
        position_ms: i64,
        playing: bool,
    },
    TrackEnded {
        item_id: ItemId,
    },
    /// Server-side only: `device_id` stayed offline past the disconnect grace period. If it is
    /// still the active device, the player pauses at the live position and has no active device,
    /// so that every client sees nothing is playing anywhere (not a device that cannot answer).
    DeviceGone {
        device_id: String,
    },
}

/// What the shell must do after a successful command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The state changed (version bumped): push it; `urgent` = persist now, not coalesced.
    Changed {
        urgent: bool,
    },
    ItemChanged,
    ActiveDeviceChanged,
    QueueAdded(Vec<ItemId>),
}

pub struct Limits {
    pub max_queue: usize,
    pub max_context_tracks: usize,
    pub previous_restart_threshold_ms: i64,
}

/// What `apply` needs to know about the world.
pub struct ApplyCtx<'a> {
    /// The device that sent the command (None: REST or the server itself).
    pub issuer: Option<&'a str>,
    pub is_online: &'a dyn Fn(&str) -> bool,
    pub limits: &'a Limits,
    /// Fresh randomness for a new shuffle seed.
    pub random: u64,
    /// Group sessions: schedule starts this far ahead (`start_at_ms`).
    pub start_lead_ms: Option<i64>,
}

/// Reports within this of the extrapolated position (and with the same playing flag) are no-ops.
pub const DRIFT_TOLERANCE_MS: i64 = 100;

impl PlayerState {
    pub fn duration_ms(&self) -> i64 {
        self.current
            .as_ref()
            .map_or(0, |c| c.entry.duration_ms.max(0))
    }

    /// `position_ms + (now - position_at_ms)` while playing, always within the item.
    pub fn live_position(&self, now_ms: i64) -> i64 {
        let base = if self.playing {
            self.position_ms + (now_ms - self.position_at_ms).max(0)
        } else {
            self.position_ms
        };
        base.clamp(0, self.duration_ms())
    }

    /// How long the current item has actually played up to `now_ms`: the banked time plus the
    /// time since the last anchor while playing (never past the item's end). Seeks move the
    /// position, not this.
    pub fn played_total(&self, now_ms: i64) -> i64 {
        let since_anchor = if self.playing {
            (self.live_position(now_ms) - self.position_ms).max(0)
        } else {
            0
        };
        self.played_ms.saturating_add(since_anchor).max(0)
    }

    /// Banks the time played since the last anchor; call before moving the anchor
    /// (`position_ms`/`position_at_ms`/`playing`) outside `apply`.
    pub fn bank_played(&mut self, now_ms: i64) {
        self.played_ms = self.played_total(now_ms);
    }

    /// The play order of the context (identity unless shuffled).
    pub fn order(&mut self) -> &[u32] {
        let n = self.context.as_ref().map_or(0, Context::len);
        let stale = self.order.0.as_ref().is_none_or(|o| o.len() != n);
        if stale {
            let o = if self.shuffle {
                shuffle::order(self.shuffle_seed, n, self.shuffle_first)
            } else {
                (0..n as u32).collect()
            };
            self.order.0 = Some(o);
        }
        self.order.0.as_deref().unwrap_or(&[])
    }

    fn reset_order(&mut self) {
        self.order.0 = None;
    }

    fn context_entry_at(&mut self, pos: u32) -> Option<Entry> {
        let idx = *self.order().get(pos as usize)?;
        self.context.as_ref()?.entry(idx as usize)
    }

    /// Upcoming context items after the queue (for "next up" views), at most `limit`.
    pub fn upcoming_context(&mut self, limit: usize) -> Vec<Entry> {
        let start = self.context_pos.map_or(0, |p| p as usize + 1);
        let n = self.context.as_ref().map_or(0, Context::len);
        (start..n.min(start + limit))
            .filter_map(|p| self.context_entry_at(p as u32))
            .collect()
    }

    /// Sets the position as true now (or, in a session, at the scheduled start).
    fn set_position(&mut self, pos: i64, now: i64, ctx: &ApplyCtx) {
        self.position_ms = pos.clamp(0, self.duration_ms());
        match (self.playing, ctx.start_lead_ms) {
            (true, Some(lead)) => {
                self.start_at_ms = Some(now + lead.max(0));
                self.position_at_ms = now + lead.max(0);
            }
            _ => {
                self.start_at_ms = None;
                self.position_at_ms = now;
            }
        }
    }

    fn set_current(&mut self, entry: Entry, from_queue: bool, pos: i64, now: i64, ctx: &ApplyCtx) {
        self.current = Some(Current { entry, from_queue });
        self.set_position(pos, now, ctx);
    }

    fn alloc_ids(&mut self, n: usize) -> u64 {
        let base = self.next_item_id;
        self.next_item_id += n as u64;
        base
    }

    fn new_entries(&mut self, tracks: Vec<TrackRef>) -> Vec<Entry> {
        let base = self.alloc_ids(tracks.len());
        tracks
            .into_iter()
            .enumerate()
            .map(|(i, t)| Entry {
                item_id: ItemId(base + i as u64),
                track_id: t.track_id,
                duration_ms: t.duration_ms.max(0),
            })
            .collect()
    }

    /// The device to play on: the named one, else the active one if online, else the issuer.
    fn target_device(&self, named: Option<&str>, ctx: &ApplyCtx) -> Result<String, DomainError> {
        if let Some(d) = named {
            return if (ctx.is_online)(d) {
                Ok(d.to_string())
            } else {
                Err(DomainError::NotFound(format!("device `{d}` is not online")))
            };
        }
        if let Some(a) = self.active_device_id.as_deref() {
            if (ctx.is_online)(a) {
                return Ok(a.to_string());
            }
        }
        ctx.issuer
            .map(str::to_string)
            .ok_or_else(|| DomainError::NotFound("no active device".into()))
    }

    /// Moves to the next item: queue first, then the context. Returns false when playback ran
    /// off the end of the context (then it stops at the first item, paused).
    fn advance(&mut self, explicit: bool, now: i64, ctx: &ApplyCtx) -> bool {
        if let Some(e) = self.queue.pop_front() {
            self.set_current(e, true, 0, now, ctx);
            return true;
        }
        let n = self.context.as_ref().map_or(0, Context::len) as u32;
        if n == 0 {
            // Nothing after this item: stop at its start.
            self.playing = false;
            self.set_position(0, now, ctx);
            return false;
        }
        let next = match self.context_pos {
            None => 0,
            Some(p) => p + 1,
        };
        let wrap = self.repeat == Repeat::Context || (explicit && self.repeat == Repeat::Track);
        let (pos, keep_playing) = if next < n { (next, true) } else { (0, wrap) };
        if !keep_playing {
            self.playing = false;
        }
        self.context_pos = Some(pos);
        if let Some(e) = self.context_entry_at(pos) {
            self.set_current(e, false, 0, now, ctx);
        }
        keep_playing
    }

    fn previous(&mut self, now: i64, ctx: &ApplyCtx) {
        let restart = self.live_position(now) > ctx.limits.previous_restart_threshold_ms;
        let n = self.context.as_ref().map_or(0, Context::len) as u32;
        let from_queue = self.current.as_ref().is_some_and(|c| c.from_queue);
        let target = match self.context_pos {
            _ if restart || n == 0 => None,
            Some(p) if from_queue => Some(p),
            Some(p) if p > 0 => Some(p - 1),
            Some(_) if self.repeat == Repeat::Context => Some(n - 1),
            _ => None,
        };
        match target.and_then(|p| self.context_entry_at(p).map(|e| (p, e))) {
            Some((p, e)) => {
                self.context_pos = Some(p);
                self.set_current(e, false, 0, now, ctx);
            }
            None => self.set_position(0, now, ctx),
        }
    }
}

mod apply;
pub use apply::apply;
#[cfg(test)]
mod played_tests;
