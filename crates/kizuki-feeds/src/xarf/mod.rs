//! X-ARF abuse reports: v4 JSON and the legacy v0.2 mail with a YAML part.

mod legacy;
mod reader;
mod v4;

pub use reader::XarfReader;
pub use v4::classification_of;
