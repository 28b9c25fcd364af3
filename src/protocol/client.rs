//! Client -> server messages. Every frame is first read as an `Envelope` (type, id,
//! expected_version); the typed body is parsed only for the area that handles it.

use super::{ItemId, RequestId};
use serde::Deserialize;
use std::borrow::Cow;

/// The fields every request may carry. Other fields are skipped without being parsed.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    pub ty: Cow<'a, str>,
    #[serde(default)]
    pub id: Option<RequestId>,
    #[serde(default)]
    pub expected_version: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Computer,
    Phone,
    Tablet,
    Speaker,
    Tv,
    Car,
    Web,
}

impl DeviceKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceKind::Computer => "computer",
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Speaker => "speaker",
            DeviceKind::Tv => "tv",
            DeviceKind::Car => "car",
            DeviceKind::Web => "web",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HelloDevice {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Hello {
    pub token: String,
    pub protocol: u32,
    pub device: HelloDevice,
}

/// `play.offset`: an index, `{"position": n}`, `{"item_id": …}` or `{"track_id": …}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WireOffset {
    Index(u32),
    Position { position: u32 },
    Item { item_id: WireItemId },
    Track { track_id: String },
}

/// Item ids are strings on the wire; integers are accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WireItemId {
    Str(String),
    Int(u64),
}

impl WireItemId {
    pub fn parse(&self) -> Result<ItemId, crate::domain::DomainError> {
        match self {
            WireItemId::Int(n) => Ok(ItemId(*n)),
            WireItemId::Str(s) => s.parse(),
        }
    }
}

/// Messages of the player area (and `time_sync`), tagged by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlayerRequest {
    TimeSync {
        /// Echoed exactly as sent.
        t0: serde_json::Number,
        /// The client's last measured round trip, if it has one (feeds the server's estimate).
        #[serde(default)]
        rtt_ms: Option<f64>,
    },
    Play {
        #[serde(default)]
        context_uri: Option<String>,
        #[serde(default)]
        track_ids: Option<Vec<String>>,
        #[serde(default)]
        offset: Option<WireOffset>,
        #[serde(default)]
        position_ms: Option<i64>,
        #[serde(default)]
        device_id: Option<String>,
    },
    Pause {},
    Resume {},
    Seek {
        position_ms: i64,
    },
    Next {},
    Previous {},
    SetVolume {
        volume: u8,
        #[serde(default)]
        device_id: Option<String>,
    },
    SetShuffle {
        on: bool,
    },
    SetRepeat {
        mode: crate::domain::player::Repeat,
    },
    QueueAdd {
        track_ids: Vec<String>,
        #[serde(default)]
        next: bool,
    },
    QueueRemove {
        item_id: WireItemId,
    },
    QueueMove {
        item_id: WireItemId,
        after_item_id: Option<WireItemId>,
    },
    QueueClear {},
    Transfer {
        device_id: String,
        #[serde(default)]
        play: Option<bool>,
    },
    ReportPosition {
        item_id: WireItemId,
        position_ms: i64,
        playing: bool,
    },
    TrackEnded {
        item_id: WireItemId,
    },
}

/// Message types handled by the player area (used for dispatch before the typed parse).
pub const PLAYER_TYPES: &[&str] = &[
    "time_sync",
    "play",
    "pause",
    "resume",
    "seek",
    "next",
    "previous",
    "set_volume",
    "set_shuffle",
    "set_repeat",
    "queue_add",
    "queue_remove",
    "queue_move",
    "queue_clear",
    "transfer",
    "report_position",
    "track_ended",
];

/// Message types of the group-session area. Dispatch checks the list before handing a frame
/// over, so that an unknown `session_*` type is a `bad_request` like any other unknown type.
pub const SESSION_TYPES: &[&str] = &[
    "session_create",
    "session_join",
    "session_leave",
    "session_end",
    "session_kick",
    "session_promote",
    "session_settings",
    "buffering",
];

/// Message types of the collaborative-playlist area.
pub const PLAYLIST_TYPES: &[&str] = &[
    "playlist_subscribe",
    "playlist_unsubscribe",
    "playlist_edit",
];
