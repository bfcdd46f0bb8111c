//! The demo's last part: a company's CSIRT receives one of the ISP's
//! notices, finds the PC behind its NAT and works the Emotet playbook.

use crate::Global;
use crate::cli_cases::IntakeArgs;
use crate::config::{CasesConfig, Config, CorrelateConfig, MailboxConfig};
use anyhow::{Context, Result, bail};
use kizuki_cases::emocheck::{self, EmoCheckReport, EmoProcess, ReportFormat};
use kizuki_feeds::mail::{MailOptions, parse_notice};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The infected PC of the demo company.
const PC: &str = "10.20.3.17";
/// A C2 server of the demo's Feodo list (documentation address space).
const C2: &str = "192.0.2.181";

/// A notice from the ISP's outbox: the message, its public address and
/// contact time.
fn pick_notice(outbox: &Path) -> Result<(Vec<u8>, String, IpAddr, i64)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox.join("new"))
        .with_context(|| format!("cannot read {}", outbox.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        let raw = std::fs::read(&f)?;
        let n = parse_notice(&raw, &MailOptions::default());
        let japanese = n.subject.as_deref().is_some_and(|s| !s.is_ascii());
        // A company behind one IPv4 NAT address, a fixed one (not a CGNAT
        // subscriber in 100.64.0.0/10); its first reported contact.
        let fixed = |a: &IpAddr| match a {
            IpAddr::V4(v) => !(v.octets()[0] == 100 && (64..128).contains(&v.octets()[1])),
            IpAddr::V6(_) => false,
        };
        let Some(first) = n.reports.first() else {
            continue;
        };
        let one_address = n.reports.iter().all(|r| r.address == first.address);
        let at = n.reports.iter().filter_map(|r| r.time).min();
        if let (true, true, true, Some(at)) = (japanese, one_address, fixed(&first.address), at) {
            let subject = n.subject.clone().unwrap_or_default();
            return Ok((raw, subject, first.address, at));
        }
    }
    bail!(
        "no Japanese notice about one fixed IPv4 address in {}",
        outbox.display()
    )
}

