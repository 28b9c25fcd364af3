// The search box: suggestions as you type (tracks, artists, albums, playlists), keyboard
// navigation, Enter for the full results page. Stale answers are dropped (only the newest query's
// answer is shown).

import { api } from './api.js';
import { h, $, clear, cover, itemsOf, normTrack } from './util.js';
import { playFrom } from './views.js';

let seq = 0;
let pendingTimer = null; // the keystroke pause before asking for suggestions
let sel = -1;
let entries = [];

export function initSearch() {
  const input = $('#search-input');
  const box = $('#suggest');
  input.addEventListener('input', () => {
    clearTimeout(pendingTimer);
    if (!input.value.trim()) return hide();
    pendingTimer = setTimeout(() => suggest(input.value), 120);
  });
  input.addEventListener('focus', () => {
    if (input.value.trim() && entries.length) box.hidden = false;
  });
  input.addEventListener('blur', () => setTimeout(hide, 150));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!entries.length) return;
      sel = (sel + (e.key === 'ArrowDown' ? 1 : -1) + entries.length) % entries.length;
      box.querySelectorAll('.sugg').forEach((el, i) => el.classList.toggle('sel', i === sel));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (sel >= 0 && entries[sel]) return choose(entries[sel]);
      const q = input.value.trim();
      hide();
      if (q) location.hash = `#/search?q=${encodeURIComponent(q)}`;
    } else if (e.key === 'Escape') {
      hide();
    }
  });
}

/** Empties the search box (and its suggestions) when another page than the results is shown. */
export function clearSearchBox() {
  const input = $('#search-input');
  if (!input || !input.value) return;
  input.value = '';
  hide();
}

function hide() {
  clearTimeout(pendingTimer);
  $('#suggest').hidden = true;
  sel = -1;
  seq += 1; // answers still on their way must not reopen the list
}

/** One suggestion in one shape: {kind, id, title, sub, color, track?}. */
function normalize(x, kindHint) {
  if (typeof x === 'string') return { kind: 'query', id: x, title: x, sub: 'Search' };
  const kind = String(x.type ?? x.kind ?? kindHint ?? 'track').replace(/s$/, '');
  const t = kind === 'track' ? normTrack(x) : null;
  return {
    kind,
    id: x.id ?? x.track_id ?? x.artist_id ?? x.album_id ?? x.playlist_id,
    title: x.title ?? x.name ?? x.text ?? x.display ?? '',
    // A song's album tells apart the same title on several records (live, best-of, remaster).
    sub: kind === 'track' ? ['Song', t.artists.map((a) => a.name).join(', '), t.album_title].filter(Boolean).join(' · ')
      : kind === 'album' ? `Album${normTrack(x).artists.length ? ' · ' + normTrack(x).artists.map((a) => a.name).join(', ') : ''}`
      : kind === 'artist' ? 'Artist' : kind === 'playlist' ? 'Playlist' : '',
    color: x.color ?? x.album?.color ?? null,
    track: t,
  };
}

async function suggest(q) {
  const my = ++seq;
  let list = [];
  try {
    const res = await api.suggest(q, 8);
    if (Array.isArray(res)) list = res.map((x) => normalize(x));
    else if (Array.isArray(res?.suggestions) || Array.isArray(res?.items)) list = (res.suggestions ?? res.items).map((x) => normalize(x));
    else for (const k of ['artists', 'tracks', 'albums', 'playlists']) list.push(...itemsOf(res, k).map((x) => normalize(x, k)));
  } catch {
    /* fall back to a small search below */
  }
  if (!list.some((x) => x.kind !== 'query')) {
    try {
      const res = await api.search(q, 'artist,track,album,playlist', 3);
      for (const k of ['artists', 'tracks', 'albums', 'playlists']) list.push(...itemsOf(res, k).map((x) => normalize(x, k)));
    } catch {
      /* nothing to show */
    }
  }
  if (my !== seq) return; // a newer keystroke won
  entries = list.filter((x) => x.id || x.kind === 'query').slice(0, 10);
  sel = -1;
  render(q);
}

function render(q) {
  const box = $('#suggest');
  const input = $('#search-input');
  if (!input.value.trim()) return hide();
  clear(box, entries.map((e, i) => {
    const c = cover(e.title, e.color);
    if (e.kind === 'artist') c.classList.add('round');
    return h('button.sugg', { role: 'option', dataset: { kind: e.kind, id: e.id }, on: { mousedown: (ev) => ev.preventDefault(), click: () => choose(e) } },
      c, h('div.meta', h('div.t', highlight(e.title, q)), h('div.s', e.sub)));
  }),
  h('button.sugg', { role: 'option', on: { mousedown: (ev) => ev.preventDefault(), click: () => { hide(); location.hash = `#/search?q=${encodeURIComponent(input.value.trim())}`; } } },
    h('div.meta', h('div.t', `See all results for “${input.value.trim()}”`))));
  if (!entries.length) box.prepend(h('div.sugg.muted', 'No matches yet — keep typing'));
  box.dataset.q = q; // which query these suggestions answer
  box.hidden = false;
}

function highlight(text, q) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const lower = text.toLowerCase();
  for (const w of words) {
    const i = lower.indexOf(w);
    if (i >= 0) return [text.slice(0, i), h('mark', text.slice(i, i + w.length)), text.slice(i + w.length)];
  }
  return text;
}

function choose(e) {
  hide();
  const input = $('#search-input');
  if (e.kind === 'artist') location.hash = `#/artist/${encodeURIComponent(e.id)}`;
  else if (e.kind === 'album') location.hash = `#/album/${encodeURIComponent(e.id)}`;
  else if (e.kind === 'playlist') location.hash = `#/playlist/${encodeURIComponent(e.id)}`;
  else if (e.kind === 'track' && e.track) {
    playFrom([e.track], 0);
    location.hash = `#/search?q=${encodeURIComponent(input.value.trim())}`;
  } else location.hash = `#/search?q=${encodeURIComponent(e.title)}`;
}
