//! On a generated contacts directory and event set, every event must reach
//! exactly the recipient the rules name: IPv4 and IPv6, ranges that are not
//! CIDR-aligned, overlapping prefixes, AS fallback and domains. The expected
//! recipient is computed here by a plain scan of the rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Event, Field, Input};
use kizuki_lookup::{AsnDb, AsnSource, IpRange, IpTableBuilder};
use kizuki_route::contacts::Directory;
use kizuki_route::enrich::EnrichOptions;
use kizuki_route::{Routed, Router};
use rand::{Rng, SeedableRng};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

struct Gen {
    toml: String,
    /// (contact index, range) in file order.
    ranges: Vec<(usize, IpRange)>,
    asns: Vec<(usize, u32)>,
    domains: Vec<(usize, String)>,
}

/// Addresses come from a small space so that ranges overlap a lot.
fn v4(rng: &mut impl Rng) -> u32 {
    0xC000_0000 | rng.random_range(0..1 << 16)
}

fn v6(rng: &mut impl Rng) -> u128 {
    (0x2001_0db8u128 << 96)
        | rng.random_range(0..1u128 << 20) << 80
        | rng.random_range(0..1u128 << 16)
}

fn generate(rng: &mut impl Rng, contacts: usize) -> Gen {
    let mut g = Gen {
        toml: String::new(),
        ranges: vec![],
        asns: vec![],
        domains: vec![],
    };
    for i in 0..contacts {
        let mut prefixes = vec![];
        let mut ranges = vec![];
        for _ in 0..rng.random_range(0..6) {
            if rng.random_bool(0.7) {
                let len = rng.random_range(18..=30u8);
                let r = IpRange::prefix(Ipv4Addr::from(v4(rng)).into(), len).unwrap();
                prefixes.push(r.to_string());
                g.ranges.push((i, r));
            } else {
                let len = rng.random_range(36..=60u8);
                let r = IpRange::prefix(Ipv6Addr::from(v6(rng)).into(), len).unwrap();
                prefixes.push(r.to_string());
                g.ranges.push((i, r));
            }
        }
        for _ in 0..rng.random_range(0..3) {
            // Ranges that are not CIDR-aligned.
            let lo = v4(rng);
            let hi = lo + rng.random_range(0..3000);
            let r = IpRange::V4(lo, hi);
            ranges.push(format!("{}-{}", Ipv4Addr::from(lo), Ipv4Addr::from(hi)));
            g.ranges.push((i, r));
        }
        let asns: Vec<u32> = (0..rng.random_range(0..3))
            .map(|_| rng.random_range(64500..64540))
            .collect();
        for a in &asns {
            g.asns.push((i, *a));
        }
        let domains: Vec<String> = (0..rng.random_range(0..3))
            .map(|_| {
                if rng.random_bool(0.5) {
                    format!("d{}.jp", rng.random_range(0..20))
                } else {
                    format!(
                        "s{}.d{}.jp",
                        rng.random_range(0..3),
                        rng.random_range(0..20)
                    )
                }
            })
            .collect();
        for d in &domains {
            g.domains.push((i, d.clone()));
        }
        let q = |v: &[String]| {
            v.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            g.toml,
            "[[contact]]\nid = \"c{i}\"\nname = \"Contact {i}\"\nkind = \"operator\"\nasns = {asns:?}\nprefixes = [{}]\nranges = [{}]\ndomains = [{}]\nto = [\"abuse@c{i}.example\"]\n",
            q(&prefixes),
            q(&ranges),
            q(&domains)
        )
        .unwrap();
    }
    g
}

/// The rules, by plain scan: domain (most labels matched, first listed on a
/// tie), then smallest range (first listed on a tie), then AS (first
/// listed).
fn expected(g: &Gen, ip: Option<IpAddr>, names: &[String], asn: Option<u32>) -> Option<String> {
    for n in names {
        let n = n.rsplit('@').next().unwrap().to_ascii_lowercase();
        let best = g
            .domains
            .iter()
            .filter(|(_, d)| n == *d || n.ends_with(&format!(".{d}")))
            .max_by_key(|(i, d)| (d.len(), std::cmp::Reverse(*i)));
        if let Some((i, _)) = best {
            return Some(format!("c{i}"));
        }
    }
    let ip = ip?;
    let best = g
        .ranges
        .iter()
        .filter(|(_, r)| r.contains(ip))
        .min_by_key(|(i, r)| (r.span(), *i));
    if let Some((i, _)) = best {
        return Some(format!("c{i}"));
    }
    let a = asn?;
    g.asns
        .iter()
        .find(|(_, x)| *x == a)
        .map(|(i, _)| format!("c{i}"))
}

