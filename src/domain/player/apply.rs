//! `apply`: one command against the player state, all or nothing.

use super::*;

/// Applies one command. On success the version has been bumped iff a `Changed` effect is
/// returned; on error the state is untouched.
pub fn apply(
    state: &mut PlayerState,
    cmd: Command,
    expected_version: Option<u64>,
    now_ms: i64,
    ctx: &ApplyCtx,
) -> Result<Vec<Effect>, DomainError> {
    if let Some(expected) = expected_version {
        if expected != state.version {
            return Err(DomainError::Conflict {
                expected,
                current: state.version,
            });
        }
    }
    // Work on a copy so that a refused command leaves no trace.
    let mut s = state.clone();
    let before_item = s.current.as_ref().map(|c| c.entry.item_id);
    let before_device = s.active_device_id.clone();
    let before_anchor = (s.position_ms, s.position_at_ms, s.playing);
    let played_before = s.played_total(now_ms);
    let mut effects = Vec::new();
    let mut urgent = true;
    let now = now_ms;
    let changed = match cmd {
        Command::Play {
            uri,
            tracks,
            offset,
            position_ms,
            device_id,
        } => {
            let device = s.target_device(device_id.as_deref(), ctx)?;
            play(&mut s, uri, tracks, offset, position_ms, now, ctx)?;
            s.active_device_id = Some(device);
            true
        }
        Command::Pause => {
            if s.playing {
                let pos = s.live_position(now);
                s.playing = false;
                s.set_position(pos, now, ctx);
                true
            } else {
                false
            }
        }
        Command::Resume => {
            if s.current.is_none() {
                s.advance(false, now, ctx);
            }
            if s.current.is_none() {
                return Err(DomainError::NotFound("there is nothing to resume".into()));
            }
            let device = s.target_device(None, ctx)?;
            if s.playing && s.active_device_id.as_deref() == Some(device.as_str()) {
                false
            } else {
                let pos = s.live_position(now);
                s.playing = true;
                s.active_device_id = Some(device);
                s.set_position(pos, now, ctx);
                true
            }
        }
        Command::Seek { position_ms } => {
            if s.current.is_none() {
                return Err(DomainError::NotFound("nothing is playing".into()));
            }
            if position_ms < 0 {
                return Err(DomainError::BadRequest(
                    "position_ms must not be negative".into(),
                ));
            }
            s.set_position(position_ms, now, ctx);
            true
        }
        Command::Next => {
            if s.current.is_none() && s.queue.is_empty() && s.context.is_none() {
                return Err(DomainError::NotFound("there is nothing to skip to".into()));
            }
            s.advance(true, now, ctx);
            true
        }
        Command::Previous => {
            if s.current.is_none() {
                return Err(DomainError::NotFound("nothing is playing".into()));
            }
            s.previous(now, ctx);
            true
        }
        Command::SetVolume { volume } => {
            if volume > 100 {
                return Err(DomainError::BadRequest("volume must be 0..100".into()));
            }
            urgent = false;
            let changed = s.volume != volume;
            s.volume = volume;
            changed
        }
        Command::SetShuffle { on } => {
            if s.shuffle == on {
                false
            } else {
                set_shuffle(&mut s, on, ctx.random);
                true
            }
        }
        Command::SetRepeat { mode } => {
            let changed = s.repeat != mode;
            s.repeat = mode;
            changed
        }
        Command::QueueAdd { tracks, next } => {
            if tracks.is_empty() {
                return Err(DomainError::BadRequest(
                    "track_ids must not be empty".into(),
                ));
            }
            if s.queue.len() + tracks.len() > ctx.limits.max_queue {
                return Err(DomainError::BadRequest(format!(
                    "the queue holds at most {} items",
                    ctx.limits.max_queue
                )));
            }
            let entries = s.new_entries(tracks);
            let ids = entries.iter().map(|e| e.item_id).collect();
            s.queue.add(entries, next);
            effects.push(Effect::QueueAdded(ids));
            true
        }
        Command::QueueRemove { item_id } => {
            s.queue.remove(item_id)?;
            true
        }
        Command::QueueMove { item_id, after } => {
            s.queue.move_after(item_id, after)?;
            true
        }
        Command::QueueClear => {
            let changed = !s.queue.is_empty();
            s.queue.clear();
            changed
        }
        Command::Transfer { device_id, play } => {
            if !(ctx.is_online)(&device_id) {
                return Err(DomainError::NotFound(format!(
                    "device `{device_id}` is not online"
                )));
            }
            let pos = s.live_position(now);
            let playing = play.unwrap_or(s.playing) && s.current.is_some();
            let changed =
                s.active_device_id.as_deref() != Some(device_id.as_str()) || playing != s.playing;
            if changed {
                s.active_device_id = Some(device_id);
                s.playing = playing;
                s.set_position(pos, now, ctx);
            }
            changed
        }
        Command::ReportPosition {
            item_id,
            position_ms,
            playing,
        } => {
            require_active(&s, ctx)?;
            urgent = false;
            let current = s.current.as_ref().map(|c| c.entry.item_id);
            if current != Some(item_id) {
                false // a report about an item that is no longer current
            } else {
                let drift = (s.live_position(now) - position_ms.clamp(0, s.duration_ms())).abs();
                if drift <= DRIFT_TOLERANCE_MS && playing == s.playing {
                    false
                } else {
                    s.playing = playing;
                    s.set_position(position_ms, now, ctx);
                    true
                }
            }
        }
        Command::TrackEnded { item_id } => {
            require_active(&s, ctx)?;
            let current = s.current.as_ref().map(|c| c.entry.item_id);
            if current != Some(item_id) {
                false
            } else if s.repeat == Repeat::Track {
                s.set_position(0, now, ctx);
                true
            } else {
                s.advance(false, now, ctx);
                true
            }
        }
        Command::DeviceGone { device_id } => {
            if s.active_device_id.as_deref() != Some(device_id.as_str()) {
                false
            } else {
                let pos = s.live_position(now);
                s.playing = false;
                s.active_device_id = None;
                s.set_position(pos, now, ctx);
                true
            }
        }
    };
    if !changed {
        return Ok(effects);
    }
    if !s.playing {
        s.start_at_ms = None;
    }
    s.version += 1;
    if s.current.as_ref().map(|c| c.entry.item_id) != before_item {
        effects.push(Effect::ItemChanged);
        // The new item has played nothing yet; the old one's total was `played_before`.
        s.played_ms = 0;
    } else if (s.position_ms, s.position_at_ms, s.playing) != before_anchor {
        // The anchor moved: keep what was played up to now, count on from the new anchor.
        s.played_ms = played_before;
    }
    if s.active_device_id != before_device {
        effects.push(Effect::ActiveDeviceChanged);
    }
    effects.push(Effect::Changed { urgent });
    *state = s;
    Ok(effects)
}

