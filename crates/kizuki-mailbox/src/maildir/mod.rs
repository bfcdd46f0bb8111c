//! Maildir intake and delivery: new mail from `new/`, marked processed by
//! moving it to `cur/` with the seen flag; delivery through `tmp/`.

mod entry;
mod store;
#[cfg(test)]
mod tests;
mod unique;

pub use entry::{Folder, MessageEntry};
pub use store::Maildir;
