//! kizuki's own mapping of the Shadowserver reports about infected systems,
//! so that sinkhole reports (and the demo) need no downloaded schema.
//!
//! It maps the same columns the same way as Shadowserver's published schema
//! does for these reports (a test checks that against the real file), and adds
//! the legacy `botnet_drone` report, which the current schema no longer has.

use super::convert::Conv;
use super::schema::{Item, ReportSpec, Schema, target_for};

/// The report types the built-in mapping knows.
pub const REPORT_TYPES: &[&str] = &[
    "event4_sinkhole",
    "event6_sinkhole",
    "event4_sinkhole_http",
    "event6_sinkhole_http",
    "event4_sinkhole_http_referer",
    "event6_sinkhole_http_referer",
    "event4_microsoft_sinkhole",
    "event4_microsoft_sinkhole_http",
    "botnet_drone",
];

const DOCS: &str = "https://www.shadowserver.org/what-we-do/network-reporting/";

/// One mapping: target, column, conversion.
fn m(target: &str, column: &str, conv: Option<&str>) -> Item {
    Item {
        target: target_for(target),
        column: column.into(),
        conv: conv.map(Conv::from_name),
    }
}

const NONE: Option<&str> = Some("validate_to_none");
const INT: Option<&str> = Some("convert_int");
const NONZERO: Option<&str> = Some("invalidate_zero");
const IP: Option<&str> = Some("validate_ip");

fn extras(cols: &[&str]) -> Vec<Item> {
    cols.iter().map(|c| m("extra.", c, NONE)).collect()
}

/// The infection columns: the name stays as the feed wrote it in the
/// identifier and is lower-cased as the malware name.
fn infection() -> Vec<Item> {
    vec![
        m("classification.identifier", "infection", NONE),
        m("malware.name", "infection", NONE),
        m("extra.", "tag", NONE),
        m("extra.", "family", NONE),
        m("protocol.transport", "protocol", None),
    ]
}

/// The columns about the infected system (the sinkhole's client).
fn source_columns() -> Vec<Item> {
    vec![
        m("source.asn", "src_asn", NONZERO),
        m("source.geolocation.cc", "src_geo", None),
        m("source.geolocation.region", "src_region", None),
        m("source.geolocation.city", "src_city", None),
        m("source.reverse_dns", "src_hostname", None),
        m("extra.source.naics", "src_naics", NONZERO),
        m("extra.source.sector", "src_sector", NONE),
        m("product.vendor", "device_vendor", NONE),
        m("extra.", "device_type", NONE),
        m("product.name", "device_model", NONE),
    ]
}

/// The columns about the sinkhole (the destination).
fn destination_columns() -> Vec<Item> {
    let mut v = vec![
        m("severity", "severity", NONE),
        m("destination.ip", "dst_ip", IP),
        m("destination.port", "dst_port", INT),
        m("destination.asn", "dst_asn", NONZERO),
        m("destination.geolocation.cc", "dst_geo", None),
        m("destination.geolocation.region", "dst_region", None),
        m("destination.geolocation.city", "dst_city", None),
        m("destination.reverse_dns", "dst_hostname", NONE),
        m("extra.destination.naics", "dst_naics", NONZERO),
        m("extra.destination.sector", "dst_sector", NONE),
    ];
    v.extend(extras(&[
        "public_source",
        "application",
        "version",
        "event_id",
    ]));
    v
}

fn http_url_columns() -> Vec<Item> {
    vec![
        m(
            "destination.url",
            "http_url",
            Some("convert_http_host_and_url"),
        ),
        m("destination.fqdn", "http_host", Some("validate_fqdn")),
    ]
}

fn required_client() -> Vec<Item> {
    vec![
        m("time.source", "timestamp", Some("add_UTC_to_timestamp")),
        m("source.ip", "src_ip", IP),
        m("source.port", "src_port", INT),
    ]
}

