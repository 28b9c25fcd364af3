// The side panel: the queue (drag to reorder, remove, play next), the device picker (online
// state, transfer at the live position) and "Listen together" (start, code and link, join,
// members with host badge, shared queue with who added what, leave/end).

import { store } from './store.js';
import { explain } from './api.js';
import { h, $, clear, cover, toast, icon, iconButton, artistLine, normTrack, colorFor, popupMenu } from './util.js';
import { cmd } from './nowbar.js';
import { trackCover } from './tracks.js';

let sock, engine;
let current = null; // 'queue' | 'devices' | 'session' | null

export function initPanels(s, e) {
  sock = s;
  engine = e;
  for (const k of ['player', 'devices', 'session', 'conn']) store.on(k, render);
}

export function openPanel(which) {
  current = which;
  render();
}

export function togglePanel(which) {
  current = current === which ? null : which;
  render();
}

function render() {
  const panel = $('#panel');
  if (!current) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  panel.dataset.panel = current;
  const title = { queue: 'Queue', devices: 'Connect to a device', session: 'Listen together' }[current];
  const body = { queue: queuePanel, devices: devicesPanel, session: sessionPanel }[current]();
  clear(panel, h('div.panel-head', h('h2', title), iconButton('close', 'Close', () => togglePanel(current))), body);
}

// ---------- queue ----------

function itemRow(it, { current: isCurrent = false, draggable = false, index = 0 } = {}) {
  const t = normTrack(it);
  const byName = it.added_by_name || it.added_by_display_name;
  const by = byName ? h('span', byName) : it.added_by ? store.nameSpan(it.added_by) : null;
  const row = h(`div.qitem${isCurrent ? '.current' : ''}`, { dataset: { itemId: it.item_id ?? '' }, draggable: draggable ? 'true' : null },
    draggable ? h('span.drag', { title: 'Drag to reorder' }, icon('drag')) : h('span'),
    trackCover(t),
    h('div', { style: { minWidth: 0 } },
      h('div.t', t.title),
      h('div.s', artistLine(t), by && store.session ? [' · ', h('span.by', 'added by ', by)] : null)),
    isCurrent ? (store.player?.playing ? h('span.eq', h('i'), h('i'), h('i')) : h('span')) :
      h('div.acts',
        iconButton('more', 'More', (e) => popupMenu(e.currentTarget, [
          { label: 'Play next', run: () => cmd('queue_move', { item_id: it.item_id, after_item_id: null }) },
          index > 0 ? { label: 'Move up', run: () => moveQueue(it.item_id, index - 1) } : null,
          { label: 'Move down', run: () => moveQueue(it.item_id, index + 1) },
          { label: 'Remove from queue', run: () => cmd('queue_remove', { item_id: it.item_id }) },
          t.album_id ? { label: 'Go to album', run: () => (location.hash = `#/album/${encodeURIComponent(t.album_id)}`) } : null,
        ])),
        iconButton('close', 'Remove from queue', () => cmd('queue_remove', { item_id: it.item_id }))));
  if (draggable) attachDrag(row);
  return row;
}

/** Moves a queue item to index `to` of the queue as it is now. */
function moveQueue(itemId, to) {
  const q = (store.player?.queue || []).filter((x) => x.item_id !== itemId);
  to = Math.max(0, Math.min(q.length, to));
  cmd('queue_move', { item_id: itemId, after_item_id: to === 0 ? null : q[to - 1].item_id });
}

let dragId = null;
function attachDrag(row) {
  row.addEventListener('dragstart', (e) => {
    dragId = row.dataset.itemId;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', dragId);
    row.classList.add('dragging');
  });
  row.addEventListener('dragend', () => {
    row.classList.remove('dragging');
    document.querySelectorAll('.drop-above,.drop-below').forEach((x) => x.classList.remove('drop-above', 'drop-below'));
  });
  row.addEventListener('dragover', (e) => {
    if (!dragId) return;
    e.preventDefault();
    const r = row.getBoundingClientRect();
    const above = e.clientY < r.top + r.height / 2;
    row.classList.toggle('drop-above', above);
    row.classList.toggle('drop-below', !above);
  });
  row.addEventListener('dragleave', () => row.classList.remove('drop-above', 'drop-below'));
  row.addEventListener('drop', (e) => {
    e.preventDefault();
    const above = row.classList.contains('drop-above');
    row.classList.remove('drop-above', 'drop-below');
    const target = row.dataset.itemId;
    const id = dragId;
    dragId = null;
    if (!id || id === target) return;
    const q = (store.player?.queue || []).map((x) => x.item_id).filter((x) => x !== id);
    const i = q.indexOf(target);
    const after = above ? (i > 0 ? q[i - 1] : null) : target;
    cmd('queue_move', { item_id: id, after_item_id: after });
  });
}

