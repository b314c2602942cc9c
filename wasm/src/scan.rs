//! Byte-class scans over the body, 16 bytes at a time: whether a body is all ASCII (then it is
//! UTF-8 without decoding it), and where a string's plain run ends (the first quote, backslash
//! or control character).
//!
//! Two implementations of one algorithm: SIMD128 (`core::arch::wasm32`) when the crate is
//! built with `-C target-feature=+simd128` (as `wasm/build.ts` builds the shipped module), and
//! a portable one on eight-byte words otherwise (native test builds). Both sit behind the same
//! functions and are checked against a byte-at-a-time reading by the tests below, which also
//! run the block algorithm on its portable lanes so that native `cargo test` exercises it.

/// Index of the first byte at or after `i` that is `"`, `\` or below 0x20; `b.len()` if none.
#[inline(always)]
pub(crate) fn plain_end(b: &[u8], i: usize) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::plain_end(b, i)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        words::plain_end(b, i)
    }
}

/// Whether every byte is ASCII (below 0x80).
#[inline]
pub(crate) fn is_ascii(b: &[u8]) -> bool {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::is_ascii(b)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        words::is_ascii(b)
    }
}

/// Whether `b` is UTF-8: the ASCII scan first (most bodies), the full check otherwise.
#[inline]
pub(crate) fn is_utf8(b: &[u8]) -> bool {
    is_ascii(b) || std::str::from_utf8(b).is_ok()
}

/// The block scans on `core::arch::wasm32` SIMD128 vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;

    /// The 16 bytes at `p` (unaligned).
    #[inline(always)]
    fn load(b: &[u8], at: usize) -> v128 {
        debug_assert!(at + 16 <= b.len());
        // SAFETY: the callers only load blocks that lie inside `b`; v128_load is unaligned.
        unsafe { v128_load(b.as_ptr().add(at) as *const v128) }
    }

    #[inline(always)]
    pub(super) fn plain_end(b: &[u8], mut i: usize) -> usize {
        let quote = u8x16_splat(b'"');
        let slash = u8x16_splat(b'\\');
        let space = u8x16_splat(0x20);
        while i + 16 <= b.len() {
            let v = load(b, i);
            let hit = v128_or(
                v128_or(i8x16_eq(v, quote), i8x16_eq(v, slash)),
                u8x16_lt(v, space),
            );
            let mask = i8x16_bitmask(hit) as u32;
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
        super::words::plain_end(b, i)
    }

    pub(super) fn is_ascii(b: &[u8]) -> bool {
        let mut i = 0;
        let mut acc = u8x16_splat(0);
        while i + 64 <= b.len() {
            acc = v128_or(
                acc,
                v128_or(
                    v128_or(load(b, i), load(b, i + 16)),
                    v128_or(load(b, i + 32), load(b, i + 48)),
                ),
            );
            i += 64;
        }
        while i + 16 <= b.len() {
            acc = v128_or(acc, load(b, i));
            i += 16;
        }
        i8x16_bitmask(acc) == 0 && b[i..].iter().all(|c| *c < 0x80)
    }
}

/// The same scans on eight-byte words (SWAR), for builds without SIMD128 and for the tails.
mod words {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    /// High bit set in each byte of `v` that is `"`, `\` or below 0x20. Exact for the lowest
    /// flagged byte (the only one used): borrows only move upwards.
    #[inline(always)]
    pub(super) fn specials8(v: u64) -> u64 {
        let quote = v ^ (ONES * b'"' as u64);
        let slash = v ^ (ONES * b'\\' as u64);
        ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (v.wrapping_sub(ONES * 0x20) & !v))
            & HIGH
    }

    #[inline(always)]
    pub(super) fn plain_end(b: &[u8], mut i: usize) -> usize {
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let special = specials8(u64::from_le_bytes(word));
            if special != 0 {
                return i + (special.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return i;
            }
            i += 1;
        }
        b.len().max(i)
    }

    #[allow(dead_code)] // the wasm SIMD build uses only plain_end's tail from here
    pub(super) fn is_ascii(b: &[u8]) -> bool {
        let mut chunks = b.chunks_exact(8);
        let mut acc = 0u64;
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            acc |= u64::from_le_bytes(word);
        }
        acc & HIGH == 0 && chunks.remainder().iter().all(|c| *c < 0x80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block algorithm of `simd`, on sixteen lanes emulated with two words: what the
    /// wasm build computes, checked natively.
    fn blocks_plain_end(b: &[u8], mut i: usize) -> usize {
        while i + 16 <= b.len() {
            let mut mask = 0u32;
            for (k, &c) in b[i..i + 16].iter().enumerate() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    mask |= 1 << k;
                }
            }
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
        words::plain_end(b, i)
    }

    fn bytewise_plain_end(b: &[u8], i: usize) -> usize {
        (i..b.len())
            .find(|&k| b[k] == b'"' || b[k] == b'\\' || b[k] < 0x20)
            .unwrap_or(b.len().max(i))
    }

    use crate::test_rng::Rng;

    fn text(rng: &mut Rng, len: usize, rare: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| {
                if rng.next() % 23 == 0 {
                    rare[(rng.next() % rare.len() as u64) as usize]
                } else {
                    b' ' + (rng.next() % 95) as u8
                }
            })
            .collect()
    }

    /// Every implementation of the string scan ends where a byte-at-a-time one does.
    #[test]
    fn plain_runs_end_where_a_bytewise_scan_ends() {
        let mut rng = Rng(0x5eed);
        let rare: &[u8] = b"\"\\\x00\x01\x1f\x7f\x80\xc3\xa9\xff";
        for _ in 0..100_000 {
            let len = (rng.next() % 70) as usize;
            let mut b = text(&mut rng, len, rare);
            if rng.next() % 3 == 0 {
                b.retain(|c| *c != b'"' && *c != b'\\' && *c >= 0x20);
            }
            let i = (rng.next() % (b.len() as u64 + 2)) as usize;
            let want = bytewise_plain_end(&b, i);
            assert_eq!(plain_end(&b, i), want, "{:?} from {}", b, i);
            assert_eq!(words::plain_end(&b, i), want, "{:?} from {}", b, i);
            assert_eq!(blocks_plain_end(&b, i), want, "{:?} from {}", b, i);
        }
    }

    /// The ASCII scans agree with the standard library's, at every length and position of a
    /// high byte (block bodies, tails, and the four-block unrolled loop).
    #[test]
    fn ascii_scans_agree_with_std() {
        let mut rng = Rng(99);
        for len in 0..300 {
            let mut b: Vec<u8> = (0..len).map(|_| (rng.next() % 128) as u8).collect();
            assert!(is_ascii(&b) && words::is_ascii(&b), "{}", len);
            if len > 0 {
                let at = (rng.next() % len as u64) as usize;
                b[at] = 0x80 | (rng.next() as u8);
                assert!(!is_ascii(&b) && !words::is_ascii(&b), "{} at {}", len, at);
                assert_eq!(is_utf8(&b), std::str::from_utf8(&b).is_ok());
            }
        }
        for t in ["h\u{e9}llo", "\u{65e5}\u{672c}", "plain"] {
            assert!(is_utf8(t.as_bytes()));
        }
        assert!(!is_utf8(b"ab\xed\xa0\x80cd"));
        assert!(!is_utf8(b"\xff"));
    }
}
