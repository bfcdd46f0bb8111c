//! Running a row handler over a CSV body, in parallel where the data allows,
//! with the structural checks every CSV reader needs: rows of the wrong
//! width, quotes that never close, bytes that are not UTF-8.

use crate::batch::{Batch, ReadContext, Reject, run_ordered};
use crate::csvio::{self, Piece};
use std::sync::Arc;

/// Pieces of about this many bytes are read in parallel.
const PIECE_BYTES: usize = 2 << 20;

/// What a CSV reader does with each well-formed row.
pub trait RowHandler: Sync {
    /// Per-thread scratch space (a reusable event, counters).
    type State: Send;

    /// Fresh scratch space.
    fn state(&self) -> Self::State;

    /// Handles one row: emit an event through `ctx` or push a reject.
    fn row(&self, st: &mut Self::State, row: &RowRef<'_>, batch: &mut Batch, ctx: &ReadContext);
}

/// A row handed to a [`RowHandler`].
pub struct RowRef<'a> {
    /// The fields.
    pub fields: csvio::Fields<'a>,
    /// The whole record as read, without its line terminator.
    pub raw: &'a [u8],
    /// Whether `raw` is known to hold no line break.
    pub single_line: bool,
    /// The 1-based line in the original input the record starts on.
    pub line: u64,
    /// The input's name.
    pub file: &'a Arc<str>,
}

/// The body of a CSV input and how to read it.
pub struct Body<'a> {
    /// The input's name.
    pub name: &'a Arc<str>,
    /// The bytes after the header.
    pub data: &'a [u8],
    /// Lines of the original input before `data`.
    pub lines_before: u64,
    /// The field delimiter.
    pub delimiter: u8,
    /// Fields in the header.
    pub header_len: usize,
    /// Accept rows with more fields than the header (the surplus is
    /// ignored) and quotes that never close, as Python's `csv.DictReader`
    /// does. Rows with fewer fields are always read, the missing columns
    /// being absent, because real reports drop empty trailing columns.
    pub lenient_rows: bool,
    /// Whether the input ended with a line break (see
    /// [`Cleaned::terminated`](crate::csvio::Cleaned)).
    pub terminated: bool,
}

enum PieceResult {
    Done(Batch),
    /// The piece met a malformed record; its boundaries cannot be trusted.
    Suspect,
}

/// Reads `body`, calling `handler` for each well-formed row and `sink` for
/// each batch, in input order.
pub fn drive<H: RowHandler>(
    body: &Body<'_>,
    handler: &H,
    ctx: &ReadContext,
    sink: &mut dyn FnMut(Batch),
) {
    if ctx.thread_count() <= 1 {
        // One thread would read the pieces in order anyway: one pass, with
        // no pass beforehand to cut pieces and count their lines, handing
        // a batch over every `PIECE_BYTES` (which bounds its memory). This
        // is the reading a suspect piece falls back to, so the rows, events
        // and refusals are the same; only the batches are cut elsewhere.
        let whole = Piece {
            range: 0..body.data.len(),
            lines_before: 0,
        };
        read_piece(body, &whole, handler, ctx, false, sink);
        return;
    }
    // Pieces bound the memory a batch holds.
    let pieces = csvio::split(body.data, ctx.piece_size(PIECE_BYTES));
    let mut suspect_from: Option<Piece> = None;
    run_ordered(
        pieces,
        ctx.thread_count(),
        &|p: Piece| {
            let mut done = None;
            let suspect = read_piece(body, &p, handler, ctx, true, &mut |b| done = Some(b));
            match done {
                Some(b) if !suspect => (p, PieceResult::Done(b)),
                _ => (p, PieceResult::Suspect),
            }
        },
        &mut |(p, r)| {
            if suspect_from.is_some() {
                return;
            }
            match r {
                PieceResult::Done(b) => sink(b),
                PieceResult::Suspect => suspect_from = Some(p),
            }
        },
    );
    if let Some(p) = suspect_from {
        // Read the rest in one go: always correct, only slower.
        let rest = Piece {
            range: p.range.start..body.data.len(),
            lines_before: p.lines_before,
        };
        read_piece(body, &rest, handler, ctx, false, sink);
    }
}

