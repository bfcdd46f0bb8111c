//! Plain lines, split without the csv crate: the common case of a report
//! row, read 64 bytes at a time as bit masks.

/// Bit masks of a 16-byte block: delimiters, quotes, line-break bytes,
/// bytes outside ASCII, and ASCII bytes JSON text cannot hold as they are
/// (controls, DEL, backslash) (bit `i` for byte `i`).
#[cfg(target_arch = "x86_64")]
#[inline]
fn block_masks(b: &[u8; 16], delim: u8) -> [u32; 5] {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    let lo = i64::from_le_bytes(w);
    w.copy_from_slice(&b[8..]);
    let hi = i64::from_le_bytes(w);
    // SAFETY: SSE2 is part of every x86_64 target, and these intrinsics
    // only compute on values (no memory access).
    #[allow(unsafe_code)]
    unsafe {
        let v = _mm_set_epi64x(hi, lo);
        let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        let mask = |m| _mm_movemask_epi8(m) as u32;
        // Bytes below 0x20: those `max(v, 0x1f)` leaves at 0x1f.
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
        [
            mask(eq(delim)),
            mask(eq(b'"')),
            mask(_mm_or_si128(eq(b'\r'), eq(b'\n'))),
            mask(v),
            mask(_mm_or_si128(control, _mm_or_si128(eq(0x7f), eq(b'\\')))),
        ]
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_masks(b: &[u8; 16], delim: u8) -> [u32; 5] {
    let mut m = [0u32; 5];
    for (i, &c) in b.iter().enumerate() {
        m[0] |= u32::from(c == delim) << i;
        m[1] |= u32::from(c == b'"') << i;
        m[2] |= u32::from(c == b'\r' || c == b'\n') << i;
        m[3] |= u32::from(c >= 0x80) << i;
        m[4] |= u32::from(c < 0x20 || c == 0x7f || c == b'\\') << i;
    }
    m
}

/// Bit masks of a 64-byte block, as [`block_masks`] gives them.
#[inline]
fn block_masks64(b: &[u8; 64], delim: u8) -> [u64; 5] {
    let mut m = [0u64; 5];
    for (k, quarter) in b.chunks_exact(16).enumerate() {
        let Ok(q) = <&[u8; 16]>::try_from(quarter) else {
            continue;
        };
        for (acc, bits) in m.iter_mut().zip(block_masks(q, delim)) {
            *acc |= u64::from(bits) << (16 * k);
        }
    }
    m
}

/// [`block_masks64`] with AVX2: two 32-byte halves instead of four
/// 16-byte quarters.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
unsafe fn block_masks64_avx2(b: &[u8; 64], delim: u8) -> [u64; 5] {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    let mut m = [0u64; 5];
    for (k, half) in b.chunks_exact(32).enumerate() {
        // SAFETY: the load reads the 32 bytes of `half` (unaligned loads
        // allowed); the rest computes on values, with AVX2 present (the
        // caller's promise).
        let bits = unsafe {
            let v = _mm256_loadu_si256(half.as_ptr().cast::<__m256i>());
            let eq = |c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
            let mask = |x: __m256i| u64::from(_mm256_movemask_epi8(x) as u32);
            let low = _mm256_set1_epi8(0x1f);
            let control = _mm256_cmpeq_epi8(_mm256_max_epu8(v, low), low);
            [
                mask(eq(delim)),
                mask(eq(b'"')),
                mask(_mm256_or_si256(eq(b'\r'), eq(b'\n'))),
                mask(v),
                mask(_mm256_or_si256(
                    control,
                    _mm256_or_si256(eq(0x7f), eq(b'\\')),
                )),
            ]
        };
        for (acc, x) in m.iter_mut().zip(bits) {
            *acc |= x << (32 * k);
        }
    }
    m
}

/// The block masks, with AVX2 when `AVX2` (only ever true in code that
/// runs after checking the CPU has it, see [`split_plain`]).
#[inline(always)]
fn masks<const AVX2: bool>(b: &[u8; 64], delim: u8) -> [u64; 5] {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is true only in `split_plain_avx2`, which runs
        // once the CPU is known to have AVX2.
        #[allow(unsafe_code)]
        return unsafe { block_masks64_avx2(b, delim) };
    }
    block_masks64(b, delim)
}

/// Each bit set when an odd number of bits at or below it are set: the
/// bytes from an opening quote up to (not including) its closing quote.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// A plain line found by [`split_plain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlainLine {
    /// The line's length, without its terminator.
    pub len: usize,
    /// Where the next line starts (after `\n`, `\r\n`, or a `\r` that ends
    /// the data).
    pub next: usize,
    /// Whether the line ended with `\n`.
    pub newline: bool,
    /// Whether every byte is ASCII.
    pub ascii: bool,
    /// Whether every byte is printable ASCII other than a backslash, so
    /// that every field (which holds no quote) is JSON text as it is.
    pub json: bool,
}

