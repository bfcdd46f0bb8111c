//! kizuki's feed readers: everything that turns a file somebody sent into
//! [`Event`](kizuki_event::Event)s.
//!
//! Each format is a component folder: [`shadowserver`], [`feodo`],
//! [`xarf`], [`intelmq`] (JSON lines) and [`generic`] (CSV with a mapping
//! file). [`Reader`] wraps them behind one interface and [`Format`] names
//! them. Inputs are loaded with [`input::load`], which undoes gzip and zip.
//!
//! Readers never stop at a bad row: each one becomes a [`Reject`] with file,
//! line, reason and the raw bytes, and the good rows are kept. A whole input
//! fails ([`FeedError`]) only when it cannot be read at all.
//!
//! ```
//! use kizuki_feeds::{Format, ReadContext, Reader, input};
//!
//! let csv = b"\"timestamp\",\"src_ip\",\"src_port\",\"infection\"\n\
//!             \"2021-02-22 01:02:03\",\"192.0.2.7\",51514,\"emotet\"\n";
//! let src = input::from_bytes("x", "2021-02-22-event4_sinkhole-jp.csv", csv.to_vec()).unwrap();
//! let reader = Reader::new(Format::Shadowserver);
//! let mut events = Vec::new();
//! reader.read(&src[0], &ReadContext::new(), &mut |b| events.extend(b.events)).unwrap();
//! assert_eq!(events[0].malware_name(), Some("emotet"));
//! ```

mod batch;
mod csvdrive;
mod csvio;
mod error;
pub mod feodo;
mod format;
pub mod generic;
pub mod input;
pub mod intelmq;
pub mod mail;
pub mod shadowserver;
pub mod synth;
pub mod xarf;

pub use batch::{Batch, ReadContext, Reject, run_ordered};
pub use error::FeedError;
pub use format::{Format, ReadBytes, Reader};
pub use input::Source;
