//! Reading server responses: tagged status lines, the untagged responses
//! this client uses (capabilities, UIDVALIDITY, EXISTS, SEARCH, FETCH) and
//! the values inside a FETCH (atoms, quoted strings, literals, lists).

/// A status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
    Preauth,
    Bye,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::Preauth => "PREAUTH",
            Status::Bye => "BYE",
        }
    }
}

/// A status with its optional response code (`[UIDVALIDITY 3]`) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusLine {
    pub(crate) status: Status,
    pub(crate) code: Option<String>,
    pub(crate) text: String,
}

impl StatusLine {
    /// The number in a response code `NAME n`, if this line has it.
    pub(crate) fn code_number(&self, name: &str) -> Option<u32> {
        let code = self.code.as_deref()?;
        let (head, rest) = code.split_once(' ')?;
        if !head.eq_ignore_ascii_case(name) {
            return None;
        }
        rest.split(' ').next()?.parse().ok()
    }

    /// The capabilities in a `[CAPABILITY ...]` code, upper-cased.
    pub(crate) fn capabilities(&self) -> Option<Vec<String>> {
        let code = self.code.as_deref()?;
        let (head, rest) = code.split_once(' ')?;
        head.eq_ignore_ascii_case("CAPABILITY").then(|| {
            rest.split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect()
        })
    }
}