/// Splits the first line of `rest` into field ranges if it is plain CSV:
/// every field either unquoted without quotes, or quoted without quotes or
/// line breaks inside (what nearly every row of a report is). Anything else
/// (including an empty line) returns `None`, and the caller hands the
/// record to the csv crate, whose reading is the reference.
///
/// The data is read 64 bytes at a time, as bit masks, up to the first line
/// break: quote parity marks the bytes inside quotes, so the delimiters that
/// end fields are known without visiting each quote, and "plain" is checked
/// on whole masks (every opening quote starts a field, every closing quote
/// ends one).
///
/// Uses AVX2 where the CPU has it, SSE2 (every x86_64) otherwise.
pub(super) fn split_plain(
    rest: &[u8],
    delim: u8,
    ranges: &mut Vec<(u32, u32)>,
) -> Option<PlainLine> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        #[allow(unsafe_code)]
        return unsafe { split_plain_avx2(rest, delim, ranges) };
    }
    split_plain_with::<false>(rest, delim, ranges)
}

/// [`split_plain`] compiled for AVX2.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unsafe_code)]
unsafe fn split_plain_avx2(
    rest: &[u8],
    delim: u8,
    ranges: &mut Vec<(u32, u32)>,
) -> Option<PlainLine> {
    split_plain_with::<true>(rest, delim, ranges)
}

/// [`split_plain`]'s body, with AVX2 block masks when `AVX2`.
#[inline(always)]
fn split_plain_with<const AVX2: bool>(
    rest: &[u8],
    delim: u8,
    ranges: &mut Vec<(u32, u32)>,
) -> Option<PlainLine> {
    ranges.clear();
    let mut start = 0usize;
    let mut high = 0u64;
    let mut escapes = 0u64;
    // All ones when the previous block ended inside quotes.
    let mut inside_before = 0u64;
    // Whether the previous block's last byte ended a field (a delimiter),
    // and whether it was a closing quote (which needs a delimiter next).
    let mut field_starts_here = 1u64;
    let mut close_pending = false;
    let mut base = 0usize;
    let line_len = loop {
        if base >= rest.len() {
            break rest.len();
        }
        let mut padded = [0u8; 64];
        let block: &[u8; 64] = match rest.get(base..base + 64) {
            Some(b) => <&[u8; 64]>::try_from(b).ok()?,
            None => {
                padded[..rest.len() - base].copy_from_slice(&rest[base..]);
                &padded
            }
        };
        let [mut d, mut q, breaks, mut upper, mut esc] = masks::<AVX2>(block, delim);
        // Bytes past the line (its break, or the data's end) do not count.
        let left = rest.len() - base;
        let stop = if breaks != 0 {
            breaks.trailing_zeros() as usize
        } else {
            left.min(64)
        };
        if stop < 64 {
            let keep = (1u64 << stop) - 1;
            d &= keep;
            q &= keep;
            upper &= keep;
            esc &= keep;
        }
        high |= upper;
        escapes |= esc;
        let inside = prefix_xor(q) ^ inside_before;
        let inside_at_block_start = inside_before;
        inside_before = 0u64.wrapping_sub(inside >> 63);
        let delims = d & !inside;
        let opens = q & inside;
        let closes = q & !inside;
        // A quote opens only at the start of a field.
        let starts = (delims << 1) | field_starts_here;
        if opens & !starts != 0 {
            return None;
        }
        // A quote closes only right before a delimiter or the line's end.
        let end = if stop < 64 { 1u64 << stop } else { 0 };
        if (closes << 1) & !(delims | end) != 0 || (close_pending && (delims | end) & 1 == 0) {
            return None;
        }
        close_pending = closes >> 63 == 1;
        field_starts_here = delims >> 63;
        let mut m = delims;
        while m != 0 {
            let at = base + m.trailing_zeros() as usize;
            m &= m - 1;
            ranges.push(field_range(rest, start, at));
            start = at + 1;
        }
        if stop < 64 {
            // A line that ends inside quotes runs over several lines.
            let ends_inside = match stop {
                0 => inside_at_block_start != 0,
                _ => (inside >> (stop - 1)) & 1 == 1,
            };
            if ends_inside {
                return None;
            }
            break base + stop;
        }
        if inside_before != 0 && base + 64 >= rest.len() {
            return None;
        }
        base += 64;
    };
    if line_len == 0 || line_len > u32::MAX as usize {
        return None;
    }
    let (next, newline) = match rest.get(line_len..) {
        None | Some([]) => (line_len, false),
        Some([b'\n', ..]) => (line_len + 1, true),
        Some([b'\r', b'\n', ..]) => (line_len + 2, true),
        // A carriage return that ends the data ends the line.
        Some([b'\r']) => (line_len + 1, false),
        // A lone carriage return: the csv crate decides.
        Some(_) => return None,
    };
    // After a trailing delimiter this is one more, empty, field.
    ranges.push(field_range(rest, start, line_len));
    Some(PlainLine {
        len: line_len,
        next,
        newline,
        ascii: high == 0,
        json: high == 0 && escapes == 0,
    })
}

