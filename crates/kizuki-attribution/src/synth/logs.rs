//! Writes a simulated ISP to files, in the formats real systems write:
//! FreeRADIUS `detail` files from two servers (one in Asia/Tokyo with
//! `Timestamp`, one in Europe/Berlin with only local times), Kea lease4
//! files, port-block syslog from a Juniper, an A10 and an NFWare CGN, the
//! subscriber directory, a `kizuki.toml` with the deterministic NAT, and the
//! observations as IntelMQ JSON lines with their true answers.

use super::world::{Isp, KeaEv, PORTS_PER_BLOCK, PbaEv, RadEv, SubKind};
use jiff::tz::TimeZone;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// One `kizuki assignments import` to run.
#[derive(Clone, Debug, Serialize)]
pub struct Import {
    /// The format.
    pub format: String,
    /// The zone of its local times.
    pub tz: String,
    /// The year of its yearless syslog times.
    pub year: Option<i16>,
    /// The files, relative to the output directory.
    pub files: Vec<String>,
}

/// What was written, as `manifest.json` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Files {
    /// Imports to run, in this order.
    pub imports: Vec<Import>,
    /// The subscriber directory.
    pub subscribers: String,
    /// The observations (IntelMQ JSON lines with `extra.truth.*`).
    pub observations: String,
    /// The configuration with the deterministic NAT.
    pub config: String,
    /// What the data contains.
    pub cases: super::Cases,
    /// Records written per log.
    pub records: std::collections::BTreeMap<String, u64>,
}

/// A file per day: opened when the first line of a day comes.
struct Daily {
    dir: PathBuf,
    prefix: String,
    suffix: String,
    header: Option<String>,
    day: Option<String>,
    out: Option<BufWriter<std::fs::File>>,
    names: Vec<String>,
    /// The latest time written to each file, which becomes its
    /// modification time, as a log writer leaves it.
    last: std::collections::BTreeMap<String, i64>,
    lines: u64,
}

impl Daily {
    fn new(dir: &Path, prefix: &str, suffix: &str, header: Option<&str>) -> Daily {
        Daily {
            dir: dir.to_owned(),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            header: header.map(str::to_owned),
            day: None,
            out: None,
            names: Vec::new(),
            last: std::collections::BTreeMap::new(),
            lines: 0,
        }
    }

    fn write(&mut self, day: &str, t: i64, text: &str) -> std::io::Result<()> {
        let name = format!("{}{day}{}", self.prefix, self.suffix);
        let last = self.last.entry(name).or_insert(t);
        *last = (*last).max(t);
        if self.day.as_deref() != Some(day) {
            if let Some(mut o) = self.out.take() {
                o.flush()?;
            }
            let name = format!("{}{day}{}", self.prefix, self.suffix);
            let path = self.dir.join(&name);
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)?;
            }
            // A day may come back (rows written out of order): append.
            let new = !path.exists();
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            let mut w = BufWriter::with_capacity(1 << 20, f);
            if new {
                if let Some(h) = &self.header {
                    w.write_all(h.as_bytes())?;
                }
                self.names.push(name);
            }
            self.out = Some(w);
            self.day = Some(day.to_owned());
        }
        self.lines += 1;
        match &mut self.out {
            Some(w) => w.write_all(text.as_bytes()),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> std::io::Result<(Vec<String>, u64)> {
        if let Some(mut o) = self.out.take() {
            o.flush()?;
        }
        for (name, t) in &self.last {
            let when = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(*t + 1).unwrap_or(0));
            std::fs::File::options()
                .append(true)
                .open(self.dir.join(name))?
                .set_modified(when)?;
        }
        Ok((self.names, self.lines))
    }
}

fn zoned(t: i64, tz: &TimeZone) -> jiff::Zoned {
    jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
}

const NAS_IP: [&str; 4] = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];

