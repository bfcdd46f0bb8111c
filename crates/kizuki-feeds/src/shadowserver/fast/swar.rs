//! Checks on a field a word at a time, without a branch per byte.
//!
//! A quick way reads a field through a *window*: a fixed number of bytes
//! from the field's start ([`Fields::window`](crate::csvio::Fields::window)),
//! the field's own bytes and then whatever follows it in the data. Each
//! check here turns the window into bit masks of byte classes (bit `i` for
//! byte `i`) and keeps the bits below the field's length. A value whose
//! checks would otherwise loop over its bytes, stopping at a place that
//! differs from row to row (a mispredicted branch each time), is then
//! checked in a fixed number of steps. Windows of whole 16-byte chunks are
//! compared with SSE2 on x86_64; elsewhere, and for 8-byte windows, eight
//! bytes at a time in a `u64` (SWAR).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bits of `h` (one per byte, nothing else set) as the low eight
/// bits of the result, byte `i`'s at bit `i`.
#[inline(always)]
fn gather(h: u64) -> u64 {
    // After the shift byte i's bit is bit 8i; the multiplier has bits
    // 7j + 7 for j in 0..8, so it lands on 8i + 7j + 7, which is 56 + i
    // for j = 7 - i. No two of the 64 products share a place, so nothing
    // carries.
    ((h >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// The bytes of `w` equal to `c`, as high bits.
#[inline(always)]
fn eq_word(w: u64, c: u8) -> u64 {
    let x = w ^ (ONES * u64::from(c));
    !(((x & !HIGH) + !HIGH) | x) & HIGH
}

/// The bytes of `w` from `lo` to `hi` (both below 0x80), as high bits.
#[inline(always)]
fn range_word(w: u64, lo: u8, hi: u8) -> u64 {
    let x = w & !HIGH;
    // Per byte, no carry leaves a byte: x <= 0x7f and each addend <= 0x80.
    let at_least_lo = x + ONES * u64::from(0x80 - lo);
    let above_hi = x + ONES * u64::from(0x7f - hi);
    at_least_lo & !above_hi & !w & HIGH
}

/// A mask over a window: `word` gives the high bits of its matching bytes.
#[inline(always)]
fn mask<const N: usize>(w: &[u8; N], word: impl Fn(u64) -> u64) -> u64 {
    let mut m = 0;
    for (k, c) in w.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        m |= gather(word(u64::from_le_bytes(b))) << (8 * k);
    }
    m
}

/// A mask over a window of whole 16-byte chunks: `chunk` gives the bits
/// of one chunk.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn mask16<const N: usize>(w: &[u8; N], chunk: impl Fn(&[u8; 16]) -> u64) -> u64 {
    let mut m = 0;
    for (k, c) in w.chunks_exact(16).enumerate() {
        if let Ok(c) = <&[u8; 16]>::try_from(c) {
            m |= chunk(c) << (16 * k);
        }
    }
    m
}

/// One 16-byte chunk compared at once (SSE2, part of every x86_64 target).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// The bits of `f` applied to the chunk as a vector.
    #[inline(always)]
    fn bits(c: &[u8; 16], f: impl Fn(__m128i) -> __m128i) -> u64 {
        // SAFETY: SSE2 is enabled on every x86_64 target; the load reads
        // exactly the 16 bytes of `c` (unaligned loads allowed).
        #[allow(unsafe_code)]
        unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast());
            u64::from(_mm_movemask_epi8(f(v)) as u16)
        }
    }

    /// The bytes equal to `b`.
    #[inline(always)]
    pub(super) fn eq(c: &[u8; 16], b: u8) -> u64 {
        // SAFETY: SSE2 is enabled on every x86_64 target; no memory access.
        #[allow(unsafe_code)]
        bits(c, |v| unsafe { _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)) })
    }

    /// The bytes from `lo` to `hi`, for `1 <= lo <= hi <= 0x7e`. The
    /// comparisons are signed, so bytes from 0x80 up (negative) are below
    /// `lo`.
    #[inline(always)]
    pub(super) fn range(c: &[u8; 16], lo: u8, hi: u8) -> u64 {
        debug_assert!(1 <= lo && lo <= hi && hi <= 0x7e);
        // SAFETY: SSE2 is enabled on every x86_64 target; no memory access.
        #[allow(unsafe_code)]
        bits(c, |v| unsafe {
            _mm_and_si128(
                _mm_cmpgt_epi8(v, _mm_set1_epi8((lo - 1) as i8)),
                _mm_cmplt_epi8(v, _mm_set1_epi8((hi + 1) as i8)),
            )
        })
    }
}

