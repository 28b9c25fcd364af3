//! Frame codec speed: decoding client requests (envelope + typed body) and encoding a
//! `player_state` event once for all recipients.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use segue::protocol::client::PlayerRequest;
use segue::protocol::codec;
use segue::protocol::server::{ArtistRef, ContextView, ItemView, PlayerStateView};

fn item(i: usize) -> ItemView {
    ItemView {
        item_id: i.to_string(),
        track_id: format!("track-{i:06}"),
        title: format!("A song title number {i}"),
        artists: vec![ArtistRef {
            id: "artist-1".into(),
            name: "Some Artist".into(),
        }],
        album: None,
        duration_ms: 215_000,
        explicit: false,
        added_by: None,
    }
}

fn bench(c: &mut Criterion) {
    let report =
        r#"{"type":"report_position","id":42,"item_id":"17","position_ms":123456,"playing":true}"#;
    let queue_add = r#"{"type":"queue_add","id":"q1","track_ids":["a","b","c","d"],"next":true,"expected_version":9}"#;
    c.bench_function("decode report_position", |b| {
        b.iter(|| {
            let env = codec::decode_envelope(black_box(report), 65536).unwrap();
            let body: PlayerRequest = codec::decode_body(report).unwrap();
            black_box((env.id, body))
        })
    });
    c.bench_function("decode queue_add", |b| {
        b.iter(|| {
            let env = codec::decode_envelope(black_box(queue_add), 65536).unwrap();
            let body: PlayerRequest = codec::decode_body(queue_add).unwrap();
            black_box((env.expected_version, body))
        })
    });
    let view = PlayerStateView {
        ty: "player_state".into(),
        version: 1234,
        active_device_id: Some("phone".into()),
        playing: true,
        item: Some(item(0)),
        position_ms: 61_000,
        position_at_ms: 1_700_000_000_000,
        start_at_ms: None,
        volume: 80,
        shuffle: true,
        repeat: segue::domain::player::Repeat::Context,
        context: Some(ContextView {
            uri: Some("segue:album:abc".into()),
            length: 12,
            position: Some(3),
        }),
        queue: (1..=20).map(item).collect(),
        stream: None,
    };
    c.bench_function("encode player_state (20 queued)", |b| {
        b.iter(|| black_box(codec::encode(black_box(&view))))
    });
    let id = segue::protocol::RequestId::Int(7);
    c.bench_function("encode ack", |b| {
        b.iter(|| black_box(codec::ack(&id, serde_json::json!({"version": 5}))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
