// Entry point: login, the WebSocket session, routing (#/…), the connection banner, and wiring
// of the now-playing bar, side panels and views.

import { api, explain } from './api.js';
import { Socket } from './ws.js';
import { store } from './store.js';
import { AudioEngine } from './player.js';
import { h, $, clear, toast, icon, modal, colorFor } from './util.js';
import { initNowBar, cmd } from './nowbar.js';
import { initPanels, openPanel, joinSession } from './panels.js';
import { initSearch, clearSearchBox } from './search.js';
import * as views from './views.js';
import { playlistView, leavePlaylistView, acceptInvite, createPlaylist, refreshMyPlaylists } from './playlists.js';

store.nameFetcher = (id) => api.user(id);

const wsUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`;

export const sock = new Socket({
  url: wsUrl(),
  token: () => api.token,
  device: () => ({ id: store.device.id, name: store.device.name, kind: 'web' }),
});
export const engine = new AudioEngine($('#audio'), sock);

// Pending deep links (join code, invite) survive the login screen.
const pending = { join: null, invite: null };
(() => {
  const m = location.pathname.match(/^\/join\/([^/]+)/);
  if (m) pending.join = decodeURIComponent(m[1]);
  const inv = location.pathname.match(/^\/invite\/([^/]+)/) || location.hash.match(/^#\/invite\/([^/?]+)/);
  if (inv) pending.invite = decodeURIComponent(inv[1]);
  if (m || location.pathname.startsWith('/invite/')) history.replaceState(null, '', '/' + (location.hash || '#/'));
})();

// ---------- icons in static markup ----------
for (const el of document.querySelectorAll('[data-icon]')) el.replaceWith(icon(el.dataset.icon));

// ---------- login ----------
let registering = false;
function showLogin(message) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
  if (pending.join) $('#login-sub').textContent = `Log in to join the listening session ${pending.join}.`;
  $('#login-username').focus();
}

$('#login-switch').addEventListener('click', () => {
  registering = !registering;
  document.querySelectorAll('.only-register').forEach((e) => (e.hidden = !registering));
  $('#login-submit').textContent = registering ? 'Sign up' : 'Log in';
  $('#login-switch').textContent = registering ? 'Have an account? Log in' : 'No account? Sign up';
  $('#login-password').autocomplete = registering ? 'new-password' : 'current-password';
});
$('#demo-accounts').addEventListener('click', (e) => {
  const u = e.target.closest('[data-user]')?.dataset.user;
  if (!u) return;
  $('#login-username').value = u;
  $('#login-password').value = 'segue-demo';
  $('#login-form').requestSubmit();
});
$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = $('#login-submit');
  btn.disabled = true;
  $('#login-error').textContent = '';
  const username = $('#login-username').value.trim();
  const password = $('#login-password').value;
  try {
    const res = registering
      ? await api.register(username, password, $('#login-display').value.trim() || undefined)
      : await api.login(username, password);
    api.setToken(res.token);
    if (res.user) store.set('me', res.user);
    await start();
  } catch (err) {
    $('#login-error').textContent = err.code === 'unauthorized' ? 'Wrong username or password.' : explain(err);
  } finally {
    btn.disabled = false;
  }
});

function logout(message) {
  sock.close();
  engine.update(null);
  api.setToken(null);
  store.set('me', null);
  showLogin(message);
}
api.onUnauthorized = () => logout('Your session has expired. Please log in again.');
sock.on('unauthorized', async (ev) => {
  if (ev.code === 4004) {
    logout('This account has been deleted.');
    return;
  }
  // 4001: the token, or something else in hello. Ask the REST API which one it is.
  try {
    await api.me();
    toast(`Segue refused this tab: ${lastHelloError || ev.reason || 'unauthorized'}`, 'error', 6000);
    setTimeout(() => api.token && sock.connect(), 5000);
  } catch (err) {
    if (err.status === 401) logout('Your session has expired. Please log in again.');
    else setTimeout(() => api.token && sock.connect(), 3000);
  }
});
let lastHelloError = null;

// ---------- connection banner ----------
let bannerTimer;
sock.on('status', ({ status, attempt, code }) => {
  store.set('conn', status);
  const b = $('#conn-banner');
  clearTimeout(bannerTimer);
  if (status === 'reconnecting' || (status === 'connecting' && attempt)) {
    b.hidden = false;
    b.className = 'conn-banner';
    const why = code === 1012 ? 'Segue is restarting' : 'Connection lost';
    clear(b, h('span.spinner'), `${why} — reconnecting…`);
  } else if (status === 'open') {
    if (!b.hidden) {
      b.className = 'conn-banner ok';
      clear(b, 'Connected again');
      bannerTimer = setTimeout(() => (b.hidden = true), 1500);
    }
  }
});
window.addEventListener('online', () => sock.reconnectNow());
sock.on('hello_error', (m) => (lastHelloError = m.message));
// Errors without an id answer fire-and-forget frames (report_position, track_ended, buffering):
// nothing the listener can act on.
sock.on('server_error', (m) => console.warn('segue:', m.code, m.message));

// ---------- live state ----------
sock.on('welcome', (w) => {
  store.devices = w.devices || [];
  store.set('session', normalizeSession(w.session));
  store.emit('devices', store.devices);
  applyPlayer(w.player);
  if (pending.join) {
    const code = pending.join;
    pending.join = null;
    joinSession(code);
  }
  store.emit('resync');
});
sock.on('player_state', (p) => applyPlayer(p));
sock.on('devices', (m) => {
  store.set('devices', m.devices || []);
  engine.update(store.player);
});
sock.on('session_state', (s) => {
  const ended = s.ended || s.state === 'ended' || (Array.isArray(s.members) && !s.members.length);
  const mine = !ended && (s.members || []).some((m) => String(m.user_id) === String(store.me?.id));
  const before = store.session;
  store.set('session', mine ? normalizeSession(s) : null);
  if (before && !store.session) toast(ended ? 'The listening session has ended' : 'You left the listening session');
  engine.update(store.player);
});
sock.on('session_ended', () => {
  if (store.session) toast('The listening session has ended');
  store.set('session', null);
});

function normalizeSession(s) {
  if (!s) return null;
  const sess = s.session && typeof s.session === 'object' ? { ...s.session, ...s } : s;
  for (const m of sess.members || []) store.learnName(m.user_id, m.display_name);
  return sess;
}

function applyPlayer(p) {
  if (!p) return;
  // One connection delivers in order, and a snapshot after a reconnect is the truth: take it.
  store.set('player', p);
  engine.update(p);
  const playing = p.item?.track_id;
  for (const row of document.querySelectorAll('#view .trow[data-track-id]')) row.classList.toggle('playing', row.dataset.trackId === playing);
}
store.on('liked', (liked) => {
  for (const btn of document.querySelectorAll('#view .trow[data-track-id] .like')) {
    const on = liked.has(btn.closest('.trow').dataset.trackId);
    btn.classList.toggle('liked', on);
    btn.setAttribute('aria-label', on ? 'Remove from Liked Songs' : 'Save to Liked Songs');
  }
});

// ---------- routing ----------
let currentPlaylistView = false;
async function route() {
  const hash = location.hash || '#/';
  const [path, qs] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(qs || '');
  const view = $('#view');
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('current', a.dataset.nav === (parts[0] || 'home')));
  document.querySelectorAll('.side-link').forEach((a) => a.classList.toggle('current', a.getAttribute('href') === hash));
  // The search box shows the query of the results page and nothing elsewhere: a query left in
  // it on an album or playlist page reads as if that page were filtered by it.
  // (views.searchPage fills it on the results page.)
  if (parts[0] !== 'search') clearSearchBox();
  if (currentPlaylistView && parts[0] !== 'playlist') leavePlaylistView();
  currentPlaylistView = parts[0] === 'playlist';
  view.scrollTop = 0;
  try {
    switch (parts[0] || 'home') {
      case 'home': return await views.home(view);
      case 'search': return await views.searchPage(view, params.get('q') || '');
      case 'album': return await views.album(view, parts[1]);
      case 'artist': return await views.artist(view, parts[1]);
      case 'playlist': return await playlistView(view, parts[1]);
      case 'liked': return await views.liked(view);
      case 'recent': return await views.recent(view);
      case 'library': return await views.library(view);
      case 'invite': {
        location.hash = '#/';
        return acceptInvite(parts[1]);
      }
      default: return await views.home(view);
    }
  } catch (err) {
    clear(view, h('div.empty', h('h2', 'Something went wrong'), h('p', explain(err))));
  }
}
window.addEventListener('hashchange', () => {
  document.querySelectorAll('.menu').forEach((m) => m.remove());
  route();
});

// ---------- sidebar & user ----------
function renderSidebar() {
  const box = $('#side-playlists');
  clear(box, store.playlists.map((p) => h('a.side-link', { href: `#/playlist/${encodeURIComponent(p.id)}` },
    h('span.mini-cover', { style: { background: colorFor(p.id, p.color) } }, (p.name || '?')[0].toUpperCase()),
    h('span', p.name || 'Untitled'))));
  document.querySelectorAll('.side-link').forEach((a) => a.classList.toggle('current', a.getAttribute('href') === location.hash));
}
store.on('playlists', renderSidebar);

