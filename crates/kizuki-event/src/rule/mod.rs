//! Validation rules: what each harmonization type accepts and how it cleans
//! a value first.
//!
//! The rules follow IntelMQ's `harmonization.py` (`sanitize` then
//! `is_valid`), because kizuki must accept and refuse exactly what IntelMQ
//! does. Where kizuki is stricter it says so on the rule:
//!
//! * ports must be 0–65535 (IntelMQ only limits `source.port` to five
//!   characters);
//! * floats must be finite (IntelMQ keeps `NaN`, which is not valid JSON);
//! * times must carry a zone (IntelMQ's `DateTime.sanitize` reads a naive time
//!   as UTC; readers that know their feed is UTC add the zone themselves).

use crate::time::parse_lenient;
use crate::value::{IpNet, Raw, Value};
use compact_str::CompactString;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

mod sanitize;
pub(crate) use sanitize::py_strip;
use sanitize::*;
pub use sanitize::{parse_dotted_quad, py_float, py_int, url_has_netloc};

/// A value on its way into a field, in the shapes readers produce: text
/// from a file, or a number or boolean a conversion already made.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Input<'a> {
    /// Text.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl<'a> From<&'a str> for Input<'a> {
    fn from(s: &'a str) -> Self {
        Input::Str(s)
    }
}

/// Why a value was refused by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Invalid {
    /// A short reason, e.g. "not an IP address".
    pub reason: &'static str,
}

const fn invalid(reason: &'static str) -> Invalid {
    Invalid { reason }
}

/// A validation rule, one per IntelMQ harmonization type (with the length
/// and pattern limits some fields add).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Any non-empty text, stripped.
    String,
    /// Text of at most 100 characters (`feed.code`).
    FeedCode,
    /// Printable ASCII text (`malware.version`).
    AsciiString,
    /// Printable ASCII of at most 200 characters (`malware.hash.*`).
    Hash,
    /// Lower-cased text.
    Lower,
    /// Lower-cased printable ASCII (`malware.name`).
    MalwareName,
    /// Lower-cased printable ASCII of at most 100 characters
    /// (`protocol.application`).
    Application,
    /// One of `critical`, `high`, `medium`, `low`, `info`, `undefined`.
    Severity,
    /// An IP protocol name (`tcp`, `udp`, …).
    Transport,
    /// A lower-case UUID (`misp.*`).
    Uuid,
    /// Two upper-case letters or digits (`*.geolocation.cc`).
    CountryCode,
    /// Forty upper-case hex digits, dots or slashes (`event_hash`).
    EventHash,
    /// A domain name, lower-cased, IDNA-encoded, no trailing dot.
    Fqdn,
    /// A URL with a host part.
    Url,
    /// An IPv4 or IPv6 address, canonical, not `0.0.0.0`.
    Ip,
    /// An IP network, canonical.
    Network,
    /// An integer.
    Integer,
    /// A port, 0–65535.
    Port,
    /// An AS number, 1–4294967295 (an `AS` prefix is dropped).
    Asn,
    /// A finite float.
    Float,
    /// A float from 0 to 100.
    Accuracy,
    /// A boolean.
    Boolean,
    /// A time with a zone, stored in UTC.
    DateTime,
    /// An RSIT taxonomy value.
    Taxonomy,
    /// An RSIT (plus IntelMQ) type value.
    ClassificationType,
    /// A TLP level.
    Tlp,
    /// A regional internet registry.
    Registry,
    /// Raw data, stored base64-encoded.
    Base64,
    /// A JSON text.
    Json,
}

fn enum_value<'a>(
    list: &'static [&'static str],
    v: &str,
    reason: &'static str,
) -> Result<Clean<'a>, Invalid> {
    list.iter()
        .find(|x| **x == v)
        .map(|x| Clean::Str(Cow::Borrowed(*x)))
        .ok_or(invalid(reason))
}

/// A value that passed its rule, borrowing from the input where nothing had
/// to change (most values), so checking allocates nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Clean<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An address.
    Ip(IpAddr),
    /// A network.
    Net(IpNet),
    /// A time.
    Time(crate::Timestamp),
    /// Raw data.
    Raw(Cow<'a, Raw>),
}

