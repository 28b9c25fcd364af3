//! The rows of the REST authorization matrix (`authz_matrix.rs`): every registered route with a
//! request that succeeds for an allowed role, and which roles are allowed. Playlist and web
//! player rows are in `authz_rows_playlists.rs`.

use crate::authz_fixture::{Allowed, Fx, Role, Role::*};
use serde_json::{json, Value};

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

pub const OWNERS: &[Role] = &[Owner];
/// Routes with an optional login: no token is fine, a token must be valid.
pub const NO_TOKEN_OR_VALID: &[Role] = &[
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
pub const EDITORS: &[Role] = &[Owner, Collaborator];
/// Anyone with an account may read a public playlist.
pub const PUBLIC_READERS: Allowed = Allowed::Accounts;

pub fn none(_: &Fx) -> Option<Value> {
    None
}

pub fn empty(_: &Fx) -> Option<Value> {
    Some(json!({}))
}

#[macro_export]
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
pub const IDLE_PLAYER: &[&str] = &["not_found"];

pub fn rest_rows() -> Vec<RestRow> {
    use Allowed::{Accounts, Everyone, Nobody, Only};
    let mut rows = vec![
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
    ];
    rows.extend(crate::authz_rows_playlists::rows());
    rows
}
