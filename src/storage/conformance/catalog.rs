//! Catalog conformance: upsert-by-id, ordering, joins.

use super::fresh;
use crate::storage::{Album, Artist, Storage, Track};

pub async fn check(s: &Storage) {
    let ar = Artist {
        id: fresh("ar"),
        name: "Björk".into(),
        genres: vec!["Pop".into()],
        popularity: 50,
    };
    let ar2 = Artist {
        id: fresh("ar"),
        name: "Guest".into(),
        genres: vec![],
        popularity: 1,
    };
    s.catalog
        .upsert_artists(vec![ar.clone(), ar2.clone()])
        .await
        .unwrap();
    let al = Album {
        id: fresh("al"),
        title: "Debut".into(),
        artist_ids: vec![ar.id.clone()],
        release_date: "1993-07-05".into(),
        year: Some(1993),
        genre: Some("Pop".into()),
        popularity: 10,
        color: Some("#112233".into()),
    };
    s.catalog.upsert_albums(vec![al.clone()]).await.unwrap();
    let mk = |n: u32, pop: u32| Track {
        id: fresh("tr"),
        title: format!("Song {n}"),
        album_id: al.id.clone(),
        artist_ids: vec![ar.id.clone(), ar2.id.clone()],
        track_number: n,
        disc_number: 1,
        duration_ms: 200_000,
        genre: Some("Pop".into()),
        year: Some(1993),
        explicit: n == 2,
        popularity: pop,
        isrc: Some(format!("GB{n:010}")),
        audio: Some("demo-1".into()),
    };
    let (t1, t2, t3) = (mk(3, 10), mk(1, 90), mk(2, 50));
    s.catalog
        .upsert_tracks(vec![t1.clone(), t2.clone(), t3.clone()])
        .await
        .unwrap();
    assert_eq!(s.catalog.track(&t1.id).await.unwrap(), Some(t1.clone()));
    let order: Vec<u32> = s
        .catalog
        .album_tracks(&al.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.track_number)
        .collect();
    assert_eq!(order, vec![1, 2, 3], "album tracks by track number");
    let top: Vec<String> = s
        .catalog
        .artist_top_tracks(&ar2.id, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        top,
        vec![t2.id.clone(), t3.id.clone()],
        "top tracks by popularity"
    );
    assert_eq!(
        s.catalog.artist_albums(&ar.id).await.unwrap(),
        vec![al.clone()]
    );
    // Upsert again updates instead of duplicating.
    let renamed = Track {
        title: "Renamed".into(),
        ..t1.clone()
    };
    s.catalog
        .upsert_tracks(vec![renamed.clone()])
        .await
        .unwrap();
    assert_eq!(s.catalog.track(&t1.id).await.unwrap(), Some(renamed));
    assert_eq!(s.catalog.album_tracks(&al.id).await.unwrap().len(), 3);
    let got = s
        .catalog
        .tracks(vec![t3.id.clone(), "missing".into(), t2.id.clone()])
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        vec![t3.id.clone(), t2.id.clone()],
        "tracks(ids) keeps order and skips unknown ids"
    );
    s.catalog
        .set_track_popularity(vec![(t1.id.clone(), 99)])
        .await
        .unwrap();
    let top = s.catalog.artist_top_tracks(&ar.id, 1).await.unwrap();
    assert_eq!(top[0].id, t1.id, "popularity updates reorder top tracks");
    assert!(s
        .catalog
        .genres()
        .await
        .unwrap()
        .iter()
        .any(|(g, n)| g == "Pop" && *n >= 3));
    assert!(s.catalog.artist("missing").await.unwrap().is_none());
}
