//! Tokens of dhcpd.leases: words, quoted strings, `{`, `}` and `;`, with
//! `#` comments skipped and each token's line kept.

/// What a token is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word: a keyword, an address, a number, a date part.
    Word,
    /// A double-quoted string; the text is between the quotes, escapes
    /// not yet undone.
    Str,
    /// A string with no closing quote on its line; the text is the rest
    /// of the line. dhcpd escapes every control character, so a string
    /// never spans lines.
    BadStr,
    /// `{`.
    Open,
    /// `}`.
    Close,
    /// `;`.
    Semi,
}

/// One token.
#[derive(Copy, Clone, Debug)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a [u8],
    /// The 1-based line it starts on.
    pub line: u64,
    /// Whether it starts a line with no indentation. dhcpd indents every
    /// statement inside a declaration, so an unindented keyword starts a
    /// new top-level declaration: that is where reading resumes after a
    /// declaration that was never closed.
    pub col0: bool,
}

impl Token<'_> {
    /// Whether it is the word `w`.
    pub fn is(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text == w.as_bytes()
    }

    /// The text, for messages.
    pub fn show(&self) -> String {
        String::from_utf8_lossy(self.text).into_owned()
    }
}

/// Splits a leases file into tokens.
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    peeked: Option<Option<Token<'a>>>,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Lexer<'a> {
        Lexer {
            data,
            pos: 0,
            line: 1,
            peeked: None,
        }
    }

    /// The next token, without taking it.
    pub fn peek(&mut self) -> Option<Token<'a>> {
        if self.peeked.is_none() {
            self.peeked = Some(self.scan());
        }
        self.peeked.flatten()
    }

    /// Takes the next token.
    pub fn next_token(&mut self) -> Option<Token<'a>> {
        match self.peeked.take() {
            Some(t) => t,
            None => self.scan(),
        }
    }

    fn scan(&mut self) -> Option<Token<'a>> {
        let d = self.data;
        // Blanks and comments.
        loop {
            match d.get(self.pos)? {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b' => self.pos += 1,
                b'#' => {
                    self.pos =
                        memchr::memchr(b'\n', &d[self.pos..]).map_or(d.len(), |i| self.pos + i);
                }
                _ => break,
            }
        }
        let start = self.pos;
        let col0 = start == 0 || d[start - 1] == b'\n';
        let line = self.line;
        let token = |kind, text| Token {
            kind,
            text,
            line,
            col0,
        };
        let c = d[start];
        let single = match c {
            b'{' => Some(Kind::Open),
            b'}' => Some(Kind::Close),
            b';' => Some(Kind::Semi),
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return Some(token(kind, &d[start..start + 1]));
        }
        if c == b'"' {
            let mut i = start + 1;
            while i < d.len() {
                match d[i] {
                    b'\\' if i + 1 < d.len() && d[i + 1] != b'\n' => i += 2,
                    b'"' => {
                        self.pos = i + 1;
                        return Some(token(Kind::Str, &d[start + 1..i]));
                    }
                    b'\n' => break,
                    _ => i += 1,
                }
            }
            let end = i.min(d.len());
            self.pos = end;
            return Some(token(Kind::BadStr, &d[start + 1..end]));
        }
        let mut i = start;
        while i < d.len()
            && !matches!(
                d[i],
                b' ' | b'\t' | b'\r' | b'\n' | b'{' | b'}' | b';' | b'"'
            )
        {
            i += 1;
        }
        self.pos = i;
        Some(token(Kind::Word, &d[start..i]))
    }
}

/// The bytes of a quoted string (as dhcpd's lexer reads them): `\t`,
/// `\r`, `\n`, `\b`, octal `\NNN` (up to three digits), hex `\xHH`, and any
/// other escaped character as itself.
pub(super) fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 >= raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b'b' => out.push(8),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut k = 0;
                while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + (raw[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String, u64, bool)> {
        let mut lx = Lexer::new(text.as_bytes());
        std::iter::from_fn(|| lx.next_token())
            .map(|t| (t.kind, t.show(), t.line, t.col0))
            .collect()
    }

    #[test]
    fn tokens_lines_and_comments() {
        let got = kinds(
            "# head\nlease 192.0.2.1 {\n  ends epoch 1614042000; # Tue\n  uid \"a\\\"b\";\n}\n",
        );
        let want = [
            (Kind::Word, "lease", 2, true),
            (Kind::Word, "192.0.2.1", 2, false),
            (Kind::Open, "{", 2, false),
            (Kind::Word, "ends", 3, false),
            (Kind::Word, "epoch", 3, false),
            (Kind::Word, "1614042000", 3, false),
            (Kind::Semi, ";", 3, false),
            (Kind::Word, "uid", 4, false),
            (Kind::Str, "a\\\"b", 4, false),
            (Kind::Semi, ";", 4, false),
            (Kind::Close, "}", 5, true),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, s, l, c)| (*k, s.to_string(), *l, *c))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_open_string_ends_at_its_line() {
        let got = kinds("uid \"abc\n}");
        assert_eq!(got[1].0, Kind::BadStr);
        assert_eq!(got[2], (Kind::Close, "}".into(), 2, true));
    }

    #[test]
    fn octal_and_other_escapes() {
        assert_eq!(
            unescape(br"\001\252\273\314\335\356\377"),
            [1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        );
        assert_eq!(unescape(br#"a\"b\\c\x41\7z"#), b"a\"b\\cA\x07z");
        assert_eq!(unescape(b"trailing\\"), b"trailing\\");
    }
}
