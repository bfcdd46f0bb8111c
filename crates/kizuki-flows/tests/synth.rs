//! Correlation on generated logs: the matcher finds exactly the infected
//! hosts for a notice, and the bulk matcher exactly the generated contacts,
//! in every flow format the generator writes. The C2 list goes through the
//! real Feodo reader of kizuki-feeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_flows::synth::{
    Contact, FlowStream, SynthConfig, World, write_feodo_csv, write_inventory_csv, write_nfdump16,
    write_nfdump17, write_zeek_tsv,
};
use kizuki_flows::{
    AssetLookup, BulkMatcher, C2List, C2Options, FlowFormat, Inventory, Matcher, Query, ReadOptions,
};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Setup {
    _dir: tempfile::TempDir,
    world: World,
    contacts: Vec<Contact>,
    c2: C2List,
    inventory: Inventory,
    nfdump17_nat: PathBuf,
    nfdump17: PathBuf,
    nfdump16: PathBuf,
    zeek: PathBuf,
}

fn write(path: &Path, f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>)) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f(&mut w);
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let world = World::new(&SynthConfig::default());
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let p = |n: &str| dir.path().join(n);
    write(&p("feodo.csv"), |w| write_feodo_csv(&world, w).unwrap());
    write(&p("assets.csv"), |w| {
        write_inventory_csv(&world, w).unwrap()
    });
    write(&p("nat.csv"), |w| {
        write_nfdump17(FlowStream::new(&world), w, &jiff::tz::TimeZone::UTC, true).unwrap();
    });
    write(&p("plain.csv"), |w| {
        write_nfdump17(FlowStream::new(&world), w, &tokyo, false).unwrap();
    });
    write(&p("v16.csv"), |w| {
        write_nfdump16(FlowStream::new(&world), w, &tokyo).unwrap();
    });
    write(&p("conn.log"), |w| {
        write_zeek_tsv(FlowStream::new(&world), w).unwrap();
    });
    let contacts = FlowStream::new(&world).contacts().to_vec();

    // The C2 list, as kizuki-feeds reads the Feodo CSV.
    let srcs = kizuki_feeds::input::load(&p("feodo.csv")).unwrap();
    let mut events = Vec::new();
    for src in &srcs {
        kizuki_feeds::feodo::FeodoReader::new()
            .read(src, &kizuki_feeds::ReadContext::new(), &mut |b| {
                assert!(b.rejects.is_empty(), "{:?}", b.rejects);
                events.extend(b.events);
            })
            .unwrap();
    }
    let (c2, rejects) = C2List::from_events(&events, &C2Options::new());
    assert!(rejects.is_empty(), "{rejects:?}");
    let (inventory, inv_rejects) = Inventory::read_path(&p("assets.csv")).unwrap();
    assert!(inv_rejects.is_empty(), "{inv_rejects:?}");
    Setup {
        nfdump17_nat: p("nat.csv"),
        nfdump17: p("plain.csv"),
        nfdump16: p("v16.csv"),
        zeek: p("conn.log"),
        _dir: dir,
        world,
        contacts,
        c2,
        inventory,
    }
}

fn tokyo() -> ReadOptions {
    ReadOptions::new().zone_name("Asia/Tokyo").unwrap()
}

#[test]
fn the_feodo_round_trip_keeps_every_entry() {
    let s = setup();
    let mut want = s.world.c2.clone();
    want.sort_by_key(|e| (e.ip, e.port, e.valid_from));
    assert_eq!(s.c2.entries(), &want[..]);
    assert!(s.contacts.len() > 50);
}

#[test]
fn bulk_matches_are_exactly_the_contacts() {
    let s = setup();
    let want: BTreeSet<(IpAddr, i64, usize)> = s
        .contacts
        .iter()
        .map(|c| {
            let idx =
                s.c2.entries()
                    .iter()
                    .position(|e| {
                        e.ip == c.c2
                            && e.port == Some(c.port)
                            && e.valid_from <= c.at
                            && c.at <= e.valid_to
                    })
                    .unwrap();
            (c.host, c.at / 1_000_000, idx)
        })
        .collect();
    for (path, opts) in [
        (&s.nfdump17_nat, ReadOptions::new()),
        (&s.nfdump17, tokyo()),
        (&s.nfdump16, tokyo()),
        (&s.zeek, ReadOptions::new()),
    ] {
        let fmt = if path == &s.zeek {
            FlowFormat::Zeek
        } else {
            FlowFormat::Nfdump
        };
        let mut m = BulkMatcher::keeping(&s.c2);
        let summary = fmt.read_path(path, &opts, &mut m).unwrap();
        assert_eq!(
            summary.rejected,
            0,
            "{}: {:?}",
            path.display(),
            m.rejects.first()
        );
        assert_eq!(
            m.stats.matches as usize,
            s.contacts.len(),
            "{}",
            path.display()
        );
        let got: BTreeSet<(IpAddr, i64, usize)> = m
            .matches
            .iter()
            .map(|x| (x.src, x.start / 1_000_000, x.entry))
            .collect();
        assert_eq!(got, want, "{}", path.display());
    }
    // The threaded path finds the same.
    let f = std::fs::File::open(&s.nfdump17).unwrap();
    let name: Arc<str> = "plain.csv".into();
    let (stats, pairs, _) =
        kizuki_flows::bulk_match_nfdump(f, &name, &tokyo(), &s.c2, 3, true).unwrap();
    assert_eq!(stats.matches as usize, s.contacts.len());
    assert_eq!(pairs.len(), s.contacts.len());
}

