//! Turning the bytes of a part or a header into text.
//!
//! Japanese mail arrives in UTF-8, ISO-2022-JP, Shift_JIS (in practice
//! Microsoft's CP932, with `①` and `～`) or EUC-JP, and the declared
//! charset is often missing or wrong: old mailers send ISO-2022-JP with no
//! charset at all, and some gateways relabel Shift_JIS as `iso-8859-1`.
//! mail-parser decodes with the declared charset only, and replaces what it
//! cannot read, so kizuki keeps the transfer-decoded bytes and decodes them
//! here: with the declared charset when the bytes fit it, else with the
//! Japanese charset they do fit, saying so.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};

/// Text decoded from bytes, and what was learnt on the way.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The text.
    pub text: String,
    /// Set when the declared charset was not used, or the bytes did not
    /// fit any charset.
    pub problem: Option<String>,
}

/// The encoding for a charset label, including the Microsoft and JIS
/// variants that the WHATWG labels leave out.
pub(crate) fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_matches('"').to_ascii_lowercase();
    let alias = match l.as_str() {
        "cp932" | "ms932" | "windows-932" | "x-ms-cp932" | "sjis-win" | "sjis-open"
        | "shift_jis-2004" | "shift_jisx0213" | "x-sjis-cp932" => Some(SHIFT_JIS),
        "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" | "iso-2022-jp-2004"
        | "iso-2022-jp-ms" | "cp50220" | "cp50221" | "cp50222" | "csiso2022jp2" => {
            Some(ISO_2022_JP)
        }
        "euc-jis-2004" | "euc-jisx0213" | "eucjp-ms" | "eucjp-win" | "cp51932" | "eucjp"
        | "x-eucjp" => Some(EUC_JP),
        "utf8" | "utf_8" => Some(UTF_8),
        _ => None,
    };
    alias.or_else(|| Encoding::for_label(l.as_bytes()))
}

/// Whether the bytes hold an ISO-2022-JP escape sequence.
fn has_jis_escape(b: &[u8]) -> bool {
    b.windows(3).any(|w| {
        w[0] == 0x1b
            && matches!(
                (w[1], w[2]),
                (b'$', b'B') | (b'$', b'@') | (b'(', b'J') | (b'(', b'I') | (b'$', b'(')
            )
    })
}

/// How much a text looks like Japanese (or plain ASCII) rather than the
/// accident of reading bytes in the wrong charset.
fn score(s: &str) -> i64 {
    let mut n = 0i64;
    for c in s.chars() {
        n += match c as u32 {
            0..=0x7f => 0,
            0x3041..=0x309f => 3,
            0x30a0..=0x30ff => 2,
            0x4e00..=0x9fff => 2,
            0x3000..=0x303f | 0xff01..=0xff5e => 1,
            0x2460..=0x24ff | 0x2500..=0x257f | 0x2010..=0x203b | 0x2160..=0x217f => 0,
            0xff61..=0xff9f => -2,
            0xfffd => -10,
            _ => -1,
        };
    }
    n
}

fn strict(enc: &'static Encoding, b: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(b)
        .map(|c| c.into_owned())
}

