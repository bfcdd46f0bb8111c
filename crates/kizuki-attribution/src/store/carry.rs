//! What was open at the end of a day (`carry.bin`, with the holders it
//! names in `carry-holders.bin`), read by the next day's build.

use super::records::{encode_holders, read_holders, write_atomic};
use crate::error::AttributionError;
use crate::record::{Holder, Net, Ports, ip_bytes};
use crate::session::{Carry, Ended, Open};
use bytemuck::{Pod, Zeroable};
use rustc_hash::FxHashMap as HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

#[repr(C)]
#[derive(Copy, Clone, Debug, Pod, Zeroable)]
struct DiskOpen {
    session: u64,
    group: u64,
    holder: u64,
    from: i64,
    last: i64,
    end: i64,
    addr: [u8; 16],
    gap: u32,
    lo: u16,
    hi: u16,
    len: u8,
    v4: u8,
    has_end: u8,
    has_gap: u8,
    _pad: [u8; 4],
}

/// A session a reset ended, as stored in `carry-ended.bin`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Pod, Zeroable)]
struct DiskEnded {
    session: u64,
    group: u64,
    time: i64,
    gap: u32,
    _pad: u32,
}

/// Writes a carry to `dir`, with the holders it names (from `holders`).
pub(crate) fn save(
    carry: &Carry,
    holders: &HashMap<u64, Holder>,
    dir: &Path,
) -> Result<(), AttributionError> {
    let mut named = HashMap::default();
    let rows: Vec<DiskOpen> = carry
        .open
        .iter()
        .map(|o| {
            if let Some(h) = holders.get(&o.holder) {
                named.insert(o.holder, h.clone());
            }
            DiskOpen {
                session: o.session,
                group: o.group,
                holder: o.holder,
                from: o.from,
                last: o.last,
                end: o.end.unwrap_or(0),
                addr: ip_bytes(o.net.addr),
                gap: o.gap.unwrap_or(0),
                lo: o.ports.lo,
                hi: o.ports.hi,
                len: o.net.len,
                v4: u8::from(o.net.addr.is_ipv4()),
                has_end: u8::from(o.end.is_some()),
                has_gap: u8::from(o.gap.is_some()),
                _pad: [0; 4],
            }
        })
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| AttributionError::io(dir, e))?;
    write_atomic(&dir.join("carry.bin"), bytemuck::cast_slice(&rows))?;
    let ended: Vec<DiskEnded> = carry
        .ended
        .iter()
        .map(|e| DiskEnded {
            session: e.session,
            group: e.group,
            time: e.time,
            gap: e.gap,
            _pad: 0,
        })
        .collect();
    write_atomic(&dir.join("carry-ended.bin"), bytemuck::cast_slice(&ended))?;
    write_atomic(&dir.join("carry-holders.bin"), &encode_holders(&named))
}

/// Reads the carry in `dir` and the holders it names; none when the day
/// was never built.
pub(crate) fn load(dir: &Path) -> Result<(Carry, HashMap<u64, Holder>), AttributionError> {
    let path = dir.join("carry.bin");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Carry::default(), HashMap::default()));
        }
        Err(e) => return Err(AttributionError::io(&path, e)),
    };
    let size = std::mem::size_of::<DiskOpen>();
    if bytes.len() % size != 0 {
        return Err(AttributionError::index(&path, "truncated"));
    }
    let holders = read_holders(&dir.join("carry-holders.bin"))?;
    // (Holders that name themselves are not in the table.)
    let bad = || AttributionError::index(&path, "damaged");
    let mut open = Vec::with_capacity(bytes.len() / size);
    for chunk in bytes.chunks_exact(size) {
        let d: DiskOpen = bytemuck::pod_read_unaligned(chunk);
        let addr = if d.v4 == 1 {
            IpAddr::V4(Ipv6Addr::from(d.addr).to_ipv4_mapped().ok_or_else(bad)?)
        } else {
            IpAddr::V6(Ipv6Addr::from(d.addr))
        };
        open.push(Open {
            session: d.session,
            group: d.group,
            net: Net::new(addr, d.len).ok_or_else(bad)?,
            ports: Ports { lo: d.lo, hi: d.hi },
            holder: d.holder,
            from: d.from,
            last: d.last,
            end: (d.has_end == 1).then_some(d.end),
            gap: (d.has_gap == 1).then_some(d.gap),
        });
    }
    // Days built before kizuki remembered resets have no such file.
    let ended_path = dir.join("carry-ended.bin");
    let ended = match std::fs::read(&ended_path) {
        Ok(b) if b.len() % std::mem::size_of::<DiskEnded>() == 0 => b
            .chunks_exact(std::mem::size_of::<DiskEnded>())
            .map(|c| {
                let d: DiskEnded = bytemuck::pod_read_unaligned(c);
                Ended {
                    session: d.session,
                    group: d.group,
                    time: d.time,
                    gap: d.gap,
                }
            })
            .collect(),
        Ok(_) => return Err(AttributionError::index(&ended_path, "truncated")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(AttributionError::io(&ended_path, e)),
    };
    Ok((Carry { open, ended }, holders))
}

/// A digest of a carry, to tell whether the next day must be rebuilt.
pub(crate) fn digest(carry: &Carry) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for o in &carry.open {
        h.update(&o.session.to_le_bytes());
        h.update(&o.holder.to_le_bytes());
        h.update(&ip_bytes(o.net.addr));
        h.update(&[o.net.len]);
        h.update(&o.ports.lo.to_le_bytes());
        h.update(&o.ports.hi.to_le_bytes());
        h.update(&o.from.to_le_bytes());
        h.update(&o.last.to_le_bytes());
        h.update(&o.end.unwrap_or(i64::MIN).to_le_bytes());
        h.update(&o.gap.unwrap_or(0).to_le_bytes());
    }
    for e in &carry.ended {
        h.update(&e.session.to_le_bytes());
        h.update(&e.group.to_le_bytes());
        h.update(&e.time.to_le_bytes());
        h.update(&e.gap.to_le_bytes());
    }
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carry_reads_back_as_written_and_older_days_have_no_resets() {
        let dir = tempfile::tempdir().unwrap();
        let carry = Carry {
            open: vec![Open {
                session: 7,
                group: 1,
                net: Net::host(IpAddr::from([100, 64, 0, 7])),
                ports: Ports { lo: 1024, hi: 2047 },
                holder: Holder::user("a").hash(),
                from: 1_614_038_400,
                last: 1_614_040_000,
                end: None,
                gap: Some(300),
            }],
            ended: vec![Ended {
                session: 9,
                group: 1,
                time: 1_614_039_000,
                gap: 600,
            }],
        };
        let holders: HashMap<u64, Holder> = [(Holder::user("a").hash(), Holder::user("a"))]
            .into_iter()
            .collect();
        save(&carry, &holders, dir.path()).unwrap();
        let (back, named) = load(dir.path()).unwrap();
        assert_eq!(back, carry);
        assert_eq!(named.len(), 1);
        // The digest tells a remembered reset apart.
        let mut other = carry.clone();
        other.ended.clear();
        assert_ne!(digest(&other), digest(&carry));
        // A day saved before resets were remembered.
        std::fs::remove_file(dir.path().join("carry-ended.bin")).unwrap();
        assert_eq!(load(dir.path()).unwrap().0, other);
    }
}
