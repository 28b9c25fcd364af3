// Playlists: my playlists, create, the live playlist page (subscribe over the socket, apply
// `playlist_ops` from everyone and say who made them), rename, add from anywhere, remove, drag to
// reorder, collaborators and invite links.

import { api, explain } from './api.js';
import { store } from './store.js';
import { h, clear, cover, colorFor, toast, icon, itemsOf, modal, popupMenu, iconButton, ago } from './util.js';
import { trackList, playFrom, queueTracks } from './views.js';
import { sock } from './app.js';
import { cachedTrack, fetchTracks, remember } from './tracks.js';

const newOpId = () => 'op-' + crypto.getRandomValues(new Uint32Array(3)).join('-');

export async function refreshMyPlaylists() {
  try {
    // The server pages this list (50 fits every configured page size): follow the pages to
    // `total`, bounded so that a list changing underneath cannot keep us looping.
    const all = [];
    for (let page = 0; page < 200; page++) {
      const res = await api.myPlaylists(50, all.length);
      const items = itemsOf(res);
      all.push(...items);
      if (!items.length || !(all.length < (res?.total ?? 0))) break;
    }
    store.set('playlists', all.map((p) => ({ ...p, id: p.id ?? p.playlist_id })));
  } catch {
    /* keep what we had */
  }
}

export async function createPlaylist(trackIds = []) {
  const name = await modal('Create playlist', (close) => {
    const input = h('input.field#new-playlist-name', { placeholder: 'My playlist', maxLength: 100, value: `My Playlist #${store.playlists.length + 1}` });
    input.addEventListener('keydown', (e) => e.key === 'Enter' && close(input.value.trim()));
    return [input, h('div.row', h('button.btn.link', { on: { click: () => close(null) } }, 'Cancel'), h('button.btn.primary#create-confirm', { on: { click: () => close(input.value.trim()) } }, 'Create'))];
  });
  if (!name) return null;
  try {
    const p = await api.createPlaylist(name);
    const id = p.id ?? p.playlist_id;
    await refreshMyPlaylists();
    if (trackIds.length) await addToPlaylist(id, trackIds, name);
    location.hash = `#/playlist/${encodeURIComponent(id)}`;
    return id;
  } catch (err) {
    toast(explain(err, 'Could not create the playlist'), 'error');
    return null;
  }
}

/** Appends tracks to a playlist: over the socket when live (others see it at once), else REST. */
export async function addToPlaylist(id, trackIds, name = 'playlist') {
  try {
    if (live && live.id === id) {
      await live.edit([{ op: 'insert', after_item_id: live.items.at(-1)?.item_id ?? null, track_ids: trackIds }]);
    } else if (sock.isOpen) {
      const snap = await sock.request('playlist_subscribe', { playlist_id: id });
      const items = snap.items || [];
      try {
        await sock.request('playlist_edit', { playlist_id: id, base_version: snap.version ?? 0, op_id: newOpId(), ops: [{ op: 'insert', after_item_id: items.at(-1)?.item_id ?? null, track_ids: trackIds }] });
      } finally {
        sock.send('playlist_unsubscribe', { playlist_id: id });
      }
    } else {
      await api.post(`/v1/playlists/${encodeURIComponent(id)}/tracks`, { track_ids: trackIds });
    }
    toast(`Added to ${name}`, 'success', 1500);
    refreshMyPlaylists();
  } catch (err) {
    toast(explain(err, `Could not add to ${name}`), 'error');
  }
}

export async function acceptInvite(token) {
  try {
    const res = await api.acceptInvite(token);
    await refreshMyPlaylists();
    const id = res?.playlist_id ?? res?.id ?? res?.playlist?.id;
    toast('You are now a collaborator on this playlist', 'success');
    if (id) location.hash = `#/playlist/${encodeURIComponent(id)}`;
  } catch (err) {
    const expired = /expire|not found|invalid|revoked|used/i.test(err.message) || err.code === 'not_found' || err.code === 'forbidden' || err.code === 'invite_expired';
    toast(expired ? 'This invite link has expired or is no longer valid. Ask for a new one.' : explain(err, 'Could not accept the invite'), 'error', 7000);
  }
}

