//! The authorization matrix of the WebSocket API: every message type × every role, from one
//! table checked against the protocol's lists of types (a new type cannot be added without its
//! row). The REST half and the roles are in `authz_matrix.rs` and `authz_fixture.rs`.

use crate::authz_fixture::{fixture, seed, Allowed, Fx, Role, Role::*, ROLES};
use crate::common::{TestServer, WsClient};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// What the acting socket has before the message is sent.
#[derive(Clone, Copy, PartialEq)]
pub enum Prep {
    Nothing,
    /// The actor's own player plays the fixture's tracks and has one queued item.
    Playing,
}

pub struct WsRow {
    pub ty: &'static str,
    pub body: fn(&Fx, &Ctx) -> Value,
    pub allowed: Allowed,
    /// Error codes an allowed role may get that are not refusals of who they are.
    pub tolerate: &'static [&'static str],
    /// Codes besides `REFUSALS` that refuse a role here (e.g. `conflict`: already in a session).
    pub also_refuses: &'static [&'static str],
    pub prep: Prep,
}

/// What the preparation produced.
#[derive(Default)]
pub struct Ctx {
    pub item_id: Value,
    pub queued_item_id: Value,
}

const EDITORS: &[Role] = &[Owner, Collaborator];
const HOST: &[Role] = &[Host];
const MEMBERS: &[Role] = &[Host, Guest];
/// Premium accounts outside a session may host one.
const MAY_HOST: &[Role] = &[Premium, Owner, Stranger];
/// Accounts outside the session: in a session every member plays on their own device.
const OUTSIDERS: &[Role] = &[Free, Premium, Owner, Collaborator, Follower, Stranger];

fn row(ty: &'static str, body: fn(&Fx, &Ctx) -> Value, allowed: Allowed) -> WsRow {
    WsRow {
        ty,
        body,
        allowed,
        tolerate: &[],
        also_refuses: &[],
        prep: Prep::Nothing,
    }
}

impl WsRow {
    fn playing(mut self) -> WsRow {
        self.prep = Prep::Playing;
        self
    }
    fn tolerate(mut self, codes: &'static [&'static str]) -> WsRow {
        self.tolerate = codes;
        self
    }
    fn also_refuses(mut self, codes: &'static [&'static str]) -> WsRow {
        self.also_refuses = codes;
        self
    }
}

/// Guests control the session's playback by default (`guests_can_control`, protocol.md), so
/// every account may send player commands: outside a session to its own player, in one to the
/// session's.
pub fn ws_rows() -> Vec<WsRow> {
    use Allowed::{Accounts, Only};
    vec![
        row("time_sync", |_, _| json!({"t0": 1}), Accounts),
        row(
            "play",
            |f, _| json!({"track_ids": f.tracks, "offset": {"position": 1}, "position_ms": 1000}),
            Accounts,
        ),
        row("pause", |_, _| json!({}), Accounts).playing(),
        row("resume", |_, _| json!({}), Accounts).playing(),
        row("seek", |_, _| json!({"position_ms": 1000}), Accounts).playing(),
        row("next", |_, _| json!({}), Accounts).playing(),
        row("previous", |_, _| json!({}), Accounts).playing(),
        row("set_volume", |_, _| json!({"volume": 40}), Accounts),
        row("set_shuffle", |_, _| json!({"on": true}), Accounts).playing(),
        row("set_repeat", |_, _| json!({"mode": "context"}), Accounts).playing(),
        row(
            "queue_add",
            |f, _| json!({"track_ids": [f.tracks[0]]}),
            Accounts,
        ),
        row(
            "queue_remove",
            |_, c| json!({"item_id": c.queued_item_id}),
            Accounts,
        )
        .playing(),
        row(
            "queue_move",
            |_, c| json!({"item_id": c.queued_item_id, "after_item_id": null}),
            Accounts,
        )
        .playing(),
        row("queue_clear", |_, _| json!({}), Accounts).playing(),
        row(
            "transfer",
            |_, _| json!({"device_id": "authz-actor"}),
            Only(OUTSIDERS),
        )
        .also_refuses(&["bad_request"]),
        row(
            "report_position",
            |_, c| json!({"item_id": c.item_id, "position_ms": 1000, "playing": true}),
            Accounts,
        )
        .playing(),
        // protocol.md: accepted from any member; a stale item is a not_found of that item.
        row(
            "track_ended",
            |_, c| json!({"item_id": c.item_id}),
            Accounts,
        )
        .playing()
        .tolerate(&["not_found"]),
        // Hosting needs Premium and no other session.
        row(
            "session_create",
            |_, _| json!({"name": "Mine"}),
            Only(MAY_HOST),
        )
        .also_refuses(&["conflict"]),
        row(
            "session_join",
            |f, _| json!({"join_code": f.join_code}),
            Accounts,
        ),
        row("session_leave", |_, _| json!({}), Only(MEMBERS)),
        row("session_end", |_, _| json!({}), Only(HOST)),
        row(
            "session_kick",
            |f, _| json!({"user_id": f.id_of(Guest)}),
            Only(HOST),
        ),
        row(
            "session_promote",
            |f, _| json!({"user_id": f.id_of(Guest)}),
            Only(HOST),
        ),
        row(
            "session_settings",
            |_, _| json!({"guests_can_control": true}),
            Only(HOST),
        ),
        // Nothing plays in the session yet: members get not_found for the item.
        row(
            "buffering",
            |_, _| json!({"item_id": "none", "ready": true}),
            Only(MEMBERS),
        )
        .tolerate(&["not_found", "bad_request"]),
        row(
            "playlist_subscribe",
            |f, _| json!({"playlist_id": f.private_playlist, "since_version": 0}),
            Only(EDITORS),
        ),
        row(
            "playlist_unsubscribe",
            |f, _| json!({"playlist_id": f.public_playlist}),
            Accounts,
        ),
        row(
            "playlist_edit",
            |f, _| {
                json!({"playlist_id": f.public_playlist, "base_version": 1, "op_id": "authz",
                          "ops": [{"op": "insert", "after_item_id": null, "track_ids": [f.tracks[1]]}]})
            },
            Only(EDITORS),
        ),
    ]
}