/// The bytes equal to `c`.
#[inline(always)]
pub(super) fn eq<const N: usize>(w: &[u8; N], c: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if N.is_multiple_of(16) {
        return mask16(w, |chunk| sse2::eq(chunk, c));
    }
    mask(w, |x| eq_word(x, c))
}

/// The bytes from `lo` to `hi` (both printable ASCII).
#[inline(always)]
pub(super) fn range<const N: usize>(w: &[u8; N], lo: u8, hi: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if N.is_multiple_of(16) {
        return mask16(w, |chunk| sse2::range(chunk, lo, hi));
    }
    mask(w, |x| range_word(x, lo, hi))
}

/// The ASCII digits.
#[inline(always)]
pub(super) fn digits<const N: usize>(w: &[u8; N]) -> u64 {
    range(w, b'0', b'9')
}

/// The bits of the first `len` bytes (`len` at most 64).
#[inline(always)]
pub(super) fn below(len: usize) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

/// Three bytes from `at` (wrapping inside the window) as one number, to
/// compare three digits as text (`"255"` and such).
#[inline(always)]
fn three(w: &[u8; 16], at: usize) -> u32 {
    let get = |i: usize| u32::from(w[(at + i) & 15]);
    (get(0) << 16) | (get(1) << 8) | get(2)
}

/// Whether the first `len` bytes of `w` are a strict dotted quad other
/// than `0.0.0.0`: exactly what `parse_dotted_quad(..).is_some_and(|ip|
/// !ip.is_unspecified())` accepts.
#[inline]
pub(super) fn dotted_quad(w: &[u8; 16], len: usize) -> bool {
    if !(7..=15).contains(&len) {
        return false;
    }
    let m = below(len);
    let dots = eq(w, b'.') & m;
    if (digits(w) | dots) & m != m || dots.count_ones() != 3 {
        return false;
    }
    let p1 = dots.trailing_zeros() as usize;
    let rest = dots & (dots - 1);
    let p2 = rest.trailing_zeros() as usize;
    let p3 = (rest & (rest - 1)).trailing_zeros() as usize;
    let mut ok = true;
    let mut zeros = 0;
    for (start, end) in [(0, p1), (p1 + 1, p2), (p2 + 1, p3), (p3 + 1, len)] {
        let n = end.wrapping_sub(start);
        let lead = w[start.min(15)];
        ok &= (1..=3).contains(&n);
        // No leading zero; three digits at most "255".
        ok &= !(n > 1 && lead == b'0');
        ok &= n != 3 || three(w, start) <= 0x32_35_35;
        zeros += usize::from(n == 1 && lead == b'0');
    }
    ok && zeros < 4
}

/// Whether the first `len` bytes of `w` are digits that need no rewriting
/// as a number (no leading zero, unless the number is `0`), at most eight,
/// and, for a port, at most 65535.
#[inline(always)]
pub(super) fn canonical_number(w: &[u8; 8], len: usize, port: bool) -> bool {
    if !(1..=8).contains(&len) {
        return false;
    }
    let m = below(len);
    let word = u64::from_le_bytes(*w);
    if gather(range_word(word, b'0', b'9')) & m != m || (w[0] == b'0' && len > 1) {
        return false;
    }
    // Five digits compared as text: the first five bytes, big-endian.
    let five = |w: &[u8; 8]| u64::from_be_bytes(*w) >> 24;
    !port || len < 5 || (len == 5 && five(w) <= five(b"65535\0\0\0"))
}

