//! The people and things of the authorization matrix (tests/it/authz_matrix*.rs).
//!
//! Every cell of the matrix gets fresh people and fresh objects, so that a refused or allowed
//! change in one cell cannot decide the outcome of another.

use crate::common::{TestClient, TestServer, WsClient};
use serde_json::{json, Value};

/// Who makes the request, relative to the objects of the fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// No token at all.
    Anonymous,
    /// A well-signed token whose account does not exist (deleted, or never created).
    Deleted,
    /// A free account with no relation to any object.
    Free,
    /// A premium account with no relation to any object.
    Premium,
    /// Owns the playlists (premium).
    Owner,
    /// Collaborator on both playlists (free).
    Collaborator,
    /// Follows the public playlist (free).
    Follower,
    /// Premium, no relation to anything (the playlists' and the session's stranger).
    Stranger,
    /// Hosts the group session (premium).
    Host,
    /// A guest in the group session (free).
    Guest,
}

use Role::*;

pub const ROLES: &[Role] = &[
    Anonymous,
    Deleted,
    Free,
    Premium,
    Owner,
    Collaborator,
    Follower,
    Stranger,
    Host,
    Guest,
];

/// Every role that has a live account.
pub const ACCOUNTS: &[Role] = &[
    Free,
    Premium,
    Owner,
    Collaborator,
    Follower,
    Stranger,
    Host,
    Guest,
];

/// Which roles a cell allows; every other role must be refused.
#[derive(Clone, Copy, Debug)]
pub enum Allowed {
    /// Public: every role, with or without a token.
    Everyone,
    /// Every live account.
    Accounts,
    Only(&'static [Role]),
    /// Nobody, whatever the token (e.g. the CDN origin without a signature).
    Nobody,
}

impl Allowed {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Allowed::Everyone => true,
            Allowed::Accounts => ACCOUNTS.contains(&role),
            Allowed::Only(roles) => roles.contains(&role),
            Allowed::Nobody => false,
        }
    }
}

/// The codes that mean "refused because of who you are".
pub const REFUSALS: &[&str] = &["unauthorized", "forbidden", "not_found", "premium_required"];

/// A fresh cast and fresh objects.
pub struct Fx {
    pub people: Vec<(Role, TestClient)>,
    pub tracks: Vec<String>,
    pub album: String,
    pub artist: String,
    /// Public, collaborative, owned by Owner; Collaborator collaborates, Follower follows.
    pub public_playlist: String,
    /// Private, owned by Owner; Collaborator collaborates.
    pub private_playlist: String,
    /// An item of the public playlist.
    pub item_id: String,
    /// A fresh invite to the public playlist, created by Owner: its token and its id.
    pub invite: String,
    pub invite_id: String,
    /// A live account that no role is: the target of "add this collaborator".
    pub outsider: TestClient,
    /// Kept open so that the session lives; the host's and the guest's sockets.
    pub session_sockets: Vec<WsClient>,
    pub join_code: String,
}

impl Fx {
    pub fn who(&self, role: Role) -> &TestClient {
        &self
            .people
            .iter()
            .find(|(r, _)| *r == role)
            .expect("every role is cast")
            .1
    }

    pub fn id_of(&self, role: Role) -> String {
        self.who(role).user_id.clone().unwrap_or_default()
    }
}

/// An account created directly in storage with a minted token (no password hashing).
async fn user(srv: &TestServer, name: &str, tier: segue::storage::Tier) -> TestClient {
    crate::sessions::quick_user_of_tier(srv, name, tier).await
}

/// Seeds the catalog once per server.
pub async fn seed(srv: &TestServer) -> Vec<String> {
    crate::player_fixture::seed_album(&srv.state.storage, "authz", 3, 180_000).await
}