impl Clean<'_> {
    /// The owned value.
    pub fn into_value(self) -> Value {
        match self {
            Clean::Str(s) => Value::Str(match s {
                Cow::Borrowed(b) => CompactString::from(b),
                Cow::Owned(o) => CompactString::from(o),
            }),
            Clean::Int(i) => Value::Int(i),
            Clean::Float(f) => Value::Float(f),
            Clean::Bool(b) => Value::Bool(b),
            Clean::Ip(ip) => Value::Ip(ip),
            Clean::Net(n) => Value::Net(n),
            Clean::Time(t) => Value::Time(t),
            Clean::Raw(r) => Value::Raw(Box::new(r.into_owned())),
        }
    }
}

impl Rule {
    /// Cleans and checks a value as IntelMQ's `Message.add` does with
    /// `sanitize=True`.
    pub fn sanitize(self, input: Input<'_>) -> Result<Value, Invalid> {
        self.clean(input).map(Clean::into_value)
    }

    /// [`Rule::sanitize`] without taking ownership: the result borrows from
    /// `input` where it can.
    pub fn clean(self, input: Input<'_>) -> Result<Clean<'_>, Invalid> {
        match self {
            Rule::String | Rule::FeedCode | Rule::AsciiString | Rule::Hash => {
                let v: Cow<'_, str> = match input {
                    Input::Str(s) => Cow::Borrowed(py_strip(s)),
                    other => {
                        let text = py_str(other).ok_or(invalid("empty value"))?;
                        Cow::Owned(py_strip(&text).to_owned())
                    }
                };
                if v.is_empty() {
                    return Err(invalid("empty value"));
                }
                self.check_text(&v)?;
                Ok(Clean::Str(v))
            }
            Rule::Lower | Rule::MalwareName | Rule::Application | Rule::Uuid => {
                let v = lower_text(input)?;
                self.check_text(&v)?;
                Ok(Clean::Str(v))
            }
            Rule::Severity => {
                // The usual values, as they are, without scanning the list.
                if let Input::Str(s @ ("high" | "medium" | "low" | "info")) = input {
                    return Ok(Clean::Str(Cow::Borrowed(s)));
                }
                let v = lower_text(input)?;
                enum_value(&SEVERITIES, &v, "not a severity")
            }
            Rule::Transport => {
                if let Input::Str(s @ ("tcp" | "udp" | "icmp")) = input {
                    return Ok(Clean::Str(Cow::Borrowed(s)));
                }
                let v = lower_text(input)?;
                if v.len() > 11 || !TRANSPORTS.contains(&&*v) {
                    return Err(invalid("not an IP protocol name"));
                }
                Ok(Clean::Str(v))
            }
            Rule::CountryCode | Rule::EventHash => match input {
                Input::Str(s) => {
                    let v = upper_text(py_strip(s));
                    self.check_text(&v)?;
                    Ok(Clean::Str(v))
                }
                _ => Err(invalid("not text")),
            },
            Rule::Fqdn => sanitize_fqdn(input).map(Clean::Str),
            Rule::Url => {
                let text: Cow<'_, str> = match input {
                    Input::Str(s) => Cow::Borrowed(py_strip(s)),
                    other => Cow::Owned(py_str(other).ok_or(invalid("empty value"))?.to_string()),
                };
                let v: Cow<'_, str> = if text.contains("hxxp") {
                    Cow::Owned(
                        text.replace("hxxp://", "http://")
                            .replace("hxxps://", "https://"),
                    )
                } else {
                    text
                };
                if v.is_empty() {
                    return Err(invalid("empty value"));
                }
                if url_has_netloc(&v) {
                    return Ok(Clean::Str(v));
                }
                // A file URL without a host gets "localhost".
                if let Some(rest) = v.strip_prefix("file:")
                    && !rest.starts_with("//")
                {
                    return Ok(Clean::Str(Cow::Owned(format!("file://localhost{rest}"))));
                }
                if let Some(rest) = v.strip_prefix("file://")
                    && rest.starts_with('/')
                {
                    return Ok(Clean::Str(Cow::Owned(format!("file://localhost{rest}"))));
                }
                Err(invalid("not a URL with a host"))
            }
            Rule::Ip => match sanitize_ip(input) {
                Some(ip) if ip != IpAddr::V4(Ipv4Addr::UNSPECIFIED) => Ok(Clean::Ip(ip)),
                _ => Err(invalid("not an IP address")),
            },
            Rule::Network => {
                let text = py_str(input).ok_or(invalid("empty value"))?;
                IpNet::parse(py_strip(&text))
                    .map(Clean::Net)
                    .ok_or(invalid("not an IP network"))
            }
            Rule::Integer | Rule::Port => {
                let i = match input {
                    Input::Int(i) => i,
                    Input::Bool(b) => i64::from(b),
                    Input::Float(f) if f.is_finite() => f.trunc() as i64,
                    Input::Float(_) => return Err(invalid("not an integer")),
                    Input::Str(s) => py_int(s).ok_or(invalid("not an integer"))?,
                };
                if self == Rule::Port && !(0..=65535).contains(&i) {
                    return Err(invalid("port outside 0-65535"));
                }
                Ok(Clean::Int(i))
            }
            Rule::Asn => {
                let i = match input {
                    Input::Int(i) => Some(i),
                    Input::Str(s) => {
                        let t = py_strip(s);
                        let t = if t.len() >= 2 && t[..2].eq_ignore_ascii_case("as") {
                            &t[2..]
                        } else {
                            t
                        };
                        py_int(t)
                    }
                    Input::Float(f) if f.is_finite() => Some(f.trunc() as i64),
                    Input::Bool(b) => Some(i64::from(b)),
                    Input::Float(_) => None,
                };
                match i {
                    Some(i) if (1..=4_294_967_295).contains(&i) => Ok(Clean::Int(i)),
                    _ => Err(invalid("not an AS number (1-4294967295)")),
                }
            }
            Rule::Float | Rule::Accuracy => {
                let f = match input {
                    Input::Float(f) => Some(f).filter(|f| f.is_finite()),
                    Input::Int(i) => Some(i as f64),
                    Input::Bool(b) if self == Rule::Accuracy => Some(if b { 100.0 } else { 0.0 }),
                    Input::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
                    Input::Str(s) => py_float(s),
                }
                .ok_or(invalid("not a finite number"))?;
                if self == Rule::Accuracy && !(0.0..=100.0).contains(&f) {
                    return Err(invalid("accuracy outside 0-100"));
                }
                Ok(Clean::Float(f))
            }
            Rule::Boolean => match input {
                Input::Bool(b) => Ok(Clean::Bool(b)),
                Input::Int(0) => Ok(Clean::Bool(false)),
                Input::Int(1) => Ok(Clean::Bool(true)),
                Input::Str(s) => match py_strip(s).to_lowercase().as_str() {
                    "true" => Ok(Clean::Bool(true)),
                    "false" => Ok(Clean::Bool(false)),
                    _ => Err(invalid("not a boolean")),
                },
                _ => Err(invalid("not a boolean")),
            },
            Rule::DateTime => match input {
                Input::Str(s) => match crate::Timestamp::parse_iso(s) {
                    Ok(t) => Ok(Clean::Time(t)),
                    Err(_) => parse_lenient(s, None)
                        .map(Clean::Time)
                        .map_err(|_| invalid("not a time with a zone")),
                },
                _ => Err(invalid("not a time")),
            },
            Rule::Taxonomy => {
                let v = lower_text(input)?;
                let v = match &*v {
                    "abusive content" => "abusive-content",
                    "information gathering" => "information-gathering",
                    "intrusion attempts" => "intrusion-attempts",
                    "malicious code" => "malicious-code",
                    other => other,
                };
                enum_value(&crate::taxonomy::TAXONOMIES, v, "not an RSIT taxonomy")
            }
            Rule::ClassificationType => {
                let v = lower_text(input)?;
                let v = crate::taxonomy::old_type_name(&v).unwrap_or(&v);
                enum_value(&crate::taxonomy::TYPES, v, "not a classification type")
            }
            Rule::Tlp => match input {
                Input::Str(s) => {
                    let up = py_strip(s).to_uppercase();
                    let mut v = up.strip_prefix("TLP").unwrap_or(&up);
                    v = v.strip_prefix(':').unwrap_or(v).trim_start();
                    let v = if v == "YELLOW" { "AMBER" } else { v };
                    enum_value(&["WHITE", "GREEN", "AMBER", "RED"], v, "not a TLP level")
                }
                _ => Err(invalid("not a TLP level")),
            },
            Rule::Registry => match input {
                Input::Str(s) => {
                    let up = py_strip(s).to_uppercase();
                    let v = if up == "RIPENCC" || up == "RIPE-NCC" {
                        "RIPE"
                    } else {
                        &up
                    };
                    enum_value(
                        &["AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"],
                        v,
                        "not an RIR",
                    )
                }
                _ => Err(invalid("not an RIR")),
            },
            Rule::Base64 => {
                // Sanitizing raw text means encoding it.
                let text = py_str(input).ok_or(invalid("empty value"))?;
                Ok(Clean::Raw(Cow::Owned(Raw::from_bytes(
                    text.as_bytes().to_vec(),
                ))))
            }
            Rule::Json => {
                let text = py_str(input).ok_or(invalid("empty value"))?;
                let t = py_strip(&text);
                serde_json::from_str::<serde_json::Value>(t).map_err(|_| invalid("not JSON"))?;
                Ok(Clean::Str(Cow::Owned(t.to_owned())))
            }
        }
    }

    /// Length and pattern limits of the text rules, applied after cleaning.
    fn check_text(self, v: &str) -> Result<(), Invalid> {
        let chars = || v.chars().count();
        match self {
            Rule::FeedCode if chars() > 100 => Err(invalid("longer than 100 characters")),
            Rule::AsciiString | Rule::MalwareName if !is_printable_ascii(v) => {
                Err(invalid("not printable ASCII"))
            }
            Rule::Hash if chars() > 200 || !is_printable_ascii(v) => {
                Err(invalid("not printable ASCII of at most 200 characters"))
            }
            Rule::Application if chars() > 100 || !is_printable_ascii(v) => {
                Err(invalid("not printable ASCII of at most 100 characters"))
            }
            Rule::Uuid if !is_uuid(v) => Err(invalid("not a lower-case UUID")),
            Rule::CountryCode if v.len() != 2 || !v.bytes().all(|c| c.is_ascii_alphanumeric()) => {
                Err(invalid("not a two-letter country code"))
            }
            Rule::EventHash
                if v.is_empty()
                    || v.len() > 40
                    || !v
                        .bytes()
                        .all(|c| matches!(c, b'A'..=b'F' | b'0'..=b'9' | b'.' | b'/')) =>
            {
                Err(invalid("not an event hash"))
            }
            _ => Ok(()),
        }
    }

    /// Accepts text exactly as given when IntelMQ's `is_valid` (without
    /// sanitation) would; reading IntelMQ JSON uses this first so that the
    /// round trip keeps every string byte for byte.
    pub fn accept_exact(self, s: &str) -> Option<Value> {
        match self {
            Rule::String | Rule::FeedCode | Rule::AsciiString | Rule::Hash => {
                (!s.is_empty() && self.check_text(s).is_ok()).then(|| Value::Str(s.into()))
            }
            Rule::Lower | Rule::MalwareName | Rule::Application | Rule::Uuid => {
                (!s.is_empty() && s.to_lowercase() == s && self.check_text(s).is_ok())
                    .then(|| Value::Str(s.into()))
            }
            _ => None,
        }
    }
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_lowercase() || c.is_ascii_digit(),
        })
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "info", "undefined"];

