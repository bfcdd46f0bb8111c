//! A synthetic ISP with ground truth, for tests and benchmarks
//! (`kizuki gen isp`).
//!
//! [`generate`] simulates subscribers going on and off line over a few
//! days: PPPoE sessions with public addresses (RADIUS), DHCP leases (Kea),
//! CGNAT sessions whose inside address gets a port block on a public
//! address (Juniper, A10 and NFWare logs), deterministic NAT, and static
//! prefixes. Addresses are reused as soon as they are free. Along the way
//! it writes the logs, and keeps, separately, the spans the logs establish
//! by kizuki's documented rules (a lost Stop lasts one interim interval
//! past the last record, a NAS reboot ends every session of the NAS).
//!
//! Observations are then drawn (some with a port, some without, as in
//! 2021) and given their true answer by [`truth`], a plain scan of those
//! spans that shares no code with the index. A test that imports the logs
//! and attributes the observations must agree with it everywhere.

pub mod bench;
mod logs;
mod truth;
mod world;

pub use logs::{Files, Import, write};
pub use truth::{Truth, TruthIndex};
pub use world::{Case, Cases, Isp, IspSpec, Span, SpanKind, Sub, SubKind, generate};
