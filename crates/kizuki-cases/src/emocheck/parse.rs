//! [`parse`]: from bytes to a report, whichever layout and encoding.

use super::decode::decode;
use super::error::EmoCheckError;
use super::file_name::parse_file_name;
use super::report::{EmoCheckReport, EmoProcess, IssueKind, ParseIssue, ReportFormat};
use super::{json, text};
use jiff::civil::DateTime;

/// The largest input [`parse`] reads. The tool's reports are a few hundred
/// bytes per detected process.
pub const MAX_REPORT_BYTES: usize = 1 << 20;

/// What a layout reader found, before the checks common to all layouts.
pub(crate) struct Extracted {
    pub format: ReportFormat,
    pub tool_version: Option<String>,
    pub hostname: Option<String>,
    /// The scan time as written, and its line.
    pub scan_time: Option<(String, Option<usize>)>,
    pub verdict: Option<bool>,
    pub processes: Vec<EmoProcess>,
    pub issues: Vec<ParseIssue>,
}

impl Extracted {
    pub fn new(format: ReportFormat) -> Extracted {
        Extracted {
            format,
            tool_version: None,
            hostname: None,
            scan_time: None,
            verdict: None,
            processes: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// Records a result; two that disagree make the host infected.
    pub fn set_verdict(&mut self, infected: bool, line: Option<usize>) {
        match self.verdict {
            Some(old) if old != infected => {
                self.issues.push(ParseIssue {
                    line,
                    kind: IssueKind::VerdictConflict,
                });
                self.verdict = Some(true);
            }
            _ => self.verdict = Some(infected),
        }
    }
}

/// A process id as written: `Some(None)` when empty, `None` when it is not
/// a number. Thousands separators are tolerated.
pub(crate) fn parse_pid(raw: &str) -> Option<Option<u32>> {
    let digits: String = raw.trim().chars().filter(|c| *c != ',').collect();
    if digits.is_empty() {
        return Some(None);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

fn parse_scan_time(raw: &str) -> Option<DateTime> {
    let raw = raw.trim();
    DateTime::strptime("%Y-%m-%d %H:%M:%S", raw)
        .ok()
        .or_else(|| raw.parse::<DateTime>().ok())
}

/// Reads an EmoCheck report: the tool's JSON or its English, Japanese or
/// French text, in any of the encodings Windows writes (see
/// [`TextEncoding`](super::TextEncoding)).
///
/// `file_name` is the report's file name (a path is fine). When it has the
/// tool's form `<COMPUTERNAME>_yyyymmddhhmmss_emocheck.(txt|json)` it gives
/// the host name for text reports (which do not hold one) and the scan time
/// when the report's own is missing or unreadable.
///
/// Whatever the report had to have repaired or guessed is listed in
/// [`EmoCheckReport::issues`]. It fails only when the input is not an
/// EmoCheck report at all, has no usable scan time, or has no result; it
/// never panics.
pub fn parse(bytes: &[u8], file_name: Option<&str>) -> Result<EmoCheckReport, EmoCheckError> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(EmoCheckError::TooLarge {
            size: bytes.len(),
            limit: MAX_REPORT_BYTES,
        });
    }
    let decoded = decode(bytes);
    let body = decoded
        .text
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if body.trim_end().is_empty() {
        return Err(EmoCheckError::Empty);
    }
    let ex = if body.starts_with('{') {
        json::extract(&decoded.text)?
    } else {
        text::extract(&decoded.text)?
    };

    let mut issues = Vec::new();
    if decoded.lossy {
        issues.push(ParseIssue {
            line: None,
            kind: IssueKind::UndecodableBytes {
                encoding: decoded.encoding,
            },
        });
    }
    issues.extend(ex.issues);
    let from_name = file_name.and_then(parse_file_name);
    let name_host = from_name.as_ref().and_then(|f| f.hostname.clone());
    let hostname = match (ex.hostname, name_host) {
        (Some(h), Some(f)) => {
            if !h.eq_ignore_ascii_case(&f) {
                issues.push(ParseIssue {
                    line: None,
                    kind: IssueKind::HostnameMismatch { file_name: f },
                });
            }
            Some(h)
        }
        (h, f) => h.or(f),
    };

    let name_time = from_name.map(|f| f.scan_time_local);
    let scan_time_local = match ex.scan_time {
        Some((raw, line)) => match (parse_scan_time(&raw), name_time) {
            (Some(t), name_time) => {
                if let Some(f) = name_time.filter(|f| *f != t) {
                    issues.push(ParseIssue {
                        line,
                        kind: IssueKind::ScanTimeMismatch {
                            file_name: f.to_string(),
                        },
                    });
                }
                t
            }
            (None, Some(f)) => {
                issues.push(ParseIssue {
                    line,
                    kind: IssueKind::BadValue {
                        key: "scan_time".to_owned(),
                        value: raw.chars().take(200).collect(),
                    },
                });
                issues.push(ParseIssue {
                    line: None,
                    kind: IssueKind::ScanTimeFromFileName,
                });
                f
            }
            (None, None) => return Err(EmoCheckError::BadScanTime { line, value: raw }),
        },
        None => match name_time {
            Some(f) => {
                issues.push(ParseIssue {
                    line: None,
                    kind: IssueKind::ScanTimeFromFileName,
                });
                f
            }
            None => return Err(EmoCheckError::MissingScanTime),
        },
    };

    let listed = !ex.processes.is_empty();
    let infected = match ex.verdict {
        Some(true) => true,
        Some(false) if listed => {
            issues.push(ParseIssue {
                line: None,
                kind: IssueKind::VerdictConflict,
            });
            true
        }
        Some(false) => false,
        None if listed => {
            issues.push(ParseIssue {
                line: None,
                kind: IssueKind::VerdictInferred,
            });
            true
        }
        None => return Err(EmoCheckError::MissingVerdict),
    };

    Ok(EmoCheckReport {
        tool_version: ex.tool_version,
        format: ex.format,
        encoding: decoded.encoding,
        hostname,
        scan_time_local,
        infected,
        processes: ex.processes,
        issues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids() {
        assert_eq!(parse_pid("716"), Some(Some(716)));
        assert_eq!(parse_pid(" 10,508 "), Some(Some(10508)));
        assert_eq!(parse_pid(""), Some(None));
        assert_eq!(parse_pid("-1"), None);
        assert_eq!(parse_pid("99999999999"), None);
    }

    #[test]
    fn scan_times() {
        assert!(parse_scan_time("2021-02-22 10:00:00").is_some());
        assert!(parse_scan_time("2021-02-30 10:00:00").is_none());
        assert!(parse_scan_time("2021-02-2").is_none());
    }
}