fn name(enc: &'static Encoding) -> &'static str {
    enc.name()
}

/// The Japanese (or UTF-8) reading of bytes that fits best, if any fits
/// without errors.
fn detect(b: &[u8]) -> Option<(String, &'static Encoding)> {
    if has_jis_escape(b)
        && b.iter().all(|&c| c < 0x80)
        && let Some(t) = strict(ISO_2022_JP, b)
    {
        return Some((t, ISO_2022_JP));
    }
    if let Ok(t) = std::str::from_utf8(b) {
        return Some((t.to_owned(), UTF_8));
    }
    let sjis = strict(SHIFT_JIS, b).map(|t| (score(&t), t, SHIFT_JIS));
    let euc = strict(EUC_JP, b).map(|t| (score(&t), t, EUC_JP));
    let best = match (sjis, euc) {
        (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
        (a, b) => a.or(b),
    };
    best.map(|(_, t, e)| (t, e))
}

fn is_japanese_or_utf8(enc: &'static Encoding) -> bool {
    enc == UTF_8 || enc == ISO_2022_JP || enc == SHIFT_JIS || enc == EUC_JP
}

/// Decodes text bytes. `declared` is the charset the part or encoded word
/// names, if any.
pub(crate) fn decode(b: &[u8], declared: Option<&str>) -> Decoded {
    let declared = declared.map(str::trim).filter(|d| !d.is_empty());
    let esc = has_jis_escape(b);
    if b.is_ascii() && !esc {
        return Decoded {
            text: String::from_utf8_lossy(b).into_owned(),
            problem: None,
        };
    }
    let enc = declared.and_then(encoding_for);
    match (declared, enc) {
        (Some(label), Some(enc)) if is_japanese_or_utf8(enc) => {
            if let Some(t) = strict(enc, b) {
                return Decoded {
                    text: t,
                    problem: None,
                };
            }
            match detect(b) {
                Some((t, found)) => Decoded {
                    text: t,
                    problem: Some(format!(
                        "declared charset {label} does not fit the bytes; read as {}",
                        name(found)
                    )),
                },
                None => Decoded {
                    text: enc.decode_without_bom_handling(b).0.into_owned(),
                    problem: Some(format!(
                        "bytes that are not valid {label} were replaced with U+FFFD"
                    )),
                },
            }
        }
        (Some(label), Some(enc)) => {
            // A single-byte charset reads any bytes, so whether it is right
            // can only be told by trying the Japanese ones.
            if let Some((t, found)) = detect(b)
                && (found == UTF_8 || japanese_enough(&t))
            {
                return Decoded {
                    text: t,
                    problem: Some(format!(
                        "declared charset {label} does not fit the text; read as {}",
                        name(found)
                    )),
                };
            }
            Decoded {
                text: enc.decode_without_bom_handling(b).0.into_owned(),
                problem: None,
            }
        }
        (label, _) => match detect(b) {
            Some((t, found)) => Decoded {
                text: t,
                problem: label.map(|l| format!("unknown charset {l}; read as {}", name(found))),
            },
            None => Decoded {
                text: SHIFT_JIS.decode_without_bom_handling(b).0.into_owned(),
                problem: Some(match label {
                    Some(l) => format!(
                        "unknown charset {l}, and the bytes fit no Japanese charset; read as Shift_JIS with replacements"
                    ),
                    None => "the bytes fit no charset tried (UTF-8, ISO-2022-JP, Shift_JIS, EUC-JP); read as Shift_JIS with replacements".to_owned(),
                }),
            },
        },
    }
}

/// Whether a text decoded as Japanese really is: most of its non-ASCII
/// characters are kana, kanji or Japanese punctuation.
fn japanese_enough(t: &str) -> bool {
    let (mut good, mut other) = (0usize, 0usize);
    for c in t.chars().filter(|c| !c.is_ascii()) {
        if matches!(c as u32, 0x3000..=0x30ff | 0x4e00..=0x9fff | 0xff01..=0xff5e) {
            good += 1;
        } else {
            other += 1;
        }
    }
    good >= 2 && good >= other * 4
}

/// Undoes base64 the way mail clients do: whitespace and stray characters
/// are skipped, padding is optional, and a truncated tail gives what it
/// can.
pub(crate) fn base64_lenient(raw: &[u8]) -> Vec<u8> {
    let mut clean: Vec<u8> = raw
        .iter()
        .copied()
        .take_while(|&c| c != b'=')
        .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(&clean).unwrap_or_default()
}

/// Undoes quoted-printable: `=XX` escapes and soft line breaks; anything
/// malformed is kept as it is.
pub(crate) fn quoted_printable(raw: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'=' {
            out.push(c);
            i += 1;
            continue;
        }
        match (raw.get(i + 1), raw.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push(hex(a).unwrap_or(0) * 16 + hex(b).unwrap_or(0));
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charsets_that_fit_are_used() {
        let (sjis, _, _) = SHIFT_JIS.encode("通知番号①～");
        let d = decode(&sjis, Some("Shift_JIS"));
        assert_eq!(d.text, "通知番号①～");
        assert!(d.problem.is_none());
        let d = decode(&sjis, Some("cp932"));
        assert_eq!(d.text, "通知番号①～");
        let (jis, _, _) = ISO_2022_JP.encode("日時：");
        assert_eq!(decode(&jis, Some("ISO-2022-JP")).text, "日時：");
        assert_eq!(decode(&jis, None).text, "日時：", "no charset given");
        let (euc, _, _) = EUC_JP.encode("マルウェア名");
        assert_eq!(decode(&euc, None).text, "マルウェア名");
    }

    #[test]
    fn wrong_declared_charsets_are_noticed() {
        let (sjis, _, _) = SHIFT_JIS.encode("お客様の回線を利用している機器");
        let d = decode(&sjis, Some("iso-8859-1"));
        assert_eq!(d.text, "お客様の回線を利用している機器");
        assert!(d.problem.unwrap().contains("iso-8859-1"));
        let d = decode("é café".as_bytes(), Some("iso-8859-1"));
        assert_eq!(d.text, "é café", "UTF-8 labelled latin-1");
        let d = decode(b"caf\xe9 cr\xe8me", Some("iso-8859-1"));
        assert_eq!(d.text, "café crème", "latin text stays latin");
        assert!(d.problem.is_none());
        let d = decode("観測日時".as_bytes(), Some("shift_jis"));
        assert_eq!(d.text, "観測日時");
        assert!(d.problem.unwrap().contains("UTF-8"));
    }

    #[test]
    fn transfer_encodings() {
        assert_eq!(base64_lenient(b"aGVs\r\nbG8=\r\n"), b"hello");
        assert_eq!(base64_lenient(b"aGVsbG"), b"hell");
        assert_eq!(quoted_printable(b"a=3Db=\r\nc=ZZ"), b"a=bc=ZZ");
    }
}
