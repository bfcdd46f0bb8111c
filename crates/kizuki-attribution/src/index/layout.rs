//! The index file's layout (little-endian):
//!
//! | part | size |
//! | --- | --- |
//! | [`Header`] | 96 bytes |
//! | IPv4 directory, for large files: for each /16, the first entry | 65,537 × 4 bytes |
//! | IPv4 entries, sorted by address then start | 24 bytes each |
//! | IPv6 entries, sorted by prefix length, prefix, start | 40 bytes each |
//! | holder offsets | (holders + 1) × 4 bytes |
//! | holders: a kind byte and the key or address | variable |
//! | address table (8-aligned): each distinct IPv4 address, then where its entries start | (2 × addresses + 1) × 4 bytes |
//!
//! When every holder is an inside IPv4 address (a port-block partition),
//! an entry holds the address itself and there is no holder table.
//!
//! Each entry keeps, besides its own span, the latest end among the
//! entries of its address sorted before it (`max_end`), so a search walks
//! back from the query time only as far as an interval could still reach
//! it. Port-block indexes keep each address's entries in port order
//! instead, `max_end` then holding the highest last port so far, because
//! their questions name a port.

use bytemuck::{Pod, Zeroable};

pub(crate) const MAGIC: [u8; 8] = *b"KZAIDX\x00\x02";
pub(crate) const DIR_LEN: usize = 65_537;
/// Below this many IPv4 entries a binary search over all of them is as
/// quick, and the directory would dwarf the file.
pub(crate) const DIR_MIN: usize = 1 << 16;
pub(crate) const HEADER_LEN: usize = 96;

/// Header flag: the IPv4 directory is present.
pub(crate) const FLAG_DIR: u64 = 1;
/// Header flag: holders are inside IPv4 addresses, kept in the entries.
pub(crate) const FLAG_INSIDE_V4: u64 = 2;
/// Header flag: each address's IPv4 entries are in port order (first
/// port, then start), and `max_end` holds the highest last port so far.
pub(crate) const FLAG_PORT_ORDER: u64 = 4;
/// Header flag: the address table is present. A lookup searches the
/// distinct addresses (a few thousand on a CGNAT pool: they stay in cache)
/// instead of the entries, which it then touches only for its own address.
pub(crate) const FLAG_ADDRS: u64 = 8;

#[repr(C)]
#[derive(Copy, Clone, Debug, Pod, Zeroable)]
pub(crate) struct Header {
    pub(crate) magic: [u8; 8],
    pub(crate) kind: u32,
    pub(crate) _pad: u32,
    pub(crate) n4: u64,
    pub(crate) n6: u64,
    pub(crate) nholders: u64,
    pub(crate) holder_bytes: u64,
    pub(crate) span_start: i64,
    pub(crate) span_end: i64,
    pub(crate) overlaps: u64,
    pub(crate) merged_from: u64,
    pub(crate) flags: u64,
    /// Distinct IPv4 addresses in the address table.
    pub(crate) naddrs: u64,
}

/// An IPv4 interval as stored: 24 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct V4Entry {
    /// The address.
    pub addr: u32,
    /// Start, UTC seconds.
    pub start: u32,
    /// End, UTC seconds, exclusive.
    pub end: u32,
    /// The latest end among this address's entries up to this one.
    pub max_end: u32,
    /// The holder: an index into the holder table, or an inside IPv4
    /// address.
    pub holder: u32,
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
}

/// An IPv6 interval (or IPv4 prefix, mapped) as stored: 40 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct V6Entry {
    /// The prefix (IPv4 mapped into IPv6).
    pub net: [u8; 16],
    /// Start, UTC seconds.
    pub start: u32,
    /// End, UTC seconds, exclusive.
    pub end: u32,
    /// The latest end among this prefix's entries up to this one.
    pub max_end: u32,
    /// The holder, as in [`V4Entry`].
    pub holder: u32,
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
    /// The prefix length (IPv4 prefixes + 96).
    pub len: u8,
    /// Zero.
    pub _pad: [u8; 3],
}

/// Seconds as stored: 1970 to 2106.
pub(crate) fn secs(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}
