//! The tool's report file names: `<COMPUTERNAME>_yyyymmddhhmmss_emocheck.txt`.
//!
//! Version 0.0.1 wrote `yyyymmddhhmmss_emocheck.txt`, without the computer
//! name; later versions write an empty name (`_2021…`) when Windows would
//! not give one. Copies made by browsers and mail clients (`… (1).txt`) are
//! accepted too.

use super::report::ReportFormat;
use jiff::civil::DateTime;

/// What a report's file name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileNameInfo {
    /// The computer name, when the name has one.
    pub hostname: Option<String>,
    /// The local scan time, to the second.
    pub scan_time_local: DateTime,
}

/// Reads a report file name (a path is fine; only the last component is
/// looked at). `None` when it is not in the tool's form.
pub fn parse_file_name(name: &str) -> Option<FileNameInfo> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // ASCII lower-casing keeps byte offsets, so indices carry over to `base`.
    let lower = base.to_ascii_lowercase();
    let at = lower.rfind("_emocheck")?;
    let mut tail = lower[at + "_emocheck".len()..].trim_start();
    if let Some(rest) = tail.strip_prefix('(') {
        let close = rest.find(')')?;
        if close == 0 || !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        tail = &rest[close + 1..];
    }
    if tail != ".txt" && tail != ".json" {
        return None;
    }
    let stem = &base[..at];
    let split = stem.len().checked_sub(14)?;
    let digits = stem.get(split..)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hostname = match &stem[..split] {
        "" => None,
        host => Some(host.strip_suffix('_')?.to_owned()).filter(|h| !h.is_empty()),
    };
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i16>().ok());
    let scan_time_local = DateTime::new(
        num(0..4)?,
        i8::try_from(num(4..6)?).ok()?,
        i8::try_from(num(6..8)?).ok()?,
        i8::try_from(num(8..10)?).ok()?,
        i8::try_from(num(10..12)?).ok()?,
        i8::try_from(num(12..14)?).ok()?,
        0,
    )
    .ok()?;
    Some(FileNameInfo {
        hostname,
        scan_time_local,
    })
}

/// The file name the tool gives a report: `PC01_20210222100000_emocheck.txt`
/// (or `.json` for [`ReportFormat::Json`]).
pub fn file_name(hostname: &str, scan_time_local: DateTime, format: ReportFormat) -> String {
    format!(
        "{hostname}_{}_emocheck.{}",
        scan_time_local.strftime("%Y%m%d%H%M%S"),
        format.extension()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn names() {
        let t = date(2021, 2, 22).at(10, 0, 0, 0);
        let f = parse_file_name("C:\\Temp\\PC01_20210222100000_emocheck.txt");
        assert_eq!(
            f,
            Some(FileNameInfo {
                hostname: Some("PC01".into()),
                scan_time_local: t
            })
        );
        let f = parse_file_name("WS_SALES_01_20210222100000_EmoCheck (2).json");
        assert_eq!(f.and_then(|f| f.hostname).as_deref(), Some("WS_SALES_01"));
        let f = parse_file_name("20210222100000_emocheck.txt");
        assert_eq!(
            f,
            Some(FileNameInfo {
                hostname: None,
                scan_time_local: t
            })
        );
        assert_eq!(
            parse_file_name("_20210222100000_emocheck.txt").map(|f| f.hostname),
            Some(None)
        );
        assert_eq!(parse_file_name("PC01_20211322100000_emocheck.txt"), None);
        assert_eq!(parse_file_name("PC01-20210222100000_emocheck.txt"), None);
        assert_eq!(parse_file_name("report.txt"), None);
        assert_eq!(parse_file_name("日本_emocheck.txt"), None);
        assert_eq!(
            file_name("PC01", t, ReportFormat::TextJa),
            "PC01_20210222100000_emocheck.txt"
        );
    }
}
