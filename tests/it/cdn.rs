//! Signed stream URLs over real HTTP: the documented signing example, the stream endpoint (tiers,
//! qualities, failover bases, bad input), and the local `/cdn/` origin (in `cdn/origin.rs`).

mod origin;

use crate::common::{unique_name, TestClient, TestServer};
use segue::cdn::Signer;
use segue::storage::{Tier, Track};
use std::path::Path;
use std::sync::Arc;

/// The worked example of docs/cdn.md.
const DOC_KEY: &str = "test:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const DOC_URL: &str = "https://cdn.example.com/cdn/demo-song/160.mp3?exp=1767225600000&uid=u_demo&kid=test&sig=ddSZqymo_JkLPoIxF03QIcsQJ3Aftg11vXKsVv0ZHw0";

#[test]
fn documented_example_signature() {
    let signer = Signer::from_entries("test", &[DOC_KEY.to_string()]).unwrap();
    let path = "/cdn/demo-song/160.mp3";
    let query = signer.query(path, 1_767_225_600_000, "u_demo");
    assert_eq!(format!("https://cdn.example.com{path}?{query}"), DOC_URL);
    let canonical = segue::cdn::signer::canonical("test", path, "1767225600000", "u_demo");
    assert_eq!(
        canonical,
        "segue-cdn-v1\ntest\n/cdn/demo-song/160.mp3\n1767225600000\nu_demo"
    );
    // Verifies before the expiry, not at or after it.
    assert!(signer.verify(path, &query, 1_767_225_599_999).is_ok());
    assert!(signer.verify(path, &query, 1_767_225_600_000).is_err());
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cdn.md"))
        .expect("docs/cdn.md");
    assert!(
        docs.contains(DOC_URL),
        "docs/cdn.md must show the example URL"
    );
    assert!(
        docs.contains(&DOC_KEY[5..]),
        "docs/cdn.md must show the key"
    );
}

#[test]
fn old_keys_verify_while_listed() {
    let k = |id: &str, fill: &str| format!("{id}:{}", fill.repeat(32));
    let old = Signer::from_entries("k1", &[k("k1", "01")]).unwrap();
    let rotated = Signer::from_entries("k2", &[k("k1", "01"), k("k2", "02")]).unwrap();
    let dropped = Signer::from_entries("k2", &[k("k2", "02")]).unwrap();
    let foreign = Signer::from_entries("k1", &[k("k1", "03")]).unwrap();
    let q = old.query("/cdn/a/96.mp3", 5000, "u1");
    assert_eq!(rotated.verify("/cdn/a/96.mp3", &q, 0).unwrap().kid, "k1");
    assert!(dropped.verify("/cdn/a/96.mp3", &q, 0).is_err());
    assert!(foreign.verify("/cdn/a/96.mp3", &q, 0).is_err());
    assert!(rotated
        .query("/cdn/a/96.mp3", 5000, "u1")
        .contains("kid=k2"));
}

/// Bytes of a fake audio file: distinct per bitrate so a wrong variant is noticed.
pub fn audio_bytes(kbps: u32) -> Vec<u8> {
    (0..4096u32).map(|i| ((i * 7 + kbps) % 251) as u8).collect()
}

/// An audio dir with `song` at 96/160/320 kbps (mp3) and `chant` at 128 kbps (ogg).
pub fn write_audio_dir(dir: &Path) {
    for kbps in [96, 160, 320] {
        std::fs::create_dir_all(dir.join("song")).unwrap();
        std::fs::write(dir.join(format!("song/{kbps}.mp3")), audio_bytes(kbps)).unwrap();
    }
    std::fs::create_dir_all(dir.join("chant")).unwrap();
    std::fs::write(dir.join("chant/128.ogg"), audio_bytes(128)).unwrap();
    let manifest = serde_json::json!({"assets": [
        {"name": "song", "title": "Song", "artist": "A", "license": "CC0", "source": "test",
         "duration_ms": 1000, "variants": [
            {"kbps": 320, "format": "mp3", "file": "song/320.mp3"},
            {"kbps": 96, "format": "mp3", "file": "song/96.mp3"},
            {"kbps": 160, "format": "mp3", "file": "song/160.mp3"}]},
        {"name": "chant", "duration_ms": 1000,
         "variants": [{"kbps": 128, "format": "ogg", "file": "chant/128.ogg"}]}
    ]});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
}

