//! CSV plumbing shared by the CSV readers: the header, the body split into
//! pieces that parse independently, and records with their raw bytes and
//! line numbers.
//!
//! Splitting: a piece boundary is a newline after an even number of quote
//! characters, which is a record boundary in well-formed CSV. A malformed
//! record (an odd number of quotes, e.g. a quote that never closes or a
//! stray quote inside an unquoted field) can make that guess wrong, so each
//! piece reports whether it met one; the caller then re-reads from that piece
//! on in one go, which is always right.

mod plain;

use memchr::memchr_iter;
use plain::{PlainLine, split_plain};
use std::ops::Range;

/// Python's whitespace for `str.strip()` on the ASCII range.
fn is_py_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// The input as IntelMQ's CSV parsers see it: the UTF-8 byte order mark
/// dropped, NUL bytes removed, surrounding white space trimmed.
pub struct Cleaned<'a> {
    /// The cleaned bytes.
    pub data: std::borrow::Cow<'a, [u8]>,
    /// Lines trimmed from the front, so that line numbers still point into
    /// the original file.
    pub skipped_lines: u64,
    /// Whether the original ended with a line break: if not, the input may
    /// have been cut off inside its last row.
    pub terminated: bool,
}

/// Cleans an input, see [`Cleaned`].
pub fn clean(data: &[u8]) -> Cleaned<'_> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let start = data
        .iter()
        .position(|b| !is_py_space_byte(*b))
        .unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !is_py_space_byte(*b))
        .map_or(start, |i| i + 1);
    let skipped_lines = memchr_iter(b'\n', &data[..start]).count() as u64;
    let terminated = data[end..].iter().any(|b| *b == b'\n' || *b == b'\r');
    let body = &data[start..end];
    let data = if memchr::memchr(0, body).is_some() {
        std::borrow::Cow::Owned(body.iter().copied().filter(|b| *b != 0).collect())
    } else {
        std::borrow::Cow::Borrowed(body)
    };
    Cleaned {
        data,
        skipped_lines,
        terminated,
    }
}

/// The first line ending in the data (`\r\n`, `\n` or `\r`), as IntelMQ
/// remembers it to rebuild a row's `raw`. `\r\n` when there is none.
pub fn line_ending(data: &[u8]) -> &'static [u8] {
    match memchr::memchr2(b'\n', b'\r', data) {
        Some(i) if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') => b"\r\n",
        Some(i) if data[i] == b'\r' => b"\r",
        Some(_) => b"\n",
        None => b"\r\n",
    }
}

/// A CSV reader over bytes with the settings every kizuki CSV reader uses.
pub fn reader(data: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data)
}

/// The header record and where the body starts. `None` for empty data.
pub fn header(data: &[u8], delimiter: u8) -> Option<(csv::ByteRecord, usize, u64)> {
    let mut rdr = reader(data, delimiter);
    let mut rec = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut rec) {
        Ok(true) => {
            let pos = rdr.position();
            Some((rec, pos.byte() as usize, pos.line() - 1))
        }
        _ => None,
    }
}

/// A piece of the body: its byte range and the number of newlines before it
/// in the body (so the first record's line is known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Byte range in the body.
    pub range: Range<usize>,
    /// Newlines in the body before `range.start`.
    pub lines_before: u64,
}

/// Splits `body` into pieces of about `target` bytes at likely record
/// boundaries (see the module notes).
pub fn split(body: &[u8], target: usize) -> Vec<Piece> {
    let target = target.max(1);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut lines_before = 0u64;
    while start < body.len() {
        // Jump ahead, then walk to a newline that follows an even number of
        // quotes since the piece began. Counting is vectorised, so each
        // piece costs one pass over its bytes.
        let mut cut = (start + target).min(body.len());
        let mut quotes = count_byte(&body[start..cut], b'"');
        loop {
            let Some(nl) = memchr::memchr(b'\n', &body[cut..]).map(|i| cut + i) else {
                cut = body.len();
                break;
            };
            quotes += count_byte(&body[cut..nl], b'"');
            cut = nl + 1;
            if quotes.is_multiple_of(2) {
                break;
            }
        }
        pieces.push(Piece {
            range: start..cut,
            lines_before,
        });
        lines_before += count_byte(&body[start..cut], b'\n') as u64;
        start = cut;
    }
    if pieces.is_empty() {
        pieces.push(Piece {
            range: 0..0,
            lines_before: 0,
        });
    }
    pieces
}