function queuePanel() {
  const p = store.player;
  const q = p?.queue || [];
  const box = h('div');
  if (p?.item) box.append(h('h3', 'Now playing'), itemRow(p.item, { current: true }));
  box.append(h('div.panel-head', h('h3', store.session ? 'Shared queue' : 'Next in queue'),
    q.length ? h('button.btn.link.small', { on: { click: () => cmd('queue_clear') } }, 'Clear queue') : null));
  if (!q.length) box.append(h('p.muted.small-text', 'Your queue is empty. Use “Add to queue” on any song.'));
  q.forEach((it, i) => box.append(itemRow(it, { draggable: true, index: i })));
  if (p?.context?.uri) {
    box.append(h('p.small-text', `Then continuing from ${contextLabel(p.context)}`));
  }
  return box;
}

function contextLabel(ctx) {
  const [, kind] = String(ctx.uri || '').split(':');
  return ctx.name || ctx.title || { album: 'the album', playlist: 'the playlist', artist: 'the artist' }[kind] || 'the current list';
}

// ---------- devices ----------

const kindIcon = (k) => icon({ tablet: 'phone', phone: 'phone', speaker: 'speaker', tv: 'tv', car: 'car', computer: 'computer', web: 'web' }[k] || 'computer', 'dev-icon');

/** Offline devices unseen for longer than this are not listed (closed tabs, old browsers). */
export const HIDE_OFFLINE_AFTER_MS = 24 * 3600 * 1000;

/** Devices worth listing: online ones, the active one, and offline ones seen recently. */
export function listedDevices(devices = store.devices, now = sock.serverNow()) {
  return devices.filter((d) => d.online !== false || d.active || d.device_id === store.device.id
    || !(Number(d.last_seen_ms) > 0) || now - Number(d.last_seen_ms) <= HIDE_OFFLINE_AFTER_MS);
}

function devicesPanel() {
  const p = store.player;
  const list = listedDevices().sort((a, b) => (b.online === true) - (a.online === true) || String(a.name).localeCompare(b.name));
  const box = h('div');
  if (store.conn !== 'open') box.append(h('p.muted.small-text', 'Reconnecting… the list updates when Segue is back.'));
  const activeId = p?.active_device_id;
  for (const d of list) {
    const isActive = d.device_id === activeId || d.active;
    const isMe = d.device_id === store.device.id;
    box.append(h(`button.device${isActive ? '.active' : ''}${!p?.playing ? '.paused' : ''}`, {
      dataset: { deviceId: d.device_id },
      disabled: d.online === false && !isMe ? true : null,
      style: d.online === false ? { opacity: 0.5 } : null,
      on: { click: () => transferTo(d) },
    },
    kindIcon(d.kind),
    h('div', { style: { minWidth: 0, flex: 1 } },
      h('div.dname', d.name || d.device_id, isMe ? h('span.small-text', '  (this tab)') : null),
      h('div.dsub', h(`span.dot${d.online !== false ? '.on' : ''}`), d.online !== false ? 'Online' : 'Offline',
        isActive ? [' · ', p?.playing ? 'Playing' : 'Selected'] : null)),
    isActive && p?.playing ? h('span.eq', h('i'), h('i'), h('i')) : null));
  }
  if (!list.some((d) => d.device_id === store.device.id)) {
    box.append(h('button.device', { on: { click: () => transferTo({ device_id: store.device.id, online: true }) } },
      kindIcon('web'), h('div', h('div.dname', store.device.name, h('span.small-text', '  (this tab)')))));
  }
  box.append(h('p.small-text', { style: { marginTop: '16px' } }, 'Open Segue on another device or tab with the same account to see it here. Playback moves at the exact second it is at.'));
  return box;
}

async function transferTo(d) {
  const p = store.player;
  if (d.device_id === p?.active_device_id && (d.device_id !== store.device.id || engine.isActive())) return;
  const res = await cmd('transfer', { device_id: d.device_id, play: p?.item ? !!p.playing || !p.active_device_id : undefined });
  if (res) toast(`Playing on ${d.device_id === store.device.id ? 'this tab' : d.name}`, 'success', 2000);
}

// ---------- listen together ----------

export async function joinSession(code) {
  code = String(code || '').trim();
  if (!code) return;
  try {
    const res = await sock.request('session_join', { join_code: code });
    if (res?.join_code) store.sessionCode = res.join_code;
    else store.sessionCode = code.toUpperCase();
    toast('You joined the listening session', 'success');
    openPanel('session');
  } catch (err) {
    const msg = err.code === 'not_found' ? 'That code does not match a session. The link may have expired.' : explain(err, 'Could not join');
    toast(msg, 'error', 6000);
    openPanel('session');
  }
}

