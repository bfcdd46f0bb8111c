//! The conversion functions named in Shadowserver's schema, with the meaning
//! IntelMQ's Shadowserver parser gives them.
//!
//! A conversion either yields a value, yields nothing (the column is used up
//! and dropped), or fails; a failure refuses the whole row, optional column
//! or not, because IntelMQ "fails early and often" there.

use kizuki_event::{Input, Rule, Timestamp, Zone, time::parse_lenient};
use std::borrow::Cow;

/// A conversion named in the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conv {
    /// `add_UTC_to_timestamp`: the time is UTC.
    AddUtc,
    /// `convert_bool`.
    Bool,
    /// `validate_to_none`: empty, `0` and `unknown` mean nothing.
    ToNone,
    /// `convert_int`.
    Int,
    /// `convert_float`.
    Float,
    /// `convert_http_host_and_url`: builds a URL from the host and path
    /// columns.
    HttpHostAndUrl,
    /// `invalidate_zero`: an integer, with 0 meaning nothing.
    InvalidateZero,
    /// `validate_ip`.
    ValidateIp,
    /// `validate_network`.
    ValidateNetwork,
    /// `validate_fqdn`.
    ValidateFqdn,
    /// `convert_date`: any time, naive means UTC.
    Date,
    /// `convert_date_utc`.
    DateUtc,
    /// `force_base64`.
    ForceBase64,
    /// `scan_exchange_taxonomy`.
    ExchangeTaxonomy,
    /// `scan_exchange_type`.
    ExchangeType,
    /// `scan_exchange_identifier`.
    ExchangeIdentifier,
    /// `category_or_detail`.
    CategoryOrDetail,
    /// `extract_cve_from_tag`.
    CveFromTag,
    /// A name IntelMQ does not know: an optional column is used as is, a
    /// required one refuses every row.
    Unknown(String),
}

impl Conv {
    /// The conversion for a schema name.
    pub fn from_name(name: &str) -> Conv {
        match name {
            "add_UTC_to_timestamp" => Conv::AddUtc,
            "convert_bool" => Conv::Bool,
            "validate_to_none" => Conv::ToNone,
            "convert_int" => Conv::Int,
            "convert_float" => Conv::Float,
            "convert_http_host_and_url" => Conv::HttpHostAndUrl,
            "invalidate_zero" => Conv::InvalidateZero,
            "validate_ip" => Conv::ValidateIp,
            "validate_network" => Conv::ValidateNetwork,
            "validate_fqdn" => Conv::ValidateFqdn,
            "convert_date" => Conv::Date,
            "convert_date_utc" => Conv::DateUtc,
            "force_base64" => Conv::ForceBase64,
            "scan_exchange_taxonomy" => Conv::ExchangeTaxonomy,
            "scan_exchange_type" => Conv::ExchangeType,
            "scan_exchange_identifier" => Conv::ExchangeIdentifier,
            "category_or_detail" => Conv::CategoryOrDetail,
            "extract_cve_from_tag" => Conv::CveFromTag,
            other => Conv::Unknown(other.to_owned()),
        }
    }

    /// The schema name.
    pub fn name(&self) -> &str {
        match self {
            Conv::AddUtc => "add_UTC_to_timestamp",
            Conv::Bool => "convert_bool",
            Conv::ToNone => "validate_to_none",
            Conv::Int => "convert_int",
            Conv::Float => "convert_float",
            Conv::HttpHostAndUrl => "convert_http_host_and_url",
            Conv::InvalidateZero => "invalidate_zero",
            Conv::ValidateIp => "validate_ip",
            Conv::ValidateNetwork => "validate_network",
            Conv::ValidateFqdn => "validate_fqdn",
            Conv::Date => "convert_date",
            Conv::DateUtc => "convert_date_utc",
            Conv::ForceBase64 => "force_base64",
            Conv::ExchangeTaxonomy => "scan_exchange_taxonomy",
            Conv::ExchangeType => "scan_exchange_type",
            Conv::ExchangeIdentifier => "scan_exchange_identifier",
            Conv::CategoryOrDetail => "category_or_detail",
            Conv::CveFromTag => "extract_cve_from_tag",
            Conv::Unknown(n) => n,
        }
    }
}

