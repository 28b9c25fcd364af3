//! Search over the real Chinook catalog through the real HTTP API: exact and misspelled names,
//! prefixes, filters, accents, bad queries, freshness, playlist visibility, popularity, and
//! (re)builds.

use crate::common::{wait_until, TestClient, TestServer};
use segue::search::{Kind, PlaylistDoc};
use segue::storage::{Album, Artist, Track};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The bundled catalog file (extracted from the Chinook sample database).
const CHINOOK_JSONL: &str = include_str!("../../assets/catalog/chinook.jsonl");

/// The Chinook catalog as Segue records (ids `ar<N>`, `al<N>`, `tr<N>`), popularity from sales.
pub struct Chinook {
    pub artists: Vec<Artist>,
    pub albums: Vec<Album>,
    pub tracks: Vec<Track>,
}

fn chinook() -> &'static Chinook {
    static C: OnceLock<Chinook> = OnceLock::new();
    C.get_or_init(|| {
        let mut c = Chinook {
            artists: vec![],
            albums: vec![],
            tracks: vec![],
        };
        for line in CHINOOK_JSONL.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).expect("catalog line is JSON");
            match v["kind"].as_str() {
                Some("artist") => c.artists.push(serde_json::from_value(v).unwrap()),
                Some("album") => c.albums.push(serde_json::from_value(v).unwrap()),
                Some("track") => c.tracks.push(serde_json::from_value(v).unwrap()),
                other => panic!("unexpected catalog kind {other:?}"),
            }
        }
        c
    })
}

/// Stores the Chinook catalog and indexes it the way an in-process importer does.
pub async fn load_chinook(state: &segue::http::AppState) {
    let c = chinook();
    let cat = &state.storage.catalog;
    cat.upsert_artists(c.artists.clone()).await.unwrap();
    cat.upsert_albums(c.albums.clone()).await.unwrap();
    cat.upsert_tracks(c.tracks.clone()).await.unwrap();
    state.search.upsert_artists(&c.artists).await.unwrap();
    state.search.upsert_albums(&c.albums).await.unwrap();
    state.search.upsert_tracks(&c.tracks).await.unwrap();
    state.search.flush().await.unwrap();
}

/// One server with Chinook loaded, shared by the read-only tests.
async fn chinook_server() -> &'static TestServer {
    static S: tokio::sync::OnceCell<TestServer> = tokio::sync::OnceCell::const_new();
    S.get_or_init(|| async {
        let s = TestServer::start().await;
        load_chinook(&s.state).await;
        s
    })
    .await
}

/// Lower-case and strip the accents that occur in Chinook names.
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn search(c: &TestClient, q: &str, ty: &str) -> Value {
    c.get(&format!("/v1/search?q={}&type={ty}", enc(q)))
        .await
        .expect(200)
}

fn items<'a>(body: &'a Value, ty: &str) -> &'a Vec<Value> {
    body[ty]["items"].as_array().expect("items array")
}

