//! Delivery against real SMTP servers: the test MTA (postfix, started by
//! `.ci/services/postfix.sh`), Debian's `smtp-sink` for faults (refused
//! connections, 421, 451, 550, a slow server), a server this test runs
//! that drops the connection in the middle of DATA, and `kill -9` of the
//! sender at random moments.
//!
//! The crash loop runs 5 kills here; anyone can run a long one:
//! `KIZUKI_CRASH_KILLS=200 cargo test -p kizuki --test delivery crash -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SINK: &str = "/usr/sbin/smtp-sink";

fn kizuki(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(["--data-dir", "data", "--config", "kizuki.toml"])
        .args(args)
        .current_dir(dir)
        .env_remove("KIZUKI_DATA")
        .env("KIZUKI_ACTOR", "delivery-test")
        .output()
        .expect("the kizuki binary runs")
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

/// Whether a required tool is here; in CI (`KIZUKI_REQUIRE_SERVICES`) its
/// absence fails the test instead of skipping it.
fn have(what: &str, present: bool) -> bool {
    if !present {
        assert!(
            std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
            "{what} is missing: run .ci/services/postfix.sh"
        );
        eprintln!("skipped: {what} is missing (run .ci/services/postfix.sh)");
    }
    present
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `n` subscribers with one exact event each, notified: `n` queued notices.
fn world(d: &Path, n: usize, smtp: &str) {
    let mut csv =
        String::from("subscriber_id,name,kind,emails,language,timezone,postal_address,keys\n");
    let mut events = String::new();
    for i in 0..n {
        let lang = if i % 2 == 0 { "ja" } else { "en" };
        csv.push_str(&format!(
            "S{i},Subscriber {i},person,s{i}@example.jp,{lang},Asia/Tokyo,-,user:s{i}\n"
        ));
        events.push_str(
            &serde_json::json!({
                "time.source": "2021-02-22T01:00:00+00:00",
                "source.ip": format!("192.0.2.{}", i % 250 + 1),
                "source.port": 1024 + i,
                "malware.name": "emotet",
                "feed.name": "f",
                "extra.attribution.status": "exact",
                "extra.attribution.subscribers": [format!("S{i}")],
            })
            .to_string(),
        );
        events.push('\n');
    }
    std::fs::write(d.join("subscribers.csv"), csv).unwrap();
    std::fs::write(d.join("events.jsonl"), events).unwrap();
    std::fs::write(
        d.join("kizuki.toml"),
        format!("[notify]\nfrom = \"abuse@isp.example\"\nrate_limit = 0\n{smtp}\n"),
    )
    .unwrap();
    ok(&kizuki(d, &["subscribers", "import", "subscribers.csv"]));
    let err = ok(&kizuki(d, &["notify", "--events", "events.jsonl"]));
    assert!(err.contains(&format!("{n} notice(s) to send")), "{err}");
}

fn smtp_section(port: u16, extra: &str) -> String {
    format!(
        "[notify.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nbackoff = \"1s\"\nbackoff_max = \"2s\"\ntimeout_secs = 5\n{extra}"
    )
}

/// An `smtp-sink` on a free port, dumping each message into `dump`.
struct Sink {
    child: Child,
    port: u16,
    dump: PathBuf,
}

impl Sink {
    fn start(dump: &Path, opts: &[&str]) -> Sink {
        Sink::on(dump, opts, free_port())
    }

    fn on(dump: &Path, opts: &[&str], port: u16) -> Sink {
        std::fs::create_dir_all(dump).unwrap();
        // smtp-sink drops root privileges to `nobody`, who must write here.
        let _ = Command::new("chmod")
            .args(["-R", "a+rwx"])
            .arg(dump.parent().unwrap())
            .status();
        let mut c = Command::new(SINK);
        c.args(opts);
        c.arg("-d").arg(format!("{}/%Y%m%d%H%M%S.", dump.display()));
        if is_root() {
            c.args(["-u", "nobody"]);
        }
        c.arg(format!("127.0.0.1:{port}")).arg("100");
        let child = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "smtp-sink did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Sink {
            child,
            port,
            dump: dump.to_owned(),
        }
    }

    /// Message-IDs received, with how often.
    fn received(&self) -> HashMap<String, usize> {
        message_ids(&self.dump)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn message_ids(dir: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        if let Some(l) = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        {
            *out.entry(l[11..].trim().to_owned()).or_default() += 1;
        }
    }
    out
}

fn notices_json(d: &Path) -> Vec<serde_json::Value> {
    let o = kizuki(d, &["notices", "list", "--json", "--limit", "100000"]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_test_mta_receives_every_notice_once_with_its_message_id() {
    let Ok(maildir) = std::env::var("KIZUKI_TEST_MAILDIR") else {
        have("the test MTA (KIZUKI_TEST_MAILDIR)", false);
        return;
    };
    let smtp = std::env::var("KIZUKI_TEST_SMTP").unwrap_or_else(|_| "127.0.0.1:25".into());
    let port: u16 = smtp.rsplit(':').next().unwrap().parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    world(d, 6, &smtp_section(port, "concurrency = 3\n"));
    let err = ok(&kizuki(d, &["send", "--wait"]));
    assert!(err.contains("6 sent"), "{err}");
    let ids: Vec<String> = notices_json(d)
        .iter()
        .map(|n| format!("<{}>", n["message_id"].as_str().unwrap()))
        .collect();
    // Postfix delivers asynchronously: wait for the Maildir.
    let t = Instant::now();
    loop {
        let got = message_ids(&Path::new(&maildir).join("new"));
        if ids.iter().all(|i| got.get(i) == Some(&1)) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "not all delivered: {ids:?} vs {got:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for n in notices_json(d) {
        assert_eq!(n["status"], "sent");
    }
}

/// Waits until every notice's message is in the Maildir; returns the
/// messages.
fn arrived(d: &Path, maildir: &Path) -> Vec<String> {
    let ids: Vec<String> = notices_json(d)
        .iter()
        .map(|n| format!("<{}>", n["message_id"].as_str().unwrap()))
        .collect();
    let t = Instant::now();
    loop {
        let mut found = Vec::new();
        for e in std::fs::read_dir(maildir.join("new")).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if ids
                .iter()
                .any(|i| text.contains(&format!("Message-ID: {i}")))
            {
                found.push(text);
            }
        }
        if found.len() >= ids.len() {
            return found;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "not all delivered");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn starttls_and_implicit_tls_reach_the_test_mta_with_a_verified_certificate() {
    let (Ok(maildir), Ok(ca), Ok(smtps)) = (
        std::env::var("KIZUKI_TEST_MAILDIR"),
        std::env::var("KIZUKI_TEST_SMTP_CA"),
        std::env::var("KIZUKI_TEST_SMTPS"),
    ) else {
        have("the test MTA with TLS (KIZUKI_TEST_SMTPS)", false);
        return;
    };
    let smtp = std::env::var("KIZUKI_TEST_SMTP").unwrap_or_else(|_| "127.0.0.1:25".into());
    for (addr, mode) in [(smtp.as_str(), "starttls"), (smtps.as_str(), "implicit")] {
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        world(
            d,
            2,
            &smtp_section(port, &format!("tls = \"{mode}\"\nca_file = \"{ca}\"\n")),
        );
        let err = ok(&kizuki(d, &["send", "--wait"]));
        assert!(err.contains("2 sent"), "{mode}: {err}");
        for m in arrived(d, Path::new(&maildir)) {
            assert!(m.contains("using TLS"), "{mode}: no TLS in Received:\n{m}");
        }
        // Without the CA, the certificate is refused and nothing is sent.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        world(d, 1, &smtp_section(port, &format!("tls = \"{mode}\"\n")));
        let err = ok(&kizuki(d, &["send"]));
        assert!(err.contains("0 sent, 1 to retry"), "{mode}: {err}");
    }
}

#[test]
fn faults_are_retried_or_failed_as_their_replies_say() {
    if !have("smtp-sink (postfix)", Path::new(SINK).exists()) {
        return;
    }
    // 550 for every recipient: failed, with the server's words.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sink = Sink::start(
        &d.join("dump"),
        &["-f", "RCPT", "-B", "550 5.1.1 no such user here"],
    );
    world(d, 2, &smtp_section(sink.port, ""));
    let o = kizuki(d, &["send"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for n in notices_json(d) {
        assert_eq!(n["status"], "failed");
        let id = n["id"].as_i64().unwrap().to_string();
        let out =
            String::from_utf8_lossy(&kizuki(d, &["notices", "explain", &id]).stdout).into_owned();
        assert!(out.contains("no such user here"), "{out}");
    }
    drop(sink);

    // 421 and 451: temporary; retried until a working server answers.
    for opts in [
        vec!["-Q", "RCPT"],
        vec!["-r", "DATA", "-b", "451 4.3.0 try again later"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bad = Sink::start(&d.join("dump-bad"), &opts);
        world(d, 3, &smtp_section(bad.port, ""));
        let err = ok(&kizuki(d, &["send"]));
        assert!(err.contains("0 sent, 3 to retry"), "{opts:?}: {err}");
        assert!(bad.received().is_empty());
        // The same port now answers properly.
        let port = bad.port;
        drop(bad);
        let good = start_sink_on(&d.join("dump-good"), port);
        let err = ok(&kizuki(d, &["send", "--wait"]));
        assert!(err.contains("3 sent"), "{opts:?}: {err}");
        assert_eq!(good.received().len(), 3);
        assert!(good.received().values().all(|n| *n == 1));
        let n = &notices_json(d)[0];
        let id = n["id"].as_i64().unwrap().to_string();
        let out =
            String::from_utf8_lossy(&kizuki(d, &["notices", "explain", &id]).stdout).into_owned();
        assert!(out.contains("retry") && out.contains("sent"), "{out}");
    }

    // Nobody listening: retried, then delivered once a server appears.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    world(d, 2, &smtp_section(port, ""));
    let err = ok(&kizuki(d, &["send"]));
    assert!(err.contains("0 sent, 2 to retry"), "{err}");
    let good = start_sink_on(&d.join("dump"), port);
    let err = ok(&kizuki(d, &["send", "--wait"]));
    assert!(err.contains("2 sent"), "{err}");
    assert_eq!(good.received().len(), 2);

    // A slow server (3 s before answering DATA) within the timeout.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let slow = Sink::start(&d.join("dump"), &["-w", "3"]);
    world(d, 2, &smtp_section(slow.port, "concurrency = 2\n"));
    let t = Instant::now();
    let err = ok(&kizuki(d, &["send"]));
    assert!(err.contains("2 sent"), "{err}");
    assert!(t.elapsed() >= Duration::from_secs(3));
    assert_eq!(slow.received().len(), 2);
}

fn start_sink_on(dump: &Path, port: u16) -> Sink {
    // The port was just freed; bind it again.
    Sink::on(dump, &[], port)
}

/// A server that takes the first message's DATA halfway and hangs up, then
/// accepts everything. Returns the port and the Message-IDs it accepted.
fn dropping_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let got2 = got.clone();
    std::thread::spawn(move || {
        let mut first = true;
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            let _ = w.write_all(b"220 test ESMTP\r\n");
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let cmd = line.to_ascii_uppercase();
                if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    let _ = w.write_all(b"250-test\r\n250 8BITMIME\r\n");
                } else if cmd.starts_with("DATA") {
                    let _ = w.write_all(b"354 go on\r\n");
                    let mut msg = String::new();
                    let mut lines = 0;
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        lines += 1;
                        if first && lines == 5 {
                            break;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        msg.push_str(&line);
                    }
                    if first && lines == 5 {
                        // Hang up in the middle of DATA.
                        first = false;
                        let _ = w.shutdown(std::net::Shutdown::Both);
                        break;
                    }
                    if let Some(l) = msg
                        .lines()
                        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    {
                        got2.lock().unwrap().push(l[11..].trim().to_owned());
                    }
                    let _ = w.write_all(b"250 2.0.0 queued\r\n");
                } else if cmd.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                } else {
                    let _ = w.write_all(b"250 ok\r\n");
                }
            }
        }
    });
    (port, got)
}

#[test]
fn a_connection_dropped_mid_data_is_retried_and_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, got) = dropping_server();
    world(d, 1, &smtp_section(port, "concurrency = 1\n"));
    let err = ok(&kizuki(d, &["send", "--wait"]));
    assert!(err.contains("1 sent, 1 to retry"), "{err}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let n = &notices_json(d)[0];
    assert_eq!(got[0], format!("<{}>", n["message_id"].as_str().unwrap()));
}

#[test]
fn crash_kill_9_at_random_moments_loses_nothing_and_duplicates_only_what_was_in_flight() {
    if !have("smtp-sink (postfix)", Path::new(SINK).exists()) {
        return;
    }
    let kills: usize = std::env::var("KIZUKI_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let n = 40.max(kills * 4);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A second's delay before the reply to the final "." keeps each
    // message in flight, received but not yet confirmed, long enough for
    // kills to land there: the case that may deliver twice.
    let sink = Sink::start(&d.join("dump"), &["-W", ".:1"]);
    world(d, n, &smtp_section(sink.port, "concurrency = 4\n"));
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut killed = 0;
    for _ in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kizuki"))
            .args([
                "--data-dir",
                "data",
                "--config",
                "kizuki.toml",
                "-q",
                "send",
                "--wait",
            ])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(200 + rand() % 1300));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
    }
    // Finish without interruption.
    let err = ok(&kizuki(d, &["send", "--wait"]));
    let received = sink.received();
    let notices = notices_json(d);
    assert_eq!(notices.len(), n);
    let mut dup = 0;
    for no in &notices {
        assert_eq!(no["status"], "sent", "{no}");
        let mid = format!("<{}>", no["message_id"].as_str().unwrap());
        let count = received.get(&mid).copied().unwrap_or(0);
        assert!(count >= 1, "notice {} never arrived", no["id"]);
        if count > 1 {
            dup += count - 1;
            // Only a message whose attempt was interrupted may repeat.
            let id = no["id"].as_i64().unwrap().to_string();
            let out = String::from_utf8_lossy(&kizuki(d, &["notices", "explain", &id]).stdout)
                .into_owned();
            assert!(
                out.contains("interrupted"),
                "notice {id} arrived {count} times:\n{out}"
            );
        }
    }
    // Each kill interrupts at most `concurrency` transactions.
    assert!(dup <= killed * 4, "{dup} duplicates after {killed} kills");
    eprintln!(
        "crash loop: {n} notices, {killed} kills, all delivered, {dup} duplicate(s) (each an interrupted attempt, same Message-ID); last send: {err}"
    );
}