fn require_active(s: &PlayerState, ctx: &ApplyCtx) -> Result<(), DomainError> {
    match (ctx.issuer, s.active_device_id.as_deref()) {
        (Some(d), Some(a)) if d == a => Ok(()),
        _ => Err(DomainError::Forbidden(
            "only the active device may report playback".into(),
        )),
    }
}

fn set_shuffle(s: &mut PlayerState, on: bool, random: u64) {
    // The context item playing now (or last) keeps its place as the order changes.
    let current_idx = s
        .context_pos
        .and_then(|p| s.order().get(p as usize).copied());
    s.shuffle = on;
    if on {
        s.shuffle_seed = random;
        s.shuffle_first = current_idx;
    }
    s.reset_order();
    s.context_pos = match (on, current_idx) {
        (true, Some(_)) => Some(0),
        (false, Some(i)) => Some(i),
        _ => None,
    };
}

fn play(
    s: &mut PlayerState,
    uri: Option<String>,
    tracks: Option<Vec<TrackRef>>,
    offset: Option<Offset>,
    position_ms: Option<i64>,
    now: i64,
    ctx: &ApplyCtx,
) -> Result<(), DomainError> {
    if position_ms.is_some_and(|p| p < 0) {
        return Err(DomainError::BadRequest(
            "position_ms must not be negative".into(),
        ));
    }
    let pos = position_ms.unwrap_or(0);
    let Some(mut tracks) = tracks else {
        // No new context: jump to an item of the current context or queue, or resume.
        match offset {
            None => {
                if s.current.is_none() {
                    s.advance(false, now, ctx);
                }
                if s.current.is_none() {
                    return Err(DomainError::NotFound("there is nothing to play".into()));
                }
                let p = position_ms.unwrap_or_else(|| s.live_position(now));
                s.playing = true;
                s.set_position(p, now, ctx);
            }
            Some(Offset::Item(id)) if s.queue.contains(id) => {
                let e = s.queue.remove(id)?;
                s.playing = true;
                s.set_current(e, true, pos, now, ctx);
            }
            Some(off) => {
                let ctxt = s.context.as_ref().ok_or_else(|| {
                    DomainError::NotFound("there is no context to play in".into())
                })?;
                let idx = context_index(ctxt, &off)?;
                jump_to_index(s, idx, pos, now, ctx);
            }
        }
        return Ok(());
    };
    if tracks.is_empty() {
        return Err(DomainError::NotFound(
            "the context has no playable tracks".into(),
        ));
    }
    tracks.truncate(ctx.limits.max_context_tracks);
    let same = s.context.as_ref().is_some_and(|c| {
        uri.is_some()
            && c.uri == uri
            && c.track_ids.len() == tracks.len()
            && c.track_ids
                .iter()
                .zip(&tracks)
                .all(|(a, b)| *a == b.track_id)
    });
    if !same {
        let base = s.alloc_ids(tracks.len());
        let (track_ids, durations) = tracks
            .into_iter()
            .map(|t| (t.track_id, t.duration_ms.max(0)))
            .unzip();
        s.context = Some(Context {
            uri,
            base_item_id: base,
            track_ids,
            durations,
        });
    }
    let ctxt = s
        .context
        .as_ref()
        .ok_or_else(|| DomainError::NotFound("no context".into()))?;
    let idx = match &offset {
        Some(off) => context_index(ctxt, off)?,
        None => 0,
    };
    if s.shuffle {
        // A fresh order for a new context; an explicit offset plays first.
        s.shuffle_seed = ctx.random;
        s.shuffle_first = offset.is_some().then_some(idx as u32);
        s.reset_order();
        s.context_pos = Some(0);
        let first = s.context_entry_at(0);
        if let Some(e) = first {
            s.playing = true;
            s.set_current(e, false, pos, now, ctx);
        }
    } else {
        jump_to_index(s, idx, pos, now, ctx);
    }
    s.playing = true;
    s.set_position(pos, now, ctx);
    Ok(())
}

fn context_index(c: &Context, off: &Offset) -> Result<usize, DomainError> {
    match off {
        Offset::Index(i) if *i < c.len() => Ok(*i),
        Offset::Index(i) => Err(DomainError::BadRequest(format!(
            "offset {i} is past the end of the context ({} tracks)",
            c.len()
        ))),
        Offset::Item(id) => c
            .index_of_item(*id)
            .ok_or_else(|| DomainError::NotFound(format!("item {id} is not in the context"))),
        Offset::Track(t) => c
            .track_ids
            .iter()
            .position(|x| x == t)
            .ok_or_else(|| DomainError::NotFound(format!("track `{t}` is not in the context"))),
    }
}

fn jump_to_index(s: &mut PlayerState, idx: usize, pos: i64, now: i64, ctx: &ApplyCtx) {
    let order_pos = s
        .order()
        .iter()
        .position(|&x| x as usize == idx)
        .unwrap_or(0) as u32;
    s.context_pos = Some(order_pos);
    if let Some(e) = s.context_entry_at(order_pos) {
        s.playing = true;
        s.set_current(e, false, pos, now, ctx);
    }
}