fn iso(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Japan time, as the company's collector writes it.
fn jst(us: i64) -> String {
    jiff::tz::TimeZone::get("Asia/Tokyo")
        .ok()
        .zip(jiff::Timestamp::from_microsecond(us).ok())
        .map(|(tz, t)| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A small company network's logs around the contact: nfdump 1.7 CSV
/// flows of 40 PCs in Japan time, a Feodo Tracker list (UTC) and the asset
/// inventory. PC-0317 talks to an Emotet C2 server near the reported time;
/// another PC talks to the same address hours later, outside the window.
fn write_company(dir: &Path, at: i64) -> Result<()> {
    let sec = 1_000_000;
    let mut flows = String::from(
        "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n",
    );
    let mut t = at - 2 * 3600 * sec;
    let mut i: u64 = 0;
    while t < at + 2 * 3600 * sec {
        let host = format!("10.20.{}.{}", 1 + i % 4, 10 + (i * 7) % 40);
        let (dst, port) = match i % 5 {
            0 => ("203.0.113.80", 443),
            1 => ("198.51.100.25", 443),
            2 => ("198.51.100.53", 53),
            3 => ("203.0.113.10", 80),
            _ => ("198.51.100.140", 993),
        };
        let proto = if port == 53 { 17 } else { 6 };
        let _ = writeln!(
            flows,
            "{}.000,{:.3},{proto},{host},{},{dst},{port},{},{},1",
            jst(t),
            0.2 + (i % 9) as f64,
            49152 + i % 16000,
            4 + i % 30,
            400 + (i * 131) % 60_000
        );
        t += 7 * sec;
        i += 1;
    }
    for (off, sport) in [(-40, 51514), (300, 51533), (1260, 51601)] {
        let _ = writeln!(
            flows,
            "{}.000,2.500,6,{PC},{sport},{C2},8080,9,2240,1",
            jst(at + off * sec)
        );
    }
    let _ = writeln!(
        flows,
        "{}.000,1.100,6,10.20.2.44,50001,{C2},8080,5,900,1",
        jst(at + 5 * 3600 * sec)
    );
    std::fs::write(dir.join("flows.csv"), flows)?;

    let day = |d: i64| iso(at + d * 86_400 * sec);
    let feodo = format!(
        "################################################################\n\
         # abuse.ch Feodo Tracker Botnet C2 IP Blocklist (demo)         #\n\
         ################################################################\n\
         #\n\
         # \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n\
         \"{}\",\"{C2}\",\"8080\",\"offline\",\"{}\",\"Emotet\"\n\
         \"{}\",\"192.0.2.99\",\"443\",\"offline\",\"{}\",\"Emotet\"\n\
         \"{}\",\"198.51.100.201\",\"995\",\"online\",\"{}\",\"QakBot\"\n\
         # Number of entries: 3\n",
        day(-30),
        &day(10)[..10],
        day(-200),
        &day(-100)[..10],
        day(-5),
        &day(1)[..10],
    );
    std::fs::write(dir.join("feodo.csv"), feodo)?;

    let mut assets = String::from("asset_id,hostname,ip,mac,owner,department\n");
    for n in 0..40u32 {
        let ip = format!("10.20.{}.{}", 1 + n % 4, 10 + n);
        let _ = writeln!(
            assets,
            "A-{:04},PC-{:04},{ip},02:00:00:00:{:02x}:{:02x},user{n:02},{}",
            100 + n,
            1000 + n,
            n / 256,
            n % 256,
            ["総務部", "経理部", "営業部", "開発部"][n as usize % 4]
        );
    }
    assets.push_str("A-0317,PC-0317,10.20.3.17,02:00:00:00:03:17,佐藤 花子,経理部\n");
    std::fs::write(dir.join("assets.csv"), assets)?;
    Ok(())
}

/// Runs the company's part of the demo.
pub fn run(dir: &Path, isp_outbox: &Path) -> Result<()> {
    println!();
    println!(
        "8. Intake: the notice reaches the company's general affairs mailbox, an intake of its CSIRT"
    );
    let company = dir.join("company");
    let _ = std::fs::remove_dir_all(&company);
    std::fs::create_dir_all(&company)?;
    let (raw, subject, address, at) = pick_notice(isp_outbox)?;
    write_company(&company, at)?;
    let soumu = company.join("mail/soumu");
    kizuki_mailbox::Maildir::create(&soumu)?.deliver(&raw)?;
    println!("   {subject}");
    println!(
        "   about {address} at {} UTC; delivered to {}",
        iso(at),
        soumu.display()
    );
    let g = Global {
        data_dir: company.join("data"),
        config: Config {
            cases: CasesConfig {
                tz: Some("Asia/Tokyo".into()),
                mailbox: vec![MailboxConfig {
                    name: "soumu".into(),
                    maildir: Some(soumu.clone()),
                    imap: None,
                }],
                correlate: CorrelateConfig {
                    flows: vec![format!("nfdump:{}", company.join("flows.csv").display())],
                    c2: Some(company.join("feodo.csv")),
                    assets: Some(company.join("assets.csv")),
                    ..CorrelateConfig::default()
                },
                ..CasesConfig::default()
            },
            ..Config::default()
        },
        quiet: true,
    };
    print!("   ");
    super::intake::run(
        IntakeArgs {
            files: Vec::new(),
            maildir: Vec::new(),
            mailbox: vec!["soumu".into()],
            no_correlate: false,
            list: false,
            unparsed: false,
            json: false,
        },
        &g,
    )?;

    println!();
    println!(
        "9. Correlate: the company's flow log and the Feodo Tracker list name the PC behind the NAT"
    );
    let rt = super::runtime()?;
    let cases = rt.block_on(super::cases::engine(&g))?;
    let view = rt
        .block_on(cases.views())?
        .pop()
        .context("the demo opened no incident")?;
    let id = view.incident.id;
    let host = view.hosts.first().context("correlation found no host")?;
    println!(
        "   host {} = {} (asset {}), owner {}, {}",
        host.address, host.hostname, host.asset_id, host.owner, host.department
    );
    let required = view.tasks.iter().filter(|t| t.optional == 0).count();
    println!(
        "   incident {id}: {} playbook tasks ({required} required, {} on the prevention checklist)",
        view.tasks.len(),
        view.tasks.len() - required
    );

    println!();
    println!(
        "10. Evidence: EmoCheck on {}, before and after removal",
        host.hostname
    );
    let local = |us: i64| -> Result<jiff::civil::DateTime> {
        let ts = jiff::Timestamp::from_microsecond(us)?;
        Ok(ts
            .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo")?)
            .datetime())
    };
    let infected = EmoCheckReport::new(
        ReportFormat::Json,
        &host.hostname,
        local(at + 3 * 3_600_000_000)?,
        vec![EmoProcess {
            name: "wmiprvse.exe".into(),
            pid: Some(4312),
            image_path: r"C:\Users\sato\AppData\Local\hidserv\wmiprvse.exe".into(),
            registry_key: None,
        }],
    );
    let clean = EmoCheckReport::new(
        ReportFormat::TextJa,
        &host.hostname,
        local(at + 8 * 3_600_000_000)?,
        Vec::new(),
    );
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo")?;
    for r in [infected, clean] {
        let name = emocheck::file_name(&host.hostname, r.scan_time_local, r.format);
        let path = company.join(&name);
        std::fs::write(&path, emocheck::render(&r))?;
        let o = rt.block_on(cases.add_emocheck(
            id,
            &name,
            &std::fs::read(&path)?,
            None,
            &tz,
            &path.display().to_string(),
            "demo-csirt",
            super::now()?,
        ))?;
        println!(
            "   {name}: {}{}{}",
            o.verdict,
            if o.closed_tasks.is_empty() {
                String::new()
            } else {
                format!("; closed {} removal task(s)", o.closed_tasks.len())
            },
            if o.contained {
                "; incident contained"
            } else {
                ""
            }
        );
    }
    let v = rt.block_on(cases.view(id))?;
    println!(
        "   incident {id} is {}; see it with: kizuki --data-dir {} cases show {id}",
        v.incident.state,
        g.data_dir.display()
    );
    Ok(())
}
