//! The subscriber directory CSV:
//! `subscriber_id,name,kind,emails,language,timezone,postal_address,keys`.
//!
//! `emails` and `keys` are `;`-separated. Keys are `user:NAME`,
//! `mac:AA:BB:CC:DD:EE:FF` (any case and separators), `client-id:HEX` and
//! `prefix:CIDR`. Columns are found by the header, in any order; the file
//! may be UTF-8 (with or without a BOM) or Shift_JIS, as Japanese exports
//! often are.

use crate::error::LineError;
use crate::record::{Net, normalize_mac};

/// One subscriber as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriberRow {
    /// The 1-based line.
    pub line: u64,
    /// The subscriber id.
    pub id: String,
    /// The contract holder's name.
    pub name: String,
    /// `person` or `company`.
    pub kind: String,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// `ja`, `en`, or empty when unknown.
    pub language: String,
    /// An IANA zone, or empty.
    pub timezone: String,
    /// Postal address.
    pub postal_address: String,
    /// Normalized keys.
    pub keys: Vec<String>,
}

const COLUMNS: [&str; 8] = [
    "subscriber_id",
    "name",
    "kind",
    "emails",
    "language",
    "timezone",
    "postal_address",
    "keys",
];

/// A key in its one normalized spelling, or why it is not a key.
pub fn normalize_key(k: &str) -> Result<String, String> {
    let k = k.trim();
    let (kind, value) = k
        .split_once(':')
        .ok_or_else(|| format!("key {k:?} has no kind (user:, mac:, client-id:, prefix:)"))?;
    let value = value.trim();
    match kind.trim().to_ascii_lowercase().as_str() {
        "user" if !value.is_empty() => Ok(format!("user:{value}")),
        "mac" => normalize_mac(value)
            .map(|m| format!("mac:{m}"))
            .ok_or_else(|| format!("key {k:?}: not a MAC address")),
        "client-id" | "duid" => crate::record::Holder::client_id(value)
            .map(|h| h.to_string())
            .ok_or_else(|| format!("key {k:?}: not hex octets")),
        "prefix" => Net::parse(value)
            .filter(|n| value.contains('/') || n.is_host())
            .map(|n| format!("prefix:{}/{}", n.addr, n.len))
            .ok_or_else(|| format!("key {k:?}: not an address prefix")),
        _ => Err(format!(
            "key {k:?}: unknown kind (user:, mac:, client-id:, prefix:)"
        )),
    }
}

fn decode(data: &[u8]) -> String {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    match std::str::from_utf8(data) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(data).0.into_owned(),
    }
}

