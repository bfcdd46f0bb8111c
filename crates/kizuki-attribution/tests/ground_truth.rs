//! On generated ISPs, attribution from the written logs agrees with the
//! ground truth for every observation: exact, shared, none and conflict.
//!
//! The logs go through the real path: files on disk, the readers with the
//! zones a user would give, the day partitions, the index, the subscriber
//! directory CSV and the deterministic NAT configuration.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_attribution::directory::{Directory, read_csv};
use kizuki_attribution::readers::{self, Format, ReadOptions, Source};
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::synth::{self, IspSpec};
use kizuki_attribution::{Assignments, Attributor, DetNat, Status};
use std::collections::BTreeMap;
use std::path::Path;

const DAY: i64 = 86_400;

fn day(s: &str) -> i64 {
    let d: jiff::civil::Date = s.parse().unwrap();
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
}

/// Imports what the generator wrote, in several runs (one per log), as a
/// user would.
fn import(dir: &Path, files: &synth::Files, db_dir: &Path, with_year: bool) -> Assignments {
    let mut db = Assignments::open(db_dir, SessionConfig::new()).unwrap();
    for imp in &files.imports {
        let format = Format::from_name(&imp.format).unwrap();
        // Yearless syslog: the year given (carried from file to file), or
        // each file's modification time.
        let year = imp.year.filter(|_| with_year);
        let opts = ReadOptions::new()
            .tz(jiff::tz::TimeZone::get(&imp.tz).unwrap())
            .year(year);
        let mut records = Vec::new();
        let mut end = None;
        for f in &imp.files {
            let src = Source::load(&dir.join(f)).unwrap();
            let opts = if year.is_some() {
                opts.clone().after(end)
            } else {
                opts.clone()
            };
            let out = readers::read(format, &src, &opts);
            assert!(
                out.rejects.is_empty(),
                "{f}: {:?}",
                &out.rejects[..out.rejects.len().min(5)]
            );
            end = out.syslog_end;
            records.extend(out.records);
        }
        db.import(records).unwrap();
    }
    db
}

fn check(spec: IspSpec, with_year: bool) -> BTreeMap<(String, String), u64> {
    let isp = synth::generate(&spec);
    let out = tempfile::tempdir().unwrap();
    let files = synth::write(&isp, out.path()).unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let db = import(out.path(), &files, db_dir.path(), with_year);
    let (rows, errors) = read_csv(
        "subscribers.csv",
        &std::fs::read(out.path().join("subscribers.csv")).unwrap(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let dir = Directory::new(rows.into_iter().flat_map(|r| {
        let id = r.id.clone();
        r.keys.into_iter().map(move |k| (k, id.clone()))
    }));
    let nats = vec![DetNat::new(&isp.nat).unwrap()];
    let att = Attributor::new(&db, &nats, &dir, 0);
    let mut tally: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (o, case, truth) in &isp.observations {
        let got = att.attribute(o);
        *tally
            .entry((format!("{case:?}"), truth.status.name().to_owned()))
            .or_default() += 1;
        if got.status != truth.status
            || got.subscribers != truth.subscribers
            || !got.unknown_keys.is_empty()
        {
            wrong.push(format!(
                "{case:?} {} port {:?} at {}: got {} {:?} {:?} ({}), truth {} {:?}",
                o.ip,
                o.port,
                jiff::Timestamp::from_second(o.time).unwrap(),
                got.status,
                got.subscribers,
                got.unknown_keys,
                got.reason,
                truth.status,
                truth.subscribers
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} observations disagree with the ground truth:\n{}",
        wrong.len(),
        isp.observations.len(),
        wrong[..wrong.len().min(15)].join("\n")
    );
    // The data holds what the test is meant to cover.
    let c = &isp.cases;
    assert!(
        c.across_midnight > 0 && c.lost_stops > 0 && c.nas_reboots == 1,
        "{c:?}"
    );
    assert!(
        c.ended_by_reboot > 0 && c.reused_addresses > 0 && c.ghosts > 0,
        "{c:?}"
    );
    for s in [
        Status::Exact,
        Status::Shared,
        Status::None,
        Status::Conflict,
    ] {
        assert!(
            tally.keys().any(|(_, st)| st == s.name()),
            "no {s} observation: {tally:?}"
        );
    }
    tally
}

#[test]
fn a_small_isp_agrees_with_the_ground_truth() {
    check(
        IspSpec {
            subscribers: 400,
            days: 3,
            start: day("2021-02-22"),
            cgnat_share: 0.4,
            seed: 1,
            observations: 4000,
            ghosts: 6,
        },
        true,
    );
}

#[test]
fn across_the_autumn_dst_change_too() {
    // Europe/Berlin repeats 02:00-03:00 on 2021-10-31; the Berlin RADIUS
    // server logs local times only.
    let isp = synth::generate(&IspSpec {
        subscribers: 300,
        days: 3,
        start: day("2021-10-30"),
        cgnat_share: 0.3,
        seed: 7,
        observations: 3000,
        ghosts: 4,
    });
    assert!(isp.cases.across_dst > 0, "{:?}", isp.cases);
    check(
        IspSpec {
            subscribers: 300,
            days: 3,
            start: day("2021-10-30"),
            cgnat_share: 0.3,
            seed: 7,
            observations: 3000,
            ghosts: 4,
        },
        false,
    );
}

#[test]
fn other_seeds_and_shares() {
    // Across New Year, with the syslog year given and without.
    for (seed, share, with_year) in [
        (11, 0.0, true),
        (12, 0.9, true),
        (12, 0.9, false),
        (13, 0.5, false),
    ] {
        let tally = check(
            IspSpec {
                subscribers: 250,
                days: 2,
                start: day("2021-12-31") - DAY,
                cgnat_share: share,
                seed,
                observations: 2000,
                ghosts: 3,
            },
            with_year,
        );
        eprintln!("seed {seed} share {share}: {tally:?}");
    }
}
