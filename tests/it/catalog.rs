//! Catalog: import (twice, malformed), the generator, the `--demo` catalog and audio, the REST
//! endpoints with bad input, and survival across restarts.

use crate::common::TestServer;
use segue::catalog::generate::{generate, GenOptions};
use segue::catalog::import::{import_reader, ImportError};
use segue::catalog::CatalogItem;
use serde_json::{json, Value};
use std::io::Cursor;
use std::process::Command;

fn segue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segue"))
}

fn jsonl(items: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in items {
        out.extend_from_slice(v.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn track(id: &str, title: &str, album: &str, artists: &[&str], n: u32, pop: u32) -> Value {
    json!({"kind": "track", "id": id, "title": title, "album_id": album, "artist_ids": artists,
           "track_number": n, "duration_ms": 200_000 + n as i64, "genre": "Rock",
           "popularity": pop, "isrc": format!("XX0000000{n:03}")})
}

/// A small hand-made catalog: 2 artists, 2 albums, 25 tracks (album x1 has 20, x2 has 5).
fn small_catalog(title_suffix: &str) -> Vec<Value> {
    let mut v = vec![
        json!({"kind": "artist", "id": "xa1", "name": "Ada Lovelace Band", "genres": ["Rock"], "popularity": 70}),
        json!({"kind": "artist", "id": "xa2", "name": "Babbage", "popularity": 20}),
        json!({"kind": "album", "id": "x1", "title": "Engines", "artist_ids": ["xa1"],
               "release_date": "1843-01-01", "year": 1843, "genre": "Rock", "color": "#112233"}),
        json!({"kind": "album", "id": "x2", "title": "Differences", "artist_ids": ["xa2", "xa1"],
               "genre": "Jazz"}),
    ];
    for n in 1..=20u32 {
        v.push(track(
            &format!("xt{n}"),
            &format!("Note {n}{title_suffix}"),
            "x1",
            &["xa1"],
            // Inserted out of order on purpose: the album must sort by track number.
            21 - n,
            n * 3,
        ));
    }
    for n in 21..=25u32 {
        let mut t = track(
            &format!("xt{n}"),
            &format!("Diff {n}"),
            "x2",
            &["xa2", "xa1"],
            n - 20,
            50,
        );
        t["genre"] = json!("Jazz");
        v.push(t);
    }
    v
}

async fn import(srv: &TestServer, items: &[Value]) -> segue::catalog::import::ImportStats {
    import_reader(&srv.state.storage, Cursor::new(jsonl(items)), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn import_twice_updates_without_duplicates() {
    let srv = TestServer::start().await;
    let stats = import(&srv, &small_catalog("")).await;
    assert_eq!((stats.artists, stats.albums, stats.tracks), (2, 2, 25));
    let counts = srv.state.storage.catalog.counts().await.unwrap();
    assert_eq!((counts.artists, counts.albums, counts.tracks), (2, 2, 25));

    // Second import: new titles, a track moved to another artist.
    let mut again = small_catalog(" (Remastered)");
    for v in again.iter_mut() {
        if v["id"] == "xt1" {
            v["artist_ids"] = json!(["xa2"]);
        }
    }
    import(&srv, &again).await;
    let counts = srv.state.storage.catalog.counts().await.unwrap();
    assert_eq!((counts.artists, counts.albums, counts.tracks), (2, 2, 25));
    let c = srv.client();
    let t = c.get("/v1/tracks/xt1").await.expect(200);
    assert_eq!(t["title"], "Note 1 (Remastered)");
    assert_eq!(t["artists"], json!([{"id": "xa2", "name": "Babbage"}]));
    // The artist link moved too: xt1 is no longer among xa1's top tracks, but is xa2's.
    let a1 = srv
        .state
        .storage
        .catalog
        .artist_top_tracks("xa1", 100)
        .await
        .unwrap();
    assert_eq!(a1.len(), 24);
    assert!(a1.iter().all(|t| t.id != "xt1"));
    let a2 = c.get("/v1/artists/xa2").await.expect(200);
    assert!(a2["top_tracks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "xt1"));
}

#[tokio::test]
async fn malformed_line_stops_import_naming_the_line() {
    let srv = TestServer::start().await;
    let mut items = vec![
        json!({"kind": "artist", "id": "ma1", "name": "M"}),
        json!({"kind": "album", "id": "mal1", "title": "M", "artist_ids": ["ma1"]}),
    ];
    for n in 1..=1498u32 {
        items.push(track(&format!("mt{n}"), "T", "mal1", &["ma1"], n, 1));
    }
    let mut bytes = jsonl(&items); // lines 1..=1500
    bytes.extend_from_slice(b"\n"); // 1501: blank lines are allowed
    bytes.extend_from_slice(b"{\"kind\":\"track\",\"id\":\"mtbad\",\"title\":\"x\"}\n"); // 1502
    bytes.extend_from_slice(&jsonl(&[track("mtafter", "After", "mal1", &["ma1"], 1, 1)]));
    let err = import_reader(&srv.state.storage, Cursor::new(bytes.clone()), None)
        .await
        .unwrap_err();
    match &err {
        ImportError::Line { line, message } => {
            assert_eq!(*line, 1502, "{err}");
            assert!(message.contains("missing field"), "{message}");
        }
        other => panic!("expected a line error, got {other}"),
    }
    assert!(err.to_string().starts_with("line 1502:"), "{err}");
    // The first batch (lines 1..=1000) is stored whole; nothing of the failing batch is.
    let counts = srv.state.storage.catalog.counts().await.unwrap();
    assert_eq!((counts.artists, counts.albums, counts.tracks), (1, 1, 998));
    let cat = &srv.state.storage.catalog;
    assert!(cat.track("mt998").await.unwrap().is_some());
    assert!(cat.track("mt999").await.unwrap().is_none());
    assert!(cat.track("mtafter").await.unwrap().is_none());

    // The command line says the same and fails.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let out = segue()
        .arg("import")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 1502"), "{stderr}");

    // Not JSON at all, and a bad value, also name their lines.
    for (text, line, what) in [
        (
            "{\"kind\":\"artist\",\"id\":\"z\",\"name\":\"Z\"}\nnot json\n",
            2,
            "column",
        ),
        (
            "{\"kind\":\"artist\",\"id\":\"z2\",\"name\":\"Z\",\"popularity\":300}\n",
            1,
            "popularity",
        ),
        ("{\"kind\":\"genre\",\"id\":\"g\"}\n", 1, "unknown variant"),
    ] {
        let err = import_reader(
            &srv.state.storage,
            Cursor::new(text.as_bytes().to_vec()),
            None,
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("line {line}:")) && msg.contains(what),
            "{msg}"
        );
    }
}

fn gen_bytes(tracks: u64, seed: u64, today_days: i64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(
        &mut out,
        &GenOptions {
            tracks,
            seed,
            today_days,
        },
    )
    .unwrap();
    out
}

#[test]
fn gen_catalog_is_deterministic_and_well_formed() {
    let today = 20_600; // 2026-05-27
    let bytes = gen_bytes(3000, 11, today);
    assert_eq!(bytes, gen_bytes(3000, 11, today));
    assert_ne!(bytes, gen_bytes(3000, 12, today));

    let (mut artists, mut albums, mut tracks) = (Vec::new(), Vec::new(), Vec::new());
    for line in std::str::from_utf8(&bytes).unwrap().lines() {
        match segue::catalog::import::parse_line(line).unwrap() {
            CatalogItem::Artist(a) => artists.push(a),
            CatalogItem::Album(a) => albums.push(a),
            CatalogItem::Track(t) => tracks.push(t),
        }
    }
    assert_eq!(
        (artists.len(), albums.len(), tracks.len()),
        (250, 300, 3000)
    );
    assert_eq!(artists[0].id, "gar1");
    assert_eq!(albums[0].id, "gal1");
    assert_eq!(tracks[0].id, "gtr1");
    let artist_ids: std::collections::HashSet<_> = artists.iter().map(|a| a.id.as_str()).collect();
    let album_ids: std::collections::HashSet<_> = albums.iter().map(|a| a.id.as_str()).collect();
    let genres: std::collections::HashSet<_> =
        tracks.iter().filter_map(|t| t.genre.as_deref()).collect();
    assert_eq!(genres.len(), 25);
    let isrcs: std::collections::HashSet<_> =
        tracks.iter().filter_map(|t| t.isrc.as_deref()).collect();
    assert_eq!(isrcs.len(), 3000, "ISRCs are unique");
    for t in &tracks {
        assert!(album_ids.contains(t.album_id.as_str()));
        assert!(!t.artist_ids.is_empty());
        assert!(t.artist_ids.iter().all(|a| artist_ids.contains(a.as_str())));
        let isrc = t.isrc.as_deref().unwrap();
        assert!(isrc.len() == 12 && isrc.starts_with("ZZ"), "{isrc}");
        assert!((90_000..=390_000).contains(&t.duration_ms));
        assert!(t
            .title
            .split(' ')
            .all(|w| w.chars().next().unwrap().is_uppercase()));
    }
    for a in &albums {
        assert!(a.artist_ids.iter().all(|x| artist_ids.contains(x.as_str())));
        let y = a.year.unwrap();
        assert!((1950..=2026).contains(&y), "{y}");
        assert!(a.release_date.starts_with(&format!("{y:04}-")));
    }
    // Some albums are new: released within the 14 days before "today" (2026-05-14..=27).
    let recent = albums
        .iter()
        .filter(|a| {
            a.release_date.as_str() >= "2026-05-14" && a.release_date.as_str() <= "2026-05-27"
        })
        .count();
    assert!(recent >= 3, "{recent} recent albums");
    // Track numbers run 1..n within each album.
    let mut by_album: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    for t in &tracks {
        by_album
            .entry(t.album_id.as_str())
            .or_default()
            .push(t.track_number);
    }
    assert_eq!(by_album.len(), 300);
    for nums in by_album.values() {
        assert_eq!(*nums, (1..=nums.len() as u32).collect::<Vec<_>>());
    }
    let explicit = tracks.iter().filter(|t| t.explicit).count();
    assert!((60..=600).contains(&explicit), "{explicit} explicit");
    let featured = tracks.iter().filter(|t| t.artist_ids.len() > 1).count();
    assert!(featured > 100, "{featured} tracks with several artists");
    // Zipf-skewed popularity: many more obscure tracks than popular ones, and some of those.
    let hits = tracks.iter().filter(|t| t.popularity >= 50).count();
    let obscure = tracks.iter().filter(|t| t.popularity < 30).count();
    assert!(
        hits > 0 && obscure > 3 * hits,
        "hits {hits} obscure {obscure}"
    );
    // Text search needs repeated tokens (a skewed vocabulary), not all-unique words.
    let mut words: std::collections::HashMap<&str, usize> = Default::default();
    for t in &tracks {
        for w in t.title.split(' ') {
            *words.entry(w).or_default() += 1;
        }
    }
    let top = words.values().max().copied().unwrap_or(0);
    assert!(
        top >= 30 && words.len() > 500,
        "top {top}, distinct {}",
        words.len()
    );
}

#[tokio::test]
async fn cli_gen_catalog_then_import_twice() {
    let dir = tempfile::tempdir().unwrap();
    let f1 = dir.path().join("a.jsonl");
    let f2 = dir.path().join("b.jsonl");
    for f in [&f1, &f2] {
        let out = segue()
            .args(["gen-catalog", "--tracks", "500", "--seed", "9", "--out"])
            .arg(f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let a = std::fs::read(&f1).unwrap();
    assert_eq!(a, std::fs::read(&f2).unwrap());
    assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 41 + 50 + 500);
    // Without --out it writes to standard output.
    let out = segue()
        .args(["gen-catalog", "--tracks", "500", "--seed", "9"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, a);

    let data = std::sync::Arc::new(tempfile::tempdir().unwrap());
    for _ in 0..2 {
        let out = segue()
            .arg("import")
            .arg(&f1)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("imported 41 artists, 50 albums, 500 tracks"),
            "{stderr}"
        );
    }
    let config = segue::config::Config::for_test(data.path());
    let srv = TestServer::start_in(data, config).await;
    let page = srv.client().get("/v1/tracks?limit=5").await.expect(200);
    assert_eq!(page["total"], 500);
    assert_eq!(page["items"][0]["id"], "gtr1");
}

#[tokio::test]
async fn rest_endpoints_and_bad_input() {
    let srv = TestServer::start().await;
    import(&srv, &small_catalog("")).await;
    // No token: the catalog is public.
    let c = srv.client();

    let page = c.get("/v1/tracks").await.expect(200);
    assert_eq!(
        (
            page["total"].as_u64(),
            page["limit"].as_u64(),
            page["offset"].as_u64()
        ),
        (Some(25), Some(20), Some(0))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    let page2 = c.get("/v1/tracks?limit=20&offset=20").await.expect(200);
    assert_eq!(page2["items"].as_array().unwrap().len(), 5);
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["items"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "pages do not overlap");
    assert_eq!(
        c.get("/v1/tracks?offset=1000").await.expect(200)["items"],
        json!([])
    );
    c.get("/v1/tracks?limit=50").await.expect(200);
    for bad in [
        "limit=0",
        "limit=51",
        "limit=abc",
        "limit=-1",
        "offset=-5",
        "offset=x",
    ] {
        c.get(&format!("/v1/tracks?{bad}"))
            .await
            .expect_error(400, "bad_request");
    }

    let t = c.get("/v1/tracks/xt21").await.expect(200);
    assert_eq!(t["title"], "Diff 21");
    assert_eq!(
        t["artists"],
        json!([{"id": "xa2", "name": "Babbage"}, {"id": "xa1", "name": "Ada Lovelace Band"}])
    );
    assert_eq!(t["album"]["id"], "x2");
    assert_eq!(t["album"]["title"], "Differences");
    assert_eq!(t["genre"], "Jazz");
    assert_eq!(t["streamable"], false);
    assert!(t.get("audio").is_none());

    let al = c.get("/v1/albums/x1").await.expect(200);
    assert_eq!(al["title"], "Engines");
    assert_eq!(al["color"], "#112233");
    assert_eq!(
        al["artists"],
        json!([{"id": "xa1", "name": "Ada Lovelace Band"}])
    );
    assert_eq!(al["total_tracks"], 20);
    let nums: Vec<u64> = al["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["track_number"].as_u64().unwrap())
        .collect();
    assert_eq!(nums, (1..=20).collect::<Vec<_>>());
    assert_eq!(al["tracks"][0]["id"], "xt20");

    let ar = c.get("/v1/artists/xa1").await.expect(200);
    assert_eq!(ar["name"], "Ada Lovelace Band");
    let album_ids: Vec<&str> = ar["albums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(album_ids.len(), 2);
    assert!(album_ids.contains(&"x1") && album_ids.contains(&"x2"));
    let top: Vec<u64> = ar["top_tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["popularity"].as_u64().unwrap())
        .collect();
    assert_eq!(top.len(), 10);
    assert!(top.windows(2).all(|w| w[0] >= w[1]), "{top:?}");
    assert_eq!(top[0], 60);

    let g = c.get("/v1/genres").await.expect(200);
    assert_eq!(
        g["items"],
        json!([{"name": "Jazz", "track_count": 5}, {"name": "Rock", "track_count": 20}])
    );

    for path in ["/v1/tracks/nope", "/v1/albums/nope", "/v1/artists/nope"] {
        c.get(path).await.expect_error(404, "not_found");
    }
    let long = "x".repeat(300);
    c.get(&format!("/v1/tracks/{long}"))
        .await
        .expect_error(400, "bad_request");
}

#[tokio::test]
async fn page_limit_is_a_config_key() {
    let srv = TestServer::start_with(|c| c.catalog.max_page_limit = 5).await;
    import(&srv, &small_catalog("")).await;
    let c = srv.client();
    let page = c.get("/v1/tracks").await.expect(200);
    assert_eq!(page["limit"], 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    c.get("/v1/tracks?limit=5").await.expect(200);
    c.get("/v1/tracks?limit=6")
        .await
        .expect_error(400, "bad_request");
}

#[tokio::test]
async fn catalog_survives_restart() {
    let srv = TestServer::start().await;
    import(&srv, &small_catalog("")).await;
    let before = srv.client().get("/v1/albums/x2").await.expect(200);
    let srv = srv.restart().await;
    let after = srv.client().get("/v1/albums/x2").await.expect(200);
    assert_eq!(before, after);
    assert_eq!(
        srv.client().get("/v1/tracks").await.expect(200)["total"],
        25
    );
}

#[tokio::test]
async fn demo_loads_chinook_audio_and_accounts() {
    let srv = TestServer::start_with(|c| c.server.demo = true).await;
    let cat = srv.state.storage.catalog.clone();
    let counts = cat.counts().await.unwrap();
    assert_eq!(
        (counts.artists, counts.albums, counts.tracks),
        (275, 347, 3503)
    );
    let c = srv.client();
    assert_eq!(c.get("/v1/genres").await.expect(200)["total"], 25);
    assert_eq!(c.get("/v1/tracks?limit=1").await.expect(200)["total"], 3503);

    // Every track is backed by one of the four recordings, round robin in Chinook order.
    let manifest = segue::catalog::demo_data::audio_manifest().unwrap();
    let names: Vec<String> = manifest.assets.iter().map(|a| a.name.clone()).collect();
    let mut after = String::new();
    let mut seen = 0;
    loop {
        let page = cat.tracks_after(&after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for t in &page {
            let audio = t
                .audio
                .as_deref()
                .unwrap_or_else(|| panic!("{} has no audio", t.id));
            assert!(names.iter().any(|n| n == audio), "{audio}");
            seen += 1;
        }
    }
    assert_eq!(seen, 3503);
    assert_eq!(
        cat.track("tr1").await.unwrap().unwrap().audio.as_deref(),
        Some(names[0].as_str())
    );
    assert_eq!(
        cat.track("tr2").await.unwrap().unwrap().audio.as_deref(),
        Some(names[1].as_str())
    );
    let tr1 = c.get("/v1/tracks/tr1").await.expect(200);
    assert_eq!(tr1["title"], "For Those About To Rock (We Salute You)");
    assert_eq!(tr1["artists"], json!([{"id": "ar1", "name": "AC/DC"}]));
    assert_eq!(tr1["streamable"], true);

    // The audio files are in the CDN folder, byte for byte.
    let audio_dir = srv.config().audio_dir();
    for a in &manifest.assets {
        for v in &a.variants {
            let (_, embedded) = segue::catalog::demo_data::AUDIO_FILES
                .iter()
                .find(|(p, _)| *p == v.file)
                .unwrap();
            let on_disk = std::fs::read(audio_dir.join(&v.file)).unwrap();
            assert!(on_disk == *embedded, "{} differs", v.file);
        }
    }
    assert!(audio_dir.join("manifest.json").exists());

    // Demo accounts with their tiers; the README's password works.
    for (name, tier) in segue::demo::DEMO_ACCOUNTS {
        let a = srv
            .state
            .storage
            .accounts
            .by_username(name)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.tier, *tier, "{name}");
    }
    let curator = srv
        .state
        .storage
        .accounts
        .by_username(segue::demo::CURATOR_USERNAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(curator.tier, segue::storage::Tier::Premium);
    let login = c
        .post(
            "/v1/auth/login",
            json!({"username": "bob", "password": segue::demo::DEMO_PASSWORD}),
        )
        .await
        .expect(200);
    assert_eq!(login["user"]["tier"], "free");

    // Restart: the same content is not imported again (a local change survives), nothing is
    // duplicated, accounts keep their ids.
    cat.set_track_popularity(vec![("tr1".into(), 99)])
        .await
        .unwrap();
    let srv = srv.restart().await;
    let cat = srv.state.storage.catalog.clone();
    assert_eq!(cat.track("tr1").await.unwrap().unwrap().popularity, 99);
    let counts = cat.counts().await.unwrap();
    assert_eq!(
        (counts.artists, counts.albums, counts.tracks),
        (275, 347, 3503)
    );
    let again = srv
        .state
        .storage
        .accounts
        .by_username("bob")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, login["user"]["id"].as_str().unwrap());
    assert_eq!(srv.state.storage.accounts.count().await.unwrap(), 4);

    // Without the marker the catalog is re-imported (and the change reverted); a deleted audio
    // file comes back.
    std::fs::remove_file(srv.data_dir.path().join("demo-catalog.sha256")).unwrap();
    std::fs::remove_file(audio_dir.join(&manifest.assets[0].variants[0].file)).unwrap();
    let srv = srv.restart().await;
    assert_ne!(
        srv.state
            .storage
            .catalog
            .track("tr1")
            .await
            .unwrap()
            .unwrap()
            .popularity,
        99
    );
    assert!(srv
        .config()
        .audio_dir()
        .join(&manifest.assets[0].variants[0].file)
        .exists());
}
