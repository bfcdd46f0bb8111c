//! Longest-prefix match, side by side: kizuki's IpTable, prefix-trie 0.10 and
//! ip_network_table 0.2, on the same prefixes and the same addresses, in
//! one run. Prints build time and lookups per second (one thread).
//!
//!     cargo bench -p kizuki-lookup --bench lpm
//!     cargo bench -p kizuki-lookup --bench lpm -- 1000000 20000000

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_lookup::{IpRange, IpTableBuilder};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::Instant;

/// Prefixes shaped like a routing table: mostly /24, fewer short ones.
fn prefixes(n: usize, rng: &mut impl Rng) -> Vec<(u32, u8)> {
    let mut out = Vec::with_capacity(n + n / 50);
    while out.len() < n + n / 50 {
        let len = match rng.random_range(0..100) {
            0..=59 => 24,
            60..=69 => 23,
            70..=79 => 22,
            80..=89 => rng.random_range(19..=21),
            90..=97 => rng.random_range(16..=18),
            _ => rng.random_range(8..=15),
        };
        let addr = rng.random::<u32>() & (u32::MAX << (32 - len));
        out.push((addr, len));
    }
    // Unique prefixes: the three tables treat duplicates differently.
    out.sort_unstable();
    out.dedup();
    out
}

fn rate(n: usize, secs: f64) -> String {
    format!("{:.1} M lookups/s", n as f64 / secs / 1e6)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_prefixes = args.first().copied().unwrap_or(1_000_000);
    let n_lookups = args.get(1).copied().unwrap_or(20_000_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let pfx = prefixes(n_prefixes, &mut rng);
    let addrs: Vec<u32> = (0..n_lookups).map(|_| rng.random()).collect();
    println!(
        "longest-prefix match: {n_prefixes} IPv4 prefixes, {n_lookups} random addresses, one thread"
    );

    // kizuki
    let t0 = Instant::now();
    let mut b = IpTableBuilder::new();
    for (i, (a, l)) in pfx.iter().enumerate() {
        b.insert(
            IpRange::prefix(Ipv4Addr::from(*a).into(), *l).unwrap(),
            i as u32,
        );
    }
    let (table, _) = b.build();
    let build = t0.elapsed().as_secs_f64();
    if let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") {
        for l in s.lines().filter(|l| l.starts_with("AnonHugePages")) {
            println!("(kizuki table: {l})");
        }
    }
    let t0 = Instant::now();
    let mut hits = 0u64;
    for &a in &addrs {
        if let Some(v) = table.lookup_v4(black_box(a)) {
            hits += u64::from(*v & 1) + 1;
        }
    }
    let look_single = t0.elapsed().as_secs_f64();
    black_box(hits);
    // The same lookups in blocks (how the router uses the table).
    let t0 = Instant::now();
    let mut hits_many = 0u64;
    let mut out = Vec::with_capacity(4096);
    for chunk in addrs.chunks(4096) {
        table.lookup_v4_many(black_box(chunk), &mut out);
        for v in out.iter().flatten() {
            hits_many += u64::from(**v & 1) + 1;
        }
    }
    let look = t0.elapsed().as_secs_f64();
    assert_eq!(hits, hits_many);
    let dir = std::env::temp_dir().join("kizuki-lpm-bench.kzt");
    let t0 = Instant::now();
    kizuki_lookup::store::save(&table, &dir).unwrap();
    let save = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let opened: kizuki_lookup::IpTable<u32> = kizuki_lookup::store::open(&dir).unwrap();
    let open = t0.elapsed().as_secs_f64();
    assert_eq!(opened.lookup_v4(addrs[0]), table.lookup_v4(addrs[0]));
    let _ = std::fs::remove_file(&dir);
    println!(
        "{:<22} build {:>7.3} s   {:>20}   (one at a time: {}; save {save:.3} s, open {open:.3} s)",
        "kizuki IpTable",
        build,
        rate(n_lookups, look),
        rate(n_lookups, look_single)
    );
    let kizuki_rate = n_lookups as f64 / look;

    // prefix-trie 0.10
    let t0 = Instant::now();
    let mut pm: prefix_trie::PrefixMap<ipnet::Ipv4Net, u32> = prefix_trie::PrefixMap::new();
    for (i, (a, l)) in pfx.iter().enumerate() {
        pm.insert(
            ipnet::Ipv4Net::new(Ipv4Addr::from(*a), *l).unwrap(),
            i as u32,
        );
    }
    let build = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut hits2 = 0u64;
    for &a in &addrs {
        let net = ipnet::Ipv4Net::new(Ipv4Addr::from(black_box(a)), 32).unwrap();
        if let Some((_, v)) = pm.get_lpm(&net) {
            hits2 += u64::from(*v & 1) + 1;
        }
    }
    let look = t0.elapsed().as_secs_f64();
    println!(
        "{:<22} build {:>7.3} s   {:>20}",
        "prefix-trie 0.10",
        build,
        rate(n_lookups, look)
    );
    let trie_rate = n_lookups as f64 / look;

    // ip_network_table 0.2
    let t0 = Instant::now();
    let mut nt: ip_network_table::IpNetworkTable<u32> = ip_network_table::IpNetworkTable::new();
    for (i, (a, l)) in pfx.iter().enumerate() {
        nt.insert(
            ip_network::Ipv4Network::new(Ipv4Addr::from(*a), *l).unwrap(),
            i as u32,
        );
    }
    let build = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut hits3 = 0u64;
    for &a in &addrs {
        if let Some((_, v)) = nt.longest_match_ipv4(Ipv4Addr::from(black_box(a))) {
            hits3 += u64::from(*v & 1) + 1;
        }
    }
    let look = t0.elapsed().as_secs_f64();
    println!(
        "{:<22} build {:>7.3} s   {:>20}",
        "ip_network_table 0.2",
        build,
        rate(n_lookups, look)
    );
    let table_rate = n_lookups as f64 / look;

    // The three must agree (duplicate prefixes aside, which all keep one).
    assert_eq!(hits, hits2, "kizuki and prefix-trie disagree");
    assert_eq!(hits, hits3, "kizuki and ip_network_table disagree");
    let best = trie_rate.max(table_rate);
    println!("kizuki / faster of the two: {:.2}x", kizuki_rate / best);
}
