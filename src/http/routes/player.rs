//! REST mirror of the player, in the style of Spotify's Web API. Every command goes through the
//! user's actor, so connected devices see the change as a `player_state` event.

use crate::actors::directory::user_actor;
use crate::actors::user::{GetQueue, GetView};
use crate::domain::player::Repeat;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::http::AppState;
use crate::protocol::client::{PlayerRequest, WireOffset};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1/me/player")
            .route("", web::get().to(get_player))
            .route("", web::put().to(transfer))
            .route("/devices", web::get().to(devices))
            .route("/play", web::put().to(play))
            .route("/pause", web::put().to(pause))
            .route("/next", web::post().to(next))
            .route("/previous", web::post().to(previous))
            .route("/seek", web::put().to(seek))
            .route("/volume", web::put().to(volume))
            .route("/shuffle", web::put().to(shuffle))
            .route("/repeat", web::put().to(repeat))
            .route("/queue", web::post().to(queue_add))
            .route("/queue", web::get().to(queue)),
    );
}

/// `?expected_version=` makes any command conditional, as on the WebSocket.
#[derive(Deserialize)]
struct Cond {
    expected_version: Option<u64>,
}

async fn command(
    state: &web::Data<AppState>,
    user: &AuthUser,
    req: PlayerRequest,
    expected_version: Option<u64>,
) -> ApiResult<HttpResponse> {
    let user_id: std::sync::Arc<str> = std::sync::Arc::from(user.user_id.as_str());
    let result =
        crate::actors::session_dir::player_command(state, &user_id, None, req, expected_version)
            .await?;
    Ok(HttpResponse::Ok().json(result))
}

async fn get_player(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let addr = user_actor(&state, &user.user_id).await?;
    let (mut view, devices) = addr
        .send(GetView)
        .await
        .map_err(|_| ApiError::unavailable("the player is restarting, try again"))?;
    // In a group session the session's shared player is the one playing.
    if let Some(sid) = state.sessions.session_of(&user.user_id) {
        let session = state.sessions.get(&state, &sid).await?;
        let me = crate::actors::session::MemberSnapshot(user.user_id.as_str().into());
        if let Ok((shared, _)) = session.send(me).await {
            view = shared;
        }
    }
    if view.item.is_none() && view.active_device_id.is_none() {
        return Ok(HttpResponse::NoContent().finish());
    }
    let device = devices.iter().find(|d| d.active).cloned();
    let mut body = serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?;
    body["device"] = json!(device);
    Ok(HttpResponse::Ok().json(body))
}

async fn devices(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let addr = user_actor(&state, &user.user_id).await?;
    let (_, devices) = addr
        .send(GetView)
        .await
        .map_err(|_| ApiError::unavailable("the player is restarting, try again"))?;
    Ok(HttpResponse::Ok().json(json!({ "devices": devices })))
}

#[derive(Deserialize, Default)]
struct PlayBody {
    context_uri: Option<String>,
    track_ids: Option<Vec<String>>,
    /// Spotify style: `segue:track:<id>` URIs.
    uris: Option<Vec<String>>,
    offset: Option<WireOffset>,
    position_ms: Option<i64>,
}

#[derive(Deserialize)]
struct DeviceQuery {
    device_id: Option<String>,
    expected_version: Option<u64>,
}

fn track_id_of(uri: &str) -> ApiResult<String> {
    uri.strip_prefix("segue:track:")
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad_request(format!("`{uri}` is not a segue:track:<id> uri")))
}

