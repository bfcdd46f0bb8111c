//! Notice codes: what a recipient types into the operator's verification
//! page to learn that a notice is genuine.
//!
//! A code is 20 symbols of Crockford's base32 (100 random bits), printed
//! in five groups of four: `7KQ3-MX2P-…`. The alphabet has no `I`, `L`,
//! `O` or `U`; when a code is checked, case, spaces and dashes do not
//! matter, and `O`, `I` and `L` are read as the digits they look like.

use rand::RngCore;

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a code.
pub const SYMBOLS: usize = 20;
/// Symbols per printed group.
const GROUP: usize = 4;

/// A new code from the operating system's random source, in its canonical
/// form (upper case, no dashes). [`display`] groups it for printing.
pub fn generate() -> String {
    let mut bytes = [0u8; SYMBOLS];
    rand::rng().fill_bytes(&mut bytes);
    // 5 bits from each byte: 100 bits in all, uniformly, since 256 is a
    // multiple of 32.
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

/// The printed form: groups of four joined by dashes.
pub fn display(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(GROUP)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of what someone typed, or `None` when it cannot be
/// a code (a symbol outside the alphabet, or the wrong length).
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(SYMBOLS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '\u{3000}' | 'ー' | '－' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii_alphanumeric() && c != 'U' => c,
            // Full-width letters and digits typed with a Japanese input
            // method.
            c @ 'Ａ'..='Ｚ' | c @ 'ａ'..='ｚ' | c @ '０'..='９' => {
                let ascii = char::from_u32(c as u32 - 0xFEE0)?.to_ascii_uppercase();
                match ascii {
                    'O' => '0',
                    'I' | 'L' => '1',
                    'U' => return None,
                    a => a,
                }
            }
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == SYMBOLS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twenty_symbols_of_the_alphabet_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), SYMBOLS);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
        // 100 bits: comfortably over the 80 asked for.
        const { assert!(SYMBOLS * 5 >= 80) };
    }

    #[test]
    fn case_grouping_and_look_alikes_do_not_matter() {
        let code = "7KQ3MX2P0A1BCDEFGHJK";
        let shown = display(code);
        assert_eq!(shown, "7KQ3-MX2P-0A1B-CDEF-GHJK");
        assert_eq!(normalize(&shown).as_deref(), Some(code));
        assert_eq!(
            normalize("7kq3 mx2p oa1b cdef ghjk").as_deref(),
            Some(code),
            "lower case, spaces, O for 0"
        );
        assert_eq!(normalize("7KQ3-MX2P-0AIB-CDEF-GHJK").as_deref(), Some(code));
        assert_eq!(normalize("7KQ3-MX2P-0ALB-CDEF-GHJK").as_deref(), Some(code));
        assert_eq!(
            normalize("７ＫＱ３－ＭＸ２Ｐ－０Ａ１Ｂ－ＣＤＥＦ－ＧＨＪＫ").as_deref(),
            Some(code),
            "full-width input"
        );
    }

    #[test]
    fn wrong_lengths_and_symbols_are_not_codes() {
        assert_eq!(normalize("7KQ3-MX2P"), None);
        assert_eq!(normalize("7KQ3-MX2P-0A1B-CDEF-GHJKX"), None);
        assert_eq!(normalize("UKQ3-MX2P-0A1B-CDEF-GHJK"), None);
        assert_eq!(normalize("7KQ3-MX2P-0A1B-CDEF-GHJ!"), None);
        assert_eq!(normalize(""), None);
    }
}
