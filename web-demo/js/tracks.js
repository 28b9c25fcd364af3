// A cache of full track objects (artist names, album title and colour). Some lists (liked songs,
// history, playlist pages) carry bare catalog rows with ids only; these are filled in from
// GET /v1/tracks/{id}, a few at a time.

import { api } from './api.js';
import { normTrack } from './util.js';

const cache = new Map(); // track_id → normalized full track
const inflight = new Map();

const complete = (t) => t && t.title && t.artists.some((a) => a.name) && (t.album_title || !t.album_id);

export const cachedTrack = (id) => cache.get(id);

export function remember(raw) {
  const t = normTrack(raw);
  if (complete(t)) cache.set(t.id, t);
  return t;
}

async function fetchOne(id) {
  if (cache.has(id)) return cache.get(id);
  if (!inflight.has(id)) {
    inflight.set(id, api.track(id).then(
      (raw) => {
        const t = normTrack(raw);
        cache.set(id, t);
        return t;
      },
      () => {
        const t = { id, title: 'Unavailable song', artists: [], duration_ms: 0 };
        cache.set(id, t);
        return t;
      },
    ).finally(() => inflight.delete(id)));
  }
  return inflight.get(id);
}

/** Makes sure every id is in the cache (six requests at a time). */
export async function fetchTracks(ids) {
  const missing = [...new Set(ids.filter((id) => id && !cache.has(id)))];
  let i = 0;
  const worker = async () => {
    while (i < missing.length) await fetchOne(missing[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(6, missing.length) }, worker));
}

/** Normalized tracks, with the incomplete ones replaced by their full versions. */
export async function hydrate(list) {
  const tracks = list.map((x) => remember(x)).filter(Boolean);
  await fetchTracks(tracks.filter((t) => !complete(t)).map((t) => t.id));
  return tracks.map((t) => (complete(t) ? t : { ...t, ...(cache.get(t.id) || {}) }));
}
