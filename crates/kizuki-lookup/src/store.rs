//! Saving a built [`IpTable`] to a file and opening it again: the arrays are
//! written as they are in memory and read straight back, so opening a table
//! of a million prefixes is one read of the file.

use crate::table::{IpTable, V4Table, V6Table};
use crate::{AsnInfo, LookupError};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"KZLTBL01";
const ENDIAN: u32 = 0x0102_0304;

/// A value that can be stored in a table file.
pub trait Stored: Sized {
    /// Appends the value.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads a value from the front of `buf`, advancing it.
    fn decode(buf: &mut &[u8]) -> Option<Self>;
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (a, b) = buf.split_at(n);
    *buf = b;
    Some(a)
}

fn u32_at(buf: &mut &[u8]) -> Option<u32> {
    take(buf, 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

impl Stored for AsnInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.asn.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&(self.more.len() as u32).to_le_bytes());
        for a in &self.more {
            out.extend_from_slice(&a.to_le_bytes());
        }
        let name = self.name.as_deref().unwrap_or("");
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&self.cc.unwrap_or([0, 0]));
    }

    fn decode(buf: &mut &[u8]) -> Option<Self> {
        let asn = u32_at(buf)?;
        let n = u32_at(buf)? as usize;
        let more = (0..n).map(|_| u32_at(buf)).collect::<Option<Vec<u32>>>()?;
        let len = u32_at(buf)? as usize;
        let name = std::str::from_utf8(take(buf, len)?).ok()?;
        let cc = take(buf, 2)?;
        Some(AsnInfo {
            asn: (asn != 0).then_some(asn),
            more,
            name: (!name.is_empty()).then(|| Arc::from(name)),
            cc: (cc != [0, 0]).then(|| [cc[0], cc[1]]),
        })
    }
}

impl Stored for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn decode(buf: &mut &[u8]) -> Option<Self> {
        u32_at(buf)
    }
}

/// Writes a table to `path` (through a temporary file, renamed when done).
pub fn save<V: Stored>(t: &IpTable<V>, path: &Path) -> Result<(), LookupError> {
    let io = |source| LookupError::Io {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    let (tbl24, long) = t.v4.parts();
    let mut values = Vec::new();
    for v in &t.values {
        v.encode(&mut values);
    }
    let mut head = Vec::new();
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&ENDIAN.to_ne_bytes());
    for n in [long.len(), t.v6.lo.len(), t.values.len(), values.len()] {
        head.extend_from_slice(&(n as u64).to_le_bytes());
    }
    f.write_all(&head).map_err(io)?;
    f.write_all(bytemuck::cast_slice(tbl24)).map_err(io)?;
    f.write_all(bytemuck::cast_slice(long)).map_err(io)?;
    f.write_all(bytemuck::cast_slice(&t.v6.lo)).map_err(io)?;
    f.write_all(bytemuck::cast_slice(&t.v6.hi)).map_err(io)?;
    f.write_all(bytemuck::cast_slice(&t.v6.value)).map_err(io)?;
    f.write_all(&values).map_err(io)?;
    f.flush().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Opens a table written by [`save`].
pub fn open<V: Stored>(path: &Path) -> Result<IpTable<V>, LookupError> {
    let io = |source| LookupError::Io {
        path: path.to_owned(),
        source,
    };
    let bad = |reason: &str| LookupError::Format {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    };
    let mut f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
    let mut head = [0u8; 8 + 4 + 32];
    f.read_exact(&mut head)
        .map_err(|_| bad("not a kizuki table file (too short)"))?;
    if &head[..8] != MAGIC {
        return Err(bad("not a kizuki table file"));
    }
    if head[8..12] != ENDIAN.to_ne_bytes() {
        return Err(bad(
            "written on a machine of the other byte order; build it again",
        ));
    }
    let n = |i: usize| {
        u64::from_le_bytes(head[12 + i * 8..20 + i * 8].try_into().unwrap_or([0; 8])) as usize
    };
    let (n_long, n_v6, n_values, values_len) = (n(0), n(1), n(2), n(3));
    if n_long > (1 << 31) || n_v6 > (1 << 31) || values_len > (1 << 34) {
        return Err(bad("implausible sizes; the file is damaged"));
    }
    let mut tbl24 = V4Table::empty();
    let mut long = vec![0u32; n_long];
    let mut v6 = V6Table {
        lo: vec![0; n_v6],
        hi: vec![0; n_v6],
        value: vec![0; n_v6],
    };
    let short = |_| bad("the file is cut short");
    {
        let (t24, _) = tbl24.parts_mut();
        f.read_exact(bytemuck::cast_slice_mut(t24)).map_err(short)?;
    }
    f.read_exact(bytemuck::cast_slice_mut(&mut long))
        .map_err(short)?;
    f.read_exact(bytemuck::cast_slice_mut(&mut v6.lo))
        .map_err(short)?;
    f.read_exact(bytemuck::cast_slice_mut(&mut v6.hi))
        .map_err(short)?;
    f.read_exact(bytemuck::cast_slice_mut(&mut v6.value))
        .map_err(short)?;
    let mut raw = vec![0u8; values_len];
    f.read_exact(&mut raw).map_err(short)?;
    let mut buf = &raw[..];
    let values = (0..n_values)
        .map(|_| V::decode(&mut buf))
        .collect::<Option<Vec<V>>>()
        .ok_or_else(|| bad("damaged values"))?;
    // Every index in the arrays must name a value.
    let max = n_values as u32;
    let (t24, _) = tbl24.parts_mut();
    if t24.iter().any(|e| e & (1 << 31) == 0 && *e > max)
        || long.iter().any(|e| *e > max)
        || v6.value.iter().any(|e| *e > max)
    {
        return Err(bad("damaged index"));
    }
    let v4 = tbl24.with_long(long);
    Ok(IpTable { v4, v6, values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IpRange, IpTableBuilder};

    #[test]
    fn save_and_open_give_the_same_answers() {
        let mut b = IpTableBuilder::new();
        b.insert(
            IpRange::parse("10.0.0.0/8").unwrap(),
            AsnInfo {
                asn: Some(1),
                cc: Some(*b"JP"),
                ..Default::default()
            },
        );
        b.insert(
            IpRange::parse("10.1.2.0/25").unwrap(),
            AsnInfo {
                asn: Some(2),
                more: vec![3, 4],
                name: Some("X".into()),
                cc: None,
            },
        );
        b.insert(
            IpRange::parse("2001:db8::/32").unwrap(),
            AsnInfo {
                asn: Some(5),
                ..Default::default()
            },
        );
        let (t, _) = b.build();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.kzt");
        save(&t, &p).unwrap();
        let u: IpTable<AsnInfo> = open(&p).unwrap();
        for ip in [
            "10.9.9.9",
            "10.1.2.3",
            "10.1.2.200",
            "2001:db8::1",
            "11.0.0.1",
            "2001:db9::",
        ] {
            let ip = ip.parse().unwrap();
            assert_eq!(t.lookup(ip), u.lookup(ip), "{ip}");
        }
        std::fs::write(&p, b"KZLTBL01garbage").unwrap();
        assert!(open::<AsnInfo>(&p).is_err());
    }
}
