//! Wire types of the WebSocket protocol (PROTOCOL.md): what clients send (`client`), what the
//! server sends (`server`), and the codec that turns frames into them with size limits.

pub mod client;
pub mod codec;
pub mod server;

pub use crate::domain::player::ItemId;

/// The protocol version spoken by this server (`hello.protocol`).
pub const PROTOCOL_VERSION: u32 = 1;

/// A request id chosen by the client: a string or an integer, echoed back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    Int(i64),
    Str(String),
}