/// `with_session`: the host hosts a session the guest joined (needs WebSockets: only the cells
/// that use it pay for it).
pub async fn fixture(srv: &TestServer, tracks: &[String], with_session: bool) -> Fx {
    use segue::storage::Tier;
    let anonymous = srv.client();
    let mut deleted = srv.client();
    let ghost = segue::storage::new_id();
    deleted.token = Some(srv.state.tokens.issue(&ghost, srv.state.now_ms()).0);
    deleted.user_id = Some(ghost);
    let mut people = vec![(Anonymous, anonymous), (Deleted, deleted)];
    for (role, name, tier) in [
        (Free, "free", Tier::Free),
        (Premium, "premium", Tier::Premium),
        (Owner, "owner", Tier::Premium),
        (Collaborator, "collab", Tier::Free),
        (Follower, "follower", Tier::Free),
        (Stranger, "stranger", Tier::Premium),
        (Host, "host", Tier::Premium),
        (Guest, "guest", Tier::Free),
    ] {
        people.push((role, user(srv, name, tier).await));
    }
    let outsider = user(srv, "outsider", Tier::Free).await;
    let find = |r: Role| people.iter().find(|(x, _)| *x == r).map(|(_, c)| c.clone());
    let (owner, collab, follower) = (
        find(Owner).expect("owner"),
        find(Collaborator).expect("collab"),
        find(Follower).expect("follower"),
    );
    let collab_id = collab.user_id.clone().unwrap_or_default();
    let playlist = |public: bool| {
        let owner = owner.clone();
        let collab_id = collab_id.clone();
        let tracks = tracks.to_vec();
        async move {
            let p = owner
                .post(
                    "/v1/playlists",
                    json!({"name": "Matrix", "public": public, "collaborative": true}),
                )
                .await
                .expect(201);
            let id = p["id"].as_str().expect("playlist id").to_string();
            owner
                .post(
                    &format!("/v1/playlists/{id}/tracks"),
                    json!({"track_ids": tracks}),
                )
                .await
                .expect(201);
            owner
                .post(
                    &format!("/v1/playlists/{id}/collaborators/{collab_id}"),
                    json!({}),
                )
                .await
                .expect(200);
            id
        }
    };
    let public_playlist = playlist(true).await;
    let private_playlist = playlist(false).await;
    follower
        .put(
            &format!("/v1/playlists/{public_playlist}/followers"),
            json!({}),
        )
        .await
        .expect(200);
    let page = owner
        .get(&format!("/v1/playlists/{public_playlist}"))
        .await
        .expect(200);
    let item_id = page["items"]["items"][0]["item_id"]
        .as_str()
        .or_else(|| page["items"][0]["item_id"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(!item_id.is_empty(), "an item id in {page}");
    // Several uses: every role's cell may accept it.
    let created = owner
        .post(
            &format!("/v1/playlists/{public_playlist}/invites"),
            json!({"max_uses": 20}),
        )
        .await
        .expect(201);
    let invite = created["token"].as_str().unwrap_or_default().to_string();
    let invite_id = created["id"].as_str().unwrap_or_default().to_string();
    let mut session_sockets = Vec::new();
    let mut join_code = String::new();
    if with_session {
        let (mut hws, _) = find(Host).expect("host").ws("authz-host").await;
        let r = WsClient::ok(
            hws.request(json!({"type": "session_create", "name": "Matrix"}))
                .await,
        );
        join_code = r["join_code"].as_str().unwrap_or_default().to_string();
        let (mut gws, _) = find(Guest).expect("guest").ws("authz-guest").await;
        WsClient::ok(
            gws.request(json!({"type": "session_join", "join_code": join_code}))
                .await,
        );
        session_sockets.push(hws);
        session_sockets.push(gws);
    }
    Fx {
        people,
        tracks: tracks.to_vec(),
        album: "alb-authz".into(),
        artist: "art-authz".into(),
        public_playlist,
        private_playlist,
        item_id,
        invite,
        invite_id,
        outsider,
        session_sockets,
        join_code,
    }
}

/// True when `body` is a refusal: one of `REFUSALS`.
pub fn is_refusal(code: &Value) -> bool {
    code.as_str().is_some_and(|c| REFUSALS.contains(&c))
}
