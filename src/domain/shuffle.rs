//! Deterministic shuffle: the play order is a pure function of (seed, length, first), so storing
//! the seed is enough for the same order to survive a handoff, a restart and a version upgrade
//! (we do not depend on a library RNG whose algorithm may change).

/// SplitMix64: tiny, fast, well distributed, and fixed forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0), by rejection to avoid modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % bound;
            }
        }
    }
}

/// A permutation of `0..n` (Fisher-Yates driven by `seed`); when `first` is given, that index is
/// moved to the front so that turning shuffle on keeps the current track playing first.
pub fn order(seed: u64, n: usize, first: Option<u32>) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n as u32).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
    if let Some(f) = first {
        if let Some(p) = v.iter().position(|&x| x == f) {
            v[..=p].rotate_right(1);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_stable_permutation() {
        let a = order(42, 100, None);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, order(42, 100, None), "same seed, same order");
        assert_ne!(a, order(43, 100, None));
        let b = order(42, 100, Some(7));
        assert_eq!(b[0], 7);
        let mut sb = b.clone();
        sb.sort_unstable();
        assert_eq!(sb, sorted);
        assert!(order(1, 0, Some(3)).is_empty());
    }
}
