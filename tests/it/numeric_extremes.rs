//! Extreme numbers in every numeric field of every REST body and query and of every WebSocket
//! message, taken from the authorization matrix's tables (so a new route or message type is
//! covered as soon as it has its row). Each field gets the largest and smallest integers,
//! negatives, zero, floats and strings that only look like numbers. Every answer must be a
//! success or a clear client error (`{code, message}`, never a 5xx), a value of the wrong type
//! must be `bad_request`, and the server, the playlist actors and their live subscribers must
//! be healthy afterwards.

use crate::authz_fixture::{fixture, seed, Allowed, Fx, Role, Role::*};
use crate::authz_matrix::rest_rows;
use crate::authz_matrix_ws::{actor_socket, prepare, try_request, ws_rows, Ctx, Prep};
use crate::common::{TestServer, WsClient};
use serde_json::{json, Value};
use std::time::Duration;

/// Numbers that are numbers: a field may accept some of them.
fn numeric_extremes() -> Vec<Value> {
    vec![
        json!(u64::MAX),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(-1),
        json!(0),
        json!(9_007_199_254_740_993u64),
        json!(1e308),
        json!(-0.5),
    ]
}

/// Values of the wrong type for an integer field: always `bad_request`.
fn wrong_types() -> Vec<Value> {
    vec![
        json!("NaN"),
        json!("1e999"),
        json!(""),
        json!("0x10"),
        json!("12"),
    ]
}

/// The same for a query parameter (where every value is text).
const QUERY_NUMBERS: &[&str] = &[
    "18446744073709551615",
    "-9223372036854775808",
    "9223372036854775807",
    "-1",
    "0",
];
const QUERY_WRONG: &[&str] = &[
    "18446744073709551616",
    "NaN",
    "1e999",
    "",
    "0x10",
    "1.5",
    "--1",
];

/// Codes that are a clear answer to a number out of range.
const CLEAR: &[&str] = &["bad_request", "not_found", "conflict"];

