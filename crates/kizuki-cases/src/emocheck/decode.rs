//! From report bytes to text, whatever Windows wrote them in.
//!
//! The tool writes its strings through a narrow `std::ofstream`: before 2.0
//! a Japanese build wrote Shift_JIS (CP932); 2.0 writes UTF-8. Reports that
//! have passed through Notepad, PowerShell redirection or a mail client
//! also come as UTF-8 with a BOM or UTF-16 with a BOM.

use encoding_rs::{Encoding, SHIFT_JIS, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::{Deserialize, Serialize};

/// How a report's bytes were (or are to be) encoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 without a BOM (what 2.0 writes).
    Utf8,
    /// UTF-8 with a BOM (Notepad's "UTF-8 with BOM").
    Utf8Bom,
    /// UTF-16 little-endian, with a BOM (Notepad's "Unicode", PowerShell
    /// 5's `>`).
    Utf16Le,
    /// UTF-16 big-endian, with a BOM.
    Utf16Be,
    /// Shift_JIS as Windows extends it (CP932): Japanese builds before 2.0.
    ShiftJis,
    /// Windows-1252: a French report re-saved in the ANSI code page.
    Windows1252,
}

/// Decoded text and how it was decoded.
pub(crate) struct Decoded {
    pub text: String,
    pub encoding: TextEncoding,
    /// Some bytes were not valid in `encoding` and became U+FFFD.
    pub lossy: bool,
}

pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = String::from_utf8_lossy(rest);
        let lossy = matches!(text, std::borrow::Cow::Owned(_));
        return Decoded {
            text: text.into_owned(),
            encoding: TextEncoding::Utf8Bom,
            lossy,
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return with(UTF_16LE, rest, TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return with(UTF_16BE, rest, TextEncoding::Utf16Be);
    }
    // UTF-16 that lost its BOM: the first character of every report is
    // ASCII (`[` or `{`), so one half of each early code unit is zero.
    match utf16_without_bom(bytes) {
        Some(TextEncoding::Utf16Le) => return with(UTF_16LE, bytes, TextEncoding::Utf16Le),
        Some(TextEncoding::Utf16Be) => return with(UTF_16BE, bytes, TextEncoding::Utf16Be),
        _ => {}
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_owned(),
            encoding: TextEncoding::Utf8,
            lossy: false,
        };
    }
    // A legacy code page. The French labels are ASCII up to their first
    // accent, so a French report is recognisable before decoding.
    if contains(bytes, b"Temps d'") || contains(bytes, b"[R\xE9sultat]") {
        return with(WINDOWS_1252, bytes, TextEncoding::Windows1252);
    }
    let sjis = with(SHIFT_JIS, bytes, TextEncoding::ShiftJis);
    if sjis.lossy && !sjis.text.contains("実行時刻") && !sjis.text.contains("[結果]") {
        // Not Japanese after all: Windows-1252 decodes every byte.
        return with(WINDOWS_1252, bytes, TextEncoding::Windows1252);
    }
    sjis
}

fn with(encoding: &'static Encoding, bytes: &[u8], name: TextEncoding) -> Decoded {
    let (text, lossy) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: name,
        lossy,
    }
}

fn utf16_without_bom(bytes: &[u8]) -> Option<TextEncoding> {
    let head = &bytes[..bytes.len().min(64)];
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut zero_odd, mut zero_even) = (0, 0);
    for pair in head.chunks_exact(2) {
        if pair[0] == 0 && pair[1] != 0 {
            zero_even += 1;
        }
        if pair[1] == 0 && pair[0] != 0 {
            zero_odd += 1;
        }
    }
    // Text never holds NUL, so half the early units being ASCII is plenty.
    if zero_odd * 2 >= pairs && zero_odd > zero_even {
        Some(TextEncoding::Utf16Le)
    } else if zero_even * 2 >= pairs && zero_even > zero_odd {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Encodes text for writing a report file in `encoding`, with the BOM the
/// encoding calls for. Characters Shift_JIS or Windows-1252 cannot hold
/// become HTML numeric references (`&#12345;`), as `encoding_rs` does.
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8Bom => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        }
        TextEncoding::Utf16Le => {
            let mut out = b"\xFF\xFE".to_vec();
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        TextEncoding::Utf16Be => {
            let mut out = b"\xFE\xFF".to_vec();
            out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            out
        }
        TextEncoding::ShiftJis => SHIFT_JIS.encode(text).0.into_owned(),
        TextEncoding::Windows1252 => WINDOWS_1252.encode(text).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips_japanese_text() {
        let text = "[EmoCheck v2.0]\r\nプログラム実行時刻: 2021-02-22 10:00:00\r\n";
        for enc in [
            TextEncoding::Utf8,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16Le,
            TextEncoding::Utf16Be,
            TextEncoding::ShiftJis,
        ] {
            let d = decode(&encode(text, enc));
            assert_eq!(d.encoding, enc);
            assert_eq!(d.text, text);
            assert!(!d.lossy);
        }
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let bytes: Vec<u8> = "{\n  \"scan_time\":\"x\""
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&bytes).encoding, TextEncoding::Utf16Le);
    }

    #[test]
    fn french_in_windows_1252() {
        let text = "[EmoCheck v2.0]\r\nTemps d'éxécution: 2021-02-22 10:00:00\r\n";
        let d = decode(&encode(text, TextEncoding::Windows1252));
        assert_eq!(d.encoding, TextEncoding::Windows1252);
        assert_eq!(d.text, text);
    }
}
