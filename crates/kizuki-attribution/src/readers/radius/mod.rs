//! FreeRADIUS accounting `detail` files.

mod reader;

pub use reader::read;
