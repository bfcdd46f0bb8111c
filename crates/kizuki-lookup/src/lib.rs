//! kizuki's lookup tables: who is behind an address or a domain.
//!
//! * [`IpTable`] is a longest-prefix-match table for IPv4 and IPv6, built
//!   from prefixes or arbitrary ranges ([`IpRange`]) with an
//!   [`IpTableBuilder`]; IPv4 lookups are one or two memory reads.
//! * [`asn`] loads IP → AS tables (ip2asn TSV, CAIDA pfx2as, MaxMind DB)
//!   into an [`AsnDb`].
//! * [`DomainTable`] maps domains to owners, the most specific suffix
//!   winning.
//! * [`store`] saves a built table to a file and opens it again quickly.
//!
//! Lookup tables sit behind [`IpLookup`], so a file table and another kind
//! can be swapped.

pub mod asn;
mod domain;
mod error;
mod range;
pub mod store;
mod table;
pub mod testing;

pub use asn::{AsnDb, AsnInfo, AsnSource};
pub use domain::DomainTable;
pub use error::{LineError, LookupError};
pub use range::{IpRange, Segment, Tie, flatten};
pub use table::{IpTable, IpTableBuilder};

/// Something that maps an address to a value.
pub trait IpLookup<V> {
    /// The value for `ip`, if any.
    fn get(&self, ip: std::net::IpAddr) -> Option<&V>;
}

impl<V> IpLookup<V> for IpTable<V> {
    fn get(&self, ip: std::net::IpAddr) -> Option<&V> {
        self.lookup(ip)
    }
}