/// A converted value, in the types Python's conversions return.
#[derive(Clone, Debug, PartialEq)]
pub enum PyVal<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text known to be a UTC time: `add_UTC_to_timestamp`'s result, which is
    /// the text plus `" UTC"`, kept unjoined so a time field can parse it
    /// without building the string.
    UtcText(&'a str),
    /// A time already parsed (`convert_date`).
    Time(Timestamp),
}

impl PyVal<'_> {
    /// As an input to a field rule.
    pub fn with_input<R>(&self, f: impl FnOnce(Input<'_>) -> R) -> R {
        match self {
            PyVal::Str(s) => f(Input::Str(s)),
            PyVal::Int(i) => f(Input::Int(*i)),
            PyVal::Float(x) => f(Input::Float(*x)),
            PyVal::Bool(b) => f(Input::Bool(*b)),
            PyVal::UtcText(s) => f(Input::Str(&format!("{s} UTC"))),
            PyVal::Time(t) => f(Input::Str(&t.to_iso())),
        }
    }
}

/// A conversion raised an error: the row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvError(pub String);

/// What conversions may look at besides their own value.
pub trait RowLookup {
    /// The value of a column, `None` when the header has no such column.
    fn get(&self, column: &str) -> Option<&str>;

    /// Midnight (UTC) of the day the data is observed. IntelMQ's fuzzy date
    /// parser fills a date it cannot find from the day it runs, so an empty
    /// `convert_date_utc` value becomes that midnight; kizuki uses the
    /// observation day, which is the same day in a live pipeline and
    /// reproducible in a batch. `None` drops such values instead.
    fn empty_date(&self) -> Option<Timestamp>;
}

fn int_or_err(v: &str, conv: &str) -> Result<i64, ConvError> {
    kizuki_event::py_int(v).ok_or_else(|| ConvError(format!("{conv}: {v:?} is not an integer")))
}

impl Conv {
    /// Applies the conversion. `Ok(None)` means "nothing".
    pub fn apply<'a>(
        &self,
        value: &'a str,
        row: &dyn RowLookup,
    ) -> Result<Option<PyVal<'a>>, ConvError> {
        Ok(match self {
            Conv::AddUtc => Some(PyVal::UtcText(value)),
            Conv::Bool => match value.to_lowercase().as_str() {
                "y" | "yes" | "true" | "enabled" | "1" => Some(PyVal::Bool(true)),
                "n" | "no" | "false" | "disabled" | "0" => Some(PyVal::Bool(false)),
                _ => None,
            },
            Conv::ToNone => (!(value.is_empty() || value == "0" || value == "unknown"))
                .then_some(PyVal::Str(Cow::Borrowed(value))),
            Conv::Int => {
                if value.is_empty() {
                    None
                } else {
                    Some(PyVal::Int(int_or_err(value, "convert_int")?))
                }
            }
            Conv::Float => {
                if value.is_empty() {
                    None
                } else {
                    Some(PyVal::Float(py_float_any(value).ok_or_else(|| {
                        ConvError(format!("convert_float: {value:?} is not a number"))
                    })?))
                }
            }
            Conv::InvalidateZero => {
                if value.is_empty() {
                    None
                } else {
                    let i = int_or_err(value, "invalidate_zero")?;
                    (i != 0).then_some(PyVal::Int(i))
                }
            }
            Conv::ValidateIp => (!(value == "0.0.0.0" || value.contains('/'))
                && Rule::Ip.sanitize(Input::Str(value)).is_ok())
            .then_some(PyVal::Str(Cow::Borrowed(value))),
            Conv::ValidateNetwork => (value.contains('/')
                && Rule::Network.sanitize(Input::Str(value)).is_ok())
            .then_some(PyVal::Str(Cow::Borrowed(value))),
            Conv::ValidateFqdn => (!value.is_empty()
                && Rule::Fqdn.sanitize(Input::Str(value)).is_ok())
            .then_some(PyVal::Str(Cow::Borrowed(value))),
            Conv::Date => parse_lenient(value, Some(&Zone::Utc)).ok().map(PyVal::Time),
            Conv::DateUtc => {
                if value.trim().is_empty() {
                    row.empty_date().map(PyVal::Time)
                } else {
                    // IntelMQ appends "+00:00" before parsing; a zone the time
                    // already has comes first and wins.
                    parse_lenient(&format!("{value}+00:00"), None)
                        .ok()
                        .map(PyVal::Time)
                }
            }
            Conv::ForceBase64 => {
                if value.is_empty() {
                    None
                } else if is_strict_base64(value) {
                    Some(PyVal::Str(Cow::Borrowed(value)))
                } else {
                    use base64::Engine;
                    Some(PyVal::Str(Cow::Owned(
                        base64::engine::general_purpose::STANDARD.encode(value),
                    )))
                }
            }
            Conv::ExchangeTaxonomy => {
                Some(PyVal::Str(Cow::Borrowed(if value.contains("webshell") {
                    "intrusions"
                } else {
                    "vulnerable"
                })))
            }
            Conv::ExchangeType => Some(PyVal::Str(Cow::Borrowed(if value.contains("webshell") {
                "system-compromise"
            } else {
                "vulnerable-system"
            }))),
            Conv::ExchangeIdentifier => {
                Some(PyVal::Str(Cow::Borrowed(if value.contains("webshell") {
                    "exchange-server-webshell"
                } else {
                    "vulnerable-exchange-server"
                })))
            }
            Conv::CategoryOrDetail => {
                let category = row.get("category").unwrap_or("");
                let v = if category.is_empty() {
                    row.get("detail").unwrap_or("")
                } else {
                    category
                };
                Some(PyVal::Str(Cow::Owned(v.to_owned())))
            }
            Conv::CveFromTag => cves_from_tag(value).map(|s| PyVal::Str(Cow::Owned(s))),
            Conv::HttpHostAndUrl => Some(http_host_and_url(value, row)),
            Conv::Unknown(name) => return Err(ConvError(format!("unknown conversion {name:?}"))),
        })
    }
}

