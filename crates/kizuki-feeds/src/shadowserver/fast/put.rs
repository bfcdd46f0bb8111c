//! Appending short byte strings without a call to `memcpy`.
//!
//! A JSON line of a report row is some forty keys and values of a few to
//! a few dozen bytes each. `Vec::extend_from_slice` hands each of them to
//! an out-of-line function that reserves room and then calls `memcpy`,
//! whose set-up costs more than such a copy. Here room is reserved once
//! for the longest short copy, and the bytes are moved with a fixed number
//! of unaligned loads and stores chosen by the length's size class.

/// Copies up to this many bytes inline.
const INLINE: usize = 32;

/// Copies `n` (at most [`INLINE`]) bytes from `src` to `dst`.
///
/// # Safety
///
/// `src` must be valid for reading `n` bytes and `dst` for writing `n`
/// bytes, and the two must not overlap.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{read_unaligned as rd, write_unaligned as wr};
    debug_assert!(n <= INLINE);
    // SAFETY (all arms): each load reads inside `src[..n]` and each store
    // writes inside `dst[..n]`; two overlapping moves cover the range.
    unsafe {
        if n >= 16 {
            let (a, b) = (
                rd(src.cast::<[u8; 16]>()),
                rd(src.add(n - 16).cast::<[u8; 16]>()),
            );
            wr(dst.cast::<[u8; 16]>(), a);
            wr(dst.add(n - 16).cast::<[u8; 16]>(), b);
        } else if n >= 8 {
            let (a, b) = (rd(src.cast::<u64>()), rd(src.add(n - 8).cast::<u64>()));
            wr(dst.cast::<u64>(), a);
            wr(dst.add(n - 8).cast::<u64>(), b);
        } else if n >= 4 {
            let (a, b) = (rd(src.cast::<u32>()), rd(src.add(n - 4).cast::<u32>()));
            wr(dst.cast::<u32>(), a);
            wr(dst.add(n - 4).cast::<u32>(), b);
        } else if n > 0 {
            // 1 to 3 bytes: first, middle, last.
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
    }
}

/// Appends `b`, then `tail` (at most 8 bytes, say a closing quote).
#[inline(always)]
#[allow(unsafe_code)]
fn append_with(out: &mut Vec<u8>, head: Option<u8>, b: &[u8], tail: &[u8]) {
    let n = b.len();
    if n > INLINE || tail.len() > 8 {
        out.extend(head);
        out.extend_from_slice(b);
        out.extend_from_slice(tail);
        return;
    }
    out.reserve(1 + INLINE + 8);
    let at = out.len();
    // SAFETY: `reserve` left room for 1 + INLINE + 8 bytes after `at`, and
    // at most 1 + n + tail.len() of them are written (n <= INLINE,
    // tail.len() <= 8), all before `set_len` counts them. `b` and `tail`
    // are borrowed apart from `out`'s spare room, so nothing overlaps.
    unsafe {
        let mut dst = out.as_mut_ptr().add(at);
        if let Some(h) = head {
            *dst = h;
            dst = dst.add(1);
        }
        copy_short(b.as_ptr(), dst, n);
        copy_short(tail.as_ptr(), dst.add(n), tail.len());
        out.set_len(at + usize::from(head.is_some()) + n + tail.len());
    }
}

/// Appends `b`.
#[inline(always)]
pub(super) fn append(out: &mut Vec<u8>, b: &[u8]) {
    append_with(out, None, b, &[]);
}

/// Appends `b` between double quotes (`b` needs no escaping).
#[inline(always)]
pub(super) fn append_quoted(out: &mut Vec<u8>, b: &[u8]) {
    append_with(out, Some(b'"'), b, b"\"");
}

/// Appends the first `len` bytes of `padded`, copying all of `padded`
/// (a fixed size, so a few plain moves) and keeping `len` of them.
#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn append_prefix<const N: usize>(out: &mut Vec<u8>, padded: &[u8; N], len: usize) {
    let len = len.min(N);
    out.reserve(N);
    let at = out.len();
    // SAFETY: `reserve` left room for N bytes after `at`; N are written and
    // `len` <= N of them counted. `padded` is not part of `out`.
    unsafe {
        std::ptr::copy_nonoverlapping(padded.as_ptr(), out.as_mut_ptr().add(at), N);
        out.set_len(at + len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_agree_with_extend() {
        let src: Vec<u8> = (0..80u8).map(|i| i.wrapping_mul(37)).collect();
        for pre in [0usize, 1, 7, 100] {
            for n in 0..=src.len() {
                let b = &src[..n];
                let start: Vec<u8> = (0..pre).map(|i| i as u8).collect();

                let mut out = start.clone();
                append(&mut out, b);
                let mut want = start.clone();
                want.extend_from_slice(b);
                assert_eq!(out, want, "append {pre} {n}");

                let mut out = start.clone();
                append_quoted(&mut out, b);
                let mut want = start.clone();
                want.push(b'"');
                want.extend_from_slice(b);
                want.push(b'"');
                assert_eq!(out, want, "quoted {pre} {n}");
            }
        }
        let mut padded = [b' '; 48];
        padded[..5].copy_from_slice(b"hello");
        let mut out = b"x".to_vec();
        append_prefix(&mut out, &padded, 5);
        assert_eq!(out, b"xhello");
        append_prefix(&mut out, &padded, 99);
        assert_eq!(out.len(), 6 + 48);
    }
}
