// Small DOM and formatting helpers shared by every view, plus tolerant normalizers for the
// catalog shapes the server sends (fields are read defensively: older and newer servers differ).

/** h('div.cls#id', {attrs, on: {click}}, ...children) → Element. */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(tag) || [];
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'style' && typeof v === 'object') {
      for (const [sk, sv] of Object.entries(v)) {
        if (sk.startsWith('--')) el.style.setProperty(sk, sv);
        else el.style[sk] = sv;
      }
    }
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** 215000 → "3:35". */
export function fmtTime(ms) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  const hh = Math.floor(m / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function ago(ms, now = Date.now()) {
  const d = Math.max(0, now - ms) / 1000;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

export function debounce(fn, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** A stable colour for anything without one: hue from a string hash. */
export function colorFor(key, given) {
  if (typeof given === 'string' && /^#[0-9a-f]{6}$/i.test(given)) return given;
  let x = 2166136261;
  for (const ch of String(key || '?')) x = Math.imul(x ^ ch.charCodeAt(0), 16777619);
  const hue = Math.abs(x) % 360;
  return hslToHex(hue, 45, 42);
}

function hslToHex(h, s, l) {
  s /= 100;
  l /= 100;
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return '#' + [f(0), f(8), f(4)].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('');
}

/** A square cover tile: the album colour with the title's initials. */
export function cover(title, color, size = '') {
  const c = colorFor(title, color);
  const initials = String(title || '♪')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => (w.match(/[\p{L}\p{N}]/u) || [''])[0].toUpperCase())
    .join('');
  return h(`div.cover${size ? '.' + size : ''}`, {
    style: { background: `linear-gradient(135deg, ${c}, ${shade(c, -0.45)})` },
    'aria-hidden': 'true',
  }, h('span', initials || '♪'));
}

export function shade(hex, amt) {
  const n = parseInt(hex.slice(1), 16);
  const ch = (v) => Math.max(0, Math.min(255, Math.round(amt < 0 ? v * (1 + amt) : v + (255 - v) * amt)));
  const r = ch(n >> 16), g = ch((n >> 8) & 255), b = ch(n & 255);
  return '#' + ((r << 16) | (g << 8) | b).toString(16).padStart(6, '0');
}

// ---------- tolerant shapes ----------

/** Artists as [{id, name}] from strings, objects, or parallel id/name arrays. */
export function artistsOf(t) {
  if (!t) return [];
  let a = t.artists ?? t.artist ?? null;
  if (typeof a === 'string') a = [a];
  if (Array.isArray(a)) {
    const ids = t.artist_ids || [];
    return a.map((x, i) => (typeof x === 'string' ? { id: ids[i] || null, name: x } : { id: x.id ?? x.artist_id ?? ids[i] ?? null, name: x.name ?? x.title ?? '' }));
  }
  if (t.artist_name) return [{ id: (t.artist_ids || [])[0] || t.artist_id || null, name: t.artist_name }];
  if (Array.isArray(t.artist_names)) return t.artist_names.map((n, i) => ({ id: (t.artist_ids || [])[i] || null, name: n }));
  return [];
}

/** A track in one shape: {id, title, artists, album_id, album_title, color, duration_ms}. */
export function normTrack(t) {
  if (!t) return null;
  if (t.track && typeof t.track === 'object') t = { ...t.track, ...t, track: undefined };
  const album = typeof t.album === 'object' && t.album ? t.album : null;
  return {
    ...t,
    id: t.track_id ?? t.id,
    title: t.title ?? t.name ?? 'Unknown track',
    artists: artistsOf(t),
    album_id: t.album_id ?? album?.id ?? null,
    album_title: t.album_title ?? album?.title ?? album?.name ?? (typeof t.album === 'string' ? t.album : ''),
    color: t.color ?? t.album_color ?? t.cover_color ?? album?.color ?? null,
    duration_ms: Number(t.duration_ms ?? 0),
  };
}

/** Items of a paged or plain list response: [..] | {items} | {tracks: {items}} | {data}. */
export function itemsOf(res, key) {
  if (!res) return [];
  if (Array.isArray(res)) return res;
  const v = key ? res[key] : res;
  if (Array.isArray(v)) return v;
  if (v && Array.isArray(v.items)) return v.items;
  if (!key) {
    for (const k of ['items', 'results', 'data', 'tracks', 'playlists', 'albums', 'artists']) {
      if (Array.isArray(res[k])) return res[k];
      if (res[k] && Array.isArray(res[k].items)) return res[k].items;
    }
  }
  return [];
}

export const artistLine = (t) =>
  artistsOf(t).map((a, i) => [i ? ', ' : '', a.id ? h('a', { href: `#/artist/${encodeURIComponent(a.id)}` }, a.name) : a.name]);

// ---------- toasts and modals ----------

export function toast(message, kind = 'info', ms = 4000) {
  const box = $('#toasts');
  if (!box) return;
  // The same message again (e.g. three "Added to queue") refreshes one toast instead of stacking.
  for (const old of box.children) if (old.textContent === message && !old.classList.contains('out')) old.remove();
  while (box.children.length >= 3) box.firstElementChild.remove();
  const el = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(el);
  setTimeout(() => {
    el.classList.add('out');
    setTimeout(() => el.remove(), 300);
  }, ms);
}

/** A modal dialog; resolves with what `build(close)` hands to close(). */
export function modal(title, build) {
  return new Promise((resolve) => {
    const close = (v) => {
      back.remove();
      document.removeEventListener('keydown', onKey);
      resolve(v);
    };
    const onKey = (e) => e.key === 'Escape' && close(null);
    document.addEventListener('keydown', onKey);
    const body = h('div.modal-body');
    const back = h('div.modal-back', { on: { mousedown: (e) => e.target === back && close(null) } },
      h('div.modal', { role: 'dialog', 'aria-label': title }, h('h2', title), body));
    body.append(...[build(close)].flat());
    document.body.append(back);
    back.querySelector('input,button')?.focus();
  });
}

/** A small popup menu at an element: items [{label, run, sub?: items}] */
export function popupMenu(anchor, items) {
  document.querySelectorAll('.menu').forEach((m) => m.remove());
  const menu = h('div.menu', { role: 'menu' });
  const render = (list) =>
    clear(menu, list.filter(Boolean).map((it) =>
      h('button.menu-item', {
        role: 'menuitem',
        on: {
          click: (e) => {
            e.stopPropagation();
            if (it.sub) return render([{ label: '‹ Back', run: () => render(items) , keep: true}, ...it.sub()]);
            if (!it.keep) menu.remove();
            it.run?.();
          },
        },
      }, it.label, it.sub ? h('span.chev', '›') : null)));
  render(items);
  document.body.append(menu);
  const r = anchor.getBoundingClientRect();
  const mw = 240;
  menu.style.left = Math.max(8, Math.min(window.innerWidth - mw - 8, r.right - mw)) + 'px';
  const below = r.bottom + 4;
  menu.style.top = (below + 320 > window.innerHeight ? Math.max(8, r.top - 4 - Math.min(320, menu.offsetHeight)) : below) + 'px';
  setTimeout(() => document.addEventListener('click', () => menu.remove(), { once: true }), 0);
}

export const icons = {
  play: '<svg viewBox="0 0 24 24"><path d="M8 5v14l11-7z"/></svg>',
  pause: '<svg viewBox="0 0 24 24"><path d="M6 5h4v14H6zM14 5h4v14h-4z"/></svg>',
  next: '<svg viewBox="0 0 24 24"><path d="M6 6l8.5 6L6 18zM16 6h2v12h-2z"/></svg>',
  prev: '<svg viewBox="0 0 24 24"><path d="M18 6l-8.5 6 8.5 6zM6 6h2v12H6z"/></svg>',
  shuffle: '<svg viewBox="0 0 24 24"><path d="M10.6 9.2L5.4 4 4 5.4l5.2 5.2zM14.5 4l2 2L4 18.6 5.4 20 18 7.5l2 2V4zM14.8 13.4l-1.4 1.4 3.1 3.1-2 2.1H20v-5.5l-2 2z"/></svg>',
  repeat: '<svg viewBox="0 0 24 24"><path d="M7 7h10v3l4-4-4-4v3H5v6h2zM17 17H7v-3l-4 4 4 4v-3h12v-6h-2z"/></svg>',
  queue: '<svg viewBox="0 0 24 24"><path d="M3 6h13v2H3zM3 10h13v2H3zM3 14h9v2H3zM16 14v6l5-3z"/></svg>',
  devices: '<svg viewBox="0 0 24 24"><path d="M4 6h16V4H4a2 2 0 00-2 2v11H0v3h14v-3H4zm19 2h-6a1 1 0 00-1 1v10a1 1 0 001 1h6a1 1 0 001-1V9a1 1 0 00-1-1zm-1 9h-4v-7h4z"/></svg>',
  group: '<svg viewBox="0 0 24 24"><path d="M16 11a3 3 0 100-6 3 3 0 000 6zm-8 0a3 3 0 100-6 3 3 0 000 6zm0 2c-2.3 0-7 1.2-7 3.5V19h14v-2.5C15 14.2 10.3 13 8 13zm8 0h-1c1.2.9 2 2 2 3.5V19h6v-2.5c0-2.3-4.7-3.5-7-3.5z"/></svg>',
  volume: '<svg viewBox="0 0 24 24"><path d="M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0014 8v8a4.5 4.5 0 002.5-4zM14 3.2v2.1a7 7 0 010 13.4v2.1a9 9 0 000-17.6z"/></svg>',
  mute: '<svg viewBox="0 0 24 24"><path d="M3 9v6h4l5 5V4L7 9zm18.3 0.7l-1.4-1.4L17.6 10.6 15.3 8.3 13.9 9.7l2.3 2.3-2.3 2.3 1.4 1.4 2.3-2.3 2.3 2.3 1.4-1.4-2.3-2.3z"/></svg>',
  heart: '<svg viewBox="0 0 24 24"><path d="M12 21l-1.5-1.3C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1C13.1 3.8 14.8 3 16.5 3 19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.5 11.2z"/></svg>',
  more: '<svg viewBox="0 0 24 24"><circle cx="5" cy="12" r="2"/><circle cx="12" cy="12" r="2"/><circle cx="19" cy="12" r="2"/></svg>',
  home: '<svg viewBox="0 0 24 24"><path d="M12 3l9 8h-3v9h-5v-6h-2v6H6v-9H3z"/></svg>',
  search: '<svg viewBox="0 0 24 24"><path d="M10 3a7 7 0 015.6 11.2l5 5-1.4 1.4-5-5A7 7 0 1110 3zm0 2a5 5 0 100 10 5 5 0 000-10z"/></svg>',
  library: '<svg viewBox="0 0 24 24"><path d="M4 3h2v18H4zM9 3h2v18H9zM14 3.5l1.9-.6 5.6 17.2-1.9.6z"/></svg>',
  close: '<svg viewBox="0 0 24 24"><path d="M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>',
  phone: '<svg viewBox="0 0 24 24"><path d="M8 2h8a2 2 0 012 2v16a2 2 0 01-2 2H8a2 2 0 01-2-2V4a2 2 0 012-2zm0 3v13h8V5zm4 14.2a1 1 0 100 .1z"/></svg>',
  computer: '<svg viewBox="0 0 24 24"><path d="M4 5h16a1 1 0 011 1v10a1 1 0 01-1 1h-6v2h3v2H7v-2h3v-2H4a1 1 0 01-1-1V6a1 1 0 011-1zm1 2v8h14V7z"/></svg>',
  speaker: '<svg viewBox="0 0 24 24"><path d="M7 2h10a2 2 0 012 2v16a2 2 0 01-2 2H7a2 2 0 01-2-2V4a2 2 0 012-2zm5 8a4 4 0 100 8 4 4 0 000-8zm0 2a2 2 0 110 4 2 2 0 010-4zm0-7a1.5 1.5 0 100 3 1.5 1.5 0 000-3z"/></svg>',
  tv: '<svg viewBox="0 0 24 24"><path d="M3 5h18a1 1 0 011 1v11a1 1 0 01-1 1h-7v2h3v1H7v-1h3v-2H3a1 1 0 01-1-1V6a1 1 0 011-1zm1 2v9h16V7z"/></svg>',
  car: '<svg viewBox="0 0 24 24"><path d="M5 11l1.5-4.5A2 2 0 018.4 5h7.2a2 2 0 011.9 1.5L19 11a2 2 0 011 2v5h-2v2h-2v-2H8v2H6v-2H4v-5a2 2 0 011-2zm2.1 0h9.8l-1.1-3.6a.5.5 0 00-.5-.4H8.7a.5.5 0 00-.5.4zM7 13.5a1.5 1.5 0 100 3 1.5 1.5 0 000-3zm10 0a1.5 1.5 0 100 3 1.5 1.5 0 000-3z"/></svg>',
  web: '<svg viewBox="0 0 24 24"><path d="M12 2a10 10 0 110 20 10 10 0 010-20zm6.9 6A8 8 0 0015 4.6c.6 1 1.1 2.2 1.4 3.4zM12 4c-.8 1.2-1.5 2.5-1.9 4h3.8c-.4-1.5-1.1-2.8-1.9-4zM4.3 14h3.4a16 16 0 010-4H4.3a8 8 0 000 4zm.8 2a8 8 0 003.9 3.4c-.6-1-1.1-2.2-1.4-3.4zm2.5-8c.3-1.2.8-2.4 1.4-3.4A8 8 0 005.1 8zM12 20c.8-1.2 1.5-2.5 1.9-4h-3.8c.4 1.5 1.1 2.8 1.9 4zm2.3-6a14 14 0 000-4H9.7a14 14 0 000 4zm.7 5.4a8 8 0 003.9-3.4h-2.5c-.3 1.2-.8 2.4-1.4 3.4zM16.3 14h3.4a8 8 0 000-4h-3.4a16 16 0 010 4z"/></svg>',
  drag: '<svg viewBox="0 0 24 24"><path d="M9 5h2v2H9zm4 0h2v2h-2zM9 11h2v2H9zm4 0h2v2h-2zm-4 6h2v2H9zm4 0h2v2h-2z"/></svg>',
};

export function icon(name, cls = '') {
  const s = h(`span.icon${cls ? '.' + cls : ''}`);
  s.innerHTML = icons[name] || '';
  return s;
}

export function iconButton(name, label, onclick, cls = '') {
  return h(`button.icon-btn${cls ? '.' + cls : ''}`, { title: label, 'aria-label': label, on: { click: onclick } }, icon(name));
}
