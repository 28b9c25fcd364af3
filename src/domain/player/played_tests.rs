//! `played_ms`: the time an item actually played, which seeks do not add to.

use super::*;

fn ctx_with<'a>(limits: &'a Limits, online: &'a dyn Fn(&str) -> bool) -> ApplyCtx<'a> {
    ApplyCtx {
        issuer: Some("a"),
        is_online: online,
        limits,
        random: 1,
        start_lead_ms: None,
    }
}

fn limits() -> Limits {
    Limits {
        max_queue: 8,
        max_context_tracks: 10,
        previous_restart_threshold_ms: 3000,
    }
}

fn playing_two_tracks(ctx: &ApplyCtx) -> PlayerState {
    let mut s = PlayerState::default();
    let tracks = (0..2)
        .map(|i| TrackRef {
            track_id: format!("t{i}"),
            duration_ms: 300_000,
        })
        .collect();
    let play = Command::Play {
        uri: None,
        tracks: Some(tracks),
        offset: None,
        position_ms: None,
        device_id: None,
    };
    apply(&mut s, play, None, 0, ctx).unwrap();
    s
}

#[test]
fn seeking_forward_adds_no_played_time() {
    let (l, online) = (limits(), |_: &str| true);
    let ctx = ctx_with(&l, &online);
    let mut s = playing_two_tracks(&ctx);
    // 10 s of listening, then a jump to 200 s, then 5 s more.
    let seek = Command::Seek {
        position_ms: 200_000,
    };
    apply(&mut s, seek, None, 10_000, &ctx).unwrap();
    assert_eq!(s.live_position(15_000), 205_000);
    assert_eq!(
        s.played_total(15_000),
        15_000,
        "the skipped 190 s do not count"
    );
    // Paused time does not count either.
    apply(&mut s, Command::Pause, None, 15_000, &ctx).unwrap();
    assert_eq!(s.played_total(60_000), 15_000);
    apply(&mut s, Command::Resume, None, 60_000, &ctx).unwrap();
    assert_eq!(s.played_total(61_000), 16_000);
    // Seeking back replays: that is listening time too.
    let back = Command::Seek { position_ms: 0 };
    apply(&mut s, back, None, 61_000, &ctx).unwrap();
    assert_eq!(s.played_total(63_000), 18_000);
    // A new item starts from nothing.
    apply(&mut s, Command::Next, None, 63_000, &ctx).unwrap();
    assert_eq!(s.played_total(63_000), 0);
    assert_eq!(s.played_total(64_000), 1_000);
}

#[test]
fn played_time_stops_at_the_end_of_the_item() {
    let (l, online) = (limits(), |_: &str| true);
    let ctx = ctx_with(&l, &online);
    let s = playing_two_tracks(&ctx);
    assert_eq!(s.played_total(900_000), 300_000);
}

#[test]
fn banking_keeps_time_across_an_anchor_moved_outside_apply() {
    let (l, online) = (limits(), |_: &str| true);
    let ctx = ctx_with(&l, &online);
    let mut s = playing_two_tracks(&ctx);
    s.bank_played(4_000);
    s.position_ms = s.live_position(4_000);
    s.position_at_ms = 7_000;
    assert_eq!(s.played_total(6_000), 4_000, "held: nothing plays");
    assert_eq!(s.played_total(8_000), 5_000);
}
