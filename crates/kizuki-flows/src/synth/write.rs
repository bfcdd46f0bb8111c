//! Writers: the generated flows as nfdump 1.7 / 1.6 CSV and Zeek TSV, the
//! C2 list as a Feodo Tracker CSV, and the inventory CSV.

use super::world::World;
use crate::flow::Flow;
use jiff::tz::TimeZone;
use kizuki_event::time::Civil;
use std::io::{self, Write};

/// Formats UTC µs as local `YYYY-MM-DD hh:mm:ss[.mmm]` in a zone, keeping
/// the offset of the last hour.
struct LocalFormat {
    tz: TimeZone,
    hour: i64,
    offset: i64,
}

const HOUR: i64 = 3_600_000_000;

impl LocalFormat {
    fn new(tz: &TimeZone) -> Self {
        LocalFormat {
            tz: tz.clone(),
            hour: i64::MIN,
            offset: 0,
        }
    }

    fn offset_at(&self, us: i64) -> i64 {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| i64::from(self.tz.to_offset(t).seconds()) * 1_000_000)
            .unwrap_or(0)
    }

    fn write(&mut self, out: &mut Vec<u8>, us: i64, millis: bool) {
        let hour = us.div_euclid(HOUR);
        let off = if hour == self.hour {
            self.offset
        } else {
            let a = self.offset_at(hour * HOUR);
            let b = self.offset_at(hour * HOUR + HOUR - 1);
            if a == b {
                self.hour = hour;
                self.offset = a;
                a
            } else {
                self.offset_at(us)
            }
        };
        let c = Civil::from_micros(us + off);
        let two = |v: u32, out: &mut Vec<u8>| {
            out.push(b'0' + (v / 10) as u8);
            out.push(b'0' + (v % 10) as u8);
        };
        let y = c.year as u32;
        two(y / 100, out);
        two(y % 100, out);
        out.push(b'-');
        two(u32::from(c.month), out);
        out.push(b'-');
        two(u32::from(c.day), out);
        out.push(b' ');
        two(u32::from(c.hour), out);
        out.push(b':');
        two(u32::from(c.minute), out);
        out.push(b':');
        two(u32::from(c.second), out);
        if millis {
            let ms = c.micro / 1000;
            out.push(b'.');
            out.push(b'0' + (ms / 100) as u8);
            out.push(b'0' + (ms / 10 % 10) as u8);
            out.push(b'0' + (ms % 10) as u8);
        }
    }
}

fn num(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn secs3(out: &mut Vec<u8>, us: i64) {
    let ms = (us.max(0) / 1000) as u64;
    num(out, ms / 1000);
    out.push(b'.');
    let f = ms % 1000;
    out.push(b'0' + (f / 100) as u8);
    out.push(b'0' + (f / 10 % 10) as u8);
    out.push(b'0' + (f % 10) as u8);
}

fn ip(out: &mut Vec<u8>, a: std::net::IpAddr) {
    match a {
        std::net::IpAddr::V4(v) => {
            for (i, o) in v.octets().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                num(out, u64::from(*o));
            }
        }
        std::net::IpAddr::V6(v) => out.extend_from_slice(v.to_string().as_bytes()),
    }
}

const FLUSH: usize = 1 << 20;

