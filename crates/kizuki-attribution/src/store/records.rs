//! A day's records on disk: fixed-size rows (`records.bin`), the files they
//! came from (`files.json`) and the holders they name (`holders.bin`).
//!
//! Rows are sorted the way the state machines read them (time, then file
//! name, then line) and hold no duplicates: the same record read twice,
//! from the same file or another, is kept once, with the reference that
//! sorts first. That is what makes importing a file twice change nothing.

use crate::error::AttributionError;
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind};
use bytemuck::{Pod, Zeroable};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

/// One record as stored.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Pod, Zeroable)]
pub(crate) struct DiskRecord {
    time: i64,
    session: u64,
    group: u64,
    holder: u64,
    addr: [u8; 16],
    /// `start - time`, or `i32::MIN` when there is no start.
    start: i32,
    /// `end - time`, or `i32::MIN` when there is no end.
    end: i32,
    line: u32,
    interim: u32,
    lo: u16,
    hi: u16,
    file: u16,
    len: u8,
    /// Bit 0: IPv4. Bits 1-7: the action.
    flags: u8,
}

const NONE: i32 = i32::MIN;

impl DiskRecord {
    /// The content, without the reference, for finding duplicates.
    fn content(&self) -> DiskRecord {
        DiskRecord {
            line: 0,
            file: 0,
            ..*self
        }
    }

    pub(crate) fn time(&self) -> i64 {
        self.time
    }
}

/// The records of one day of one log kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct DayRecords {
    pub(crate) rows: Vec<DiskRecord>,
    /// File names; a row's `file` indexes this. Kept sorted.
    pub(crate) files: Vec<Arc<str>>,
    /// Holders by hash.
    pub(crate) holders: HashMap<u64, Holder>,
}

fn delta(v: Option<i64>, time: i64) -> i32 {
    v.and_then(|v| i32::try_from(v - time).ok()).unwrap_or(NONE)
}

impl DayRecords {
    /// Adds records (of any order) and restores order and uniqueness.
    pub(crate) fn merge(&mut self, new: &[LogRecord]) -> Result<(), AttributionError> {
        // The file table becomes the union, sorted by name, and every
        // row's file index is remapped to it.
        let mut names: Vec<Arc<str>> = self.files.clone();
        names.extend(new.iter().map(|r| Arc::clone(&r.at.file)));
        names.sort();
        names.dedup();
        if names.len() > usize::from(u16::MAX) {
            return Err(AttributionError::Config(format!(
                "more than {} files for one day of one log kind",
                u16::MAX
            )));
        }
        let rank: HashMap<&str, u16> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (&**n, i as u16))
            .collect();
        let old_rank: Vec<u16> = self.files.iter().map(|n| rank[&**n]).collect();
        for r in &mut self.rows {
            r.file = old_rank[usize::from(r.file)];
        }
        self.rows.reserve(new.len());
        for r in new {
            let h = r.holder.hash();
            self.holders.entry(h).or_insert_with(|| r.holder.clone());
            let (addr, v4) = match r.net.addr {
                IpAddr::V4(a) => (a.to_ipv6_mapped().octets(), 1),
                IpAddr::V6(a) => (a.octets(), 0),
            };
            self.rows.push(DiskRecord {
                time: r.time,
                session: r.session,
                group: r.group,
                holder: h,
                addr,
                start: delta(r.start, r.time),
                end: delta(r.end, r.time),
                line: u32::try_from(r.at.line).unwrap_or(u32::MAX),
                interim: r.interim.unwrap_or(0),
                lo: r.ports.lo,
                hi: r.ports.hi,
                file: rank[&*r.at.file],
                len: r.net.len,
                flags: v4 | (r.action as u8) << 1,
            });
        }
        self.files = names;
        self.rows.sort_unstable_by(|a, b| {
            (a.time, a.file, a.line, a.session, a.addr)
                .cmp(&(b.time, b.file, b.line, b.session, b.addr))
        });
        // The same content twice: keep the first (smallest reference).
        let mut seen: rustc_hash::FxHashSet<DiskRecord> = Default::default();
        let mut t = i64::MIN;
        self.rows.retain(|r| {
            if r.time != t {
                t = r.time;
                seen.clear();
            }
            seen.insert(r.content())
        });
        Ok(())
    }

    /// The records as the state machines read them.
    pub(crate) fn to_log_records(&self, kind: SourceKind) -> Vec<LogRecord> {
        self.rows
            .iter()
            .filter_map(|r| self.decode(r, kind))
            .collect()
    }

    pub(crate) fn decode(&self, r: &DiskRecord, kind: SourceKind) -> Option<LogRecord> {
        let addr = if r.flags & 1 == 1 {
            IpAddr::V4(
                Ipv6Addr::from(r.addr)
                    .to_ipv4_mapped()
                    .unwrap_or(Ipv4Addr::UNSPECIFIED),
            )
        } else {
            IpAddr::V6(Ipv6Addr::from(r.addr))
        };
        let undelta = |d: i32| (d != NONE).then(|| r.time + i64::from(d));
        Some(LogRecord {
            time: r.time,
            source: kind,
            action: Action::from_code(r.flags >> 1)?,
            session: r.session,
            group: r.group,
            net: Net::new(addr, r.len)?,
            ports: Ports { lo: r.lo, hi: r.hi },
            holder: self.holders.get(&r.holder)?.clone(),
            start: undelta(r.start),
            end: undelta(r.end),
            interim: (r.interim > 0).then_some(r.interim),
            at: RecordRef {
                file: Arc::clone(self.files.get(usize::from(r.file))?),
                line: u64::from(r.line),
            },
        })
    }

    /// Reads a day from `dir`; an absent day is empty.
    pub(crate) fn load(dir: &Path) -> Result<DayRecords, AttributionError> {
        let rows_path = dir.join("records.bin");
        let bytes = match std::fs::read(&rows_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DayRecords::default()),
            Err(e) => return Err(AttributionError::io(&rows_path, e)),
        };
        let rows: Vec<DiskRecord> = bytemuck::try_cast_slice(&bytes)
            .map(<[DiskRecord]>::to_vec)
            .or_else(|_| {
                // Unaligned bytes: copy row by row.
                let size = std::mem::size_of::<DiskRecord>();
                if bytes.len() % size != 0 {
                    return Err(AttributionError::index(&rows_path, "truncated"));
                }
                Ok(bytes
                    .chunks_exact(size)
                    .map(bytemuck::pod_read_unaligned)
                    .collect())
            })?;
        let files_path = dir.join("files.json");
        let files: Vec<String> = read_json(&files_path)?;
        let holders = read_holders(&dir.join("holders.bin"))?;
        Ok(DayRecords {
            rows,
            files: files.into_iter().map(Arc::from).collect(),
            holders,
        })
    }

    /// Writes the day to `dir` (each file replaced atomically).
    pub(crate) fn save(&self, dir: &Path) -> Result<(), AttributionError> {
        std::fs::create_dir_all(dir).map_err(|e| AttributionError::io(dir, e))?;
        write_atomic(&dir.join("records.bin"), bytemuck::cast_slice(&self.rows))?;
        let names: Vec<&str> = self.files.iter().map(|f| &**f).collect();
        write_atomic(
            &dir.join("files.json"),
            serde_json::to_string(&names)
                .map_err(|e| AttributionError::index(dir, e.to_string()))?
                .as_bytes(),
        )?;
        write_atomic(&dir.join("holders.bin"), &encode_holders(&self.holders))
    }
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<T, AttributionError> {
    let text = std::fs::read(path).map_err(|e| AttributionError::io(path, e))?;
    serde_json::from_slice(&text).map_err(|e| AttributionError::index(path, e.to_string()))
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames
/// it over `path`, so a crash leaves the old file or the new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AttributionError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| AttributionError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_data())
        .map_err(|e| AttributionError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| AttributionError::io(path, e))
}

