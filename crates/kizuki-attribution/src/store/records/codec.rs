//! `records.bin`: a day's rows, each stored as the bytes in which it
//! differs from the row before it.
//!
//! Rows in day order differ from their neighbour in a few fields (the
//! session, the holder, the line, the ports), so a row takes a 9-byte mask
//! of the bytes that changed plus those bytes: 20-30 bytes instead of 72.
//! The day's file is a third of the size, which is a third of the fresh
//! page-cache pages an import writes.
//!
//! ```text
//! header  "KZREC\x02\0\0", rows (u64 LE)
//! blocks  up to BLOCK rows each; the first against an all-zero row
//! index   per block: first time (i64), offset (u64), rows (u64)
//! footer  index offset (u64), "KZREC\x02\0\0"
//! ```
//!
//! The index lets `whois-at` decode only the blocks around its time. A
//! file without the magic is the earlier form, rows as they are in memory,
//! and is still read.

use super::DiskRecord;
use bytemuck::Zeroable;
use std::io::Write;

const MAGIC: &[u8; 8] = b"KZREC\x02\0\0";
/// Rows per block.
const BLOCK: usize = 4096;
const ROW: usize = std::mem::size_of::<DiskRecord>();
/// Bytes of a row's mask: one bit per byte of the row.
const MASK: usize = ROW.div_ceil(8);
const WORDS: usize = ROW / 8;
const _: () = assert!(ROW.is_multiple_of(8) && MASK == WORDS);

/// One block as the index describes it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct BlockRef {
    pub first_time: i64,
    pub offset: usize,
    pub rows: usize,
}

/// Which bytes of two 8-byte words differ, as 8 bits (bit k: byte k).
fn changed(a: u64, b: u64) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = a ^ b;
    // Bit 7 of each byte set where that byte of `x` is not zero (no carry
    // crosses a byte: the sum is at most 0xfe).
    let high = (((x & LOW7) + LOW7) | x) & !LOW7;
    // Gathers bit 7 of byte k into bit 56 + k (every product term lands
    // on its own bit, so nothing carries).
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// The row as words, each read little-endian (so that byte k of word w
/// is byte 8w + k of the row on any machine).
fn words(r: &DiskRecord) -> [u64; WORDS] {
    bytemuck::cast::<DiskRecord, [u64; WORDS]>(*r).map(u64::from_le)
}

/// Appends `row` as it differs from `prev`.
fn put(out: &mut Vec<u8>, prev: &[u64; WORDS], row: &[u64; WORDS]) {
    let mut buf = [0u8; MASK + ROW];
    let mut n = MASK;
    for k in 0..WORDS {
        let mut m = changed(prev[k], row[k]);
        buf[k] = m;
        let bytes = row[k].to_le_bytes();
        while m != 0 {
            buf[n] = bytes[m.trailing_zeros() as usize];
            n += 1;
            m &= m - 1;
        }
    }
    out.extend_from_slice(&buf[..n]);
}

/// Writes `rows` (the parts, in order) to `w`.
pub(super) fn write(rows: &[Vec<DiskRecord>], w: &mut impl Write) -> std::io::Result<()> {
    let total: usize = rows.iter().map(Vec::len).sum();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(total as u64).to_le_bytes());
    let mut written = 0usize;
    let mut index: Vec<BlockRef> = Vec::with_capacity(total / BLOCK + 1);
    let mut prev = [0u64; WORDS];
    for (i, r) in rows.iter().flatten().enumerate() {
        if i % BLOCK == 0 {
            index.push(BlockRef {
                first_time: r.time,
                offset: written + buf.len(),
                rows: 0,
            });
            prev = [0u64; WORDS];
        }
        if let Some(b) = index.last_mut() {
            b.rows += 1;
        }
        let row = words(r);
        put(&mut buf, &prev, &row);
        prev = row;
        if buf.len() >= (1 << 20) - 2 * (MASK + ROW) {
            w.write_all(&buf)?;
            written += buf.len();
            buf.clear();
        }
    }
    let index_at = written + buf.len();
    for b in &index {
        buf.extend_from_slice(&b.first_time.to_le_bytes());
        buf.extend_from_slice(&(b.offset as u64).to_le_bytes());
        buf.extend_from_slice(&(b.rows as u64).to_le_bytes());
    }
    buf.extend_from_slice(&(index_at as u64).to_le_bytes());
    buf.extend_from_slice(MAGIC);
    w.write_all(&buf)
}

