//! Plain lists of addresses attached to notices: `ip,timestamp[,port,malware]`
//! with or without a header, comma, tab or semicolon separated, or one
//! address and time per line separated by spaces.
//!
//! The columns are found by their header names (`ip`, `src_ip`,
//! `IPアドレス`, `timestamp`, `日時`, `port`, `malware`, …) or, without a
//! header, by what each field holds.

use super::datetime::{self, ZoneChoice, ZoneHint};
use super::ips;
use super::labels::{self, LabelKind};
use super::normalize::{Norm, original};
use super::notice::{ReportSource, Reported};
use kizuki_event::{Event, Field, Origin, Timestamp};
use std::net::IpAddr;
use std::sync::Arc;

/// What a list gave.
#[derive(Debug, Default)]
pub(crate) struct ListRead {
    /// One event per row with an address.
    pub events: Vec<Event>,
    /// One report per event.
    pub reports: Vec<Reported>,
    /// Rows refused, and other doubts, for a person.
    pub problems: Vec<String>,
    /// Rows refused.
    pub rejects: usize,
}

/// Which column holds what.
#[derive(Debug, Default)]
struct Columns {
    ip: Option<usize>,
    time: Option<usize>,
    port: Option<usize>,
    malware: Option<usize>,
    dest: Option<usize>,
    dest_port: Option<usize>,
}

/// What a column holds, and a zone its name gives (`観測日時(JST)`).
fn column_kind(name: &str) -> Option<(LabelKind, Option<ZoneHint>)> {
    let n = name.trim().trim_matches('"').trim().to_lowercase();
    let zone = labels::classify(&Norm::new(&n).text).and_then(|l| l.zone);
    let kind = match n.as_str() {
        "ip" | "ip_address" | "ipaddress" | "ipaddr" | "src_ip" | "source_ip" | "source.ip"
        | "addr" | "address" | "src" => LabelKind::Address,
        "timestamp" | "time" | "date" | "datetime" | "date_time" | "time.source" | "first_seen"
        | "observed" | "seen" | "time_jst" | "time_utc" => LabelKind::Time,
        "port" | "src_port" | "source_port" | "source.port" | "sport" => LabelKind::Port,
        "malware" | "infection" | "family" | "malware.name" | "malware_name" | "botnet" => {
            LabelKind::Malware
        }
        "dst_ip" | "dest_ip" | "destination_ip" | "destination.ip" | "c2" | "c2_ip" => {
            LabelKind::Destination
        }
        "dst_port" | "dest_port" | "destination_port" | "destination.port" => {
            LabelKind::DestinationPort
        }
        _ => return labels::classify(&Norm::new(&n).text).map(|l| (l.kind, l.zone)),
    };
    Some((kind, zone))
}

fn split(line: &str, delim: Option<char>) -> Vec<String> {
    match delim {
        Some(d) => {
            let mut r = csv::ReaderBuilder::new()
                .delimiter(d as u8)
                .has_headers(false)
                .flexible(true)
                .from_reader(line.as_bytes());
            r.records()
                .next()
                .and_then(Result::ok)
                .map(|rec| rec.iter().map(str::to_owned).collect())
                .unwrap_or_default()
        }
        None => vec![line.to_owned()],
    }
}

/// A time field: a date-time in any known form, or Unix seconds.
fn read_time(field: &str, zone: &ZoneChoice) -> Option<(Option<i64>, String, String)> {
    let raw = field.trim().trim_matches('"').trim();
    if raw.is_empty() {
        return None;
    }
    if (9..=10).contains(&raw.len()) && raw.bytes().all(|c| c.is_ascii_digit()) {
        let t = raw.parse::<i64>().ok().and_then(Timestamp::from_unix);
        return Some((t.map(Timestamp::as_micros), raw.to_owned(), "UTC".into()));
    }
    let n = Norm::new(raw);
    let f = datetime::find(&n.text).filter(|f| f.time.is_some())?;
    let text = original(raw, &n, f.range.clone()).to_owned();
    let r = f.resolve(zone);
    Some((r.time, text, r.zone))
}