/// A field's range, inside its quotes when it is quoted ([`split_plain`]
/// checked the closing quote is the field's last byte).
#[inline]
fn field_range(line: &[u8], start: usize, end: usize) -> (u32, u32) {
    if end > start && line[start] == b'"' {
        ((start + 1) as u32, (end - 1) as u32)
    } else {
        (start as u32, end as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvio::{reader, xorshift};

    /// Plain lines split here must split as the csv crate splits them.
    #[test]
    fn plain_split_agrees_with_the_csv_crate() {
        let short: &[&[u8]] = &[
            b"a",
            b"bc",
            b",",
            b"\"",
            b" ",
            b"\r",
            b"\"\"",
            b"\xc3\xa9",
            b"\\",
            b"\t",
        ];
        // Long lines, plain: whole quoted fields (some empty), text, UTF-8.
        let long: &[&[u8]] = &[
            b"a",
            b"bc",
            b",",
            b",\"q,r\",",
            b",\"\",",
            b" ",
            b"\xc3\xa9",
            b"1234567",
            b"\x7f",
            b"x",
            b"y",
            b"z",
            b",",
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let mut ranges = Vec::new();
        let (mut agreed, mut long_agreed) = (0, 0);
        for round in 0..60_000 {
            let (alphabet, len) = if round % 2 == 0 {
                (short, (next() % 40) as usize)
            } else {
                (long, (next() % 100) as usize)
            };
            let line: Vec<u8> = (0..len)
                .flat_map(|_| alphabet[(next() % alphabet.len() as u64) as usize].to_vec())
                .collect();
            // Both block-mask ways (AVX2 where the CPU has it) agree.
            let sse2 = split_plain_with::<false>(&line, b',', &mut ranges);
            let sse2_ranges = ranges.clone();
            let Some(plain) = split_plain(&line, b',', &mut ranges) else {
                assert_eq!(sse2, None, "{line:?}");
                continue;
            };
            assert_eq!(sse2, Some(plain), "{line:?}");
            assert_eq!(sse2_ranges, ranges, "{line:?}");
            let body = &line[..plain.len];
            assert_eq!(plain.ascii, body.is_ascii());
            let json = |c: &u8| (0x20..0x7f).contains(c) && *c != b'\\';
            assert_eq!(plain.json, body.iter().all(json), "{line:?}");
            assert!(
                plain.len == line.len() || &line[plain.len..] == b"\r",
                "{line:?}"
            );
            let mut rdr = reader(&line, b',');
            let mut rec = csv::ByteRecord::new();
            assert!(rdr.read_byte_record(&mut rec).unwrap(), "{line:?}");
            let theirs: Vec<&[u8]> = rec.iter().collect();
            let ours: Vec<&[u8]> = ranges
                .iter()
                .map(|(a, b)| &line[*a as usize..*b as usize])
                .collect();
            assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&line));
            assert!(
                !rdr.read_byte_record(&mut rec).unwrap(),
                "one record: {line:?}"
            );
            agreed += 1;
            long_agreed += usize::from(line.len() > 128);
        }
        assert!(agreed > 5_000, "too few plain lines generated: {agreed}");
        assert!(
            long_agreed > 1_000,
            "too few long plain lines: {long_agreed}"
        );
    }
}
