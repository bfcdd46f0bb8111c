//! The generated enterprise and its C2 list.

use crate::c2::{C2Entry, C2Options};
use crate::inventory::Asset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

const DAY: i64 = 86_400_000_000;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// The random seed: the same seed gives the same logs.
    pub seed: u64,
    /// Internal hosts (in 10.0.0.0/16).
    pub hosts: u32,
    /// Of which infected.
    pub infected: u32,
    /// C2 contacts per infected host over the span.
    pub contacts_per_host: u32,
    /// Public NAT addresses (203.0.113.10 and up).
    pub publics: u32,
    /// C2 entries in the list.
    pub c2_entries: u32,
    /// Background flows (contacts come on top).
    pub flows: u64,
    /// The first second of the logs (µs, UTC); rounded down to a day.
    pub start: i64,
    /// How many hours the logs cover.
    pub hours: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 7,
            hosts: 500,
            infected: 8,
            contacts_per_host: 12,
            publics: 3,
            c2_entries: 400,
            flows: 50_000,
            // 2021-02-22T00:00:00Z, the day NOTICE's Emotet mails began.
            start: 1_613_952_000_000_000,
            hours: 24,
        }
    }
}

/// Which part of the log span an entry is valid in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// Valid over the whole span.
    Active,
    /// Valid only from the middle of the span on.
    FromMid,
    /// Ended before the span.
    Expired,
    /// Starts after the span.
    Future,
}

/// The generated enterprise: hosts, their public addresses, the C2 list.
#[derive(Clone, Debug)]
pub struct World {
    /// The settings it was made with.
    pub config: SynthConfig,
    /// Internal host addresses.
    pub hosts: Vec<Ipv4Addr>,
    /// The public address each host is translated to.
    pub public_of: Vec<Ipv4Addr>,
    /// The infected hosts (indexes into `hosts`).
    pub infected: Vec<usize>,
    /// The C2 list, in generation order.
    pub c2: Vec<C2Entry>,
    /// Each entry's era.
    pub(crate) eras: Vec<Era>,
    /// The malware names as Feodo capitalizes them, per entry.
    pub display: Vec<&'static str>,
    /// The assets (a few hosts are missing from the inventory).
    pub assets: Vec<Asset>,
    /// Internet addresses background traffic goes to.
    pub(crate) internet: Vec<Ipv4Addr>,
    /// Start and end of the span (µs).
    pub span: (i64, i64),
}

const FAMILIES: [(&str, &str); 6] = [
    ("emotet", "Emotet"),
    ("qakbot", "QakBot"),
    ("dridex", "Dridex"),
    ("trickbot", "TrickBot"),
    ("bumblebee", "BumbleBee"),
    ("pikabot", "Pikabot"),
];
const C2_PORTS: [u16; 8] = [443, 8080, 7080, 80, 2222, 995, 8443, 4143];
const OWNERS: [&str; 8] = [
    "Sato Hanako",
    "Suzuki Taro",
    "Takahashi Yui",
    "Tanaka Ken",
    "Watanabe Mei",
    "Ito Sho",
    "Yamamoto Rin",
    "Nakamura Aoi",
];
const DEPARTMENTS: [&str; 5] = [
    "Sales",
    "Finance",
    "General Affairs",
    "Engineering",
    "Legal",
];

