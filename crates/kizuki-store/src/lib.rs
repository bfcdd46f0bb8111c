//! kizuki's store: SQLite by default (one file, `kizuki.db`, in the data
//! directory, in WAL mode) or PostgreSQL reached by URL. Both run the same
//! migrations and the same queries, written once in SQL both accept.
//!
//! * [`Store`] opens either and brings its schema up to date.
//! * [`subscribers`]: the subscriber directory. It is personal data: every
//!   read and write is recorded in the [`audit`] log, with who asked and
//!   why.
//! * [`notices`]: events, notices, decisions, review.
//! * [`outbox`]: messages waiting to leave, delivery attempts, bounces.
//! * [`intake`] and [`cases`]: the enterprise side: mail taken in,
//!   incidents, hosts, tasks, evidence, the timeline of every change, and
//!   drills.
//!
//! ```no_run
//! # async fn f() -> Result<(), kizuki_store::StoreError> {
//! let store = kizuki_store::Store::open_dir(std::path::Path::new("kizuki-data")).await?;
//! let ids = store.subscriber_keys("abuse-desk", "attribute").await?;
//! # Ok(()) }
//! ```

pub mod audit;
mod case_work;
pub mod cases;
mod error;
pub mod intake;
mod notice_reads;
pub mod notices;
pub mod outbox;
mod review;
mod rows;
mod store;
pub mod subscribers;

pub use audit::AuditEntry;
pub use cases::{Change, ChangeNote, Evidence, Host, Incident, Milestone, Report, Task, TaskSet};
pub use error::StoreError;
pub use intake::{Drill, Intake};
pub use notices::{
    Decision, Escalation, NewEvent, Notice, NoticeFact, NoticeItem, OutboxDraft, Plan,
    PlannedNotice, Recipient, StoredEvent,
};
pub use outbox::{Bounce, Delivery, OutboxRow};
pub use store::{Backend, Store, now_micros};
pub use subscribers::{Subscriber, SubscriberKind};