/// Reads one piece, handing batches to `emit`. In `strict_boundaries` mode
/// a malformed record stops reading and returns `true` ("suspect": the
/// caller re-reads from this piece on), and the piece is one batch;
/// otherwise malformed records are rejected, reading resumes on the next
/// line, and a batch is handed over every `PIECE_BYTES` of input.
fn read_piece<H: RowHandler>(
    body: &Body<'_>,
    piece: &Piece,
    handler: &H,
    ctx: &ReadContext,
    strict_boundaries: bool,
    emit: &mut dyn FnMut(Batch),
) -> bool {
    let data = &body.data[piece.range.clone()];
    let line0 = body.lines_before + piece.lines_before;
    let mut st = handler.state();
    let mut batch = ctx.new_batch(data.len().min(PIECE_BYTES));
    let mut batch_start = 0usize;
    let mut suspect = false;
    csvio::for_each_record(data, body.delimiter, |r| {
        if !strict_boundaries && r.end - batch_start >= PIECE_BYTES {
            batch.bytes = (r.end - batch_start) as u64;
            batch_start = r.end;
            emit(std::mem::replace(&mut batch, ctx.new_batch(PIECE_BYTES)));
        }
        batch.rows += 1;
        let line = line0 + r.line;
        if (r.odd_quotes || r.open_quote) && strict_boundaries {
            suspect = true;
            return csvio::Next::Stop;
        }
        let cut_off = !body.terminated && piece.range.start + r.end == body.data.len();
        let refusal = if body.lenient_rows {
            None
        } else if cut_off && (r.odd_quotes || r.width < body.header_len) {
            Some(format!(
                "truncated: the input ends inside this row ({} of {} fields)",
                r.width, body.header_len
            ))
        } else if r.odd_quotes {
            Some("unbalanced quote: a quoted field never closes".to_owned())
        } else if r.width > body.header_len {
            Some(format!(
                "row has {} fields, the header has {} (shifted row or unquoted delimiter)",
                r.width, body.header_len
            ))
        } else {
            None
        };
        if let Some(reason) = refusal {
            let multi_line = memchr::memchr2(b'\n', b'\r', r.raw).is_some();
            if multi_line && !cut_off {
                if strict_boundaries {
                    suspect = true;
                    return csvio::Next::Stop;
                }
                // Only the first line is refused; the lines the bad record
                // swallowed are read again as rows of their own.
                batch.rejects.push(Reject {
                    file: body.name.clone(),
                    line,
                    reason: format!(
                        "{reason}; the record ran over several lines, so only this line is refused and reading resumes on the next"
                    ),
                    raw: first_line(r.raw).to_vec(),
                });
                return csvio::Next::Resync;
            }
            batch.rejects.push(Reject {
                file: body.name.clone(),
                line,
                reason,
                raw: r.raw.to_vec(),
            });
            return csvio::Next::Continue;
        }
        match r.fields {
            Ok(fields) => handler.row(
                &mut st,
                &RowRef {
                    fields,
                    raw: r.raw,
                    single_line: r.plain,
                    line,
                    file: body.name,
                },
                &mut batch,
                ctx,
            ),
            Err(e) => batch.rejects.push(Reject {
                file: body.name.clone(),
                line,
                reason: format!("field {} is not valid UTF-8", e.field + 1),
                raw: r.raw.to_vec(),
            }),
        }
        csvio::Next::Continue
    });
    if !suspect {
        batch.bytes = (data.len() - batch_start) as u64;
        emit(batch);
    }
    suspect
}

fn first_line(raw: &[u8]) -> &[u8] {
    let end = raw
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .unwrap_or(raw.len());
    &raw[..end]
}
