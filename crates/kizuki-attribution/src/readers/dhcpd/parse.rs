//! The declarations of dhcpd.leases that hold addresses (`lease`, `ia-na`,
//! `ia-ta`, `ia-pd`), with the statements the reader uses; everything else
//! (`server-duid`, `failover peer … state { … }`, `host … { … }`, …) is
//! skipped.
//!
//! Errors inside a declaration are kept with it, so that the reader can
//! reject it and go on. A declaration that is never closed ends where the
//! next unindented top-level keyword starts, which is where reading
//! resumes.

use super::block::{Block, text};
use super::lexer::{Kind, Lexer, Token};
use crate::record::Net;
use std::net::IpAddr;

/// An `iaaddr` or `iaprefix` inside an `ia-*`.
#[derive(Debug)]
pub(super) struct IaAddr {
    pub line: u64,
    /// The address (`iaaddr`) or prefix (`iaprefix`).
    pub net: Result<Net, String>,
    pub block: Block,
}

/// A declaration that holds addresses, or a problem between declarations.
#[derive(Debug)]
pub(super) enum Item {
    /// `lease ADDRESS { … }`.
    Lease {
        line: u64,
        addr: Result<IpAddr, String>,
        block: Block,
        /// Why the declaration cannot be trusted as a whole (never closed).
        broken: Option<String>,
    },
    /// `ia-na|ia-ta|ia-pd "IAID+DUID" { … }`.
    Ia {
        line: u64,
        keyword: String,
        /// The IAID and DUID octets.
        id: Result<Vec<u8>, String>,
        /// `cltt`, `deleted` and problems of the ia itself.
        block: Block,
        addrs: Vec<IaAddr>,
        broken: Option<String>,
    },
    /// Something wrong outside any declaration (a stray `}`).
    Problem { line: u64, reason: String },
}

/// Keywords that start a top-level declaration or statement.
const TOP: [&str; 13] = [
    "lease",
    "ia-na",
    "ia-ta",
    "ia-pd",
    "ia_na",
    "ia_ta",
    "ia_pd",
    "host",
    "failover",
    "server-duid",
    "authoring-byte-order",
    "class",
    "subclass",
];

fn starts_declaration(t: &Token<'_>) -> bool {
    t.col0 && t.kind == Kind::Word && TOP.iter().any(|k| t.is(k))
}

/// How a block ended when it did not end with its `}`.
enum Cut {
    /// The next declaration starts at this line.
    Next(u64),
    /// The file ends.
    Eof,
}

impl Cut {
    fn reason(&self, what: &str) -> String {
        match self {
            Cut::Next(next) => {
                format!("{what} has no closing `}}` before the next declaration at line {next}")
            }
            Cut::Eof => format!("{what} is cut off by the end of the file"),
        }
    }
}

/// Parses a whole file.
pub(super) fn parse(data: &[u8]) -> Vec<Item> {
    let mut lx = Lexer::new(data);
    let mut items = Vec::new();
    while let Some(t) = lx.next_token() {
        match t.kind {
            Kind::Semi => {}
            Kind::Close => items.push(Item::Problem {
                line: t.line,
                reason: "`}` with no declaration open".into(),
            }),
            Kind::Word if t.is("lease") => items.push(lease(&mut lx, t)),
            Kind::Word if TOP[1..7].iter().any(|k| t.is(k)) => items.push(ia(&mut lx, t)),
            _ => {
                if let Err(cut) = skip_statement(&mut lx, t) {
                    items.push(Item::Problem {
                        line: t.line,
                        reason: cut.reason(&format!("`{}`", t.show())),
                    });
                }
            }
        }
    }
    items
}

