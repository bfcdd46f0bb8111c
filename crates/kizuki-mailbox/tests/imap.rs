//! Against a real IMAP server: the Dovecot that `.ci/services/dovecot.sh`
//! starts (KIZUKI_TEST_IMAP, KIZUKI_TEST_IMAPS, KIZUKI_TEST_IMAP_CA,
//! KIZUKI_TEST_IMAP_USER, KIZUKI_TEST_IMAP_PASSWORD). Without it the tests
//! skip, or fail when KIZUKI_REQUIRE_SERVICES is set (CI).
//!
//! Each test works in a mailbox of its own, created here and deleted at
//! the end, so the tests run in parallel without seeing each other's mail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use kizuki_mailbox::{Imap, ImapConfig, ImapCursor, MailboxError, Password, Security};

const PASSWORD_ENV: &str = "KIZUKI_TEST_IMAP_PASSWORD";

struct Server {
    plain: (String, u16),
    tls: (String, u16),
    ca: PathBuf,
    user: String,
    password: String,
}

fn server() -> Option<Server> {
    let vars = [
        "KIZUKI_TEST_IMAP",
        "KIZUKI_TEST_IMAPS",
        "KIZUKI_TEST_IMAP_CA",
        "KIZUKI_TEST_IMAP_USER",
        PASSWORD_ENV,
    ]
    .map(std::env::var);
    match vars {
        [Ok(plain), Ok(tls), Ok(ca), Ok(user), Ok(password)] => Some(Server {
            plain: host_port(&plain),
            tls: host_port(&tls),
            ca: ca.into(),
            user,
            password,
        }),
        _ => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_IMAP* are not set: run .ci/services/dovecot.sh"
            );
            eprintln!("skipped: no test IMAP server (run .ci/services/dovecot.sh)");
            None
        }
    }
}

fn host_port(s: &str) -> (String, u16) {
    let (host, port) = s.rsplit_once(':').expect("HOST:PORT");
    (host.to_owned(), port.parse().expect("a port number"))
}

impl Server {
    fn config(&self, security: Security, mailbox: &str) -> ImapConfig {
        let (host, port) = match security {
            Security::Tls => self.tls.clone(),
            Security::None | Security::Starttls => self.plain.clone(),
        };
        let mut cfg = ImapConfig::new(host, &self.user, PASSWORD_ENV);
        cfg.port = Some(port);
        cfg.security = security;
        cfg.ca_file = Some(self.ca.clone());
        cfg.mailbox = mailbox.to_owned();
        cfg.connect_timeout_secs = 10;
        cfg.command_timeout_secs = 60;
        cfg
    }

    /// A new, empty mailbox of the test's own.
    async fn fresh(&self, security: Security, test: &str) -> Imap {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "kizuki-test-{test}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let imap = Imap::from_config(self.config(security, &name)).unwrap();
        imap.create_mailbox(&name).await.unwrap();
        imap
    }
}

async fn cleanup(imap: &Imap) {
    imap.delete_mailbox(&imap.config().mailbox).await.unwrap();
}

/// A small message in CRLF form, as IMAP carries messages.
fn message(subject: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: abuse@isp.example\r\nTo: csirt@example.co.jp\r\nSubject: {subject}\r\nMessage-ID: <{subject}@isp.example>\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(body);
    m
}

fn shift_jis_notice() -> Vec<u8> {
    // "感染の疑い" in Shift_JIS, 8-bit bytes straight in the body.
    let mut m = b"From: abuse@isp.example\r\nTo: csirt@example.co.jp\r\nSubject: sjis\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    m.extend_from_slice(
        b"\x8a\xb4\x90\xf5\x82\xcc\x8b\x5e\x82\xa2\r\n198.51.100.7 2021-01-27 10:00 JST\r\n",
    );
    m
}