#[test]
fn every_event_reaches_the_recipient_the_rules_name() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2021);
    for round in 0..4 {
        let g = generate(&mut rng, 40);
        let dir = Directory::from_toml("generated.toml", &g.toml).unwrap();
        // An AS table covering part of the space.
        let mut b = IpTableBuilder::new();
        let mut table: Vec<(IpRange, u32)> = Vec::new();
        for _ in 0..60 {
            let r = IpRange::prefix(
                Ipv4Addr::from(v4(&mut rng)).into(),
                rng.random_range(20..=26),
            )
            .unwrap();
            let a = rng.random_range(64500..64545);
            table.push((r, a));
            b.insert(
                r,
                kizuki_lookup::AsnInfo {
                    asn: Some(a),
                    ..Default::default()
                },
            );
        }
        let mut db = AsnDb::new();
        db.add("gen", AsnSource::Table(b.build().0));
        let router = Router::new(&dir, &db, EnrichOptions::default());
        let (mut routed, mut unrouted) = (0, 0);
        for _ in 0..5000 {
            let mut ev = Event::new();
            let ip: Option<IpAddr> = match rng.random_range(0..10) {
                0..=5 => Some(Ipv4Addr::from(v4(&mut rng)).into()),
                6..=7 => Some(Ipv6Addr::from(v6(&mut rng)).into()),
                _ => None,
            };
            if let Some(ip) = ip {
                ev.set_ip(Field::SourceIp, ip).unwrap();
            }
            let mut names = vec![];
            if rng.random_bool(0.3) {
                let a = format!(
                    "user@{}.d{}.jp",
                    ["mail", "s0", "s1"][rng.random_range(0..3)],
                    rng.random_range(0..25)
                );
                ev.add(Field::SourceAccount, Input::Str(&a)).unwrap();
                names.push(a);
            }
            // The feed's AS, when it gives one, wins over the table.
            let feed_asn = rng
                .random_bool(0.2)
                .then(|| rng.random_range(64500..64545u32));
            if let Some(a) = feed_asn {
                ev.add(Field::SourceAsn, Input::Int(i64::from(a))).unwrap();
            }
            let table_asn = ip.and_then(|ip| {
                table
                    .iter()
                    .filter(|(r, _)| r.contains(ip))
                    .min_by_key(|(r, _)| r.span())
                    .map(|(_, a)| *a)
            });
            let asn = feed_asn.or(table_asn);
            let want = expected(&g, ip, &names, asn);
            let got = match router.route(&mut ev) {
                Routed::To(c, _) => Some(c.id.clone()),
                Routed::Unrouted(reason) => {
                    assert!(!reason.is_empty());
                    assert_eq!(
                        ev.extra().get("unrouted_reason").and_then(|v| v.as_str()),
                        Some(reason.as_str())
                    );
                    None
                }
            };
            assert_eq!(
                got, want,
                "round {round}: ip {ip:?} names {names:?} asn {asn:?}"
            );
            match got {
                Some(id) => {
                    routed += 1;
                    assert_eq!(
                        ev.extra().get("recipient").and_then(|v| v.as_str()),
                        Some(id.as_str())
                    );
                }
                None => unrouted += 1,
            }
        }
        assert!(
            routed > 1000 && unrouted > 200,
            "a good mix: {routed} routed, {unrouted} unrouted"
        );
    }
}

#[test]
fn enrichment_fills_but_does_not_overwrite() {
    let mut b = IpTableBuilder::new();
    b.insert(
        IpRange::parse("192.0.2.0/24").unwrap(),
        kizuki_lookup::AsnInfo {
            asn: Some(64500),
            name: Some("TABLE-NET".into()),
            cc: Some(*b"JP"),
            more: vec![],
        },
    );
    let mut db = AsnDb::new();
    db.add("t", AsnSource::Table(b.build().0));
    let mut ev = Event::new();
    ev.add(Field::SourceIp, Input::Str("192.0.2.7")).unwrap();
    ev.add(Field::SourceAsn, Input::Int(64999)).unwrap();
    kizuki_route::enrich::enrich(&mut ev, &db, EnrichOptions::default());
    assert_eq!(
        ev.int(Field::SourceAsn),
        Some(64999),
        "the feed's value stays"
    );
    assert_eq!(ev.str(Field::SourceAsName), Some("TABLE-NET"));
    assert_eq!(ev.str(Field::SourceGeolocationCc), Some("JP"));
    kizuki_route::enrich::enrich(&mut ev, &db, EnrichOptions { overwrite: true });
    assert_eq!(ev.int(Field::SourceAsn), Some(64500));
}
