//! Data for `kizuki bench attribution`: a CGNAT ISP's port blocks as
//! normalized intervals (one per block and hour, as hourly interim records
//! give them), observations against them, and the same blocks as raw
//! Juniper syslog.

use bytemuck::{Pod, Zeroable};
use rand::{Rng, SeedableRng};
use std::io::Write;

/// A normalized port-block interval, as the benchmark exchanges it: 20
/// bytes, the same columns DuckDB and SQLite get.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct BlockInterval {
    /// Public IPv4 address.
    pub ip: u32,
    /// Start, UTC seconds.
    pub start: u32,
    /// End, UTC seconds, exclusive.
    pub end: u32,
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
    /// Inside IPv4 address.
    pub inside: u32,
}

/// An observation: address, port, time.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct BlockObservation {
    /// Public IPv4 address.
    pub ip: u32,
    /// Time, UTC seconds.
    pub t: u32,
    /// Source port.
    pub port: u16,
    /// Zero.
    pub _pad: u16,
}

const PUBLIC: u32 = 0x0d00_0000; // 13.0.0.0
const INSIDE: u32 = 0x6440_0000; // 100.64.0.0
const BLOCKS: u32 = 64;
const PORTS: u16 = 1000;

/// About `n` intervals: `n / hours` subscribers each holding a block for
/// `hours` hours from `start`, in hourly pieces, a tenth of them moving to
/// another block once. In time order, as logs give them.
pub fn intervals(n: u64, hours: u32, start: u32, seed: u64) -> Vec<BlockInterval> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let hours = hours.max(1);
    let subs = (n / u64::from(hours)).max(1) as u32;
    // Where each subscriber moves, and when.
    let moves: Vec<(u32, u32)> = (0..subs)
        .map(|_| {
            if rng.random_bool(0.1) {
                (rng.random_range(1..hours.max(2)), rng.random_range(0..subs))
            } else {
                (u32::MAX, 0)
            }
        })
        .collect();
    let mut out = Vec::with_capacity(n as usize);
    for h in 0..hours {
        for s in 0..subs {
            let (when, to) = moves[s as usize];
            // After moving, the subscriber takes the slot of `to` on a
            // second range of addresses.
            let (slot_owner, base) = if h >= when {
                (to, PUBLIC + (subs / BLOCKS) + 1)
            } else {
                (s, PUBLIC)
            };
            let lo = 1024 + (slot_owner % BLOCKS) as u16 * PORTS;
            out.push(BlockInterval {
                ip: base + slot_owner / BLOCKS,
                start: start + h * 3600,
                end: start + (h + 1) * 3600,
                lo,
                hi: lo + PORTS - 1,
                inside: INSIDE + s,
            });
        }
    }
    out
}

/// `n` observations: most inside a block at a time it was held, the rest
/// anywhere on the same addresses (a port in no block, or a time no one
/// held it).
pub fn observations(iv: &[BlockInterval], n: u32, seed: u64) -> Vec<BlockObservation> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (t0, t1) = iv
        .iter()
        .fold((u32::MAX, 0), |(a, b), i| (a.min(i.start), b.max(i.end)));
    (0..n)
        .map(|_| {
            let i = &iv[rng.random_range(0..iv.len())];
            if rng.random_bool(0.85) {
                BlockObservation {
                    ip: i.ip,
                    t: rng.random_range(i.start..i.end),
                    port: rng.random_range(i.lo..=i.hi),
                    _pad: 0,
                }
            } else {
                BlockObservation {
                    ip: i.ip,
                    t: rng.random_range(t0..t1 + 3600),
                    port: rng.random_range(0..=u16::MAX),
                    _pad: 0,
                }
            }
        })
        .collect()
}

/// Writes intervals as CSV (`ip,lo,hi,start,end,inside`, addresses as
/// integers) for the baselines.
pub fn write_intervals_csv(iv: &[BlockInterval], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "ip,lo,hi,start,end,inside")?;
    for i in iv {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            i.ip, i.lo, i.hi, i.start, i.end, i.inside
        )?;
    }
    Ok(())
}

/// Writes observations as CSV (`ip,port,t`).
pub fn write_observations_csv(
    obs: &[BlockObservation],
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(out, "ip,port,t")?;
    for o in obs {
        writeln!(out, "{},{},{}", o.ip, o.port, o.t)?;
    }
    Ok(())
}

/// The same blocks as Juniper MS-DPC syslog, one file per hour: an
/// allocation when a block is first held, an interim ("active") record
/// every hour after, and a release when it is given up. Returns the lines
/// written per file.
pub fn write_syslog(
    iv: &[BlockInterval],
    dir: &std::path::Path,
) -> std::io::Result<Vec<(std::path::PathBuf, u64)>> {
    use std::collections::HashMap;
    std::fs::create_dir_all(dir)?;
    let tz = jiff::tz::TimeZone::UTC;
    let mut files: Vec<(std::path::PathBuf, u64)> = Vec::new();
    let mut held: HashMap<(u32, u16), u32> = HashMap::new();
    let mut i = 0;
    while i < iv.len() {
        let hour = iv[i].start;
        let j = i + iv[i..].partition_point(|x| x.start == hour);
        let name = dir.join(format!("cgn-{hour}.log"));
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&name)?);
        let mut lines = 0u64;
        let stamp = |t: u32| {
            let z = jiff::Timestamp::from_second(i64::from(t))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                .to_zoned(tz.clone());
            (
                z.strftime("%b %e %H:%M:%S").to_string(),
                z.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            )
        };
        let (head, utc) = stamp(hour);
        for b in &iv[i..j] {
            let inside = std::net::Ipv4Addr::from(b.inside);
            let public = std::net::Ipv4Addr::from(b.ip);
            let what = match held.insert((b.ip, b.lo), b.inside) {
                Some(prev) if prev == b.inside => "ACTIVE",
                Some(prev) => {
                    let prev = std::net::Ipv4Addr::from(prev);
                    writeln!(
                        w,
                        "{head} cgn-a (FPC Slot 1, PIC Slot 0) {utc} [FWNAT]:ASP_NAT_PORT_BLOCK_RELEASE: {prev} -> {public}:{}-{}",
                        b.lo, b.hi
                    )?;
                    lines += 1;
                    "ALLOC"
                }
                None => "ALLOC",
            };
            writeln!(
                w,
                "{head} cgn-a (FPC Slot 1, PIC Slot 0) {utc} [FWNAT]:ASP_NAT_PORT_BLOCK_{what}: {inside} -> {public}:{}-{}",
                b.lo, b.hi
            )?;
            lines += 1;
        }
        w.flush()?;
        files.push((name, lines));
        i = j;
    }
    Ok(files)
}
