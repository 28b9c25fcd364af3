//! Shared helpers for the player and WebSocket tests: a few catalog tracks seeded directly into
//! storage (albums of known track lengths).

use segue::storage::{Album, Artist, Storage, Track};

/// Album `alb-<tag>` by artist `art-<tag>` with `n` tracks `trk-<tag>-<i>` of `len_ms` each.
pub async fn seed_album(storage: &Storage, tag: &str, n: usize, len_ms: i64) -> Vec<String> {
    let artist = format!("art-{tag}");
    let album = format!("alb-{tag}");
    storage
        .catalog
        .upsert_artists(vec![Artist {
            id: artist.clone(),
            name: format!("Artist {tag}"),
            genres: vec![],
            popularity: 50,
        }])
        .await
        .unwrap();
    storage
        .catalog
        .upsert_albums(vec![Album {
            id: album.clone(),
            title: format!("Album {tag}"),
            artist_ids: vec![artist.clone()],
            release_date: "2020".into(),
            year: Some(2020),
            genre: None,
            popularity: 50,
            color: None,
        }])
        .await
        .unwrap();
    let tracks: Vec<Track> = (0..n)
        .map(|i| Track {
            id: format!("trk-{tag}-{i}"),
            title: format!("Song {i} of {tag}"),
            album_id: album.clone(),
            artist_ids: vec![artist.clone()],
            track_number: i as u32 + 1,
            disc_number: 1,
            duration_ms: len_ms,
            genre: None,
            year: Some(2020),
            explicit: false,
            popularity: (100 - i.min(100)) as u32,
            isrc: None,
            audio: None,
        })
        .collect();
    let ids = tracks.iter().map(|t| t.id.clone()).collect();
    storage.catalog.upsert_tracks(tracks).await.unwrap();
    ids
}
