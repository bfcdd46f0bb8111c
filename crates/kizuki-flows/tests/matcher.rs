//! The matcher on hand-made flows: the public-address filter, flows whose
//! source is the public address itself, evidence order, the family filter
//! and ranking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_flows::{
    Asset, C2Entry, C2List, C2Options, Flow, FlowSink, Inventory, Matcher, Protocol, Query,
};
use std::net::IpAddr;

const T: i64 = 1_613_988_920_000_000; // 2021-02-22T10:15:20Z
const S: i64 = 1_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn list() -> C2List {
    let o = C2Options::new();
    C2List::from_entries(vec![
        C2Entry::new(
            ip("198.51.100.7"),
            Some(8080),
            "Emotet",
            T - 86_400 * S,
            None,
            Some("online"),
            &o,
        ),
        C2Entry::new(
            ip("198.51.100.8"),
            Some(443),
            "QakBot",
            T - 86_400 * S,
            None,
            Some("online"),
            &o,
        ),
    ])
}

fn flow(line: u64, src: &str, nat: Option<&str>, dst: &str, port: u16, at: i64) -> Flow {
    let mut f = Flow::empty("log".into());
    f.line = line;
    f.start = at;
    f.end = at + S;
    f.src = ip(src);
    f.src_port = Some(50_000);
    f.dst = ip(dst);
    f.dst_port = Some(port);
    f.protocol = Some(Protocol::TCP);
    f.nat_src = nat.map(ip);
    f
}

fn query(malware: Option<&str>) -> Query {
    Query {
        public: Some(ip("203.0.113.5")),
        at: T,
        window: 600 * S,
        malware: malware.map(str::to_owned),
    }
}

#[test]
fn ranks_hosts_and_filters_by_public_address() {
    let c2 = list();
    let mut m = Matcher::new(&c2, query(None)).evidence(2);
    let flows = [
        flow(
            1,
            "10.0.1.5",
            Some("203.0.113.5"),
            "198.51.100.7",
            8080,
            T - 300 * S,
        ),
        flow(
            2,
            "10.0.1.5",
            Some("203.0.113.5"),
            "198.51.100.7",
            8080,
            T - 10 * S,
        ),
        flow(
            3,
            "10.0.1.5",
            Some("203.0.113.5"),
            "198.51.100.7",
            8080,
            T + 5 * S,
        ),
        // Another public address: not this notice.
        flow(4, "10.0.1.9", Some("203.0.113.6"), "198.51.100.7", 8080, T),
        // Unknown translation (a plain flow log): kept.
        flow(5, "10.0.1.6", None, "198.51.100.8", 443, T + 200 * S),
        // The public address itself as source (a post-NAT log).
        flow(6, "203.0.113.5", None, "198.51.100.8", 443, T + 400 * S),
        // Wrong port, outside the window.
        flow(7, "10.0.1.7", None, "198.51.100.7", 443, T),
        flow(8, "10.0.1.8", None, "198.51.100.7", 8080, T + 700 * S),
    ];
    for f in &flows {
        m.flow(f);
    }
    let inv = Inventory::from_assets(vec![Asset {
        asset_id: "A-1".into(),
        hostname: Some("pc-1".into()),
        ip: Some(ip("10.0.1.5")),
        mac: None,
        owner: Some("Sato Hanako".into()),
        department: Some("Sales".into()),
    }]);
    let r = m.finish(Some(&inv));
    let hosts: Vec<String> = r.candidates.iter().map(|c| c.host.to_string()).collect();
    assert_eq!(hosts, ["10.0.1.5", "10.0.1.6", "203.0.113.5"]);
    assert_eq!(
        (r.flows, r.in_window, r.other_public, r.matched),
        (8, 7, 1, 5)
    );
    let first = &r.candidates[0];
    assert_eq!(first.rank, 1);
    assert_eq!(first.flows, 3);
    assert_eq!(first.closest_us, 5 * S);
    assert_eq!(first.owner.as_deref(), Some("Sato Hanako"));
    // Nearest first, two kept.
    let lines: Vec<u64> = first.evidence.iter().map(|e| e.flow.line).collect();
    assert_eq!(lines, [3, 2]);
    assert!(!first.public_source && r.candidates[2].public_source);
    assert!(r.candidates[1].asset.is_none());
    // The JSON the CLI prints carries the host, asset, owner and evidence.
    let v = serde_json::to_value(first).unwrap();
    assert_eq!(v["host"], "10.0.1.5");
    assert_eq!(v["asset"]["asset_id"], "A-1");
    assert_eq!(v["evidence"][0]["file"], "log");
    assert_eq!(v["evidence"][0]["line"], 3);
    assert_eq!(v["c2"][0]["malware"], "emotet");
}

#[test]
fn the_family_filter_ignores_case() {
    let c2 = list();
    let mut m = Matcher::new(&c2, query(Some("EMOTET")));
    m.flow(&flow(1, "10.0.1.5", None, "198.51.100.7", 8080, T));
    m.flow(&flow(2, "10.0.1.6", None, "198.51.100.8", 443, T));
    let r = m.finish(None);
    assert_eq!(r.candidates.len(), 1);
    assert_eq!(r.candidates[0].host, ip("10.0.1.5"));
}