fn names(body: &Value, ty: &str) -> Vec<String> {
    items(body, ty)
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn suggest(c: &TestClient, q: &str) -> Vec<Value> {
    let b = c
        .get(&format!("/v1/search/suggest?q={}&limit=10", enc(q)))
        .await
        .expect(200);
    b["suggestions"].as_array().expect("suggestions").clone()
}

#[tokio::test]
async fn exact_title_artist_and_album_come_first() {
    let s = chinook_server().await;
    let c = s.client();
    let b = search(&c, "Metallica", "artist").await;
    assert_eq!(items(&b, "artists")[0]["id"], "ar50", "{b}");
    let b = search(&c, "Jagged Little Pill", "album").await;
    assert_eq!(items(&b, "albums")[0]["id"], "al6", "{b}");
    let b = search(&c, "enter sandman", "track").await;
    let top: Vec<&str> = items(&b, "tracks")
        .iter()
        .take(2)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(top.contains(&"tr1801") && top.contains(&"tr77"), "{b}");
    // Words across fields: artist + title.
    let b = search(&c, "led zeppelin stairway", "track").await;
    let first = &items(&b, "tracks")[0];
    assert_eq!(first["name"], "Stairway To Heaven", "{b}");
    assert_eq!(first["artists"][0]["name"], "Led Zeppelin", "{b}");
    // All types at once, with totals.
    let b = search(&c, "queen", "track,artist,album,playlist").await;
    assert_eq!(items(&b, "artists")[0]["name"], "Queen", "{b}");
    assert!(b["tracks"]["total"].as_u64().unwrap() > 10, "{b}");
    assert_eq!(b["playlists"]["total"], 0);
}

#[tokio::test]
async fn misspellings_of_one_and_two_letters_still_find_the_artist() {
    let s = chinook_server().await;
    let c = s.client();
    for (q, want) in [
        ("metalica", "Metallica"),
        ("metalicka", "Metallica"),
        ("led zepelin", "Led Zeppelin"),
        ("led zeplin", "Led Zeppelin"),
        ("aerosmyth", "Aerosmith"),
        ("alanis morisete", "Alanis Morissette"),
    ] {
        let b = search(&c, q, "artist").await;
        assert_eq!(
            names(&b, "artists").first().map(String::as_str),
            Some(want),
            "{q}: {b}"
        );
    }
    // Two letters are too short for typos (AUTO fuzziness): "ac" does not match "ab".
    let b = search(&c, "zz top", "artist").await;
    assert_eq!(b["artists"]["total"], 0, "{b}");
}

#[tokio::test]
async fn prefixes_of_one_to_three_letters_autocomplete() {
    let s = chinook_server().await;
    let c = s.client();
    // Every suggestion has a word starting with the prefix, except typo matches (AUTO: from three
    // letters on), which only come after all exact-prefix ones.
    for prefix in ["m", "me", "met", "Zep", "é", "jag"] {
        let got = suggest(&c, prefix).await;
        assert!(!got.is_empty(), "{prefix}: no suggestions");
        let folded = if prefix == "é" {
            "e".to_string()
        } else {
            prefix.to_lowercase()
        };
        let exact: Vec<bool> = got
            .iter()
            .map(|sug| {
                let name = fold(sug["name"].as_str().unwrap());
                name.split(|ch: char| !ch.is_alphanumeric())
                    .any(|w| w.starts_with(&folded))
            })
            .collect();
        assert!(exact[0], "{prefix}: {got:?}");
        let first_typo = exact.iter().position(|e| !e).unwrap_or(exact.len());
        assert!(
            exact[first_typo..].iter().all(|e| !e),
            "{prefix}: exact after typo: {got:?}"
        );
        if folded.chars().count() <= 2 {
            assert!(
                exact.iter().all(|e| *e),
                "{prefix}: no typos below 3 letters: {got:?}"
            );
        }
    }
    let got = suggest(&c, "met").await;
    assert!(
        got.iter()
            .any(|s| s["name"] == "Metallica" && s["type"] == "artist"),
        "{got:?}"
    );
    // Mixed types: artists, albums and tracks in one list.
    let got = suggest(&c, "led zep").await;
    assert_eq!(got[0]["name"], "Led Zeppelin", "{got:?}");
    let types: std::collections::HashSet<&str> =
        got.iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert!(
        types.contains("artist") && types.contains("album"),
        "{got:?}"
    );
    // The word being typed tolerates a typo.
    let got = suggest(&c, "metalic").await;
    assert!(got.iter().any(|s| s["name"] == "Metallica"), "{got:?}");
    let got = suggest(&c, "led zepl").await;
    assert!(got.iter().any(|s| s["name"] == "Led Zeppelin"), "{got:?}");
}

#[tokio::test]
async fn filters_restrict_results() {
    let s = chinook_server().await;
    let c = s.client();
    let ch = chinook();
    let metallica_tracks = ch
        .tracks
        .iter()
        .filter(|t| t.artist_ids == ["ar50"])
        .count();
    let b = search(&c, "artist:metallica", "track").await;
    assert_eq!(b["tracks"]["total"], metallica_tracks as u64, "{b}");
    assert!(items(&b, "tracks")
        .iter()
        .all(|t| t["artists"][0]["id"] == "ar50"));
    let jazz = ch
        .tracks
        .iter()
        .filter(|t| t.genre.as_deref() == Some("Jazz"))
        .count();
    let b = c
        .get("/v1/search?q=genre:jazz&type=track&limit=50")
        .await
        .expect(200);
    assert_eq!(b["tracks"]["total"], jazz as u64, "{b}");
    assert!(items(&b, "tracks").iter().all(|t| t["genre"] == "Jazz"));
    let b = search(&c, r#"love album:"led zeppelin ii""#, "track").await;
    assert!(!items(&b, "tracks").is_empty(), "{b}");
    assert!(
        items(&b, "tracks")
            .iter()
            .all(|t| t["album"]["id"] == "al133"),
        "{b}"
    );
    let b = search(&c, "track:sandman", "track,artist").await;
    let mut top: Vec<&str> = items(&b, "tracks")
        .iter()
        .take(2)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["tr1801", "tr77"], "exact title matches first: {b}");
    assert_eq!(
        b["artists"]["total"], 0,
        "track: does not apply to artists: {b}"
    );
    let b = search(&c, "artist:metalica album:garage", "album").await;
    assert!(
        names(&b, "albums")
            .iter()
            .all(|n| n.starts_with("Garage Inc.")),
        "{b}"
    );
    assert!(b["albums"]["total"].as_u64().unwrap() >= 1, "{b}");
}

#[tokio::test]
async fn year_isrc_and_new_filters() {
    let s = TestServer::start().await;
    let c = s.client();
    let now = s.state.now_ms();
    let day = |ms: i64| {
        let days = ms / 86_400_000;
        // civil from days (Hinnant), enough for test dates.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let cat = &s.state.storage.catalog;
    let artist = Artist {
        id: "arx1".into(),
        name: "Quintessa".into(),
        genres: vec![],
        popularity: 10,
    };
    let album = |id: &str, date: String| Album {
        id: id.into(),
        title: format!("Quintessa {id}"),
        artist_ids: vec!["arx1".into()],
        release_date: date,
        year: None,
        genre: None,
        popularity: 10,
        color: None,
    };
    let albums = vec![
        album("alnew", day(now - 3 * 86_400_000)),
        album("alold", "1994-05-01".into()),
    ];
    let track = |id: &str, year: i32, isrc: &str, album: &str| Track {
        id: id.into(),
        title: format!("Quintessa song {id}"),
        album_id: album.into(),
        artist_ids: vec!["arx1".into()],
        track_number: 1,
        disc_number: 1,
        duration_ms: 200_000,
        genre: Some("Pop".into()),
        year: Some(year),
        explicit: false,
        popularity: 10,
        isrc: Some(isrc.into()),
        audio: None,
    };
    let tracks = vec![
        track("trq1", 1991, "USQ119100001", "alold"),
        track("trq2", 1995, "USQ119500002", "alold"),
        track("trq3", 2004, "USQ100400003", "alnew"),
    ];
    cat.upsert_artists(vec![artist.clone()]).await.unwrap();
    cat.upsert_albums(albums.clone()).await.unwrap();
    cat.upsert_tracks(tracks.clone()).await.unwrap();
    s.state.search.upsert_artists(&[artist]).await.unwrap();
    s.state.search.upsert_albums(&albums).await.unwrap();
    s.state.search.upsert_tracks(&tracks).await.unwrap();
    s.state.search.flush().await.unwrap();
    let ids = |b: &Value, ty: &str| -> Vec<String> {
        let mut v: Vec<String> = items(b, ty)
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let b = search(&c, "quintessa year:1991", "track").await;
    assert_eq!(ids(&b, "tracks"), ["trq1"], "{b}");
    let b = search(&c, "quintessa year:1990-1999", "track").await;
    assert_eq!(ids(&b, "tracks"), ["trq1", "trq2"], "{b}");
    let b = search(&c, "isrc:usq100400003", "track").await;
    assert_eq!(ids(&b, "tracks"), ["trq3"], "{b}");
    let b = search(&c, "tag:new", "album").await;
    assert_eq!(ids(&b, "albums"), ["alnew"], "{b}");
    let b = search(&c, "quintessa year:1994", "album").await;
    assert_eq!(
        ids(&b, "albums"),
        ["alold"],
        "album year comes from its release date: {b}"
    );
}

#[tokio::test]
async fn accents_and_case_do_not_matter() {
    let s = chinook_server().await;
    let c = s.client();
    for q in ["Motley Crue", "MÖTLEY CRÜE", "mötley crue"] {
        let b = search(&c, q, "artist").await;
        assert_eq!(names(&b, "artists")[0], "Mötley Crüe", "{q}: {b}");
    }
    let b = search(&c, "antonio carlos jobim", "artist").await;
    assert_eq!(names(&b, "artists")[0], "Antônio Carlos Jobim", "{b}");
    let b = search(&c, "agua de beber", "track").await;
    assert_eq!(names(&b, "tracks")[0], "Água de Beber", "{b}");
    let b = search(&c, "Meditacao", "track").await;
    assert!(names(&b, "tracks").iter().any(|n| n == "Meditação"), "{b}");
}

#[tokio::test]
async fn bad_queries_get_bad_request() {
    let s = chinook_server().await;
    let c = s.client();
    let max = s.config().search.max_limit;
    let long = "a".repeat(s.config().search.max_query_len + 1);
    let many = vec!["word"; s.config().search.max_query_terms + 1].join(" ");
    for (path, needle) in [
        (
            format!("/v1/search?q={}", enc(r#"led "zeppelin"#)),
            "unbalanced quote",
        ),
        ("/v1/search?q=mood:happy".to_string(), "unknown filter"),
        ("/v1/search?q=year:nineties".to_string(), "not a year"),
        ("/v1/search?q=tag:hipster".to_string(), "tag:new"),
        ("/v1/search?q=".to_string(), "`q` is required"),
        ("/v1/search".to_string(), "`q` is required"),
        ("/v1/search?q=abba&limit=0".to_string(), "limit"),
        (format!("/v1/search?q=abba&limit={}", max + 1), "limit"),
        (
            "/v1/search?q=abba&limit=99999999999999999999999".to_string(),
            "limit",
        ),
        ("/v1/search?q=abba&limit=ten".to_string(), "limit"),
        ("/v1/search?q=abba&offset=-1".to_string(), "offset"),
        ("/v1/search?q=abba&offset=100000".to_string(), "offset"),
        ("/v1/search?q=abba&type=song".to_string(), "unknown type"),
        (format!("/v1/search?q={long}"), "longer than"),
        (format!("/v1/search?q={}", enc(&many)), "too many words"),
        ("/v1/search/suggest?q=%20".to_string(), "`q` is required"),
        ("/v1/search/suggest?q=abc&limit=0".to_string(), "limit"),
        (format!("/v1/search/suggest?q={long}"), "longer than"),
    ] {
        let b = c.get(&path).await.expect_error(400, "bad_request");
        assert!(
            b["message"].as_str().unwrap().contains(needle),
            "{path}: {b}"
        );
    }
    // A bad token is refused rather than silently treated as anonymous.
    let mut bad = c.clone();
    bad.token = Some("not-a-token".into());
    bad.get("/v1/search?q=abba")
        .await
        .expect_error(401, "unauthorized");
    // Suggest accepts half-typed input: an open quote or a colon is not an error there.
    c.get(&format!("/v1/search/suggest?q={}", enc(r#""led zep"#)))
        .await
        .expect(200);
}

#[tokio::test]
async fn changes_are_searchable_within_a_bounded_wait() {
    let s = TestServer::start().await;
    let c = s.client();
    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let id = format!("fresh{i}");
        let artist = Artist {
            id: id.clone(),
            name: format!("Zorblax Quartet{i}"),
            genres: vec![],
            popularity: 1,
        };
        s.state
            .storage
            .catalog
            .upsert_artists(vec![artist.clone()])
            .await
            .unwrap();
        let started = Instant::now();
        s.state.search.upsert_artists(&[artist]).await.unwrap();
        let q = format!("/v1/search?q=quartet{i}&type=artist");
        wait_until(
            Duration::from_secs(2),
            "upserted artist is searchable",
            || {
                let c = c.clone();
                let q = q.clone();
                let id = id.clone();
                async move {
                    let b = c.get(&q).await.expect(200);
                    items(&b, "artists").iter().any(|a| a["id"] == id.as_str())
                }
            },
        )
        .await;
        worst = worst.max(started.elapsed());
    }
    // Commit every 20 ms plus reload: far below the 2 s the wait allows, even in debug builds.
    assert!(
        worst < Duration::from_millis(1000),
        "worst freshness {worst:?}"
    );
    // Removal is just as quick.
    s.state
        .search
        .remove(Kind::Artist, &["fresh0".into()])
        .await
        .unwrap();
    s.state.search.flush().await.unwrap();
    let b = search(&c, "quartet0", "artist").await;
    assert!(
        !items(&b, "artists").iter().any(|a| a["id"] == "fresh0"),
        "{b}"
    );
    assert_eq!(
        items(&b, "artists").len(),
        4,
        "typo matches of the others remain: {b}"
    );
}

#[tokio::test]
async fn private_playlists_are_only_found_by_owner_and_collaborators() {
    let s = TestServer::start().await;
    let anon = s.client();
    let owner = anon.new_user("plowner").await;
    let collab = anon.new_user("plcollab").await;
    let stranger = anon.new_user("plstranger").await;
    let idx = &s.state.search;
    let pl = |id: &str, name: &str, public: bool| PlaylistDoc {
        id: id.into(),
        name: name.into(),
        description: "late night drive".into(),
        owner_id: owner.user_id.clone().unwrap(),
        owner_name: "Owner".into(),
        collaborator_ids: vec![collab.user_id.clone().unwrap()],
        public,
        track_count: 12,
        follower_count: 3,
    };
    idx.upsert_playlist(pl("plpub", "Synthwave Nights", true))
        .await
        .unwrap();
    idx.upsert_playlist(pl("plpriv", "Synthwave Secrets", false))
        .await
        .unwrap();
    idx.flush().await.unwrap();
    let found = |b: &Value| -> Vec<String> {
        items(b, "playlists")
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let b = search(&anon, "synthwave", "playlist").await;
    assert_eq!(found(&b), ["plpub"], "{b}");
    assert!(items(&b, "playlists")[0].get("collaborator_ids").is_none());
    let b = search(&stranger, "synthwave", "playlist").await;
    assert_eq!(found(&b), ["plpub"], "{b}");
    for who in [&owner, &collab] {
        let b = search(who, "synthwave", "playlist").await;
        let mut f = found(&b);
        f.sort();
        assert_eq!(f, ["plpriv", "plpub"], "{b}");
    }
    // Made public: everyone finds it; removed: nobody does.
    idx.upsert_playlist(pl("plpriv", "Synthwave Secrets", true))
        .await
        .unwrap();
    idx.flush().await.unwrap();
    assert_eq!(
        search(&stranger, "secrets", "playlist").await["playlists"]["total"],
        1
    );
    idx.remove_playlist("plpriv").await.unwrap();
    idx.flush().await.unwrap();
    assert_eq!(
        search(&owner, "secrets", "playlist").await["playlists"]["total"],
        0
    );
}

#[tokio::test]
async fn exact_beats_typo_and_popularity_reorders_without_reindex() {
    let s = TestServer::start().await;
    let c = s.client();
    let idx = &s.state.search;
    let artist = |id: &str, name: &str, popularity| Artist {
        id: id.into(),
        name: name.into(),
        genres: vec![],
        popularity,
    };
    let list = [
        artist("kx1", "Kolibri", 0),
        artist("kx2", "Kolibra", 100),
        artist("kx3", "Vantablack", 5),
        artist("kx4", "Vantablack", 60),
    ];
    idx.upsert_artists(&list).await.unwrap();
    idx.flush().await.unwrap();
    let b = search(&c, "kolibri", "artist").await;
    assert_eq!(
        items(&b, "artists")[0]["id"],
        "kx1",
        "exact first despite popularity: {b}"
    );
    assert_eq!(
        items(&b, "artists")[1]["id"],
        "kx2",
        "typo match still found: {b}"
    );
    let b = search(&c, "vantablack", "artist").await;
    assert_eq!(items(&b, "artists")[0]["id"], "kx4", "{b}");
    idx.set_popularity(Kind::Artist, &[("kx3".into(), 100), ("kx4".into(), 0)]);
    let b = search(&c, "vantablack", "artist").await;
    assert_eq!(
        items(&b, "artists")[0]["id"],
        "kx3",
        "popularity applies at once: {b}"
    );
    // ... and survives a restart.
    let s = s.restart().await;
    let b = search(&s.client(), "vantablack", "artist").await;
    assert_eq!(items(&b, "artists")[0]["id"], "kx3", "{b}");
}

#[tokio::test]
async fn empty_index_is_built_in_background_and_rebuilds_swap_atomically() {
    let s = TestServer::start().await;
    let c = chinook();
    let cat = &s.state.storage.catalog;
    cat.upsert_artists(c.artists.clone()).await.unwrap();
    cat.upsert_albums(c.albums.clone()).await.unwrap();
    cat.upsert_tracks(c.tracks.clone()).await.unwrap();
    s.state
        .search
        .upsert_playlist(PlaylistDoc {
            id: "plkeep".into(),
            name: "Keepers".into(),
            description: String::new(),
            owner_id: "someone".into(),
            owner_name: String::new(),
            collaborator_ids: vec![],
            public: true,
            track_count: 0,
            follower_count: 0,
        })
        .await
        .unwrap();
    s.state.search.flush().await.unwrap();
    // The index has one playlist but no catalog: an in-process rebuild fills it and keeps it.
    let idx = s.state.search.clone();
    let before = idx.num_docs();
    let client = s.client();
    let rebuild = tokio::task::spawn_blocking(move || idx.rebuild_blocking(false));
    // Searches keep answering during the rebuild.
    while !rebuild.is_finished() {
        search(&client, "keepers", "playlist").await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let n = rebuild.await.unwrap().unwrap();
    assert_eq!(
        n as usize,
        c.artists.len() + c.albums.len() + c.tracks.len() + 1
    );
    assert!(s.state.search.num_docs() > before);
    assert_eq!(
        search(&client, "keepers", "playlist").await["playlists"]["total"],
        1
    );
    assert_eq!(
        names(&search(&client, "metallica", "artist").await, "artists")[0],
        "Metallica"
    );
    let gens: Vec<_> = std::fs::read_dir(s.state.search.root())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('g'))
        .collect();
    assert_eq!(
        gens.len(),
        1,
        "the old generation is removed after the swap"
    );

    // A server starting on a populated catalog with no index builds one in the background.
    let config = s.config();
    let dir = s.stop().await;
    std::fs::remove_dir_all(dir.path().join("search")).unwrap();
    let s = TestServer::start_in(dir, config).await;
    let client = s.client();
    // It answers at once (maybe with nothing yet) ...
    client
        .get("/v1/search?q=metallica&type=artist")
        .await
        .expect(200);
    // ... and soon with the catalog.
    wait_until(
        Duration::from_secs(60),
        "background build finds Metallica",
        || {
            let client = client.clone();
            async move {
                let b = client
                    .get("/v1/search?q=metallica&type=artist")
                    .await
                    .expect(200);
                items(&b, "artists")
                    .first()
                    .is_some_and(|a| a["name"] == "Metallica")
            }
        },
    )
    .await;
}

#[tokio::test]
async fn segue_reindex_switches_a_running_server_to_the_new_generation() {
    let s = TestServer::start().await;
    let c = chinook();
    let cat = &s.state.storage.catalog;
    cat.upsert_artists(c.artists.clone()).await.unwrap();
    cat.upsert_albums(c.albums.clone()).await.unwrap();
    cat.upsert_tracks(c.tracks.clone()).await.unwrap();
    // The server's index knows nothing of the catalog (it was stored behind its back).
    let client = s.client();
    assert_eq!(
        search(&client, "metallica", "artist").await["artists"]["total"],
        0
    );
    let root = s.state.search.root();
    let before = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    let data_dir = s.data_dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_segue"))
            .arg("reindex")
            .arg("--data-dir")
            .arg(&data_dir)
            .env("SEGUE_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = c.artists.len() + c.albums.len() + c.tracks.len();
    assert!(
        stdout.contains(&format!("indexed {expected} documents")),
        "{stdout}"
    );
    assert_ne!(
        std::fs::read_to_string(root.join("CURRENT")).unwrap(),
        before
    );
    // The running server switches within about a second, answering all along.
    wait_until(
        Duration::from_secs(10),
        "server serves the reindexed generation",
        || {
            let client = client.clone();
            async move {
                let b = client
                    .get("/v1/search?q=metallica&type=artist")
                    .await
                    .expect(200);
                items(&b, "artists")
                    .first()
                    .is_some_and(|a| a["id"] == "ar50")
            }
        },
    )
    .await;
    // The old generation is gone once the server let go of it.
    wait_until(Duration::from_secs(5), "old generation removed", || {
        let old = root.join(before.trim());
        async move { !old.exists() }
    })
    .await;
}
