// The audio engine: drives this tab's <audio> from `player_state`. When this tab is the active
// device it plays the signed stream URL at the live position (position_ms + server_now −
// position_at_ms) or schedules the start at `start_at_ms` on the estimated server clock (group
// sessions), keeps drift small (rate nudges, hard seek when far), and reports position and track
// ends. Otherwise it stays silent and the UI remote-controls whichever device is active.

import { store } from './store.js';
import { api } from './api.js';

const REPORT_EVERY_MS = 10_000;
const HARD_SEEK_MS = 250; // farther than this: seek (docs/group-listening.md)
const NUDGE_MS = 30; // closer than this: leave it alone; between: nudge the playback rate
const MAX_NUDGE = 0.05; // playback rate stays within 1 ± this while converging
const AUDIO_LEAD_MS = 40; // seeks while playing land this far ahead to absorb their own latency

export class AudioEngine {
  constructor(audio, sock) {
    this.audio = audio;
    this.sock = sock;
    this.state = null;
    this.itemId = null; // item the <audio> holds
    this.url = null;
    this.fallbacks = [];
    this.startTimer = null;
    this.endedFor = null;
    this.lastReport = 0;
    this.blocked = false; // autoplay refused: needs a click
    this.wantPlaying = false;
    this.seeking = false;
    audio.preload = 'auto';
    audio.addEventListener('ended', () => this.onEnded());
    audio.addEventListener('error', () => this.onError());
    audio.addEventListener('seeking', () => (this.seeking = true));
    audio.addEventListener('seeked', () => (this.seeking = false));
    audio.addEventListener('loadedmetadata', () => {
      audio.loop = this.loops();
      if (this.pendingSeek != null) {
        const ms = this.pendingSeek;
        this.pendingSeek = null;
        this.seekTo(ms);
      }
    });
    // A member that reported `buffering` says `ready: true` as soon as it can play, so the
    // session starts then instead of waiting out the whole buffering window.
    audio.addEventListener('canplay', () => {
      if (this.bufferingSent && this.bufferingItem === this.itemId) {
        this.bufferingSent = false;
        this.sock.send('buffering', { item_id: this.itemId, ready: true });
      }
    });
    setInterval(() => this.tick(), 200);
  }

  /** Is this tab the device that makes sound? */
  isActive(state = this.state) {
    if (!state) return false;
    const me = store.device.id;
    if (state.active_device_id === me) return true;
    const mine = store.devices.find((d) => d.device_id === me);
    if (mine?.active) return true;
    // In a group session every member's device plays; a member without an active device of
    // their own plays on this tab. Only an ONLINE device counts: a closed tab can stay the
    // user's active device for the server's grace period (and longer on older servers), and
    // yielding to it would leave this member silent while the screen says "playing".
    const otherActiveOnline = store.devices.some((d) => d.active && d.online === true && d.device_id !== me);
    if (store.session && !otherActiveOnline && state.active_device_id == null) return true;
    return false;
  }

  /** Live position of the state's item on the server clock, ms. */
  livePosition(state = this.state, now = this.sock.serverNow()) {
    if (!state) return 0;
    let pos = Number(state.position_ms) || 0;
    if (state.playing) {
      const anchor = Number(state.start_at_ms ?? state.position_at_ms) || now;
      pos += Math.max(0, now - anchor);
    }
    const dur = Number(state.item?.duration_ms) || Infinity;
    return Math.min(pos, dur);
  }

