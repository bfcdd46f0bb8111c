//! CGNAT port-block allocation syslog.

mod a10;
mod event;
mod juniper;
mod nfware;
mod reader;
mod syslog;

pub(crate) use reader::read_rows;
pub use reader::{Vendor, read};
