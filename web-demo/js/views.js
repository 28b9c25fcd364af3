// Catalog and library views: home, search results, album, artist, liked songs, recently played,
// library; the shared track list with its row menu; likes; starting playback from anywhere.

import { api, explain } from './api.js';
import { store } from './store.js';
import { h, clear, cover, colorFor, fmtTime, toast, icon, iconButton, artistLine, normTrack, itemsOf, popupMenu, ago } from './util.js';
import { cmd } from './nowbar.js';
import { addToPlaylist, createPlaylist } from './playlists.js';
import { hydrate } from './tracks.js';

// ---------- playback from a list ----------

/** Plays `tracks[index]` within a context (album/playlist/artist uri) or a plain list. */
export function playFrom(tracks, index, contextUri) {
  const fields = {};
  if (contextUri) {
    fields.context_uri = contextUri;
    fields.offset = tracks[index]?.id ? { track_id: tracks[index].id } : index;
  } else {
    fields.track_ids = tracks.map((t) => t.id);
    fields.offset = index;
  }
  const p = store.player;
  const activeOnline = p?.active_device_id && store.devices.some((d) => d.device_id === p.active_device_id && d.online !== false);
  if (!activeOnline) fields.device_id = store.device.id;
  return cmd('play', fields);
}

export async function queueTracks(ids, next = false) {
  const r = await cmd('queue_add', { track_ids: ids, next });
  if (r) toast(next ? 'Playing next' : `Added to queue`, 'success', 1500);
}

// ---------- likes ----------

export async function loadLiked() {
  try {
    const res = await api.likedTracks(50, 0);
    const ids = itemsOf(res).map((x) => normTrack(x).id);
    store.set('liked', new Set(ids));
  } catch {
    /* library not available: hearts stay empty */
  }
}

export async function toggleLike(id) {
  const before = store.liked;
  const liked = before.has(id);
  const next = new Set(before);
  liked ? next.delete(id) : next.add(id);
  store.set('liked', next);
  try {
    liked ? await api.unlike([id]) : await api.like([id]);
    toast(liked ? 'Removed from Liked Songs' : 'Added to Liked Songs', 'success', 1500);
  } catch (err) {
    store.set('liked', before);
    toast(explain(err, 'Could not update Liked Songs'), 'error');
  }
}

// ---------- track list ----------

/**
 * A list of tracks. opts: {context, numbered, album (show album column), rows: per-row extras
 * [{item_id, added_by}], onRemove(i), onMove(i, toIndex), draggable}.
 */
export function trackList(tracks, opts = {}) {
  tracks = tracks.map(normTrack).filter(Boolean);
  const list = h('div.tracks', { role: 'list' });
  const showBy = !!opts.rows && opts.showBy;
  list.append(h('div.trow.head', h('span.num', '#'), h('span', 'Title'), h('span', showBy ? 'Added by' : opts.album === false ? '' : 'Album'), h('span'), h('span.dur', 'Time'), h('span')));
  const playingTrack = store.player?.item?.track_id;
  tracks.forEach((t, i) => {
    const extra = opts.rows?.[i] || {};
    const liked = store.liked.has(t.id);
    const row = h(`div.trow${t.id === playingTrack ? '.playing' : ''}`, {
      role: 'listitem',
      dataset: { trackId: t.id, itemId: extra.item_id ?? '', index: i },
      draggable: opts.draggable ? 'true' : null,
      on: {
        dblclick: () => playFrom(tracks, i, opts.context),
        click: (e) => {
          if (matchMedia('(max-width: 760px)').matches && !e.target.closest('button,a')) playFrom(tracks, i, opts.context);
        },
      },
    },
    h('span.num', h('span.n', opts.numbered === false ? '' : t.track_number && opts.trackNumbers ? t.track_number : i + 1),
      h('button.icon-btn.small', { 'aria-label': `Play ${t.title}`, on: { click: () => playFrom(tracks, i, opts.context) } }, icon('play'))),
    h('div.main-col',
      opts.covers === false ? null : cover(t.album_title || t.title, t.color),
      h('div.txt', h('div.ttl', t.explicit ? h('span.explicit', 'E') : null, t.title), h('div.art', artistLine(t)))),
    showBy
      ? h('span.by', extra.added_by ? store.nameSpan(extra.added_by) : '')
      : h('span.alb', opts.album === false ? '' : t.album_id ? h('a', { href: `#/album/${encodeURIComponent(t.album_id)}` }, t.album_title) : t.album_title),
    iconButton('heart', liked ? 'Remove from Liked Songs' : 'Save to Liked Songs', () => toggleLike(t.id), `like${liked ? '.liked' : ''}`),
    h('span.dur', fmtTime(t.duration_ms)),
    iconButton('more', `More options for ${t.title}`, (e) => popupMenu(e.currentTarget, trackMenu(t, { ...opts, index: i, extra, tracks })), 'more'));
    list.append(row);
  });
  if (!tracks.length) list.append(h('div.empty', opts.empty || 'No songs here yet.'));
  if (opts.draggable) enableDrag(list, opts.onDrop);
  return list;
}