/// Python's `float()`, NaN and infinities included (the field then refuses
/// them).
fn py_float_any(v: &str) -> Option<f64> {
    kizuki_event::py_float(v).or_else(|| {
        let t = v.trim().to_ascii_lowercase();
        match t.trim_start_matches(['+', '-']) {
            "nan" | "inf" | "infinity" => Some(f64::NAN),
            _ => None,
        }
    })
}

/// `base64.b64decode(value, validate=True)` succeeds.
fn is_strict_base64(v: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(v).is_ok()
}

/// `extract_cve_from_tag`: the sorted, distinct `cve-N-N` tags.
fn cves_from_tag(tag: &str) -> Option<String> {
    let mut cves: Vec<&str> = tag
        .split(';')
        .filter(|t| {
            let Some(rest) = t.strip_prefix("cve-") else {
                return false;
            };
            let mut parts = rest.split('-');
            let ok = |p: Option<&str>| {
                p.is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
            };
            ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
        })
        .collect();
    cves.sort_unstable();
    cves.dedup();
    (!cves.is_empty()).then(|| cves.join(";"))
}

/// `convert_http_host_and_url`: host from `cc_dns`, `http_host`, `hostname`
/// or `ip`; path from `url` or `http_url` with any request line around it
/// removed; scheme from `application` when it is `http` or `https`.
fn http_host_and_url<'a>(value: &'a str, row: &dyn RowLookup) -> PyVal<'a> {
    let mut host = row.get("cc_dns").unwrap_or("");
    for col in ["http_host", "hostname", "ip"] {
        if host.is_empty()
            && let Some(h) = row.get(col)
        {
            host = h;
        }
    }
    let path = row.get("url").or_else(|| row.get("http_url")).unwrap_or("");
    if host.is_empty() || path.is_empty() {
        return PyVal::Str(Cow::Borrowed(value));
    }
    // re.sub(r'^[^/]*', '', path) then re.sub(r'\s.*$', '', path)
    let path = &path[path.find('/').unwrap_or(path.len())..];
    let path = &path[..path.find(is_py_regex_space).unwrap_or(path.len())];
    let scheme = if row.get("application") == Some("https") {
        "https"
    } else {
        "http"
    };
    PyVal::Str(Cow::Owned(format!("{scheme}://{host}{path}")))
}

