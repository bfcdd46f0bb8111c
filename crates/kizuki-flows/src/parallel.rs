//! Reading a line-oriented log on several threads: the calling thread cuts
//! the input into blocks of whole lines (numbering them), worker threads
//! parse the blocks, each into a sink of its own.
//!
//! Only formats whose rows can be read without the rows before them (all
//! state comes from the header) go this way: nfdump CSV and mapped CSV
//! without quoting.

use crate::error::{FlowError, Reject};
use crate::flow::Flow;
use crate::lines::block_lines;
use crate::sink::{FlowSink, ReadSummary};
use std::io::Read;
use std::sync::{Arc, Mutex, mpsc};

/// Bytes per block handed to a worker.
const BLOCK: usize = 4 << 20;

/// Reads one data row; all state comes from the header.
pub(crate) trait RowParser: Clone + Send {
    /// Fills `flow` from `line`, or says why the line is refused.
    fn parse_row(&mut self, line: &[u8], flow: &mut Flow) -> Result<(), String>;
}

/// The unread rest of an input: bytes already buffered, then the reader.
pub(crate) struct Rest<R> {
    pub buffered: Vec<u8>,
    pub input: R,
    /// The number of the first line in `buffered`.
    pub first_line: u64,
}

struct Block {
    data: Vec<u8>,
    first_line: u64,
}

/// Parses every row of `rest` on `threads` threads. Rows stop at a line
/// equal to `trailer` (nfdump 1.6's `Summary`); it and the lines after it
/// are counted as skipped. Returns the sinks (one per thread, in no
/// particular order) and the counts, which the caller adds to its own.
pub(crate) fn read_rows<R, P, S, M>(
    rest: Rest<R>,
    file: &Arc<str>,
    parser: &P,
    threads: usize,
    trailer: Option<&[u8]>,
    make_sink: M,
) -> Result<(Vec<S>, ReadSummary), FlowError>
where
    R: Read,
    P: RowParser,
    S: FlowSink + Send,
    M: Fn() -> S + Sync,
{
    let threads = threads.max(1);
    let (tx, rx) = mpsc::sync_channel::<Block>(threads * 2);
    let rx = Arc::new(Mutex::new(rx));
    let pool: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for _ in 0..threads {
            let rx = rx.clone();
            let mut parser = parser.clone();
            let pool = &pool;
            let make_sink = &make_sink;
            workers.push(scope.spawn(move || {
                let mut sink = make_sink();
                let mut sum = ReadSummary::new(file, "");
                let mut flow = Flow::empty(file.clone());
                loop {
                    let block = {
                        let Ok(guard) = rx.lock() else { break };
                        match guard.recv() {
                            Ok(b) => b,
                            Err(_) => break,
                        }
                    };
                    parse_block(&block, &mut parser, &mut flow, &mut sink, &mut sum);
                    if let Ok(mut p) = pool.lock() {
                        let mut data = block.data;
                        data.clear();
                        p.push(data);
                    }
                }
                (sink, sum)
            }));
        }
        let produced = produce(rest, file, trailer, &tx, &pool);
        drop(tx);
        let mut sinks = Vec::with_capacity(threads);
        let mut total = ReadSummary::new(file, "");
        for w in workers {
            match w.join() {
                Ok((s, sum)) => {
                    total.add(&sum);
                    sinks.push(s);
                }
                Err(_) => {
                    return Err(FlowError::format(file, "a reading thread panicked"));
                }
            }
        }
        let extra = produced?;
        total.add(&extra);
        Ok((sinks, total))
    })
}

fn parse_block<P: RowParser, S: FlowSink>(
    block: &Block,
    parser: &mut P,
    flow: &mut Flow,
    sink: &mut S,
    sum: &mut ReadSummary,
) {
    for (no, line) in block_lines(&block.data, block.first_line) {
        sum.lines += 1;
        if line.trim_ascii().is_empty() {
            sum.skipped += 1;
            continue;
        }
        flow.line = no;
        match parser.parse_row(line, flow) {
            Ok(()) => {
                sum.flows += 1;
                sink.flow(flow);
            }
            Err(reason) => {
                sum.rejected += 1;
                sink.reject(Reject::new(&flow.file, no, reason, line));
            }
        }
    }
}

/// Cuts the input into blocks; returns the counts of what it kept for
/// itself (the trailer and the lines after it, and bytes).
fn produce<R: Read>(
    rest: Rest<R>,
    file: &Arc<str>,
    trailer: Option<&[u8]>,
    tx: &mpsc::SyncSender<Block>,
    pool: &Mutex<Vec<Vec<u8>>>,
) -> Result<ReadSummary, FlowError> {
    let mut sum = ReadSummary::new(file, "");
    let Rest {
        buffered,
        mut input,
        first_line,
    } = rest;
    let mut carry = buffered;
    let mut line = first_line;
    let mut eof = false;
    let mut in_trailer = false;
    loop {
        let mut data = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| Vec::with_capacity(BLOCK + (64 << 10)));
        data.append(&mut carry);
        if !eof {
            let want = BLOCK.saturating_sub(data.len()) as u64;
            let n = (&mut input)
                .take(want.max(64 << 10))
                .read_to_end(&mut data)
                .map_err(|e| FlowError::io(file.as_ref(), e))?;
            eof = n == 0;
        }
        if data.is_empty() {
            break;
        }
        // Keep the partial last line for the next block.
        if !eof {
            match memchr::memrchr(b'\n', &data) {
                Some(i) => carry.extend_from_slice(&data[i + 1..]),
                None => {
                    // One line longer than a block: read on.
                    carry = data;
                    continue;
                }
            }
            let keep = data.len() - carry.len();
            data.truncate(keep);
        }
        sum.bytes += data.len() as u64;
        if in_trailer {
            let n = count_lines(&data);
            sum.lines += n;
            sum.skipped += n;
            continue;
        }
        if let Some(t) = trailer
            && let Some(at) = find_line(&data, t)
        {
            let tail = data.split_off(at);
            let n = count_lines(&tail);
            sum.lines += n;
            sum.skipped += n;
            in_trailer = true;
        }
        let n = count_lines(&data);
        let block = Block {
            data,
            first_line: line,
        };
        line += n;
        if tx.send(block).is_err() {
            break;
        }
        if eof && carry.is_empty() {
            break;
        }
    }
    Ok(sum)
}

/// Lines in a block of whole lines (the last may lack its `\n`).
fn count_lines(data: &[u8]) -> u64 {
    if data.is_empty() {
        return 0;
    }
    let n = bytecount::count(data, b'\n') as u64;
    if data.ends_with(b"\n") { n } else { n + 1 }
}

/// Where the first line equal to `t` (ignoring trailing space) starts.
fn find_line(data: &[u8], t: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&data[from..], t) {
        let at = from + i;
        let starts = at == 0 || data[at - 1] == b'\n';
        let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |e| at + e);
        if starts && data[at + t.len()..end].trim_ascii().is_empty() {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_lines() {
        assert_eq!(find_line(b"a\nSummary\nx", b"Summary"), Some(2));
        assert_eq!(
            find_line(b"a\nSummary x\nSummary\r\n", b"Summary"),
            Some(12)
        );
        assert_eq!(find_line(b"aSummary\n", b"Summary"), None);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\nb\n"), 2);
    }
}
