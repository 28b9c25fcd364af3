// App-wide state (who I am, this tab's device, the live player, devices, group session) and a
// tiny change notifier that views subscribe to.

const DEVICE_KEY = 'segue.device';

function browserName() {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return 'Edge';
  if (/Firefox\//.test(ua)) return 'Firefox';
  if (/Chrom(e|ium)\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua)) return 'Safari';
  return 'Browser';
}

// One device id per browser profile, not per tab: ids live in localStorage (`segue.devices`,
// id → {name, beat}), and every open tab refreshes the `beat` of the id it uses. A new tab takes
// an id whose tab is gone (no beat for DEVICE_STALE_MS), so closing and reopening the player
// keeps its device; only tabs open at the same time need ids of their own (two tabs sharing one
// id would both play). sessionStorage keeps a tab's id across reloads.
const POOL_KEY = 'segue.devices';
const DEVICE_BEAT_MS = 5_000;
const DEVICE_STALE_MS = 15_000;

function readPool() {
  try {
    const p = JSON.parse(localStorage.getItem(POOL_KEY) || '{}');
    return p && typeof p === 'object' ? p : {};
  } catch {
    return {};
  }
}

function writePool(pool) {
  try {
    localStorage.setItem(POOL_KEY, JSON.stringify(pool));
  } catch {
    /* storage full or disabled: the id still works for this tab */
  }
}

function beat(d) {
  const pool = readPool();
  pool[d.id] = { name: d.name, beat: Date.now() };
  writePool(pool);
}

function loadDevice() {
  let d = null;
  try {
    d = JSON.parse(sessionStorage.getItem(DEVICE_KEY) || 'null');
  } catch {
    d = null;
  }
  if (!(d && d.id && d.name)) {
    const now = Date.now();
    const free = Object.entries(readPool())
      .filter(([id, e]) => id && e && now - (Number(e.beat) || 0) > DEVICE_STALE_MS)
      .sort((a, b) => (Number(b[1].beat) || 0) - (Number(a[1].beat) || 0))[0];
    if (free) {
      d = { id: free[0], name: free[1].name || 'Web player', kind: 'web' };
    } else {
      const rnd = crypto.getRandomValues(new Uint8Array(8));
      const id = 'web-' + Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('');
      const phone = matchMedia('(max-width: 760px)').matches && 'ontouchstart' in window;
      d = { id, name: `${browserName()} ${phone ? 'phone' : 'tab'} ${id.slice(4, 8).toUpperCase()}`, kind: 'web' };
    }
    sessionStorage.setItem(DEVICE_KEY, JSON.stringify(d));
  }
  beat(d);
  setInterval(() => beat(store.device), DEVICE_BEAT_MS);
  // A closing tab frees its id at once for the next tab of this profile.
  addEventListener('pagehide', () => {
    const pool = readPool();
    if (pool[store.device.id]) pool[store.device.id].beat = 0;
    writePool(pool);
  });
  return d;
}

const listeners = new Map();

export const store = {
  me: null, // {id, username, display_name, tier}
  device: loadDevice(),
  player: null, // last player_state
  devices: [],
  session: null, // session_state or null
  liked: new Set(),
  playlists: [], // my playlists (summaries)
  conn: 'idle',
  names: new Map(), // user_id → display name, learned from anywhere

  setDeviceName(name) {
    this.device = { ...this.device, name };
    sessionStorage.setItem(DEVICE_KEY, JSON.stringify(this.device));
    beat(this.device);
  },

  on(key, fn) {
    if (!listeners.has(key)) listeners.set(key, new Set());
    listeners.get(key).add(fn);
    return () => listeners.get(key)?.delete(fn);
  },

  emit(key, v) {
    for (const fn of listeners.get(key) || []) {
      try {
        fn(v);
      } catch (e) {
        console.error(`listener for ${key} failed`, e);
      }
    }
  },

  set(key, v) {
    this[key] = v;
    this.emit(key, v);
  },

  learnName(id, name) {
    if (id && name) this.names.set(String(id), name);
  },

  nameOf(id) {
    if (id == null) return 'someone';
    if (typeof id === 'object') {
      this.learnName(id.user_id ?? id.id, id.display_name ?? id.name);
      return id.display_name ?? id.name ?? this.nameOf(id.user_id ?? id.id);
    }
    if (this.me && String(id) === String(this.me.id)) return 'You';
    const known = this.names.get(String(id));
    if (known) return known;
    // Never a raw id: ask the server once (GET /v1/users/{id}) and fill in every element that
    // shows this user (`nameSpan`) when the answer comes.
    this.fetchName(String(id));
    return 'someone';
  },

  /** A span with the user's name that updates itself once an unknown name is fetched. */
  nameSpan(id, tag = 'span') {
    const el = document.createElement(tag);
    el.dataset.userName = String(id);
    el.textContent = this.nameOf(id);
    return el;
  },

  nameFetcher: null, // set by app.js: id → Promise<{user_id, display_name}>
  nameRequests: new Map(), // id → Promise, one request per id and page life

  fetchName(id) {
    if (!this.nameFetcher || this.nameRequests.has(id)) return;
    const req = this.nameFetcher(id).then(
      (u) => {
        if (!u?.display_name) return;
        this.learnName(id, u.display_name);
        for (const el of document.querySelectorAll('[data-user-name]')) {
          if (el.dataset.userName === id) el.textContent = this.nameOf(id);
        }
        this.emit('names', id);
      },
      () => {
        /* unknown or deleted user: keep "someone" */
      },
    );
    this.nameRequests.set(id, req);
  },
};