export function trackMenu(t, opts = {}) {
  const items = [
    { label: 'Add to queue', run: () => queueTracks([t.id]) },
    { label: 'Play next', run: () => queueTracks([t.id], true) },
    { label: 'Add to playlist', sub: () => [
      { label: '+ New playlist', run: () => createPlaylist([t.id]) },
      ...store.playlists.filter((p) => p.id !== opts.playlistId).map((p) => ({ label: p.name || 'Untitled', run: () => addToPlaylist(p.id, [t.id], p.name) })),
    ] },
    { label: store.liked.has(t.id) ? 'Remove from Liked Songs' : 'Save to Liked Songs', run: () => toggleLike(t.id) },
  ];
  if (opts.onRemove) items.push({ label: 'Remove from this playlist', run: () => opts.onRemove(opts.index) });
  if (opts.onMove && opts.index > 0) items.push({ label: 'Move up', run: () => opts.onMove(opts.index, opts.index - 1) });
  if (opts.onMove && opts.index < (opts.tracks?.length ?? 0) - 1) items.push({ label: 'Move down', run: () => opts.onMove(opts.index, opts.index + 1) });
  if (t.album_id) items.push({ label: 'Go to album', run: () => (location.hash = `#/album/${encodeURIComponent(t.album_id)}`) });
  const a = t.artists.find((x) => x.id);
  if (a) items.push({ label: `Go to ${a.name}`, run: () => (location.hash = `#/artist/${encodeURIComponent(a.id)}`) });
  return items;
}

function enableDrag(list, onDrop) {
  let from = null;
  list.addEventListener('dragstart', (e) => {
    const row = e.target.closest('.trow');
    if (!row) return;
    from = Number(row.dataset.index);
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', row.dataset.itemId || String(from));
    row.classList.add('dragging');
  });
  list.addEventListener('dragend', () => {
    from = null;
    list.querySelectorAll('.dragging,.drop-above,.drop-below').forEach((x) => x.classList.remove('dragging', 'drop-above', 'drop-below'));
  });
  list.addEventListener('dragover', (e) => {
    const row = e.target.closest('.trow:not(.head)');
    if (from == null || !row) return;
    e.preventDefault();
    list.querySelectorAll('.drop-above,.drop-below').forEach((x) => x !== row && x.classList.remove('drop-above', 'drop-below'));
    const r = row.getBoundingClientRect();
    const above = e.clientY < r.top + r.height / 2;
    row.classList.toggle('drop-above', above);
    row.classList.toggle('drop-below', !above);
  });
  list.addEventListener('drop', (e) => {
    const row = e.target.closest('.trow:not(.head)');
    if (from == null || !row) return;
    e.preventDefault();
    const above = row.classList.contains('drop-above');
    const at = Number(row.dataset.index);
    let to = above ? at : at + 1;
    if (from < to) to -= 1;
    const f = from;
    from = null;
    if (to !== f) onDrop?.(f, to);
  });
}

