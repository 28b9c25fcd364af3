//! Entry point of the `frames` fuzz target (`fuzz/`), shared with the test that replays its
//! corpus on every ordinary test run (`tests/it/fuzz_corpus.rs`).
//!
//! One input is a short conversation: up to [`MAX_FRAMES`] WebSocket text frames separated by
//! `\n`. Each goes through the real frame decoder (`protocol::codec`), and what decodes is applied
//! by the same pure rules the actors run: player commands to one player state, playlist edits to
//! one playlist, session messages (decoded by the session area's own types) to one group
//! session's roster, sent by one of four users chosen by the frame's length. After every frame the invariants that clients rely on are checked; a violation,
//! an arithmetic overflow (debug assertions are on in fuzz builds) or any other panic is a crash.

use crate::actors::session_ws::{body, BufferingMsg, Create, JoinMsg, SettingsMsg, Target};
use crate::domain::player::{
    apply, ApplyCtx, Command, Limits as PlayerLimits, Offset, PlayerState, TrackRef,
};
use crate::domain::playlist::{Op, Playlist};
use crate::domain::playlist_ops::Limits as PlaylistLimits;
use crate::domain::session::{normalize_join_code, Departure, Member, Role, Roster, Settings};
use crate::error::ApiError;
use crate::protocol::client::{Hello, PlayerRequest, WireOffset, PLAYER_TYPES, SESSION_TYPES};
use crate::protocol::codec;
use serde::Deserialize;

/// Frames per input: enough for a conversation, few enough that one input stays fast.
pub const MAX_FRAMES: usize = 16;
/// The frame limit the harness decodes with (the server's default is larger; the fuzzer does
/// not need megabyte frames to reach the size check).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The fake catalog the harness resolves track ids against: `t0`..`t9`, with durations that
/// include the edge cases the player must survive (zero and a very long track).
fn resolve(id: &str) -> Option<TrackRef> {
    const DURATIONS: [i64; 10] = [0, 1, 999, 30_000, 180_000, 240_000, 1_000, 5, 3_600_000, 61];
    let n: usize = id.strip_prefix('t')?.parse().ok()?;
    Some(TrackRef {
        track_id: id.to_string(),
        duration_ms: *DURATIONS.get(n)?,
    })
}

#[derive(Deserialize)]
struct PlaylistEdit {
    #[allow(dead_code)]
    playlist_id: String,
    #[allow(dead_code)]
    base_version: u64,
    ops: Vec<Op>,
    #[allow(dead_code)]
    op_id: String,
}

/// The state one input drives.
struct World {
    player: PlayerState,
    playlist: Playlist,
    now_ms: i64,
    next_playlist_item: u64,
    session: Option<Roster>,
}

/// The users of a session conversation; a frame is sent by `USERS[len % 4]`.
const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
/// A small capacity so that inputs reach "full".
const SESSION_CAPACITY: usize = 3;
const JOIN_CODE: &str = "ABCD2345";

/// Runs one fuzz input. Panics (which the fuzzer reports) when an invariant breaks.
pub fn frames(data: &[u8]) {
    let mut world = World {
        player: PlayerState::default(),
        playlist: Playlist::new("fuzz", 64),
        now_ms: 1_000_000,
        next_playlist_item: 0,
        session: None,
    };
    for (step, raw) in data.split(|b| *b == b'\n').take(MAX_FRAMES).enumerate() {
        // Text frames are UTF-8 by the WebSocket protocol; the transport refuses others.
        let Ok(text) = std::str::from_utf8(raw) else {
            continue;
        };
        world.now_ms += 250 * step as i64;
        if let Err(e) = world.frame(text) {
            check_error_frame(&e);
        }
    }
}

impl World {
    fn frame(&mut self, text: &str) -> Result<(), ApiError> {
        let env = codec::decode_envelope(text, MAX_FRAME_BYTES)?;
        let ty: &str = &env.ty;
        if ty == "hello" {
            let _: Hello = codec::decode_body(text)?;
            return Ok(());
        }
        if PLAYER_TYPES.contains(&ty) {
            let req: PlayerRequest = codec::decode_body(text)?;
            return self.player(req, env.expected_version);
        }
        if ty == "playlist_edit" {
            let edit: PlaylistEdit = codec::decode_body(text)?;
            return self.playlist(&edit.ops);
        }
        if SESSION_TYPES.contains(&ty) {
            let msg: serde_json::Value = codec::decode_body(text)?;
            let user = USERS[text.len() % USERS.len()];
            return self.session(ty, msg, user);
        }
        Ok(())
    }

