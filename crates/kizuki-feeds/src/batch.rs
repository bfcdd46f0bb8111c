//! What readers produce: batches of events and rejected rows, in input order.

use kizuki_event::json::{self, WriteOptions};
use kizuki_event::{Event, Field, FieldError, Input, Timestamp, Value};
use std::sync::Arc;

/// A row that could not become an event. Nothing is dropped silently: every
/// reject names its file, line and reason and keeps the raw row.
#[derive(Clone, Debug, PartialEq)]
pub struct Reject {
    /// The input's name.
    pub file: Arc<str>,
    /// The 1-based line the row starts on (0 when the input has no lines).
    pub line: u64,
    /// Why the row was refused.
    pub reason: String,
    /// The row as read, byte for byte.
    pub raw: Vec<u8>,
}

/// A piece of a reader's output. Readers that work in parallel deliver
/// batches in input order.
#[derive(Debug, Default)]
pub struct Batch {
    /// Accepted events (empty when the context asks for JSON, see
    /// [`ReadContext::json`]).
    pub events: Vec<Event>,
    /// Events as JSON lines, when the context asks for JSON.
    pub encoded: Vec<u8>,
    /// The number of accepted events in this batch.
    pub accepted: u64,
    /// Rejected rows.
    pub rejects: Vec<Reject>,
    /// Rows (records) read, accepted or not.
    pub rows: u64,
    /// Input bytes this batch covers, for progress reports.
    pub bytes: u64,
}

/// Settings every reader honours.
#[derive(Clone)]
pub struct ReadContext {
    threads: usize,
    json: Option<WriteOptions>,
    observation: Timestamp,
    defaults: Arc<Vec<(Field, Value)>>,
    /// JSON buffers handed back by the consumer, reused by the next
    /// batches: fresh buffers of tens of megabytes cost the kernel a zeroed
    /// page per 4 KiB, and growing one costs a copy.
    spare: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    /// The size of the pieces read in parallel, when not the reader's own.
    piece_bytes: Option<usize>,
}

impl ReadContext {
    /// A context that collects events on one thread, observed now.
    pub fn new() -> ReadContext {
        ReadContext {
            threads: 1,
            json: None,
            observation: Timestamp::now(),
            defaults: Arc::default(),
            spare: Arc::default(),
            piece_bytes: None,
        }
    }

    /// Cuts inputs read on several threads into pieces of about `n` bytes
    /// instead of the reader's own size (megabytes). Small pieces let tests
    /// and fuzzing reach the joins between pieces with small inputs.
    pub fn piece_bytes(mut self, n: usize) -> Self {
        self.piece_bytes = Some(n.max(1));
        self
    }

    /// The piece size: the one set with [`ReadContext::piece_bytes`], else
    /// `default`.
    pub fn piece_size(&self, default: usize) -> usize {
        self.piece_bytes.unwrap_or(default)
    }

    /// How many threads a reader may use. By default, one.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Writes each event as an IntelMQ JSON line into [`Batch::encoded`], on
    /// the thread that made it, instead of collecting it in
    /// [`Batch::events`]. Readers that know their keys in advance write the
    /// JSON without building events at all. By default, events are
    /// collected.
    pub fn json(mut self, opts: WriteOptions) -> Self {
        self.json = Some(opts);
        self
    }

    /// The `time.observation` given to events that do not carry one. By
    /// default, the time the context was made.
    pub fn observation(mut self, t: Timestamp) -> Self {
        self.observation = t;
        self
    }

    /// Fields set on every event that does not already have them, like
    /// IntelMQ's `default_fields` (e.g. `feed.provider`, `feed.code`),
    /// checked here. By default, none.
    pub fn defaults(mut self, fields: Vec<(Field, String)>) -> Result<Self, FieldError> {
        let mut checked = Vec::with_capacity(fields.len());
        for (f, v) in fields {
            let value = f.rule().sanitize(Input::Str(&v)).map_err(|e| FieldError {
                field: f,
                reason: e.reason,
            })?;
            checked.push((f, value));
        }
        self.defaults = Arc::new(checked);
        Ok(self)
    }