fn detail_record(e: &RadEv, isp: &Isp, tz: &TimeZone, local_only: bool, out: &mut String) {
    use std::fmt::Write as _;
    let z = zoned(e.t, tz);
    let _ = writeln!(out, "{}", z.strftime("%a %b %e %H:%M:%S %Y"));
    let status = match e.kind {
        1 => "Start",
        2 => "Interim-Update",
        3 => "Stop",
        _ => "Accounting-On",
    };
    let _ = writeln!(out, "\tAcct-Status-Type = {status}");
    let nas = NAS_IP[usize::from(e.nas) % NAS_IP.len()];
    if e.kind != 7 {
        let s = &isp.subs[e.sub as usize];
        let _ = writeln!(out, "\tUser-Name = \"u{}@isp.example\"", e.sub);
        let _ = writeln!(out, "\tAcct-Session-Id = \"{:08X}\"", e.session);
        let _ = writeln!(out, "\tNAS-IP-Address = {nas}");
        let _ = writeln!(out, "\tNAS-Port = {}", e.sub % 4096);
        let _ = writeln!(out, "\tFramed-IP-Address = {}", Ipv4Addr::from(e.addr));
        if e.v6 && s.kind == SubKind::Pppoe {
            let p = std::net::Ipv6Addr::from(s.v6);
            let _ = writeln!(out, "\tFramed-IPv6-Prefix = {p}/64");
            let _ = writeln!(out, "\tDelegated-IPv6-Prefix = {p}/56");
        }
        match e.kind {
            1 => {
                let _ = writeln!(out, "\tAcct-Interim-Interval = 3600");
            }
            _ => {
                let _ = writeln!(out, "\tAcct-Session-Time = {}", e.t - e.session_start);
            }
        }
        if e.kind == 3 {
            let _ = writeln!(out, "\tAcct-Terminate-Cause = User-Request");
        }
    } else {
        let _ = writeln!(out, "\tNAS-IP-Address = {nas}");
    }
    if !local_only {
        let _ = writeln!(
            out,
            "\tEvent-Timestamp = \"{}\"",
            z.strftime("%b %e %Y %H:%M:%S %Z")
        );
        // One record in ten arrived late, as Acct-Delay-Time says.
        let delay = if e.session.wrapping_add(e.t as u32).is_multiple_of(10) {
            1 + (e.t % 5)
        } else {
            0
        };
        if delay > 0 {
            let _ = writeln!(out, "\tAcct-Delay-Time = {delay}");
        }
        let _ = writeln!(out, "\tTimestamp = {}", e.t + delay);
    }
    out.push('\n');
}

fn pba_line(e: &PbaEv, device: usize, tz: &TimeZone) -> String {
    let z = zoned(e.t, tz);
    let head = z.strftime("%b %e %H:%M:%S");
    let inside = Ipv4Addr::from(e.inside);
    let public = Ipv4Addr::from(e.public);
    let hi = e.lo + PORTS_PER_BLOCK - 1;
    match device {
        0 => {
            let utc = zoned(e.t, &TimeZone::UTC).strftime("%Y-%m-%d %H:%M:%S");
            let what = match e.kind {
                1 => "ALLOC",
                2 => "ACTIVE",
                _ => "RELEASE",
            };
            format!(
                "{head} cgn-a (FPC Slot 1, PIC Slot 0) {utc} [FWNAT]:ASP_NAT_PORT_BLOCK_{what}: {inside} -> {public}:{}-{hi}\n",
                e.lo
            )
        }
        1 => {
            let (sig, name) = if e.kind == 1 {
                ("CGN 106", "Nat Port Batch Pool Allocated")
            } else {
                ("CGN 107", "Nat Port Batch Pool Freed")
            };
            format!(
                "{head} cgn-b CEF:0|A10|CFW|6.0.0-P1|{sig}|{name}|5|proto=TCP src={inside} sourceTranslatedAddress={public} sourceTranslatedPort={} cn3={hi} cn3Label=Last Nat Port rt={}\n",
                e.lo,
                e.t * 1000
            )
        }
        _ => {
            let a = if e.kind == 1 { "A" } else { "D" };
            format!(
                "{head} cgn-c nfware[4242]: {a} VRF 0 INT {inside} EXT {public}:{}-{hi}\n",
                e.lo
            )
        }
    }
}

fn kea_row(e: &KeaEv, isp: &Isp) -> String {
    let m = isp.subs[e.sub as usize].mac;
    format!(
        "{},{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x},,{},{},1,0,0,host-{}&#x2cpc,{},,0\n",
        Ipv4Addr::from(e.addr),
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5],
        e.valid,
        e.expire,
        e.sub,
        e.state
    )
}

