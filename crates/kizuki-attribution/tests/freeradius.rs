//! A real peer: FreeRADIUS (Debian's `freeradius`, started on 127.0.0.1 by
//! `.ci/services/freeradius.sh`) receives Start, Interim-Update, Stop and
//! Accounting-On packets from `radclient` and writes its `detail` file;
//! kizuki imports what the server wrote and answers from it.
//!
//! The packets carry Acct-Delay-Time, so that the server's own `Timestamp`
//! less the delay places the events over the last two hours: kizuki's
//! reading of the server's times is checked, not only its parsing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_attribution::readers::{self, Format, ReadOptions, Source};
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::{Action, Assignments, Attributor, DetNat, Observation, Status};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Server {
    addr: String,
    secret: String,
    detail: PathBuf,
}

fn server() -> Option<Server> {
    match (
        std::env::var("KIZUKI_TEST_RADIUS"),
        std::env::var("KIZUKI_TEST_RADIUS_SECRET"),
        std::env::var("KIZUKI_TEST_RADIUS_DETAIL"),
    ) {
        (Ok(addr), Ok(secret), Ok(detail)) => Some(Server {
            addr,
            secret,
            detail: detail.into(),
        }),
        _ => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_RADIUS is not set: run .ci/services/freeradius.sh"
            );
            eprintln!("skipped: no test RADIUS server (run .ci/services/freeradius.sh)");
            None
        }
    }
}

fn send(s: &Server, attrs: &str) {
    let mut child = Command::new("radclient")
        .args(["-r", "3", "-t", "2", &s.addr, "acct", &s.secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient runs (Debian's freeradius-utils)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(attrs.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "radclient refused:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kizuki_reads_what_freeradius_writes() {
    let Some(s) = server() else {
        return;
    };
    // Addresses and ids of this run only: the detail file is shared.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u32;
    let nas = format!("198.18.{}.{}", (nonce >> 8) & 0xff, nonce & 0xff);
    let a: IpAddr = format!("100.65.{}.{}", (nonce >> 16) & 0xff, nonce & 0xff)
        .parse()
        .unwrap();
    let b: IpAddr = format!("100.66.{}.{}", (nonce >> 16) & 0xff, nonce & 0xff)
        .parse()
        .unwrap();
    let (user_a, user_b) = (
        format!("alice-{nonce}@isp.example"),
        format!("bob-{nonce}@isp.example"),
    );
    let common = |user: &str, sid: &str, ip: IpAddr| {
        format!(
            "User-Name = \"{user}\"\nAcct-Session-Id = \"{sid}\"\nNAS-IP-Address = {nas}\nFramed-IP-Address = {ip}\n"
        )
    };
    // Alice: from two hours ago to ten minutes ago. Bob: from half an hour
    // ago, never stopped; the NAS reboots now.
    send(
        &s,
        &format!(
            "Acct-Status-Type = Start\nAcct-Delay-Time = 7200\nAcct-Interim-Interval = 3600\n{}",
            common(&user_a, "A1", a)
        ),
    );
    send(
        &s,
        &format!(
            "Acct-Status-Type = Interim-Update\nAcct-Delay-Time = 3600\nAcct-Session-Time = 3600\n{}",
            common(&user_a, "A1", a)
        ),
    );
    send(
        &s,
        &format!(
            "Acct-Status-Type = Stop\nAcct-Delay-Time = 600\nAcct-Session-Time = 6600\nAcct-Terminate-Cause = User-Request\n{}",
            common(&user_a, "A1", a)
        ),
    );
    send(
        &s,
        &format!(
            "Acct-Status-Type = Start\nAcct-Delay-Time = 1800\n{}Delegated-IPv6-Prefix = 2001:db8:{:x}::/56\n",
            common(&user_b, "B1", b),
            nonce & 0xffff
        ),
    );
    send(
        &s,
        &format!("Acct-Status-Type = Accounting-On\nNAS-IP-Address = {nas}\n"),
    );

    // What the server wrote, as kizuki reads it.
    let mut records = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&s.detail)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in &files {
        let out = readers::read(
            Format::RadiusDetail,
            &Source::load(f).unwrap(),
            &ReadOptions::new(),
        );
        assert!(out.rejects.is_empty(), "{:?}", out.rejects);
        records.extend(out.records);
    }
    let ours: Vec<_> = records
        .iter()
        .filter(|r| r.holder.to_string().contains(&nonce.to_string()))
        .collect();
    // Our Accounting-On: the first after Bob's Start in the same file.
    let bob = ours
        .iter()
        .find(|r| r.holder.to_string().contains("bob"))
        .unwrap();
    let reset = records
        .iter()
        .filter(|r| {
            r.action == Action::Reset && r.at.file == bob.at.file && r.at.line > bob.at.line
        })
        .map(|r| r.time)
        .next()
        .unwrap();
    let alice: Vec<_> = ours
        .iter()
        .filter(|r| r.holder.to_string().contains("alice"))
        .collect();
    assert_eq!(alice.len(), 3, "{ours:?}");
    assert_eq!(
        alice.iter().map(|r| r.action).collect::<Vec<_>>(),
        [Action::Start, Action::Interim, Action::Stop]
    );
    // The server's Timestamp less Acct-Delay-Time.
    let start = alice[0].time;
    assert!((alice[1].time - start - 3600).abs() <= 2, "{alice:?}");
    assert!((alice[2].time - start - 6600).abs() <= 2, "{alice:?}");
    assert_eq!(alice[2].start, Some(alice[2].time - 6600));

    let dir = tempfile::tempdir().unwrap();
    let mut db = Assignments::open(dir.path(), SessionConfig::new()).unwrap();
    db.import(records.clone()).unwrap();
    let dirx = kizuki_attribution::directory::Directory::new([
        (format!("user:{user_a}"), "A".to_string()),
        (format!("user:{user_b}"), "B".to_string()),
    ]);
    let nats: Vec<DetNat> = Vec::new();
    let att = Attributor::new(&db, &nats, &dirx, 0);
    let ask = |ip: IpAddr, t: i64| {
        att.attribute(&Observation {
            ip,
            port: None,
            time: t,
        })
    };
    let now = reset;
    let r = ask(a, now - 5400);
    assert_eq!(
        (r.status, r.subscribers.clone()),
        (Status::Exact, vec!["A".to_string()]),
        "{r:?}"
    );
    assert_eq!(ask(a, now - 300).status, Status::None);
    let r = ask(b, now - 60);
    assert_eq!(
        (r.status, r.subscribers.clone()),
        (Status::Exact, vec!["B".to_string()]),
        "{r:?}"
    );
    let v6: IpAddr = format!("2001:db8:{:x}::99", nonce & 0xffff)
        .parse()
        .unwrap();
    assert_eq!(ask(v6, now - 60).subscribers, ["B"]);
    // The NAS reboot ended Bob's session.
    assert_eq!(ask(b, now + 5).status, Status::None);
}
