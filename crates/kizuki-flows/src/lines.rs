//! Reading an input line by line out of large blocks, with no copy and no
//! allocation per line.

use std::io::Read;

const BLOCK: usize = 1 << 20;

/// Lines of a byte stream, numbered from 1, without their `\n` or `\r\n`.
pub(crate) struct LineReader<R> {
    input: R,
    buf: Vec<u8>,
    /// Start of the unread part of `buf`.
    pos: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    eof: bool,
    /// The number of the line last returned.
    pub line: u64,
    /// Bytes returned so far, line ends included.
    pub bytes: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(input: R) -> Self {
        LineReader {
            input,
            buf: vec![0; BLOCK],
            pos: 0,
            end: 0,
            eof: false,
            line: 0,
            bytes: 0,
        }
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..self.end]) {
                let start = self.pos;
                self.pos += i + 1;
                self.line += 1;
                self.bytes += i as u64 + 1;
                let mut line = &self.buf[start..start + i];
                if let Some(l) = line.strip_suffix(b"\r") {
                    line = l;
                }
                return Ok(Some((self.line, line)));
            }
            if self.eof {
                if self.pos < self.end {
                    let start = self.pos;
                    self.bytes += (self.end - start) as u64;
                    self.pos = self.end;
                    self.line += 1;
                    let mut line = &self.buf[start..self.end];
                    if let Some(l) = line.strip_suffix(b"\r") {
                        line = l;
                    }
                    return Ok(Some((self.line, line)));
                }
                return Ok(None);
            }
            self.fill()?;
        }
    }

    /// What has not been read yet, for reading on elsewhere.
    pub fn into_rest(self) -> crate::parallel::Rest<R> {
        crate::parallel::Rest {
            buffered: self.buf[self.pos..self.end].to_vec(),
            input: self.input,
            first_line: self.line + 1,
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        // Move the partial line to the front, growing when one line fills
        // the whole buffer.
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Splits a block of whole lines, numbering them from `first`.
pub(crate) fn block_lines(block: &[u8], first: u64) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = block;
    let mut n = first;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, tail) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = tail;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let no = n;
        n += 1;
        Some((no, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_refills() {
        let mut text = Vec::new();
        for i in 0..200_000 {
            text.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        text.extend_from_slice(b"last without newline");
        let mut r = LineReader::new(&text[..]);
        let mut n = 0;
        let mut last = Vec::new();
        while let Some((_, l)) = r.next_line().unwrap() {
            n += 1;
            last = l.to_vec();
        }
        assert_eq!(n, 200_001);
        assert_eq!(r.line, 200_001);
        assert_eq!(last, b"last without newline");
        assert_eq!(r.bytes, text.len() as u64);
    }

    #[test]
    fn block_lines_numbers() {
        let v: Vec<_> = block_lines(b"a\nb\r\n\nc", 5).collect();
        assert_eq!(
            v,
            vec![
                (5, &b"a"[..]),
                (6, &b"b"[..]),
                (7, &b""[..]),
                (8, &b"c"[..])
            ]
        );
    }
}