// ---------- the live playlist page ----------

let live = null;

export function leavePlaylistView() {
  live?.close();
  live = null;
}

class LivePlaylist {
  constructor(id, view) {
    this.id = id;
    this.view = view;
    this.meta = {};
    this.name = '';
    this.description = '';
    this.items = [];
    this.version = 0;
    this.activity = [];
    this.shown = 200;
    this.flash = new Set();
    this.closed = false;
    this.offEvents = sock.on('playlist_ops', (m) => this.onOps(m));
    this.offWelcome = sock.on('welcome', () => this.subscribe(true));
  }

  close() {
    this.closed = true;
    this.offEvents();
    this.offWelcome();
    sock.send('playlist_unsubscribe', { playlist_id: this.id });
  }

  async load() {
    const meta = await api.playlist(this.id);
    this.meta = meta || {};
    this.name = meta.name ?? '';
    this.description = meta.description ?? '';
    for (const c of [meta.owner, ...(meta.collaborators || [])]) if (c && typeof c === 'object') store.learnName(c.user_id ?? c.id, c.display_name ?? c.name);
    // REST items (with track objects) seed the cache and the list if the socket is down.
    const restItems = itemsOf(meta.items ?? meta.tracks ?? []);
    for (const it of restItems) if (it.track) remember(it.track);
    this.refreshMeta(true);
    this.items = restItems.map((it) => ({ item_id: it.item_id, track_id: it.track_id ?? it.track?.id, added_by: it.added_by, added_at_ms: it.added_at_ms }));
    await this.subscribe(false);
    this.render();
  }

  async subscribe(rerender) {
    if (this.closed || !sock.isOpen) return;
    try {
      const res = await sock.request('playlist_subscribe', { playlist_id: this.id, ...(this.version && rerender ? { since_version: this.version } : {}) });
      if (Array.isArray(res.items)) {
        this.takeSnapshot(res);
      } else if (Array.isArray(res.ops)) {
        for (const e of res.ops) this.applyEntry(e, false);
      }
      if (rerender) this.render();
    } catch (err) {
      if (err.code === 'forbidden' || err.code === 'not_found') toast(explain(err, 'Live updates unavailable'), 'error');
    }
  }

  /** Metadata and collaborators (their names label who added and changed what). */
  async refreshMeta(onlyCollaborators = false) {
    try {
      const [meta, collab] = await Promise.all([
        onlyCollaborators ? null : api.playlist(this.id),
        api.get(`/v1/playlists/${encodeURIComponent(this.id)}/collaborators`).catch(() => null),
      ]);
      if (meta) this.meta = { ...this.meta, ...meta };
      if (collab) this.meta = { ...this.meta, collaborators: itemsOf(collab) };
      for (const c of [this.meta.owner, ...(this.meta.collaborators || [])]) if (c && typeof c === 'object') store.learnName(c.user_id ?? c.id, c.display_name ?? c.name);
      if (onlyCollaborators && collab) this.render();
    } catch {
      /* names stay short ids */
    }
  }

  takeSnapshot(s) {
    this.version = s.version ?? 0;
    if (s.name != null) this.name = s.name;
    if (s.description != null) this.description = s.description;
    this.items = s.items.map((x) => ({ ...x }));
  }

  /** Events are handled one after another (a handler may wait for a name). */
  onOps(m) {
    if (String(m.playlist_id) !== String(this.id)) return;
    this.chain = (this.chain || Promise.resolve()).then(() => this.handleOps(m)).catch((e) => console.error(e));
  }

  async handleOps(m) {
    if (this.closed) return;
    // A new collaborator's name: fetch it once before saying what they did.
    const author = m.author ?? m.author_id ?? m.user_id;
    if (author != null && !m.author_name && !store.names.has(String(author)) && String(author) !== String(store.me?.id)) {
      await Promise.race([this.refreshMeta(), new Promise((r) => setTimeout(r, 400))]);
    }
    if (m.version != null && m.version <= this.version) return; // already have it
    const entries = Array.isArray(m.entries) ? m.entries : [m];
    const first = entries[0];
    if (first?.version != null && this.version && first.version !== this.version + 1) {
      this.subscribe(true); // a gap: catch up from the server
      return;
    }
    for (const e of entries) this.applyEntry(e, true);
    this.render();
  }