/// Whether the first `len` bytes of `w` are a domain name the `Fqdn` rule
/// keeps as it is (see `plain_domain`): lower-case letters, digits, hyphens
/// and dots, no empty label, and a letter or hyphen somewhere. Labels of
/// more than 63 bytes cannot occur in a window of 64 bytes at most.
#[inline(always)]
pub(super) fn plain_domain<const N: usize>(w: &[u8; N], len: usize) -> bool {
    if len == 0 || len > N || N > 64 {
        return false;
    }
    let m = below(len);
    let dots = eq(w, b'.') & m;
    let wordy = (range(w, b'a', b'z') | eq(w, b'-')) & m;
    let all = wordy | (digits(w) & m) | dots;
    all == m
        && wordy != 0
        && dots & 1 == 0
        && dots & (1 << (len - 1)) == 0
        && dots & (dots >> 1) == 0
}

/// Whether the first `len` bytes of `w` are all ASCII letters, digits, `.`,
/// `-`, `_` or `:` (a host the URL rule reads as a whole network location),
/// and hold no `xx` (so no `hxxp` to rewrite).
#[inline(always)]
pub(super) fn plain_host<const N: usize>(w: &[u8; N], len: usize) -> bool {
    if len == 0 || len > N {
        return false;
    }
    let m = below(len);
    // `-` `.`, `0`-`9` `:`, `A`-`Z`, `_`, `a`-`z`.
    let all = range(w, b'-', b'.')
        | range(w, b'0', b':')
        | range(w, b'A', b'Z')
        | eq(w, b'_')
        | range(w, b'a', b'z');
    let x = eq(w, b'x') & m;
    all & m == m && x & (x >> 1) == 0
}