/// Python's `\s` in a `str` pattern.
fn is_py_regex_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Row(HashMap<&'static str, &'static str>);
    impl RowLookup for Row {
        fn get(&self, c: &str) -> Option<&str> {
            self.0.get(c).copied()
        }
        fn empty_date(&self) -> Option<Timestamp> {
            Timestamp::from_unix(86_400)
        }
    }

    fn row(pairs: &[(&'static str, &'static str)]) -> Row {
        Row(pairs.iter().copied().collect())
    }

    #[test]
    fn simple_conversions() {
        let r = row(&[]);
        assert_eq!(Conv::ToNone.apply("unknown", &r), Ok(None));
        assert_eq!(Conv::ToNone.apply("0", &r), Ok(None));
        assert_eq!(
            Conv::ToNone.apply(" x ", &r),
            Ok(Some(PyVal::Str(" x ".into())))
        );
        assert_eq!(Conv::Int.apply("", &r), Ok(None));
        assert_eq!(Conv::Int.apply("42", &r), Ok(Some(PyVal::Int(42))));
        assert!(Conv::Int.apply("4x", &r).is_err());
        assert_eq!(Conv::InvalidateZero.apply("0", &r), Ok(None));
        assert!(Conv::InvalidateZero.apply("zero", &r).is_err());
        assert_eq!(Conv::Bool.apply("Enabled", &r), Ok(Some(PyVal::Bool(true))));
        assert_eq!(Conv::Bool.apply("maybe", &r), Ok(None));
        assert_eq!(Conv::ValidateIp.apply("0.0.0.0", &r), Ok(None));
        assert_eq!(Conv::ValidateIp.apply("10.0.0.1/32", &r), Ok(None));
        assert_eq!(Conv::ValidateIp.apply("148.81.111.11.12", &r), Ok(None));
        assert_eq!(
            Conv::ValidateNetwork.apply("10.0.0.0/8", &r),
            Ok(Some(PyVal::Str("10.0.0.0/8".into())))
        );
        assert_eq!(Conv::ValidateNetwork.apply("10.0.0.1", &r), Ok(None));
        assert_eq!(
            Conv::CveFromTag.apply("cve-2021-26855;x;cve-2021-26855;cve-2020-1", &r),
            Ok(Some(PyVal::Str("cve-2020-1;cve-2021-26855".into())))
        );
        assert_eq!(Conv::CveFromTag.apply("CVE-2021-1", &r), Ok(None));
        assert_eq!(
            Conv::ForceBase64.apply("abc", &r),
            Ok(Some(PyVal::Str("YWJj".into())))
        );
        assert_eq!(
            Conv::ForceBase64.apply("YWJj", &r),
            Ok(Some(PyVal::Str("YWJj".into())))
        );
        assert!(Conv::Unknown("x".into()).apply("v", &r).is_err());
        assert_eq!(
            Conv::DateUtc.apply("", &r),
            Ok(Some(PyVal::Time(Timestamp::from_unix(86_400).unwrap())))
        );
        assert_eq!(
            Conv::DateUtc.apply("2021-03-28 00:20:22", &r),
            Ok(Some(PyVal::Time(
                Timestamp::parse_iso("2021-03-28T00:20:22Z").unwrap()
            )))
        );
    }

    #[test]
    fn urls_from_host_and_path() {
        let r = row(&[
            ("http_host", "evil.example"),
            ("http_url", "GET /gate.php HTTP/1.1"),
            ("application", "https"),
        ]);
        assert_eq!(
            Conv::HttpHostAndUrl.apply("GET /gate.php HTTP/1.1", &r),
            Ok(Some(PyVal::Str("https://evil.example/gate.php".into())))
        );
        let r = row(&[("http_host", "evil.example"), ("http_url", "")]);
        assert_eq!(
            Conv::HttpHostAndUrl.apply("", &r),
            Ok(Some(PyVal::Str("".into())))
        );
        let r = row(&[
            ("cc_dns", "cc.example"),
            ("url", "/x y"),
            ("http_host", "other.example"),
        ]);
        assert_eq!(
            Conv::HttpHostAndUrl.apply("/x y", &r),
            Ok(Some(PyVal::Str("http://cc.example/x".into())))
        );
    }
}
