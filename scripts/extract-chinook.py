#!/usr/bin/env python3
"""Extracts the Chinook sample database (MIT) into Segue's catalog format.

Reads the SQLite script that ships inside the PyPI package `dictum-core`
(dictum_core/examples/chinook/chinook.sqlite.sql), loads it into an in-memory
SQLite database and writes:

  assets/catalog/chinook.jsonl            artists, albums, tracks (docs/catalog.md)
  assets/catalog/chinook-playlists.json   the 18 Chinook playlists

Python 3 standard library only. Usage:

  pip download --no-deps -d /tmp/dictum dictum-core==0.1.15
  python3 scripts/extract-chinook.py /tmp/dictum/dictum_core-0.1.15-py3-none-any.whl

The output is deterministic: running it again produces identical files.
"""

import colorsys
import hashlib
import json
import math
import sqlite3
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

SCRIPT_IN_WHEEL = "dictum_core/examples/chinook/chinook.sqlite.sql"
OUT_DIR = Path(__file__).resolve().parent.parent / "assets" / "catalog"


def load(wheel):
    with zipfile.ZipFile(wheel) as z:
        sql = z.read(SCRIPT_IN_WHEEL).decode("utf-8-sig")
    db = sqlite3.connect(":memory:")
    db.executescript(sql)
    return db


def color_for(album_id):
    """A stable mid-saturation colour per album (clients without cover art use it)."""
    h = hashlib.sha256(album_id.encode()).digest()
    hue = int.from_bytes(h[:2], "big") / 65536.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.42, 0.55)
    return "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


def log_scale(count, max_count):
    """0..1: log(1+count) relative to the largest count."""
    if max_count <= 0:
        return 0.0
    return math.log1p(count) / math.log1p(max_count)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    db = load(sys.argv[1])

    genres = dict(db.execute("SELECT GenreId, Name FROM genres"))
    artists = db.execute("SELECT ArtistId, Name FROM artists ORDER BY ArtistId").fetchall()
    albums = db.execute("SELECT AlbumId, Title, ArtistId FROM albums ORDER BY AlbumId").fetchall()
    album_artist = {al: ar for al, _, ar in albums}
    tracks = db.execute(
        "SELECT TrackId, Name, AlbumId, GenreId, Milliseconds FROM tracks ORDER BY TrackId"
    ).fetchall()

    # Units sold per track (InvoiceLine quantities), rolled up to albums and artists.
    track_sales = Counter()
    for track_id, qty in db.execute("SELECT TrackId, Quantity FROM invoice_items"):
        track_sales[track_id] += qty
    album_sales, artist_sales = Counter(), Counter()
    for track_id, _, album_id, _, _ in tracks:
        album_sales[album_id] += track_sales[track_id]
        artist_sales[album_artist[album_id]] += track_sales[track_id]
    max_t = max(track_sales.values(), default=0)
    max_al = max(album_sales.values(), default=0)
    max_ar = max(artist_sales.values(), default=0)

    def track_popularity(track_id, album_id):
        # A track's own sales are at most a couple of units, so the album's and the artist's
        # sales break ties; all three are log-scaled.
        score = (
            0.5 * log_scale(track_sales[track_id], max_t)
            + 0.3 * log_scale(album_sales[album_id], max_al)
            + 0.2 * log_scale(artist_sales[album_artist[album_id]], max_ar)
        )
        return round(100 * score)

    # Track numbers: Chinook has none; tracks are numbered by TrackId order within their album.
    album_tracks = defaultdict(list)
    for t in tracks:
        album_tracks[t[2]].append(t)
    album_genre, artist_genres = {}, defaultdict(Counter)
    for album_id, ts in album_tracks.items():
        counts = Counter(genres[t[3]] for t in ts)
        # Most frequent genre; ties broken by name so the output is stable.
        album_genre[album_id] = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        artist_genres[album_artist[album_id]].update(counts)

    lines = []
    for artist_id, name in artists:
        g = artist_genres[artist_id]
        lines.append({
            "kind": "artist",
            "id": f"ar{artist_id}",
            "name": name,
            "genres": [k for k, _ in sorted(g.items(), key=lambda kv: (-kv[1], kv[0]))],
            "popularity": round(100 * log_scale(artist_sales[artist_id], max_ar)),
        })
    for album_id, title, artist_id in albums:
        lines.append({
            "kind": "album",
            "id": f"al{album_id}",
            "title": title,
            "artist_ids": [f"ar{artist_id}"],
            "release_date": "",
            "year": None,
            "genre": album_genre.get(album_id),
            "popularity": round(100 * log_scale(album_sales[album_id], max_al)),
            "color": color_for(f"al{album_id}"),
        })
    number = {}
    for album_id, ts in album_tracks.items():
        for i, t in enumerate(ts, start=1):
            number[t[0]] = i
    for track_id, name, album_id, genre_id, ms in tracks:
        lines.append({
            "kind": "track",
            "id": f"tr{track_id}",
            "title": name,
            "album_id": f"al{album_id}",
            "artist_ids": [f"ar{album_artist[album_id]}"],
            "track_number": number[track_id],
            "disc_number": 1,
            "duration_ms": ms,
            "genre": genres[genre_id],
            "year": None,
            "explicit": False,
            "popularity": track_popularity(track_id, album_id),
            "isrc": None,
            "audio": None,
        })

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(OUT_DIR / "chinook.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for obj in lines:
            f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")

    playlists = []
    for pid, name in db.execute("SELECT PlaylistId, Name FROM playlists ORDER BY PlaylistId"):
        ids = [f"tr{t}" for (t,) in db.execute(
            "SELECT TrackId FROM playlist_track WHERE PlaylistId = ? ORDER BY rowid", (pid,))]
        playlists.append({"name": name, "track_ids": ids})
    with open(OUT_DIR / "chinook-playlists.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(playlists, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    kinds = Counter(o["kind"] for o in lines)
    n_genres = len({o["genre"] for o in lines if o["kind"] == "track"})
    print(f"{kinds['artist']} artists, {kinds['album']} albums, {kinds['track']} tracks, "
          f"{n_genres} genres, {len(playlists)} playlists -> {OUT_DIR}")


if __name__ == "__main__":
    main()