// ---------- cards ----------

export function card({ title, sub, color, href, round = false, onPlay }) {
  const c = cover(title, color);
  if (round) c.classList.add('round');
  return h('a.card', { href },
    c,
    onPlay ? h('button.play-fab', { 'aria-label': `Play ${title}`, on: { click: (e) => { e.preventDefault(); e.stopPropagation(); onPlay(); } } }, icon('play')) : null,
    h('div.t', title),
    h('div.s', sub || ''));
}

function hero({ kind, title, sub, color, round }) {
  const c = cover(title, color);
  if (round) c.classList.add('round');
  return h('div.hero', { style: { '--hero': colorFor(title, color) } }, c,
    h('div.hero-text', h('div.kind', kind), h(`h1${String(title).length > 24 ? '.long' : ''}`, title), h('div.sub', sub)));
}

const loading = (view, what = 'Loading…') => clear(view, h('div.loading', what));

// ---------- views ----------

export async function home(view) {
  const hour = new Date().getHours();
  const greet = hour < 5 ? 'Good night' : hour < 12 ? 'Good morning' : hour < 18 ? 'Good afternoon' : 'Good evening';
  clear(view, h('h1', { style: { margin: '16px 0 8px', fontSize: '30px', letterSpacing: '-1px' } }, greet));
  const recentBox = h('div');
  const plBox = h('div');
  const genreBox = h('div');
  const tracksBox = h('div', h('div.loading', 'Loading the catalog…'));
  view.append(recentBox, plBox, genreBox, tracksBox);
  api.recentlyPlayed(12).then((res) => hydrate(itemsOf(res))).then((list) => {
    const seen = new Set();
    const albums = [];
    for (const t of list) {
      if (t.album_id && !seen.has(t.album_id)) {
        seen.add(t.album_id);
        albums.push(t);
      }
    }
    if (albums.length) {
      clear(recentBox, h('h2.section', 'Jump back in'), h('div.grid', albums.slice(0, 6).map((t) =>
        card({ title: t.album_title || t.title, sub: t.artists.map((a) => a.name).join(', '), color: t.color, href: `#/album/${encodeURIComponent(t.album_id)}`, onPlay: () => playFrom([t], 0, `segue:album:${t.album_id}`) }))));
    }
  }).catch(() => {});
  if (store.playlists.length) {
    clear(plBox, h('h2.section', 'Your playlists'), h('div.grid', store.playlists.slice(0, 12).map((p) =>
      card({ title: p.name || 'Untitled', sub: playlistSub(p), color: p.color, href: `#/playlist/${encodeURIComponent(p.id)}`, onPlay: () => cmd('play', { context_uri: `segue:playlist:${p.id}` }) }))));
  }
  api.genres().then((res) => {
    const g = itemsOf(res).map((x) => (typeof x === 'string' ? x : x.name)).filter(Boolean);
    if (g.length) clear(genreBox, h('h2.section', 'Browse by genre'), h('div.chips', g.slice(0, 24).map((name) => h('a.chip', { href: `#/search?q=${encodeURIComponent(name)}` }, name))));
  }).catch(() => {});
  try {
    const res = await api.tracks(30, 0);
    const tracks = itemsOf(res);
    clear(tracksBox, h('h2.section', 'From the catalog'), trackList(tracks));
  } catch (err) {
    clear(tracksBox, h('div.empty', explain(err, 'Could not load the catalog')));
  }
}

