//! The authorization matrix of the REST API: every route × every role, from one table.
//!
//! `REST` lists every route the server registers, with a request that would succeed for an
//! allowed role and the set of roles that are allowed; every other role must be refused
//! (401 without a live account, otherwise 403/404 with one of `REFUSALS`). The table is checked
//! against the routes registered in `src/http/routes/`, so a new route cannot be added without
//! its row. The WebSocket half is in `authz_matrix_ws.rs`.

use crate::authz_fixture::{fixture, seed, Allowed, Fx, Role, Role::*, ROLES};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub struct RestRow {
    pub method: &'static str,
    /// The route as registered (its row key).
    pub route: &'static str,
    /// The concrete request path (with any query) for a fixture.
    pub path: fn(&Fx) -> String,
    pub body: fn(&Fx) -> Option<Value>,
    pub allowed: Allowed,
    /// Error codes an allowed role may get that are not refusals of who they are: a player
    /// command with nothing playing answers `not_found` ("no active device"), which proves
    /// the request reached the caller's own player.
    pub tolerate: &'static [&'static str],
}

const OWNERS: &[Role] = &[Owner];
/// Routes with an optional login: no token is fine, a token must be valid.
const NO_TOKEN_OR_VALID: &[Role] = &[
    Anonymous,
    Free,
    Premium,
    Owner,
    Collaborator,
    Follower,
    Stranger,
    Host,
    Guest,
];
const EDITORS: &[Role] = &[Owner, Collaborator];
/// Anyone with an account may read a public playlist.
const PUBLIC_READERS: Allowed = Allowed::Accounts;

fn none(_: &Fx) -> Option<Value> {
    None
}

fn empty(_: &Fx) -> Option<Value> {
    Some(json!({}))
}

macro_rules! row {
    ($m:literal, $route:literal, $path:expr, $body:expr, $allowed:expr) => {
        RestRow {
            method: $m,
            route: $route,
            path: $path,
            body: $body,
            allowed: $allowed,
            tolerate: &[],
        }
    };
    ($m:literal, $route:literal, $path:expr, $body:expr, $allowed:expr, tolerate $t:expr) => {
        RestRow {
            method: $m,
            route: $route,
            path: $path,
            body: $body,
            allowed: $allowed,
            tolerate: $t,
        }
    };
}

/// What a player command with nothing playing may answer.
const IDLE_PLAYER: &[&str] = &["not_found"];