/// Skips a statement that is not read: up to its `;`, or over its
/// `{ … }` block.
fn skip_statement(lx: &mut Lexer<'_>, first: Token<'_>) -> Result<(), Cut> {
    let mut t = first;
    loop {
        match t.kind {
            Kind::Semi => return Ok(()),
            Kind::Open => return skip_block(lx),
            _ => {}
        }
        let Some(next) = lx.peek() else {
            return Err(Cut::Eof);
        };
        if starts_declaration(&next) || next.kind == Kind::Close {
            // A statement missing its `;`: leave what follows to the caller.
            return if next.kind == Kind::Close {
                Ok(())
            } else {
                Err(Cut::Next(next.line))
            };
        }
        t = next;
        lx.next_token();
    }
}

/// Skips to the `}` that closes a block whose `{` was just read.
fn skip_block(lx: &mut Lexer<'_>) -> Result<(), Cut> {
    let mut depth = 1usize;
    loop {
        let Some(t) = lx.peek() else {
            return Err(Cut::Eof);
        };
        if starts_declaration(&t) {
            return Err(Cut::Next(t.line));
        }
        lx.next_token();
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
}

/// After a declaration header that is not followed by `{`: skips to the
/// next unindented `}` (taken) or top-level keyword (left).
fn resync(lx: &mut Lexer<'_>) {
    while let Some(t) = lx.peek() {
        if starts_declaration(&t) {
            return;
        }
        lx.next_token();
        if t.col0 && t.kind == Kind::Close {
            return;
        }
    }
}

/// Reads a statement that opens a block of its own (`iaaddr … {`), or
/// says `None` when the block is to be skipped.
type Nested<'a, 'f> = dyn FnMut(&mut Lexer<'a>, &[Token<'a>]) -> Option<Result<(), Cut>> + 'f;

/// Reads the statements of a block up to its `}`; `nested` reads those
/// that open a block of their own.
fn block<'a>(lx: &mut Lexer<'a>, b: &mut Block, nested: &mut Nested<'a, '_>) -> Result<(), Cut> {
    let mut stmt: Vec<Token<'a>> = Vec::with_capacity(8);
    loop {
        let Some(t) = lx.peek() else {
            return Err(Cut::Eof);
        };
        if starts_declaration(&t) {
            return Err(Cut::Next(t.line));
        }
        lx.next_token();
        match t.kind {
            Kind::Close if stmt.is_empty() => return Ok(()),
            Kind::Close => {
                b.fail(format!(
                    "line {}: `{}` statement not ended by `;`",
                    stmt[0].line,
                    stmt[0].show()
                ));
                return Ok(());
            }
            Kind::Semi => {
                if !stmt.is_empty() {
                    super::block::statement(b, &stmt);
                }
                stmt.clear();
            }
            Kind::Open => {
                match nested(lx, &stmt) {
                    Some(r) => r?,
                    None => skip_block(lx)?,
                }
                stmt.clear();
            }
            Kind::BadStr => {
                b.fail(format!("line {}: string with no closing quote", t.line));
                stmt.push(t);
            }
            Kind::Word | Kind::Str => {
                // dhcpd writes each statement on one line: a word on a new
                // line after an unfinished statement means a lost `;`.
                if let Some(first) = stmt.first()
                    && first.line != t.line
                {
                    b.fail(format!(
                        "line {}: `{}` statement not ended by `;`",
                        first.line,
                        first.show()
                    ));
                    stmt.clear();
                }
                stmt.push(t);
            }
        }
    }
}

/// The header of a declaration up to its `{`: the one token between the
/// keyword and the `{`. `Err` when the `{` is missing (reading has then
/// moved on to the next declaration).
fn header<'a>(lx: &mut Lexer<'a>, what: &str) -> Result<Option<Token<'a>>, String> {
    let arg = match lx.peek() {
        Some(t)
            if matches!(t.kind, Kind::Word | Kind::Str | Kind::BadStr)
                && !starts_declaration(&t) =>
        {
            lx.next_token();
            Some(t)
        }
        _ => None,
    };
    match lx.peek() {
        Some(t) if t.kind == Kind::Open => {
            lx.next_token();
            Ok(arg)
        }
        other => {
            let found = other.map_or("the end of the file".into(), |t| {
                format!("`{}` at line {}", t.show(), t.line)
            });
            resync(lx);
            Err(format!("{what}: expected `{{`, found {found}"))
        }
    }
}

