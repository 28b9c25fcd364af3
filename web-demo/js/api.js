// REST client: JSON in and out, bearer token, errors as ApiError {status, code, message}.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status === 0 ? 'unavailable' : 'internal');
  }
}

const TOKEN_KEY = 'segue.token';

export const api = {
  token: localStorage.getItem(TOKEN_KEY) || null,
  onUnauthorized: null,

  setToken(t) {
    this.token = t;
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  },

  async req(method, path, body, { query } = {}) {
    let url = path;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v != null && v !== '') q.set(k, v);
      const s = q.toString();
      if (s) url += (url.includes('?') ? '&' : '?') + s;
    }
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, 'unavailable', 'Cannot reach Segue. Check your connection.');
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text };
      }
    }
    if (!res.ok) {
      const err = new ApiError(res.status, data?.code, data?.message || res.statusText);
      if (res.status === 401 && this.token && this.onUnauthorized && !path.startsWith('/v1/auth/')) this.onUnauthorized(err);
      throw err;
    }
    return data;
  },

  get(path, query) {
    return this.req('GET', path, undefined, { query });
  },
  post(path, body = {}, query) {
    return this.req('POST', path, body, { query });
  },
  put(path, body = {}, query) {
    return this.req('PUT', path, body, { query });
  },
  del(path, body, query) {
    return this.req('DELETE', path, body, { query });
  },
  patch(path, body = {}, query) {
    return this.req('PATCH', path, body, { query });
  },

  // ---- accounts
  login: (username, password) => api.post('/v1/auth/login', { username, password }),
  register: (username, password, display_name) => api.post('/v1/auth/register', { username, password, display_name }),
  me: () => api.get('/v1/me'),
  settings: () => api.get('/v1/me/settings'),
  setStreamingQuality: (streaming_quality) => api.patch('/v1/me/settings', { streaming_quality }),
  user: (id) => api.get(`/v1/users/${encodeURIComponent(id)}`),

  // ---- catalog
  tracks: (limit = 50, offset = 0) => api.get('/v1/tracks', { limit, offset }),
  track: (id) => api.get(`/v1/tracks/${encodeURIComponent(id)}`),
  album: (id) => api.get(`/v1/albums/${encodeURIComponent(id)}`),
  artist: (id) => api.get(`/v1/artists/${encodeURIComponent(id)}`),
  genres: () => api.get('/v1/genres'),
  stream: (id, quality) => api.get(`/v1/tracks/${encodeURIComponent(id)}/stream`, { quality }),

  // ---- search
  search: (q, type = 'track,artist,album,playlist', limit = 10, offset = 0) => api.get('/v1/search', { q, type, limit, offset }),
  suggest: (q, limit = 8) => api.get('/v1/search/suggest', { q, limit }),

  // ---- playlists
  myPlaylists: (limit = 50, offset = 0) => api.get('/v1/me/playlists', { limit, offset }),
  playlist: (id) => api.get(`/v1/playlists/${encodeURIComponent(id)}`),
  createPlaylist: (name, extra = {}) => api.post('/v1/playlists', { name, ...extra }),
  updatePlaylist: (id, fields) => api.put(`/v1/playlists/${encodeURIComponent(id)}`, fields),
  invite: (id) => api.post(`/v1/playlists/${encodeURIComponent(id)}/invites`, {}),
  acceptInvite: (token) => api.post(`/v1/playlists/invites/${encodeURIComponent(token)}/accept`, {}),

  // ---- library (ids go both in the query and the body: servers read one or the other)
  likedTracks: (limit = 50, offset = 0) => api.get('/v1/me/tracks', { limit, offset }),
  like: (ids) => api.put('/v1/me/tracks', { ids }, { ids: ids.join(',') }),
  unlike: (ids) => api.del('/v1/me/tracks', { ids }, { ids: ids.join(',') }),
  savedAlbums: (limit = 50) => api.get('/v1/me/albums', { limit }),
  albumsSaved: (ids) => api.get('/v1/me/albums/contains', { ids: ids.join(',') }),
  saveAlbums: (ids) => api.put('/v1/me/albums', { ids }, { ids: ids.join(',') }),
  unsaveAlbums: (ids) => api.del('/v1/me/albums', { ids }, { ids: ids.join(',') }),
  following: (kind = 'artist') => api.get('/v1/me/following', { kind }),
  follow: (kind, id) => api.put(`/v1/me/following/${kind}/${encodeURIComponent(id)}`, {}),
  unfollow: (kind, id) => api.del(`/v1/me/following/${kind}/${encodeURIComponent(id)}`),
  recentlyPlayed: (limit = 50) => api.get('/v1/me/player/recently-played', { limit }),
};

/** A human sentence for an error, naming the premium and expiry cases explicitly. */
export function explain(err, what = '') {
  const code = err?.code;
  const msg = err?.message || '';
  const prefix = what ? `${what}: ` : '';
  if (code === 'forbidden' && /premium/i.test(msg)) return `${prefix}this needs Segue Premium.`;
  if (/premium/i.test(msg)) return `${prefix}this needs Segue Premium.`;
  if (/expired/i.test(msg)) return `${prefix}this link has expired. Ask for a new one.`;
  if (code === 'unavailable') return `${prefix}Segue is unreachable right now. Retrying…`;
  if (code === 'rate_limited') return `${prefix}too many attempts, wait a moment.`;
  if (code === 'not_found') return `${prefix}${msg || 'not found'}`;
  return prefix + (msg || 'something went wrong');
}