/// The part of an HTTP request line (or a URL path) that
/// `convert_http_host_and_url` keeps: from the first `/` up to the first
/// space after it, as a range of `w`'s first `len` bytes; `None` when that
/// part may hold `hxxp` (any `xx`), which the general way handles.
#[inline(always)]
pub(super) fn request_path<const N: usize>(w: &[u8; N], len: usize) -> Option<(usize, usize)> {
    if len > N || N > 64 {
        return None;
    }
    let m = below(len);
    let start = (eq(w, b'/') & m).trailing_zeros().min(len as u32) as usize;
    let spaces = eq(w, b' ') & m & !below(start);
    let end = spaces.trailing_zeros().min(len as u32) as usize;
    let x = eq(w, b'x') & below(end) & !below(start);
    (x & (x >> 1) == 0).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::xorshift;

    fn window<const N: usize>(b: &[u8], junk: u8) -> [u8; N] {
        let mut w = [junk; N];
        w[..b.len()].copy_from_slice(b);
        w
    }

    /// Both ways of computing a mask (SSE2 chunks for 32 bytes, SWAR words
    /// for 24) against a byte loop, on random bytes.
    #[test]
    fn masks_agree_with_a_byte_loop() {
        fn check<const N: usize>(w: &[u8; N], lo: u8, hi: u8, c: u8) {
            let slow = |f: &dyn Fn(u8) -> bool| {
                w.iter()
                    .enumerate()
                    .fold(0u64, |m, (i, &b)| m | (u64::from(f(b)) << i))
            };
            assert_eq!(range(w, lo, hi), slow(&|b| (lo..=hi).contains(&b)));
            assert_eq!(eq(w, c), slow(&|b| b == c));
            assert_eq!(digits(w), slow(&|b| b.is_ascii_digit()));
        }
        let mut next = xorshift(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let mut w = [0u8; 32];
            for b in &mut w {
                *b = next() as u8;
            }
            let (lo, hi) = {
                let a = (1 + next() % 0x7e) as u8;
                let b = (1 + next() % 0x7e) as u8;
                (a.min(b), a.max(b))
            };
            let c = w[(next() % 32) as usize];
            check(&w, lo, hi, c);
            let mut short = [0u8; 24];
            short.copy_from_slice(&w[..24]);
            check(&short, lo, hi, c);
        }
        for b in 0..=255u8 {
            let w = [b; 8];
            assert_eq!(eq(&w, b), 0xff);
            assert_eq!(digits(&w), if b.is_ascii_digit() { 0xff } else { 0 }, "{b}");
            let w = [b; 16];
            assert_eq!(eq(&w, b), 0xffff);
            assert_eq!(
                digits(&w),
                if b.is_ascii_digit() { 0xffff } else { 0 },
                "{b}"
            );
        }
    }

    #[test]
    fn dotted_quads_agree_with_the_parser() {
        let strict =
            |b: &[u8]| kizuki_event::parse_dotted_quad(b).is_some_and(|ip| !ip.is_unspecified());
        let mut cases: Vec<Vec<u8>> = [
            "0.0.0.0",
            "0.0.0.1",
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "1.1.1.256",
            "01.1.1.1",
            "1.1.1.01",
            "1.1.1.",
            ".1.1.1",
            "1..1.1",
            "1.1.1.1.",
            "1.1.1.1.1",
            "1111.1.1.1",
            "1.1.1.1111",
            "199.99.9.0",
            "249.250.251.252",
            "259.1.1.1",
            "1.1.1.1 ",
            "1.1.1.a",
            "192.0.2.10",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let mut next = xorshift(0xfeed_beef_1234_5678);
        let alphabet = b"0123456789...255x ";
        for _ in 0..200_000 {
            let len = (next() % 17) as usize;
            cases.push(
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect(),
            );
            let oct = |n: u64| (n % 300).to_string();
            cases.push(
                format!(
                    "{}.{}.{}.{}",
                    oct(next()),
                    oct(next()),
                    oct(next()),
                    oct(next())
                )
                .into_bytes(),
            );
        }
        for b in &cases {
            if b.len() > 16 {
                continue;
            }
            for junk in [b'0', b'.', b'9', 0] {
                let w: [u8; 16] = window(b, junk);
                assert_eq!(
                    dotted_quad(&w, b.len()),
                    strict(b),
                    "{}",
                    String::from_utf8_lossy(b)
                );
            }
        }
    }

    #[test]
    fn numbers() {
        let w = |s: &str| window::<8>(&s.as_bytes()[..s.len().min(8)], b'7');
        for (s, port, ok) in [
            ("0", true, true),
            ("00", false, false),
            ("007", false, false),
            ("65535", true, true),
            ("65536", true, false),
            ("65536", false, true),
            ("99999", true, false),
            ("100000", true, false),
            ("12345678", false, true),
            ("123456789", false, false),
            ("12a", false, false),
            ("", false, false),
            ("-1", false, false),
            ("1 ", false, false),
        ] {
            assert_eq!(canonical_number(&w(s), s.len(), port), ok, "{s} {port}");
        }
    }

    #[test]
    fn domains_and_hosts() {
        for &name in super::super::quick::DOMAINS {
            let w: [u8; 32] = window(name.as_bytes(), b'a');
            assert_eq!(
                plain_domain(&w, name.len()),
                super::super::quick::plain_domain(name.as_bytes()),
                "{name}"
            );
            if name.len() <= 16 {
                let w: [u8; 16] = window(name.as_bytes(), b'.');
                assert_eq!(
                    plain_domain(&w, name.len()),
                    super::super::quick::plain_domain(name.as_bytes()),
                    "{name}"
                );
            }
            assert_eq!(
                plain_domain(&w, name.len()),
                super::super::quick::plain_domain(name.as_bytes()),
                "{name}"
            );
        }
        let host = |s: &str| plain_host::<32>(&window(s.as_bytes(), b'a'), s.len());
        assert!(host("gate.example.net"));
        assert!(host("198.51.100.7:8080"));
        assert!(host("Under_Score-1"));
        assert!(!host("a b"));
        assert!(!host("hxxp.example"));
        assert!(!host(""));
        assert!(!host("a/b"));
    }

    #[test]
    fn request_paths() {
        fn path(s: &str) -> Option<&str> {
            let w: [u8; 64] = window(s.as_bytes(), b' ');
            request_path(&w, s.len()).map(|(a, b)| &s[a..b])
        }
        assert_eq!(path("GET /a/b HTTP/1.1"), Some("/a/b"));
        assert_eq!(path("/a/b"), Some("/a/b"));
        assert_eq!(path("no slash"), Some(""));
        assert_eq!(path("GET /hxxp://x HTTP/1.1"), None);
        assert_eq!(path("GET /a HTTP/1.1 xx"), Some("/a"));
        assert_eq!(path("xx GET /a"), Some("/a"));
        assert_eq!(path(""), Some(""));
    }
}