function renderUser() {
  const me = store.me;
  const box = $('#user-menu');
  if (!me) return clear(box);
  const premium = String(me.tier).toLowerCase() === 'premium';
  clear(box,
    h(`span.tier${premium ? '.premium' : ''}`, premium ? 'Premium' : 'Free'),
    h('button.avatar', { title: `${me.display_name} — account`, style: { background: colorFor(me.id) }, on: { click: (e) => userMenu(e.currentTarget) } },
      (me.display_name || me.username || '?')[0].toUpperCase()),
    h('span.uname.small-text', me.display_name));
}
store.on('me', renderUser);

// Streaming quality (GET/PATCH /v1/me/settings): "auto" is the best the plan allows; a free plan
// asking for "high" streams at its best (160 kbps). The next song (and the next signed URL) uses
// the new setting; the bitrate being played shows in the now-playing bar.
const QUALITIES = [
  ['auto', 'Automatic (best for your plan)'],
  ['low', 'Low (saves data)'],
  ['normal', 'Normal'],
  ['high', 'High (Premium)'],
];
function qualitySetting() {
  const select = h('select.field#quality-select', { 'aria-label': 'Streaming quality', disabled: true },
    QUALITIES.map(([v, label]) => h('option', { value: v }, label)));
  api.settings().then((s) => {
    if (QUALITIES.some(([v]) => v === s?.streaming_quality)) select.value = s.streaming_quality;
    select.disabled = false;
  }).catch((err) => toast(explain(err, 'Could not load your settings'), 'error'));
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      const s = await api.setStreamingQuality(select.value);
      if (s?.streaming_quality) select.value = s.streaming_quality;
      toast('Streaming quality saved', 'success');
    } catch (err) {
      toast(explain(err, 'Could not save the streaming quality'), 'error');
    } finally {
      select.disabled = false;
    }
  });
  return h('div.setting', { style: { display: 'flex', flexDirection: 'column', gap: '6px' } },
    h('label.small-text', { for: 'quality-select' }, 'Streaming quality'), select);
}