/// How often `b` occurs in `data` (SIMD).
#[inline]
pub fn count_byte(data: &[u8], b: u8) -> usize {
    bytecount::count(data, b)
}

/// The fields of one record, as text.
#[derive(Copy, Clone, Debug)]
pub struct Fields<'a> {
    text: &'a str,
    ranges: &'a [(u32, u32)],
    /// Whether `text` is all ASCII (every index is a character boundary).
    ascii: bool,
    /// Whether every field is JSON text as it is (see [`Fields::json_plain`]).
    json: bool,
    /// `text`'s bytes and, for a line split in place, the data after it:
    /// what [`Fields::window`] reads.
    tail: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Fields from text and their byte ranges in it.
    #[cfg(test)]
    pub(crate) fn from_parts(text: &'a str, ranges: &'a [(u32, u32)]) -> Fields<'a> {
        Fields {
            text,
            ranges,
            ascii: text.is_ascii(),
            json: text
                .bytes()
                .all(|c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\'),
            tail: text.as_bytes(),
        }
    }

    /// The `N` bytes from field `i`'s start, when the data holds that many:
    /// the field's own bytes, then whatever follows them (the rest of the
    /// line, later lines). For checks that read a field a word at a time
    /// and ignore the bytes past its end; `None` near the data's end.
    #[inline]
    pub fn window<const N: usize>(&self, i: usize) -> Option<&'a [u8; N]> {
        let start = self.ranges.get(i)?.0 as usize;
        self.tail.get(start..start.checked_add(N)?)?.try_into().ok()
    }

    /// Whether every field is known to be printable ASCII with no quote and
    /// no backslash: JSON text as it is, with nothing to escape. `false`
    /// says nothing (the fields were not checked).
    #[inline]
    pub fn json_plain(&self) -> bool {
        self.json
    }

    /// Whether field `i` is empty (or missing).
    #[inline]
    pub fn is_blank(&self, i: usize) -> bool {
        self.ranges.get(i).is_none_or(|(a, b)| a >= b)
    }

    /// Field `i`, or `None` past the last field.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let (a, b) = *self.ranges.get(i)?;
        let (a, b) = (a as usize, b as usize);
        if self.ascii && a <= b && b <= self.text.len() {
            // SAFETY: the range is in bounds (checked just above), and in
            // ASCII text every index is a character boundary.
            #[allow(unsafe_code)]
            return Some(unsafe { self.text.get_unchecked(a..b) });
        }
        self.text.get(a..b)
    }
}

/// A field that is not UTF-8: its 0-based index.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The field.
    pub field: usize,
}

/// One record of a piece, with the bytes it was made from.
pub struct RawRecord<'a> {
    /// The parsed fields, or the first field that is not UTF-8.
    pub fields: Result<Fields<'a>, NotUtf8>,
    /// The number of fields.
    pub width: usize,
    /// The record's bytes without its line terminator.
    pub raw: &'a [u8],
    /// The 1-based line the record starts on, counted from the first line of
    /// `data`.
    pub line: u64,
    /// Whether the record holds an odd number of quote characters: it is
    /// malformed, and piece boundaries after it cannot be trusted.
    pub odd_quotes: bool,
    /// Whether the data ran out while the record was inside a quoted
    /// field: it was cut off, not ended by a line break. With an even
    /// number of quotes too (`"a"b"` leaves a quote literal), so a piece
    /// boundary can be wrong even when `odd_quotes` is not set.
    pub open_quote: bool,
    /// Where the record ends in `data`, terminator included.
    pub end: usize,
    /// Whether the record was split here as a plain line: one line, every
    /// field plain (see [`split_plain`]).
    pub plain: bool,
}