/// The hosts a correct answer names: contacts overlapping the window, via
/// the public address when the log knows translations.
fn expected(s: &Setup, q: &Query, knows_nat: bool) -> BTreeSet<IpAddr> {
    let (from, to) = (q.at - q.window, q.at + q.window);
    s.contacts
        .iter()
        .filter(|c| c.at <= to && c.end >= from)
        .filter(|c| !knows_nat || Some(c.public) == q.public)
        .filter(|c| q.malware.as_ref().is_none_or(|m| *m == c.malware))
        .map(|c| c.host)
        .collect()
}

#[test]
fn a_notice_finds_exactly_the_infected_hosts() {
    let s = setup();
    let infected: BTreeSet<IpAddr> = s.contacts.iter().map(|c| c.host).collect();
    let mut checked = 0;
    for c in s.contacts.iter().step_by(7).take(12) {
        for malware in [None, Some(c.malware.to_uppercase())] {
            let q = Query {
                public: Some(c.public),
                at: c.at + 30_000_000,
                window: 120_000_000,
                malware: malware.clone(),
            };
            for (path, opts, knows_nat) in [
                (&s.nfdump17_nat, ReadOptions::new(), true),
                (&s.zeek, ReadOptions::new(), false),
            ] {
                let fmt = if path == &s.zeek {
                    FlowFormat::Zeek
                } else {
                    FlowFormat::Nfdump
                };
                let mut m = Matcher::new(&s.c2, q.clone());
                fmt.read_path(path, &opts, &mut m).unwrap();
                let report = m.finish(Some(&s.inventory));
                let got: BTreeSet<IpAddr> = report.candidates.iter().map(|x| x.host).collect();
                let mut q_lower = q.clone();
                q_lower.malware = q.malware.as_ref().map(|m| m.to_lowercase());
                assert_eq!(
                    got,
                    expected(&s, &q_lower, knows_nat),
                    "{} {q:?}",
                    path.display()
                );
                assert!(got.contains(&c.host));
                assert!(got.is_subset(&infected), "a clean host was named");
                for (i, cand) in report.candidates.iter().enumerate() {
                    assert_eq!(cand.rank as usize, i + 1);
                    assert!(!cand.public_source);
                    assert!(!cand.evidence.is_empty() && cand.evidence.len() <= 5);
                    let ev = &cand.evidence[0];
                    assert_eq!(ev.flow.src, cand.host);
                    assert!(ev.flow.line > 1);
                    assert_eq!(cand.asset, s.inventory.by_ip(cand.host));
                    assert_eq!(
                        cand.owner,
                        cand.asset.as_ref().and_then(|a| a.owner.clone())
                    );
                }
                // The host whose contact the notice is about comes first
                // when no other contact is nearer.
                if got.len() == 1 {
                    assert_eq!(report.candidates[0].host, c.host);
                    assert_eq!(
                        report.candidates[0].closest_us,
                        0.max(c.at + 30_000_000 - c.end)
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 48);
}

#[test]
fn a_notice_for_another_address_or_time_finds_nothing() {
    let s = setup();
    let c = &s.contacts[0];
    // Long before any contact.
    let q = Query {
        public: Some(c.public),
        at: s.world.span.0 - 86_400_000_000,
        window: 3_600_000_000,
        malware: None,
    };
    let mut m = Matcher::new(&s.c2, q);
    FlowFormat::Nfdump
        .read_path(&s.nfdump17_nat, &ReadOptions::new(), &mut m)
        .unwrap();
    assert!(m.finish(None).candidates.is_empty());
    // An address that is not the company's: every flow has a translation
    // to one of its own addresses.
    let q = Query {
        public: Some("192.0.2.99".parse().unwrap()),
        at: c.at,
        window: 3_600_000_000,
        malware: None,
    };
    let mut m = Matcher::new(&s.c2, q);
    FlowFormat::Nfdump
        .read_path(&s.nfdump17_nat, &ReadOptions::new(), &mut m)
        .unwrap();
    let r = m.finish(None);
    assert!(r.candidates.is_empty());
    assert!(r.other_public > 0);
}