function playlistSub(p) {
  const n = p.item_count ?? p.total ?? p.tracks_total ?? p.track_count ?? p.items_total ?? p.tracks?.total;
  const owner = p.owner?.display_name ?? p.owner_name ?? (p.owner_id && store.nameOf(p.owner_id));
  return [owner ? `By ${owner}` : 'Playlist', n != null ? `${n} song${n === 1 ? '' : 's'}` : null].filter(Boolean).join(' · ');
}

export async function searchPage(view, q) {
  const input = document.getElementById('search-input');
  if (input && document.activeElement !== input) input.value = q;
  if (!q) {
    clear(view, h('h2.section', 'Browse all'));
    const box = h('div.grid');
    view.append(box);
    try {
      const g = itemsOf(await api.genres()).map((x) => (typeof x === 'string' ? x : x.name)).filter(Boolean);
      g.forEach((name) => box.append(h('a.card', { href: `#/search?q=${encodeURIComponent(name)}`, style: { background: colorFor(name), minHeight: '100px' } }, h('div.t', { style: { fontSize: '20px' } }, name))));
    } catch (err) {
      box.append(h('div.empty', explain(err)));
    }
    return;
  }
  loading(view, `Searching for “${q}”…`);
  const res = await api.search(q, 'track,artist,album,playlist', 10);
  const tracks = itemsOf(res, 'tracks');
  const artists = itemsOf(res, 'artists');
  const albums = itemsOf(res, 'albums');
  const playlists = itemsOf(res, 'playlists');
  clear(view);
  if (!tracks.length && !artists.length && !albums.length && !playlists.length) {
    view.append(h('div.empty', h('h2', `No results for “${q}”`), h('p', 'Check the spelling, or try fewer words.')));
    return;
  }
  if (artists.length) {
    view.append(h('h2.section', 'Artists'), h('div.grid', artists.slice(0, 6).map((a) =>
      card({ title: a.name, sub: 'Artist', href: `#/artist/${encodeURIComponent(a.id)}`, round: true, onPlay: () => cmd('play', { context_uri: `segue:artist:${a.id}` }) }))));
  }
  if (tracks.length) view.append(h('h2.section', 'Songs'), trackList(tracks));
  if (albums.length) {
    view.append(h('h2.section', 'Albums'), h('div.grid', albums.slice(0, 12).map((a) =>
      card({ title: a.title ?? a.name, sub: [a.year, artistLine(a).length ? normTrack(a).artists.map((x) => x.name).join(', ') : ''].filter(Boolean).join(' · '), color: a.color, href: `#/album/${encodeURIComponent(a.id)}`, onPlay: () => cmd('play', { context_uri: `segue:album:${a.id}` }) }))));
  }
  if (playlists.length) {
    view.append(h('h2.section', 'Playlists'), h('div.grid', playlists.slice(0, 12).map((p) =>
      card({ title: p.name, sub: playlistSub(p), color: p.color, href: `#/playlist/${encodeURIComponent(p.id)}` }))));
  }
}