    /// A session message by `user`, with the roster rules the session actor applies.
    fn session(&mut self, ty: &str, msg: serde_json::Value, user: &str) -> Result<(), ApiError> {
        let before = self.session.clone();
        let member = |role| Member {
            user_id: user.to_string(),
            display_name: user.to_string(),
            role,
            joined_at_ms: 0,
        };
        let refuse = |e: crate::domain::session::SessionError| ApiError::forbidden(e.to_string());
        let result = match (ty, self.session.as_mut()) {
            ("session_create", None) => {
                let m: Create = body(ty, msg)?;
                let settings = Settings {
                    guests_can_control: true,
                    guests_can_add: true,
                    capacity: SESSION_CAPACITY,
                };
                let name = m.name.unwrap_or_default();
                self.session = Some(Roster::new(
                    "s".into(),
                    JOIN_CODE.into(),
                    name,
                    member(Role::Host),
                    settings,
                ));
                Ok(())
            }
            ("session_create", Some(_)) => Err(ApiError::conflict("already in a session")),
            ("session_join", Some(r)) => {
                let m: JoinMsg = body(ty, msg)?;
                if normalize_join_code(&m.join_code).as_deref() != Some(JOIN_CODE) {
                    Err(ApiError::not_found("no session with that code"))
                } else {
                    r.join(member(Role::Guest)).map(|_| ()).map_err(refuse)
                }
            }
            ("session_leave", Some(r)) => {
                if r.leave(user) == Departure::Ended {
                    self.session = None;
                }
                Ok(())
            }
            ("session_end", Some(r)) => {
                if r.is_host(user) {
                    self.session = None;
                    Ok(())
                } else {
                    Err(ApiError::forbidden("only the host"))
                }
            }
            ("session_kick", Some(r)) => {
                let t: Target = body(ty, msg)?;
                r.kick(user, &t.user_id).map_err(refuse)
            }
            ("session_promote", Some(r)) => {
                let t: Target = body(ty, msg)?;
                r.promote(user, &t.user_id).map_err(refuse)
            }
            ("session_settings", Some(r)) => {
                let s: SettingsMsg = body(ty, msg)?;
                if !r.is_host(user) {
                    Err(ApiError::forbidden("only the host"))
                } else {
                    if let Some(v) = s.guests_can_control {
                        r.settings.guests_can_control = v;
                    }
                    if let Some(v) = s.guests_can_add {
                        r.settings.guests_can_add = v;
                    }
                    Ok(())
                }
            }
            ("buffering", _) => body::<BufferingMsg>(ty, msg).map(|b| {
                let _ = (b.item_id, b.ready);
            }),
            (_, None) => Err(ApiError::not_found("not in a session")),
            _ => Err(ApiError::bad_request("unknown session message")),
        };
        if result.is_err() {
            assert_eq!(
                self.session, before,
                "a refused session message changed the roster"
            );
        }
        if let Some(r) = &self.session {
            let hosts = r.members.iter().filter(|m| m.role == Role::Host).count();
            assert_eq!(hosts, 1, "a session without exactly one host");
            assert!(
                r.members.len() <= r.settings.capacity,
                "a session over capacity"
            );
            let mut ids: Vec<&str> = r.members.iter().map(|m| m.user_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), r.members.len(), "a member appears twice");
            for m in &r.members {
                if m.role == Role::Host {
                    assert!(
                        r.can_control(&m.user_id) && r.can_add(&m.user_id),
                        "the host lost control"
                    );
                }
            }
        }
        result
    }

    fn player(&mut self, req: PlayerRequest, expected: Option<u64>) -> Result<(), ApiError> {
        let Some(cmd) = command(req)? else {
            return Ok(());
        };
        let before = self.player.clone();
        let limits = PlayerLimits {
            max_queue: 50,
            max_context_tracks: 50,
            previous_restart_threshold_ms: 3_000,
        };
        let online = |d: &str| d == "phone" || d == "web";
        let ctx = ApplyCtx {
            issuer: Some("web"),
            is_online: &online,
            limits: &limits,
            random: self.now_ms as u64,
            start_lead_ms: None,
        };
        let result = apply(&mut self.player, cmd, expected, self.now_ms, &ctx);
        let p = &self.player;
        match &result {
            Ok(_) => assert!(p.version >= before.version, "the version went back"),
            Err(_) => assert_eq!(p, &before, "a refused command changed the state"),
        }
        assert!(p.queue.len() <= limits.max_queue, "queue over its limit");
        let live = p.live_position(self.now_ms);
        assert!(
            (0..=p.duration_ms()).contains(&live),
            "position {live} outside the item (0..={})",
            p.duration_ms()
        );
        if let Some(c) = &p.context {
            assert_eq!(
                c.track_ids.len(),
                c.durations.len(),
                "context columns differ"
            );
            assert!(
                c.len() <= limits.max_context_tracks,
                "context over its limit"
            );
        }
        // What a client is sent must serialize.
        serde_json::to_vec(p).map_err(|e| ApiError::internal(e.to_string()))?;
        result.map(|_| ()).map_err(ApiError::from)
    }

    fn playlist(&mut self, ops: &[Op]) -> Result<(), ApiError> {
        let limits = PlaylistLimits {
            max_items: 40,
            max_ops_per_edit: 8,
            window: 64,
        };
        let before_version = self.playlist.version();
        let counter = &mut self.next_playlist_item;
        let mut new_id = || {
            *counter += 1;
            format!("i{counter}")
        };
        let result = self
            .playlist
            .apply_edit("fuzzer", self.now_ms, ops, &limits, &mut new_id);
        let pl = &self.playlist;
        assert!(pl.version() >= before_version, "the version went back");
        assert!(pl.len() <= limits.max_items, "playlist over its limit");
        let order: Vec<&str> = pl.order().collect();
        let mut unique = order.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), order.len(), "an item appears twice");
        assert_eq!(order.len(), pl.len(), "order and items disagree");
        // A snapshot (what storage keeps and a restart loads) gives back the same list.
        let reloaded = Playlist::from_snapshot(pl.to_snapshot(), 64);
        assert!(
            reloaded.order().eq(pl.order()),
            "the snapshot changed the order"
        );
        result
            .map(|_| ())
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// The pure part of turning a wire request into a player command (the actor also resolves
/// catalog ids; here the fake catalog does).
fn command(req: PlayerRequest) -> Result<Option<Command>, ApiError> {
    let tracks = |ids: Vec<String>| -> Result<Vec<TrackRef>, ApiError> {
        ids.iter()
            .map(|id| resolve(id).ok_or_else(|| ApiError::not_found("no such track")))
            .collect()
    };
    Ok(Some(match req {
        PlayerRequest::TimeSync { .. } => return Ok(None),
        PlayerRequest::Play {
            context_uri,
            track_ids,
            offset,
            position_ms,
            device_id,
        } => Command::Play {
            uri: context_uri,
            tracks: track_ids.map(tracks).transpose()?,
            offset: offset
                .map(|o| -> Result<Offset, ApiError> {
                    Ok(match o {
                        WireOffset::Index(i) | WireOffset::Position { position: i } => {
                            Offset::Index(i as usize)
                        }
                        WireOffset::Item { item_id } => Offset::Item(item_id.parse()?),
                        WireOffset::Track { track_id } => Offset::Track(track_id),
                    })
                })
                .transpose()?,
            position_ms,
            device_id,
        },
        PlayerRequest::Pause {} => Command::Pause,
        PlayerRequest::Resume {} => Command::Resume,
        PlayerRequest::Seek { position_ms } => Command::Seek { position_ms },
        PlayerRequest::Next {} => Command::Next,
        PlayerRequest::Previous {} => Command::Previous,
        PlayerRequest::SetVolume { volume, .. } => Command::SetVolume { volume },
        PlayerRequest::SetShuffle { on } => Command::SetShuffle { on },
        PlayerRequest::SetRepeat { mode } => Command::SetRepeat { mode },
        PlayerRequest::QueueAdd { track_ids, next } => Command::QueueAdd {
            tracks: tracks(track_ids)?,
            next,
        },
        PlayerRequest::QueueRemove { item_id } => Command::QueueRemove {
            item_id: item_id.parse()?,
        },
        PlayerRequest::QueueMove {
            item_id,
            after_item_id,
        } => Command::QueueMove {
            item_id: item_id.parse()?,
            after: after_item_id.map(|a| a.parse()).transpose()?,
        },
        PlayerRequest::QueueClear {} => Command::QueueClear,
        PlayerRequest::Transfer { device_id, play } => Command::Transfer { device_id, play },
        PlayerRequest::ReportPosition {
            item_id,
            position_ms,
            playing,
        } => Command::ReportPosition {
            item_id: item_id.parse()?,
            position_ms,
            playing,
        },
        PlayerRequest::TrackEnded { item_id } => Command::TrackEnded {
            item_id: item_id.parse()?,
        },
    }))
}

