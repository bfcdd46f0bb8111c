//! The statements inside a declaration that the reader uses: dates,
//! binding states, client identities, `max-life`, `deleted`.

use super::lexer::{Kind, Token, unescape};
use crate::clock;

/// A date statement's value: a time, or `never`.
pub(super) type When = Option<i64>;

/// The statements of a `lease`, `iaaddr`, `iaprefix` or `ia-*` block that
/// the reader uses.
#[derive(Debug, Default)]
pub(super) struct Block {
    pub starts: Option<When>,
    pub ends: Option<When>,
    pub cltt: Option<When>,
    /// `binding state X;` (not `next` or `rewind binding state`).
    pub state: Option<String>,
    /// `hardware TYPE ADDRESS;`.
    pub hardware: Option<(String, String)>,
    /// `uid …;` as octets.
    pub uid: Option<Vec<u8>>,
    /// `max-life N;` (iaaddr, iaprefix).
    pub max_life: Option<u32>,
    /// A `deleted;` rubout.
    pub deleted: bool,
    /// The first problem in the block, with its line.
    pub error: Option<String>,
}

impl Block {
    pub(super) fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }
}

/// A token's text (`""` when it is not UTF-8, which no keyword is).
pub(super) fn text<'a>(t: &Token<'a>) -> &'a str {
    std::str::from_utf8(t.text).unwrap_or("")
}

/// Reads one `;`-ended statement into the block.
pub(super) fn statement(b: &mut Block, s: &[Token<'_>]) {
    let Some(line) = s.first().map(|t| t.line) else {
        return;
    };
    let word = |i: usize| s.get(i).map(text).unwrap_or("");
    match word(0) {
        k @ ("starts" | "ends" | "cltt") => match date(&s[1..]) {
            Some(w) => match k {
                "starts" => b.starts = Some(w),
                "ends" => b.ends = Some(w),
                _ => b.cltt = Some(w),
            },
            None => {
                let shown: Vec<String> = s[1..].iter().map(|t| t.show()).collect();
                b.fail(format!(
                    "line {line}: {k} {:?} is not a date (expected W YYYY/MM/DD HH:MM:SS, epoch N or never)",
                    shown.join(" ")
                ));
            }
        },
        "binding" if word(1) == "state" && s.len() == 3 => b.state = Some(word(2).to_owned()),
        // The old (dhcpd 3) spelling of `binding state abandoned`.
        "abandoned" if s.len() == 1 => b.state = Some("abandoned".into()),
        "hardware" if s.len() == 3 => b.hardware = Some((word(1).to_owned(), word(2).to_owned())),
        "uid" if s.len() == 2 => match octets(&s[1]) {
            Some(o) => b.uid = Some(o),
            None => b.fail(format!(
                "line {line}: uid {} is not a string or hex octets",
                s[1].show()
            )),
        },
        "max-life" if s.len() == 2 => match word(1).parse() {
            Ok(v) => b.max_life = Some(v),
            Err(_) => b.fail(format!(
                "line {line}: max-life {:?} is not a number",
                word(1)
            )),
        },
        "deleted" if s.len() == 1 => b.deleted = true,
        _ => {}
    }
}

/// `W YYYY/MM/DD HH:MM:SS` (UTC; the weekday may be left out), `epoch N`
/// or `never`.
fn date(s: &[Token<'_>]) -> Option<When> {
    let w: Vec<&str> = s.iter().map(text).collect();
    let (d, t) = match w.as_slice() {
        ["never"] => return Some(None),
        ["epoch", n] => return n.parse().ok().map(Some),
        [wd, d, t] if wd.len() == 1 && wd.as_bytes()[0].is_ascii_digit() => (*d, *t),
        [d, t] => (*d, *t),
        _ => return None,
    };
    let mut it = d.split('/');
    let y: i16 = it.next()?.parse().ok()?;
    let mo: i8 = it.next()?.parse().ok()?;
    let day: i8 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let mut it = t.split(':');
    let h: i8 = it.next()?.parse().ok()?;
    let mi: i8 = it.next()?.parse().ok()?;
    let sec: i8 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let dt = jiff::civil::DateTime::new(y, mo, day, h, mi, sec, 0).ok()?;
    clock::utc(dt).map(Some)
}

/// The octets of a quoted string (`lease-id-format octal`, the default) or
/// of colon-separated hex (`lease-id-format hex`).
pub(super) fn octets(t: &Token<'_>) -> Option<Vec<u8>> {
    match t.kind {
        Kind::Str => Some(unescape(t.text)),
        Kind::Word => text(t)
            .split(':')
            .map(|h| {
                (h.len() <= 2)
                    .then(|| u8::from_str_radix(h, 16).ok())
                    .flatten()
            })
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::dhcpd::lexer::Lexer;

    fn toks(s: &str) -> Vec<Token<'_>> {
        let mut lx = Lexer::new(s.as_bytes());
        std::iter::from_fn(move || lx.next_token()).collect()
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(date(&toks("2 2021/02/23 01:00:00")), Some(Some(1614042000)));
        assert_eq!(date(&toks("2021/02/23 01:00:00")), Some(Some(1614042000)));
        assert_eq!(date(&toks("epoch 1614042000")), Some(Some(1614042000)));
        assert_eq!(date(&toks("never")), Some(None));
        assert_eq!(date(&toks("2 2021/02/30 01:00:00")), None);
        assert_eq!(date(&toks("2 2021/02/23")), None);
    }

    #[test]
    fn identities_as_strings_or_hex() {
        let t = toks("\"\\001ab\" 01:0a:FF 1:2:3 0g");
        assert_eq!(octets(&t[0]), Some(vec![1, b'a', b'b']));
        assert_eq!(octets(&t[1]), Some(vec![1, 10, 255]));
        assert_eq!(octets(&t[2]), Some(vec![1, 2, 3]));
        assert_eq!(octets(&t[3]), None);
    }

    #[test]
    fn statements_fill_the_block() {
        let mut b = Block::default();
        statement(&mut b, &toks("binding state active"));
        statement(&mut b, &toks("next binding state free"));
        statement(&mut b, &toks("hardware ethernet 00:11:22:33:44:55"));
        statement(&mut b, &toks("max-life 7200"));
        statement(&mut b, &toks("ends never"));
        assert_eq!(b.state.as_deref(), Some("active"));
        assert_eq!(
            b.hardware,
            Some(("ethernet".into(), "00:11:22:33:44:55".into()))
        );
        assert_eq!(
            (b.max_life, b.ends, b.error.as_deref()),
            (Some(7200), Some(None), None)
        );
        statement(&mut b, &toks("cltt 2 2021/13/01 00:00:00"));
        assert!(b.error.is_some_and(|e| e.contains("cltt")));
    }
}
