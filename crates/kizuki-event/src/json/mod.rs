//! JSON lines in and out, in IntelMQ's flat form.

mod read;
mod slots;
mod write;

pub use read::{JsonError, event_from_map, parse_event};
pub use slots::{Slot, SlotLayout, SlotRow};
pub use write::{
    ORIGIN_FILE_KEY, ORIGIN_LINE_KEY, WriteOptions, escape_into, py_float_repr, write_clean,
    write_event, write_extra_value, write_json_value, write_str,
};
