// A cache of full track objects (artist names, album title and colour). Some lists (liked songs,
// history, playlist pages) carry bare catalog rows with ids only; these are filled in from
// GET /v1/tracks/{id}, a few at a time.

import { api } from './api.js';
import { normTrack, cover } from './util.js';

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

// ---------- album colours (player items carry the album without its colour) ----------

const albumColors = new Map(); // album_id → '#rrggbb' | null (known to have none)
const albumInflight = new Map();

export const albumColor = (id) => albumColors.get(id) ?? null;

export function loadAlbumColor(id) {
  if (!id || albumColors.has(id)) return Promise.resolve(albumColor(id));
  if (!albumInflight.has(id)) {
    albumInflight.set(id, api.album(id).then(
      (a) => albumColors.set(id, a?.color || null),
      () => albumColors.set(id, null),
    ).then(() => {
      albumInflight.delete(id);
      return albumColor(id);
    }));
  }
  return albumInflight.get(id);
}

/** A cover for a track; when only the album id is known, it takes the album's colour on arrival. */
export function trackCover(t) {
  const el = cover(t.album_title || t.title, t.color ?? albumColor(t.album_id));
  if (!t.color && t.album_id && !albumColors.has(t.album_id)) {
    loadAlbumColor(t.album_id).then((c) => {
      if (c) el.replaceWith(cover(t.album_title || t.title, c));
    });
  }
  return el;
}
