//! kizuki's store: SQLite by default (one file, `kizuki.db`, in the data
//! directory, in WAL mode) or PostgreSQL reached by URL. Both run the same
//! migrations and the same queries, written once in SQL both accept.
//!
//! * [`Store`] opens either and brings its schema up to date.
//! * [`subscribers`]: the subscriber directory. It is personal data: every
//!   read and write is recorded in the [`audit`] log, with who asked and
//!   why.
//!
//! ```no_run
//! # async fn f() -> Result<(), kizuki_store::StoreError> {
//! let store = kizuki_store::Store::open_dir(std::path::Path::new("kizuki-data")).await?;
//! let ids = store.subscriber_keys("abuse-desk", "attribute").await?;
//! # Ok(()) }
//! ```

pub mod audit;
mod error;
mod store;
pub mod subscribers;

pub use audit::AuditEntry;
pub use error::StoreError;
pub use store::{Backend, Store};
pub use subscribers::{Subscriber, SubscriberKind};
