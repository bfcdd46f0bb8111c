//! Reading nfdump CSV, on one thread or several.

use super::layout::NfdumpLayout;
use crate::error::FlowError;
use crate::flow::Flow;
use crate::lines::LineReader;
use crate::options::ReadOptions;
use crate::parallel::{self, RowParser};
use crate::sink::{Counted, FlowSink, ReadSummary};
use std::io::Read;
use std::sync::Arc;

/// nfdump 1.6 ends its CSV with a summary: this line and the lines after it
/// are not flows.
const TRAILER: &[u8] = b"Summary";

/// Reads nfdump `-o csv` / `-o csv-fast` output.
#[derive(Clone, Debug, Default)]
pub struct NfdumpReader {
    opts: ReadOptions,
}

impl RowParser for NfdumpLayout {
    fn parse_row(&mut self, line: &[u8], flow: &mut Flow) -> Result<(), String> {
        NfdumpLayout::parse_row(self, line, flow)
    }
}

impl NfdumpReader {
    /// A reader; local times are read in the options' zone.
    pub fn new(opts: ReadOptions) -> NfdumpReader {
        NfdumpReader { opts }
    }

    /// Reads the header: skips blank lines before it. `None` for an empty
    /// input.
    fn header<R: Read>(
        &self,
        lines: &mut LineReader<R>,
        file: &Arc<str>,
        skipped: &mut u64,
    ) -> Result<Option<NfdumpLayout>, FlowError> {
        while let Some((no, line)) = lines
            .next_line()
            .map_err(|e| FlowError::io(file.as_ref(), e))?
        {
            if line.trim_ascii().is_empty() {
                *skipped += 1;
                continue;
            }
            return NfdumpLayout::from_header(line, self.opts.clock())
                .map(Some)
                .map_err(|r| FlowError::format(file, format!("line {no}: {r}")));
        }
        Ok(None)
    }

    /// Reads every row into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        let mut lines = LineReader::new(input);
        let mut skipped = 0;
        let Some(mut layout) = self.header(&mut lines, file, &mut skipped)? else {
            let mut s = ReadSummary::new(file, "empty");
            s.skipped = skipped;
            s.lines = skipped;
            return Ok(s);
        };
        let mut out = Counted::new(sink, file, layout.name());
        out.summary.skipped = skipped + 1;
        let mut flow = Flow::empty(file.clone());
        let mut trailer = false;
        while let Some((no, line)) = lines
            .next_line()
            .map_err(|e| FlowError::io(file.as_ref(), e))?
        {
            if trailer || line.trim_ascii().is_empty() {
                out.skip();
                continue;
            }
            if line.trim_ascii() == TRAILER {
                trailer = true;
                out.skip();
                continue;
            }
            flow.line = no;
            match layout.parse_row(line, &mut flow) {
                Ok(()) => out.flow(&flow),
                Err(r) => out.reject(no, r, line),
            }
        }
        out.summary.lines = lines.line;
        out.summary.bytes = lines.bytes;
        Ok(out.summary)
    }

    /// Reads every row on `threads` threads, each into a sink made by
    /// `make_sink`; flows reach each sink in input order, but which thread
    /// gets which rows is not fixed. Returns the sinks and the counts.
    pub fn read_parallel<S, M>(
        &self,
        input: impl Read,
        file: &Arc<str>,
        threads: usize,
        make_sink: M,
    ) -> Result<(Vec<S>, ReadSummary), FlowError>
    where
        S: FlowSink + Send,
        M: Fn() -> S + Sync,
    {
        let mut lines = LineReader::new(input);
        let mut skipped = 0;
        let Some(layout) = self.header(&mut lines, file, &mut skipped)? else {
            let mut s = ReadSummary::new(file, "empty");
            s.skipped = skipped;
            s.lines = skipped;
            return Ok((vec![make_sink()], s));
        };
        let head_lines = lines.line;
        let head_bytes = lines.bytes;
        let rest = lines.into_rest();
        let (sinks, mut sum) =
            parallel::read_rows(rest, file, &layout, threads, Some(TRAILER), make_sink)?;
        sum.layout = layout.name().to_owned();
        sum.lines += head_lines;
        sum.skipped += skipped + 1;
        sum.bytes += head_bytes;
        Ok((sinks, sum))
    }
}
