//! What was open at the end of a day (`carry.bin`, with `carry-files.json`
//! and `carry-holders.bin`), read by the next day's build.

use super::records::{encode_holders, read_json, write_atomic};
use crate::error::AttributionError;
use crate::record::{Net, Ports, RecordRef, ip_bytes};
use crate::session::{Carry, Open};
use bytemuck::{Pod, Zeroable};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

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
    first_line: u64,
    last_line: u64,
    first_file: u32,
    last_file: u32,
    gap: u32,
    lo: u16,
    hi: u16,
    len: u8,
    v4: u8,
    has_end: u8,
    has_gap: u8,
    _pad: [u8; 4],
}

/// Writes a carry to `dir`.
pub(crate) fn save(carry: &Carry, dir: &Path) -> Result<(), AttributionError> {
    let mut files: Vec<Arc<str>> = carry
        .open
        .iter()
        .flat_map(|o| [Arc::clone(&o.first.file), Arc::clone(&o.last_ref.file)])
        .collect();
    files.sort();
    files.dedup();
    let rank: HashMap<&str, u32> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (&**f, i as u32))
        .collect();
    let mut holders = HashMap::new();
    let rows: Vec<DiskOpen> = carry
        .open
        .iter()
        .map(|o| {
            let h = o.holder.hash();
            holders.entry(h).or_insert_with(|| o.holder.clone());
            DiskOpen {
                session: o.session,
                group: o.group,
                holder: h,
                from: o.from,
                last: o.last,
                end: o.end.unwrap_or(0),
                addr: ip_bytes(o.net.addr),
                first_line: o.first.line,
                last_line: o.last_ref.line,
                first_file: rank[&*o.first.file],
                last_file: rank[&*o.last_ref.file],
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
    let names: Vec<&str> = files.iter().map(|f| &**f).collect();
    write_atomic(
        &dir.join("carry-files.json"),
        serde_json::to_string(&names)
            .map_err(|e| AttributionError::index(dir, e.to_string()))?
            .as_bytes(),
    )?;
    write_atomic(&dir.join("carry-holders.bin"), &encode_holders(&holders))
}

/// Reads the carry in `dir`; none when the day was never built.
pub(crate) fn load(dir: &Path) -> Result<Carry, AttributionError> {
    let path = dir.join("carry.bin");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Carry::default()),
        Err(e) => return Err(AttributionError::io(&path, e)),
    };
    let size = std::mem::size_of::<DiskOpen>();
    if bytes.len() % size != 0 {
        return Err(AttributionError::index(&path, "truncated"));
    }
    let files: Vec<String> = read_json(&dir.join("carry-files.json"))?;
    let files: Vec<Arc<str>> = files.into_iter().map(Arc::from).collect();
    let holders = super::records::read_holders(&dir.join("carry-holders.bin"))?;
    let bad = || AttributionError::index(&path, "damaged");
    let mut open = Vec::with_capacity(bytes.len() / size);
    for chunk in bytes.chunks_exact(size) {
        let d: DiskOpen = bytemuck::pod_read_unaligned(chunk);
        let addr = if d.v4 == 1 {
            IpAddr::V4(Ipv6Addr::from(d.addr).to_ipv4_mapped().ok_or_else(bad)?)
        } else {
            IpAddr::V6(Ipv6Addr::from(d.addr))
        };
        let file = |i: u32| files.get(i as usize).cloned().ok_or_else(bad);
        open.push(Open {
            session: d.session,
            group: d.group,
            net: Net::new(addr, d.len).ok_or_else(bad)?,
            ports: Ports { lo: d.lo, hi: d.hi },
            holder: holders.get(&d.holder).cloned().ok_or_else(bad)?,
            from: d.from,
            last: d.last,
            end: (d.has_end == 1).then_some(d.end),
            gap: (d.has_gap == 1).then_some(d.gap),
            first: RecordRef {
                file: file(d.first_file)?,
                line: d.first_line,
            },
            last_ref: RecordRef {
                file: file(d.last_file)?,
                line: d.last_line,
            },
        });
    }
    Ok(Carry { open })
}

/// A digest of a carry, to tell whether the next day must be rebuilt.
pub(crate) fn digest(carry: &Carry) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for o in &carry.open {
        h.update(&o.session.to_le_bytes());
        h.update(&o.holder.hash().to_le_bytes());
        h.update(&ip_bytes(o.net.addr));
        h.update(&[o.net.len]);
        h.update(&o.from.to_le_bytes());
        h.update(&o.last.to_le_bytes());
        h.update(&o.end.unwrap_or(i64::MIN).to_le_bytes());
        h.update(&o.gap.unwrap_or(0).to_le_bytes());
        h.update(o.first.to_string().as_bytes());
        h.update(o.last_ref.to_string().as_bytes());
    }
    h.digest()
}
