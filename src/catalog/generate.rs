//! `segue gen-catalog`: a deterministic synthetic catalog of any size in the import format,
//! written as a stream (constant memory) so that millions of tracks can feed benchmarks.
//!
//! Every entity is a pure function of (seed, its index, today's date), so output is identical
//! for the same inputs. Shape: ~N/12 artists, ~N/10 albums (every artist has one), 25 genres,
//! years 1950..=2026 skewed recent, one album in 100 released in the last 14 days,
//! ISRCs, ~8% explicit tracks, ~10% featuring a second artist, Zipf-skewed popularity.

use super::words::{Rng, Vocabulary};
use super::CatalogItem;
use crate::storage::{Album, Artist, Track};
use std::io::Write;
use std::path::PathBuf;

pub const GENRES: [&str; 25] = [
    "Pop",
    "Rock",
    "Hip Hop",
    "Electronic",
    "R&B",
    "Indie",
    "Latin",
    "Country",
    "Jazz",
    "Metal",
    "Classical",
    "Folk",
    "Soul",
    "Alternative",
    "House",
    "Techno",
    "Punk",
    "Blues",
    "Reggae",
    "Funk",
    "Ambient",
    "Soundtrack",
    "World",
    "Disco",
    "Gospel",
];

const FIRST_YEAR: i64 = 1950;
const LAST_YEAR: i64 = 2026;
/// One album in this many was released in the last 14 days.
const RECENT_EVERY: u64 = 100;
/// Words in the made-up vocabulary names are drawn from.
const VOCABULARY: usize = 20_000;

// Stream ids: each attribute family draws from its own stream so it can be recomputed alone.
const S_ARTIST: u64 = 1;
const S_ARTIST_GENRE: u64 = 2;
const S_ARTIST_POP: u64 = 3;
const S_ALBUM: u64 = 4;
const S_ALBUM_CORE: u64 = 5;
const S_TRACK: u64 = 6;

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub tracks: u64,
    pub seed: u64,
    /// Days since 1970-01-01 (UTC) that "recent" release dates count back from.
    pub today_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenStats {
    pub artists: u64,
    pub albums: u64,
    pub tracks: u64,
}

/// The album attributes its tracks inherit.
#[derive(Clone)]
struct AlbumCore {
    artists: Vec<u64>,
    genre: usize,
    year: i64,
    release_date: String,
}

struct Gen {
    o: GenOptions,
    artists: u64,
    albums: u64,
    vocab: Vocabulary,
}

impl Gen {
    fn new(o: GenOptions) -> Gen {
        let (artists, albums) = if o.tracks == 0 {
            (0, 0)
        } else {
            ((o.tracks / 12).max(1), (o.tracks / 10).max(1))
        };
        Gen {
            vocab: Vocabulary::new(o.seed, VOCABULARY),
            o,
            artists,
            albums,
        }
    }

    fn rng(&self, stream: u64, index: u64) -> Rng {
        Rng::new(self.o.seed, stream, index)
    }

    /// The first 25 artists cover every genre once; the rest are Zipf-skewed (Pop is common).
    fn artist_genre(&self, i: u64) -> usize {
        if i < GENRES.len() as u64 {
            return i as usize;
        }
        self.rng(S_ARTIST_GENRE, i).zipf(GENRES.len() as u64) as usize
    }

    fn artist_popularity(&self, i: u64) -> u32 {
        self.rng(S_ARTIST_POP, i).zipf_popularity(self.artists)
    }

    fn artist(&self, i: u64) -> Artist {
        let mut r = self.rng(S_ARTIST, i);
        let mut name = String::new();
        if r.chance(150) {
            name.push_str("The ");
        }
        let words = 1 + r.below(2) + u64::from(r.chance(100));
        self.vocab.phrase(&mut r, words, &mut name);
        let primary = self.artist_genre(i);
        let mut genres = vec![GENRES[primary].to_string()];
        if r.chance(300) {
            let second = GENRES[r.below(GENRES.len() as u64) as usize];
            if second != GENRES[primary] {
                genres.push(second.to_string());
            }
        }
        Artist {
            id: format!("gar{}", i + 1),
            name,
            genres,
            popularity: self.artist_popularity(i),
        }
    }

