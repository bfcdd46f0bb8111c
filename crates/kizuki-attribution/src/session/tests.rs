//! The state machines on small hand-made days.

use super::*;
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind};
use std::net::IpAddr;

const D: i64 = 1_614_038_400; // 2021-02-23T00:00:00Z

fn h(s: &str) -> i64 {
    // "HH:MM" on day D (or "+1 HH:MM" on the next day)
    let (day, hm) = match s.strip_prefix("+1 ") {
        Some(rest) => (1, rest),
        None => (0, s),
    };
    let (hh, mm) = hm.split_once(':').unwrap();
    D + day * DAY + hh.parse::<i64>().unwrap() * 3600 + mm.parse::<i64>().unwrap() * 60
}

fn rec(kind: SourceKind, action: Action, t: &str, session: u64, who: &str, line: u64) -> LogRecord {
    LogRecord {
        time: h(t),
        source: kind,
        action,
        session,
        group: session / 100,
        net: Net::host(IpAddr::from([100, 64, 0, (session % 100) as u8])),
        ports: Ports::ALL,
        holder: Holder::user(who),
        start: None,
        end: None,
        interim: None,
        at: RecordRef {
            file: "f".into(),
            line,
        },
    }
}

/// Runs a day on log records.
fn run_day(
    kind: SourceKind,
    carry: &Carry,
    recs: &[LogRecord],
    a: i64,
    b: i64,
    c: &SessionConfig,
) -> (Vec<crate::record::Interval>, DayOutput) {
    // Holders seen on earlier days resolve what those days carried in.
    thread_local! {
        static HOLDERS: std::cell::RefCell<rustc_hash::FxHashMap<u64, Holder>> = Default::default();
    }
    HOLDERS.with(|h| super::run_day_records(kind, carry, recs, a, b, c, &mut h.borrow_mut()))
}

fn spans(out: &(Vec<crate::record::Interval>, DayOutput)) -> Vec<(String, String, String)> {
    let f = |t: i64| {
        let d = (t - D).div_euclid(DAY);
        let s = (t - D).rem_euclid(DAY);
        let hm = format!("{:02}:{:02}", s / 3600, (s % 3600) / 60);
        if d == 0 { hm } else { format!("{d:+} {hm}") }
    };
    let mut v: Vec<_> = out
        .0
        .iter()
        .map(|i| (i.holder.to_string(), f(i.start), f(i.end)))
        .collect();
    v.sort();
    v
}

fn s(holder: &str, a: &str, b: &str) -> (String, String, String) {
    (format!("user:{holder}"), a.into(), b.into())
}

const R: SourceKind = SourceKind::Radius;