impl World {
    /// Generates the world for `config`.
    pub fn new(config: &SynthConfig) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let start = config.start.div_euclid(DAY) * DAY;
        let end = start + i64::from(config.hours.max(1)) * 3_600_000_000;
        let n = config.hosts.clamp(1, 60_000) as usize;
        let hosts: Vec<Ipv4Addr> = (0..n)
            .map(|i| Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250 + 1) as u8))
            .collect();
        let publics: Vec<Ipv4Addr> = (0..config.publics.clamp(1, 200))
            .map(|i| Ipv4Addr::new(203, 0, 113, 10 + i as u8))
            .collect();
        let public_of = (0..n).map(|i| publics[i % publics.len()]).collect();
        let mut infected: Vec<usize> = Vec::new();
        let want = (config.infected as usize).min(n);
        while infected.len() < want {
            let h = rng.random_range(0..n);
            if !infected.contains(&h) {
                infected.push(h);
            }
        }
        infected.sort_unstable();

        // C2 addresses from ranges background traffic never uses.
        let mut used = HashSet::new();
        let mut c2 = Vec::new();
        let mut eras = Vec::new();
        let mut display = Vec::new();
        let opts = C2Options::new();
        let prefixes = [45u8, 91, 185, 194];
        while c2.len() < config.c2_entries as usize {
            let ip = loop {
                let a = Ipv4Addr::new(
                    prefixes[rng.random_range(0..prefixes.len())],
                    rng.random(),
                    rng.random(),
                    rng.random_range(1..255),
                );
                if used.insert(a) {
                    break a;
                }
            };
            let (fam, disp) = FAMILIES[rng.random_range(0..FAMILIES.len())];
            let port = C2_PORTS[rng.random_range(0..C2_PORTS.len())];
            let era = match rng.random_range(0..10) {
                0..=4 => Era::Active,
                5 => Era::FromMid,
                6..=7 => Era::Expired,
                _ => Era::Future,
            };
            let push = |c2: &mut Vec<C2Entry>,
                        eras: &mut Vec<Era>,
                        display: &mut Vec<&'static str>,
                        era: Era,
                        port: u16,
                        rng: &mut ChaCha8Rng| {
                let (first, last_day, status) = match era {
                    Era::Active => (
                        start - rng.random_range(2..300) * DAY - rng.random_range(0..DAY),
                        Some(end.div_euclid(DAY) * DAY + rng.random_range(0..30) * DAY),
                        "offline",
                    ),
                    Era::FromMid => (
                        start + (end - start) / 2 + rng.random_range(0..3_600_000_000),
                        None,
                        "online",
                    ),
                    Era::Expired => {
                        let last = start.div_euclid(DAY) * DAY - rng.random_range(1..200) * DAY;
                        (
                            last - rng.random_range(0..100) * DAY - rng.random_range(0..DAY),
                            Some(last),
                            "offline",
                        )
                    }
                    Era::Future => (end + DAY + rng.random_range(0..100) * DAY, None, "online"),
                };
                // Feodo prints first_seen to the second.
                let first = first.div_euclid(1_000_000) * 1_000_000;
                c2.push(C2Entry::new(
                    IpAddr::V4(ip),
                    Some(port),
                    fam,
                    first,
                    last_day,
                    Some(status),
                    &opts,
                ));
                eras.push(era);
                display.push(disp);
            };
            push(&mut c2, &mut eras, &mut display, era, port, &mut rng);
            // Some addresses have a second entry: another port, another era
            // (expired when the first is active, else active).
            if c2.len() < config.c2_entries as usize && rng.random_bool(0.1) {
                let other = C2_PORTS
                    .iter()
                    .copied()
                    .find(|p| *p != port)
                    .unwrap_or(port.wrapping_add(1));
                let era2 = if era == Era::Active {
                    Era::Expired
                } else {
                    Era::Active
                };
                push(&mut c2, &mut eras, &mut display, era2, other, &mut rng);
            }
        }

        let internet: Vec<Ipv4Addr> = (0..4000)
            .map(|_| {
                let (a, b) = [
                    (151u8, 101u8),
                    (142, 250),
                    (104, 16),
                    (13, 107),
                    (52, 96),
                    (172, 217),
                ][rng.random_range(0..6)];
                Ipv4Addr::new(a, b, rng.random(), rng.random_range(1..255))
            })
            .collect();

        let assets = (0..n)
            .filter(|i| i % 20 != 19)
            .map(|i| {
                let mac = format!(
                    "02:00:{:02x}:{:02x}:{:02x}:{:02x}",
                    (i >> 24) & 0xff,
                    (i >> 16) & 0xff,
                    (i >> 8) & 0xff,
                    i & 0xff
                );
                Asset {
                    asset_id: format!("A-{:05}", i + 1),
                    hostname: Some(format!("pc-{:05}", i + 1)),
                    ip: Some(IpAddr::V4(hosts[i])),
                    mac: Some(mac),
                    owner: Some(OWNERS[i % OWNERS.len()].to_owned()),
                    department: Some(DEPARTMENTS[i % DEPARTMENTS.len()].to_owned()),
                }
            })
            .collect();

        World {
            config: config.clone(),
            hosts,
            public_of,
            infected,
            c2,
            eras,
            display,
            assets,
            internet,
            span: (start, end),
        }
    }

    /// The entries valid somewhere in the span that contacts may use, with
    /// the earliest time a contact to each may start.
    pub(crate) fn usable(&self) -> Vec<(usize, i64)> {
        self.eras
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Era::Active => Some((i, self.span.0)),
                // A margin past first_seen, so times rounded to seconds
                // (nfdump 1.6) stay inside.
                Era::FromMid => Some((i, self.c2[i].valid_from + 60_000_000)),
                _ => None,
            })
            .collect()
    }
}
