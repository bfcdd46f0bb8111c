//! Synthetic feeds for tests, benchmarks and the demo: Shadowserver sinkhole
//! reports, Feodo Tracker lists and `ip,timestamp` law-enforcement lists.
//!
//! The output depends only on the kind, the row count and the seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// What to generate.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FeedKind {
    /// Shadowserver `event4_sinkhole`.
    Sinkhole,
    /// Shadowserver `event4_sinkhole_http`.
    SinkholeHttp,
    /// Shadowserver `event6_sinkhole`.
    Sinkhole6,
    /// Feodo Tracker `ipblocklist.csv`.
    FeodoCsv,
    /// Feodo Tracker `ipblocklist.json`.
    FeodoJson,
    /// An `ip,timestamp` list in Japan time, as the police handed over in 2021.
    IpList,
}

impl FeedKind {
    /// Every kind, with its name.
    pub const ALL: &'static [(FeedKind, &'static str)] = &[
        (FeedKind::Sinkhole, "event4_sinkhole"),
        (FeedKind::SinkholeHttp, "event4_sinkhole_http"),
        (FeedKind::Sinkhole6, "event6_sinkhole"),
        (FeedKind::FeodoCsv, "feodo"),
        (FeedKind::FeodoJson, "feodo-json"),
        (FeedKind::IpList, "ip-list"),
    ];

    /// A kind by name.
    pub fn from_name(name: &str) -> Option<FeedKind> {
        FeedKind::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(k, _)| *k)
    }

    /// The kind's name.
    pub fn name(self) -> &'static str {
        FeedKind::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }

    /// A file name the readers recognise, for a report of `date`
    /// (`YYYY-MM-DD`).
    pub fn file_name(self, date: &str) -> String {
        match self {
            FeedKind::Sinkhole | FeedKind::SinkholeHttp | FeedKind::Sinkhole6 => {
                format!("{date}-{}-jp-geo.csv", self.name())
            }
            FeedKind::FeodoCsv => "ipblocklist.csv".into(),
            FeedKind::FeodoJson => "ipblocklist.json".into(),
            FeedKind::IpList => format!("{date}-emotet-ip-list.csv"),
        }
    }
}

/// Settings of a synthetic feed.
#[derive(Clone, Debug)]
pub struct Synth {
    kind: FeedKind,
    rows: u64,
    seed: u64,
    start: i64,
    span_secs: i64,
    emotet_share: f64,
    bad_share: f64,
}

/// Japanese access networks the synthetic infected hosts sit in:
/// (ASN, first octets, region, city).
const NETWORKS: &[(u32, [u8; 2], &str, &str)] = &[
    (4713, [153, 156], "TOKYO", "TOKYO"),
    (2516, [106, 128], "OSAKA", "OSAKA"),
    (17676, [126, 10], "KANAGAWA", "YOKOHAMA"),
    (2497, [210, 130], "AICHI", "NAGOYA"),
    (9605, [49, 96], "FUKUOKA", "FUKUOKA"),
    (18126, [180, 46], "HOKKAIDO", "SAPPORO"),
];

const FAMILIES: &[&str] = &[
    "qakbot",
    "trickbot",
    "andromeda",
    "mirai",
    "avalanche-andromeda",
    "necurs",
    "gozi",
];

/// Sinkhole addresses (documentation ranges).
const SINKHOLES: &[[u8; 4]] = &[[192, 0, 2, 10], [198, 51, 100, 20], [203, 0, 113, 30]];

impl Synth {
    /// `rows` rows of `kind` from `seed`, starting 2021-02-22 00:00 UTC and
    /// spanning one day, a fifth of them Emotet, none malformed.
    pub fn new(kind: FeedKind, rows: u64, seed: u64) -> Synth {
        Synth {
            kind,
            rows,
            seed,
            start: 1_613_952_000,
            span_secs: 86_400,
            emotet_share: 0.2,
            bad_share: 0.0,
        }
    }

    /// The first observation time, seconds since the epoch. By default,
    /// 2021-02-22T00:00:00Z.
    pub fn start(mut self, unix: i64) -> Self {
        self.start = unix;
        self
    }

    /// How long the observations span, in seconds. By default, one day.
    pub fn span(mut self, secs: i64) -> Self {
        self.span_secs = secs.max(1);
        self
    }

