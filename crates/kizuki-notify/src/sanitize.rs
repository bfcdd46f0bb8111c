//! Feed content is hostile. Before any value from a feed reaches a
//! template it is neutralised for text: control and direction-changing
//! characters go, links are defanged so no mail client makes them
//! clickable, and length is capped. HTML templates also escape on output
//! (minijinja's auto-escaping), so a value is safe in both.

/// The longest feed value shown.
const MAX_CHARS: usize = 200;

fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width, LRM, RLM
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{FEFF}')
}

/// A feed value made harmless for plain text: one line, no invisible or
/// direction-changing characters, links defanged (`hxxp[:]//a[.]b`), and
/// at most 200 characters.
pub fn neutralise(s: &str) -> String {
    let mut one_line = String::with_capacity(s.len().min(MAX_CHARS * 4));
    let mut n = 0;
    for c in s.chars() {
        if n == MAX_CHARS {
            one_line.push('…');
            break;
        }
        if c == '\n' || c == '\r' || c == '\t' {
            one_line.push(' ');
        } else if invisible(c) {
            continue;
        } else {
            one_line.push(c);
        }
        n += 1;
    }
    defang(&one_line)
}

/// Defangs URLs, mail addresses and host names: `http` → `hxxp`, `://` →
/// `[:]//`, dots between letters or digits → `[.]`, `@` → `[at]`.
fn defang(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let rest = &lower[at..];
        if rest.starts_with("http") || rest.starts_with("ftp") {
            // hxxp / fxp: keep the case of the first letter.
            out.push(c);
            let skip = if rest.starts_with("http") { 3 } else { 2 };
            let x = match (rest.starts_with("http"), c.is_uppercase()) {
                (true, true) => "XX",
                (true, false) => "xx",
                (false, true) => "X",
                (false, false) => "x",
            };
            out.push_str(x);
            for &(_, c) in &chars[i + skip..(i + skip + 1).min(chars.len())] {
                out.push(c);
            }
            i += skip + 1;
            continue;
        }
        if rest.starts_with("://") {
            out.push_str("[:]//");
            i += 3;
            continue;
        }
        let alnum = |j: usize| chars.get(j).is_some_and(|(_, c)| c.is_alphanumeric());
        if c == '.' && i > 0 && alnum(i - 1) && alnum(i + 1) && !numeric_dot(&chars, i) {
            out.push_str("[.]");
        } else if c == '@' {
            out.push_str("[at]");
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// A dot inside a dotted-decimal number (an IPv4 address or a version)
/// stays: addresses in notices must be readable as they are.
fn numeric_dot(chars: &[(usize, char)], i: usize) -> bool {
    let word = |r: &mut dyn Iterator<Item = &(usize, char)>| {
        r.take_while(|(_, c)| c.is_alphanumeric() || *c == '.')
            .all(|(_, c)| c.is_ascii_digit() || *c == '.')
    };
    word(&mut chars[..i].iter().rev()) && word(&mut chars[i + 1..].iter())
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn links_and_addresses_are_defanged() {
        assert_eq!(
            neutralise("see http://evil.example/pay now"),
            "see hxxp[:]//evil[.]example/pay now"
        );
        assert_eq!(neutralise("HTTPS://a.b"), "HXXPS[:]//a[.]b");
        assert_eq!(
            neutralise("mail me@bad.example"),
            "mail me[at]bad[.]example"
        );
        assert_eq!(neutralise("emotet"), "emotet");
        assert_eq!(neutralise("192.0.2.1"), "192.0.2.1");
        assert_eq!(neutralise("v1.2.3"), "v1[.]2[.]3");
    }

    #[test]
    fn control_and_direction_characters_go() {
        assert_eq!(neutralise("a\u{202E}gpj.exe"), "agpj[.]exe");
        assert_eq!(neutralise("line1\r\nSubject: x"), "line1  Subject: x");
        assert_eq!(neutralise("a\u{0}b\u{7}c"), "abc");
    }

    #[test]
    fn long_values_are_cut() {
        let s = neutralise(&"x".repeat(1000));
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
    }
}
