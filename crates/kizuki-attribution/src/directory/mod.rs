//! The subscriber directory as attribution sees it: the CSV an ISP exports
//! (`kizuki subscribers import`) and an in-memory lookup from log keys and
//! static prefixes to subscriber ids.

mod csv;
mod lookup;

pub use csv::{SubscriberRow, normalize_key, read_csv};
pub use lookup::Directory;
