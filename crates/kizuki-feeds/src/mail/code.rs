//! Notice codes: kizuki's 20-symbol codes and other senders' references.
//!
//! A kizuki code is 20 symbols of Crockford's base32 printed in groups of
//! four (`7KQ3-MX2P-0A1B-CDEF-GHJK`); people retype it in lower case, with
//! spaces, in full width, or with `O` for `0`. kizuki-notify's `code`
//! module is the reference; this reads codes back the same way.

use super::normalize::Norm;
use super::notice::{CodeSource, NoticeCode};

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a kizuki code.
const SYMBOLS: usize = 20;

/// The canonical printed form of a kizuki code, or `None` when the text
/// is not one.
fn kizuki_form(folded: &str) -> Option<String> {
    let mut out = String::with_capacity(SYMBOLS);
    for c in folded.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    if out.len() != SYMBOLS {
        return None;
    }
    let groups: Vec<&str> = (0..SYMBOLS / 4).map(|i| &out[i * 4..i * 4 + 4]).collect();
    Some(groups.join("-"))
}

/// Reads a code from the value after its label; `None` when the value is
/// empty.
pub(crate) fn read(raw_value: &str, source: CodeSource) -> Option<NoticeCode> {
    let raw = raw_value.trim();
    let folded = Norm::new(raw).text;
    let folded = folded.trim();
    if folded.is_empty() {
        return None;
    }
    if let Some(code) = kizuki_form(folded) {
        return Some(NoticeCode {
            code,
            raw: raw.to_owned(),
            kizuki: true,
            source,
        });
    }
    // Another sender's reference: the first word, which is where codes
    // stop and prose (`（お問い合わせの際にお伝えください）`) begins.
    let word = folded
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | '（' | '、' | '。'))
        .find(|w| !w.is_empty())?;
    let word = word.trim_end_matches(['.', ',', ')']);
    if word.is_empty()
        || word.chars().count() > 64
        || !word.chars().any(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let raw_word = raw
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | '（' | '、' | '。'))
        .find(|w| !w.is_empty())
        .unwrap_or(raw);
    Some(NoticeCode {
        code: word.to_uppercase(),
        raw: raw_word.to_owned(),
        kizuki: false,
        source,
    })
}

/// Whether two codes name the same notice.
pub(crate) fn same(a: &NoticeCode, b: &NoticeCode) -> bool {
    a.code == b.code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kizuki_codes_in_any_spelling() {
        let c = read("7kq3 mx2p oa1b cdef ghjk", CodeSource::Header).unwrap();
        assert_eq!(c.code, "7KQ3-MX2P-0A1B-CDEF-GHJK");
        assert!(c.kizuki);
        let c = read(
            "７ＫＱ３－ＭＸ２Ｐ－０Ａ１Ｂ－ＣＤＥＦ－ＧＨＪＫ",
            CodeSource::Header,
        )
        .unwrap();
        assert_eq!(c.code, "7KQ3-MX2P-0A1B-CDEF-GHJK");
        assert_eq!(c.raw, "７ＫＱ３－ＭＸ２Ｐ－０Ａ１Ｂ－ＣＤＥＦ－ＧＨＪＫ");
    }

    #[test]
    fn other_references() {
        let c = read(
            "emt-2021-000123 （お問い合わせの際にお伝えください）",
            CodeSource::Subject,
        )
        .unwrap();
        assert_eq!(c.code, "EMT-2021-000123");
        assert_eq!(c.raw, "emt-2021-000123");
        assert!(!c.kizuki);
        assert!(read("  ", CodeSource::Subject).is_none());
        assert!(read("ありません", CodeSource::Subject).is_none());
    }
}
