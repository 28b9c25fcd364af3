//! Server -> client messages: replies, `welcome`, `player_state` and `devices`.

use super::RequestId;
use crate::cdn::StreamInfo;
use crate::domain::player::Repeat;
use crate::error::ErrorCode;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Ack<'a, T: Serialize> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub id: &'a RequestId,
    pub result: T,
}

#[derive(Debug, Serialize)]
pub struct ErrorFrame<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a RequestId>,
    pub code: ErrorCode,
    pub message: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ArtistRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlbumRef {
    pub id: String,
    pub title: String,
}

/// An item as clients see it (current item or queue entry).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ItemView {
    pub item_id: String,
    pub track_id: String,
    pub title: String,
    pub artists: Vec<ArtistRef>,
    pub album: Option<AlbumRef>,
    pub duration_ms: i64,
    pub explicit: bool,
    /// Group sessions: the member who queued this item.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub added_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ContextView {
    pub uri: Option<String>,
    /// Number of tracks in the context.
    pub length: usize,
    /// Index (in play order) of the context item playing now or last.
    pub position: Option<u32>,
}

/// The `player_state` event; also `welcome.player` and `GET /v1/me/player`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PlayerStateView {
    #[serde(rename = "type")]
    pub ty: String,
    pub version: u64,
    pub active_device_id: Option<String>,
    pub playing: bool,
    pub item: Option<ItemView>,
    pub position_ms: i64,
    pub position_at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start_at_ms: Option<i64>,
    pub volume: u8,
    pub shuffle: bool,
    pub repeat: Repeat,
    pub context: Option<ContextView>,
    pub queue: Vec<ItemView>,
    pub stream: Option<StreamInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DeviceView {
    pub device_id: String,
    pub name: String,
    pub kind: String,
    pub online: bool,
    pub active: bool,
    pub volume: u8,
    /// When the device last connected or disconnected (server clock, ms): clients hide offline
    /// devices unseen for long.
    #[serde(default)]
    pub last_seen_ms: i64,
}

#[derive(Debug, Serialize)]
pub struct DevicesEvent<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub devices: &'a [DeviceView],
}

#[derive(Debug, Serialize)]
pub struct Welcome<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a RequestId>,
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub server_time_ms: i64,
    pub player: &'a PlayerStateView,
    pub devices: &'a [DeviceView],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct TimeSync {
    pub t0: serde_json::Number,
    pub t1: f64,
    pub t2: f64,
}
