//! nfdump `-o csv` output: the 1.6.x fixed 48-column layout (with its
//! `Summary` trailer), the 1.7.x default and custom `fmt`-style layouts, and
//! `csv-fast`. The layout is found from the header.

mod layout;
mod reader;
#[cfg(test)]
mod tests;

pub use layout::NfdumpLayout;
pub use reader::NfdumpReader;