    fn album_core(&self, j: u64) -> AlbumCore {
        let mut r = self.rng(S_ALBUM_CORE, j);
        // The first `artists` albums give every artist one; the rest go to anyone.
        let first = if j < self.artists {
            j
        } else {
            r.below(self.artists)
        };
        let mut artists = vec![first];
        if r.chance(50) {
            let other = r.below(self.artists);
            if other != first {
                artists.push(other);
            }
        }
        // Every 100th album (from the second on) came out in the last two weeks, so a catalog
        // of any size has some new releases.
        let (year, release_date) = if j % RECENT_EVERY == 1 {
            let (y, m, d) = civil_from_days(self.o.today_days - r.below(14) as i64);
            (y, format!("{y:04}-{m:02}-{d:02}"))
        } else {
            let span = (LAST_YEAR - FIRST_YEAR + 1) as u64;
            // The younger of two uniform draws: recent years are more common, as in real catalogs.
            let back = r.below(span).min(r.below(span)) as i64;
            let y = LAST_YEAR - back;
            let (m, d) = (1 + r.below(12), 1 + r.below(28));
            (y, format!("{y:04}-{m:02}-{d:02}"))
        };
        AlbumCore {
            genre: self.artist_genre(first),
            artists,
            year,
            release_date,
        }
    }

    fn album(&self, j: u64) -> Album {
        let core = self.album_core(j);
        let mut r = self.rng(S_ALBUM, j);
        let mut title = String::new();
        let words = 1 + r.below(3);
        self.vocab.phrase(&mut r, words, &mut title);
        let own = r.zipf_popularity(self.albums);
        let popularity = lift(own, self.artist_popularity(core.artists[0]));
        Album {
            id: format!("gal{}", j + 1),
            title,
            artist_ids: core
                .artists
                .iter()
                .map(|a| format!("gar{}", a + 1))
                .collect(),
            release_date: core.release_date,
            year: Some(core.year as i32),
            genre: Some(GENRES[core.genre].to_string()),
            popularity,
            color: Some(color(r.below(360))),
        }
    }

    /// The album of track `k`: tracks are spread evenly, in order, over the albums.
    fn album_of(&self, k: u64) -> u64 {
        (k as u128 * self.albums as u128 / self.o.tracks as u128) as u64
    }

    /// The first track of album `j` (the smallest k with album_of(k) == j).
    fn first_track(&self, j: u64) -> u64 {
        (j as u128 * self.o.tracks as u128).div_ceil(self.albums as u128) as u64
    }

    fn track(&self, k: u64, j: u64, core: &AlbumCore) -> Track {
        let mut r = self.rng(S_TRACK, k);
        let mut title = String::new();
        let words = match r.below(10) {
            0..=2 => 1,
            3..=6 => 2,
            7..=8 => 3,
            _ => 4,
        };
        self.vocab.phrase(&mut r, words, &mut title);
        let mut artist_ids: Vec<String> = core
            .artists
            .iter()
            .map(|a| format!("gar{}", a + 1))
            .collect();
        if r.chance(100) {
            let feat = r.below(self.artists);
            if !core.artists.contains(&feat) {
                artist_ids.push(format!("gar{}", feat + 1));
            }
        }
        let own = r.zipf_popularity(self.o.tracks);
        let popularity = lift(own, self.artist_popularity(core.artists[0]));
        Track {
            id: format!("gtr{}", k + 1),
            title,
            album_id: format!("gal{}", j + 1),
            artist_ids,
            track_number: (k - self.first_track(j) + 1) as u32,
            disc_number: 1,
            duration_ms: (90_000 + r.below(150_000) + r.below(150_000)) as i64,
            genre: Some(GENRES[core.genre].to_string()),
            year: Some(core.year as i32),
            explicit: r.chance(80),
            popularity,
            isrc: Some(isrc(k, core.year)),
            audio: None,
        }
    }
}

/// An album's or track's own popularity, lifted towards 100 by its artist's: a hit artist's
/// releases are at least half-way popular, an unknown artist's keep their own.
fn lift(own: u32, artist: u32) -> u32 {
    own + (100 - own.min(100)) * artist.min(100) / 200
}