/// Reads a list, or returns `None` when the text is not one (no row has an
/// address where a list would have it).
pub(crate) fn read(name: &str, text: &str, zone: &ZoneChoice) -> Option<ListRead> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let (_, first) = *lines.first()?;
    let delim = [',', '\t', ';']
        .into_iter()
        .map(|d| (first.matches(d).count(), d))
        .filter(|(n, _)| *n > 0)
        .max()
        .map(|(_, d)| d);
    let head = split(first, delim);
    let header = delim.is_some()
        && ips::find_ips(&Norm::new(first).text).is_empty()
        && head.iter().any(|h| column_kind(h).is_some());
    let mut cols = Columns::default();
    let mut time_zone: Option<ZoneChoice> = None;
    if header {
        for (i, h) in head.iter().enumerate() {
            let Some((kind, z)) = column_kind(h) else {
                continue;
            };
            let slot = match kind {
                LabelKind::Address => &mut cols.ip,
                LabelKind::Time => {
                    if cols.time.is_none() {
                        time_zone = z.map(ZoneHint::choice);
                    }
                    &mut cols.time
                }
                LabelKind::Port => &mut cols.port,
                LabelKind::Malware => &mut cols.malware,
                LabelKind::Destination => &mut cols.dest,
                LabelKind::DestinationPort => &mut cols.dest_port,
                LabelKind::Code => continue,
            };
            slot.get_or_insert(i);
        }
        cols.ip?;
    }
    let zone = time_zone.as_ref().unwrap_or(zone);
    let file: Arc<str> = Arc::from(name);
    let mut out = ListRead::default();
    for &(line, l) in lines.iter().skip(usize::from(header)) {
        let fields = split(l, delim);
        match row(&fields, &cols, header, zone) {
            Ok(mut r) => {
                let mut ev = Event::new();
                let _ = ev.set_ip(Field::SourceIp, r.address);
                if let Some(t) = r.time.and_then(Timestamp::from_micros) {
                    let _ = ev.set_time(Field::TimeSource, t);
                }
                if let Some(p) = r.port {
                    let _ = ev.set_int(Field::SourcePort, i64::from(p));
                }
                if let Some(m) = &r.malware {
                    let _ = ev.add(Field::MalwareName, m.as_str().into());
                }
                if let Some(d) = r.destination {
                    let _ = ev.set_ip(Field::DestinationIp, d);
                }
                if let Some(p) = r.destination_port {
                    let _ = ev.set_int(Field::DestinationPort, i64::from(p));
                }
                let _ = ev.add(Field::ClassificationType, "infected-system".into());
                ev.set_origin(Some(Origin::new(file.clone(), line as u64)));
                if r.time.is_none() {
                    out.problems.push(match &r.time_text {
                        Some(t) => format!("{name} line {line}: time {t:?} not understood"),
                        None => format!("{name} line {line}: no time for {}", r.address),
                    });
                }
                r.source = ReportSource::Attachment {
                    name: name.to_owned(),
                    line: line as u64,
                };
                out.events.push(ev);
                out.reports.push(r);
            }
            Err(why) => {
                out.rejects += 1;
                out.problems.push(format!("{name} line {line}: {why}"));
            }
        }
    }
    (!out.reports.is_empty()).then_some(out)
}

