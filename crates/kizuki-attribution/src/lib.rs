//! kizuki's attribution: which subscriber held an address (and port) at a
//! time.
//!
//! * [`readers`] turn assignment logs (FreeRADIUS `detail`, Kea and dhcpd
//!   leases, CGNAT port-block syslog) into [`LogRecord`]s in UTC.
//! * [`session`] turns a day's records into [`Interval`]s: who held what,
//!   from when to when.
//! * [`index`] keeps intervals in the data directory, day by day, and
//!   answers (address, port, time) queries.
//! * [`attribute`] gives each observation its subscribers and a status:
//!   `exact`, `shared`, `none` or `conflict`.

pub mod attribute;
pub mod clock;
mod db;
pub mod detnat;
pub mod directory;
mod error;
pub mod index;
pub mod readers;
pub mod record;
pub mod session;
mod store;
pub mod synth;

pub use attribute::{Attribution, Attributor, Observation, Status, SubscriberDirectory};
pub use db::{AnomalyCounts, Assignments, Batch, ImportSummary, PartitionMeta, day_name};
pub use detnat::{DetNat, DetNatConfig};
pub use error::{AttributionError, LineError};
pub use readers::{Format, ReadOptions, ReadOutput, Source};
pub use record::{Action, Holder, Interval, LogRecord, Net, Ports, RecordRef, SourceKind};