fn lease(lx: &mut Lexer<'_>, kw: Token<'_>) -> Item {
    let mut b = Block::default();
    let (addr, broken) = match header(lx, "lease") {
        Err(reason) => (Err(reason.clone()), Some(reason)),
        Ok(arg) => {
            let addr = match arg {
                Some(a) if a.kind == Kind::Word => text(&a)
                    .parse()
                    .map_err(|_| format!("lease address {:?} is not an IP address", a.show())),
                _ => Err("lease with no address".into()),
            };
            let broken = block(lx, &mut b, &mut |_, _| None)
                .err()
                .map(|c| c.reason("lease"));
            (addr, broken)
        }
    };
    Item::Lease {
        line: kw.line,
        addr,
        block: b,
        broken,
    }
}

fn ia(lx: &mut Lexer<'_>, kw: Token<'_>) -> Item {
    let keyword = kw.show().replace('_', "-");
    let mut b = Block::default();
    let mut addrs = Vec::new();
    let (id, broken) = match header(lx, &keyword) {
        Err(reason) => (Err(reason.clone()), Some(reason)),
        Ok(arg) => {
            let id = match arg {
                Some(a) if a.kind != Kind::BadStr => super::block::octets(&a).ok_or_else(|| {
                    format!(
                        "{keyword} identifier {} is not a string or hex octets",
                        a.show()
                    )
                }),
                Some(_) => Err(format!("{keyword} identifier has no closing quote")),
                None => Err(format!("{keyword} with no identifier")),
            };
            let mut nested = |lx: &mut Lexer<'_>, s: &[Token<'_>]| -> Option<Result<(), Cut>> {
                let first = s.first()?;
                let prefix = match text(first) {
                    "iaaddr" => false,
                    "iaprefix" => true,
                    _ => return None,
                };
                let arg = s.get(1).map(text).unwrap_or("");
                let net = if prefix {
                    match arg.split_once('/') {
                        Some(_) => Net::parse(arg)
                            .ok_or_else(|| format!("iaprefix {arg:?} is not a prefix")),
                        None => Err(format!("iaprefix {arg:?} has no /length")),
                    }
                } else {
                    arg.parse::<IpAddr>()
                        .map(Net::host)
                        .map_err(|_| format!("iaaddr {arg:?} is not an IP address"))
                };
                let mut ab = Block::default();
                let r = block(lx, &mut ab, &mut |_, _| None);
                addrs.push(IaAddr {
                    line: first.line,
                    net,
                    block: ab,
                });
                Some(r)
            };
            let broken = block(lx, &mut b, &mut nested)
                .err()
                .map(|c| c.reason(&keyword));
            (id, broken)
        }
    };
    Item::Ia {
        line: kw.line,
        keyword,
        id,
        block: b,
        addrs,
        broken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_lease_ends_at_the_next_declaration() {
        let items = parse(
            b"lease 192.0.2.1 {\n  starts 2 2021/02/23 01:00:00;\nlease 192.0.2.2 {\n  binding state free;\n}\n",
        );
        assert_eq!(items.len(), 2);
        match &items[0] {
            Item::Lease {
                broken: Some(r), ..
            } => {
                assert_eq!(
                    r,
                    "lease has no closing `}` before the next declaration at line 3"
                )
            }
            other => panic!("{other:?}"),
        }
        match &items[1] {
            Item::Lease {
                broken: None,
                block,
                ..
            } => assert_eq!(block.state.as_deref(), Some("free")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_statements_are_skipped() {
        let items = parse(
            b"authoring-byte-order little-endian;\nserver-duid \"\\000\\001#\";\nfailover peer \"p\" state {\n  my state normal at 2 2021/02/23 01:00:00;\n}\nhost pc { dynamic; deleted; }\n}\n",
        );
        assert_eq!(items.len(), 1);
        assert!(matches!(items[0], Item::Problem { line: 7, .. }));
    }
}