async fn play(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<DeviceQuery>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let b: PlayBody = if body.iter().all(u8::is_ascii_whitespace) {
        PlayBody::default()
    } else {
        serde_json::from_slice::<Option<PlayBody>>(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
            .unwrap_or_default()
    };
    let track_ids = match (b.track_ids, b.uris) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("give track_ids or uris, not both"))
        }
        (Some(ids), None) => Some(ids),
        (None, Some(uris)) => Some(
            uris.iter()
                .map(|u| track_id_of(u))
                .collect::<ApiResult<_>>()?,
        ),
        (None, None) => None,
    };
    let q = q.into_inner();
    let req = PlayerRequest::Play {
        context_uri: b.context_uri,
        track_ids,
        offset: b.offset,
        position_ms: b.position_ms,
        device_id: q.device_id,
    };
    command(&state, &user, req, q.expected_version).await
}

async fn pause(
    state: web::Data<AppState>,
    user: AuthUser,
    c: web::Query<Cond>,
) -> ApiResult<HttpResponse> {
    command(&state, &user, PlayerRequest::Pause {}, c.expected_version).await
}

async fn next(
    state: web::Data<AppState>,
    user: AuthUser,
    c: web::Query<Cond>,
) -> ApiResult<HttpResponse> {
    command(&state, &user, PlayerRequest::Next {}, c.expected_version).await
}

async fn previous(
    state: web::Data<AppState>,
    user: AuthUser,
    c: web::Query<Cond>,
) -> ApiResult<HttpResponse> {
    command(
        &state,
        &user,
        PlayerRequest::Previous {},
        c.expected_version,
    )
    .await
}

#[derive(Deserialize)]
struct SeekQuery {
    position_ms: i64,
    expected_version: Option<u64>,
}

async fn seek(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<SeekQuery>,
) -> ApiResult<HttpResponse> {
    let req = PlayerRequest::Seek {
        position_ms: q.position_ms,
    };
    command(&state, &user, req, q.expected_version).await
}

#[derive(Deserialize)]
struct VolumeQuery {
    volume_percent: u8,
    device_id: Option<String>,
    expected_version: Option<u64>,
}

async fn volume(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<VolumeQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let req = PlayerRequest::SetVolume {
        volume: q.volume_percent,
        device_id: q.device_id,
    };
    command(&state, &user, req, q.expected_version).await
}

#[derive(Deserialize)]
struct ShuffleQuery {
    state: bool,
    expected_version: Option<u64>,
}

async fn shuffle(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ShuffleQuery>,
) -> ApiResult<HttpResponse> {
    let req = PlayerRequest::SetShuffle { on: q.state };
    command(&state, &user, req, q.expected_version).await
}

#[derive(Deserialize)]
struct RepeatQuery {
    state: Repeat,
    expected_version: Option<u64>,
}

async fn repeat(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<RepeatQuery>,
) -> ApiResult<HttpResponse> {
    let req = PlayerRequest::SetRepeat { mode: q.state };
    command(&state, &user, req, q.expected_version).await
}

#[derive(Deserialize)]
struct TransferBody {
    device_ids: Vec<String>,
    #[serde(default)]
    play: Option<bool>,
}

async fn transfer(
    state: web::Data<AppState>,
    user: AuthUser,
    c: web::Query<Cond>,
    body: web::Json<TransferBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let [device_id] = <[String; 1]>::try_from(b.device_ids)
        .map_err(|_| ApiError::bad_request("device_ids must name exactly one device"))?;
    let req = PlayerRequest::Transfer {
        device_id,
        play: b.play,
    };
    command(&state, &user, req, c.expected_version).await
}

#[derive(Deserialize)]
struct QueueQuery {
    uri: String,
    #[serde(default)]
    next: bool,
    expected_version: Option<u64>,
}

async fn queue_add(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let req = PlayerRequest::QueueAdd {
        track_ids: vec![track_id_of(&q.uri)?],
        next: q.next,
    };
    command(&state, &user, req, q.expected_version).await
}

async fn queue(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let addr = user_actor(&state, &user.user_id).await?;
    let v: Value = addr
        .send(GetQueue)
        .await
        .map_err(|_| ApiError::unavailable("the player is restarting, try again"))??;
    Ok(HttpResponse::Ok().json(v))
}