async function userMenu() {
  await modal(store.me?.display_name || 'Account', (close) => [
    h('p.muted', `@${store.me?.username} · ${String(store.me?.tier || 'free')} plan`),
    qualitySetting(),
    h('label.small-text', 'This device is called'),
    h('input.field#device-name', { value: store.device.name, maxLength: 40 }),
    h('div.row',
      h('button.btn.outline', { on: { click: () => { close(); logout('You have logged out.'); } } }, 'Log out'),
      h('button.btn.primary', { on: { click: () => {
        const v = $('#device-name').value.trim();
        if (v && v !== store.device.name) {
          store.setDeviceName(v);
          // The device's name travels in hello: reconnect to announce it.
          sock.ws?.close(4000);
        }
        close();
      } } }, 'Save')),
  ]);
}

$('#new-playlist').addEventListener('click', () => createPlaylist());
$('#nav-together').addEventListener('click', () => openPanel('session'));
$('#tab-together').addEventListener('click', () => openPanel('session'));
$('#autoplay-btn').addEventListener('click', () => engine.unblock());
store.on('autoplay', (blocked) => ($('#autoplay-hint').hidden = !blocked));
store.on('audio_error', (err) => toast(err?.code ? explain(err, 'Cannot play this song') : 'This song could not be played on this tab.', 'error'));

// ---------- start ----------
let started = false;
async function start() {
  try {
    const me = await api.me();
    store.set('me', me);
    store.learnName(me.id, me.display_name);
  } catch (err) {
    if (err.status === 401) return showLogin('Please log in.');
    // Server down at load: keep going, the socket reconnects and views retry.
    toast(explain(err), 'error');
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  if (!started) {
    started = true;
    initNowBar(sock, engine);
    initPanels(sock, engine);
    initSearch();
  }
  sock.connect();
  refreshMyPlaylists();
  views.loadLiked();
  if (pending.invite) {
    const t = pending.invite;
    pending.invite = null;
    acceptInvite(t);
  }
  route();
}

// When the connection comes back, refresh what REST owns (the socket brings its own snapshot).
store.on('resync', () => {
  if (!store.me) api.me().then((me) => store.set('me', me)).catch(() => {});
  refreshMyPlaylists();
});

// Debug/test hook: a read-only view of the live state.
window.segue = { store, sock, engine, cmd, debug: () => engine.debug() };

if (api.token) start();
else showLogin();
