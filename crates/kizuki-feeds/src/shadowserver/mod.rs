//! Shadowserver CSV reports, driven by Shadowserver's IntelMQ schema.

mod builtin;
mod convert;
mod fast;
mod out;
mod plan;
mod reader;
mod schema;

pub use builtin::REPORT_TYPES as BUILTIN_REPORT_TYPES;
pub use convert::Conv;
pub use reader::ShadowserverReader;
pub use schema::{Item, ReportSpec, Schema, Target};

/// kizuki's built-in mapping of the infected-system reports.
pub fn builtin_schema() -> Schema {
    builtin::schema()
}
