//! ISC Kea memfile lease CSV (lease4 and lease6).

use crate::readers::{ReadOptions, ReadOutput, Source};

/// DHCPv4 or DHCPv6.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    /// lease4.
    V4,
    /// lease6.
    V6,
}

/// Reads a lease file.
pub fn read(src: &Source, _opts: &ReadOptions, _family: Family) -> ReadOutput {
    let mut out = ReadOutput::default();
    out.reject(src, 1, "the Kea reader is being written");
    out
}