#[test]
fn start_interim_stop() {
    let recs = vec![
        rec(R, Action::Start, "10:00", 101, "a", 1),
        rec(R, Action::Interim, "11:00", 101, "a", 2),
        rec(R, Action::Stop, "11:30", 101, "a", 3),
    ];
    let out = run_day(
        R,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(spans(&out), [s("a", "10:00", "11:30")]);
    assert!(out.1.carry.open.is_empty());
    assert_eq!(out.1.anomalies, Anomalies::default());
}

#[test]
fn a_session_across_midnight_is_split_at_midnight_and_carried() {
    let day1 = vec![
        rec(R, Action::Start, "23:00", 101, "a", 1),
        rec(R, Action::Interim, "23:30", 101, "a", 2),
    ];
    let c = SessionConfig::new();
    let out1 = run_day(R, &Carry::default(), &day1, D, D + DAY, &c);
    // Last record 23:30 plus one interim interval (30 min) reaches midnight.
    assert_eq!(spans(&out1), [s("a", "23:00", "+1 00:00")]);
    assert_eq!(out1.1.carry.open.len(), 1);
    let day2 = vec![rec(R, Action::Stop, "+1 00:40", 101, "a", 3)];
    let out2 = run_day(R, &out1.1.carry, &day2, D + DAY, D + 2 * DAY, &c);
    assert_eq!(spans(&out2), [s("a", "+1 00:00", "+1 00:40")]);
    assert!(out2.1.carry.open.is_empty());
}

#[test]
fn a_missing_stop_ends_one_interim_after_the_last_record() {
    let recs = vec![
        rec(R, Action::Start, "10:00", 101, "a", 1),
        rec(R, Action::Interim, "11:00", 101, "a", 2),
        rec(R, Action::Interim, "12:00", 101, "a", 3),
        // A session with no interim: known only at its start.
        rec(R, Action::Start, "14:00", 102, "b", 4),
    ];
    let out = run_day(
        R,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(
        spans(&out),
        [
            s("a", "10:00", "13:00"),
            ("user:b".into(), "14:00".into(), "14:00".into())
        ]
    );
    assert_eq!(out.1.anomalies.missing_stop, 2);
    // A configured grace wins.
    let out = run_day(
        R,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new().grace(Some(600)),
    );
    assert_eq!(spans(&out)[0], s("a", "10:00", "12:10"));
}

#[test]
fn a_nas_reboot_ends_its_sessions_only() {
    // Sessions 101 and 102 are on NAS 1, session 201 on NAS 2.
    let mut recs = vec![
        rec(R, Action::Start, "10:00", 101, "a", 1),
        rec(R, Action::Start, "10:05", 102, "b", 2),
        rec(R, Action::Start, "10:10", 201, "c", 3),
        rec(R, Action::Reset, "15:00", 100, "", 4),
        rec(R, Action::Stop, "16:00", 201, "c", 5),
    ];
    recs[3].group = 1;
    let out = run_day(
        R,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(
        spans(&out),
        [
            s("a", "10:00", "15:00"),
            s("b", "10:05", "15:00"),
            s("c", "10:10", "16:00")
        ]
    );
    assert_eq!(out.1.anomalies.ended_by_reset, 2);
}

#[test]
fn a_stop_without_start_uses_the_session_time() {
    let mut stop = rec(R, Action::Stop, "12:00", 101, "a", 1);
    stop.start = Some(h("09:30"));
    let out = run_day(
        R,
        &Carry::default(),
        &[stop],
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(spans(&out), [s("a", "09:30", "12:00")]);
    assert_eq!(out.1.anomalies.stop_without_start, 1);
}

#[test]
fn a_late_interim_revives_a_stale_session_and_covers_the_gap() {
    let c = SessionConfig::new();
    let day1 = vec![
        rec(R, Action::Start, "08:00", 101, "a", 1),
        rec(R, Action::Interim, "09:00", 101, "a", 2),
    ];
    let out1 = run_day(R, &Carry::default(), &day1, D, D + DAY, &c);
    assert_eq!(spans(&out1), [s("a", "08:00", "10:00")]);
    let day2 = vec![rec(R, Action::Stop, "+1 02:00", 101, "a", 3)];
    let out2 = run_day(R, &out1.1.carry, &day2, D + DAY, D + 2 * DAY, &c);
    assert_eq!(spans(&out2), [s("a", "09:00", "+1 02:00")]);
}

const K: SourceKind = SourceKind::Kea4;

fn lease(t: &str, end: &str, session: u64, who: &str, line: u64) -> LogRecord {
    let mut r = rec(K, Action::Lease, t, session, who, line);
    r.start = Some(h(t));
    r.end = Some(h(end));
    r
}

#[test]
fn leases_renew_end_and_change_hands() {
    let recs = vec![
        lease("08:00", "10:00", 1, "a", 1),
        lease("09:00", "11:00", 1, "a", 2),       // renewal
        rec(K, Action::Stop, "10:30", 1, "a", 3), // release
        lease("10:45", "12:45", 1, "b", 4),       // new client
        lease("12:00", "14:00", 1, "c", 5),       // taken over early
        lease("20:00", "+1 04:00", 1, "c", 6),    // after a gap
    ];
    let out = run_day(
        K,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(
        spans(&out),
        [
            s("a", "08:00", "10:30"),
            s("b", "10:45", "12:00"),
            s("c", "12:00", "14:00"),
            s("c", "20:00", "+1 00:00"),
        ]
    );
    assert_eq!(out.1.anomalies.taken_over, 1);
    let out2 = run_day(
        K,
        &out.1.carry,
        &[],
        D + DAY,
        D + 2 * DAY,
        &SessionConfig::new(),
    );
    assert_eq!(spans(&out2), [s("c", "+1 00:00", "+1 04:00")]);
    assert!(out2.1.carry.open.is_empty());
}

#[test]
fn a_late_release_by_an_earlier_client_leaves_the_current_lease_alone() {
    // Kea reclaims an expired lease on its own schedule: the expiry of
    // a's lease can be written after b got the address.
    let recs = vec![
        lease("08:00", "10:00", 1, "a", 1),
        lease("10:00", "12:00", 1, "b", 2),
        rec(K, Action::Stop, "10:00", 1, "a", 3),
        rec(K, Action::Stop, "11:00", 1, "b", 4),
    ];
    let out = run_day(
        K,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(
        spans(&out),
        [s("a", "08:00", "10:00"), s("b", "10:00", "11:00")]
    );
    assert_eq!(out.1.anomalies.release_without_lease, 1);
}

#[test]
fn parallel_days_equal_serial_ones() {
    // Sessions on three NASes with a reset of one, leases, across two days.
    let mut recs = Vec::new();
    for s in 0..300u64 {
        let t = format!("{:02}:{:02}", (s / 60) % 24, s % 60);
        recs.push(rec(R, Action::Start, &t, 1000 + s, &format!("u{s}"), s));
        if s % 3 != 0 {
            let t2 = format!("{:02}:{:02}", (s / 60 + 2) % 24, s % 60);
            recs.push(rec(
                R,
                Action::Stop,
                &t2,
                1000 + s,
                &format!("u{s}"),
                1000 + s,
            ));
        }
    }
    let mut reset = rec(R, Action::Reset, "03:30", 1, "", 5000);
    reset.group = 12;
    recs.push(reset);
    super::sort_records(&mut recs);
    let c = SessionConfig::new();
    let rs: Vec<Rec> = recs.iter().map(Rec::from_record).collect();
    let one = super::run_day(R, &Carry::default(), rs.iter().copied(), D, D + DAY, &c);
    for threads in [2, 3, 7] {
        let many = super::run_day_parallel(
            R,
            &Carry::default(),
            |_| rs.iter().copied(),
            D,
            D + DAY,
            &c,
            threads,
        );
        let mut a = one.spans.clone();
        let mut b = many.spans.clone();
        let key = |s: &Span| (s.net, s.start, s.end, s.holder);
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b, "{threads} threads");
        assert_eq!(one.carry, many.carry);
        assert_eq!(one.anomalies, many.anomalies);
    }
    assert!(one.anomalies.ended_by_reset > 0);
}

/// A spurious Accounting-On ends a session that goes on: its next interim
/// opens it again, and when its Stop is then lost it still lasts one
/// interim interval past its last record, the interval it had before.
#[test]
fn a_session_continued_after_a_reset_keeps_its_interval() {
    let mut recs = vec![
        rec(R, Action::Start, "10:00", 101, "a", 1),
        rec(R, Action::Interim, "10:05", 101, "a", 2),
        rec(R, Action::Interim, "10:10", 101, "a", 3),
        rec(R, Action::Reset, "10:12", 100, "", 4),
        rec(R, Action::Interim, "10:15", 101, "a", 5),
    ];
    recs[3].group = 1;
    let out = run_day(
        R,
        &Carry::default(),
        &recs,
        D,
        D + DAY,
        &SessionConfig::new(),
    );
    assert_eq!(
        spans(&out),
        [s("a", "10:00", "10:12"), s("a", "10:15", "10:20")]
    );

    // The same across midnight: the reset on one day, the interim on the
    // next.
    let mut day1 = vec![
        rec(R, Action::Start, "23:30", 101, "a", 1),
        rec(R, Action::Interim, "23:35", 101, "a", 2),
        rec(R, Action::Interim, "23:40", 101, "a", 3),
        rec(R, Action::Reset, "23:50", 100, "", 4),
    ];
    day1[3].group = 1;
    let c = SessionConfig::new();
    let first = run_day(R, &Carry::default(), &day1, D, D + DAY, &c);
    let day2 = vec![rec(R, Action::Interim, "+1 00:02", 101, "a", 1)];
    let second = run_day(R, &first.1.carry, &day2, D + DAY, D + 2 * DAY, &c);
    assert_eq!(spans(&second), [s("a", "+1 00:02", "+1 00:07")]);
    // A Start is a new session: it does not inherit the old interval.
    let mut fresh = day1.clone();
    fresh.push(rec(R, Action::Start, "23:55", 101, "a", 5));
    let out = run_day(R, &Carry::default(), &fresh, D, D + DAY, &c);
    assert_eq!(spans(&out).last().unwrap(), &s("a", "23:55", "23:55"));
}
