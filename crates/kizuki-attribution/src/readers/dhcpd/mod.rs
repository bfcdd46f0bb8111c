//! ISC dhcpd.leases.

use crate::readers::{ReadOptions, ReadOutput, Source};

/// Reads a leases file.
pub fn read(src: &Source, _opts: &ReadOptions) -> ReadOutput {
    let mut out = ReadOutput::default();
    out.reject(src, 1, "the dhcpd reader is being written");
    out
}
