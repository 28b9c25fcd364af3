//! Playlist and web player rows of the REST authorization matrix (see `authz_rows.rs`).

use crate::authz_fixture::{Allowed, Role::*};
use crate::authz_rows::{empty, none, RestRow, EDITORS, OWNERS, PUBLIC_READERS};
use crate::row;
use serde_json::json;

pub fn rows() -> Vec<RestRow> {
    use Allowed::{Accounts, Everyone, Nobody, Only};
    vec![
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