  update(state) {
    this.state = state;
    clearTimeout(this.startTimer);
    const a = this.audio;
    if (!state || !state.item || !this.isActive(state)) {
      this.wantPlaying = false;
      if (!a.paused) a.pause();
      if (!state?.item) this.unload();
      return;
    }
    const item = state.item;
    const stream = state.stream;
    if (!stream?.url) {
      // Nothing to play here (e.g. no audio for this track): say so once per item.
      this.wantPlaying = false;
      if (!a.paused) a.pause();
      if (this.noStreamFor !== item.item_id) {
        this.noStreamFor = item.item_id;
        store.emit('audio_error', { code: 'not_found', message: 'this song has no audio available' });
      }
      return;
    }
    if (this.itemId !== item.item_id || !this.url) {
      this.load(item.item_id, stream);
    } else if (stream.url !== this.url && a.error) {
      this.load(item.item_id, stream); // the old signed URL failed: take the fresh one
    }
    a.volume = Math.max(0, Math.min(1, (Number(state.volume) || 0) / 100));
    if (!state.playing) {
      this.wantPlaying = false;
      if (!a.paused) a.pause();
      const want = (Number(state.position_ms) || 0) / 1000;
      if (Math.abs(this.itemPos(want * 1000) - want * 1000) > 300) this.seekTo(want * 1000);
      return;
    }
    this.wantPlaying = true;
    const now = this.sock.serverNow();
    const startAt = Number(state.start_at_ms);
    if (Number.isFinite(startAt) && startAt > now + 5) {
      // Synchronized start: be parked at position_ms and go at start_at_ms.
      if (!a.paused) a.pause();
      this.seekTo(Number(state.position_ms) || 0);
      this.scheduleStart(startAt, item.item_id);
      return;
    }
    this.seekTo(this.livePosition(state) + (a.paused ? AUDIO_LEAD_MS : 0), true);
    this.startPlaying();
  }

  /** Unpause at `startAt` (server clock): a coarse timeout, then a short busy wait. */
  scheduleStart(startAt, itemId) {
    const fire = () => {
      if (this.state?.item?.item_id !== itemId || Number(this.state?.start_at_ms) !== startAt) return;
      const left = startAt - this.sock.serverNow();
      if (left > 12) {
        this.startTimer = setTimeout(fire, Math.max(0, left - 10));
        return;
      }
      while (this.sock.serverNow() < startAt) {
        /* spin the last few ms for a precise start */
      }
      if (this.audio.readyState < 3 && !this.bufferingSent) {
        // Not enough audio to start on time: tell the session, which waits a bounded time.
        this.bufferingSent = true;
        this.bufferingItem = itemId;
        this.sock.send('buffering', { item_id: itemId });
      }
      this.startPlaying(true);
    };
    // The server answers `buffering` with a later start_at_ms for the same item: keep the flag
    // then, or the `ready: true` on canplay would never be sent.
    if (this.bufferingItem !== itemId) this.bufferingSent = false;
    this.startTimer = setTimeout(fire, Math.max(0, startAt - this.sock.serverNow() - 25));
  }

  load(itemId, stream) {
    const a = this.audio;
    this.itemId = itemId;
    this.url = stream.url;
    this.fallbacks = [...(stream.fallback_urls || [])];
    this.endedFor = null;
    a.playbackRate = 1;
    a.loop = false;
    this.pendingSeek = null;
    a.src = stream.url;
    a.load();
  }

  unload() {
    this.itemId = null;
    this.url = null;
    if (this.audio.getAttribute('src')) {
      this.audio.removeAttribute('src');
      this.audio.load();
    }
  }

  // Positions are in item time (what the server counts). A recording shorter than its item (the
  // demo catalog backs long songs with short excerpts) loops, so item time maps onto it modulo
  // its length and the song still lasts as long as everyone else thinks it does.

  audioLenMs() {
    const d = this.audio.duration * 1000;
    return Number.isFinite(d) && d > 0 ? d : null;
  }

  loops() {
    const len = this.audioLenMs();
    const dur = Number(this.state?.item?.duration_ms) || 0;
    return len != null && dur > len + 1000;
  }

  /** Where the audio is, in item time (nearest loop to the live position). */
  itemPos(live = this.livePosition()) {
    const cur = this.audio.currentTime * 1000;
    if (!this.loops()) return cur;
    const len = this.audioLenMs();
    const base = Math.floor(live / len) * len + cur;
    return [base - len, base, base + len].reduce((a, b) => (Math.abs(b - live) < Math.abs(a - live) ? b : a));
  }

  seekTo(ms, onlyIfFar = false) {
    const a = this.audio;
    ms = Math.max(0, ms);
    if (a.readyState < 1) {
      this.pendingSeek = ms; // applied once the length is known
      return;
    }
    if (onlyIfFar && Math.abs(this.itemPos(ms) - ms) < HARD_SEEK_MS) return;
    const len = this.audioLenMs();
    const target = this.loops() ? ms % len : ms;
    try {
      a.currentTime = target / 1000;
    } catch {
      /* not seekable yet: the drift loop retries */
    }
  }