/// Reads a directory CSV; bad rows are returned with their line and reason
/// and the rest kept.
pub fn read_csv(file: &str, data: &[u8]) -> (Vec<SubscriberRow>, Vec<LineError>) {
    let text = decode(data);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let err = |line: u64, reason: String| LineError {
        file: file.to_owned(),
        line,
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            errors.push(err(1, format!("no header: {e}")));
            return (rows, errors);
        }
    };
    let mut at = [0usize; 8];
    for (i, c) in COLUMNS.iter().enumerate() {
        match header.iter().position(|h| h == c) {
            Some(p) => at[i] = p,
            None => {
                errors.push(err(
                    1,
                    format!("no {c} column (the header must name {})", COLUMNS.join(",")),
                ));
                return (rows, errors);
            }
        }
    }
    let mut seen_ids = std::collections::HashMap::new();
    let mut seen_keys: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(err(line, format!("not CSV: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| rec.get(at[i]).unwrap_or("").trim().to_owned();
        let id = get(0);
        if id.is_empty() {
            errors.push(err(line, "empty subscriber_id".into()));
            continue;
        }
        if let Some(first) = seen_ids.insert(id.clone(), line) {
            errors.push(err(
                line,
                format!("subscriber {id} is also on line {first}"),
            ));
            continue;
        }
        let kind = get(2).to_ascii_lowercase();
        if !matches!(kind.as_str(), "person" | "company") {
            errors.push(err(
                line,
                format!("kind {kind:?}: expected person or company"),
            ));
            continue;
        }
        let emails: Vec<String> = get(3)
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = emails.iter().find(|e| !valid_email(e)) {
            errors.push(err(line, format!("{bad:?} is not an e-mail address")));
            continue;
        }
        let language = get(4).to_ascii_lowercase();
        let timezone = get(5);
        if !timezone.is_empty() && jiff::tz::TimeZone::get(&timezone).is_err() {
            errors.push(err(line, format!("time zone {timezone:?} is unknown")));
            continue;
        }
        let mut keys = Vec::new();
        let mut bad = None;
        for k in get(7).split(';').map(str::trim).filter(|k| !k.is_empty()) {
            match normalize_key(k) {
                Ok(k) => keys.push(k),
                Err(why) => {
                    bad = Some(why);
                    break;
                }
            }
        }
        if let Some(why) = bad {
            errors.push(err(line, why));
            continue;
        }
        if let Some((k, other)) = keys
            .iter()
            .find_map(|k| seen_keys.get(k).map(|o| (k.clone(), o.clone())))
        {
            errors.push(err(
                line,
                format!("key {k} already belongs to subscriber {other}"),
            ));
            continue;
        }
        for k in &keys {
            seen_keys.insert(k.clone(), id.clone());
        }
        rows.push(SubscriberRow {
            line,
            name: get(1),
            kind,
            emails,
            language,
            timezone,
            postal_address: get(6),
            keys,
            id,
        });
    }
    (rows, errors)
}

/// A plausible address: one `@`, something on each side, no spaces or
/// header-breaking characters.
fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains('@')
        && !e
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"' | '\r' | '\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_one_spelling() {
        assert_eq!(
            normalize_key("MAC:AA-BB-CC-DD-EE-FF").unwrap(),
            "mac:aa:bb:cc:dd:ee:ff"
        );
        assert_eq!(
            normalize_key("user:Taro@isp.example").unwrap(),
            "user:Taro@isp.example"
        );
        assert_eq!(
            normalize_key("client-id:01AABB").unwrap(),
            "client-id:01:aa:bb"
        );
        assert_eq!(
            normalize_key("prefix:192.0.2.77/28").unwrap(),
            "prefix:192.0.2.64/28"
        );
        assert_eq!(
            normalize_key("prefix:2001:db8::1").unwrap(),
            "prefix:2001:db8::1/128"
        );
        assert!(normalize_key("user:").is_err());
        assert!(normalize_key("phone:0312345678").is_err());
        assert!(normalize_key("prefix:192.0.2.0/33").is_err());
    }

    #[test]
    fn rows_are_checked_and_shift_jis_is_read() {
        let text = "subscriber_id,name,kind,emails,language,timezone,postal_address,keys\n\
            S1,山田太郎,person,taro@example.jp,ja,Asia/Tokyo,東京都,user:taro;mac:AABBCCDDEEFF\n\
            S2,Example Corp,company,soumu@corp.example;it@corp.example,en,Europe/Berlin,Berlin,prefix:198.51.100.0/29\n\
            S1,dup,person,,ja,,,user:x\n\
            S3,bad kind,robot,,ja,,,\n\
            S4,bad mail,person,not-an-address,ja,,,\n\
            S5,bad zone,person,,ja,Mars/Olympus,,\n\
            S6,bad key,person,,ja,,,mac:zz\n\
            S7,taken key,person,,ja,,,user:taro\n\
            ,no id,person,,ja,,,\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        for data in [text.as_bytes().to_vec(), sjis.into_owned()] {
            let (rows, errors) = read_csv("subs.csv", &data);
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[0].name, "山田太郎");
            assert_eq!(rows[0].keys, ["user:taro", "mac:aa:bb:cc:dd:ee:ff"]);
            assert_eq!(rows[1].emails.len(), 2);
            let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
            assert_eq!(lines, [4, 5, 6, 7, 8, 9, 10], "{errors:?}");
            assert!(errors[0].reason.contains("also on line 2"));
            assert!(
                errors[5]
                    .reason
                    .contains("already belongs to subscriber S1")
            );
        }
        let (rows, errors) = read_csv("x.csv", b"id,name\n1,a\n");
        assert!(rows.is_empty() && errors[0].reason.contains("no subscriber_id column"));
    }
}