fn large_notice() -> Vec<u8> {
    let mut body = Vec::with_capacity(1 << 20);
    let mut i = 0u32;
    while body.len() < (1 << 20) {
        body.extend_from_slice(
            format!(
                "203.0.113.{} 2021-01-27T01:00:00Z emotet line {i:08}\r\n",
                i % 250
            )
            .as_bytes(),
        );
        i += 1;
    }
    message("large", &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_new_takes_every_message_once_byte_for_byte() {
    let Some(srv) = server() else { return };
    let imap = srv.fresh(Security::None, "once").await;
    let sent = [
        message("plain", b"one\r\n"),
        shift_jis_notice(),
        large_notice(),
    ];
    assert!(sent[2].len() >= 1 << 20);
    for m in &sent {
        imap.append(m).await.unwrap();
    }

    let first = imap.fetch_new(None).await.unwrap();
    assert!(!first.restarted);
    assert_eq!(first.messages.len(), 3);
    for (got, want) in first.messages.iter().zip(&sent) {
        assert!(
            got.bytes == *want,
            "UID {} differs: {} bytes back for {} sent",
            got.uid,
            got.bytes.len(),
            want.len()
        );
    }
    let uids: Vec<u32> = first.messages.iter().map(|m| m.uid).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
    assert_eq!(first.cursor.last_uid, *uids.last().unwrap());

    // Nothing new: `UID SEARCH UID last+1:*` still answers the last UID,
    // which must not come again.
    assert!(!first.more_waiting);
    let again = imap.fetch_new(Some(first.cursor)).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", again.messages.len());
    assert_eq!(again.cursor, first.cursor);

    let fourth = message("fourth", b"four\r\n");
    let uid = imap.append(&fourth).await.unwrap();
    let next = imap.fetch_new(Some(again.cursor)).await.unwrap();
    assert_eq!(next.messages.len(), 1);
    assert_eq!(next.messages[0].bytes, fourth);
    assert_eq!(
        Some(next.messages[0].uid),
        uid,
        "APPENDUID names the message"
    );
    assert_eq!(next.cursor.last_uid, next.messages[0].uid);
    assert_eq!(next.cursor.uidvalidity, first.cursor.uidvalidity);

    cleanup(&imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_uidvalidity_starts_over() {
    let Some(srv) = server() else { return };
    let imap = srv.fresh(Security::None, "validity").await;
    imap.append(&message("a", b"a\r\n")).await.unwrap();
    imap.append(&message("b", b"b\r\n")).await.unwrap();
    let now = imap.fetch_new(None).await.unwrap();
    let stale = ImapCursor {
        uidvalidity: now.cursor.uidvalidity.wrapping_add(1),
        last_uid: 1000,
    };
    let again = imap.fetch_new(Some(stale)).await.unwrap();
    assert!(again.restarted);
    assert_eq!(again.messages, now.messages);
    assert_eq!(again.cursor, now.cursor);
    cleanup(&imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_messages_takes_the_oldest_first_and_the_rest_next_time() {
    let Some(srv) = server() else { return };
    let fresh = srv.fresh(Security::None, "max").await;
    let mut cfg = fresh.config().clone();
    cfg.max_messages = 2;
    let imap = Imap::from_config(cfg).unwrap();
    let sent: Vec<Vec<u8>> = (0..3)
        .map(|i| message(&format!("m{i}"), b"x\r\n"))
        .collect();
    for m in &sent {
        imap.append(m).await.unwrap();
    }
    let first = imap.fetch_new(None).await.unwrap();
    assert!(first.more_waiting);
    assert_eq!(first.messages.len(), 2);
    assert_eq!(first.messages[0].bytes, sent[0]);
    assert_eq!(first.messages[1].bytes, sent[1]);
    let rest = imap.fetch_new(Some(first.cursor)).await.unwrap();
    assert!(!rest.more_waiting);
    assert_eq!(rest.messages.len(), 1);
    assert_eq!(rest.messages[0].bytes, sent[2]);
    cleanup(&imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_seen_checks_uidvalidity() {
    let Some(srv) = server() else { return };
    let imap = srv.fresh(Security::None, "seen").await;
    imap.append(&message("s", b"s\r\n")).await.unwrap();
    let got = imap.fetch_new(None).await.unwrap();
    let uids: Vec<u32> = got.messages.iter().map(|m| m.uid).collect();
    imap.mark_seen(got.cursor.uidvalidity, &uids).await.unwrap();
    let err = imap
        .mark_seen(got.cursor.uidvalidity.wrapping_add(1), &uids)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UIDVALIDITY"), "{err}");
    // Seen or not, the cursor decides what is new.
    let after = imap.fetch_new(Some(got.cursor)).await.unwrap();
    assert!(after.messages.is_empty());
    cleanup(&imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_implicit_tls_with_the_private_ca() {
    let Some(srv) = server() else { return };
    for security in [Security::Starttls, Security::Tls] {
        let imap = srv.fresh(security, "tls").await;
        let m = shift_jis_notice();
        imap.append(&m).await.unwrap();
        let got = imap.fetch_new(None).await.unwrap();
        assert_eq!(got.messages.len(), 1, "{security:?}");
        assert_eq!(got.messages[0].bytes, m, "{security:?}");
        cleanup(&imap).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let Some(srv) = server() else { return };
    let mut cfg = srv.config(Security::Tls, "INBOX");
    cfg.ca_file = None; // public roots only: the private CA is not among them
    let err = Imap::from_config(cfg)
        .unwrap()
        .fetch_new(None)
        .await
        .unwrap_err();
    assert!(matches!(err, MailboxError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("TLS handshake failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_error_without_the_password() {
    let Some(srv) = server() else { return };
    let wrong = "wrong-pass-7Qx\"{}";
    for security in [Security::None, Security::Tls] {
        let cfg = srv.config(security, "INBOX");
        let imap = Imap::with_password(cfg, Password::new(wrong)).unwrap();
        let err = imap.fetch_new(None).await.unwrap_err();
        let text = err.to_string();
        let debug = format!("{err:?}");
        assert!(
            matches!(err, MailboxError::LoginRejected { .. }),
            "{security:?}: {debug}"
        );
        assert!(text.contains("login as kizuki rejected"), "{text}");
        assert!(text.contains("127.0.0.1:"), "{text}");
        for shown in [&text, &debug] {
            assert!(!shown.contains(wrong), "{shown}");
            assert!(!shown.contains(&srv.password), "{shown}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_mailbox_names_server_mailbox_and_command() {
    let Some(srv) = server() else { return };
    let cfg = srv.config(Security::None, "kizuki-no-such-mailbox");
    let err = Imap::from_config(cfg)
        .unwrap()
        .fetch_new(None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MailboxError::Rejected { .. }), "{err:?}");
    assert!(text.contains("127.0.0.1:"), "{text}");
    assert!(text.contains("kizuki-no-such-mailbox"), "{text}");
    assert!(text.contains("EXAMINE failed: NO"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn japanese_mailbox_names_work() {
    let Some(srv) = server() else { return };
    let imap = srv.fresh(Security::None, "通報&受付").await;
    let m = message("jp", b"x\r\n");
    imap.append(&m).await.unwrap();
    let got = imap.fetch_new(None).await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].bytes, m);
    cleanup(&imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_sends_bare_lf_as_crlf() {
    let Some(srv) = server() else { return };
    let imap = srv.fresh(Security::None, "lf").await;
    imap.append(b"Subject: lf\n\nline\n").await.unwrap();
    let got = imap.fetch_new(None).await.unwrap();
    assert_eq!(got.messages[0].bytes, b"Subject: lf\r\n\r\nline\r\n");
    let err = imap.append(b"a\0b").await.unwrap_err();
    assert!(matches!(err, MailboxError::BadMessage { .. }), "{err:?}");
    cleanup(&imap).await;
}
