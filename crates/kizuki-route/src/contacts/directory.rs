//! The contacts directory, checked and indexed for routing.

use super::config::{ContactConfig, ContactsFile};
use crate::RouteError;
use kizuki_lookup::{DomainTable, IpRange, IpTable, IpTableBuilder};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

/// A network operator or an organisation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ContactKind {
    /// A network operator (an ISP, a hosting company).
    Operator,
    /// An organisation responsible for its own addresses or domains.
    Organisation,
}

/// The language of a recipient's messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// Japanese.
    Ja,
    /// English.
    En,
}

impl Language {
    /// `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// Parses `ja` / `en` (any case).
    pub fn parse(s: &str) -> Option<Language> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jpn" | "japanese" => Some(Language::Ja),
            "en" | "eng" | "english" => Some(Language::En),
            _ => None,
        }
    }
}

/// The machine-readable attachment of a report.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// CSV with IntelMQ field names as the header.
    Csv,
    /// IntelMQ JSON lines.
    Intelmq,
    /// X-ARF v4 JSON, one report per line.
    Xarf,
}

impl ReportFormat {
    /// Parses `csv`, `intelmq` or `xarf`.
    pub fn parse(s: &str) -> Option<ReportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ReportFormat::Csv),
            "intelmq" | "json" | "jsonl" => Some(ReportFormat::Intelmq),
            "xarf" | "x-arf" => Some(ReportFormat::Xarf),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Intelmq => "jsonl",
            ReportFormat::Xarf => "xarf.jsonl",
        }
    }

    /// The MIME type of the attachment.
    pub fn mime(self) -> &'static str {
        match self {
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Intelmq | ReportFormat::Xarf => "application/json; charset=utf-8",
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Csv => "CSV",
            ReportFormat::Intelmq => "IntelMQ JSON",
            ReportFormat::Xarf => "X-ARF v4",
        }
    }
}

/// A checked contact.
#[derive(Clone, Debug)]
pub struct Contact {
    /// The identifier.
    pub id: String,
    /// The name.
    pub name: String,
    /// Operator or organisation.
    pub kind: ContactKind,
    /// AS numbers.
    pub asns: Vec<u32>,
    /// Prefixes and ranges.
    pub ranges: Vec<IpRange>,
    /// Domains, lower-cased.
    pub domains: Vec<String>,
    /// Recipients.
    pub to: Vec<String>,
    /// Copies.
    pub cc: Vec<String>,
    /// Language.
    pub language: Language,
    /// Preferred attachment.
    pub format: ReportFormat,
    /// Zone for showing times.
    pub timezone: jiff::tz::TimeZone,
    /// The zone's name as written.
    pub timezone_name: String,
}

/// How sure a finding about overlapping contacts is to be a mistake.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Expected in practice (a customer's block inside its ISP's): the more
    /// specific contact wins there.
    Note,
    /// Two contacts claim the same thing; the one listed first wins.
    Conflict,
}

/// Something about how contacts overlap, with both named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// What, naming both contacts.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.severity {
            Severity::Note => "note",
            Severity::Conflict => "conflict",
        };
        write!(f, "{s}: {}", self.message)
    }
}

/// How an event found its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// The domain of `source.account` or `source.fqdn`.
    Domain(String),
    /// A prefix or range holding `source.ip`.
    Range(IpRange),
    /// The AS of `source.ip`.
    Asn(u32),
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::Domain(d) => write!(f, "domain {d}"),
            Via::Range(r) => write!(f, "range {r}"),
            Via::Asn(a) => write!(f, "AS{a}"),
        }
    }
}

/// The contacts, indexed by address range, AS and domain.
pub struct Directory {
    contacts: Vec<Contact>,
    by_range: IpTable<(usize, IpRange)>,
    by_asn: HashMap<u32, usize>,
    by_domain: DomainTable<(usize, String)>,
    findings: Vec<Finding>,
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',')
}

impl Directory {
    /// Reads and checks a contacts file.
    pub fn load(path: &std::path::Path) -> Result<Directory, RouteError> {
        let text = std::fs::read_to_string(path).map_err(|source| RouteError::Io {
            path: path.to_owned(),
            source,
        })?;
        Directory::from_toml(&path.display().to_string(), &text)
    }

