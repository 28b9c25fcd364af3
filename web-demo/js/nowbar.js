// The now-playing bar: cover colour, title/artists, like, transport controls, a progress bar
// that moves smoothly from the extrapolated server position (drag to seek), volume, shuffle,
// repeat, and which device is playing (remote control when it is not this tab).

import { store } from './store.js';
import { explain } from './api.js';
import { h, $, clear, cover, colorFor, fmtTime, toast, icon, iconButton, artistLine, normTrack } from './util.js';
import { openPanel, togglePanel } from './panels.js';
import { toggleLike } from './views.js';
import { albumColor, loadAlbumColor, trackCover } from './tracks.js';

let sock, engine;

/** Sends a player command; failures become a toast. Resolves with the result or null. */
export async function cmd(type, fields = {}) {
  try {
    return await sock.request(type, fields);
  } catch (err) {
    toast(explain(err, humanCommand(type)), 'error');
    return null;
  }
}

function humanCommand(t) {
  return { play: 'Could not play', transfer: 'Could not switch device', queue_add: 'Could not add to queue', seek: 'Could not seek' }[t] || 'Could not do that';
}

export function initNowBar(s, e) {
  sock = s;
  engine = e;
  store.on('player', render);
  store.on('devices', render);
  store.on('liked', render);
  store.on('session', render);
  setupProgress();
  requestAnimationFrame(frame);
  render();
}

let dragging = null; // fraction while the knob is held

/** The bitrate of the stream being played (player_state.stream.kbps, or the older
 * stream.bitrate_kbps), e.g. "160 kbps". */
function qualityBadge(p) {
  const kbps = Number(p?.stream?.kbps ?? p?.stream?.bitrate_kbps);
  if (!Number.isFinite(kbps) || kbps <= 0) return null;
  return h('span.np-quality#np-quality', { title: 'Streaming quality (change it in your account menu)' }, ` · ${kbps} kbps`);
}

function render() {
  const p = store.player;
  const item = p?.item ? normTrack(p.item) : null;
  const left = $('#np-left');
  if (!item) {
    clear(left, h('div.np-meta', h('div.np-title.muted', 'Nothing playing'), h('div.np-artist', 'Pick something to listen to')));
    document.documentElement.style.setProperty('--np-color', '#2a2a2a');
  } else {
    const liked = store.liked.has(item.id);
    const known = item.color ?? albumColor(item.album_id);
    document.documentElement.style.setProperty('--np-color', colorFor(item.album_title || item.title, known));
    if (!known && item.album_id) {
      // First time this album shows: fetch its colour, then draw again with it.
      loadAlbumColor(item.album_id).then((c) => {
        if (c && store.player?.item?.item_id === p.item.item_id) render();
      });
    }
    clear(left,
      item.album_id ? h('a', { href: `#/album/${encodeURIComponent(item.album_id)}`, title: item.album_title }, trackCover(item)) : cover(item.title),
      h('div.np-meta',
        h('div.np-title', { id: 'np-title' }, item.explicit ? h('span.explicit', 'E') : null, item.title),
        h('div.np-artist', artistLine(item), qualityBadge(p)),
        deviceLine(p)),
      iconButton('heart', liked ? 'Remove from Liked Songs' : 'Save to Liked Songs', () => toggleLike(item.id), liked ? 'liked' : ''));
  }
  const playing = !!p?.playing;
  const ctr = $('#controls');
  const repeat = p?.repeat || 'off';
  clear(ctr,
    iconButton('shuffle', p?.shuffle ? 'Shuffle off' : 'Shuffle on', () => cmd('set_shuffle', { on: !p?.shuffle }), `opt${p?.shuffle ? '.on' : ''}`),
    iconButton('prev', 'Previous', () => cmd('previous'), 'prev'),
    h('button.playbtn#play-btn', {
      title: playing ? 'Pause' : 'Play', 'aria-label': playing ? 'Pause' : 'Play',
      on: { click: () => (playing ? cmd('pause') : resume()) },
    }, icon(playing ? 'pause' : 'play')),
    iconButton('next', 'Next', () => cmd('next')),
    h(`button.icon-btn.opt${repeat !== 'off' ? '.on' : ''}`, {
      title: `Repeat: ${repeat}`, 'aria-label': `Repeat ${repeat}`,
      on: { click: () => cmd('set_repeat', { mode: { off: 'context', context: 'track', track: 'off' }[repeat] || 'off' }) },
    }, icon('repeat'), repeat === 'track' ? h('span.small-text', { style: { position: 'absolute', fontSize: '9px', fontWeight: 800 } }, '1') : null),
    iconButton('devices', 'Devices', () => togglePanel('devices'), 'mobile-dev'));
  const right = $('#np-right');
  const vol = Number(p?.volume ?? 100);
  const slider = h('input.volume#volume', { type: 'range', min: 0, max: 100, value: vol, 'aria-label': 'Volume' });
  let volTimer;
  slider.addEventListener('input', () => {
    if (engine.isActive()) engine.audio.volume = slider.value / 100;
    clearTimeout(volTimer);
    volTimer = setTimeout(() => cmd('set_volume', { volume: Number(slider.value) }), 150);
  });
  clear(right,
    iconButton('queue', 'Queue', () => togglePanel('queue')),
    iconButton('devices', 'Connect to a device', () => togglePanel('devices'), 'dev-btn'),
    iconButton('group', 'Listen together', () => togglePanel('session'), store.session ? 'on' : ''),
    iconButton(vol === 0 ? 'mute' : 'volume', vol === 0 ? 'Unmute' : 'Mute', () => cmd('set_volume', { volume: vol === 0 ? 70 : 0 })),
    slider);
  $('#nowbar').classList.toggle('remote', !!p?.active_device_id && p.active_device_id !== store.device.id && !engine.isActive());
}