/// What to do after a record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Read the next record.
    Continue,
    /// Stop reading.
    Stop,
    /// Read again from the line after this record's first line (the record
    /// was malformed and may have swallowed good rows).
    Resync,
}

/// The field holding byte `at`.
fn field_at(ranges: &[(u32, u32)], at: usize) -> usize {
    ranges
        .iter()
        .position(|(_, b)| at < *b as usize)
        .unwrap_or(ranges.len().saturating_sub(1))
}

/// Reads the records of `data` (a body or a piece of one), calling `each`
/// for every record. Plain lines are split here; any other record is read by
/// the csv crate.
pub fn for_each_record(data: &[u8], delimiter: u8, each: impl FnMut(RawRecord<'_>) -> Next) {
    read_records(data, delimiter, true, each);
}

/// [`for_each_record`], with the plain-line splitter on or off (off, every
/// record goes through the csv crate: the reference the tests compare with).
fn read_records(
    data: &[u8],
    delimiter: u8,
    use_plain: bool,
    mut each: impl FnMut(RawRecord<'_>) -> Next,
) {
    let mut ranges: Vec<(u32, u32)> = Vec::with_capacity(64);
    let mut rec = csv::ByteRecord::new();
    let mut pos = 0usize;
    let mut line_at = 1u64;
    while pos < data.len() {
        let plain = if use_plain {
            split_plain(&data[pos..], delimiter, &mut ranges)
        } else {
            None
        };
        let (line, next_pos, newline) = match plain {
            Some(p) => (&data[pos..pos + p.len], pos + p.next, p.newline),
            None => {
                let nl = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
                let mut line = &data[pos..nl];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                (line, (nl + 1).min(data.len()), nl < data.len())
            }
        };
        if line.is_empty() {
            // Blank lines are no records.
            pos = next_pos;
            line_at += 1;
            continue;
        }
        let (raw, end, fields, width, odd_quotes, open_quote, lines, plain) =
            if let Some(PlainLine { ascii, json, .. }) = plain {
                let text = if ascii {
                    // SAFETY: every byte of `line` is below 0x80 (checked
                    // by `split_plain`), and ASCII is UTF-8.
                    #[allow(unsafe_code)]
                    Ok(unsafe { std::str::from_utf8_unchecked(line) })
                } else {
                    std::str::from_utf8(line)
                };
                let fields = match text {
                    // A plain line's fields hold no quote (`split_plain`).
                    Ok(text) => Ok(Fields {
                        text,
                        ranges: &ranges,
                        ascii,
                        json,
                        tail: &data[pos..],
                    }),
                    Err(e) => Err(NotUtf8 {
                        field: field_at(&ranges, e.valid_up_to()),
                    }),
                };
                (
                    line,
                    next_pos,
                    fields,
                    ranges.len(),
                    false,
                    false,
                    u64::from(newline),
                    true,
                )
            } else {
                // One record through the csv crate, from this line on.
                let mut rdr = reader(&data[pos..], delimiter);
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => {}
                    // The csv crate fails only on I/O (none for a slice).
                    Ok(false) | Err(_) => break,
                }
                let end = pos + rdr.position().byte() as usize;
                let mut raw = &data[pos..end];
                while let [rest @ .., b'\n' | b'\r'] = raw {
                    raw = rest;
                }
                let odd = count_byte(raw, b'"') % 2 == 1;
                let fields = match std::str::from_utf8(rec.as_slice()) {
                    Ok(text) => {
                        ranges.clear();
                        ranges.extend(
                            (0..rec.len())
                                .filter_map(|i| rec.range(i))
                                .map(|r| (r.start as u32, r.end as u32)),
                        );
                        Ok(Fields {
                            text,
                            ranges: &ranges,
                            ascii: false,
                            json: false,
                            tail: text.as_bytes(),
                        })
                    }
                    Err(e) => {
                        let at = e.valid_up_to();
                        let field = (0..rec.len())
                            .position(|i| rec.range(i).is_some_and(|r| at < r.end))
                            .unwrap_or(0);
                        Err(NotUtf8 { field })
                    }
                };
                let open = end == data.len() && ends_inside_quotes(&data[pos..end], delimiter);
                (
                    raw,
                    end,
                    fields,
                    rec.len(),
                    odd,
                    open,
                    count_byte(&data[pos..end], b'\n') as u64,
                    false,
                )
            };
        let line = line_at;
        match each(RawRecord {
            fields,
            width,
            raw,
            line,
            odd_quotes,
            open_quote,
            end,
            plain,
        }) {
            Next::Continue => {
                line_at += lines;
                pos = end;
            }
            Next::Stop => break,
            Next::Resync => {
                // Read again from the line after this record's first line.
                line_at += 1;
                pos = next_pos;
            }
        }
    }
}

/// Whether a CSV parser (the csv crate's rules: a quote opens a quoted
/// field only at the field's start, `""` inside one is a quote, and a
/// quote anywhere else is a literal) is inside a quoted field at the end
/// of `record`.
fn ends_inside_quotes(record: &[u8], delimiter: u8) -> bool {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let ends_field = |b: u8| b == delimiter || b == b'\n' || b == b'\r';
    let mut state = State::FieldStart;
    for &b in record {
        state = match state {
            State::FieldStart | State::Unquoted if ends_field(b) => State::FieldStart,
            State::FieldStart if b == b'"' => State::Quoted,
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted if ends_field(b) => State::FieldStart,
            State::QuoteInQuoted => State::Unquoted,
        };
    }
    matches!(state, State::Quoted)
}

/// A small deterministic generator for tests (xorshift).
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_state_at_the_end_agrees_with_the_csv_crate() {
        for (line, open) in [
            (&b"a,b"[..], false),
            (b"\"a\",b", false),
            (b"a,\"b", true),
            (b"\"a\"b\"", false),
            (b"\"a\"\"", true),
            (b"a\"b,\"c", true),
            (b"\"x\nc\"", false),
        ] {
            assert_eq!(ends_inside_quotes(line, b','), open, "{line:?}");
        }
        // The csv crate is inside a quoted field at the end of a line when
        // the record it reads goes on past the line break.
        let mut next = xorshift(99);
        for _ in 0..20_000 {
            // At least one byte: the csv crate skips empty lines.
            let len = 1 + (next() % 12) as usize;
            let line: Vec<u8> = (0..len).map(|_| b"a\",;"[(next() % 4) as usize]).collect();
            let mut data = line.clone();
            data.extend_from_slice(b"\nz\n");
            let mut rdr = reader(&data, b',');
            let mut rec = csv::ByteRecord::new();
            let _ = rdr.read_byte_record(&mut rec);
            let went_on = rdr.position().byte() as usize > line.len() + 1;
            assert_eq!(
                ends_inside_quotes(&line, b','),
                went_on,
                "{:?}",
                String::from_utf8_lossy(&line)
            );
        }
    }

    #[test]
    fn clean_trims_like_python_strip() {
        let c = clean(b"\xef\xbb\xbf\n\n a,b\n1,2\n\n");
        assert_eq!(&*c.data, b"a,b\n1,2");
        assert_eq!(c.skipped_lines, 2);
        assert!(c.terminated);
        let c = clean(b"a,\0b");
        assert_eq!(&*c.data, b"a,b");
        assert!(!c.terminated);
    }

    #[test]
    fn line_endings() {
        assert_eq!(line_ending(b"a\r\nb"), b"\r\n");
        assert_eq!(line_ending(b"a\nb"), b"\n");
        assert_eq!(line_ending(b"a"), b"\r\n");
    }

    #[test]
    fn split_respects_quotes_and_counts_lines() {
        let body = b"1,\"a\nb\"\n2,x\n3,y\n4,\"z\"\n";
        let pieces = split(body, 1);
        let ranges: Vec<_> = pieces
            .iter()
            .map(|p| (&body[p.range.clone()], p.lines_before))
            .collect();
        assert_eq!(
            ranges,
            vec![
                (&b"1,\"a\nb\"\n"[..], 0),
                (&b"2,x\n"[..], 2),
                (&b"3,y\n"[..], 3),
                (&b"4,\"z\"\n"[..], 4)
            ]
        );
        // Pieces cover the body exactly.
        let big: Vec<u8> = (0..1000)
            .flat_map(|i| format!("{i},\"v{i}\"\n").into_bytes())
            .collect();
        let pieces = split(&big, 100);
        assert_eq!(pieces[0].range.start, 0);
        assert_eq!(pieces.last().unwrap().range.end, big.len());
        for w in pieces.windows(2) {
            assert_eq!(w[0].range.end, w[1].range.start);
        }
    }

    #[test]
    fn records_carry_raw_bytes_and_lines() {
        let data = b"a,\"b\nc\"\r\nd,e\n\nf,\"g";
        let mut seen = Vec::new();
        for_each_record(data, b',', |r| {
            seen.push((r.width, r.raw.to_vec(), r.line, r.odd_quotes));
            Next::Continue
        });
        assert_eq!(
            seen,
            vec![
                (2, b"a,\"b\nc\"".to_vec(), 1, false),
                (2, b"d,e".to_vec(), 3, false),
                (2, b"f,\"g".to_vec(), 5, true),
            ]
        );
    }

    /// Records read with the plain-line splitter are the records the csv
    /// crate reads: same fields, raw bytes, lines and ends, on data with
    /// CRLF and LF, blank lines, quoted line breaks, lone carriage returns
    /// and lines longer than a 64-byte block.
    #[test]
    fn plain_reading_agrees_with_the_csv_crate_over_many_lines() {
        let tokens: &[&[u8]] = &[
            b"a",
            b"bcdefghijklmnopqrstuvwxyz0123456789",
            b",",
            b",\"q,r\",",
            b",\"\",",
            b"\"",
            b"\n",
            b"\r\n",
            b"\r",
            b",\"multi\nline\",",
            b"\xc3\xa9",
            b" ",
        ];
        let mut next = xorshift(0x1234_5678_9abc_def1u64);
        // Ends are left out: after a CRLF the csv crate stops between the
        // two bytes, the plain reader after both; either way the next
        // record starts on the next line.
        type Seen = (Option<Vec<Vec<u8>>>, Vec<u8>, u64, bool);
        let read = |data: &[u8], plain: bool| {
            let mut seen: Vec<Seen> = Vec::new();
            read_records(data, b',', plain, |r| {
                let fields = r.fields.ok().map(|f| {
                    (0..r.width)
                        .map(|i| f.get(i).unwrap_or("").as_bytes().to_vec())
                        .collect()
                });
                seen.push((fields, r.raw.to_vec(), r.line, r.odd_quotes));
                if r.odd_quotes {
                    Next::Resync
                } else {
                    Next::Continue
                }
            });
            seen
        };
        for _ in 0..3_000 {
            let n = (next() % 120) as usize;
            let data: Vec<u8> = (0..n)
                .flat_map(|_| tokens[(next() % tokens.len() as u64) as usize].to_vec())
                .collect();
            assert_eq!(
                read(&data, true),
                read(&data, false),
                "{:?}",
                String::from_utf8_lossy(&data)
            );
        }
    }

    #[test]
    fn resync_reads_swallowed_lines_again() {
        let data = b"a,\"b\nc,d\ne,f\n";
        let mut seen = Vec::new();
        for_each_record(data, b',', |r| {
            seen.push((r.raw.to_vec(), r.line));
            if r.odd_quotes {
                Next::Resync
            } else {
                Next::Continue
            }
        });
        assert_eq!(
            seen,
            vec![
                (b"a,\"b\nc,d\ne,f".to_vec(), 1),
                (b"c,d".to_vec(), 2),
                (b"e,f".to_vec(), 3)
            ]
        );
    }
}
