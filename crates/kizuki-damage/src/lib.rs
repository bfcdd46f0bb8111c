//! Damaged copies of inputs, for tests that readers survive bad input:
//! feeds and logs arrive broken, truncated, in the wrong encoding or with
//! lines out of place, and every reader must report such lines and go on.
//!
//! [`Damage`] makes seeded, reproducible copies of a good input with one
//! to three changes each: a byte changed, a piece put in (each test gives
//! the pieces that break its format: separators, quotes, overlong numbers,
//! bytes that are not UTF-8), the input cut short, a line dropped, doubled
//! or swapped, bytes of a line scattered. A seed and a count can come from
//! the environment (`KIZUKI_DAMAGE_SEED`, `KIZUKI_DAMAGE_VARIANTS`) to
//! search further than a test's default.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Pieces that break most text formats; a test adds its format's own.
pub const COMMON: &[&[u8]] = &[
    b" ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b",",
    b"\"",
    b"\\",
    b":",
    b"-",
    b"0",
    b"-1",
    b"65536",
    b"4294967296",
    b"99999999999999999999",
    b"256.1.1.1",
    b"::",
    b"2021-02-30 25:61:61",
    b"\xff\xfe",
    b"\xe3\x81",
    b"\x82\xa0",
    b"\x00",
];

/// A seeded source of damaged copies.
pub struct Damage {
    rng: ChaCha8Rng,
    pieces: Vec<&'static [u8]>,
    variants: usize,
}

fn env(key: &str) -> Option<u64> {
    std::env::var(key).ok().and_then(|v| v.parse().ok())
}

impl Damage {
    /// Damage from `seed`, or `KIZUKI_DAMAGE_SEED` when set, putting in
    /// [`COMMON`] pieces and `extra` ones; `variants` copies per input, or
    /// `KIZUKI_DAMAGE_VARIANTS` when set.
    pub fn new(seed: u64, variants: usize, extra: &[&'static [u8]]) -> Damage {
        let mut pieces = COMMON.to_vec();
        pieces.extend_from_slice(extra);
        Damage {
            rng: ChaCha8Rng::seed_from_u64(env("KIZUKI_DAMAGE_SEED").unwrap_or(seed)),
            pieces,
            variants: env("KIZUKI_DAMAGE_VARIANTS").map_or(variants, |v| v as usize),
        }
    }

    /// Copies made of each input.
    pub fn variants(&self) -> usize {
        self.variants
    }

    /// A copy of `data` with one to three changes.
    pub fn copy(&mut self, data: &[u8]) -> Vec<u8> {
        let mut d = data.to_vec();
        for _ in 0..self.rng.random_range(1..=3) {
            d = self.once(&d);
        }
        d
    }

    fn piece(&mut self) -> &'static [u8] {
        self.pieces[self.rng.random_range(0..self.pieces.len())]
    }

    fn once(&mut self, data: &[u8]) -> Vec<u8> {
        let mut d = data.to_vec();
        if d.is_empty() {
            return self.piece().to_vec();
        }
        let rng = &mut self.rng;
        match rng.random_range(0..8) {
            // A byte changed.
            0 => {
                let i = rng.random_range(0..d.len());
                d[i] = rng.random();
            }
            // A piece put in, in place of up to 12 bytes.
            1 | 2 => {
                let i = rng.random_range(0..=d.len());
                let cut = rng.random_range(0..=(d.len() - i).min(12));
                let piece = self.piece();
                d.splice(i..i + cut, piece.iter().copied());
            }
            // Cut short.
            3 => d.truncate(rng.random_range(0..d.len())),
            // A line dropped, doubled, or two lines swapped.
            4..=6 => {
                let mut ls = lines(data);
                let i = rng.random_range(0..ls.len());
                let j = rng.random_range(0..ls.len());
                match rng.random_range(0..3) {
                    0 => {
                        ls.remove(i);
                    }
                    1 => ls.insert(j, ls[i]),
                    _ => ls.swap(i, j),
                }
                d = ls.concat();
            }
            // Bytes scattered.
            _ => {
                for _ in 0..rng.random_range(1..6) {
                    let i = rng.random_range(0..d.len());
                    let j = rng.random_range(0..d.len());
                    d.swap(i, j);
                }
            }
        }
        d
    }
}

