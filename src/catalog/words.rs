//! Deterministic randomness for the synthetic catalog: a counter-based generator (every entity
//! draws from its own stream, so any entity can be recomputed from its index alone) and
//! pronounceable made-up words picked with a Zipf-like skew, integer-only so the same seed gives
//! the same catalog on every platform.

/// SplitMix64 step: a well-mixed 64-bit value from any input.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream of entity `index` of kind `stream` under `seed`.
    pub fn new(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix(seed
            ^ mix(
                stream.wrapping_mul(0xA24B_AED4_963E_E407) ^ mix(index)
            )))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A Zipf-like rank in 0..n (P(rank) roughly proportional to 1/rank): first a uniform
    /// power-of-two scale, then a uniform rank below it.
    pub fn zipf(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let bits = 64 - (n - 1).leading_zeros() as u64;
        let scale = 1u64 << (1 + self.below(bits));
        self.below(scale.min(n))
    }

    /// Popularity 0..=100 for one of `n` items whose play counts follow Zipf's law: the item's
    /// rank is uniform, its popularity is the log of its plays relative to the top item's, so
    /// most items sit low and a few near 100.
    pub fn zipf_popularity(&mut self, n: u64) -> u32 {
        let n = n.max(2);
        let rank = self.below(n) + 1;
        let top = log2_fixed(n);
        ((top - log2_fixed(rank)) * 100 / top) as u32
    }
}

/// log2(x) in 1/1024ths, integer-only (linear between powers of two).
fn log2_fixed(x: u64) -> u64 {
    let x = x.max(1);
    let lg = 63 - x.leading_zeros() as u64;
    let frac = if lg >= 10 {
        (x >> (lg - 10)) & 1023
    } else {
        (x << (10 - lg)) & 1023
    };
    lg * 1024 + frac
}

const ONSETS: &[&str] = &[
    "b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr",
    "r", "s", "sh", "sl", "st", "t", "th", "tr", "v", "w", "z", "", "",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "y", "io",
];
const CODAS: &[&str] = &[
    "", "", "", "", "n", "r", "l", "s", "m", "th", "x", "nd", "rk", "st", "ng",
];

/// A fixed vocabulary of made-up words; lower indexes are picked more often.
pub struct Vocabulary {
    words: Vec<String>,
}

impl Vocabulary {
    pub fn new(seed: u64, size: usize) -> Vocabulary {
        let words = (0..size as u64)
            .map(|i| {
                let mut r = Rng::new(seed, 0x5707, i);
                // Frequent words are short, as in real languages.
                let syllables = if i < 64 { 1 } else { 1 + r.below(3) };
                let mut w = String::new();
                for _ in 0..syllables {
                    w.push_str(ONSETS[r.below(ONSETS.len() as u64) as usize]);
                    w.push_str(VOWELS[r.below(VOWELS.len() as u64) as usize]);
                    w.push_str(CODAS[r.below(CODAS.len() as u64) as usize]);
                }
                w
            })
            .collect();
        Vocabulary { words }
    }

    pub fn word(&self, r: &mut Rng) -> &str {
        &self.words[r.zipf(self.words.len() as u64) as usize]
    }

    /// `n` capitalised words separated by spaces, appended to `out`.
    pub fn phrase(&self, r: &mut Rng, n: u64, out: &mut String) {
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let w = self.word(r);
            let mut cs = w.chars();
            if let Some(first) = cs.next() {
                out.extend(first.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, 2, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(1, 2, 3).next_u64(), Rng::new(1, 2, 4).next_u64());
        assert_ne!(Rng::new(1, 2, 3).next_u64(), Rng::new(2, 2, 3).next_u64());
    }

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let mut r = Rng::new(7, 0, 0);
        let mut low = 0;
        for _ in 0..10_000 {
            let x = r.zipf(1000);
            assert!(x < 1000);
            if x < 10 {
                low += 1;
            }
        }
        // Uniform would put 1% below 10; a 1/rank law puts far more there.
        assert!(low > 1500, "{low}");
    }

    #[test]
    fn popularity_is_bounded_and_mostly_low() {
        let mut r = Rng::new(7, 1, 0);
        let pops: Vec<u32> = (0..10_000).map(|_| r.zipf_popularity(100_000)).collect();
        assert!(pops.iter().all(|p| *p <= 100));
        let high = pops.iter().filter(|p| **p >= 50).count();
        let low = pops.iter().filter(|p| **p < 20).count();
        assert!(low > high * 10, "low {low} high {high}");
        assert!(high > 0);
    }

    #[test]
    fn words_are_pronounceable_ascii() {
        let v = Vocabulary::new(1, 500);
        let mut r = Rng::new(1, 9, 9);
        for _ in 0..200 {
            let w = v.word(&mut r);
            assert!(
                !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()),
                "{w}"
            );
        }
    }
}