    /// The JSON settings, when events are written as JSON.
    pub fn json_options(&self) -> Option<&WriteOptions> {
        self.json.as_ref()
    }

    /// The default fields.
    pub fn default_values(&self) -> &[(Field, Value)] {
        &self.defaults
    }

    /// A new batch for about `input_bytes` of input, with room for what it
    /// will hold (encoded JSON is several times the CSV it comes from).
    pub fn new_batch(&self, input_bytes: usize) -> Batch {
        let mut b = Batch::default();
        if self.json.is_some() {
            if let Some(buf) = self.spare.lock().ok().and_then(|mut s| s.pop()) {
                b.encoded = buf;
            }
            b.encoded
                .reserve(input_bytes.saturating_mul(10).min(64 << 20));
        }
        b
    }

    /// Hands a batch back once its JSON is written, so that its buffer
    /// serves a later batch. Optional: a batch that is simply dropped
    /// costs a new buffer.
    pub fn recycle(&self, batch: Batch) {
        let mut buf = batch.encoded;
        if buf.capacity() == 0 {
            return;
        }
        buf.clear();
        if let Ok(mut s) = self.spare.lock()
            && s.len() < 2 * self.threads + 2
        {
            s.push(buf);
        }
    }

    /// The thread budget.
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// The observation time.
    pub fn observation_time(&self) -> Timestamp {
        self.observation
    }

    /// Applies the default fields and hands the event to the batch: written
    /// as JSON (and the event cleared for reuse) or moved into the batch.
    pub fn emit(&self, ev: &mut Event, batch: &mut Batch) {
        for (f, v) in self.defaults.iter() {
            if !ev.contains(*f) {
                ev.set_checked(*f, v.clone());
            }
        }
        batch.accepted += 1;
        match &self.json {
            Some(opts) => {
                json::write_event(ev, &mut batch.encoded, opts);
                ev.clear();
            }
            None => batch.events.push(std::mem::take(ev)),
        }
    }
}

impl Default for ReadContext {
    fn default() -> Self {
        ReadContext::new()
    }
}

/// Runs `work` over `pieces` on up to `threads` threads and hands the results
/// to `sink` in the pieces' order, holding at most a few results at a time.
pub fn run_ordered<P, T>(
    pieces: Vec<P>,
    threads: usize,
    work: &(dyn Fn(P) -> T + Sync),
    sink: &mut dyn FnMut(T),
) where
    P: Send,
    T: Send,
{
    if threads <= 1 || pieces.len() <= 1 {
        for p in pieces {
            sink(work(p));
        }
        return;
    }
    use std::collections::BTreeMap;
    use std::sync::{Mutex, mpsc};
    let total = pieces.len();
    let queue = Mutex::new(pieces.into_iter().enumerate());
    // Bounded so that fast workers cannot run far ahead of the writer.
    let (tx, rx) = mpsc::sync_channel::<(usize, T)>(threads * 2);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((i, p)) = next else { break };
                    if tx.send((i, work(p))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (i, t) in rx {
            pending.insert(i, t);
            while let Some(t) = pending.remove(&want) {
                sink(t);
                want += 1;
            }
        }
        debug_assert_eq!(want, total);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_buffer_serves_the_next_batch() {
        let ctx = ReadContext::new().json(WriteOptions::default());
        let mut b = ctx.new_batch(1 << 20);
        b.encoded.extend_from_slice(b"{}\n");
        let (ptr, cap) = (b.encoded.as_ptr(), b.encoded.capacity());
        ctx.recycle(b);
        let next = ctx.new_batch(1 << 20);
        assert_eq!((next.encoded.as_ptr(), next.encoded.capacity()), (ptr, cap));
        assert!(next.encoded.is_empty());
        // Without JSON there is nothing to keep.
        let plain = ReadContext::new();
        plain.recycle(plain.new_batch(1 << 20));
        assert_eq!(plain.new_batch(1 << 20).encoded.capacity(), 0);
    }

    #[test]
    fn ordered_results_whatever_the_threads() {
        for threads in [1, 2, 4] {
            let mut got = Vec::new();
            run_ordered((0..100).collect(), threads, &|i: u32| i * 2, &mut |v| {
                got.push(v)
            });
            assert_eq!(got, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
