use super::{IndexFile, build_intervals as build};
use crate::record::{Holder, Interval, Net, Ports, SourceKind};
use rand::{Rng, SeedableRng};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn interval(net: Net, lo: u16, hi: u16, start: i64, end: i64, who: u32) -> Interval {
    Interval {
        net,
        ports: Ports { lo, hi },
        start,
        end,
        holder: Holder::user(&format!("u{who}")),
        source: SourceKind::Radius,
    }
}

/// Random intervals, small and large files (with and without the /16
/// directory), IPv4 and IPv6, against a plain scan.
#[test]
fn queries_agree_with_a_scan() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for n in [500usize, 120_000] {
        let mut ivs = Vec::new();
        for i in 0..n {
            let start = rng.random_range(0..100_000i64);
            let end = start + rng.random_range(1..20_000);
            let net = if i % 7 == 0 {
                let a: u128 = (0x2001_0db8u128 << 96) | (rng.random_range(0..64u128) << 72);
                Net::new(IpAddr::V6(Ipv6Addr::from(a)), 56).unwrap()
            } else if i % 11 == 0 {
                Net::new(
                    IpAddr::V4(Ipv4Addr::from(
                        0x0a00_0000 | rng.random_range(0..1u32 << 20),
                    )),
                    24,
                )
                .unwrap()
            } else {
                Net::host(IpAddr::V4(Ipv4Addr::from(
                    0x0a00_0000 | rng.random_range(0..1u32 << 20),
                )))
            };
            let lo = rng.random_range(0..60_000u16);
            ivs.push(interval(
                net,
                lo,
                lo + 999,
                start,
                end,
                rng.random_range(0..50),
            ));
        }
        let (bytes, stats) = build(SourceKind::Radius, &ivs, 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        std::fs::write(&path, &bytes).unwrap();
        let idx = IndexFile::open(&path).unwrap();
        assert_eq!(idx.entries(), stats.entries);
        assert_eq!(idx.has_directory(), n > 100_000, "n={n}");
        let mut hits = Vec::new();
        for q in 0..1000 {
            // Query addresses that exist, and some that do not.
            let iv = &ivs[rng.random_range(0..ivs.len())];
            let ip = match iv.net.addr {
                IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(
                    u128::from(a) | rng.random_range(0..1u128 << 72),
                )),
                IpAddr::V4(a) if q % 5 == 0 => {
                    IpAddr::V4(Ipv4Addr::from(u32::from(a) ^ 0x0010_0000))
                }
                IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(
                    u32::from(a) | rng.random_range(0..1u32 << (32 - iv.net.len)),
                )),
            };
            let t = rng.random_range(0..120_000i64);
            hits.clear();
            idx.query(ip, t, t + 1, &mut hits);
            let mut got: Vec<String> = hits.iter().map(|h| h.holder.to_string()).collect();
            got.sort();
            got.dedup();
            let mut want: Vec<String> = ivs
                .iter()
                .filter(|i| i.net.contains(ip) && i.start <= t && t < i.end)
                .map(|i| i.holder.to_string())
                .collect();
            want.sort();
            want.dedup();
            assert_eq!(got, want, "n={n} {ip} at {t}");
        }
    }
}

