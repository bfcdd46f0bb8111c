//! IntelMQ JSON lines in (the writer is in `kizuki_event::json`).

mod reader;

pub use reader::IntelmqReader;
