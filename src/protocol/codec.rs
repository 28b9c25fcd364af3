//! Frame codec: size check, envelope decode, and encoding replies/events to shared `Bytes`
//! (serialized once, sent to every recipient).

use super::client::Envelope;
use super::server::{Ack, ErrorFrame};
use super::RequestId;
use crate::error::{ApiError, ErrorCode};
use bytes::Bytes;
use serde::Serialize;

/// Reads the envelope of a text frame, or says why it is not a valid request.
pub fn decode_envelope(text: &str, max_bytes: usize) -> Result<Envelope<'_>, ApiError> {
    if text.len() > max_bytes {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "frame of {} bytes is over the {max_bytes}-byte limit",
                text.len()
            ),
        ));
    }
    serde_json::from_str::<Envelope>(text).map_err(|e| {
        ApiError::bad_request(if e.is_syntax() || e.is_eof() {
            format!("malformed JSON: {e}")
        } else {
            format!("invalid message: {e}")
        })
    })
}

/// Parses the typed body of a frame whose envelope was valid.
pub fn decode_body<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::bad_request(format!("invalid message: {e}")))
}

/// Serializes any server message once.
pub fn encode<T: Serialize>(msg: &T) -> Bytes {
    match serde_json::to_vec(msg) {
        Ok(v) => Bytes::from(v),
        // Our own types always serialize; keep the connection usable if one ever does not.
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a server message");
            Bytes::from_static(
                br#"{"type":"error","code":"internal","message":"serialization failed"}"#,
            )
        }
    }
}

pub fn ack<T: Serialize>(id: &RequestId, result: T) -> Bytes {
    encode(&Ack {
        ty: "ack",
        id,
        result,
    })
}

/// Longest client-sent text quoted inside an error message (see `echo`).
pub const MAX_ECHO_CHARS: usize = 64;
/// Longest error message sent on the wire. Messages quote client input (directly or through
/// serde's own messages, e.g. an unknown enum variant), so every error frame is bounded here,
/// the one place they are encoded, whatever a handler put in it.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 256;

/// Quotes client input in an error message, cut to `MAX_ECHO_CHARS` with an ellipsis: a
/// client must not be able to make the server send back (or log) megabytes it sent.
pub fn echo(input: &str) -> String {
    cut(input, MAX_ECHO_CHARS)
}

fn cut(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        None => s.to_string(),
        Some((at, _)) => format!("{}…", &s[..at]),
    }
}

pub fn error(id: Option<&RequestId>, e: &ApiError) -> Bytes {
    let message = cut(&e.message, MAX_ERROR_MESSAGE_CHARS);
    encode(&ErrorFrame {
        ty: "error",
        id,
        code: e.code,
        message: &message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_input_and_error_messages_are_bounded() {
        assert_eq!(echo("short"), "short");
        let long = "é".repeat(1000);
        let e = echo(&long);
        assert_eq!(e.chars().count(), MAX_ECHO_CHARS + 1);
        assert!(e.ends_with('…'));
        let frame = error(None, &ApiError::bad_request(long.clone()));
        let v: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        let m = v["message"].as_str().unwrap();
        assert_eq!(m.chars().count(), MAX_ERROR_MESSAGE_CHARS + 1);
        assert!(m.ends_with('…'));
    }
    use crate::protocol::client::PlayerRequest;

    #[test]
    fn envelope_and_body() {
        let text = r#"{"type":"seek","id":"a1","position_ms":5000,"expected_version":3,"x":[1,2]}"#;
        let env = decode_envelope(text, 1000).unwrap();
        assert_eq!(env.ty, "seek");
        assert_eq!(env.id, Some(RequestId::Str("a1".into())));
        assert_eq!(env.expected_version, Some(3));
        let body: PlayerRequest = decode_body(text).unwrap();
        assert_eq!(body, PlayerRequest::Seek { position_ms: 5000 });
        assert_eq!(
            decode_envelope("{", 1000).unwrap_err().code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            decode_envelope("[1]", 1000).unwrap_err().code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            decode_envelope(r#"{"id":1}"#, 1000).unwrap_err().code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            decode_envelope(text, 10).unwrap_err().code,
            ErrorCode::TooLarge
        );
        let bad = r#"{"type":"seek","position_ms":"soon"}"#;
        assert!(decode_body::<PlayerRequest>(bad).is_err());
        let a = ack(&RequestId::Int(7), serde_json::json!({"v": 1}));
        assert_eq!(&a[..], br#"{"type":"ack","id":7,"result":{"v":1}}"#);
        let e = error(None, &ApiError::conflict("stale"));
        assert_eq!(
            &e[..],
            br#"{"type":"error","code":"conflict","message":"stale"}"#
        );
    }
}