  /** Applies one committed edit exactly as the server did; on any surprise, resync. */
  applyEntry(e, announce) {
    const author = e.author ?? e.author_id ?? e.user_id;
    const mine = author != null && String(author) === String(store.me?.id);
    if (e.author_name || e.author_display_name) store.learnName(author, e.author_name ?? e.author_display_name);
    const list = this.items;
    const idx = (id) => list.findIndex((x) => String(x.item_id) === String(id));
    const insertAfter = (after, newItems) => {
      const at = after == null ? 0 : idx(after) + 1;
      if (after != null && at === 0) throw new Error('unknown anchor');
      list.splice(at, 0, ...newItems);
    };
    const said = [];
    try {
      for (const op of e.ops || []) {
        const kind = op.op ?? op.type ?? op.kind;
        if (kind === 'insert') {
          const ids = op.item_ids || [];
          const items = op.track_ids.map((tid, i) => ({ item_id: ids[i] ?? `${e.version}-${i}`, track_id: tid, added_by: author, added_at_ms: e.at_ms ?? Date.now() }));
          insertAfter(op.after_item_id ?? null, items);
          items.forEach((x) => this.flash.add(String(x.item_id)));
          said.push(`added ${op.track_ids.length === 1 ? songName(op.track_ids[0]) : `${op.track_ids.length} songs`}`);
        } else if (kind === 'remove') {
          const i = idx(op.item_id);
          const tid = i >= 0 ? list[i].track_id : null;
          if (i >= 0) list.splice(i, 1);
          said.push(`removed ${tid ? songName(tid) : 'a song'}`);
        } else if (kind === 'move') {
          const i = idx(op.item_id);
          if (i < 0) throw new Error('unknown item');
          const [it] = list.splice(i, 1);
          insertAfter(op.after_item_id ?? null, [it]);
          this.flash.add(String(it.item_id));
          said.push(`moved ${songName(it.track_id)}`);
        } else if (kind === 'reorder') {
          const by = new Map(list.map((x) => [String(x.item_id), x]));
          this.items = op.item_ids.map((id) => by.get(String(id))).filter(Boolean);
          said.push('reordered the playlist');
        } else if (kind === 'rename') {
          this.name = op.name;
          said.push(`renamed it to “${op.name}”`);
        } else if (kind === 'describe') {
          this.description = op.description;
          said.push('changed the description');
        }
      }
      if (e.version != null) this.version = e.version;
    } catch {
      this.subscribe(true);
      return;
    }
    if (said.length && announce) {
      const who = mine ? 'You' : store.nameOf(author);
      this.activity.unshift({ who, what: said.join(', '), at: Date.now() });
      this.activity = this.activity.slice(0, 5);
      if (!mine) toast(`${who} ${said.join(', ')}`, 'live', 3500);
      if (e.ops?.some((o) => (o.op ?? o.type) === 'rename')) refreshMyPlaylists();
    }
  }

  async edit(ops) {
    const res = await sock.request('playlist_edit', { playlist_id: this.id, base_version: this.version, op_id: newOpId(), ops });
    if (res?.skipped?.length) toast('Some changes no longer applied (someone else changed those songs).', 'info');
    // Our own ops come back as playlist_ops; if they have not, catch up.
    if (res?.version > this.version) setTimeout(() => res.version > this.version && this.subscribe(true), 400);
    return res;
  }

  async tryEdit(ops, what) {
    try {
      await this.edit(ops);
    } catch (err) {
      toast(explain(err, what), 'error');
    }
  }

