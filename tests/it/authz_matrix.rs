//! The authorization matrix of the REST API: every route × every role, from one table.
//!
//! `authz_rows.rs` lists every route the server registers, with a request that would succeed for
//! an allowed role and the set of roles that are allowed; every other role must be refused
//! (401 without a live account, otherwise 403/404 with one of `REFUSALS`). The table is checked
//! against the routes registered in `src/http/routes/` (`authz_routes.rs`), so a new route cannot
//! be added without its row. The WebSocket half is in `authz_matrix_ws.rs`.

use crate::authz_fixture::{fixture, seed, Allowed, Fx, Role, Role::*, ROLES};
use crate::authz_routes::{expand_asset_dirs, registered_routes};
pub use crate::authz_rows::{rest_rows, RestRow};
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn every_registered_route_has_a_row_and_every_row_a_route() {
    let registered = expand_asset_dirs(registered_routes());
    assert!(
        registered.len() > 40,
        "the parser found too few routes: {registered:?}"
    );
    let table: BTreeSet<(String, String)> = rest_rows()
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&table).collect();
    let stale: Vec<_> = table.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
}

async fn send(
    c: &crate::common::TestClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let url = c.url(path);
    let mut r = reqwest::Client::new().request(m, url);
    if !c.token().is_empty() {
        r = r.bearer_auth(c.token());
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = c.send(r).await;
    (resp.status, resp.body)
}

/// One cell: `None` when the outcome is the expected one, else a description.
async fn cell(row: &RestRow, role: Role, fx: &Fx) -> Option<String> {
    let path = (row.path)(fx);
    let (status, body) = send(fx.who(role), row.method, &path, (row.body)(fx)).await;
    let allowed = row.allowed.allows(role);
    let ok = if allowed {
        status < 400
            || body["code"]
                .as_str()
                .is_some_and(|c| row.tolerate.contains(&c))
    } else if matches!(role, Anonymous | Deleted) && !matches!(row.allowed, Allowed::Nobody) {
        status == 401
    } else {
        matches!(status, 401 | 403 | 404)
            && (row.method == "HEAD" || crate::authz_fixture::is_refusal(&body["code"]))
    };
    (!ok).then(|| {
        format!(
            "{} {path} as {role:?}: expected {}, got {status} {body}",
            row.method,
            if allowed { "success" } else { "refusal" }
        )
    })
}

#[tokio::test]
async fn every_route_allows_exactly_its_roles() {
    // The CDN test server: its catalog has a track with audio (`t-song`) to sign.
    let srv = crate::cdn::start(|_| {}).await;
    let tracks = seed(&srv).await;
    srv.client().register("authz-login").await;
    // Reads share one fixture; every cell of a change gets its own, built concurrently.
    let shared = fixture(&srv, &tracks, false).await;
    let mut failures = Vec::new();
    for row in rest_rows() {
        if matches!(row.method, "GET" | "HEAD") {
            for &role in ROLES {
                failures.extend(cell(&row, role, &shared).await);
            }
        } else {
            let cells = ROLES.iter().map(|&role| {
                let (srv, tracks, row) = (&srv, &tracks, &row);
                async move { cell(row, role, &fixture(srv, tracks, false).await).await }
            });
            failures.extend(
                futures_util::future::join_all(cells)
                    .await
                    .into_iter()
                    .flatten(),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