export async function album(view, id) {
  loading(view);
  const a = await api.album(id);
  const tracks = itemsOf(a.tracks ?? a).map(normTrack);
  const artists = normTrack(a).artists;
  const total = tracks.reduce((s, t) => s + t.duration_ms, 0);
  const ctx = `segue:album:${a.id ?? id}`;
  const albumId = a.id ?? id;
  // Save / unsave the album in the library (PUT/DELETE /v1/me/albums).
  let saved = false;
  const saveBtn = h('button.btn.outline.small#album-save', { 'aria-pressed': 'false' }, 'Save to library');
  const setSaved = (v) => {
    saved = v;
    saveBtn.textContent = v ? 'Saved' : 'Save to library';
    saveBtn.setAttribute('aria-pressed', String(v));
    saveBtn.setAttribute('aria-label', v ? 'Remove album from library' : 'Save album to library');
  };
  setSaved(false);
  api.albumsSaved([albumId]).then((r) => setSaved(Array.isArray(r) && r[0] === true)).catch(() => {});
  saveBtn.addEventListener('click', async () => {
    saveBtn.disabled = true;
    try {
      saved ? await api.unsaveAlbums([albumId]) : await api.saveAlbums([albumId]);
      setSaved(!saved);
      toast(saved ? 'Saved to Your Library' : 'Removed from Your Library', 'success');
    } catch (err) {
      toast(explain(err, 'Could not update your library'), 'error');
    } finally {
      saveBtn.disabled = false;
    }
  });
  clear(view,
    hero({ kind: 'Album', title: a.title ?? a.name, color: a.color, sub: [artists.map((x, i) => [i ? ', ' : '', x.id ? h('a', { href: `#/artist/${encodeURIComponent(x.id)}` }, h('b', x.name)) : x.name]), a.year || (a.release_date || '').slice(0, 4), `${tracks.length} songs, ${Math.round(total / 60000)} min`].filter(Boolean).map((x, i) => [i ? ' · ' : '', x]) }),
    h('div.actions', h('button.btn.primary.round-play#album-play', { 'aria-label': 'Play album', on: { click: () => playFrom(tracks, 0, ctx) } }, icon('play')),
      saveBtn,
      h('button.btn.outline.small', { on: { click: () => queueTracks(tracks.map((t) => t.id)) } }, 'Add all to queue')),
    trackList(tracks.map((t) => ({ ...t, color: t.color ?? a.color, album_title: t.album_title || a.title })), { context: ctx, album: false, covers: false }));
}

export async function artist(view, id) {
  loading(view);
  const a = await api.artist(id);
  const top = itemsOf(a.top_tracks ?? a.tracks ?? []).map(normTrack);
  const albums = itemsOf(a.albums ?? []);
  let following = false;
  const followBtn = h('button.btn.outline.small#follow-btn', 'Follow');
  const setF = (f) => {
    following = f;
    followBtn.textContent = f ? 'Following' : 'Follow';
  };
  api.following('artist').then((res) => setF([...itemsOf(res, 'artists'), ...itemsOf(res)].some((x) => String(x.artist?.id ?? x.id ?? x.artist_id) === String(id)))).catch(() => {});
  followBtn.addEventListener('click', async () => {
    try {
      following ? await api.unfollow('artist', id) : await api.follow('artist', id);
      setF(!following);
    } catch (err) {
      toast(explain(err, 'Could not update follows'), 'error');
    }
  });
  const ctx = `segue:artist:${a.id ?? id}`;
  clear(view,
    hero({ kind: 'Artist', title: a.name, round: true, sub: (a.genres || []).join(' · ') }),
    h('div.actions', h('button.btn.primary.round-play', { 'aria-label': 'Play artist', on: { click: () => playFrom(top, 0, ctx) } }, icon('play')), followBtn),
    h('h2.section', 'Popular'),
    trackList(top, { context: ctx }),
    albums.length ? h('h2.section', 'Discography') : null,
    albums.length ? h('div.grid', albums.map((al) => card({ title: al.title ?? al.name, sub: String(al.year || (al.release_date || '').slice(0, 4) || 'Album'), color: al.color, href: `#/album/${encodeURIComponent(al.id)}`, onPlay: () => cmd('play', { context_uri: `segue:album:${al.id}` }) }))) : null);
}

export async function liked(view) {
  loading(view);
  const res = await api.likedTracks(50, 0);
  const tracks = await hydrate(itemsOf(res));
  store.set('liked', new Set([...store.liked, ...tracks.map((t) => t.id)]));
  clear(view,
    h('div.hero', { style: { '--hero': '#5038a0' } }, h('div.cover', { style: { background: 'linear-gradient(135deg,#450af5,#c4efd9)' } }, icon('heart')),
      h('div.hero-text', h('div.kind', 'Playlist'), h('h1', 'Liked Songs'), h('div.sub', `${store.me?.display_name || ''} · ${res?.total ?? tracks.length} songs`))),
    h('div.actions', h('button.btn.primary.round-play', { 'aria-label': 'Play liked songs', on: { click: () => tracks.length && playFrom(tracks, 0) } }, icon('play'))),
    trackList(tracks, { empty: 'Songs you like appear here. Tap the heart on any song.' }));
}

