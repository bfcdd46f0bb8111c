//! The assignments database: imports add, never duplicate, never depend on
//! how files were grouped into runs, and never rewrite days before the new
//! records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_attribution::index::Hit;
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::{
    Action, Assignments, Holder, LogRecord, Net, Ports, RecordRef, SourceKind,
};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

const D0: i64 = 1_614_038_400; // 2021-02-23T00:00:00Z

/// A few days of RADIUS sessions and port blocks, some across midnight,
/// some without a Stop, with a NAS reboot; split into "files".
fn world(seed: u64) -> Vec<Vec<LogRecord>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut files: Vec<Vec<LogRecord>> = vec![Vec::new(); 6];
    for s in 0..300u64 {
        let user = format!("u{}", s % 120);
        let ip: IpAddr = IpAddr::from([100, 64, 0, (s % 40) as u8]);
        let nas = s % 3;
        let mut t = D0 + rng.random_range(0..3 * 86_400);
        let file = rng.random_range(0..files.len());
        let rec = |action, t: i64, line: u64| LogRecord {
            time: t,
            source: SourceKind::Radius,
            action,
            session: s,
            group: nas,
            net: Net::host(ip),
            ports: Ports::ALL,
            holder: Holder::user(&user),
            start: None,
            end: None,
            interim: Some(1800),
            at: RecordRef {
                file: format!("detail-{file}").into(),
                line,
            },
        };
        files[file].push(rec(Action::Start, t, s * 10));
        for k in 0..rng.random_range(0..5) {
            t += 1800;
            files[file].push(rec(Action::Interim, t, s * 10 + 1 + k));
        }
        if rng.random_bool(0.8) {
            files[file].push(rec(Action::Stop, t + rng.random_range(1..1800), s * 10 + 9));
        }
    }
    // A NAS reboot on the second day.
    files[0].push(LogRecord {
        time: D0 + 86_400 + 40_000,
        source: SourceKind::Radius,
        action: Action::Reset,
        session: 1,
        group: 1,
        net: Net::host(IpAddr::from([0, 0, 0, 0])),
        ports: Ports::ALL,
        holder: Holder::Key("".into()),
        start: None,
        end: None,
        interim: None,
        at: RecordRef {
            file: "detail-0".into(),
            line: 99_999,
        },
    });
    files
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != ".lock" {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn import(dir: &Path, files: &[Vec<LogRecord>]) {
    let mut db = Assignments::open(dir, SessionConfig::new()).unwrap();
    db.import(files.concat()).unwrap();
}

#[test]
fn importing_twice_changes_nothing() {
    let files = world(1);
    let a = tempfile::tempdir().unwrap();
    import(a.path(), &files);
    let first = snapshot(a.path());
    import(a.path(), &files);
    assert_eq!(snapshot(a.path()), first);
    // And a file again on its own.
    import(a.path(), &files[2..3]);
    assert_eq!(snapshot(a.path()), first);
}

#[test]
fn runs_and_their_order_do_not_matter() {
    let files = world(2);
    let together = tempfile::tempdir().unwrap();
    import(together.path(), &files);
    let want = snapshot(together.path());
    // One file per run, in two different orders.
    for order in [vec![0, 1, 2, 3, 4, 5], vec![5, 3, 1, 0, 4, 2]] {
        let split = tempfile::tempdir().unwrap();
        for i in order {
            import(split.path(), &files[i..=i]);
        }
        let got = snapshot(split.path());
        let differ: Vec<&String> = want
            .keys()
            .chain(got.keys())
            .filter(|k| want.get(*k) != got.get(*k))
            .collect();
        assert!(differ.is_empty(), "differ: {differ:?}");
    }
}

#[test]
fn a_new_day_does_not_rewrite_old_days() {
    let all = world(3).concat();
    let (early, late): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| r.time < D0 + 2 * 86_400);
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), &[early]);
    let before = snapshot(dir.path());
    import(dir.path(), &[late]);
    let after = snapshot(dir.path());
    for (k, v) in &before {
        if k.contains("2021-02-23") || k.contains("2021-02-24") {
            assert_eq!(after.get(k), Some(v), "{k} was rewritten");
        }
    }
    // And the result is the same as importing everything at once.
    let together = tempfile::tempdir().unwrap();
    import(together.path(), &[world(3).concat()]);
    assert!(snapshot(together.path()) == after);
}