/// Writes everything into `dir`, and `manifest.json` listing it.
pub fn write(isp: &Isp, dir: &Path) -> std::io::Result<Files> {
    std::fs::create_dir_all(dir)?;
    let tokyo = TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC);
    let berlin = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
    let mut records = std::collections::BTreeMap::new();
    let mut imports = Vec::new();

    // RADIUS: NAS 0 reports to the server in Berlin, the others to Tokyo.
    let mut jp = Daily::new(dir, "radius-jp/detail-", "", None);
    let mut eu = Daily::new(dir, "radius-eu/detail-", "", None);
    let mut text = String::with_capacity(1024);
    for e in &isp.radius {
        text.clear();
        let (w, tz, local_only) = if e.nas == 0 {
            (&mut eu, &berlin, true)
        } else {
            (&mut jp, &tokyo, false)
        };
        detail_record(e, isp, tz, local_only, &mut text);
        let day = zoned(e.t, tz).strftime("%Y%m%d").to_string();
        w.write(&day, e.t, &text)?;
    }
    for (w, tz, name) in [
        (jp, "Asia/Tokyo", "radius-jp"),
        (eu, "Europe/Berlin", "radius-eu"),
    ] {
        let (files, n) = w.finish()?;
        records.insert(name.to_owned(), n);
        if !files.is_empty() {
            imports.push(Import {
                format: "radius-detail".into(),
                tz: tz.into(),
                year: None,
                files,
            });
        }
    }

    // Kea.
    let head = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n";
    let mut kea = Daily::new(dir, "kea/kea-leases4-", ".csv", Some(head));
    for e in &isp.kea {
        let day = zoned(e.t, &TimeZone::UTC).strftime("%Y%m%d").to_string();
        kea.write(&day, e.t, &kea_row(e, isp))?;
    }
    let (files, n) = kea.finish()?;
    records.insert("kea".into(), n);
    if !files.is_empty() {
        imports.push(Import {
            format: "kea-lease4".into(),
            tz: "UTC".into(),
            year: None,
            files,
        });
    }

    // Port blocks: one CGN per vendor, syslog headers in Tokyo time.
    let year = zoned(isp.spec.start, &tokyo).year();
    for (device, (format, name)) in [
        ("pba-juniper", "cgn-a"),
        ("pba-a10", "cgn-b"),
        ("pba-nfware", "cgn-c"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut w = Daily::new(dir, &format!("pba/{name}-"), ".log", None);
        for e in &isp.pba[device] {
            let day = zoned(e.t, &tokyo).strftime("%Y%m%d").to_string();
            w.write(&day, e.t, &pba_line(e, device, &tokyo))?;
        }
        let (files, n) = w.finish()?;
        records.insert(name.to_owned(), n);
        if !files.is_empty() {
            imports.push(Import {
                format: format.into(),
                tz: "Asia/Tokyo".into(),
                year: Some(year),
                files,
            });
        }
    }

    // The subscriber directory.
    {
        let f = std::fs::File::create(dir.join("subscribers.csv"))?;
        let mut w = BufWriter::new(f);
        writeln!(
            w,
            "subscriber_id,name,kind,emails,language,timezone,postal_address,keys"
        )?;
        for (i, s) in isp.subs.iter().enumerate() {
            let company = matches!(s.kind, SubKind::Static) || i % 7 == 0;
            let (name, kind) = if company {
                (format!("Example Corp {i}"), "company")
            } else {
                (format!("Subscriber {i}"), "person")
            };
            let (lang, tz) = if i % 5 == 0 {
                ("en", "Europe/London")
            } else {
                ("ja", "Asia/Tokyo")
            };
            writeln!(
                w,
                "{},{name},{kind},contract{i}@example.jp,{lang},{tz},\"{i} Example Street, Tokyo\",{}",
                s.id,
                s.key(i as u32)
            )?;
        }
        w.flush()?;
    }

    // kizuki.toml with the deterministic NAT.
    {
        let n = &isp.nat;
        let text = format!(
            "# Written by `kizuki gen isp`.\n[[attribution.deterministic_nat]]\nname = \"{}\"\ninside = \"{}\"\noutside = \"{}\"\nports_per_host = {}\nfirst_port = {}\n",
            n.name.as_deref().unwrap_or("detnat"),
            n.inside,
            n.outside,
            n.ports_per_host,
            n.first_port
        );
        std::fs::write(dir.join("kizuki.toml"), text)?;
    }

    // Observations with their true answers.
    {
        let f = std::fs::File::create(dir.join("observations.jsonl"))?;
        let mut w = BufWriter::new(f);
        for (o, case, t) in &isp.observations {
            let time = jiff::Timestamp::from_second(o.time)
                .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string())
                .unwrap_or_default();
            let mut m = serde_json::Map::new();
            m.insert("classification.taxonomy".into(), "malicious-code".into());
            m.insert("classification.type".into(), "infected-system".into());
            m.insert(
                "extra.truth.case".into(),
                format!("{case:?}").to_lowercase().into(),
            );
            m.insert("extra.truth.status".into(), t.status.name().into());
            m.insert(
                "extra.truth.subscribers".into(),
                serde_json::Value::Array(t.subscribers.iter().map(|s| s.clone().into()).collect()),
            );
            m.insert("feed.name".into(), "synthetic-isp".into());
            m.insert("malware.name".into(), "emotet".into());
            m.insert("source.ip".into(), o.ip.to_string().into());
            if let Some(p) = o.port {
                m.insert("source.port".into(), p.into());
            }
            m.insert("time.source".into(), time.into());
            writeln!(w, "{}", serde_json::Value::Object(m))?;
        }
        w.flush()?;
    }
    let files = Files {
        imports,
        subscribers: "subscribers.csv".into(),
        observations: "observations.jsonl".into(),
        config: "kizuki.toml".into(),
        cases: isp.cases.clone(),
        records,
    };
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&files).map_err(std::io::Error::other)?,
    )?;
    Ok(files)
}