#[test]
fn auth_on_the_submission_port_with_the_password_from_the_environment() {
    let (Ok(maildir), Ok(ca), Ok(sub), Ok(user), Ok(password)) = (
        std::env::var("KIZUKI_TEST_MAILDIR"),
        std::env::var("KIZUKI_TEST_SMTP_CA"),
        std::env::var("KIZUKI_TEST_SUBMISSION"),
        std::env::var("KIZUKI_TEST_SMTP_USER"),
        std::env::var("KIZUKI_TEST_SMTP_PASSWORD"),
    ) else {
        have("the test MTA with AUTH (KIZUKI_TEST_SUBMISSION)", false);
        return;
    };
    let port: u16 = sub.rsplit(':').next().unwrap().parse().unwrap();
    let section = |user: &str| {
        smtp_section(
            port,
            &format!(
                "tls = \"starttls\"\nca_file = \"{ca}\"\nusername = \"{user}\"\npassword_env = \"KIZUKI_TEST_PW\"\n"
            ),
        )
    };
    let send = |d: &Path, pw: &str| {
        Command::new(env!("CARGO_BIN_EXE_kizuki"))
            .args(["--data-dir", "data", "--config", "kizuki.toml", "send"])
            .current_dir(d)
            .env("KIZUKI_TEST_PW", pw)
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    world(d, 2, &section(&user));
    let err = ok(&send(d, &password));
    assert!(err.contains("2 sent"), "{err}");
    assert_eq!(arrived(d, Path::new(&maildir)).len(), 2);
    // A wrong password: the server refuses; nothing is sent, nothing fails,
    // the message waits for the configuration to be fixed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    world(d, 1, &section(&user));
    let o = send(d, "wrong");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("0 sent, 1 to retry, 0 failed"), "{err}");
    let n = &notices_json(d)[0];
    let id = n["id"].as_i64().unwrap().to_string();
    let out = String::from_utf8_lossy(&kizuki(d, &["notices", "explain", &id]).stdout).into_owned();
    assert!(
        out.contains("authentication") || out.contains("535"),
        "{out}"
    );
}