/// The stored rows of a file's bytes: how many, and the blocks.
pub(super) struct Stored<'a> {
    bytes: &'a [u8],
    pub rows: usize,
    pub blocks: Vec<BlockRef>,
}

fn le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `bytes` are in this form (rather than the earlier, raw one).
pub(super) fn is_encoded(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

impl<'a> Stored<'a> {
    /// Reads the header, footer and index; `None` when they are damaged.
    pub(super) fn open(bytes: &'a [u8]) -> Option<Stored<'a>> {
        if !bytes.starts_with(MAGIC) || !bytes.ends_with(MAGIC) || bytes.len() < 32 {
            return None;
        }
        let rows = usize::try_from(le(bytes, 8)?).ok()?;
        let index_at = usize::try_from(le(bytes, bytes.len() - 16)?).ok()?;
        let index = bytes.get(index_at..bytes.len() - 16)?;
        if !index.len().is_multiple_of(24) {
            return None;
        }
        let mut blocks = Vec::with_capacity(index.len() / 24);
        for e in index.chunks_exact(24) {
            let b = BlockRef {
                first_time: le(e, 0)? as i64,
                offset: usize::try_from(le(e, 8)?).ok()?,
                rows: usize::try_from(le(e, 16)?).ok()?,
            };
            if b.offset < 16 || b.offset > index_at || b.rows == 0 || b.rows > BLOCK {
                return None;
            }
            blocks.push(b);
        }
        if blocks.iter().map(|b| b.rows).sum::<usize>() != rows {
            return None;
        }
        Some(Stored {
            bytes: &bytes[..index_at],
            rows,
            blocks,
        })
    }

    /// Appends block `i`'s rows to `out`; `None` when it is damaged.
    pub(super) fn block(&self, i: usize, out: &mut Vec<DiskRecord>) -> Option<()> {
        let b = self.blocks.get(i)?;
        let end = self
            .blocks
            .get(i + 1)
            .map_or(self.bytes.len(), |n| n.offset);
        let src = self.bytes.get(b.offset..end)?;
        let mut at = 0;
        let mut row = [0u8; ROW];
        for _ in 0..b.rows {
            let mask = src.get(at..at + MASK)?;
            at += MASK;
            for (k, &m) in mask.iter().enumerate() {
                let mut m = m;
                while m != 0 {
                    row[8 * k + m.trailing_zeros() as usize] = *src.get(at)?;
                    at += 1;
                    m &= m - 1;
                }
            }
            out.push(bytemuck::pod_read_unaligned(&row));
        }
        (at == src.len()).then_some(())
    }

    /// Every row; `None` when a block is damaged.
    pub(super) fn all(&self) -> Option<Vec<DiskRecord>> {
        let mut out = Vec::with_capacity(self.rows);
        for i in 0..self.blocks.len() {
            self.block(i, &mut out)?;
        }
        Some(out)
    }

    /// The blocks that may hold rows with times in `[t0, t1]`.
    pub(super) fn blocks_between(&self, t0: i64, t1: i64) -> std::ops::Range<usize> {
        // Block i holds times from its first to the next block's first.
        let after = self.blocks.partition_point(|b| b.first_time <= t1);
        let before = self.blocks.partition_point(|b| b.first_time < t0);
        before.saturating_sub(1)..after
    }
}

/// Rows of the earlier form: the bytes are the rows as in memory.
pub(super) fn raw_rows(bytes: &[u8]) -> Option<Vec<DiskRecord>> {
    if !bytes.len().is_multiple_of(ROW) {
        return None;
    }
    let mut rows = vec![DiskRecord::zeroed(); bytes.len() / ROW];
    bytemuck::cast_slice_mut::<DiskRecord, u8>(&mut rows).copy_from_slice(bytes);
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn changed_bytes_match_a_byte_by_byte_comparison() {
        let mut next = xorshift(3);
        for _ in 0..20_000 {
            let a = next();
            // Mostly equal bytes, some different, some high bits.
            let b = a ^ (next() & next() & next());
            let want = (0..8).fold(0u8, |m, k| {
                m | (u8::from(a.to_le_bytes()[k] != b.to_le_bytes()[k]) << k)
            });
            assert_eq!(changed(a, b), want, "{a:016x} {b:016x}");
        }
        assert_eq!(changed(0, 0x80), 1);
        assert_eq!(changed(0, 0x8000_0000_0000_0000), 0x80);
        assert_eq!(changed(u64::MAX, 0), 0xff);
    }

    fn rows(n: usize, seed: u64) -> Vec<DiskRecord> {
        let mut next = xorshift(seed);
        let mut t = 1_614_000_000i64;
        (0..n)
            .map(|i| {
                t += i64::from(next().is_multiple_of(3));
                let mut r = DiskRecord::zeroed();
                r.time = t;
                r.session = next();
                r.holder = next() % 1000;
                r.addr[12..].copy_from_slice(&((next() % 5) as u32).to_be_bytes());
                r.line = i as u32;
                r.lo = (next() % 60000) as u16;
                r.hi = r.lo.saturating_add(511);
                r.start = if next().is_multiple_of(7) {
                    -5
                } else {
                    i32::MIN
                };
                r.flags = (next() % 8) as u8;
                r
            })
            .collect()
    }

    #[test]
    fn rows_come_back_as_written_from_any_parts() {
        for n in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17] {
            let all = rows(n, n as u64 + 1);
            let parts: Vec<Vec<DiskRecord>> = all.chunks(1000).map(<[_]>::to_vec).collect();
            let mut bytes = Vec::new();
            write(&parts, &mut bytes).unwrap();
            assert!(is_encoded(&bytes));
            let s = Stored::open(&bytes).unwrap();
            assert_eq!(s.rows, n);
            assert_eq!(s.blocks.len(), n.div_ceil(BLOCK));
            assert_eq!(s.all().unwrap(), all, "{n} rows");
            if n > 100 {
                assert!(
                    bytes.len() < n * ROW / 2,
                    "{} bytes for {n} rows",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn the_blocks_around_a_time_hold_every_row_of_it() {
        let all = rows(5 * BLOCK + 3, 9);
        let mut bytes = Vec::new();
        write(std::slice::from_ref(&all), &mut bytes).unwrap();
        let s = Stored::open(&bytes).unwrap();
        let mut next = xorshift(5);
        for _ in 0..200 {
            let t0 = all[0].time - 2 + (next() % 8000) as i64;
            let t1 = t0 + (next() % 3) as i64;
            let mut got = Vec::new();
            for b in s.blocks_between(t0, t1) {
                s.block(b, &mut got).unwrap();
            }
            got.retain(|r| r.time >= t0 && r.time <= t1);
            let want: Vec<DiskRecord> = all
                .iter()
                .filter(|r| r.time >= t0 && r.time <= t1)
                .copied()
                .collect();
            assert_eq!(got, want, "{t0}..={t1}");
        }
    }

    #[test]
    fn damage_is_found_and_never_panics() {
        let all = rows(2 * BLOCK + 5, 4);
        let mut bytes = Vec::new();
        write(std::slice::from_ref(&all), &mut bytes).unwrap();
        for cut in [0, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            assert!(Stored::open(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        // A changed mask byte makes its block the wrong length.
        let mut bad = bytes.clone();
        bad[16] ^= 0x40;
        let s = Stored::open(&bad).unwrap();
        assert!(s.all().is_none());
        let mut next = xorshift(8);
        for _ in 0..300 {
            let mut b = bytes.clone();
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
            if let Some(s) = Stored::open(&b) {
                let _ = s.all();
            }
        }
        assert!(raw_rows(&bytes[..ROW * 2 + 1]).is_none());
    }
}