#[test]
fn every_message_type_has_a_row_and_every_row_a_type() {
    use segue::protocol::client::{PLAYER_TYPES, PLAYLIST_TYPES, SESSION_TYPES};
    let known: BTreeSet<&str> = PLAYER_TYPES
        .iter()
        .chain(SESSION_TYPES)
        .chain(PLAYLIST_TYPES)
        .copied()
        .collect();
    let table: BTreeSet<&str> = ws_rows().iter().map(|r| r.ty).collect();
    let missing: Vec<_> = known.difference(&table).collect();
    let stale: Vec<_> = table.difference(&known).collect();
    assert!(
        missing.is_empty(),
        "message types without a row: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for message types that do not exist: {stale:?}"
    );
}

/// The acting socket: the session's own sockets for Host and Guest, a fresh device otherwise.
/// `None` when the server refused the socket itself (no live account).
pub async fn actor_socket(srv: &TestServer, fx: &mut Fx, role: Role) -> Option<WsClient> {
    match role {
        Host => return Some(fx.session_sockets.remove(0)),
        Guest => return fx.session_sockets.pop(),
        _ => {}
    }
    let who = fx.who(role).clone();
    let mut ws = WsClient::connect(&srv.ws_url()).await;
    if role == Anonymous {
        return Some(ws);
    }
    ws.send(json!({
        "type": "hello", "id": 0, "token": who.token(), "protocol": 1,
        "device": {"id": "authz-actor", "name": "Matrix", "kind": "computer"}
    }))
    .await;
    let first = ws
        .recv_where_within(Duration::from_secs(5), |m| {
            m["type"] == "welcome" || m["type"] == "error"
        })
        .await?;
    (first["type"] == "welcome").then_some(ws)
}

/// A request with a chosen id; `None` when no reply comes (e.g. the server closed the socket).
pub async fn try_request(ws: &mut WsClient, mut msg: Value, id: u64) -> Option<Value> {
    msg["id"] = json!(id);
    ws.send(msg).await;
    ws.recv_where_within(Duration::from_secs(5), |m| {
        m["id"] == json!(id) && (m["type"] == "ack" || m["type"] == "error")
    })
    .await
}

pub async fn prepare(ws: &mut WsClient, fx: &Fx, prep: Prep) -> Ctx {
    let mut ctx = Ctx::default();
    if prep == Prep::Playing {
        // A socket that may not play gets nothing to work on; its message is refused anyway.
        let _ = try_request(ws, json!({"type": "play", "track_ids": fx.tracks}), 1).await;
        let q = try_request(
            ws,
            json!({"type": "queue_add", "track_ids": [fx.tracks[2]]}),
            2,
        )
        .await
        .unwrap_or(Value::Null);
        ctx.queued_item_id = q["result"]["item_ids"][0].clone();
        let s = ws
            .recv_where_within(Duration::from_secs(2), |m| {
                m["type"] == "player_state" && !m["item"]["item_id"].is_null()
            })
            .await
            .unwrap_or(Value::Null);
        ctx.item_id = s["item"]["item_id"].clone();
    }
    ctx
}

/// Above the ids `WsClient::request` gives the preparation's requests.
const REQUEST_ID: u64 = 1_000;

async fn ws_cell(srv: &TestServer, tracks: &[String], row: &WsRow, role: Role) -> Option<String> {
    let mut fx = fixture(srv, tracks, true).await;
    let allowed = row.allowed.allows(role);
    let Some(mut ws) = actor_socket(srv, &mut fx, role).await else {
        // The socket was refused at hello: a refusal, right only if the role is not allowed.
        return allowed.then(|| format!("{} as {role:?}: hello refused", row.ty));
    };
    // A socket without hello is closed at its first message: it has nothing to prepare.
    let ctx = if role == Anonymous {
        Ctx::default()
    } else {
        prepare(&mut ws, &fx, row.prep).await
    };
    let mut msg = (row.body)(&fx, &ctx);
    msg["type"] = json!(row.ty);
    // No reply at all (the socket closed) is a refusal too.
    let reply = try_request(&mut ws, msg, REQUEST_ID)
        .await
        .unwrap_or_else(|| json!({"type": "error", "code": "unauthorized", "closed": true}));
    let code = reply["code"].as_str().unwrap_or("");
    let ok = if allowed {
        reply["type"] == "ack" || row.tolerate.contains(&code)
    } else {
        reply["type"] == "error"
            && (crate::authz_fixture::is_refusal(&reply["code"])
                || row.also_refuses.contains(&code))
    };
    (!ok).then(|| {
        format!(
            "{} as {role:?}: expected {}, got {reply}",
            row.ty,
            if allowed { "ack" } else { "refusal" }
        )
    })
}

#[tokio::test]
async fn every_message_type_allows_exactly_its_roles() {
    let srv = TestServer::start().await;
    let tracks = seed(&srv).await;
    let mut failures = Vec::new();
    for row in ws_rows() {
        let cells = ROLES.iter().map(|&role| {
            let (srv, tracks, row) = (&srv, &tracks, &row);
            async move { ws_cell(srv, tracks, row, role).await }
        });
        failures.extend(
            futures_util::future::join_all(cells)
                .await
                .into_iter()
                .flatten(),
        );
    }
    assert!(
        failures.is_empty(),
        "{} cells disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