/// Writes nfdump 1.7 `-o csv` (`firstSeen,duration,proto,srcAddr,srcPort,
/// dstAddr,dstPort,packets,bytes,flows`, times local to `tz` with
/// milliseconds, the protocol as a number, ICMP's destination port as
/// `type.code`); with `nat`, the translated source columns `srcXIP,srcXPort`
/// after `dstPort` (as `-o 'csv:…%nsa,%nsp…'` prints). Returns the rows
/// written; row `i` is on line `i + 2`.
pub fn write_nfdump17(
    flows: impl Iterator<Item = Flow>,
    out: &mut impl Write,
    tz: &TimeZone,
    nat: bool,
) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(FLUSH + 4096);
    if nat {
        buf.extend_from_slice(b"firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,srcXIP,srcXPort,packets,bytes,flows\n");
    } else {
        buf.extend_from_slice(
            b"firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n",
        );
    }
    let mut fmt = LocalFormat::new(tz);
    let mut n = 0;
    for f in flows {
        fmt.write(&mut buf, f.start, true);
        buf.push(b',');
        secs3(&mut buf, f.end - f.start);
        buf.push(b',');
        num(&mut buf, u64::from(f.protocol.map_or(0, |p| p.0)));
        buf.push(b',');
        ip(&mut buf, f.src);
        buf.push(b',');
        num(&mut buf, u64::from(f.src_port.unwrap_or(0)));
        buf.push(b',');
        ip(&mut buf, f.dst);
        buf.push(b',');
        match f.dst_port {
            Some(p) => num(&mut buf, u64::from(p)),
            None => buf.extend_from_slice(b"8.0"),
        }
        if nat {
            buf.push(b',');
            match f.nat_src {
                Some(a) => ip(&mut buf, a),
                None => buf.extend_from_slice(b"0.0.0.0"),
            }
            buf.push(b',');
            num(&mut buf, u64::from(f.nat_src_port.unwrap_or(0)));
        }
        buf.push(b',');
        num(&mut buf, f.packets.unwrap_or(0));
        buf.push(b',');
        num(&mut buf, f.bytes.unwrap_or(0));
        buf.extend_from_slice(b",1\n");
        n += 1;
        if buf.len() >= FLUSH {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(n)
}

/// The 48 columns of nfdump 1.6 `-o csv`.
const NFDUMP16: &str = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";

/// Writes nfdump 1.6 `-o csv`: the 48-column header, times local to `tz`
/// in whole seconds, the protocol by name, and the `Summary` trailer.
/// Returns the rows written; row `i` is on line `i + 2`.
pub fn write_nfdump16(
    flows: impl Iterator<Item = Flow>,
    out: &mut impl Write,
    tz: &TimeZone,
) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(FLUSH + 4096);
    buf.extend_from_slice(NFDUMP16.as_bytes());
    buf.push(b'\n');
    let mut fmt = LocalFormat::new(tz);
    let (mut n, mut bytes, mut packets) = (0u64, 0u64, 0u64);
    for f in flows {
        fmt.write(&mut buf, f.start, false);
        buf.push(b',');
        fmt.write(&mut buf, f.end, false);
        buf.push(b',');
        secs3(&mut buf, f.end - f.start);
        buf.push(b',');
        ip(&mut buf, f.src);
        buf.push(b',');
        ip(&mut buf, f.dst);
        buf.push(b',');
        num(&mut buf, u64::from(f.src_port.unwrap_or(0)));
        buf.push(b',');
        match f.dst_port {
            Some(p) => num(&mut buf, u64::from(p)),
            None => buf.extend_from_slice(b"8.0"),
        }
        buf.push(b',');
        let proto = f
            .protocol
            .map(|p| p.to_string().to_ascii_uppercase())
            .unwrap_or_else(|| "0".into());
        buf.extend_from_slice(proto.as_bytes());
        buf.extend_from_slice(b",.A....,0,0,");
        num(&mut buf, f.packets.unwrap_or(0));
        buf.push(b',');
        num(&mut buf, f.bytes.unwrap_or(0));
        buf.extend_from_slice(b",0,0,1,2,0,0,24,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,192.0.2.1,0/0,1,0000-00-00 00:00:00.000\n");
        n += 1;
        bytes += f.bytes.unwrap_or(0);
        packets += f.packets.unwrap_or(0);
        if buf.len() >= FLUSH {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n");
    buf.extend_from_slice(format!("{n},{bytes},{packets},0,0,0\n").as_bytes());
    out.write_all(&buf)?;
    Ok(n)
}

/// Writes a Zeek `conn.log` (TSV, with its `#` header and `#close`).
/// Returns the rows written; row `i` is on line `i + 9`.
pub fn write_zeek_tsv(flows: impl Iterator<Item = Flow>, out: &mut impl Write) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(FLUSH + 4096);
    buf.extend_from_slice(
        b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2021-02-22-00-00-00\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n",
    );
    let mut n = 0u64;
    for f in flows {
        let micros = |buf: &mut Vec<u8>, us: i64| {
            num(buf, (us / 1_000_000) as u64);
            buf.push(b'.');
            let frac = format!("{:06}", us % 1_000_000);
            buf.extend_from_slice(frac.as_bytes());
        };
        micros(&mut buf, f.start);
        buf.extend_from_slice(b"\tC");
        num(&mut buf, n + 1);
        buf.push(b'\t');
        ip(&mut buf, f.src);
        buf.push(b'\t');
        let icmp = f.protocol.is_some_and(|p| p.0 == 1);
        num(
            &mut buf,
            u64::from(if icmp { 8 } else { f.src_port.unwrap_or(0) }),
        );
        buf.push(b'\t');
        ip(&mut buf, f.dst);
        buf.push(b'\t');
        num(&mut buf, u64::from(f.dst_port.unwrap_or(0)));
        buf.push(b'\t');
        let proto = f
            .protocol
            .map(|p| p.to_string())
            .unwrap_or_else(|| "unknown_transport".into());
        buf.extend_from_slice(proto.as_bytes());
        buf.extend_from_slice(b"\t-\t");
        micros(&mut buf, f.end - f.start);
        let (p, b) = (f.packets.unwrap_or(0), f.bytes.unwrap_or(0));
        buf.push(b'\t');
        num(&mut buf, b / 2);
        buf.push(b'\t');
        num(&mut buf, b - b / 2);
        buf.extend_from_slice(b"\tSF\tT\tF\t0\tShADadFf\t");
        num(&mut buf, p / 2);
        buf.push(b'\t');
        num(&mut buf, b / 2);
        buf.push(b'\t');
        num(&mut buf, p - p / 2);
        buf.push(b'\t');
        num(&mut buf, b - b / 2);
        buf.extend_from_slice(b"\t(empty)\n");
        n += 1;
        if buf.len() >= FLUSH {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"#close\t2021-02-23-00-00-00\n");
    out.write_all(&buf)?;
    Ok(n)
}

/// Writes the world's C2 list as Feodo Tracker's `ipblocklist.csv`: `#`
/// banner lines, the commented header, quoted rows, and the closing count.
pub fn write_feodo_csv(world: &World, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "################################################################"
    )?;
    writeln!(
        out,
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)            #"
    )?;
    writeln!(
        out,
        "# kizuki-flows synth: generated, not real addresses              #"
    )?;
    writeln!(
        out,
        "################################################################"
    )?;
    writeln!(out, "#")?;
    writeln!(
        out,
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\""
    )?;
    for (e, disp) in world.c2.iter().zip(&world.display) {
        let first = Civil::from_micros(e.first_seen);
        let last = e
            .last_online
            .map(|d| {
                let c = Civil::from_micros(d);
                format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
            })
            .unwrap_or_default();
        writeln!(
            out,
            "\"{:04}-{:02}-{:02} {:02}:{:02}:{:02}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"",
            first.year,
            first.month,
            first.day,
            first.hour,
            first.minute,
            first.second,
            e.ip,
            e.port.map(|p| p.to_string()).unwrap_or_default(),
            e.status.as_deref().unwrap_or(""),
            last,
            disp
        )?;
    }
    writeln!(out, "# Number of entries: {}", world.c2.len())?;
    Ok(())
}

/// Writes the asset inventory CSV (`asset_id,hostname,ip,mac,owner,
/// department`); MAC addresses are written in varying notations.
pub fn write_inventory_csv(world: &World, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "asset_id,hostname,ip,mac,owner,department")?;
    for (i, a) in world.assets.iter().enumerate() {
        let mac = a.mac.clone().unwrap_or_default();
        let mac = match i % 3 {
            0 => mac.to_ascii_uppercase().replace(':', "-"),
            1 => {
                let h: String = mac.chars().filter(|c| *c != ':').collect();
                format!("{}.{}.{}", &h[0..4], &h[4..8], &h[8..12])
            }
            _ => mac,
        };
        writeln!(
            out,
            "{},{},{},{},{},{}",
            a.asset_id,
            a.hostname.as_deref().unwrap_or(""),
            a.ip.map(|i| i.to_string()).unwrap_or_default(),
            mac,
            a.owner.as_deref().unwrap_or(""),
            a.department.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}
