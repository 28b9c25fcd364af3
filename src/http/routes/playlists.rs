//! Playlists over REST, Spotify-style: index-based requests are translated to id-based ops
//! inside the playlist's actor (atomically, against the list as it is), so WebSocket
//! subscribers see REST edits as `playlist_ops` too. `snapshot_id` is the playlist version.

#[path = "playlist_members.rs"]
mod members;
#[path = "my_playlists.rs"]
mod mine;

use crate::actors::playlist::{Edit, Read};
use crate::actors::playlist_access::{
    check_tracks, details_changed, editable, notify_search, owned, readable,
};
use crate::actors::playlist_admin::create_playlist;
use crate::actors::playlist_core::{EditRequest, OpsSource};
use crate::domain::playlist::{EditResult, Op, Playlist};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::storage::playlists::{PlaylistMeta, Role};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    members::configure(cfg);
    cfg.route("/v1/playlists", web::post().to(create))
        .route("/v1/me/playlists", web::get().to(mine::my_playlists))
        .route("/v1/playlists/{id}", web::get().to(get_one))
        .route("/v1/playlists/{id}", web::put().to(update))
        .route("/v1/playlists/{id}", web::delete().to(delete))
        .route("/v1/playlists/{id}/tracks", web::post().to(add_tracks))
        .route("/v1/playlists/{id}/tracks", web::delete().to(remove_tracks))
        .route("/v1/playlists/{id}/tracks", web::put().to(move_tracks))
        .route("/v1/playlists/{id}/activity", web::get().to(activity));
}

/// The public shape of a playlist's details.
pub(crate) async fn summary(state: &AppState, m: &PlaylistMeta) -> ApiResult<Value> {
    let owner = state.storage.accounts.by_id(&m.owner_id).await?;
    Ok(json!({
        "id": m.id, "name": m.name, "description": m.description,
        "owner": {"id": m.owner_id, "display_name": owner.map(|a| a.display_name)},
        "public": m.public, "collaborative": m.collaborative,
        "snapshot_id": m.version.to_string(), "version": m.version,
        "item_count": m.item_count, "created_at_ms": m.created_at_ms, "updated_at_ms": m.updated_at_ms,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    collaborative: bool,
}

async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let _one_at_a_time = mine::room_for_one_more(&state, &user.user_id).await?;
    let meta = create_playlist(
        &state,
        &user.user_id,
        &b.name,
        &b.description,
        b.public,
        b.collaborative,
    )
    .await?;
    Ok(HttpResponse::Created().json(summary(&state, &meta).await?))
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let access = readable(&state, &user.user_id, &id).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 100"));
    }
    let offset = q.offset.unwrap_or(0);
    let view = state.playlists.send(&id, Read).await??;
    // Each item keeps its index in the whole list as its position, so no arithmetic on the
    // client's offset is needed (an offset past the end is simply an empty page).
    let page: Vec<(usize, _)> = view
        .items
        .iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .collect();
    let tracks = state
        .storage
        .catalog
        .tracks(page.iter().map(|(_, i)| i.track_id.clone()).collect())
        .await?;
    let by_id: std::collections::HashMap<&str, &crate::storage::Track> =
        tracks.iter().map(|t| (t.id.as_str(), t)).collect();
    let items: Vec<Value> = page
        .iter()
        .map(|(position, i)| {
            json!({
                "position": position, "item_id": i.item_id, "track_id": i.track_id,
                "added_by": i.added_by, "added_at_ms": i.added_at_ms,
                "track": by_id.get(i.track_id.as_str()),
            })
        })
        .collect();
    let followers = state
        .storage
        .playlists
        .members(&id, Role::Follower)
        .await?
        .len();
    let mut out = summary(&state, &access.meta).await?;
    out["name"] = json!(view.name);
    out["description"] = json!(view.description);
    out["snapshot_id"] = json!(view.version.to_string());
    out["version"] = json!(view.version);
    out["item_count"] = json!(view.items.len());
    out["followers"] = json!(followers);
    out["you"] = json!({"owner": access.owner, "collaborator": access.collaborator, "following": access.follower});
    out["items"] =
        json!({"total": view.items.len(), "limit": limit, "offset": offset, "items": items});
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    description: Option<String>,
    public: Option<bool>,
    collaborative: Option<bool>,
}

async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    if b.public.is_some() || b.collaborative.is_some() {
        owned(&state, &user.user_id, &id).await?;
    } else {
        editable(&state, &user.user_id, &id).await?;
    }
    let mut ops = vec![];
    if let Some(name) = b.name {
        ops.push(Op::Rename { name });
    }
    if let Some(description) = b.description {
        ops.push(Op::Describe { description });
    }
    if !ops.is_empty() {
        send_edit(
            &state,
            &user.user_id,
            &id,
            None,
            OpsSource::Ops(ops),
            &IdempotencyKey(None),
        )
        .await?;
    }
    if b.public.is_some() || b.collaborative.is_some() {
        state
            .storage
            .playlists
            .set_flags(&id, b.public, b.collaborative, state.now_ms())
            .await?;
        if b.public == Some(false) {
            crate::actors::playlist_access::revalidate_subscribers(&state, &id).await;
        }
    }
    details_changed(&state, &id).await;
    let meta = readable(&state, &user.user_id, &id).await?.meta;
    Ok(HttpResponse::Ok().json(summary(&state, &meta).await?))
}