    /// Parses and checks contacts text (`name` is used in messages).
    pub fn from_toml(name: &str, text: &str) -> Result<Directory, RouteError> {
        let file: ContactsFile = toml::from_str(text).map_err(|e| RouteError::Contacts {
            path: name.to_owned(),
            reason: e.to_string(),
        })?;
        let mut contacts = Vec::with_capacity(file.contacts.len());
        for (i, c) in file.contacts.into_iter().enumerate() {
            contacts.push(check(i, c).map_err(|reason| RouteError::Contacts {
                path: name.to_owned(),
                reason,
            })?);
        }
        let mut seen = HashMap::new();
        for c in &contacts {
            if let Some(prev) = seen.insert(c.id.clone(), c.name.clone()) {
                return Err(RouteError::Contacts {
                    path: name.to_owned(),
                    reason: format!(
                        "contact id {:?} is used twice ({prev} and {})",
                        c.id, c.name
                    ),
                });
            }
        }
        Ok(Directory::index(contacts))
    }

    fn index(contacts: Vec<Contact>) -> Directory {
        let label = |i: usize| format!("{} ({})", contacts[i].id, contacts[i].name);
        let mut findings = Vec::new();

        // Address ranges: the smallest wins; overlaps between contacts are
        // reported.
        let mut all: Vec<(IpRange, usize)> = contacts
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.ranges.iter().map(move |r| (*r, i)))
            .collect();
        let mut b = IpTableBuilder::new();
        for (r, i) in &all {
            b.insert(*r, (*i, *r));
        }
        let (by_range, _) = b.build();
        all.sort_by(|a, b| {
            let key = |r: &IpRange| match r {
                IpRange::V4(lo, hi) => (0u8, u128::from(*lo), u128::MAX - u128::from(*hi)),
                IpRange::V6(lo, hi) => (1u8, *lo, u128::MAX - *hi),
            };
            key(&a.0).cmp(&key(&b.0)).then(a.1.cmp(&b.1))
        });
        let mut open: Vec<(IpRange, usize)> = Vec::new();
        for (r, i) in &all {
            open.retain(|(o, _)| o.overlaps(r));
            for (o, j) in &open {
                if i == j {
                    continue;
                }
                let (first, second) = if j < i { (*j, *i) } else { (*i, *j) };
                let f = if o == r {
                    Finding {
                        severity: Severity::Conflict,
                        message: format!(
                            "{r} is claimed by {} and {}; {} wins (listed first)",
                            label(first),
                            label(second),
                            label(first)
                        ),
                    }
                } else if o.span() >= r.span()
                    && o.contains(range_first(r))
                    && o.contains(range_last(r))
                {
                    Finding {
                        severity: Severity::Note,
                        message: format!(
                            "{}'s {r} lies inside {}'s {o}; {} gets those addresses",
                            label(*i),
                            label(*j),
                            label(*i)
                        ),
                    }
                } else {
                    Finding {
                        severity: Severity::Conflict,
                        message: format!(
                            "{}'s {o} and {}'s {r} overlap without one containing the other; the smaller wins each address",
                            label(*j),
                            label(*i)
                        ),
                    }
                };
                findings.push(f);
            }
            open.push((*r, *i));
        }

        let mut by_asn = HashMap::new();
        for (i, c) in contacts.iter().enumerate() {
            for a in &c.asns {
                if let Some(&j) = by_asn.get(a) {
                    if j != i {
                        findings.push(Finding {
                            severity: Severity::Conflict,
                            message: format!(
                                "AS{a} is claimed by {} and {}; {} wins (listed first)",
                                label(j),
                                label(i),
                                label(j)
                            ),
                        });
                    }
                } else {
                    by_asn.insert(*a, i);
                }
            }
        }

        let mut by_domain: DomainTable<(usize, String)> = DomainTable::new();
        let mut domains: Vec<(String, usize)> = contacts
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.domains.iter().map(move |d| (d.clone(), i)))
            .collect();
        domains.sort_by_key(|(d, _)| d.split('.').count());
        for (d, i) in &domains {
            if let Some(&(j, _)) = by_domain.lookup(d) {
                if by_domain.iter().any(|(k, _)| k == d) {
                    if j != *i {
                        findings.push(Finding {
                            severity: Severity::Conflict,
                            message: format!(
                                "domain {d} is claimed by {} and {}; {} wins (listed first)",
                                label(j.min(*i)),
                                label(j.max(*i)),
                                label(j.min(*i))
                            ),
                        });
                    }
                    continue;
                }
                if j != *i {
                    findings.push(Finding {
                        severity: Severity::Note,
                        message: format!(
                            "{}'s domain {d} lies inside a domain of {}; {} gets it",
                            label(*i),
                            label(j),
                            label(*i)
                        ),
                    });
                }
            }
            by_domain.insert(d, (*i, d.clone()));
        }
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.message.cmp(&b.message)));
        findings.dedup();
        Directory {
            contacts,
            by_range,
            by_asn,
            by_domain,
            findings,
        }
    }

    /// Every contact, in file order.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// A contact by id.
    pub fn get(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// What loading found about overlapping contacts.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The contact whose domain holds `name` (an account or host name).
    pub fn by_domain(&self, name: &str) -> Option<(&Contact, &str)> {
        self.by_domain
            .lookup(name)
            .map(|(i, d)| (&self.contacts[*i], d.as_str()))
    }

    /// The contact with the most specific range holding `ip`.
    pub fn by_address(&self, ip: IpAddr) -> Option<(&Contact, IpRange)> {
        self.by_range
            .lookup(ip)
            .map(|(i, r)| (&self.contacts[*i], *r))
    }

    /// The contact responsible for an AS.
    pub fn by_asn(&self, asn: u32) -> Option<&Contact> {
        self.by_asn.get(&asn).map(|i| &self.contacts[*i])
    }
}