/// What damaged copies did to a reader: how many were checked and which
/// failed.
#[derive(Default)]
pub struct Report {
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report::default()
    }

    /// Checks every copy of `data` that `damage` makes, then up to
    /// `overlong` copies with an overflowing number; `check` gets the
    /// copy's number and bytes. A failure is kept with `label` and the copy.
    pub fn each(
        &mut self,
        damage: &mut Damage,
        label: &str,
        data: &[u8],
        overlong: usize,
        mut check: impl FnMut(usize, &[u8]) -> Result<(), String>,
    ) {
        let copies = (0..damage.variants()).map(|_| damage.copy(data));
        for (k, d) in copies.chain(overlong_numbers(data, overlong)).enumerate() {
            self.checked += 1;
            if let Err(why) = check(k, &d) {
                self.failures.push(format!(
                    "{label} copy {k}: {why}\n--- input ---\n{}",
                    String::from_utf8_lossy(&d)
                ));
            }
        }
    }

    /// Panics, showing the first failure, unless every copy passed and at
    /// least `min` were checked.
    pub fn assert_clean(&self, min: usize) {
        assert!(self.checked >= min, "only {} copies checked", self.checked);
        assert!(
            self.failures.is_empty(),
            "{} of {} damaged inputs failed; the first:\n{}",
            self.failures.len(),
            self.checked,
            self.failures[0]
        );
    }
}

/// Numbers that overflow: more digits than any integer holds, the largest
/// `u64` (which turns negative as an `i64`), and the largest `i64` (which
/// overflows once scaled, say from seconds to microseconds).
const OVERLONG: [&[u8]; 3] = [
    b"98765432109876543210987",
    b"18446744073709551615",
    b"9223372036854775807",
];

/// Copies of `data` with one run of digits replaced by a number too large
/// for the integers readers keep, each run in turn and each such number
/// (at most `max` copies, spread over the input): every number a reader
/// takes from the input meets an overflow once.
pub fn overlong_numbers(data: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = i;
            while i < data.len() && data[i].is_ascii_digit() {
                i += 1;
            }
            runs.push(start..i);
        } else {
            i += 1;
        }
    }
    let copies = runs.len() * OVERLONG.len();
    let step = copies.div_ceil(max.max(1)).max(1);
    (0..copies)
        .step_by(step)
        .map(|k| {
            let mut d = data.to_vec();
            d.splice(
                runs[k / OVERLONG.len()].clone(),
                OVERLONG[k % OVERLONG.len()].iter().copied(),
            );
            d
        })
        .collect()
}

/// `data` with every LF line end made CRLF, as files written on Windows
/// arrive.
pub fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for (i, &c) in data.iter().enumerate() {
        if c == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// The lines of `data`, each with its line break.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&c| c == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_differ_and_repeat_with_the_seed() {
        let data = b"a,b,c\n1,2,3\n4,5,6\n";
        let (mut a, mut b) = (Damage::new(1, 10, &[]), Damage::new(1, 10, &[]));
        let xs: Vec<Vec<u8>> = (0..50).map(|_| a.copy(data)).collect();
        let ys: Vec<Vec<u8>> = (0..50).map(|_| b.copy(data)).collect();
        if std::env::var_os("KIZUKI_DAMAGE_SEED").is_none() {
            assert_eq!(xs, ys);
        }
        assert!(xs.iter().filter(|x| x.as_slice() != data).count() > 40);
        assert!(!Damage::new(1, 0, &[]).copy(b"").is_empty());
    }

    #[test]
    fn every_run_of_digits_in_turn() {
        let v = overlong_numbers(b"a1,22\n333", 100);
        assert_eq!(v.len(), 9);
        assert_eq!(v[3], b"a1,98765432109876543210987\n333");
        assert_eq!(v[5], b"a1,9223372036854775807\n333");
        assert_eq!(overlong_numbers(b"1 2 3 4", 2).len(), 2);
    }

    #[test]
    fn crlf_only_where_there_is_none() {
        assert_eq!(crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    }

    #[test]
    fn a_report_keeps_failures_with_their_input() {
        let mut r = Report::new();
        let mut d = Damage::new(3, 20, &[]);
        r.each(&mut d, "x", b"1,2\n", 10, |k, _| {
            if k == 5 { Err("five".into()) } else { Ok(()) }
        });
        assert_eq!(r.checked, 20 + 2 * 3);
        assert_eq!(r.failures.len(), 1);
        assert!(r.failures[0].starts_with("x copy 5: five\n--- input ---\n"));
        let clean = Report {
            checked: 5,
            failures: Vec::new(),
        };
        clean.assert_clean(5);
        assert!(std::panic::catch_unwind(|| r.assert_clean(1)).is_err());
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(lines(b"a\nb"), [&b"a\n"[..], b"b"]);
        assert!(lines(b"").is_empty());
    }
}
