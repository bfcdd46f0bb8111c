//! JSON lines in and out, in IntelMQ's flat form.

mod read;
mod write;

pub use read::{JsonError, event_from_map, parse_event};
pub use write::{
    ORIGIN_FILE_KEY, ORIGIN_LINE_KEY, WriteOptions, escape_into, py_float_repr, write_event,
    write_json_value, write_str,
};