  canEdit() {
    const me = String(store.me?.id);
    const m = this.meta;
    if (m.you && (m.you.owner || m.you.collaborator)) return true;
    if (m.you) return false;
    const owner = String(m.owner?.id ?? m.owner?.user_id ?? m.owner_id ?? m.owner ?? '');
    if (owner === me) return true;
    if (m.collaborative && (m.collaborators || []).some((c) => String(c.user_id ?? c.id ?? c) === me)) return true;
    return m.can_edit ?? m.editable ?? owner === '';
  }

  async render() {
    if (this.closed) return;
    const my = (this.renderSeq = (this.renderSeq || 0) + 1);
    const shownItems = this.items.slice(0, this.shown);
    await fetchTracks(shownItems.map((x) => x.track_id));
    if (this.closed || my !== this.renderSeq) return; // a newer render is under way
    const tracks = shownItems.map((x) => cachedTrack(x.track_id) || { id: x.track_id, title: '…', artists: [], duration_ms: 0 });
    const m = this.meta;
    const editable = this.canEdit();
    const owner = m.owner?.display_name ?? m.owner_name ?? (m.owner_id || m.owner ? store.nameOf(m.owner?.id ?? m.owner_id ?? m.owner) : null);
    const collaborators = (m.collaborators || []).map((c) => (typeof c === 'object' ? c : { user_id: c }));
    // The length only when every song is known (long lists load 200 at a time).
    const total = this.items.length <= this.shown ? this.items.reduce((s, x) => s + (cachedTrack(x.track_id)?.duration_ms || 0), 0) : 0;
    const ctx = `segue:playlist:${this.id}`;
    const title = h('h1#playlist-title', { title: editable ? 'Click to rename' : '', style: editable ? { cursor: 'pointer' } : null, on: { click: () => editable && this.rename() } }, this.name || 'Untitled');
    const tint = colorFor(this.id, m.color);
    const heroEl = h('div.hero', { style: { '--hero': tint } }, cover(this.name, tint),
      h('div.hero-text', h('div.kind', m.collaborative ? 'Collaborative playlist' : m.public === false ? 'Private playlist' : 'Playlist'), title,
        this.description ? h('div.sub.muted', this.description) : null,
        h('div.sub', owner ? h('b', owner) : null, ` · ${this.items.length} song${this.items.length === 1 ? '' : 's'}`, total ? `, ${Math.round(total / 60000)} min` : '')));
    const collab = h('div.collab', collaborators.slice(0, 6).map((c) => h('span.avatar', { title: c.display_name ?? store.nameOf(c.user_id ?? c.id), style: { background: colorFor(c.user_id ?? c.id) } }, (c.display_name ?? store.nameOf(c.user_id ?? c.id))[0].toUpperCase())));
    const actions = h('div.actions',
      h('button.btn.primary.round-play#playlist-play', { 'aria-label': 'Play playlist', on: { click: () => tracks.length && playFrom(tracks, 0, ctx) } }, icon('play')),
      editable ? h('button.btn.outline.small#invite-btn', { on: { click: () => this.inviteDialog() } }, '+ Invite collaborators') : null,
      collaborators.length ? collab : null,
      iconButton('more', 'Playlist options', (e) => popupMenu(e.currentTarget, [
        editable ? { label: 'Rename', run: () => this.rename() } : null,
        editable ? { label: 'Edit description', run: () => this.describe() } : null,
        { label: 'Add all to queue', run: () => queueTracks(tracks.map((t) => t.id)) },
        editable ? { label: m.collaborative ? 'Make it not collaborative' : 'Make it collaborative', run: () => this.setCollaborative(!m.collaborative) } : null,
      ])));
    const activity = this.activity.length
      ? h('div.activity#activity', this.activity.map((a) => h('div.a', h('b', a.who), ` ${a.what} · ${ago(a.at)}`)))
      : null;
    const rows = shownItems.map((x) => ({ item_id: x.item_id, added_by: x.added_by }));
    const list = trackList(tracks, {
      context: ctx,
      rows,
      showBy: collaborators.length > 0 || m.collaborative || shownItems.some((x) => x.added_by && String(x.added_by) !== String(shownItems[0]?.added_by)),
      playlistId: this.id,
      draggable: editable,
      onRemove: editable ? (i) => this.tryEdit([{ op: 'remove', item_id: shownItems[i].item_id }], 'Could not remove') : null,
      onMove: editable ? (from, to) => this.move(from, to) : null,
      onDrop: (from, to) => this.move(from, to),
      empty: editable ? 'Add songs from search, albums or artists with “Add to playlist”.' : 'This playlist is empty.',
    });
    for (const row of list.querySelectorAll('.trow[data-item-id]')) {
      if (this.flash.has(row.dataset.itemId)) row.classList.add('flash');
    }
    this.flash.clear();
    const more = this.items.length > this.shown
      ? h('button.btn.outline.small', { style: { margin: '16px auto', display: 'flex' }, on: { click: () => { this.shown += 200; this.render(); } } }, `Show more (${this.items.length - this.shown} left)`)
      : null;
    const scroll = this.view.scrollTop;
    clear(this.view, heroEl, actions, activity, list, more);
    this.view.scrollTop = scroll;
  }