function deviceLine(p) {
  if (store.session) return h('div.device-pill', icon('group'), `Listening together · ${(store.session.members || []).length}`);
  if (!p?.active_device_id || engine.isActive(p)) return null;
  const d = store.devices.find((x) => x.device_id === p.active_device_id);
  return h('button.device-pill', { on: { click: () => openPanel('devices') } }, icon('devices'), `Playing on ${d?.name || 'another device'}`);
}

/** Play/resume: with no active device, this tab becomes the one. */
function resume() {
  const p = store.player;
  if (!p?.item) return toast('Pick a song to play first');
  // A session's shared player has no active device: every member's device plays.
  if (store.session) return cmd('resume');
  const active = p.active_device_id && store.devices.some((d) => d.device_id === p.active_device_id && d.online !== false);
  if (!active) return cmd('transfer', { device_id: store.device.id, play: true });
  return cmd('resume');
}

// ---------- smooth progress ----------

// The track's position from player_state (position_ms + server-clock time since position_at_ms),
// never audio.currentTime: a demo recording shorter than its song loops, so the audio's own time
// is the place inside the clip (a seek to 0:40 would read 0:03), not the place in the song.
function livePos() {
  const p = store.player;
  if (!p?.item) return { pos: 0, dur: 0 };
  return { pos: engine.livePosition(p), dur: Number(p.item.duration_ms) || 0 };
}

function frame() {
  const { pos, dur } = livePos();
  const shown = dragging != null ? dragging * dur : pos;
  const frac = dur ? Math.max(0, Math.min(1, shown / dur)) : 0;
  const pct = (frac * 100).toFixed(3) + '%';
  $('#p-fill').style.width = pct;
  $('#p-knob').style.left = pct;
  $('.np-progress-mobile div').style.width = pct;
  const tp = fmtTime(shown);
  const td = fmtTime(dur);
  if ($('#t-pos').textContent !== tp) $('#t-pos').textContent = tp;
  if ($('#t-dur').textContent !== td) $('#t-dur').textContent = td;
  requestAnimationFrame(frame);
}

function setupProgress() {
  const bar = $('#progress');
  const fracAt = (e) => {
    const r = bar.querySelector('.bar').getBoundingClientRect();
    return Math.max(0, Math.min(1, (e.clientX - r.left) / r.width));
  };
  bar.addEventListener('pointerdown', (e) => {
    if (!store.player?.item) return;
    bar.setPointerCapture(e.pointerId);
    bar.classList.add('drag');
    dragging = fracAt(e);
  });
  bar.addEventListener('pointermove', (e) => {
    if (dragging != null) dragging = fracAt(e);
  });
  const end = (e) => {
    if (dragging == null) return;
    const f = e.type === 'pointercancel' ? null : fracAt(e);
    dragging = null;
    bar.classList.remove('drag');
    const dur = Number(store.player?.item?.duration_ms) || 0;
    if (f != null && dur) cmd('seek', { position_ms: Math.round(f * dur) });
  };
  bar.addEventListener('pointerup', end);
  bar.addEventListener('pointercancel', end);
  bar.addEventListener('keydown', (e) => {
    const step = e.key === 'ArrowRight' ? 5000 : e.key === 'ArrowLeft' ? -5000 : 0;
    if (step) cmd('seek', { position_ms: Math.max(0, Math.round(livePos().pos + step)) });
  });
  document.addEventListener('keydown', (e) => {
    if (e.code !== 'Space' || e.target.closest('input,textarea,button,[contenteditable]')) return;
    e.preventDefault();
    store.player?.playing ? cmd('pause') : resume();
  });
}
