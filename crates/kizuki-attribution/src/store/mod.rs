//! The files of a partition (one log kind, one UTC day) in the data
//! directory: its records, what stayed open at its end, its index.

pub(crate) mod carry;
pub(crate) mod records;