    /// The share of rows about Emotet. By default, 0.2.
    pub fn emotet_share(mut self, share: f64) -> Self {
        self.emotet_share = share.clamp(0.0, 1.0);
        self
    }

    /// The share of rows that are deliberately broken (bad address, port
    /// out of range, garbage time). By default, none.
    pub fn bad_share(mut self, share: f64) -> Self {
        self.bad_share = share.clamp(0.0, 1.0);
        self
    }

    /// Writes the feed.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut w = io::BufWriter::with_capacity(1 << 16, out);
        match self.kind {
            FeedKind::Sinkhole | FeedKind::Sinkhole6 => {
                w.write_all(SINKHOLE_HEADER.as_bytes())?;
                w.write_all(b"\n")?;
            }
            FeedKind::SinkholeHttp => {
                w.write_all(SINKHOLE_HEADER.as_bytes())?;
                w.write_all(HTTP_EXTRA_HEADER.as_bytes())?;
                w.write_all(b"\n")?;
            }
            FeedKind::FeodoCsv => {
                w.write_all(
                    b"################################################################\n\
                      # abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n\
                      # (synthetic, generated by kizuki gen feed)                    #\n\
                      ################################################################\n\
                      # \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n",
                )?;
            }
            FeedKind::FeodoJson => w.write_all(b"[\n")?,
            FeedKind::IpList => w.write_all(b"ip,timestamp\n")?,
        }
        for i in 0..self.rows {
            self.row(&mut rng, i, &mut w)?;
        }
        match self.kind {
            FeedKind::FeodoJson => w.write_all(b"\n]\n")?,
            FeedKind::FeodoCsv => writeln!(w, "# Number of entries: {}", self.rows)?,
            _ => {}
        }
        w.flush()
    }

    fn time(&self, rng: &mut ChaCha8Rng) -> (i64, String) {
        let t = self.start + rng.random_range(0..self.span_secs);
        let c = kizuki_event::Timestamp::from_unix(t).map(|t| t.to_civil());
        let s = c.map_or_else(String::new, |c| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            )
        });
        (t, s)
    }

    fn family(&self, rng: &mut ChaCha8Rng) -> &'static str {
        if rng.random_bool(self.emotet_share) {
            "emotet"
        } else {
            FAMILIES[rng.random_range(0..FAMILIES.len())]
        }
    }

    fn row(&self, rng: &mut ChaCha8Rng, i: u64, w: &mut dyn Write) -> io::Result<()> {
        let bad = self.bad_share > 0.0 && rng.random_bool(self.bad_share);
        let (asn, pfx, region, city) = NETWORKS[rng.random_range(0..NETWORKS.len())];
        let ip = format!(
            "{}.{}.{}.{}",
            pfx[0],
            pfx[1],
            rng.random_range(0..=255u8),
            rng.random_range(1..=254u8)
        );
        let (_, ts) = self.time(rng);
        let family = self.family(rng);
        let bad_kind = rng.random_range(0..3u8);
        match self.kind {
            FeedKind::Sinkhole | FeedKind::SinkholeHttp | FeedKind::Sinkhole6 => {
                let ip = if self.kind == FeedKind::Sinkhole6 {
                    format!(
                        "2001:db8:{:x}:{:x}::{:x}",
                        asn & 0xffff,
                        rng.random_range(0..0xffffu32),
                        rng.random_range(1..0xffffu32)
                    )
                } else {
                    ip
                };
                let (ip, port, ts) = match (bad, bad_kind) {
                    (true, 0) => (
                        format!("{ip}.7"),
                        rng.random_range(1024..65535u32).to_string(),
                        ts,
                    ),
                    (true, 1) => (ip, rng.random_range(70_000..99_999u32).to_string(), ts),
                    (true, _) => (
                        ip,
                        rng.random_range(1024..65535u32).to_string(),
                        "yesterday noon".to_owned(),
                    ),
                    _ => (ip, rng.random_range(1024..65535u32).to_string(), ts),
                };
                let sink = SINKHOLES[rng.random_range(0..SINKHOLES.len())];
                let dst_port = [80, 443, 8080, 7080][rng.random_range(0..4)];
                let infection = if family == "emotet" && rng.random_bool(0.3) {
                    "Emotet"
                } else {
                    family
                };
                write!(
                    w,
                    "\"{ts}\",\"tcp\",\"{ip}\",{port},{asn},\"JP\",\"{region}\",\"{city}\",,517311,\"Communications, Service Provider, and Hosting Service\",,,,\"medium\",\"{}.{}.{}.{}\",{dst_port},64496,\"US\",\"CALIFORNIA\",\"SAN FRANCISCO\",,518210,,\"sinkhole-{}\",\"{infection}\",\"{family}\",\"{family}\",,,{},,",
                    sink[0],
                    sink[1],
                    sink[2],
                    sink[3],
                    i % 7,
                    100_000 + i
                )?;
                if self.kind == FeedKind::SinkholeHttp {
                    let host = [
                        "gate.example.net",
                        "cdn-update.example.org",
                        "c2.example.com",
                    ][rng.random_range(0..3)];
                    write!(
                        w,
                        ",\"GET /{}/{:x} HTTP/1.1\",\"{host}\",\"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)\",,,\"PC-{:04}\"",
                        family,
                        rng.random::<u32>(),
                        i % 10_000
                    )?;
                }
                w.write_all(b"\n")
            }
            FeedKind::FeodoCsv | FeedKind::FeodoJson => {
                let port = [443, 8080, 7080, 2222, 995][rng.random_range(0..5)];
                let status = if rng.random_bool(0.3) {
                    "online"
                } else {
                    "offline"
                };
                let days = rng.random_range(1..400i64);
                let last = kizuki_event::Timestamp::from_unix(self.start + days * 86_400)
                    .map(|t| t.to_civil())
                    .map_or_else(String::new, |c| {
                        format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
                    });
                let name = match family {
                    "emotet" => "Emotet",
                    "qakbot" => "QakBot",
                    "trickbot" => "TrickBot",
                    _ => "Dridex",
                };
                let c2 = format!(
                    "{}.{}.{}.{}",
                    rng.random_range(11..=223u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(0..=255u8),
                    rng.random_range(1..=254u8)
                );
                if self.kind == FeedKind::FeodoCsv {
                    writeln!(
                        w,
                        "\"{ts}\",\"{c2}\",\"{port}\",\"{status}\",\"{last}\",\"{name}\""
                    )
                } else {
                    if i > 0 {
                        w.write_all(b",\n")?;
                    }
                    write!(
                        w,
                        "  {{\"ip_address\": \"{c2}\", \"port\": {port}, \"status\": \"{status}\", \"hostname\": null, \"as_number\": {}, \"as_name\": \"EXAMPLE-AS\", \"country\": \"US\", \"first_seen\": \"{ts}\", \"last_online\": \"{last}\", \"malware\": \"{name}\"}}",
                        64496 + (i % 10) as u32
                    )
                }
            }
            FeedKind::IpList => {
                // Japan time, as the 2021 lists were.
                let (t, _) = self.time(rng);
                let c = kizuki_event::Timestamp::from_unix(t + 9 * 3600).map(|t| t.to_civil());
                let jst = c.map_or_else(String::new, |c| {
                    format!(
                        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
                        c.year, c.month, c.day, c.hour, c.minute, c.second
                    )
                });
                let ip = if bad { format!("{ip}.1") } else { ip };
                writeln!(w, "{ip},{jst}")
            }
        }
    }
}

/// The current `event4_sinkhole` columns.
pub const SINKHOLE_HEADER: &str = "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"src_asn\",\"src_geo\",\"src_region\",\"src_city\",\"src_hostname\",\"src_naics\",\"src_sector\",\"device_vendor\",\"device_type\",\"device_model\",\"severity\",\"dst_ip\",\"dst_port\",\"dst_asn\",\"dst_geo\",\"dst_region\",\"dst_city\",\"dst_hostname\",\"dst_naics\",\"dst_sector\",\"public_source\",\"infection\",\"family\",\"tag\",\"application\",\"version\",\"event_id\",\"ssl_cipher\",\"ssl_servername\"";

/// The columns `event4_sinkhole_http` adds.
pub const HTTP_EXTRA_HEADER: &str =
    ",\"http_url\",\"http_host\",\"http_agent\",\"forwarded_by\",\"http_referer\",\"machine_name\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let make = |seed| {
            let mut v = Vec::new();
            Synth::new(FeedKind::SinkholeHttp, 50, seed)
                .write(&mut v)
                .unwrap();
            v
        };
        assert_eq!(make(7), make(7));
        assert_ne!(make(7), make(8));
    }
}