async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    owned(&state, &user.user_id, &id).await?;
    state.playlists.stop(&id);
    state.storage.playlists.delete(&id).await?;
    notify_search(&state, &id, None);
    Ok(HttpResponse::Ok().json(json!({"deleted": true})))
}

/// The optional `Idempotency-Key` header of an edit request: retrying a request with the same
/// key (same user) applies it once and returns the original result, like a WebSocket `op_id`.
pub struct IdempotencyKey(Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = crate::error::ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let key = match req.headers().get("idempotency-key") {
            None => Ok(None),
            Some(v) => match v.to_str() {
                Ok(k) if (1..=64).contains(&k.len()) && !k.chars().any(char::is_control) => {
                    Ok(Some(k.to_string()))
                }
                _ => Err(ApiError::bad_request(
                    "Idempotency-Key must be 1-64 printable characters",
                )),
            },
        };
        std::future::ready(key.map(IdempotencyKey))
    }
}

impl IdempotencyKey {
    fn op_id(&self, user_id: &str) -> String {
        match &self.0 {
            Some(k) => format!("rest-{user_id}-{k}"),
            None => format!("rest-{}", crate::storage::new_id()),
        }
    }

    /// Item ids for an insert: derived from the key when there is one, so a retry names the
    /// same items.
    fn item_ids(&self, user_id: &str, n: usize) -> Vec<String> {
        use base64::Engine;
        (0..n)
            .map(|i| match &self.0 {
                Some(k) => {
                    let d = ring::digest::digest(
                        &ring::digest::SHA256,
                        format!("{user_id}\0{k}\0{i}").as_bytes(),
                    );
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d.as_ref()[..16])
                }
                None => crate::storage::new_id(),
            })
            .collect()
    }
}

/// Runs one edit through the playlist's actor (acknowledged after commit).
async fn send_edit(
    state: &AppState,
    user_id: &str,
    id: &str,
    expect_version: Option<u64>,
    ops: OpsSource,
    key: &IdempotencyKey,
) -> ApiResult<EditResult> {
    let req = EditRequest {
        author: user_id.to_string(),
        op_id: key.op_id(user_id),
        base_version: None,
        expect_version,
        ops,
    };
    state.playlists.send(id, Edit(req)).await?
}

/// `snapshot_id` as a string (as returned) or a number.
fn parse_snapshot(v: &Option<Value>) -> ApiResult<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad_snapshot),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| bad_snapshot()),
        Some(_) => Err(bad_snapshot()),
    }
}

fn bad_snapshot() -> ApiError {
    ApiError::bad_request("snapshot_id must be a snapshot_id returned by the server")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    track_ids: Vec<String>,
    position: Option<usize>,
    snapshot_id: Option<Value>,
}

