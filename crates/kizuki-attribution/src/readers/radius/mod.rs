//! FreeRADIUS accounting `detail` files.

mod reader;

pub use reader::read;
pub(crate) use reader::read_rows;