function sessionPanel() {
  const s = store.session;
  const box = h('div', { style: { display: 'flex', flexDirection: 'column', gap: '12px' } });
  if (!s) {
    const premium = String(store.me?.tier).toLowerCase() === 'premium';
    const start = h('button.btn.primary#session-start', { on: { click: async () => {
      start.disabled = true;
      try {
        const res = await sock.request('session_create', { name: `${store.me?.display_name || 'My'}'s session` });
        store.sessionCode = res.join_code;
        // session_state follows; until then show what the ack gave.
        if (!store.session) store.set('session', { session_id: res.session_id, join_code: res.join_code, host_user_id: store.me?.id, members: [{ user_id: store.me?.id, display_name: store.me?.display_name, role: 'host' }] });
      } catch (err) {
        toast(explain(err, 'Could not start a session'), 'error', 6000);
      } finally {
        start.disabled = false;
      }
    } } }, icon('group'), 'Start a session');
    const input = h('input.field#join-code', { placeholder: 'Code', maxLength: 16, 'aria-label': 'Join code', autocapitalize: 'characters' });
    const join = () => joinSession(input.value);
    input.addEventListener('keydown', (e) => e.key === 'Enter' && join());
    box.append(
      h('div.together-card', h('h3', 'Listen together, in sync'),
        h('p', { style: { margin: 0 } }, 'Everyone hears the same second of the same song and adds to one shared queue.'),
        premium ? null : h('p.small-text', { style: { color: '#ffd76a', margin: 0 } }, 'Starting a session needs Premium; anyone can join one.'),
        start),
      h('h3', 'Join with a code'),
      h('div.join-row', input, h('button.btn#join-btn', { on: { click: join } }, 'Join')));
    return box;
  }
  const code = s.join_code || store.sessionCode || '';
  const link = code ? `${location.origin}/join/${encodeURIComponent(code)}` : '';
  const isHost = String(s.host_user_id) === String(store.me?.id);
  const linkInput = h('input.field', { value: link, readOnly: true, 'aria-label': 'Join link' });
  box.append(
    h('p.small-text', 'Share the code or the link. People who join hear what you hear.'),
    h('div.session-code#session-code', code || '······'),
    h('div.copy-row', linkInput, h('button.btn.small', { on: { click: () => copy(link, linkInput) } }, 'Copy link')),
    h('h3', `Listening (${(s.members || []).length})`),
    ...(s.members || []).map((m) => h('div.member',
      h('span.avatar', { style: { background: colorFor(m.user_id) } }, (m.display_name || '?')[0].toUpperCase()),
      h('span', { style: { flex: 1 } }, m.display_name || store.nameOf(m.user_id), String(m.user_id) === String(store.me?.id) ? h('span.small-text', ' (you)') : null),
      String(m.user_id) === String(s.host_user_id) || m.role === 'host' ? h('span.badge', 'Host') : null,
      isHost && String(m.user_id) !== String(store.me?.id) ? iconButton('more', 'Member actions', (e) => popupMenu(e.currentTarget, [
        { label: 'Make host', run: () => cmd('session_promote', { user_id: m.user_id }) },
        { label: 'Remove from session', run: () => cmd('session_kick', { user_id: m.user_id }) },
      ])) : null)));
  if (isHost) {
    const guests = s.settings?.guests_can_control !== false;
    box.append(h('label.small-text', { style: { display: 'flex', gap: '8px', alignItems: 'center' } },
      h('input', { type: 'checkbox', checked: guests, on: { change: (e) => cmd('session_settings', { guests_can_control: e.target.checked }) } }),
      'Guests can control playback'));
  }
  box.append(h('h3', 'Shared queue'));
  const q = store.player?.queue || [];
  if (store.player?.item) box.append(itemRow(store.player.item, { current: true }));
  if (!q.length) box.append(h('p.small-text', 'Add songs with “Add to queue”: everyone sees who added what.'));
  q.forEach((it, i) => box.append(itemRow(it, { draggable: true, index: i })));
  box.append(h('div.row', { style: { display: 'flex', gap: '8px', marginTop: '12px' } },
    h('button.btn.outline#session-leave', { on: { click: () => leave('session_leave') } }, 'Leave'),
    isHost ? h('button.btn.danger#session-end', { on: { click: () => leave('session_end') } }, 'End for everyone') : null));
  return box;
}

async function leave(type) {
  const res = await cmd(type);
  if (res) {
    store.set('session', null);
    store.sessionCode = null;
    engine.update(store.player);
  }
}

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Link copied', 'success', 1500);
  } catch {
    input.select();
    document.execCommand?.('copy');
  }
}