/// Every refusal becomes an `error` frame a client can parse, with a bounded message.
fn check_error_frame(e: &ApiError) {
    let bytes = codec::error(None, e);
    let v: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(err) => panic!("error frame is not JSON: {err}"),
    };
    assert_eq!(v["type"], "error");
    assert!(v["code"].is_string(), "error frame without a code");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_drives_player_and_playlist() {
        let input = concat!(
            r#"{"type":"play","id":1,"track_ids":["t3","t4","t5"],"offset":1,"position_ms":1000}"#,
            "\n",
            r#"{"type":"seek","id":2,"position_ms":99999999999}"#,
            "\n",
            r#"{"type":"playlist_edit","playlist_id":"p","base_version":0,"op_id":"o","ops":[{"op":"insert","track_ids":["t1","t2"]}]}"#,
            "\n",
            "\u{0}not json"
        );
        frames(input.as_bytes());
    }

    #[test]
    fn extreme_numbers_are_refused_or_clamped_not_panicking() {
        for n in [
            "18446744073709551615",
            "-9223372036854775808",
            "-1",
            "1e309",
        ] {
            let input = format!(
                "{{\"type\":\"play\",\"track_ids\":[\"t4\"],\"position_ms\":{n}}}\n{{\"type\":\"seek\",\"position_ms\":{n}}}\n{{\"type\":\"set_volume\",\"volume\":{n}}}"
            );
            frames(input.as_bytes());
        }
    }

    fn world() -> World {
        World {
            player: PlayerState::default(),
            playlist: Playlist::new("fuzz", 64),
            now_ms: 0,
            next_playlist_item: 0,
            session: None,
        }
    }

    #[test]
    fn session_messages_follow_the_roster_rules() {
        let mut w = world();
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
        assert!(w
            .session("session_join", v(r#"{"join_code":"ABCD2345"}"#), "u1")
            .is_err());
        w.session("session_create", v(r#"{"name":"x"}"#), "u0")
            .unwrap_or_default();
        for u in ["u1", "u2", "u3"] {
            let _ = w.session("session_join", v(r#"{"join_code":"abcd-2345"}"#), u);
        }
        let r = w.session.clone().unwrap_or_else(|| panic!("no session"));
        assert_eq!(
            r.members.len(),
            SESSION_CAPACITY,
            "the fourth join is refused"
        );
        assert!(w
            .session("session_kick", v(r#"{"user_id":"u0"}"#), "u1")
            .is_err());
        w.session("session_promote", v(r#"{"user_id":"u1"}"#), "u0")
            .unwrap_or_default();
        assert!(w.session.as_ref().is_some_and(|r| r.is_host("u1")));
        assert!(w.session("session_settings", v("{}"), "u0").is_err());
        w.session("session_leave", v("{}"), "u1")
            .unwrap_or_default();
        assert!(w
            .session
            .as_ref()
            .is_some_and(|r| r.members.len() == 2 && r.is_host("u0")));
        w.session("session_end", v("{}"), "u0").unwrap_or_default();
        assert!(w.session.is_none());
        // Malformed bodies are bad requests, through the real session decoder.
        let e = w.session("session_create", v(r#"{"name":7}"#), "u0");
        assert!(e.is_err());
    }
}