pub fn rest_rows() -> Vec<RestRow> {
    use Allowed::{Accounts, Everyone, Nobody, Only};
    vec![
        // Health and operations: public.
        row!("GET", "/healthz", |_| "/healthz".into(), none, Everyone),
        row!("GET", "/readyz", |_| "/readyz".into(), none, Everyone),
        row!("GET", "/metrics", |_| "/metrics".into(), none, Everyone),
        // Accounts.
        row!(
            "POST",
            "/v1/auth/register",
            |_| "/v1/auth/register".into(),
            |_| Some(
                json!({"username": crate::common::unique_name("reg").to_lowercase(),
                            "password": "correct horse battery"})
            ),
            Everyone
        ),
        row!(
            "POST",
            "/v1/auth/login",
            |_| "/v1/auth/login".into(),
            |_| Some(json!({"username": "authz-login", "password": "correct horse battery"})),
            Everyone
        ),
        row!("GET", "/v1/me", |_| "/v1/me".into(), none, Accounts),
        // Display names of other accounts, for "added by …".
        row!(
            "GET",
            "/v1/users/{id}",
            |f| format!("/v1/users/{}", f.id_of(Owner)),
            none,
            Accounts
        ),
        // Every cell has its own fixture: each role deletes its own account.
        row!("DELETE", "/v1/me", |_| "/v1/me".into(), none, Accounts),
        // The catalog is public.
        row!(
            "GET",
            "/v1/tracks",
            |_| "/v1/tracks?limit=5&offset=0".into(),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/v1/tracks/{id}",
            |f| format!("/v1/tracks/{}", f.tracks[0]),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/v1/albums/{id}",
            |f| format!("/v1/albums/{}", f.album),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/v1/artists/{id}",
            |f| format!("/v1/artists/{}", f.artist),
            none,
            Everyone
        ),
        row!("GET", "/v1/genres", |_| "/v1/genres".into(), none, Everyone),
        row!(
            "GET",
            "/v1/search",
            |_| "/v1/search?q=song&limit=5&offset=0".into(),
            none,
            Only(NO_TOKEN_OR_VALID)
        ),
        row!(
            "GET",
            "/v1/search/suggest",
            |_| "/v1/search/suggest?q=so&limit=5".into(),
            none,
            // Suggestions are not personal: the token is never read.
            Everyone
        ),
        // Streams are signed for accounts; the origin needs a signature, never a token.
        row!(
            "GET",
            "/v1/tracks/{id}/stream",
            |_| "/v1/tracks/t-song/stream".into(),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/cdn/{file:.*}",
            |f| format!("/cdn/{}/160.mp3", f.tracks[0]),
            none,
            Nobody
        ),
        row!(
            "HEAD",
            "/cdn/{file:.*}",
            |f| format!("/cdn/{}/160.mp3", f.tracks[0]),
            none,
            Nobody
        ),
        // The library: every account has its own.
        row!(
            "PUT",
            "/v1/me/{kind:tracks|albums}",
            |f| format!("/v1/me/tracks?ids={}", f.tracks[0]),
            none,
            Accounts
        ),
        row!(
            "DELETE",
            "/v1/me/{kind:tracks|albums}",
            |f| format!("/v1/me/albums?ids={}", f.album),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/{kind:tracks|albums}",
            |_| "/v1/me/tracks?limit=5".into(),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/{kind:tracks|albums}/contains",
            |f| format!("/v1/me/tracks/contains?ids={}", f.tracks[0]),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/following",
            |_| "/v1/me/following?limit=5".into(),
            none,
            Accounts
        ),
        row!(
            "PUT",
            "/v1/me/following/{kind}/{id}",
            |f| format!("/v1/me/following/artist/{}", f.artist),
            none,
            Accounts
        ),
        row!(
            "DELETE",
            "/v1/me/following/{kind}/{id}",
            |f| format!("/v1/me/following/artist/{}", f.artist),
            none,
            Accounts
        ),
        row!(
            "POST",
            "/v1/me/player/events",
            |_| "/v1/me/player/events".into(),
            |f| Some(
                json!({"events": [{"event_id": segue::storage::new_id(), "track_id": f.tracks[0],
                                        "played_at_ms": 1_700_000_000_000i64, "ms_played": 30_000}]})
            ),
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/player/recently-played",
            |_| "/v1/me/player/recently-played?limit=5".into(),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/settings",
            |_| "/v1/me/settings".into(),
            none,
            Accounts
        ),
        row!(
            "PATCH",
            "/v1/me/settings",
            |_| "/v1/me/settings".into(),
            |_| Some(json!({"streaming_quality": "auto"})),
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/top/{kind}",
            |_| "/v1/me/top/tracks?limit=5".into(),
            none,
            Accounts
        ),
        // The player: every account controls its own.
        row!(
            "GET",
            "/v1/me/player",
            |_| "/v1/me/player".into(),
            none,
            Accounts
        ),
        row!(
            "PUT",
            "/v1/me/player",
            |_| "/v1/me/player".into(),
            |_| Some(json!({"device_ids": ["nowhere"]})),
            Accounts,
            tolerate IDLE_PLAYER
        ),
        row!(
            "GET",
            "/v1/me/player/devices",
            |_| "/v1/me/player/devices".into(),
            none,
            Accounts
        ),
        row!(
            "PUT",
            "/v1/me/player/play",
            |_| "/v1/me/player/play".into(),
            |f| Some(json!({"track_ids": f.tracks, "offset": {"position": 1}, "position_ms": 1000})),
            Accounts,
            tolerate IDLE_PLAYER
        ),
        row!(
            "PUT",
            "/v1/me/player/pause",
            |_| "/v1/me/player/pause".into(),
            empty,
            Accounts
        ),
        row!("POST", "/v1/me/player/next", |_| "/v1/me/player/next".into(), empty, Accounts, tolerate IDLE_PLAYER),
        row!(
            "POST",
            "/v1/me/player/previous",
            |_| "/v1/me/player/previous".into(),
            empty,
            Accounts,
            tolerate IDLE_PLAYER
        ),
        row!(
            "PUT",
            "/v1/me/player/seek",
            |_| "/v1/me/player/seek?position_ms=1000".into(),
            empty,
            Accounts,
            tolerate IDLE_PLAYER
        ),
        row!(
            "PUT",
            "/v1/me/player/volume",
            |_| "/v1/me/player/volume?volume_percent=40".into(),
            empty,
            Accounts
        ),
        row!(
            "PUT",
            "/v1/me/player/shuffle",
            |_| "/v1/me/player/shuffle?state=true".into(),
            empty,
            Accounts
        ),
        row!(
            "PUT",
            "/v1/me/player/repeat",
            |_| "/v1/me/player/repeat?state=context".into(),
            empty,
            Accounts
        ),
        row!(
            "POST",
            "/v1/me/player/queue",
            |f| format!("/v1/me/player/queue?uri=segue:track:{}", f.tracks[0]),
            empty,
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/player/queue",
            |_| "/v1/me/player/queue".into(),
            none,
            Accounts
        ),
        // Playlists.
        row!(
            "POST",
            "/v1/playlists",
            |_| "/v1/playlists".into(),
            |_| Some(json!({"name": "Mine"})),
            Accounts
        ),
        row!(
            "GET",
            "/v1/me/playlists",
            |_| "/v1/me/playlists?limit=5&offset=0".into(),
            none,
            Accounts
        ),
        row!(
            "GET",
            "/v1/playlists/{id}",
            |f| format!("/v1/playlists/{}?limit=5&offset=0", f.public_playlist),
            none,
            PUBLIC_READERS
        ),
        row!(
            "GET",
            "/v1/playlists/{id}",
            |f| format!("/v1/playlists/{}", f.private_playlist),
            none,
            Only(EDITORS)
        ),
        row!(
            "PUT",
            "/v1/playlists/{id}",
            |f| format!("/v1/playlists/{}", f.public_playlist),
            |_| Some(json!({"name": "Renamed"})),
            Only(EDITORS)
        ),
        row!(
            "PUT",
            "/v1/playlists/{id}",
            |f| format!("/v1/playlists/{}", f.public_playlist),
            |_| Some(json!({"public": false})),
            Only(OWNERS)
        ),
        row!(
            "DELETE",
            "/v1/playlists/{id}",
            |f| format!("/v1/playlists/{}", f.public_playlist),
            none,
            Only(OWNERS)
        ),
        row!(
            "POST",
            "/v1/playlists/{id}/tracks",
            |f| format!("/v1/playlists/{}/tracks", f.public_playlist),
            |f| Some(json!({"track_ids": [f.tracks[1]], "position": 1})),
            Only(EDITORS)
        ),
        row!(
            "POST",
            "/v1/playlists/{id}/tracks",
            |f| format!("/v1/playlists/{}/tracks", f.private_playlist),
            |f| Some(json!({"track_ids": [f.tracks[1]]})),
            Only(EDITORS)
        ),
        row!(
            "DELETE",
            "/v1/playlists/{id}/tracks",
            |f| format!("/v1/playlists/{}/tracks", f.public_playlist),
            |f| Some(json!({"items": [{"item_id": f.item_id}]})),
            Only(EDITORS)
        ),
        row!(
            "PUT",
            "/v1/playlists/{id}/tracks",
            |f| format!("/v1/playlists/{}/tracks", f.public_playlist),
            |_| Some(json!({"range_start": 0, "insert_before": 2, "range_length": 1})),
            Only(EDITORS)
        ),
        // A public playlist's edits are as public as its items; a private one's are not.
        row!(
            "GET",
            "/v1/playlists/{id}/activity",
            |f| format!(
                "/v1/playlists/{}/activity?limit=5&before_version=100",
                f.public_playlist
            ),
            none,
            PUBLIC_READERS
        ),
        row!(
            "GET",
            "/v1/playlists/{id}/activity",
            |f| format!("/v1/playlists/{}/activity", f.private_playlist),
            none,
            Only(EDITORS)
        ),
        row!(
            "POST",
            "/v1/playlists/invites/{token}/accept",
            |f| format!("/v1/playlists/invites/{}/accept", f.invite),
            empty,
            Accounts
        ),
        row!(
            "GET",
            "/v1/playlists/{id}/collaborators",
            |f| format!("/v1/playlists/{}/collaborators", f.public_playlist),
            none,
            PUBLIC_READERS
        ),
        row!(
            "GET",
            "/v1/playlists/{id}/collaborators",
            |f| format!("/v1/playlists/{}/collaborators", f.private_playlist),
            none,
            Only(EDITORS)
        ),
        row!(
            "POST",
            "/v1/playlists/{id}/collaborators/{user_id}",
            |f| format!(
                "/v1/playlists/{}/collaborators/{}",
                f.public_playlist,
                f.outsider.user_id.clone().unwrap_or_default()
            ),
            empty,
            Only(OWNERS)
        ),
        row!(
            "DELETE",
            "/v1/playlists/{id}/collaborators/{user_id}",
            |f| format!(
                "/v1/playlists/{}/collaborators/{}",
                f.public_playlist,
                f.id_of(Collaborator)
            ),
            none,
            // The owner removes a collaborator; a collaborator may leave.
            Only(EDITORS)
        ),
        row!(
            "POST",
            "/v1/playlists/{id}/invites",
            |f| format!("/v1/playlists/{}/invites", f.public_playlist),
            |_| Some(json!({"max_uses": 3, "expires_in_s": 3600})),
            Only(OWNERS)
        ),
        row!(
            "GET",
            "/v1/playlists/{id}/invites",
            |f| format!("/v1/playlists/{}/invites", f.public_playlist),
            none,
            Only(OWNERS)
        ),
        row!(
            "DELETE",
            "/v1/playlists/{id}/invites/{invite_id}",
            |f| format!(
                "/v1/playlists/{}/invites/{}",
                f.public_playlist, f.invite_id
            ),
            none,
            Only(OWNERS)
        ),
        row!(
            "PUT",
            "/v1/playlists/{id}/followers",
            |f| format!("/v1/playlists/{}/followers", f.public_playlist),
            empty,
            PUBLIC_READERS
        ),
        row!(
            "PUT",
            "/v1/playlists/{id}/followers",
            |f| format!("/v1/playlists/{}/followers", f.private_playlist),
            empty,
            Only(EDITORS)
        ),
        row!(
            "DELETE",
            "/v1/playlists/{id}/followers",
            |f| format!("/v1/playlists/{}/followers", f.public_playlist),
            none,
            PUBLIC_READERS
        ),
        // The web player's pages and files are public.
        row!("GET", "/", |_| "/".into(), none, Everyone),
        row!(
            "GET",
            "/index.html",
            |_| "/index.html".into(),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/join/{code}",
            |_| "/join/ABCDEFGH".into(),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/invite/{token}",
            |f| format!("/invite/{}", f.invite),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/js/{file:.*}",
            |_| "/js/app.js".into(),
            none,
            Everyone
        ),
        row!(
            "GET",
            "/css/{file:.*}",
            |_| "/css/app.css".into(),
            none,
            Everyone
        ),
        // No images ship yet: a path that climbs out of the directory is refused to everyone.
        row!(
            "GET",
            "/img/{file:.*}",
            |_| "/img/..%2Findex.html".into(),
            none,
            Nobody
        ),
    ]
}