export async function recent(view) {
  loading(view);
  const res = await api.recentlyPlayed(50);
  const items = itemsOf(res);
  const tracks = await hydrate(items);
  clear(view,
    h('div.hero', { style: { '--hero': '#0d72ea' } }, h('div.cover', { style: { background: 'linear-gradient(135deg,#0d72ea,#1ed760)' } }, h('span', '⟲')),
      h('div.hero-text', h('div.kind', 'History'), h('h1', 'Recently played'), h('div.sub', 'What you listened to, newest first'))),
    trackList(tracks, { empty: 'Nothing yet. Play something!' }),
    items.length ? h('p.small-text', `Last played ${ago(items[0].played_at_ms ?? items[0].played_at ?? Date.now())}`) : null);
}

export async function library(view) {
  clear(view, h('h1', { style: { margin: '16px 0', fontSize: '30px' } }, 'Your Library'));
  const pl = h('div');
  const art = h('div', h('div.loading', 'Loading artists…'));
  const albums = h('div#library-albums', h('div.loading', 'Loading albums…'));
  view.append(
    h('div.grid',
      card({ title: 'Liked Songs', sub: `${store.liked.size} songs`, color: '#5038a0', href: '#/liked' }),
      card({ title: 'Recently played', sub: 'History', color: '#0d72ea', href: '#/recent' })),
    h('div.panel-head', h('h2.section', 'Playlists'), h('button.btn.small', { on: { click: () => createPlaylist() } }, '+ New playlist')), pl,
    h('h2.section', 'Albums'), albums,
    h('h2.section', 'Artists you follow'), art);
  api.savedAlbums(50).then((res) => {
    const list = itemsOf(res).map((x) => x.album ?? x).filter((al) => al && al.id);
    clear(albums, list.length
      ? h('div.grid', list.map((al) => card({ title: al.title ?? al.name ?? al.id, sub: String(al.year || 'Album'), color: al.color, href: `#/album/${encodeURIComponent(al.id)}` })))
      : h('p.muted', 'Save albums from their page.'));
  }).catch((err) => clear(albums, h('p.muted', explain(err))));
  clear(pl, store.playlists.length
    ? h('div.grid', store.playlists.map((p) => card({ title: p.name || 'Untitled', sub: playlistSub(p), color: p.color, href: `#/playlist/${encodeURIComponent(p.id)}` })))
    : h('p.muted', 'Create a playlist, or accept an invite to someone else’s.'));
  try {
    const [res, resUsers] = await Promise.all([api.following('artist'), api.following('user').catch(() => null)]);
    let artists = itemsOf(res, 'artists');
    if (!artists.length) artists = itemsOf(res).filter((x) => (x.type ?? x.kind ?? 'artist') === 'artist').map((x) => x.artist ?? x);
    const users = [...itemsOf(res, 'users'), ...itemsOf(resUsers).map((x) => x.user ?? x)].filter((u) => u && (u.display_name || u.username));
    clear(art,
      artists.length ? h('div.grid', artists.map((a) => card({ title: a.name ?? a.id, sub: 'Artist', round: true, href: `#/artist/${encodeURIComponent(a.id ?? a.artist_id)}` }))) : h('p.muted', 'Follow artists from their page.'),
      users.length ? [h('h2.section', 'People you follow'), h('div.grid', users.map((u) => card({ title: u.display_name ?? u.username ?? u.id, sub: 'Profile', round: true, href: '#/library' })))] : null);
  } catch (err) {
    clear(art, h('p.muted', explain(err)));
  }
}
