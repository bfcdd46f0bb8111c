//! Making a line of a notice easy to read by machine, while remembering
//! where each character came from.
//!
//! Japanese notices write digits, colons and slashes in full width
//! (`２０２１／０２／２２　１０：１５`), and security people write
//! addresses defanged (`203.0.113[.]5`). [`Norm`] folds these to ASCII
//! (the NFKC mappings that matter here, not all of NFKC) and keeps, for
//! every byte of the folded text, the offset of the character it came
//! from, so that what a notice says can be quoted exactly as written.

use std::ops::Range;

/// A folded line and the way back to the original.
#[derive(Clone, Debug)]
pub(crate) struct Norm {
    /// The folded text.
    pub text: String,
    /// For each byte of `text` (and one past the end), the byte offset in
    /// the original line of the character it came from.
    map: Vec<usize>,
    /// The original line's length.
    orig_len: usize,
}

/// The ASCII (or simpler) form of one character, or `None` to drop it.
fn fold(c: char) -> Option<char> {
    Some(match c {
        // Full-width ASCII: ０-９, Ａ-Ｚ, ：, ／, ．, ～ …
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' | '\u{00a0}' | '\t' | '\u{2002}'..='\u{200a}' => ' ',
        '\u{301c}' | '\u{2053}' => '~',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{200b}'..='\u{200d}' | '\u{feff}' => return None,
        c => c,
    })
}

/// Defanged forms and what they stand for.
const DEFANGED: &[(&str, char)] = &[
    ("[.]", '.'),
    ("(.)", '.'),
    ("{.}", '.'),
    ("[dot]", '.'),
    ("(dot)", '.'),
    ("[:]", ':'),
];

impl Norm {
    /// Folds a line.
    pub fn new(line: &str) -> Norm {
        let mut chars: Vec<(char, usize)> = Vec::with_capacity(line.len());
        for (i, c) in line.char_indices() {
            if let Some(f) = fold(c) {
                chars.push((f, i));
            }
        }
        // Refang: `[.]` and friends become the character they hide.
        let mut out: Vec<(char, usize)> = Vec::with_capacity(chars.len());
        let mut i = 0;
        'outer: while i < chars.len() {
            if chars[i].0 == '[' || chars[i].0 == '(' || chars[i].0 == '{' {
                for (pat, rep) in DEFANGED {
                    let n = pat.chars().count();
                    if i + n <= chars.len()
                        && chars[i..i + n]
                            .iter()
                            .map(|(c, _)| c.to_ascii_lowercase())
                            .eq(pat.chars())
                    {
                        out.push((*rep, chars[i].1));
                        i += n;
                        continue 'outer;
                    }
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        let mut text = String::with_capacity(out.len());
        let mut map = Vec::with_capacity(out.len() + 1);
        for (c, at) in out {
            let before = text.len();
            text.push(c);
            map.extend(std::iter::repeat_n(at, text.len() - before));
        }
        map.push(line.len());
        Norm {
            text,
            map,
            orig_len: line.len(),
        }
    }

    /// The range of the original line that a range of the folded text came
    /// from.
    pub fn orig_range(&self, r: Range<usize>) -> Range<usize> {
        let start = self.map.get(r.start).copied().unwrap_or(self.orig_len);
        let end = self.map.get(r.end).copied().unwrap_or(self.orig_len);
        start..end.max(start)
    }
}

/// The original text behind a folded range, trimmed.
pub(crate) fn original<'a>(line: &'a str, norm: &Norm, r: Range<usize>) -> &'a str {
    line.get(norm.orig_range(r)).unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_refangs() {
        let line = "ＩＰアドレス：２０３．０．１１３．５";
        let n = Norm::new(line);
        assert_eq!(n.text, "IPアドレス:203.0.113.5");
        let at = n.text.find("203").unwrap();
        assert_eq!(
            original(line, &n, at..n.text.len()),
            "２０３．０．１１３．５"
        );

        let n = Norm::new("203[.]0[.]113[.]5 and 198.51.100(.)7");
        assert_eq!(n.text, "203.0.113.5 and 198.51.100.7");
        assert_eq!(Norm::new("10:00～10:30").text, "10:00~10:30");
        assert_eq!(Norm::new("10:00〜10:30").text, "10:00~10:30");
    }
}