fn track(id: &str, audio: Option<&str>) -> Track {
    Track {
        id: id.into(),
        title: format!("Track {id}"),
        album_id: "al-cdn".into(),
        artist_ids: vec!["ar-cdn".into()],
        track_number: 1,
        disc_number: 1,
        duration_ms: 1000,
        genre: None,
        year: None,
        explicit: false,
        popularity: 0,
        isrc: None,
        audio: audio.map(str::to_string),
    }
}

/// A server whose audio dir holds `write_audio_dir`, with tracks `t-song`, `t-chant`,
/// `t-silent` (no audio) and `t-lost` (asset missing from the manifest).
pub async fn start(tweak: impl FnOnce(&mut segue::config::Config)) -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    write_audio_dir(&dir.path().join("audio"));
    let mut config = segue::config::Config::for_test(dir.path());
    tweak(&mut config);
    let srv = TestServer::start_in(dir, config).await;
    srv.state
        .storage
        .catalog
        .upsert_tracks(vec![
            track("t-song", Some("song")),
            track("t-chant", Some("chant")),
            track("t-silent", None),
            track("t-lost", Some("lost")),
        ])
        .await
        .unwrap();
    srv
}

/// A registered user of `tier`.
pub async fn user(srv: &TestServer, tier: Tier) -> TestClient {
    let name = unique_name("cdn");
    let c = srv.client().register(&name).await;
    srv.state
        .storage
        .accounts
        .set_tier(&name, tier)
        .await
        .unwrap();
    c
}

async fn kbps(c: &TestClient, quality: &str) -> u64 {
    let body = c
        .get(&format!("/v1/tracks/t-song/stream?quality={quality}"))
        .await
        .expect(200);
    body["bitrate_kbps"].as_u64().unwrap()
}

#[tokio::test]
async fn tiers_and_qualities() {
    let srv = start(|_| {}).await;
    let free = user(&srv, Tier::Free).await;
    let premium = user(&srv, Tier::Premium).await;
    assert_eq!(kbps(&free, "low").await, 96);
    assert_eq!(kbps(&free, "normal").await, 160);
    assert_eq!(kbps(&free, "high").await, 160, "free tier is capped at 160");
    assert_eq!(kbps(&premium, "low").await, 96);
    assert_eq!(kbps(&premium, "normal").await, 160);
    assert_eq!(kbps(&premium, "high").await, 320);
    // Without a quality: the account's setting, `auto` (the best the tier allows) by default.
    let body = premium.get("/v1/tracks/t-song/stream").await.expect(200);
    assert_eq!(body["bitrate_kbps"], 320);
    assert_eq!(
        free.get("/v1/tracks/t-song/stream").await.expect(200)["bitrate_kbps"],
        160
    );
    crate::stream_quality::patch(&premium, serde_json::json!({"streaming_quality": "normal"}))
        .await
        .expect(200);
    let body = premium.get("/v1/tracks/t-song/stream").await.expect(200);
    assert_eq!(body["bitrate_kbps"], 160);
    assert_eq!(body["format"], "mp3");
    let url = body["url"].as_str().unwrap();
    let own = format!("http://{}/cdn/song/160.mp3?", srv.addr);
    assert!(url.starts_with(&own), "{url} should start with {own}");
    assert!(url.contains(&format!("uid={}", premium.user_id.as_deref().unwrap())));
    assert_eq!(body["fallback_urls"], serde_json::json!([]));
    let now = srv.state.now_ms();
    let exp = body["expires_at_ms"].as_i64().unwrap();
    let ttl = srv.config().cdn.url_ttl_ms;
    assert!(
        exp >= now + ttl - 1000 && exp <= now + ttl + 60_000,
        "{exp}"
    );
    assert!(url.contains(&format!("exp={exp}&")));
    // Only single-variant ogg asset: every quality gets it.
    let ogg = free
        .get("/v1/tracks/t-chant/stream?quality=high")
        .await
        .expect(200);
    assert_eq!(ogg["bitrate_kbps"], 128);
    assert_eq!(ogg["format"], "ogg");
}