fn constants(http: bool) -> Vec<(String, serde_json::Value)> {
    let mut c = vec![
        (
            "classification.taxonomy".to_owned(),
            "malicious-code".into(),
        ),
        ("classification.type".to_owned(), "infected-system".into()),
    ];
    if http {
        c.push(("protocol.application".to_owned(), "http".into()));
    }
    c
}

fn spec(
    file_name: &str,
    feed_name: &str,
    page: &str,
    required: Vec<Item>,
    optional: Vec<Item>,
    http: bool,
) -> ReportSpec {
    ReportSpec {
        key: file_name.into(),
        file_name: file_name.into(),
        feed_name: feed_name.into(),
        url: Some(format!("{DOCS}{page}/")),
        required,
        optional,
        constants: constants(http),
    }
}

/// Sinkhole events: a client (the infected system) reached a sinkhole.
fn sinkhole(file_name: &str, feed_name: &str) -> ReportSpec {
    let mut opt = infection();
    opt.extend(source_columns());
    opt.extend(destination_columns());
    opt.extend(extras(&["ssl_cipher", "ssl_servername"]));
    spec(
        file_name,
        feed_name,
        "sinkhole-events-report",
        required_client(),
        opt,
        false,
    )
}

/// Sinkhole HTTP events: the same, with the HTTP request.
fn sinkhole_http(file_name: &str, feed_name: &str) -> ReportSpec {
    let mut opt = infection();
    opt.extend(source_columns());
    opt.extend(destination_columns());
    opt.extend(http_url_columns());
    opt.extend(extras(&[
        "http_agent",
        "forwarded_by",
        "ssl_cipher",
        "http_referer",
        "ssl_servername",
        "machine_name",
    ]));
    spec(
        file_name,
        feed_name,
        "sinkhole-http-events-report",
        required_client(),
        opt,
        true,
    )
}

/// Sinkhole HTTP referer events: the infected system is the referring page's
/// host, so only the time is required.
fn sinkhole_referer(file_name: &str, feed_name: &str) -> ReportSpec {
    let mut opt = vec![
        m("classification.identifier", "infection", NONE),
        m("source.ip", "http_referer_ip", IP),
        m("malware.name", "infection", NONE),
        m("extra.", "tag", NONE),
        m("extra.", "family", NONE),
        m("protocol.transport", "protocol", None),
        m("extra.", "http_referer_port", INT),
        m("extra.", "http_referer_asn", NONZERO),
    ];
    opt.extend(extras(&[
        "http_referer_geo",
        "http_referer_region",
        "http_referer_city",
        "http_referer_hostname",
    ]));
    opt.push(m("extra.", "http_referer_naics", NONZERO));
    opt.push(m("extra.", "http_referer_sector", NONE));
    opt.extend(destination_columns());
    opt.extend(http_url_columns());
    opt.extend(extras(&["http_referer", "ssl_servername"]));
    let required = vec![m("time.source", "timestamp", Some("add_UTC_to_timestamp"))];
    spec(
        file_name,
        feed_name,
        "sinkhole-http-referer-events-report",
        required,
        opt,
        true,
    )
}

