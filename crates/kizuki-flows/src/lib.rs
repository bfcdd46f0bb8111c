//! kizuki's enterprise correlation: a notice says "your public address A
//! talked to a botnet C2 around time T"; this crate finds the internal host
//! from the company's own flow, NAT and firewall logs, matched against C2
//! servers known for that family and valid at that time, and names its
//! owner.
//!
//! * [`Flow`] is one connection, normalized (UTC µs, addresses, ports,
//!   protocol, the NAT translation when known, file and line).
//! * Readers, one per format, stream flows into a [`FlowSink`] and report
//!   every line they refuse as a [`Reject`]: [`zeek`] (`conn.log` TSV and
//!   JSON), [`nfdump`] (CSV 1.6, 1.7, `csv-fast`), [`srx`] (Juniper
//!   `RT_FLOW_SESSION_*`), [`fortigate`] (traffic logs) and [`mapped`] (any
//!   delimited log through a TOML mapping). [`FlowFormat::from_spec`]
//!   names them.
//! * [`C2List`] holds C2 servers with their validity windows (from Feodo
//!   Tracker events); [`Inventory`] maps addresses to assets and owners
//!   behind the [`AssetLookup`] trait.
//! * [`Matcher`] answers one notice ([`Query`]) with ranked
//!   [`Candidate`]s; [`BulkMatcher`] matches every flow against the list.
//! * [`synth`] generates logs with known ground truth; [`bench`] times the
//!   bulk match on 10M nfdump rows.
//!
//! ```
//! use kizuki_flows::{C2Entry, C2List, C2Options, FlowFormat, Matcher, Query, ReadOptions};
//! use std::sync::Arc;
//!
//! let us = |s: &str| kizuki_event::Timestamp::parse_iso(s).unwrap().as_micros();
//! let c2 = C2List::from_entries(vec![C2Entry::new(
//!     "198.51.100.7".parse().unwrap(),
//!     Some(8080),
//!     "emotet",
//!     us("2021-01-01T00:00:00Z"),
//!     kizuki_flows::c2::date("2021-03-01"),
//!     Some("offline"),
//!     &C2Options::new(),
//! )]);
//! let log = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n\
//!            2021-02-22 01:15:20.000,3.000,6,10.0.1.5,51514,198.51.100.7,8080,10,1500,1\n\
//!            2021-02-22 01:15:21.000,1.000,6,10.0.1.6,51515,192.0.2.80,443,4,400,1\n";
//! let query = Query {
//!     public: Some("203.0.113.5".parse().unwrap()),
//!     at: us("2021-02-22T01:15:23Z"),
//!     window: 300_000_000,
//!     malware: Some("Emotet".into()),
//! };
//! let mut matcher = Matcher::new(&c2, query);
//! let name: Arc<str> = "flows.csv".into();
//! FlowFormat::Nfdump
//!     .read(log.as_bytes(), &name, &ReadOptions::new(), &mut matcher)
//!     .unwrap();
//! let report = matcher.finish(None);
//! assert_eq!(report.candidates.len(), 1);
//! assert_eq!(report.candidates[0].host.to_string(), "10.0.1.5");
//! assert_eq!(report.candidates[0].evidence[0].flow.line, 2);
//! ```

pub mod bench;
pub mod bulk;
pub mod c2;
mod error;
mod flow;
mod format;
pub mod fortigate;
pub mod inventory;
mod lines;
pub mod mapped;
pub mod matcher;
pub mod nfdump;
mod options;
mod parallel;
mod parse;
mod sink;
pub mod srx;
pub mod synth;
mod syslog;
pub mod zeek;

pub use bulk::{BulkMatch, BulkMatcher, BulkStats, bulk_match_nfdump};
pub use c2::{C2Entry, C2List, C2Options};
pub use error::{FlowError, Reject};
pub use flow::{Flow, Protocol, iso, iso_micros};
pub use format::{FlowFormat, open};
pub use inventory::{Asset, AssetLookup, Inventory, normalize_mac};
pub use matcher::{C2Hit, Candidate, Evidence, MatchReport, Matcher, Query};
pub use options::ReadOptions;
pub use parse::LocalClock;
pub use sink::{Collect, FlowSink, FnSink, ReadSummary};
