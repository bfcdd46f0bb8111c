//! IntelMQ JSON lines, as IntelMQ's file output writes them and as kizuki
//! writes its own events: one JSON object per line, flat dotted keys (nested
//! objects are accepted too).

use crate::FeedError;
use crate::batch::{Batch, ReadContext, Reject, run_ordered};
use crate::input::Source;
use kizuki_event::{Origin, json};

/// Pieces of about this many bytes are parsed in parallel.
const PIECE_BYTES: usize = 4 << 20;

/// Reads IntelMQ JSON lines.
#[derive(Clone, Debug, Default)]
pub struct IntelmqReader {
    _private: (),
}

impl IntelmqReader {
    /// A reader.
    pub fn new() -> IntelmqReader {
        IntelmqReader::default()
    }

    /// Reads one input. Lines are independent, so large inputs are split at
    /// line breaks and parsed on several threads.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let data = src.data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&src.data);
        let mut pieces = Vec::new();
        let (mut start, mut line) = (0usize, 1u64);
        let piece = ctx.piece_size(PIECE_BYTES);
        while start < data.len() {
            let target = (start + piece).min(data.len());
            let end = match memchr::memchr(b'\n', &data[target..]) {
                Some(i) if target < data.len() => target + i + 1,
                _ => data.len(),
            };
            let lines = memchr::memchr_iter(b'\n', &data[start..end]).count() as u64;
            pieces.push((start..end, line));
            line += lines;
            start = end;
        }
        let work = |(range, first_line): (std::ops::Range<usize>, u64)| {
            let chunk = &data[range.clone()];
            let mut batch = Batch {
                bytes: chunk.len() as u64,
                ..Batch::default()
            };
            for (i, l) in chunk.split(|b| *b == b'\n').enumerate() {
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                if l.trim_ascii().is_empty() {
                    continue;
                }
                batch.rows += 1;
                let line = first_line + i as u64;
                let origin = Origin::new(src.name.clone(), line);
                match json::parse_event(l, Some(origin)) {
                    // Nothing is added, so the round trip is lossless.
                    Ok(mut ev) => ctx.emit(&mut ev, &mut batch),
                    Err(e) => batch.rejects.push(Reject {
                        file: src.name.clone(),
                        line,
                        reason: e.to_string(),
                        raw: l.to_vec(),
                    }),
                }
            }
            batch
        };
        run_ordered(pieces, ctx.thread_count(), &work, sink);
        Ok(())
    }
}