/// The legacy Botnet Drone report (`ip`, `port`, `cc_ip`, … columns).
fn botnet_drone() -> ReportSpec {
    let required = vec![
        m("time.source", "timestamp", Some("add_UTC_to_timestamp")),
        m("source.ip", "ip", IP),
    ];
    let mut opt = vec![
        m("source.port", "port", INT),
        m("source.asn", "asn", NONZERO),
        m("source.geolocation.cc", "geo", None),
        m("source.geolocation.region", "region", None),
        m("source.geolocation.city", "city", None),
        m("source.reverse_dns", "hostname", NONE),
        m("protocol.transport", "type", NONE),
        m("classification.identifier", "infection", NONE),
        m("malware.name", "infection", NONE),
        // The path only: `hostname` here is the drone's own name, so a URL
        // built from it would name the wrong host.
        m("destination.urlpath", "url", NONE),
        m("extra.user_agent", "agent", NONE),
        m("destination.ip", "cc_ip", IP),
        m("destination.ip", "cc", IP),
        m("destination.port", "cc_port", INT),
        m("destination.asn", "cc_asn", NONZERO),
        m("destination.geolocation.cc", "cc_geo", None),
        m("destination.fqdn", "cc_dns", Some("validate_fqdn")),
        m("extra.", "count", INT),
        m("extra.", "proxy", NONE),
        m("protocol.application", "application", NONE),
        m("extra.os.name", "p0f_genre", NONE),
        m("extra.os.version", "p0f_detail", NONE),
        m("source.local_hostname", "machine_name", NONE),
        m("extra.bot_id", "id", NONE),
        m("extra.source.naics", "naics", NONZERO),
        m("extra.source.sic", "sic", NONZERO),
        m("extra.destination.naics", "cc_naics", NONZERO),
        m("extra.destination.sic", "cc_sic", NONZERO),
        m("extra.source.sector", "sector", NONE),
        m("extra.destination.sector", "cc_sector", NONE),
    ];
    opt.extend(extras(&["ssl_cipher", "family", "tag", "public_source"]));
    spec(
        "botnet_drone",
        "Botnet-Drone-Hadoop",
        "botnet-drone-report",
        required,
        opt,
        false,
    )
}

/// The built-in schema.
pub fn schema() -> Schema {
    Schema::from_reports(vec![
        sinkhole("event4_sinkhole", "Sinkhole-Events IPv4"),
        sinkhole("event6_sinkhole", "Sinkhole-Events IPv6"),
        sinkhole(
            "event4_microsoft_sinkhole",
            "Microsoft-Sinkhole-Events IPv4",
        ),
        sinkhole_http("event4_sinkhole_http", "Sinkhole-Events-HTTP IPv4"),
        sinkhole_http("event6_sinkhole_http", "Sinkhole-Events-HTTP IPv6"),
        sinkhole_http(
            "event4_microsoft_sinkhole_http",
            "Microsoft-Sinkhole-Events-HTTP IPv4",
        ),
        sinkhole_referer(
            "event4_sinkhole_http_referer",
            "Sinkhole-Events-HTTP-Referer IPv4",
        ),
        sinkhole_referer(
            "event6_sinkhole_http_referer",
            "Sinkhole-Events-HTTP-Referer IPv6",
        ),
        botnet_drone(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_is_in_the_schema() {
        let s = schema();
        for t in REPORT_TYPES {
            assert!(s.by_file_name(t).is_some(), "{t}");
        }
        assert_eq!(s.reports().len(), REPORT_TYPES.len());
    }

    /// The built-in mapping must map exactly as Shadowserver's schema does.
    #[test]
    fn matches_the_published_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/samples/shadowserver/intelmq-schema.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} is absent", path.display());
            return;
        };
        let official = Schema::from_json("intelmq-schema.json", &text).unwrap();
        let ours = schema();
        for t in REPORT_TYPES.iter().filter(|t| **t != "botnet_drone") {
            let a = ours.by_file_name(t).unwrap();
            let b = official
                .by_file_name(t)
                .unwrap_or_else(|| panic!("{t} not in the published schema"));
            assert_eq!(a.feed_name, b.feed_name, "{t}");
            assert_eq!(a.url, b.url, "{t} url");
            assert_eq!(a.required, b.required, "{t} required");
            assert_eq!(a.optional, b.optional, "{t} optional");
            let mut ac = a.constants.clone();
            let mut bc = b.constants.clone();
            ac.sort_by(|x, y| x.0.cmp(&y.0));
            bc.sort_by(|x, y| x.0.cmp(&y.0));
            assert_eq!(ac, bc, "{t} constants");
        }
    }
}