/// Paths (JSON pointers) of every numeric leaf of `v`.
fn numeric_leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(at),
        Value::Object(m) => {
            for (k, x) in m {
                numeric_leaves(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numeric_leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn with_leaf(v: &Value, pointer: &str, new: Value) -> Value {
    let mut v = v.clone();
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = new;
    }
    v
}

/// The query parameters of `path` whose values are numbers.
fn numeric_params(path: &str) -> Vec<String> {
    let Some((_, query)) = path.split_once('?') else {
        return vec![];
    };
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(_, v)| v.parse::<f64>().is_ok())
        .map(|(k, _)| k.to_string())
        .collect()
}

fn with_param(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Who sends the probes of a row: someone it allows.
fn prober(allowed: Allowed) -> Option<Role> {
    [
        Owner,
        Host,
        Collaborator,
        Premium,
        Free,
        Follower,
        Stranger,
        Guest,
    ]
    .into_iter()
    .find(|r| allowed.allows(*r))
}

/// Judges one answer; `Some(reason)` when it is not acceptable.
fn judge(what: &str, status: u16, body: &Value, wrong_type: bool) -> Option<String> {
    let code = body["code"].as_str().unwrap_or("");
    let clear_error = (400..500).contains(&status)
        && !code.is_empty()
        && body["message"].as_str().is_some_and(|m| !m.is_empty());
    let ok = if wrong_type {
        status == 400 && code == "bad_request"
    } else {
        status < 400 || (clear_error && CLEAR.contains(&code))
    };
    (!ok).then(|| format!("{what}: got {status} {body}"))
}

async fn rest_send(
    c: &crate::common::TestClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut r = reqwest::Client::new().request(m, c.url(path));
    if !c.token().is_empty() {
        r = r.bearer_auth(c.token());
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = c.send(r).await;
    (resp.status, resp.body)
}

/// The server answers, the public playlist's actor answers, and its subscriber is still there.
async fn assert_healthy(srv: &TestServer, fx: &Fx, subscriber: &mut WsClient, after: &str) {
    let (status, _) = rest_send(&srv.client(), "GET", "/healthz", None).await;
    assert_eq!(status, 200, "healthz after {after}");
    let owner = fx.who(Owner);
    let (status, body) = rest_send(
        owner,
        "GET",
        &format!("/v1/playlists/{}", fx.public_playlist),
        None,
    )
    .await;
    assert_eq!(status, 200, "the playlist actor after {after}: {body}");
    let reply = try_request(
        subscriber,
        json!({"type": "time_sync", "t0": 1}),
        9_000 + after.len() as u64,
    )
    .await;
    assert!(
        reply.is_some_and(|r| r["type"] == "ack"),
        "the subscriber's socket after {after}"
    );
}

async fn subscribe(fx: &Fx) -> WsClient {
    let (mut ws, _) = fx.who(Follower).ws("extremes-subscriber").await;
    WsClient::ok(
        ws.request(json!({"type": "playlist_subscribe", "playlist_id": fx.public_playlist}))
            .await,
    );
    ws
}

async fn server() -> TestServer {
    // The probes come fast on one socket: the per-connection rate limit is not under test.
    TestServer::start_with(|c| {
        c.ws.rate_per_sec = 10_000;
        c.ws.rate_burst = 10_000;
        // Wrong-typed probes are invalid frames on purpose; the cut-off is tested in ws_frames.
        c.ws.invalid_frame_limit = 100_000;
    })
    .await
}

#[tokio::test]
async fn every_numeric_field_of_every_rest_route_takes_extremes_without_harm() {
    let srv = server().await;
    let tracks = seed(&srv).await;
    let fx = fixture(&srv, &tracks, false).await;
    let mut subscriber = subscribe(&fx).await;
    let mut failures = Vec::new();
    let mut probes = 0;
    for row in rest_rows() {
        let Some(role) = prober(row.allowed) else {
            continue;
        };
        let who = fx.who(role);
        let path = (row.path)(&fx);
        let body = (row.body)(&fx);
        let mut leaves = Vec::new();
        if let Some(b) = &body {
            numeric_leaves(b, String::new(), &mut leaves);
        }
        for leaf in &leaves {
            let b = body.clone().unwrap_or(Value::Null);
            for (value, wrong) in numeric_extremes()
                .into_iter()
                .map(|v| (v, false))
                .chain(wrong_types().into_iter().map(|v| (v, true)))
            {
                let what = format!("{} {path} {leaf}={value}", row.method);
                let (status, answer) =
                    rest_send(who, row.method, &path, Some(with_leaf(&b, leaf, value))).await;
                failures.extend(judge(&what, status, &answer, wrong));
                probes += 1;
            }
        }
        for param in numeric_params(&path) {
            for (value, wrong) in QUERY_NUMBERS
                .iter()
                .map(|v| (*v, false))
                .chain(QUERY_WRONG.iter().map(|v| (*v, true)))
            {
                let probe = with_param(&path, &param, value);
                let what = format!("{} {probe}", row.method);
                let (status, answer) = rest_send(who, row.method, &probe, body.clone()).await;
                failures.extend(judge(&what, status, &answer, wrong));
                probes += 1;
            }
        }
        if !leaves.is_empty() || !numeric_params(&path).is_empty() {
            assert_healthy(
                &srv,
                &fx,
                &mut subscriber,
                &format!("{} {}", row.method, row.route),
            )
            .await;
        }
    }
    assert!(
        probes > 300,
        "too few probes ({probes}): the table lost its numbers"
    );
    assert!(
        failures.is_empty(),
        "{} probes answered badly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_numeric_field_of_every_ws_message_takes_extremes_without_harm() {
    let srv = server().await;
    let tracks = seed(&srv).await;
    let mut failures = Vec::new();
    let mut probes = 0;
    for row in ws_rows() {
        let Some(role) = prober(row.allowed) else {
            continue;
        };
        let mut fx = fixture(&srv, &tracks, true).await;
        let mut subscriber = subscribe(&fx).await;
        let Some(mut ws) = actor_socket(&srv, &mut fx, role).await else {
            failures.push(format!("{}: no socket for {role:?}", row.ty));
            continue;
        };
        let ctx: Ctx = prepare(&mut ws, &fx, Prep::Playing).await;
        let mut msg = (row.body)(&fx, &ctx);
        msg["type"] = json!(row.ty);
        // The envelope's `id` is a number of every message too.
        msg["id"] = json!(1);
        let mut leaves = Vec::new();
        numeric_leaves(&msg, String::new(), &mut leaves);
        for leaf in leaves {
            for (value, wrong) in numeric_extremes()
                .into_iter()
                .map(|v| (v, false))
                .chain(wrong_types().into_iter().map(|v| (v, true)))
            {
                probes += 1;
                let what = format!("{} {leaf}={value}", row.ty);
                let probe = with_leaf(&msg, &leaf, value);
                let reply = if leaf == "/id" {
                    // Whatever the id, exactly one answer comes back on a socket that lives on.
                    ws.send(probe).await;
                    ws.recv_where_within(Duration::from_secs(5), |m| {
                        m["type"] == "ack" || m["type"] == "error"
                    })
                    .await
                } else {
                    try_request(&mut ws, probe, 10_000 + probes).await
                };
                let Some(reply) = reply else {
                    let closed = ws.closed(Duration::from_secs(1)).await;
                    failures.push(format!("{what}: no answer; the socket closed: {closed:?}"));
                    break;
                };
                if leaf == "/id" {
                    continue;
                }
                let status = if reply["type"] == "ack" { 200 } else { 400 };
                let body = if reply["type"] == "ack" {
                    json!({})
                } else {
                    reply.clone()
                };
                // A ws error has no status: judge the code and message alone.
                let status = if status == 400 && reply["code"] != "bad_request" {
                    404
                } else {
                    status
                };
                failures.extend(judge(&what, status, &body, wrong));
            }
        }
        assert_healthy(&srv, &fx, &mut subscriber, row.ty).await;
        let alive = try_request(&mut ws, json!({"type": "time_sync", "t0": 1}), 99_999).await;
        assert!(
            alive.is_some_and(|r| r["type"] == "ack"),
            "{}: the prober's socket is gone",
            row.ty
        );
    }
    assert!(probes > 150, "too few probes ({probes})");
    assert!(
        failures.is_empty(),
        "{} probes answered badly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
