//! The generator around the NAS reboot: what it writes and what it takes
//! the logs to say must be the same thing, by kizuki's rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::directory::{Directory, read_csv};
use crate::readers::{self, Format, ReadOptions, Source};
use crate::session::SessionConfig;
use crate::synth::write;
use crate::{Assignments, Attributor, DetNat, Status};

const START: i64 = 1_613_952_000; // 2021-02-22

fn sub(kind: SubKind) -> Sub {
    Sub {
        id: "S0000000".into(),
        kind,
        nas: REBOOTING_NAS,
        v6: 0,
        static_net: 0,
        mac: [0; 6],
    }
}

/// The bug `kizuki bench isp` found at 1M subscribers: a subscriber of the
/// rebooting NAS came on line between the reboot and the Accounting-On 30 s
/// later. Its Start came before the Accounting-On, which (in the logs)
/// ended it, but its Interim-Updates went on after it.
#[test]
fn no_session_starts_on_a_nas_while_it_reboots() {
    let spec = IspSpec {
        days: 1,
        start: START,
        ..IspSpec::default()
    };
    let reboot = START + 43_200;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let (mut during, mut after, mut rebooted) = (0, 0, 0);
    for kind in [SubKind::Pppoe, SubKind::PortBlock, SubKind::DetNat] {
        let s = sub(kind);
        for i in 0..3000 {
            for p in periods(&mut rng, i, &s, &spec, reboot, 1800.0) {
                if (reboot..reboot + 30).contains(&p.start) {
                    during += 1;
                }
                if (reboot + 30..reboot + 60).contains(&p.start) {
                    after += 1;
                }
                rebooted += u32::from(p.rebooted);
            }
        }
    }
    assert!(rebooted > 0 && after > 0, "{rebooted} {after}");
    assert_eq!(during, 0, "sessions started while the NAS was down");
}

/// The same case by hand, through the logs: a session that started before
/// the Accounting-On, lost its Stop, and wrote Interim-Updates after the
/// Accounting-On. Each of them opens the session again from its start
/// (Acct-Session-Time), so the logs say it ran to its last record plus
/// grace, and a shared address lists its subscriber until then.
#[test]
fn session_started_before_the_accounting_on_with_a_lost_stop_runs_on_after_it() {
    let spec = IspSpec {
        subscribers: 1,
        days: 1,
        start: START,
        observations: 0,
        ghosts: 0,
        ..IspSpec::default()
    };
    let end_all = START + 86_400;
    let reboot = START + 43_200;
    let s = sub(SubKind::DetNat);
    let inside = 0x6478_0005; // 100.120.0.5
    let p = Period {
        sub: 0,
        start: reboot + 3,
        end: reboot + 3 + 3 * 3600 + 1000,
        lost: true,
        rebooted: false,
    };
    let mut radius = Vec::new();
    let mut cases = Cases::default();
    let logged = session(&p, &s, inside, 1, reboot, end_all, &mut radius, &mut cases);
    // Interim-Updates at +1 h, +2 h and +3 h, then nothing.
    assert_eq!(logged, p.start + 3 * 3600 + GRACE);
    radius.push(RadEv::accounting_on(reboot + 30));
    radius.sort_by_key(|e| (e.t, e.session, e.kind));
    let spans = vec![Span {
        kind: SpanKind::Session,
        addr: ip(inside),
        len: 32,
        lo: 0,
        hi: u16::MAX,
        start: p.start,
        end: logged,
        sub: 0,
        inside: 0,
    }];
    // 64 inside addresses behind one outside address.
    let nat = DetNatConfig {
        name: Some("detnat-1".into()),
        inside: "100.120.0.0/26".into(),
        outside: "14.0.0.0/32".into(),
        ports_per_host: PORTS_PER_BLOCK,
        first_port: FIRST_PORT,
        valid_from: None,
        valid_until: None,
    };
    let index = TruthIndex::new(&spans, std::slice::from_ref(&s), &nat);
    let at = |time: i64| Observation {
        ip: ip(0x0e00_0000),
        port: None,
        time,
    };
    let observations: Vec<(Observation, Case, Truth)> =
        [reboot + 10, reboot + 2 * 3600, logged - 1, logged]
            .into_iter()
            .map(|t| {
                let o = at(t);
                let truth = index.truth(&spans, &o, 0);
                (o, Case::DetNat, truth)
            })
            .collect();
    let who: Vec<Vec<String>> = observations
        .iter()
        .map(|(_, _, t)| t.subscribers.clone())
        .collect();
    let s0 = vec!["S0000000".to_owned()];
    assert_eq!(who, [s0.clone(), s0.clone(), s0, Vec::new()]);

    // What kizuki reads in the logs the generator writes.
    let isp = Isp {
        spec,
        subs: vec![s],
        radius,
        kea: Vec::new(),
        pba: [Vec::new(), Vec::new(), Vec::new()],
        spans,
        nat,
        observations,
        cases,
    };
    let out = tempfile::tempdir().unwrap();
    let files = write(&isp, out.path()).unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let mut db = Assignments::open(db_dir.path(), SessionConfig::new()).unwrap();
    for imp in &files.imports {
        assert_eq!(imp.format, "radius-detail");
        let opts = ReadOptions::new().tz(jiff::tz::TimeZone::get(&imp.tz).unwrap());
        for f in &imp.files {
            let src = Source::load(&out.path().join(f)).unwrap();
            let r = readers::read(Format::RadiusDetail, &src, &opts);
            assert!(r.rejects.is_empty(), "{:?}", r.rejects);
            db.import(r.records).unwrap();
        }
    }
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
    for (o, _, truth) in &isp.observations {
        let got = att.attribute(o);
        assert_eq!(got.status, Status::Shared, "{o:?}");
        assert_eq!(
            (got.status, &got.subscribers),
            (truth.status, &truth.subscribers),
            "at {}: {}",
            o.time - reboot,
            got.reason
        );
    }
}