/// `ZZ` (no country: clearly synthetic), a 3-character registrant, 2-digit year, 5 digits;
/// unique per track index below 36^3 * 100000.
fn isrc(k: u64, year: i64) -> String {
    const B36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let reg = k / 100_000;
    let c = |p: u32| B36[((reg / 36u64.pow(p)) % 36) as usize] as char;
    format!(
        "ZZ{}{}{}{:02}{:05}",
        c(2),
        c(1),
        c(0),
        year.rem_euclid(100),
        k % 100_000
    )
}

/// A mid-saturation colour for a hue in degrees, `#rrggbb`.
fn color(hue: u64) -> String {
    let (s, l) = (0.55f64, 0.42f64);
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let h = hue as f64 / 60.0;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match hue / 60 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", to(r), to(g), to(b))
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn write_item<W: Write>(out: &mut W, item: &CatalogItem) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, item)?;
    out.write_all(b"\n")
}

/// Writes the whole catalog to `out`: artists, then albums, then tracks.
pub fn generate<W: Write>(out: W, opts: &GenOptions) -> std::io::Result<GenStats> {
    let mut out = out;
    let g = Gen::new(opts.clone());
    for i in 0..g.artists {
        write_item(&mut out, &CatalogItem::Artist(g.artist(i)))?;
    }
    for j in 0..g.albums {
        write_item(&mut out, &CatalogItem::Album(g.album(j)))?;
    }
    let mut cached: Option<(u64, AlbumCore)> = None;
    for k in 0..opts.tracks {
        let j = g.album_of(k);
        let core = match &cached {
            Some((cj, core)) if *cj == j => core,
            _ => &cached.insert((j, g.album_core(j))).1,
        };
        write_item(&mut out, &CatalogItem::Track(g.track(k, j, core)))?;
    }
    out.flush()?;
    Ok(GenStats {
        artists: g.artists,
        albums: g.albums,
        tracks: opts.tracks,
    })
}

/// `segue gen-catalog --tracks N [--out FILE] [--seed S]`; "recent" means relative to today.
pub fn run_cli(tracks: u64, out: Option<PathBuf>, seed: u64) -> anyhow::Result<()> {
    let opts = GenOptions {
        tracks,
        seed,
        today_days: crate::clock::system().now_ms().div_euclid(86_400_000),
    };
    let started = std::time::Instant::now();
    let stats = match &out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
            generate(std::io::BufWriter::with_capacity(1 << 20, f), &opts)?
        }
        None => {
            let stdout = std::io::stdout().lock();
            generate(std::io::BufWriter::with_capacity(1 << 20, stdout), &opts)?
        }
    };
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "generated {} artists, {} albums, {} tracks (seed {seed}) in {secs:.2}s ({:.0} tracks/s){}",
        stats.artists,
        stats.albums,
        stats.tracks,
        stats.tracks as f64 / secs.max(1e-9),
        out.map(|p| format!(" -> {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(tracks: u64, seed: u64) -> Vec<u8> {
        let mut out = vec![];
        generate(
            &mut out,
            &GenOptions {
                tracks,
                seed,
                today_days: 20_000,
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn isrc_shape() {
        assert_eq!(isrc(0, 1999), "ZZ0009900000");
        assert_eq!(isrc(123_456_789, 2026), "ZZ0YA2656789");
        assert_eq!(isrc(5, 2026).len(), 12);
    }

    #[test]
    fn colors_are_hex() {
        for h in (0..360).step_by(7) {
            let c = color(h);
            assert!(c.len() == 7 && c.starts_with('#'), "{c}");
        }
    }

    #[test]
    fn albums_partition_tracks_in_order() {
        for n in [1u64, 7, 10, 11, 99, 1000, 12_345] {
            let g = Gen::new(GenOptions {
                tracks: n,
                seed: 1,
                today_days: 0,
            });
            let mut prev = 0;
            for k in 0..n {
                let j = g.album_of(k);
                assert!(j < g.albums && j >= prev);
                assert!(g.first_track(j) <= k);
                prev = j;
            }
            // Every album gets at least one track.
            for j in 0..g.albums {
                assert_eq!(g.album_of(g.first_track(j)), j, "n={n} j={j}");
            }
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(gen(300, 5), gen(300, 5));
        assert_ne!(gen(300, 5), gen(300, 6));
        assert!(gen(0, 1).is_empty());
    }
}
