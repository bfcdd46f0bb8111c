//! IMAP on the wire: reading whole responses (lines with their literals)
//! and writing commands (quoted strings, literals, mailbox names).

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The longest response line accepted (without its literals). A `SEARCH`
/// answer with every UID of a large mailbox is the longest one expected.
const MAX_LINE: usize = 16 << 20;

/// The largest literal (one message) accepted.
pub(crate) const MAX_LITERAL: usize = 256 << 20;

/// Reads one complete server response: a line and, wherever a line ends
/// with a literal's announcement `{n}`, the n bytes that follow and the
/// rest of the response after them. The result is the response's exact
/// bytes, CRLFs included, so that a parser can walk over literals by
/// their counts.
pub(crate) async fn read_response<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let start = out.len();
        read_line(r, &mut out).await?;
        let Some(n) = literal_at_end(&out[start..]) else {
            return Ok(out);
        };
        if n > MAX_LITERAL {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("server announced a literal of {n} bytes, more than {MAX_LITERAL}"),
            ));
        }
        let got = r.take(n as u64).read_to_end(&mut out).await?;
        if got < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("server closed the connection {got} bytes into a {n}-byte literal"),
            ));
        }
    }
}

/// Appends one line, up to and including its LF, to `out`.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, out: &mut Vec<u8>) -> io::Result<()> {
    let start = out.len();
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            let msg = if out.len() == start {
                "server closed the connection"
            } else {
                "server closed the connection in the middle of a line"
            };
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
        }
        if let Some(i) = avail.iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&avail[..=i]);
            r.consume(i + 1);
            return Ok(());
        }
        let n = avail.len();
        out.extend_from_slice(avail);
        r.consume(n);
        if out.len() - start > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("server sent a line longer than {MAX_LINE} bytes"),
            ));
        }
    }
}

/// The count of a literal announced at the end of `line` (`{n}` or `{n+}`
/// right before the line end), if there is one.
fn literal_at_end(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_suffix(b"}")?;
    let line = line.strip_suffix(b"+").unwrap_or(line);
    let digits = line.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let (rest, num) = line.split_at(line.len() - digits);
    rest.strip_suffix(b"{")?;
    std::str::from_utf8(num).ok()?.parse().ok()
}

/// A command to send: text pieces and literals, and how to name it in
/// errors and logs (never with secret arguments).
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) chunks: Vec<Chunk>,
    pub(crate) name: String,
}

/// A piece of a command.
#[derive(Debug)]
pub(crate) enum Chunk {
    /// Sent as it is.
    Text(Vec<u8>),
    /// Sent as a synchronizing literal: `{n}`, CRLF, wait for `+`, bytes.
    Literal(Vec<u8>),
}

impl Command {
    /// A command starting with `verb` (e.g. `"UID FETCH 1:4 (UID)"`),
    /// named `name` in errors.
    pub(crate) fn new(verb: &str, name: impl Into<String>) -> Command {
        Command {
            chunks: vec![Chunk::Text(verb.as_bytes().to_vec())],
            name: name.into(),
        }
    }

    /// Appends a space and raw text.
    pub(crate) fn text(mut self, s: &str) -> Command {
        self.push_text(b" ");
        self.push_text(s.as_bytes());
        self
    }

    /// Appends a space and a string argument: quoted if it is plain
    /// printable ASCII, else a literal.
    pub(crate) fn string(mut self, s: &[u8]) -> Command {
        self.push_text(b" ");
        if s.iter().all(|&b| (0x20..0x7f).contains(&b)) {
            let mut q = Vec::with_capacity(s.len() + 2);
            q.push(b'"');
            for &b in s {
                if b == b'"' || b == b'\\' {
                    q.push(b'\\');
                }
                q.push(b);
            }
            q.push(b'"');
            self.push_text(&q);
        } else {
            self.chunks.push(Chunk::Literal(s.to_vec()));
        }
        self
    }

    /// Appends a space and a mailbox name (modified UTF-7, quoted).
    pub(crate) fn mailbox(self, name: &str) -> Command {
        let encoded = encode_mailbox(name);
        self.string(encoded.as_bytes())
    }

    /// Appends a space and a literal.
    pub(crate) fn literal(mut self, bytes: Vec<u8>) -> Command {
        self.push_text(b" ");
        self.chunks.push(Chunk::Literal(bytes));
        self
    }

    fn push_text(&mut self, s: &[u8]) {
        match self.chunks.last_mut() {
            Some(Chunk::Text(t)) => t.extend_from_slice(s),
            _ => self.chunks.push(Chunk::Text(s.to_vec())),
        }
    }
}

/// IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable
/// ASCII stands for itself, `&` is `&-`, anything else is UTF-16 in
/// base64 (with `,` for `/`) between `&` and `-`.
pub(crate) fn encode_mailbox(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush_utf16(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_utf16(&mut pending, &mut out);
    out
}

fn flush_utf16(pending: &mut Vec<u16>, out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // 3 bytes make 4 characters, 2 make 3, 1 makes 2; no padding.
        let chars = group.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out.push('-');
    pending.clear();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn first_error(wire: &[u8]) -> io::Error {
        let mut r = tokio::io::BufReader::with_capacity(7, wire);
        read_response(&mut r).await.unwrap_err()
    }

    #[tokio::test]
    async fn literals_are_read_by_count_not_by_line() {
        // The literal holds CRLFs, a brace pair at a line end and 8-bit
        // bytes; none of it may end the response early.
        let body: &[u8] = b"a\r\nb {3}\r\n\x82\xa0\r\n";
        let mut wire = Vec::new();
        wire.extend_from_slice(b"* 1 FETCH (UID 7 BODY[] {");
        wire.extend_from_slice(body.len().to_string().as_bytes());
        wire.extend_from_slice(b"}\r\n");
        wire.extend_from_slice(body);
        wire.extend_from_slice(b" FLAGS (\\Seen))\r\nA1 OK done\r\n");
        let mut r = tokio::io::BufReader::with_capacity(5, &wire[..]);
        let first = read_response(&mut r).await.unwrap();
        assert!(first.starts_with(b"* 1 FETCH"));
        assert!(first.ends_with(b" FLAGS (\\Seen))\r\n"));
        assert_eq!(first.len(), wire.len() - b"A1 OK done\r\n".len());
        let second = read_response(&mut r).await.unwrap();
        assert_eq!(second, b"A1 OK done\r\n");
        let eof = read_response(&mut r).await.unwrap_err();
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn short_literals_and_cut_lines_are_errors() {
        let err = first_error(b"* 1 FETCH (BODY[] {10}\r\nabc").await;
        assert!(
            err.to_string().contains("3 bytes into a 10-byte literal"),
            "{err}"
        );
        let err = first_error(b"* OK half a li").await;
        assert!(err.to_string().contains("middle of a line"), "{err}");
        let err = first_error(b"* 1 FETCH (BODY[] {999999999999}\r\n").await;
        assert!(err.to_string().contains("more than"), "{err}");
    }

    #[test]
    fn literal_announcements_are_recognised() {
        assert_eq!(literal_at_end(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(literal_at_end(b"x {0}\r\n"), Some(0));
        assert_eq!(literal_at_end(b"x {5+}\r\n"), Some(5));
        assert_eq!(literal_at_end(b"x {}\r\n"), None);
        assert_eq!(literal_at_end(b"x 12}\r\n"), None);
        assert_eq!(literal_at_end(b"A1 OK done\r\n"), None);
    }

    #[test]
    fn strings_are_quoted_or_sent_as_literals() {
        let c = Command::new("LOGIN", "LOGIN")
            .string(b"csirt@example.jp")
            .string(b"p\"w\\d");
        match &c.chunks[..] {
            [Chunk::Text(t)] => assert_eq!(t, b"LOGIN \"csirt@example.jp\" \"p\\\"w\\\\d\""),
            other => panic!("{other:?}"),
        }
        let c = Command::new("LOGIN", "LOGIN")
            .string("ユーザー".as_bytes())
            .string(b"a\r\nb");
        match &c.chunks[..] {
            [
                Chunk::Text(a),
                Chunk::Literal(u),
                Chunk::Text(b),
                Chunk::Literal(p),
            ] => {
                assert_eq!(a, b"LOGIN ");
                assert_eq!(u, "ユーザー".as_bytes());
                assert_eq!(b, b" ");
                assert_eq!(p, b"a\r\nb");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mailbox_names_use_modified_utf7() {
        // RFC 3501's own example, and the '&' escape.
        assert_eq!(
            encode_mailbox("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode_mailbox("R&D"), "R&-D");
        assert_eq!(encode_mailbox("INBOX"), "INBOX");
        assert_eq!(encode_mailbox("通報"), "&kBpYMQ-");
        // Outside the BMP: a surrogate pair.
        assert_eq!(encode_mailbox("😀"), "&2D3eAA-");
    }
}