fn row(
    fields: &[String],
    cols: &Columns,
    header: bool,
    zone: &ZoneChoice,
) -> Result<Reported, String> {
    let field = |i: Option<usize>| {
        i.and_then(|i| fields.get(i))
            .map(|s| s.trim().trim_matches('"').trim())
    };
    let ip_of = |s: &str| -> Option<(IpAddr, Option<u16>)> {
        ips::find_ips(&Norm::new(s).text)
            .first()
            .map(|f| (f.ip, f.port))
    };
    let mut r = Reported {
        address: IpAddr::from([0, 0, 0, 0]),
        port: None,
        time: None,
        time_end: None,
        time_text: None,
        zone: None,
        malware: None,
        destination: None,
        destination_port: None,
        source: ReportSource::Text { line: 0 },
    };
    let mut used = vec![false; fields.len()];
    let (ip, port) = if header {
        let (ip, port) = field(cols.ip)
            .and_then(ip_of)
            .ok_or("no address in the address column")?;
        if let Some(i) = cols.ip {
            used[i] = true;
        }
        (ip, port)
    } else {
        let (i, found) = fields
            .iter()
            .enumerate()
            .find_map(|(i, f)| ip_of(f).map(|x| (i, x)))
            .ok_or("no address")?;
        used[i] = true;
        found
    };
    r.address = ip;
    r.port = port;
    let time_field = if header {
        field(cols.time).map(|s| (cols.time, s))
    } else {
        fields
            .iter()
            .enumerate()
            .find(|(i, f)| (!used[*i] || fields.len() == 1) && read_time(f, zone).is_some())
            .map(|(i, f)| (Some(i), f.as_str()))
    };
    if let Some((i, t)) = time_field {
        if let Some(i) = i
            && i < used.len()
        {
            used[i] = true;
        }
        match read_time(t, zone) {
            Some((time, text, z)) => {
                r.time = time;
                r.time_text = Some(text);
                r.zone = Some(z);
            }
            None if !t.is_empty() => r.time_text = Some(t.to_owned()),
            None => {}
        }
    }
    if header {
        r.port = r
            .port
            .or_else(|| field(cols.port).and_then(|p| p.parse().ok()));
        r.malware = field(cols.malware).and_then(labels::malware_name);
        r.destination = field(cols.dest).and_then(ip_of).map(|x| x.0);
        r.destination_port = field(cols.dest_port).and_then(|p| p.parse().ok());
    } else {
        // Without a header: `ip,timestamp,port,malware` by what each holds.
        if fields.len() == 1 {
            r.malware = labels::family_in(&fields[0]).map(str::to_owned);
        }
        for (i, f) in fields.iter().enumerate() {
            if used[i] {
                continue;
            }
            let f = f.trim();
            if r.port.is_none()
                && let Ok(p) = f.parse::<u16>()
            {
                r.port = Some(p);
            } else if r.malware.is_none() && f.chars().any(char::is_alphabetic) {
                r.malware = labels::malware_name(f);
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuki_event::time::Zone;

    #[test]
    fn lists_with_and_without_headers() {
        let z = ZoneChoice::of(Zone::Fixed(9 * 3600));
        let l = read(
            "a.csv",
            "ip,timestamp,port,malware\n203.0.113.5,2021-02-22 10:15:23,51514,Emotet\nx,y\n",
            &z,
        )
        .unwrap();
        assert_eq!(l.reports.len(), 1);
        assert_eq!(l.reports[0].port, Some(51514));
        assert_eq!(l.reports[0].zone.as_deref(), Some("+09:00"));
        assert_eq!(l.rejects, 1);
        let l = read(
            "b.txt",
            "203.0.113.5\t2021-02-22T01:15:23Z\n203.0.113.6\t2021-02-22T01:20:00Z\temotet\n",
            &z,
        )
        .unwrap();
        assert_eq!(l.reports.len(), 2);
        assert_eq!(l.reports[1].malware.as_deref(), Some("emotet"));
        assert_eq!(l.reports[0].zone.as_deref(), Some("UTC"));
        assert!(read("c.txt", "hello\nworld\n", &z).is_none());
        let l = read("d.txt", "203.0.113.5 2021-02-22 10:15:23 JST emotet\n", &z).unwrap();
        assert_eq!(l.reports[0].zone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(l.reports[0].malware.as_deref(), Some("emotet"));
    }
}