#[test]
fn queries_find_who_held_an_address() {
    let files = world(4);
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), &files);
    let db = Assignments::open(dir.path(), SessionConfig::new()).unwrap();
    // Compare with a plain scan of the intervals the state machine emits
    // on all records at once, day by day.
    let mut recs = files.concat();
    kizuki_attribution::session::sort_records(&mut recs);
    let mut carry = Default::default();
    let mut intervals = Vec::new();
    let mut holders = Default::default();
    for d in 0..4 {
        let (a, b) = (D0 + d * 86_400, D0 + (d + 1) * 86_400);
        let day: Vec<LogRecord> = recs
            .iter()
            .filter(|r| r.time >= a && r.time < b)
            .cloned()
            .collect();
        let (ivs, out) = kizuki_attribution::session::run_day_records(
            SourceKind::Radius,
            &carry,
            &day,
            a,
            b,
            &SessionConfig::new(),
            &mut holders,
        );
        intervals.extend(ivs);
        carry = out.carry;
    }
    assert!(intervals.len() > 200);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut hits: Vec<Hit> = Vec::new();
    for _ in 0..2000 {
        let ip: IpAddr = IpAddr::from([100, 64, 0, rng.random_range(0..42u8)]);
        let t = D0 + rng.random_range(0..4 * 86_400);
        hits.clear();
        db.query(ip, t, t + 1, &mut hits);
        let mut got: Vec<String> = hits.iter().map(|h| h.holder.to_string()).collect();
        got.sort();
        got.dedup();
        let mut want: Vec<String> = intervals
            .iter()
            .filter(|i| i.net.addr == ip && i.start <= t && t < i.end)
            .map(|i| i.holder.to_string())
            .collect();
        want.sort();
        want.dedup();
        assert_eq!(got, want, "{ip} at {t}");
    }
}

/// Reading a port-block log straight into a batch gives what reading its
/// records and making a batch of them gives: the same database files, the
/// same rejects, notes and counts.
#[test]
fn batches_read_row_by_row_equal_batches_of_records() {
    use kizuki_attribution::Batch;
    use kizuki_attribution::readers::{self, Format, ReadOptions, Source};
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let opts = ReadOptions::new().year(Some(2021));
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut direct = Vec::new();
    let mut via_records = Vec::new();
    let mut files = 0;
    for (format, folder) in [
        (Format::PbaJuniper, "pba-juniper"),
        (Format::PbaA10, "pba-a10"),
        (Format::PbaNfware, "pba-nfware"),
        (Format::KeaLease4, "kea-lease4"),
        (Format::RadiusDetail, "radius-detail"),
    ] {
        let mut logs: Vec<_> = std::fs::read_dir(data.join(folder))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "log" || x == "csv" || x == "detail")
            })
            .collect();
        logs.sort();
        for log in logs {
            let src = Source::load(&log).unwrap();
            let (batch, out) = Batch::read(format, &src, &opts).unwrap();
            let whole = readers::read(format, &src, &opts);
            assert!(out.records.is_empty());
            assert_eq!(batch.len(), whole.records.len(), "{}", log.display());
            assert_eq!(
                format!("{:?}", (&out.rejects, &out.notes, out.read, out.syslog_end)),
                format!(
                    "{:?}",
                    (&whole.rejects, &whole.notes, whole.read, whole.syslog_end)
                ),
                "{}",
                log.display()
            );
            direct.push(batch);
            via_records.push(Batch::new(format.kind(), &whole.records).unwrap());
            files += 1;
        }
    }
    assert!(files >= 10, "{files} logs");
    let mut da = Assignments::open(a.path(), SessionConfig::new()).unwrap();
    let sa = da.import_batches(direct).unwrap();
    let mut db = Assignments::open(b.path(), SessionConfig::new()).unwrap();
    let sb = db.import_batches(via_records).unwrap();
    assert!(sa.records_added > 0);
    assert_eq!(sa.records_added, sb.records_added);
    assert_eq!(snapshot(a.path()), snapshot(b.path()));
}