/// Holders as `hash, kind, length, bytes` rows: kind 0 is a key (UTF-8),
/// kind 4 or 6 an inside address.
pub(crate) fn encode_holders(h: &HashMap<u64, Holder>) -> Vec<u8> {
    let mut keys: Vec<&u64> = h.keys().collect();
    keys.sort_unstable();
    let mut out = Vec::with_capacity(h.len() * 32);
    for k in keys {
        out.extend_from_slice(&k.to_le_bytes());
        match &h[k] {
            Holder::Key(s) => {
                out.push(0);
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Holder::Inside(IpAddr::V4(a)) => {
                out.push(4);
                out.extend_from_slice(&4u32.to_le_bytes());
                out.extend_from_slice(&a.octets());
            }
            Holder::Inside(IpAddr::V6(a)) => {
                out.push(6);
                out.extend_from_slice(&16u32.to_le_bytes());
                out.extend_from_slice(&a.octets());
            }
        }
    }
    out
}

pub(crate) fn decode_holder(kind: u8, b: &[u8]) -> Option<Holder> {
    Some(match kind {
        0 => Holder::Key(std::str::from_utf8(b).ok()?.into()),
        4 => Holder::Inside(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))),
        6 => Holder::Inside(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))),
        _ => return None,
    })
}

pub(crate) fn read_holders(path: &Path) -> Result<HashMap<u64, Holder>, AttributionError> {
    let b = std::fs::read(path).map_err(|e| AttributionError::io(path, e))?;
    let mut out = HashMap::new();
    let mut i = 0;
    let bad = || AttributionError::index(path, "damaged");
    while i < b.len() {
        let hash = u64::from_le_bytes(
            b.get(i..i + 8)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        );
        let kind = *b.get(i + 8).ok_or_else(bad)?;
        let len = u32::from_le_bytes(
            b.get(i + 9..i + 13)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        ) as usize;
        let body = b.get(i + 13..i + 13 + len).ok_or_else(bad)?;
        out.insert(hash, decode_holder(kind, body).ok_or_else(bad)?);
        i += 13 + len;
    }
    Ok(out)
}
