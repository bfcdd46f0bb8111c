//! CGNAT port-block allocation syslog.

use crate::readers::{ReadOptions, ReadOutput, Source};

/// Whose log.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// Juniper.
    Juniper,
    /// A10.
    A10,
    /// NFWare.
    Nfware,
}

/// Reads a syslog file.
pub fn read(src: &Source, _opts: &ReadOptions, _vendor: Vendor) -> ReadOutput {
    let mut out = ReadOutput::default();
    out.reject(src, 1, "the port-block reader is being written");
    out
}