/// One response, as far as this client cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Response {
    /// `+ ...`: go on sending the literal.
    Continue,
    /// `TAG OK|NO|BAD ...`.
    Tagged { tag: String, line: StatusLine },
    /// `* OK|NO|BAD|BYE|PREAUTH ...`.
    Status(StatusLine),
    /// `* CAPABILITY ...`.
    Capability(Vec<String>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* SEARCH n n ...`.
    Search(Vec<u32>),
    /// `* n FETCH (...)`: the UID and the whole message, where given.
    Fetch {
        uid: Option<u32>,
        body: Option<Vec<u8>>,
    },
    /// Anything else (FLAGS, RECENT, EXPUNGE, LIST, ...).
    Other,
}

/// Parses one complete response as read by `wire::read_response`.
pub(crate) fn parse_response(raw: &[u8]) -> Result<Response, String> {
    if raw.starts_with(b"+") {
        return Ok(Response::Continue);
    }
    let (tag, rest) = split_word(raw);
    if tag.is_empty() {
        return Err("a response without a tag".to_owned());
    }
    if tag != b"*" {
        let line = status_line(rest).ok_or("a tagged response without OK, NO or BAD")?;
        return Ok(Response::Tagged {
            tag: String::from_utf8_lossy(tag).into_owned(),
            line,
        });
    }
    if let Some(line) = status_line(rest) {
        return Ok(Response::Status(line));
    }
    let (word, after) = split_word(rest);
    if word.eq_ignore_ascii_case(b"CAPABILITY") {
        let text = String::from_utf8_lossy(trim_end(after));
        return Ok(Response::Capability(
            text.split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect(),
        ));
    }
    if word.eq_ignore_ascii_case(b"SEARCH") {
        // Numbers only; a trailing "(MODSEQ n)" is not ours to read.
        let text = String::from_utf8_lossy(trim_end(after));
        let mut uids = Vec::new();
        for w in text.split_whitespace() {
            if w.starts_with('(') {
                break;
            }
            uids.push(
                w.parse()
                    .map_err(|_| format!("SEARCH result {w:?} is not a number"))?,
            );
        }
        return Ok(Response::Search(uids));
    }
    if let Some(n) = std::str::from_utf8(word)
        .ok()
        .and_then(|w| w.parse::<u32>().ok())
    {
        let (kind, after) = split_word(after);
        if kind.eq_ignore_ascii_case(b"EXISTS") {
            return Ok(Response::Exists(n));
        }
        if kind.eq_ignore_ascii_case(b"FETCH") {
            return parse_fetch(after);
        }
    }
    Ok(Response::Other)
}

fn parse_fetch(items: &[u8]) -> Result<Response, String> {
    let mut p = Values { buf: items, pos: 0 };
    let Value::List(list) = p.value()? else {
        return Err("FETCH data is not a parenthesized list".to_owned());
    };
    let mut uid = None;
    let mut body = None;
    let mut it = list.into_iter();
    while let Some(key) = it.next() {
        let Value::Atom(key) = key else {
            return Err("FETCH item name is not an atom".to_owned());
        };
        let value = it.next().ok_or("FETCH item without a value")?;
        if key.eq_ignore_ascii_case(b"UID") {
            let Value::Atom(n) = value else {
                return Err("FETCH UID is not a number".to_owned());
            };
            uid = Some(
                std::str::from_utf8(&n)
                    .ok()
                    .and_then(|s| s.parse::<u32>().ok())
                    .ok_or("FETCH UID is not a number")?,
            );
        } else if key.eq_ignore_ascii_case(b"BODY[]") {
            body = match value {
                Value::Str(bytes) => Some(bytes),
                Value::Nil => None,
                _ => return Err("FETCH BODY[] is neither a string nor NIL".to_owned()),
            };
        }
    }
    Ok(Response::Fetch { uid, body })
}

/// `OK|NO|BAD|BYE|PREAUTH [code] text`, if `rest` starts with a status.
fn status_line(rest: &[u8]) -> Option<StatusLine> {
    let (word, after) = split_word(rest);
    let status = match word.to_ascii_uppercase().as_slice() {
        b"OK" => Status::Ok,
        b"NO" => Status::No,
        b"BAD" => Status::Bad,
        b"BYE" => Status::Bye,
        b"PREAUTH" => Status::Preauth,
        _ => return None,
    };
    let after = trim_end(after);
    let (code, text) = match after.strip_prefix(b"[") {
        Some(inner) => match inner.iter().position(|&b| b == b']') {
            Some(end) => (Some(&inner[..end]), inner[end + 1..].trim_ascii_start()),
            None => (None, after),
        },
        None => (None, after),
    };
    Some(StatusLine {
        status,
        code: code.map(|c| String::from_utf8_lossy(c).into_owned()),
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

fn split_word(s: &[u8]) -> (&[u8], &[u8]) {
    let s = trim_end(s);
    match s.iter().position(|&b| b == b' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    s.strip_suffix(b"\r").unwrap_or(s)
}

/// A short, printable excerpt of a response for error messages.
pub(crate) fn excerpt(raw: &[u8]) -> String {
    let cut = &raw[..raw.len().min(200)];
    let text = String::from_utf8_lossy(trim_end(cut));
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    if raw.len() > 200 {
        out.push('…');
    }
    out
}

/// A value inside FETCH data.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    /// An atom or number, with any `[section]<partial>` kept in it.
    Atom(Vec<u8>),
    /// A quoted string or a literal.
    Str(Vec<u8>),
    Nil,
    List(Vec<Value>),
}

/// A cursor over FETCH data.
struct Values<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Values<'_> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Value, String> {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        match self.peek() {
            None => Err("FETCH data ends too early".to_owned()),
            Some(b'(') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    while self.peek() == Some(b' ') {
                        self.pos += 1;
                    }
                    match self.peek() {
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(Value::List(items));
                        }
                        None => return Err("FETCH list is not closed".to_owned()),
                        Some(_) => items.push(self.value()?),
                    }
                }
            }
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            Some(b'~') if self.buf.get(self.pos + 1) == Some(&b'{') => {
                self.pos += 1;
                self.literal()
            }
            Some(_) => self.atom(),
        }
    }

    fn quoted(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return Ok(Value::Str(out)),
                b'\\' => {
                    let escaped = self.peek().ok_or("quoted string ends in a backslash")?;
                    out.push(escaped);
                    self.pos += 1;
                }
                b'\r' | b'\n' => return Err("quoted string holds a line break".to_owned()),
                b => out.push(b),
            }
        }
        Err("quoted string is not closed".to_owned())
    }

    fn literal(&mut self) -> Result<Value, String> {
        let rest = &self.buf[self.pos..];
        let close = rest
            .iter()
            .position(|&b| b == b'}')
            .ok_or("literal count is not closed")?;
        let count = std::str::from_utf8(&rest[1..close])
            .ok()
            .map(|s| s.trim_end_matches('+'))
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or("literal count is not a number")?;
        let after = &rest[close + 1..];
        let skip = if after.starts_with(b"\r\n") {
            2
        } else if after.starts_with(b"\n") {
            1
        } else {
            return Err("literal count is not followed by a line end".to_owned());
        };
        let start = self.pos + close + 1 + skip;
        let end = start
            .checked_add(count)
            .filter(|&e| e <= self.buf.len())
            .ok_or("literal is shorter than announced")?;
        self.pos = end;
        Ok(Value::Str(self.buf[start..end].to_vec()))
    }

    fn atom(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'(' | b')' | b'\r' | b'\n' | b'"' | b'{' => break,
                // A section may hold spaces and parentheses:
                // BODY[HEADER.FIELDS (FROM)].
                b'[' => {
                    let close = self.buf[self.pos..]
                        .iter()
                        .position(|&c| c == b']')
                        .ok_or("section is not closed")?;
                    self.pos += close + 1;
                }
                _ => self.pos += 1,
            }
        }
        if self.pos == start {
            return Err(format!(
                "unexpected byte {:?} in FETCH data",
                char::from(self.buf[start])
            ));
        }
        let atom = &self.buf[start..self.pos];
        if atom.eq_ignore_ascii_case(b"NIL") {
            Ok(Value::Nil)
        } else {
            Ok(Value::Atom(atom.to_vec()))
        }
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