  async startPlaying(onSchedule = false) {
    const a = this.audio;
    if (!this.wantPlaying || !a.paused) return;
    const s = this.state;
    // On a scheduled start the audio is already parked at position_ms: just unpause.
    if (s && !onSchedule) this.seekTo(this.livePosition(s) + AUDIO_LEAD_MS, true);
    try {
      await a.play();
      if (this.blocked) {
        this.blocked = false;
        store.emit('autoplay', false);
      }
    } catch (e) {
      if (e?.name === 'NotAllowedError') {
        this.blocked = true;
        store.emit('autoplay', true);
      }
    }
  }

  /** Called from a click when autoplay was refused. */
  unblock() {
    this.blocked = false;
    store.emit('autoplay', false);
    this.update(this.state);
  }

  tick() {
    const s = this.state;
    const a = this.audio;
    if (!s || !this.wantPlaying || !this.isActive(s)) return;
    const now = this.sock.serverNow();
    const startAt = Number(s.start_at_ms);
    if (Number.isFinite(startAt) && startAt > now) return; // waiting for the scheduled start
    if (a.paused) {
      if (!this.blocked && a.readyState >= 1) this.startPlaying();
      return;
    }
    if (this.seeking || a.readyState < 3) return;
    const live = this.livePosition(s, now);
    const dur = Number(s.item?.duration_ms) || 0;
    if (this.loops() && dur && live >= dur - 50) {
      this.onEnded(); // a looping excerpt never fires `ended`: the item's time is up
      return;
    }
    // Drift: positive when the audio is ahead of the live position.
    const drift = this.itemPos(live) - live;
    if (Math.abs(drift) > HARD_SEEK_MS) {
      a.playbackRate = 1;
      this.seekTo(this.livePosition(s, now) + AUDIO_LEAD_MS);
    } else if (Math.abs(drift) > NUDGE_MS) {
      // Converge within a couple of seconds without an audible jump.
      a.playbackRate = 1 - Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, drift / 2000));
    } else if (a.playbackRate !== 1) {
      a.playbackRate = 1;
    }
    const wall = performance.now();
    if (wall - this.lastReport > REPORT_EVERY_MS && this.shouldReport()) {
      this.lastReport = wall;
      this.sock.send('report_position', { item_id: s.item.item_id, position_ms: Math.round(this.itemPos(live)), playing: true });
    }
  }

  /** In a group session the host's device is the reference; elsewhere the active device is. */
  shouldReport() {
    if (!store.session) return true;
    return store.me && store.session.host_user_id === store.me.id;
  }

  onEnded() {
    const s = this.state;
    if (!s?.item || !this.isActive(s) || this.endedFor === s.item.item_id) return;
    this.endedFor = s.item.item_id;
    this.sock.send('track_ended', { item_id: s.item.item_id });
  }

  onError() {
    if (!this.url) return;
    const next = this.fallbacks.shift();
    if (next) {
      const t = this.audio.currentTime;
      this.url = next;
      this.audio.src = next;
      this.audio.currentTime = t;
      if (this.wantPlaying) this.startPlaying();
      return;
    }
    // The signed URL may have expired: ask for a fresh one once per item, then give up.
    const s = this.state;
    if (s?.item && this.refreshedFor !== s.item.item_id) {
      this.refreshedFor = s.item.item_id;
      const at = this.audio.currentTime;
      api.stream(s.item.track_id).then((fresh) => {
        if (!fresh?.url || this.state?.item?.item_id !== s.item.item_id) return;
        this.load(s.item.item_id, fresh);
        this.seekTo(at * 1000);
        if (this.wantPlaying) this.startPlaying();
      }, (err) => store.emit('audio_error', err));
      return;
    }
    store.emit('audio_error', this.audio.error);
  }

  /** What the tests and the debug overlay read. */
  debug() {
    const a = this.audio;
    return {
      active: this.isActive(),
      item_id: this.itemId,
      track_id: this.state?.item?.track_id ?? null,
      paused: a.paused,
      audio_ms: this.itemPos(),
      live_ms: this.livePosition(),
      server_now: this.sock.serverNow(),
      offset: this.sock.offset,
      rtt: this.sock.rtt,
      rate: a.playbackRate,
      ready: a.readyState,
    };
  }
}
