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

/** This tab's device: id stable for the tab's life (sessionStorage), name editable. */
function loadDevice() {
  try {
    const d = JSON.parse(sessionStorage.getItem(DEVICE_KEY) || 'null');
    if (d && d.id && d.name) return d;
  } catch {
    /* fall through to a fresh device */
  }
  const rnd = crypto.getRandomValues(new Uint8Array(8));
  const id = 'web-' + Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('');
  const phone = matchMedia('(max-width: 760px)').matches && 'ontouchstart' in window;
  const d = { id, name: `${browserName()} ${phone ? 'phone' : 'tab'} ${id.slice(4, 8).toUpperCase()}`, kind: 'web' };
  sessionStorage.setItem(DEVICE_KEY, JSON.stringify(d));
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
    return this.names.get(String(id)) || `user ${String(id).slice(0, 6)}`;
  },
};