#[tokio::test]
async fn stream_endpoint_bad_input() {
    let srv = start(|_| {}).await;
    let c = user(&srv, Tier::Free).await;
    c.get("/v1/tracks/t-song/stream?quality=ultra")
        .await
        .expect_error(400, "bad_request");
    c.get("/v1/tracks/nope/stream")
        .await
        .expect_error(404, "not_found");
    let silent = c
        .get("/v1/tracks/t-silent/stream")
        .await
        .expect_error(404, "not_found");
    assert!(
        silent["message"].as_str().unwrap().contains("no audio"),
        "{silent}"
    );
    let lost = c
        .get("/v1/tracks/t-lost/stream")
        .await
        .expect_error(404, "not_found");
    assert!(
        lost["message"].as_str().unwrap().contains("not available"),
        "{lost}"
    );
    srv.client()
        .get("/v1/tracks/t-song/stream")
        .await
        .expect_error(401, "unauthorized");
    let mut bad = c.clone();
    bad.token = Some("garbage".into());
    bad.get("/v1/tracks/t-song/stream")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn configured_bases_give_fallbacks() {
    let srv = start(|c| {
        c.cdn.base_urls = vec![
            "https://a.example/".into(),
            "https://b.example/edge".into(),
            "http://127.0.0.1:1".into(),
        ];
    })
    .await;
    let c = user(&srv, Tier::Premium).await;
    let body = c
        .get("/v1/tracks/t-song/stream?quality=high")
        .await
        .expect(200);
    let url = body["url"].as_str().unwrap();
    let (head, query) = url.split_once('?').unwrap();
    assert_eq!(head, "https://a.example/cdn/song/320.mp3");
    let fallbacks: Vec<&str> = body["fallback_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        fallbacks,
        vec![
            format!("https://b.example/edge/cdn/song/320.mp3?{query}"),
            format!("http://127.0.0.1:1/cdn/song/320.mp3?{query}"),
        ]
    );
    // The same signature is valid at this server's own origin.
    let local = reqwest::get(srv.url(&format!("/cdn/song/320.mp3?{query}")))
        .await
        .unwrap();
    assert_eq!(local.status(), 200);
    assert_eq!(local.bytes().await.unwrap().to_vec(), audio_bytes(320));
}

#[tokio::test]
async fn generated_key_survives_restart() {
    let srv = start(|_| {}).await;
    let c = user(&srv, Tier::Free).await;
    let url = c.get("/v1/tracks/t-song/stream").await.expect(200)["url"]
        .as_str()
        .unwrap()
        .to_string();
    let key_file = srv.data_dir.path().join("keys/cdn.key");
    assert!(key_file.exists(), "generated key is kept in the data dir");
    let srv = srv.restart().await;
    let path_and_query = &url[url.find("/cdn/").unwrap()..];
    let r = reqwest::get(srv.url(path_and_query)).await.unwrap();
    assert_eq!(r.status(), 200, "URL signed before the restart still works");
}

#[tokio::test]
async fn manifest_written_after_start_is_picked_up() {
    let srv = start(|_| {}).await;
    srv.state
        .storage
        .catalog
        .upsert_tracks(vec![track("t-late", Some("late"))])
        .await
        .unwrap();
    let c = user(&srv, Tier::Free).await;
    c.get("/v1/tracks/t-late/stream")
        .await
        .expect_error(404, "not_found");
    let audio = srv.data_dir.path().join("audio");
    std::fs::create_dir_all(audio.join("late")).unwrap();
    std::fs::write(audio.join("late/64.mp3"), audio_bytes(64)).unwrap();
    let manifest = serde_json::json!({"assets": [{"name": "late", "variants": [
        {"kbps": 64, "format": "mp3", "file": "late/64.mp3"}]}]});
    // Written the way a loader should: to a temporary name, then renamed into place.
    std::fs::write(audio.join("manifest.json.tmp"), manifest.to_string()).unwrap();
    std::fs::rename(audio.join("manifest.json.tmp"), audio.join("manifest.json")).unwrap();
    let body = c.get("/v1/tracks/t-late/stream").await.expect(200);
    assert_eq!(body["bitrate_kbps"], 64);
    let r = reqwest::get(body["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), audio_bytes(64));
    // The old assets are gone from the new manifest.
    c.get("/v1/tracks/t-song/stream")
        .await
        .expect_error(404, "not_found");
}
