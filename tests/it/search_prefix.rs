//! The word being typed matches as a prefix in `/v1/search` too (issue 14 item 15), so that the
//! results of Enter agree with the suggestions: "zepp" finds Led Zeppelin, "stair" ranks
//! Stairway To Heaven first, an exact word still outranks a prefix-only hit, and a query ending
//! with a space does not prefix-match.

use crate::common::{TestClient, TestServer};
use crate::search::load_chinook;
use serde_json::Value;

async fn server() -> &'static TestServer {
    static S: tokio::sync::OnceCell<TestServer> = tokio::sync::OnceCell::const_new();
    S.get_or_init(|| async {
        let s = TestServer::start().await;
        load_chinook(&s.state).await;
        s
    })
    .await
}

async fn search(c: &TestClient, q: &str, ty: &str) -> Value {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    c.get(&format!("/v1/search?q={q}&type={ty}"))
        .await
        .expect(200)
}

fn items<'a>(body: &'a Value, ty: &str) -> &'a [Value] {
    body[ty]["items"].as_array().map_or(&[], |v| v.as_slice())
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_word_being_typed_finds_the_artist_and_their_tracks() {
    let s = server().await;
    let c = s.client();
    let b = search(&c, "zepp", "artist,track").await;
    assert_eq!(items(&b, "artists")[0]["name"], "Led Zeppelin", "{b}");
    let tracks = items(&b, "tracks");
    assert!(!tracks.is_empty(), "{b}");
    assert!(
        tracks
            .iter()
            .take(5)
            .all(|t| t["artists"][0]["name"] == "Led Zeppelin"),
        "{b}"
    );
    // After a completed word too.
    let b = search(&c, "led zepp", "artist").await;
    assert_eq!(items(&b, "artists")[0]["name"], "Led Zeppelin", "{b}");
}

#[tokio::test]
async fn stair_ranks_stairway_to_heaven_first_like_the_suggestions() {
    let s = server().await;
    let c = s.client();
    let b = search(&c, "stair", "track").await;
    assert_eq!(items(&b, "tracks")[0]["name"], "Stairway To Heaven", "{b}");
    let sug = c
        .get("/v1/search/suggest?q=stair&limit=5")
        .await
        .expect(200);
    assert_eq!(sug["suggestions"][0]["name"], "Stairway To Heaven", "{sug}");
}

#[tokio::test]
async fn an_exact_word_outranks_a_prefix_only_hit() {
    let s = server().await;
    let c = s.client();
    // "love" is a word of many names and the prefix of others (lovely, lover, loves...).
    let b = search(&c, "love", "track").await;
    let names: Vec<String> = items(&b, "tracks")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    let exact: Vec<bool> = items(&b, "tracks")
        .iter()
        .map(|t| {
            let mut all = words(t["name"].as_str().unwrap_or(""));
            for a in t["artists"].as_array().into_iter().flatten() {
                all.extend(words(a["name"].as_str().unwrap_or("")));
            }
            all.extend(words(t["album"]["name"].as_str().unwrap_or("")));
            all.iter().any(|w| w == "love")
        })
        .collect();
    assert!(exact.len() >= 10, "{names:?}");
    assert!(
        exact.iter().all(|e| *e),
        "a prefix-only hit on the first page: {names:?}"
    );
    // A prefix-only hit shows up once the exact word is not there: "lov" finds "love" songs.
    let b = search(&c, "lov", "track").await;
    assert!(!items(&b, "tracks").is_empty(), "{b}");
}

#[tokio::test]
async fn a_query_ending_with_a_space_does_not_prefix_match() {
    let s = server().await;
    let c = s.client();
    let b = search(&c, "zepp ", "artist").await;
    assert!(items(&b, "artists").is_empty(), "{b}");
    assert_eq!(b["artists"]["total"], 0, "{b}");
    // Nor a quoted word.
    let b = search(&c, "\"zepp\"", "artist").await;
    assert!(items(&b, "artists").is_empty(), "{b}");
}