async fn add_tracks(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<AddBody>,
    key: IdempotencyKey,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let expect = parse_snapshot(&b.snapshot_id)?;
    editable(&state, &user.user_id, &id).await?;
    if b.track_ids.is_empty() {
        return Err(ApiError::bad_request("track_ids must not be empty"));
    }
    if b.track_ids.len() > state.config.playlist.max_items {
        return Err(ApiError::bad_request(format!(
            "a playlist holds at most {} items",
            state.config.playlist.max_items
        )));
    }
    let item_ids: Vec<String> = key.item_ids(&user.user_id, b.track_ids.len());
    let probe = vec![Op::Insert {
        after_item_id: None,
        track_ids: b.track_ids.clone(),
        item_ids: None,
    }];
    check_tracks(&state, &probe).await?;
    let (tracks, ids, position) = (b.track_ids, item_ids.clone(), b.position);
    let build = move |p: &Playlist| -> ApiResult<Vec<Op>> {
        let after = match position {
            None => p.order().last().map(str::to_string),
            Some(0) => None,
            Some(n) if n > p.len() => {
                return Err(ApiError::bad_request(format!(
                    "position {n} is past the end ({} items)",
                    p.len()
                )))
            }
            Some(n) => p.order().nth(n - 1).map(str::to_string),
        };
        Ok(vec![Op::Insert {
            after_item_id: after,
            track_ids: tracks,
            item_ids: Some(ids),
        }])
    };
    let r = send_edit(
        &state,
        &user.user_id,
        &id,
        expect,
        OpsSource::Build(Box::new(build)),
        &key,
    )
    .await?;
    Ok(HttpResponse::Created().json(
        json!({"snapshot_id": r.version.to_string(), "version": r.version, "item_ids": item_ids}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemRef {
    item_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveBody {
    items: Vec<ItemRef>,
    snapshot_id: Option<Value>,
}

async fn remove_tracks(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<RemoveBody>,
    key: IdempotencyKey,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let expect = parse_snapshot(&b.snapshot_id)?;
    editable(&state, &user.user_id, &id).await?;
    let mut seen = std::collections::HashSet::new();
    let ops: Vec<Op> = b
        .items
        .into_iter()
        .filter(|i| seen.insert(i.item_id.clone()))
        .map(|i| Op::Remove { item_id: i.item_id })
        .collect();
    let r = send_edit(
        &state,
        &user.user_id,
        &id,
        expect,
        OpsSource::Ops(ops),
        &key,
    )
    .await?;
    Ok(HttpResponse::Ok().json(
        json!({"snapshot_id": r.version.to_string(), "version": r.version, "skipped": r.skipped}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    range_start: usize,
    insert_before: usize,
    #[serde(default = "one")]
    range_length: usize,
    snapshot_id: Option<Value>,
}

fn one() -> usize {
    1
}

/// Spotify's range move as id-based ops: one `move` for a single item, else a `reorder`.
pub fn range_move_ops(p: &Playlist, start: usize, before: usize, len: usize) -> ApiResult<Vec<Op>> {
    let ids: Vec<&str> = p.order().collect();
    let n = ids.len();
    // `start` and `len` come from the client: add them checked, so a huge
    // length is a 400 instead of an overflow panic inside the playlist actor.
    // Every later `start + len` is then bounded by `n`.
    let in_range = start
        .checked_add(len)
        .is_some_and(|end| len > 0 && start < n && end <= n);
    if !in_range {
        return Err(ApiError::bad_request(format!(
            "range start {start}, length {len} is outside the playlist ({n} items)"
        )));
    }
    if before > n {
        return Err(ApiError::bad_request(format!(
            "insert_before {before} is past the end ({n} items)"
        )));
    }
    if (start..=start + len).contains(&before) {
        return Ok(vec![]);
    }
    if len == 1 {
        let after = (0..before)
            .rev()
            .find(|&i| i != start)
            .map(|i| ids[i].to_string());
        return Ok(vec![Op::Move {
            item_id: ids[start].to_string(),
            after_item_id: after,
        }]);
    }
    let moving = &ids[start..start + len];
    let mut order: Vec<String> = Vec::with_capacity(n);
    for (i, id) in ids.iter().enumerate() {
        if i == before {
            order.extend(moving.iter().map(|s| s.to_string()));
        }
        if !(start..start + len).contains(&i) {
            order.push(id.to_string());
        }
    }
    if before == n {
        order.extend(moving.iter().map(|s| s.to_string()));
    }
    Ok(vec![Op::Reorder { item_ids: order }])
}

async fn move_tracks(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<MoveBody>,
    key: IdempotencyKey,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let expect = parse_snapshot(&b.snapshot_id)?;
    editable(&state, &user.user_id, &id).await?;
    let (start, before, len) = (b.range_start, b.insert_before, b.range_length);
    let build = move |p: &Playlist| range_move_ops(p, start, before, len);
    let r = send_edit(
        &state,
        &user.user_id,
        &id,
        expect,
        OpsSource::Build(Box::new(build)),
        &key,
    )
    .await?;
    Ok(
        HttpResponse::Ok()
            .json(json!({"snapshot_id": r.version.to_string(), "version": r.version})),
    )
}

#[derive(Deserialize)]
struct ActivityQuery {
    limit: Option<u32>,
    before_version: Option<u64>,
}

async fn activity(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    readable(&state, &user.user_id, &id).await?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=state.config.history.max_page_limit as u32).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {}",
            state.config.history.max_page_limit
        )));
    }
    let before = q.before_version.unwrap_or(u64::MAX);
    let entries = state
        .storage
        .playlists
        .log_before(&id, before, limit)
        .await?;
    let next = if entries.len() as u32 == limit {
        entries.last().map(|e| e.version)
    } else {
        None
    };
    let items: Vec<Value> = entries
        .iter()
        .map(|e| json!({"version": e.version, "user_id": e.author, "at_ms": e.at_ms, "ops": e.ops}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_before_version": next})))
}

#[cfg(test)]
mod range_tests {
    use super::range_move_ops;
    use crate::domain::playlist::{Limits, Op, Playlist};

    fn three() -> Playlist {
        let mut p = Playlist::new("x", 1000);
        let ops = [Op::Insert {
            after_item_id: None,
            track_ids: vec!["a".into(), "b".into(), "c".into()],
            item_ids: None,
        }];
        let mut n = 0;
        p.apply_edit("u", 1, &ops, &Limits::default(), &mut || {
            n += 1;
            format!("g{n}")
        })
        .unwrap();
        p
    }

    /// Issue 14 item 1: `start + len` overflowed and panicked the playlist actor.
    #[test]
    fn huge_client_numbers_are_refused_not_a_panic() {
        let p = three();
        for (start, before, len) in [
            (1, 0, usize::MAX),
            (usize::MAX, 0, 1),
            (usize::MAX, usize::MAX, usize::MAX),
            (0, usize::MAX, 1),
            (0, 0, 0),
        ] {
            assert!(
                range_move_ops(&p, start, before, len).is_err(),
                "{start} {before} {len}"
            );
        }
        assert!(range_move_ops(&p, 0, 3, 2).is_ok());
    }
}