/// IntelMQ's list of `protocol.transport` names.
const TRANSPORTS: &[&str] = &[
    "ip",
    "icmp",
    "igmp",
    "ggp",
    "ipencap",
    "st2",
    "tcp",
    "cbt",
    "egp",
    "igp",
    "bbn-rcc",
    "nvp",
    "nvp-ii",
    "pup",
    "argus",
    "emcon",
    "xnet",
    "chaos",
    "udp",
    "mux",
    "dcn",
    "hmp",
    "prm",
    "xns-idp",
    "trunk-1",
    "trunk-2",
    "leaf-1",
    "leaf-2",
    "rdp",
    "irtp",
    "iso-tp4",
    "netblt",
    "mfe-nsp",
    "merit-inp",
    "sep",
    "3pc",
    "idpr",
    "xtp",
    "ddp",
    "idpr-cmtp",
    "tp++",
    "il",
    "ipv6",
    "sdrp",
    "ipv6-route",
    "ipv6-frag",
    "idrp",
    "rsvp",
    "gre",
    "mhrp",
    "bna",
    "esp",
    "ah",
    "i-nlsp",
    "swipe",
    "narp",
    "mobile",
    "tlsp",
    "skip",
    "ipv6-icmp",
    "ipv6-nonxt",
    "ipv6-opts",
    "cftp",
    "sat-expak",
    "kryptolan",
    "rvd",
    "ippc",
    "sat-mon",
    "visa",
    "ipcv",
    "cpnx",
    "cphb",
    "wsn",
    "pvp",
    "br-sat-mon",
    "sun-nd",
    "wb-mon",
    "wb-expak",
    "iso-ip",
    "vmtp",
    "secure-vmtp",
    "vines",
    "ttp",
    "nsfnet-igp",
    "dgp",
    "tcf",
    "eigrp",
    "ospf",
    "sprite-rpc",
    "larp",
    "mtp",
    "ax.25",
    "ipip",
    "micp",
    "scc-sp",
    "etherip",
    "encap",
    "gmtp",
    "ifmp",
    "pnni",
    "pim",
    "aris",
    "scps",
    "qnx",
    "a/n",
    "ipcomp",
    "snp",
    "compaq-peer",
    "ipx-in-ip",
    "vrrp",
    "pgm",
    "l2tp",
    "ddx",
    "iatp",
    "st",
    "srp",
    "uti",
    "smp",
    "sm",
    "ptp",
    "isis",
    "fire",
    "crtp",
    "crdup",
    "sscopmce",
    "iplt",
    "sps",
    "pipe",
    "sctp",
    "fc",
    "divert",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(rule: Rule, v: &str) -> Result<String, Invalid> {
        rule.sanitize(Input::Str(v)).map(|v| match v {
            Value::Str(s) => s.to_string(),
            Value::Ip(ip) => ip.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Net(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Time(t) => t.to_iso(),
            Value::Raw(_) => "raw".into(),
        })
    }

    #[test]
    fn ip_addresses_like_intelmq() {
        assert_eq!(s(Rule::Ip, " 192.0.2.1 ").unwrap(), "192.0.2.1");
        assert_eq!(s(Rule::Ip, "2001:DB8:0:0::1").unwrap(), "2001:db8::1");
        assert_eq!(s(Rule::Ip, "3232235777").unwrap(), "192.168.1.1");
        assert_eq!(s(Rule::Ip, "fe80::1%eth0").unwrap(), "fe80::1");
        assert_eq!(s(Rule::Ip, "192.0.2.1/32").unwrap(), "192.0.2.1");
        assert!(s(Rule::Ip, "192.0.2.0/24").is_err());
        assert!(s(Rule::Ip, "0.0.0.0").is_err());
        assert!(s(Rule::Ip, "0").is_err());
        assert!(s(Rule::Ip, "148.81.111.11.12").is_err());
        assert!(s(Rule::Ip, "01.2.3.4").is_err());
        assert!(s(Rule::Ip, "").is_err());
    }

    #[test]
    fn dotted_quads_agree_with_the_standard_parser() {
        for t in [
            "1.2.3.4",
            "255.255.255.255",
            "0.0.0.0",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1..2.3",
            "1.2.3.4 ",
            "a.b.c.d",
            "1.2.3.04",
            "4294967296",
            "99999999999999",
            "1.2.3.99999999999",
        ] {
            assert_eq!(
                parse_dotted_quad(t.as_bytes()),
                t.parse::<Ipv4Addr>().ok(),
                "{t}"
            );
        }
    }

    #[test]
    fn integers_ports_asns() {
        assert_eq!(s(Rule::Integer, " 1_000 ").unwrap(), "1000");
        assert_eq!(s(Rule::Integer, "-5").unwrap(), "-5");
        assert!(s(Rule::Integer, "1__0").is_err());
        assert!(s(Rule::Integer, "1.5").is_err());
        assert_eq!(s(Rule::Port, "65535").unwrap(), "65535");
        assert!(s(Rule::Port, "65536").is_err());
        assert!(s(Rule::Port, "-1").is_err());
        assert_eq!(s(Rule::Asn, "AS64496").unwrap(), "64496");
        assert!(s(Rule::Asn, "0").is_err());
        assert!(s(Rule::Asn, "4294967296").is_err());
    }

    #[test]
    fn text_rules() {
        assert_eq!(s(Rule::String, "  a b ").unwrap(), "a b");
        assert!(s(Rule::String, "   ").is_err());
        assert_eq!(s(Rule::MalwareName, "Emotet").unwrap(), "emotet");
        assert!(s(Rule::MalwareName, "émotet").is_err());
        assert_eq!(s(Rule::CountryCode, "jp").unwrap(), "JP");
        assert!(s(Rule::CountryCode, "JPN").is_err());
        assert_eq!(s(Rule::Severity, "HIGH").unwrap(), "high");
        assert!(s(Rule::Severity, "urgent").is_err());
        assert_eq!(s(Rule::Transport, "TCP").unwrap(), "tcp");
        assert!(s(Rule::Transport, "tcpx").is_err());
        assert_eq!(s(Rule::Tlp, "tlp:yellow").unwrap(), "AMBER");
        assert_eq!(s(Rule::Registry, "ripe-ncc").unwrap(), "RIPE");
    }

    #[test]
    fn domains_and_urls() {
        assert_eq!(s(Rule::Fqdn, "Example.COM.").unwrap(), "example.com");
        assert_eq!(
            s(Rule::Fqdn, "bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert!(s(Rule::Fqdn, "a..b").is_err());
        assert!(s(Rule::Fqdn, "10.0.0.1").is_err());
        assert!(s(Rule::Fqdn, "10.0.0.1:8080").is_err());
        assert!(s(Rule::Fqdn, "a/b").is_err());
        assert_eq!(
            s(Rule::Url, "hxxp://evil.example/x").unwrap(),
            "http://evil.example/x"
        );
        assert!(s(Rule::Url, "evil.example/x").is_err());
        assert_eq!(s(Rule::Url, "//evil.example").unwrap(), "//evil.example");
        assert_eq!(
            s(Rule::Url, "file:///etc/passwd").unwrap(),
            "file://localhost/etc/passwd"
        );
    }

    #[test]
    fn taxonomy_and_types_map_old_names() {
        assert_eq!(
            s(Rule::Taxonomy, "Malicious Code").unwrap(),
            "malicious-code"
        );
        assert!(s(Rule::Taxonomy, "bad stuff").is_err());
        assert_eq!(
            s(Rule::ClassificationType, "botnet drone").unwrap(),
            "infected-system"
        );
        assert_eq!(s(Rule::ClassificationType, "c&c").unwrap(), "c2-server");
        assert!(s(Rule::ClassificationType, "evil").is_err());
    }

    #[test]
    fn non_text_inputs_follow_python_str() {
        assert_eq!(
            Rule::String.sanitize(Input::Int(5)),
            Ok(Value::Str("5".into()))
        );
        assert!(Rule::String.sanitize(Input::Int(0)).is_err());
        assert!(Rule::Lower.sanitize(Input::Int(5)).is_err());
        assert_eq!(
            Rule::Ip.sanitize(Input::Int(1)),
            Ok(Value::Ip("0.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            Rule::Float.sanitize(Input::Str("1e3")),
            Ok(Value::Float(1000.0))
        );
        assert!(Rule::Float.sanitize(Input::Str("nan")).is_err());
        assert_eq!(
            Rule::Boolean.sanitize(Input::Str(" TRUE ")),
            Ok(Value::Bool(true))
        );
    }
}