fn range_first(r: &IpRange) -> IpAddr {
    match r {
        IpRange::V4(lo, _) => std::net::Ipv4Addr::from(*lo).into(),
        IpRange::V6(lo, _) => std::net::Ipv6Addr::from(*lo).into(),
    }
}

fn range_last(r: &IpRange) -> IpAddr {
    match r {
        IpRange::V4(_, hi) => std::net::Ipv4Addr::from(*hi).into(),
        IpRange::V6(_, hi) => std::net::Ipv6Addr::from(*hi).into(),
    }
}

fn check(i: usize, c: ContactConfig) -> Result<Contact, String> {
    let at = if c.id.is_empty() {
        format!("contact #{}", i + 1)
    } else {
        format!("contact {:?}", c.id)
    };
    if c.id.is_empty()
        || c.id.starts_with(['.', '_'])
        || !c.id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
    {
        return Err(format!(
            "{at}: id must be non-empty and use only a-z, 0-9, '.', '_' and '-' (it names files), and not start with '.' or '_'"
        ));
    }
    if c.name.trim().is_empty() {
        return Err(format!("{at}: name is empty"));
    }
    let kind = match c.kind.trim().to_ascii_lowercase().as_str() {
        "operator" => ContactKind::Operator,
        "organisation" | "organization" => ContactKind::Organisation,
        other => {
            return Err(format!(
                "{at}: kind {other:?} is not operator or organisation"
            ));
        }
    };
    let mut ranges = Vec::new();
    for p in &c.prefixes {
        let r = IpRange::parse(p).filter(|_| p.contains('/') || p.parse::<IpAddr>().is_ok());
        ranges.push(r.ok_or_else(|| format!("{at}: prefix {p:?} is not a CIDR prefix"))?);
    }
    for p in &c.ranges {
        let r = IpRange::parse(p).filter(|_| p.contains('-'));
        ranges.push(r.ok_or_else(|| {
            format!(
                "{at}: range {p:?} is not first-last (both addresses of one family, first <= last)"
            )
        })?);
    }
    let mut domains = Vec::new();
    for d in &c.domains {
        let n = d.trim().trim_matches('.').to_ascii_lowercase();
        if n.is_empty() || n.contains(['@', '/', ' ', ':']) {
            return Err(format!("{at}: domain {d:?} is not a domain name"));
        }
        domains.push(n);
    }
    if c.to.is_empty() {
        return Err(format!("{at}: to is empty: a report needs a recipient"));
    }
    for e in c.to.iter().chain(&c.cc) {
        if !valid_email(e) {
            return Err(format!("{at}: {e:?} is not an e-mail address"));
        }
    }
    let language = Language::parse(&c.language)
        .ok_or_else(|| format!("{at}: language {:?} is not ja or en", c.language))?;
    let format = ReportFormat::parse(&c.format)
        .ok_or_else(|| format!("{at}: format {:?} is not csv, intelmq or xarf", c.format))?;
    let timezone = jiff::tz::TimeZone::get(&c.timezone)
        .map_err(|_| format!("{at}: timezone {:?} is not a known zone", c.timezone))?;
    Ok(Contact {
        id: c.id,
        name: c.name,
        kind,
        asns: c.asns,
        ranges,
        domains,
        to: c.to,
        cc: c.cc,
        language,
        format,
        timezone,
        timezone_name: c.timezone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
        [[contact]]
        id = "isp-a"
        name = "ISP A"
        kind = "operator"
        asns = [64500]
        prefixes = ["192.0.2.0/24", "2001:db8::/32"]
        domains = ["isp-a.example.jp"]
        to = ["abuse@isp-a.example.jp"]
        language = "ja"
        timezone = "Asia/Tokyo"

        [[contact]]
        id = "corp-b"
        name = "Corp B"
        kind = "organisation"
        asns = [64500]
        prefixes = ["192.0.2.128/25", "2001:db8::/32"]
        ranges = ["192.0.2.250-192.0.3.5"]
        domains = ["mail.isp-a.example.jp", "isp-a.example.jp"]
        to = ["csirt@corp-b.example"]
        format = "xarf"
    "#;

    #[test]
    fn overlaps_are_reported_with_both_names() {
        let d = Directory::from_toml("c.toml", TWO).unwrap();
        let msgs: Vec<String> = d.findings().iter().map(|f| f.to_string()).collect();
        let joined = msgs.join("\n");
        assert!(joined.contains("conflict: 2001:db8::/32 is claimed by isp-a (ISP A) and corp-b (Corp B); isp-a (ISP A) wins"), "{joined}");
        assert!(
            joined.contains("conflict: AS64500 is claimed by isp-a (ISP A) and corp-b (Corp B)"),
            "{joined}"
        );
        assert!(
            joined.contains(
                "note: corp-b (Corp B)'s 192.0.2.128/25 lies inside isp-a (ISP A)'s 192.0.2.0/24"
            ),
            "{joined}"
        );
        assert!(
            joined.contains("overlap without one containing the other"),
            "{joined}"
        );
        assert!(
            joined.contains(
                "conflict: domain isp-a.example.jp is claimed by isp-a (ISP A) and corp-b (Corp B)"
            ),
            "{joined}"
        );
        assert!(joined.contains("note: corp-b (Corp B)'s domain mail.isp-a.example.jp lies inside a domain of isp-a (ISP A)"), "{joined}");
    }

    #[test]
    fn most_specific_wins() {
        let d = Directory::from_toml("c.toml", TWO).unwrap();
        let at = |ip: &str| {
            d.by_address(ip.parse().unwrap())
                .map(|(c, r)| (c.id.clone(), r.to_string()))
        };
        assert_eq!(
            at("192.0.2.1"),
            Some(("isp-a".into(), "192.0.2.0/24".into()))
        );
        assert_eq!(
            at("192.0.2.200"),
            Some(("corp-b".into(), "192.0.2.128/25".into()))
        );
        // The range (12 addresses, not CIDR-aligned) is smaller than the /25.
        assert_eq!(
            at("192.0.2.251"),
            Some(("corp-b".into(), "192.0.2.250-192.0.3.5".into()))
        );
        assert_eq!(
            at("192.0.3.5"),
            Some(("corp-b".into(), "192.0.2.250-192.0.3.5".into()))
        );
        assert_eq!(at("192.0.3.6"), None);
        assert_eq!(at("2001:db8::1").unwrap().0, "isp-a");
        assert_eq!(
            d.by_domain("user@smtp.Mail.isp-a.example.jp")
                .map(|(c, dm)| (c.id.clone(), dm.to_owned())),
            Some(("corp-b".into(), "mail.isp-a.example.jp".into()))
        );
        assert_eq!(d.by_domain("user@isp-a.example.jp").unwrap().0.id, "isp-a");
        assert_eq!(d.by_asn(64500).unwrap().id, "isp-a");
    }

    #[test]
    fn bad_contacts_say_which_and_why() {
        let bad = |t: &str| Directory::from_toml("c.toml", t).err().unwrap().to_string();
        let base =
            "[[contact]]\nid = \"a\"\nname = \"A\"\nkind = \"operator\"\nto = [\"x@y.jp\"]\n";
        assert!(
            bad(&format!("{base}prefixes = [\"10.0.0.0/33\"]"))
                .contains("contact \"a\": prefix \"10.0.0.0/33\"")
        );
        assert!(bad(&format!("{base}ranges = [\"10.0.0.9-10.0.0.1\"]")).contains("range"));
        assert!(bad(&format!("{base}language = \"fr\"")).contains("language \"fr\""));
        assert!(bad(&format!("{base}timezone = \"Mars/Base\"")).contains("timezone"));
        assert!(bad(&format!("{base}colour = \"red\"")).contains("colour"));
        assert!(bad(&format!("{base}{base}")).contains("used twice"));
        assert!(bad(&base.replace("x@y.jp", "not an address")).contains("not an e-mail address"));
        assert!(bad(&base.replace("id = \"a\"", "id = \"../a\"")).contains("id must"));
    }
}