/// Every `(METHOD, route)` registered in `src/http/routes/`, read from the source, so that the
/// table cannot fall behind the server.
pub fn registered_routes() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/routes");
    let mut found = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("routes dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read routes file");
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        found.extend(routes_in(&code));
    }
    found
}

fn literal_at(s: &str) -> Option<String> {
    let rest = s.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn routes_in(code: &str) -> Vec<(String, String)> {
    let consts: Vec<(String, String)> = code
        .match_indices("const")
        .filter_map(|(i, _)| {
            let rest = &code[i + 5..];
            let name = rest.split(':').next()?.to_string();
            let lit = rest.find("=\"").and_then(|j| literal_at(&rest[j + 1..]))?;
            Some((name, lit))
        })
        .collect();
    let scope = code
        .find("web::scope(")
        .and_then(|i| literal_at(&code[i + "web::scope(".len()..]).map(|p| (i, p)));
    let mut out = Vec::new();
    let mut resource = String::new();
    let mut at = 0;
    while let Some(off) = code[at..].find("route(") {
        let start = at + off;
        at = start + "route(".len();
        if let Some(r) = code[..start].rfind("web::resource(") {
            if let Some(lit) = literal_at(&code[r + "web::resource(".len()..]) {
                resource = lit;
            }
        }
        let args = &code[at..];
        let (path, after) = if let Some(lit) = literal_at(args) {
            (lit.clone(), &args[lit.len() + 2..])
        } else if let Some(rest) = args.strip_prefix("&format!(") {
            let lit = literal_at(rest).unwrap_or_default();
            let shown = lit.replace("{{", "\u{0}").replace("}}", "\u{1}");
            (
                shown.replace('\u{0}', "{").replace('\u{1}', "}"),
                &rest[lit.len() + 2..],
            )
        } else if args.starts_with("web::") {
            (resource.clone(), args)
        } else {
            let name: String = args.chars().take_while(|c| *c != ',').collect();
            match consts.iter().find(|(n, _)| *n == name) {
                Some((_, lit)) => (lit.clone(), &args[name.len()..]),
                None => continue,
            }
        };
        let after = after.trim_start_matches([')', ',']);
        let Some(method) = after
            .strip_prefix("web::")
            .and_then(|m| m.split("()").next())
        else {
            continue;
        };
        let path = match &scope {
            Some((i, prefix)) if *i < start && !path.starts_with("/v1/") => {
                format!("{prefix}{path}")
            }
            _ => path,
        };
        out.push((method.to_uppercase(), path));
    }
    out
}

/// The web player's asset directories, as `/{dir}/{file:.*}` is registered once per directory.
fn expand_asset_dirs(routes: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    routes
        .into_iter()
        .flat_map(|(m, p)| {
            if p == "/{dir}/{file:.*}" {
                ["js", "css", "img"]
                    .iter()
                    .map(|d| (m.clone(), format!("/{d}/{{file:.*}}")))
                    .collect::<Vec<_>>()
            } else {
                vec![(m, p)]
            }
        })
        .collect()
}

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