  move(from, to) {
    const ids = this.items.map((x) => x.item_id);
    const id = ids[from];
    const rest = ids.filter((x) => x !== id);
    const after = to === 0 ? null : rest[to - 1];
    this.tryEdit([{ op: 'move', item_id: id, after_item_id: after }], 'Could not move');
  }

  async rename() {
    const name = await modal('Rename playlist', (close) => {
      const input = h('input.field#rename-input', { value: this.name, maxLength: 100 });
      input.addEventListener('keydown', (e) => e.key === 'Enter' && close(input.value.trim()));
      return [input, h('div.row', h('button.btn.link', { on: { click: () => close(null) } }, 'Cancel'), h('button.btn.primary#rename-confirm', { on: { click: () => close(input.value.trim()) } }, 'Save'))];
    });
    if (name && name !== this.name) await this.tryEdit([{ op: 'rename', name }], 'Could not rename');
  }

  async describe() {
    const d = await modal('Description', (close) => {
      const input = h('input.field', { value: this.description, maxLength: 300 });
      return [input, h('div.row', h('button.btn.link', { on: { click: () => close(null) } }, 'Cancel'), h('button.btn.primary', { on: { click: () => close(input.value) } }, 'Save'))];
    });
    if (d != null && d !== this.description) await this.tryEdit([{ op: 'describe', description: d }], 'Could not save');
  }

  async setCollaborative(on) {
    try {
      this.meta = { ...this.meta, ...(await api.updatePlaylist(this.id, { collaborative: on })) , collaborative: on };
      this.render();
    } catch (err) {
      toast(explain(err, 'Could not change the playlist'), 'error');
    }
  }

  async inviteDialog() {
    let res;
    try {
      if (!this.meta.collaborative) await this.setCollaborative(true);
      res = await api.invite(this.id);
    } catch (err) {
      return toast(explain(err, 'Could not create an invite'), 'error');
    }
    const token = res.token ?? res.invite_token;
    const link = token ? `${location.origin}/invite/${encodeURIComponent(token)}` : res.url;
    await modal('Invite collaborators', (close) => {
      const input = h('input.field#invite-link', { value: link, readOnly: true });
      return [
        h('p.muted', 'The person who opens this link can add, remove and reorder songs. Each link lets one person in and expires; make one per person.'),
        input,
        h('div.row', h('button.btn.link', { on: { click: () => close() } }, 'Done'), h('button.btn.primary', { on: { click: async () => {
          try {
            await navigator.clipboard.writeText(link);
            toast('Invite link copied', 'success', 1500);
          } catch {
            input.select();
          }
        } } }, 'Copy link')),
      ];
    });
  }
}

function songName(trackId) {
  const t = cachedTrack(trackId);
  return t && t.title !== '…' ? `“${t.title}”` : 'a song';
}

export async function playlistView(view, id) {
  leavePlaylistView();
  clear(view, h('div.loading', 'Loading playlist…'));
  const p = new LivePlaylist(id, view);
  live = p;
  await p.load();
}

/** For tests and debugging: the live list as the page holds it. */
export const livePlaylist = () => live;