/// Port-block indexes keep port order: searches by port and without one
/// agree with a scan, for inline (inside IPv4) and table holders.
#[test]
fn port_order_queries_agree_with_a_scan() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for (n, keys) in [(400usize, false), (100_000, false), (3000, true)] {
        let mut ivs = Vec::new();
        for _ in 0..n {
            let addr = 0x0d00_0000 | rng.random_range(0..(n as u32 / 50).max(2));
            // Mostly aligned blocks of 1000, sometimes odd sizes.
            let (lo, hi) = if rng.random_bool(0.9) {
                let k = rng.random_range(0..64u16);
                (1024 + k * 1000, 1024 + k * 1000 + 999)
            } else {
                let lo = rng.random_range(0..60_000u16);
                (lo, lo + rng.random_range(0..5000))
            };
            let start = rng.random_range(0..100_000i64);
            let holder = if keys {
                Holder::user(&format!("u{}", rng.random_range(0..40)))
            } else {
                Holder::Inside(IpAddr::V4(Ipv4Addr::from(
                    0x6440_0000 | rng.random_range(0..5000u32),
                )))
            };
            ivs.push(Interval {
                net: Net::host(IpAddr::V4(Ipv4Addr::from(addr))),
                ports: Ports { lo, hi },
                start,
                end: start + rng.random_range(1..30_000),
                holder,
                source: SourceKind::PortBlock,
            });
        }
        let (bytes, _) = build(SourceKind::PortBlock, &ivs, 2);
        let idx = IndexFile::from_bytes(&bytes).unwrap();
        let mut hits = Vec::new();
        for _ in 0..1500 {
            let iv = &ivs[rng.random_range(0..ivs.len())];
            let port = if rng.random_bool(0.8) {
                rng.random_range(iv.ports.lo..=iv.ports.hi)
            } else {
                rng.random_range(0..=u16::MAX)
            };
            let t = rng.random_range(0..130_000i64);
            let want = |with_port: bool| {
                let mut v: Vec<String> = ivs
                    .iter()
                    .filter(|i| {
                        i.net == iv.net
                            && i.start <= t
                            && t < i.end
                            && (!with_port || i.ports.contains(port))
                    })
                    .map(|i| format!("{} {}", i.holder, i.ports))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let got = |hits: &[super::Hit]| {
                let mut v: Vec<String> = hits
                    .iter()
                    .map(|h| format!("{} {}", h.holder, h.ports))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            hits.clear();
            idx.query_port(iv.net.addr, port, t, t + 1, &mut hits);
            assert_eq!(got(&hits), want(true), "n={n} port {port} at {t}");
            hits.clear();
            idx.query(iv.net.addr, t, t + 1, &mut hits);
            assert_eq!(got(&hits), want(false), "n={n} at {t}");
        }
    }
}

/// Ordering port-block entries by first port with counting passes, then
/// sorting each block's own intervals, gives the same entries and overlaps
/// as sorting each address's entries whole, for both orders and on one or
/// two threads.
#[test]
fn ordering_by_port_first_changes_nothing() {
    use super::build::{finish_ordered_v4, finish_v4};
    use super::layout::V4Entry;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for n in [100usize, 5000, 60_000] {
        let mut v = Vec::with_capacity(n);
        for i in 0..n {
            // Few addresses over several /16s; blocks mostly aligned, some
            // odd; times in log order for a while, then shuffled; ties.
            let addr = [0x0d00_0000u32, 0x0d01_0000, 0xc633_6400][rng.random_range(0..3)]
                | rng.random_range(0..(n as u32 / 400).max(2));
            let (lo, hi) = if rng.random_bool(0.8) {
                let k = rng.random_range(0..64u16);
                (1024 + k * 1000, 1024 + k * 1000 + 999)
            } else {
                let lo = rng.random_range(0..60_000u16);
                (lo, lo.saturating_add(rng.random_range(0..5000)))
            };
            let start = if i < n / 2 {
                i as u32 * 3
            } else {
                rng.random_range(0..40_000u32)
            };
            v.push(V4Entry {
                addr,
                start,
                end: start + rng.random_range(0..4000),
                max_end: 0,
                holder: rng.random_range(0..6u32),
                lo,
                hi,
            });
        }
        for port_order in [true, false] {
            for threads in [1, 2] {
                let got = finish_v4(v.clone(), threads, port_order);
                let mut plain = v.clone();
                plain.sort_by_key(|e| e.addr);
                let want = finish_ordered_v4(plain, threads, port_order, false);
                assert_eq!(got, want, "n={n} port_order={port_order} threads={threads}");
            }
        }
    }
}
